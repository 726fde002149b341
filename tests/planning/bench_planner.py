"""Planner time against request length: python tests/planning/bench_planner.py [--lift]

Each shape is timed at 250 to 2,000 characters (the cap); --lift lifts the caps to time it up to 32,000 too (the
time should double with the length: planning is linear). Then a 1 MB line, which must be refused at once.
"""
import random
import string
import sys
import time

from emilie_agent.planning import plan as plan_module
from emilie_agent.planning.rule_planner import RulePlanner
from emilie_agent.errors import InvalidRequestError

random.seed(0)
words = ["".join(random.choice(string.ascii_lowercase) for _ in range(random.randint(3, 9))) for _ in range(5000)]
SHAPES = {
    "clauses": lambda n: ("make the car red and put a hat on the man, then make it look like winter. " * n)[:n],
    "one clause, many 'and'": lambda n: ("make " + "the big red car and the small blue boat and " * n)[:n],
    "commas": lambda n: ("make the dress " + "red, blue, green, " * n)[:n],
    "and and and": lambda n: ("and " * n)[:n] + " make it red",
    "one long word": lambda n: "make it " + "a" * n,
    "fillers": lambda n: ("please " * n)[:n] + " make it red",
    "blanks": lambda n: "make" + " " * n + "it red",
    "list": lambda n: " ".join(f"{i % 99 + 1}. make the cup red" for i in range(n))[:n],
    "unknown words": lambda n: " ".join(words)[:n],
    "hypotheticals": lambda n: ("what if the sky were green and the grass were blue and " * n)[:n],
}
planner = RulePlanner()
lift = "--lift" in sys.argv
if lift:
    plan_module.MAX_REQUEST_CHARS = plan_module.MAX_STEPS = 10**9
sizes = [250, 500, 1000, 2000] + ([4000, 8000, 16000, 32000] if lift else [])
print(f"{'shape':>24} " + " ".join(f"{n:>8}" for n in sizes) + "   (ms per request)")
for name, make in SHAPES.items():
    row = []
    for n in sizes:
        text = make(n)
        if not lift:
            text = text[:plan_module.MAX_REQUEST_CHARS]
        best = 1e9
        from emilie_agent.planning.spelling import correct_word
        for _ in range(3):
            correct_word.cache_clear()  # time the spelling of every word, not a cache
            t = time.perf_counter()
            try:
                planner.plan(text)
            except (InvalidRequestError, ValueError):
                pass
            best = min(best, time.perf_counter() - t)
        row.append(best * 1000)
    print(f"{name:>24} " + " ".join(f"{ms:8.1f}" for ms in row), flush=True)
if lift:
    sys.exit(0)
big = "make it red " * 90000
t = time.perf_counter()
try:
    RulePlanner().plan(big)
except InvalidRequestError as err:
    print(f"1 MB line ({len(big):,} chars): refused in {(time.perf_counter() - t) * 1000:.2f} ms: {err}")
