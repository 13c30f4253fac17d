"""`make bench`: run every benchmark module and print one table.

Each module `bench/bench_*.py` defines `async def run() -> list[Figure]`. Run one alone with
`python -m bench NAME` (e.g. `python -m bench leads`).
"""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import sys
import time

import bench
from backlink_outreach.logs import configure_logging
from bench.report import Figure, render


def main(selected: list[str]) -> int:
    # Only warnings from the code under test: progress lines would bury the table.
    configure_logging("WARNING")
    modules = pkgutil.iter_modules(bench.__path__)
    names = sorted(m.name for m in modules if m.name.startswith("bench_"))
    if selected:
        names = [n for n in names if n.removeprefix("bench_") in selected or n in selected]
    figures: list[Figure] = []
    failures: list[str] = []
    for name in names:
        started = time.perf_counter()
        print(f"== {name} ...", file=sys.stderr, flush=True)
        try:
            module = importlib.import_module(f"bench.{name}")
            figures.extend(asyncio.run(module.run()))
        except Exception as exc:  # report and keep going: one broken bench must not hide others
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
        print(f"   {name} took {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    print(render(figures))
    for failure in failures:
        print(f"FAILED {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
