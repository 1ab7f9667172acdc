"""Run every benchmark (``bench_*.py`` beside this file) and print a table; `make bench`.

Each benchmark module defines ``BENCHMARKS``: a list of ``(name, setup, target_seconds)``
where ``setup()`` prepares inputs (not timed) and returns a zero-argument callable that is
timed. Each callable runs ``repeat`` times; the best time is reported (the least disturbed
by other load). Optional ``target_seconds`` is checked and reported, never asserted in tests.

    python benchmarks/run.py [--only NAME] [--repeat 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", help="run only benchmarks whose name contains this text")
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)
    sys.path.insert(0, str(HERE))
    rows = []
    for path in sorted(HERE.glob("bench_*.py")):
        for name, setup, target in _load(path).BENCHMARKS:
            if args.only and args.only not in name:
                continue
            fn = setup()
            fn()  # warm-up (imports, caches)
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
            best, median = min(times), sorted(times)[len(times) // 2]
            verdict = "" if target is None else ("ok" if best <= target else "SLOWER THAN TARGET")
            rows.append((name, best, median, target, verdict))
            print(f"{name:<58} best {best * 1e3:9.1f} ms   median {median * 1e3:9.1f} ms"
                  + (f"   target {target * 1e3:7.0f} ms  {verdict}" if target else ""), flush=True)
    slow = [r for r in rows if r[4] == "SLOWER THAN TARGET"]
    print(f"\n{len(rows)} benchmarks, {len(slow)} slower than target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
