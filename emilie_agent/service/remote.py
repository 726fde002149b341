"""Session folders kept in object storage (``s3://``, ``gs://``, ``az://``, ``memory://`` ... any ``fsspec`` URL).

A session is edited in a local folder (the editor, the folder locks and the crash-safe saves all work on local
files) and mirrored to ``URL/ID/`` in object storage, which is what every replica shares:

* :meth:`RemoteFolders.pull` (before a session is read): the remote manifest is read first; the files it names
  that the local copy lacks are downloaded, then the manifest is written locally, and local files it does not
  name are removed. Turn files never change once written (their names are unique), so a file already here is
  never downloaded again;
* :meth:`RemoteFolders.push` (after every save): the files the local manifest names that the remote lacks are
  uploaded, **then** the manifest (one PUT, which object stores make atomic), then the remote files the manifest
  no longer names are deleted. A push cut off at any point leaves a remote folder whose manifest names only
  files that are there: it always loads, at worst one step behind.

No rename, no directory and no lock is needed on the remote side, which is what object storage offers.
Two writers on one session are kept apart by the session's lease (:mod:`emilie_agent.service.lease`), not
here. The backend for a URL comes with its fsspec package (``s3fs``, ``gcsfs``, ``adlfs``); without it, one
error names the package.
"""
from __future__ import annotations

import posixpath
import tempfile
from pathlib import Path
from typing import Any

from ..editing.storage import MANIFEST, read_manifest
from ..errors import SessionFileError
from ..files import atomic_write

# What a URL's scheme needs, for the error when it is missing (fsspec's own message is a long traceback).
BACKENDS = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs", "abfss": "adlfs"}


def is_url(location: object) -> bool:
    """Whether a session store location is an fsspec URL (``scheme://...``) rather than a local folder."""
    return isinstance(location, str) and "://" in location and not location.startswith("file://")


def open_filesystem(url: str, storage_options: dict[str, Any] | None = None):
    """(filesystem, root path inside it) for ``url``; SessionFileError naming the missing package or problem."""
    try:
        import fsspec
        from fsspec.core import url_to_fs
    except ImportError:  # pragma: no cover - fsspec comes with huggingface_hub, which the package needs
        raise SessionFileError("object storage needs fsspec: pip install fsspec") from None
    scheme = url.split("://", 1)[0].lower()
    try:
        fs, root = url_to_fs(url, **(storage_options or {}))
    except ImportError:
        package = BACKENDS.get(scheme, f"the fsspec backend for {scheme}://")
        raise SessionFileError(f"sessions at {url} need {package}: pip install {package}") from None
    except ValueError as err:
        known = ", ".join(sorted(set(fsspec.available_protocols()) & {"s3", "gs", "gcs", "az", "abfs", "memory", "file"}))
        raise SessionFileError(f"{url} is not a storage URL fsspec knows ({err}); e.g. {known}") from None
    return fs, root.rstrip("/")


