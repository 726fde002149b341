"""The package's import graph: no cycles, and every function-level import says why it is there.

Read from the source with ``ast`` (nothing is imported). A module's *top-level* imports are those run when it
is imported (module body, class bodies, ``if`` / ``try`` blocks; not ``if TYPE_CHECKING:``); *function-level*
ones run when a function is called. Lazy imports are allowed only to keep torch & co. out of light commands or
to keep optional extras optional, and each must carry a comment (on its line or the line before) saying so:
a function-level import that nothing explains is how cycles used to be dodged.

Run as a script (``python tests/test_imports.py``) it prints the graph's cycles, if any.
"""
from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "emilie_agent"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    target: str  # dotted module name inside the package
    line: int
    top_level: bool


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package (packages by their ``__init__``)."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_package(name: str, modules: dict[str, Path]) -> bool:
    return modules[name].name == "__init__.py"


def _absolute(importer: str, level: int, module: str | None, modules: dict[str, Path]) -> str:
    if level == 0:
        return module or ""
    base = importer.split(".")
    if not _is_package(importer, modules):
        base = base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _targets(node: ast.Import | ast.ImportFrom, importer: str, modules: dict[str, Path]) -> list[str]:
    """The package's modules an import statement runs: the named module (or the submodules ``from`` names)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = _absolute(importer, node.level, node.module, modules)
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
    found = []
    for name in names:
        # The longest prefix that is a module of ours ("emilie_agent.x.y.attr" -> "emilie_agent.x.y").
        parts = name.split(".")
        while parts and ".".join(parts) not in modules:
            parts.pop()
        if parts and parts[0] == PACKAGE:
            found.append(".".join(parts))
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(name: str, modules: dict[str, Path]) -> list[Import]:
    tree = ast.parse(modules[name].read_text(encoding="utf-8"))
    found: list[Import] = []

    def visit(node: ast.AST, top_level: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                for target in _targets(child, name, modules):
                    if target != name:
                        found.append(Import(name, target, child.lineno, top_level))
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.orelse:  # the ``if TYPE_CHECKING`` body never runs
                    visit(ast.Module(body=[stmt], type_ignores=[]), top_level)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, False)
            else:
                visit(child, top_level)

    visit(tree, True)
    return found


def all_imports(modules: dict[str, Path] | None = None) -> list[Import]:
    modules = modules or module_files()
    return [imp for name in modules for imp in imports_of(name, modules)]


def import_graph(imports: list[Import], *, top_level_only: bool) -> dict[str, set[str]]:
    """importer -> imported modules. Importing ``a.b.c`` also runs the ``__init__`` of ``a`` and ``a.b``
    (those that are not the importer's own enclosing packages, which are already running)."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if top_level_only and not imp.top_level:
            continue
        own = {".".join(imp.importer.split(".")[:i]) for i in range(1, imp.importer.count(".") + 1)}
        parts = imp.target.split(".")
        for i in range(1, len(parts) + 1):
            target = ".".join(parts[:i])
            if target not in own and target != imp.importer:
                graph.setdefault(imp.importer, set()).add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The graph's strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def uncommented_lazy_imports(imports: list[Import], modules: dict[str, Path]) -> list[str]:
    """Function-level imports of the package's own modules with no comment on their line or the line before."""
    bad = []
    top = modules[PACKAGE].parent.parent
    lines = {name: path.read_text(encoding="utf-8").splitlines() for name, path in modules.items()}
    for imp in imports:
        if imp.top_level:
            continue
        text = lines[imp.importer]
        here, before = text[imp.line - 1], text[imp.line - 2] if imp.line >= 2 else ""
        if "#" not in here and not before.strip().startswith("#"):
            bad.append(f"{modules[imp.importer].relative_to(top)}:{imp.line} imports {imp.target}")
    return sorted(set(bad))


# ---------------------------------------------------------------------------------------------- tests
def test_the_graph_reader_sees_relative_and_lazy_imports(tmp_path):
    # A package made here: a <-> b at top level, c imports a lazily without a comment, d with one.
    package = tmp_path / PACKAGE
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "a.py").write_text("from . import b\n")
    (package / "sub" / "b.py").write_text("from ..sub.a import thing\nimport os\n")
    (package / "c.py").write_text("def f():\n    from .sub import a\n")
    (package / "d.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import c\n"
        "def f():\n    # torch is heavy\n    from .sub import a\n"
    )
    modules = module_files(package)
    imports = all_imports(modules)
    assert cycles(import_graph(imports, top_level_only=True)) == [["emilie_agent.sub.a", "emilie_agent.sub.b"]]
    assert [i.target for i in imports if i.importer == "emilie_agent.d"] == ["emilie_agent.sub.a"]
    assert uncommented_lazy_imports(imports, modules) == ["emilie_agent/c.py:2 imports emilie_agent.sub.a"]


def test_no_import_cycles_at_top_level():
    found = cycles(import_graph(all_imports(), top_level_only=True))
    assert found == [], f"import cycles: {found}"


def test_no_import_cycles_even_counting_function_level_imports():
    # A lazy import may keep torch out of `plan`; it may not be what keeps a cycle from breaking.
    found = cycles(import_graph(all_imports(), top_level_only=False))
    assert found == [], f"import cycles closed by function-level imports: {found}"


def test_every_function_level_import_of_the_package_says_why():
    modules = module_files()
    bad = uncommented_lazy_imports(all_imports(modules), modules)
    assert bad == [], "function-level imports without a comment saying why:\n" + "\n".join(bad)


if __name__ == "__main__":
    graph_imports = all_imports()
    for label, top in (("top-level", True), ("with function-level", False)):
        print(f"{label} cycles: {cycles(import_graph(graph_imports, top_level_only=top)) or 'none'}")
    print("\n".join(uncommented_lazy_imports(graph_imports, module_files())) or "every lazy import is explained")