class RemoteFolders:
    """Session folders under ``url`` in object storage, mirrored to and from local folders."""

    def __init__(self, url: str, storage_options: dict[str, Any] | None = None):
        self.url = url.rstrip("/")
        self.fs, self.root = open_filesystem(self.url, storage_options)
        try:
            self.fs.makedirs(self.root, exist_ok=True)  # a no-op on object stores, needed on file-like ones
        except OSError as err:
            raise SessionFileError(f"the session store {self.url} cannot be used: {err}") from None

    def __repr__(self) -> str:
        return f"RemoteFolders({self.url!r})"

    def path(self, name: str, file: str | None = None) -> str:
        base = posixpath.join(self.root, name)
        return base if file is None else posixpath.join(base, file)

    # ------------------------------------------------------------------ what is there
    def has_session(self, name: str) -> bool:
        self._forget_listings(self.path(name))
        return self._call(self.fs.exists, self.path(name, MANIFEST))

    def _forget_listings(self, path: str | None = None) -> None:
        # s3fs / gcsfs cache directory listings; another replica may have written since.
        try:
            self.fs.invalidate_cache(path)
        except Exception:  # noqa: BLE001 - a file system without a cache
            pass

    def names(self) -> list[tuple[float, str]]:
        """(modified time or 0, name) of every folder holding a manifest."""
        self._forget_listings()
        try:
            entries = self.fs.ls(self.root, detail=True)
        except FileNotFoundError:
            return []
        except OSError as err:
            raise SessionFileError(f"the session store {self.url} cannot be listed: {err}") from None
        found = []
        for entry in entries:
            name = posixpath.basename(entry["name"].rstrip("/"))
            if entry.get("type") != "directory":
                continue
            info = self._call(self.fs.info, self.path(name, MANIFEST))  # False: no manifest there
            if info:
                found.append((_mtime(info), name))
        return found

    def manifest_bytes(self, name: str) -> bytes | None:
        try:
            return self.fs.cat_file(self.path(name, MANIFEST))
        except FileNotFoundError:
            return None
        except OSError as err:
            raise SessionFileError(f"{self.path(name, MANIFEST)} cannot be read: {err}") from None

    # ------------------------------------------------------------------ mirroring
    def pull(self, name: str, local: Path) -> bool:
        """Make ``local`` the remote session folder ``name`` (downloading only what it lacks); whether there is one.

        The caller makes sure nobody writes ``local`` meanwhile (the session's lease, no live session on it).
        """
        data = self.manifest_bytes(name)
        if data is None:
            return False
        listed = _listed_files(data, self.path(name, MANIFEST))
        local.mkdir(parents=True, exist_ok=True)
        for file in sorted(listed):
            target = local / file
            if target.is_file():
                continue  # turn files never change: the one here is the one listed
            remote = self.path(name, file)
            try:
                data_file = self.fs.cat_file(remote)
            except FileNotFoundError:
                raise SessionFileError(f"{remote} is missing: the session in object storage is damaged") from None
            except OSError as err:
                raise SessionFileError(f"{remote} cannot be read: {err}") from None
            atomic_write(target, lambda p, d=data_file: p.write_bytes(d), sync_folder=False)
        atomic_write(local / MANIFEST, lambda p: p.write_bytes(data))
        for path in local.iterdir():
            # The local copy keeps only what the manifest names (and the folder lock, whose name starts with a dot).
            if path.is_file() and not path.name.startswith(".") and path.name != MANIFEST and path.name not in listed:
                path.unlink(missing_ok=True)
        return True

    def push(self, name: str, local: Path) -> None:
        """Upload the local session folder: new files first, the manifest last, then what it no longer names goes."""
        manifest = local / MANIFEST
        try:
            data = manifest.read_bytes()
        except OSError as err:
            raise SessionFileError(f"{manifest} cannot be read: {err}") from None
        listed = _listed_files(data, manifest)
        self._forget_listings(self.path(name))
        try:
            there = {posixpath.basename(p) for p in self.fs.ls(self.path(name), detail=False)}
        except FileNotFoundError:
            there = set()
        except OSError as err:
            raise SessionFileError(f"{self.path(name)} cannot be listed: {err}") from None
        try:
            if not there:
                self.fs.makedirs(self.path(name), exist_ok=True)  # a no-op on object stores; file systems need it
            for file in sorted(listed - there):
                self.fs.pipe_file(self.path(name, file), (local / file).read_bytes())
            self.fs.pipe_file(self.path(name, MANIFEST), data)
        except OSError as err:
            raise SessionFileError(f"the session could not be uploaded to {self.path(name)}: {err}") from None
        for file in sorted(there - listed - {MANIFEST}):
            try:
                self.fs.rm_file(self.path(name, file))
            except OSError:
                pass  # a stale file the manifest does not name harms nothing; the next push tries again

    def delete(self, name: str) -> None:
        try:
            self.fs.rm(self.path(name), recursive=True)
        except FileNotFoundError:
            pass
        except OSError as err:
            raise SessionFileError(f"{self.path(name)} could not be deleted: {err}") from None

    def _call(self, fn, *args):
        try:
            return fn(*args)
        except FileNotFoundError:
            return False
        except OSError as err:
            raise SessionFileError(f"the session store {self.url} cannot be read: {err}") from None


def _listed_files(manifest: bytes, where: object) -> set[str]:
    """The file names a manifest lists, after every check a local manifest gets (size, format, names, tree):
    a manifest from storage is not trusted."""
    with tempfile.TemporaryDirectory(prefix="emilie-manifest-") as staging:
        (Path(staging) / MANIFEST).write_bytes(manifest)
        try:
            return set(read_manifest(Path(staging)).files)
        except SessionFileError as err:
            raise SessionFileError(str(err).replace(str(Path(staging) / MANIFEST), str(where)).replace(staging, str(where))) from None


def _mtime(info: dict) -> float:
    for key in ("mtime", "LastModified", "last_modified", "updated", "created"):
        value = info.get(key)
        if value is None:
            continue
        if hasattr(value, "timestamp"):
            return float(value.timestamp())
        try:
            return float(value)
        except (TypeError, ValueError):
            continue
    return 0.0
