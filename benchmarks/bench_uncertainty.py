"""Monte Carlo uncertainty analysis: vectorised replications against the slow way (one build per replication).

1. ASEM (51 countries x 49 indicators): group-mean imputation by EurAsia_group, winsorised;
   normalisation min-max [1, 100] or z-score (mean 10, sd 2); +/-25% uniform noise on the
   weights of levels 2 and 3; arithmetic or geometric aggregation. 10,000 replications
   including the nominal build, ranks and the interval statistics. The z-scores with mean 10
   and sd 2 are positive unless |z| >= 5, which winsorisation rules out here (the smallest
   is 2.3), so every combination, geometric included, is defined.
2. 1,000 generated cities x 53 indicators x 10,000 replications with indicator-level (level 1)
   weight noise; the peak memory is printed before the timing line.
3. The same 10,000 ASEM replications the slow way: a loop of ``build()`` calls (frameworks
   prepared beforehand), timed on 50 replications; the extrapolation and the speed-up are
   printed before the timing line.
"""

from __future__ import annotations

import resource
import time
import tracemalloc

from _data import asem, large

from openindex.analysis.uncertainty import evaluate, rank_intervals, replication_framework, sample_design
from openindex.engine import build
from openindex.model.framework import with_settings
from openindex.model.spec import UncertaintySpec

RUNS = 10_000
SLOW_SAMPLE = 50

ASEM_SPEC = UncertaintySpec.model_validate({"runs": RUNS, "seed": 1, "factors": [
    {"weights": {"level": 2, "noise": 0.25}},
    {"weights": {"level": 3, "noise": 0.25}},
    {"normalise": [{"method": "minmax", "params": {"low": 1, "high": 100}},
                   {"method": "zscore", "params": {"mean": 10, "sd": 2}}]},
    {"aggregate": [{"method": "arithmetic"}, {"method": "geometric"}]},
]})
LARGE_SPEC = UncertaintySpec.model_validate({"runs": RUNS, "seed": 1, "factors": [
    {"weights": {"level": 1, "noise": 0.25}},
]})


def _asem():
    fw, ds = asem()
    fw = with_settings(fw, {"build.impute.method": "group_mean", "build.impute.params": {"group": "EurAsia_group"},
                            "build.treat.method": "winsorise", "build.normalise.params": {"low": 1, "high": 100}})
    return fw, ds


def _analysis(fw, ds, spec):
    def run():
        nominal = build(fw, ds)
        reps = evaluate(fw, ds, sample_design(spec, fw))
        return rank_intervals(reps, nominal)
    return run


def _asem_setup():
    fw, ds = _asem()
    return _analysis(fw, ds, ASEM_SPEC)


def _large_setup():
    fw, ds = large()
    run = _analysis(fw, ds, LARGE_SPEC)
    tracemalloc.start()
    t0 = time.perf_counter()
    run()
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(f"    1,000 cities x 10,000 replications: peak traced memory {peak / 2**20:.0f} MB (tracemalloc), "
          f"process max RSS {rss:.0f} MB; traced run {seconds:.1f} s", flush=True)
    return run


def _slow_setup():
    fw, ds = _asem()
    design = sample_design(ASEM_SPEC, fw)
    frameworks = [replication_framework(fw, design, r) for r in range(SLOW_SAMPLE)]

    def slow():
        for f in frameworks:
            build(f, ds)

    t0 = time.perf_counter()
    slow()
    t_slow = (time.perf_counter() - t0) / SLOW_SAMPLE * RUNS
    fast = _analysis(fw, ds, ASEM_SPEC)
    t0 = time.perf_counter()
    fast()
    t_fast = time.perf_counter() - t0
    print(f"    slow way: {SLOW_SAMPLE} builds -> {RUNS:,} replications in ~{t_slow:.0f} s (extrapolated); "
          f"vectorised {t_fast:.2f} s: ~{t_slow / t_fast:,.0f} times faster", flush=True)
    return slow


BENCHMARKS = [
    ("uncertainty: 1,000 cities x 53 ind. x 10,000 reps, level-1 noise", _large_setup, 15.0),
]
if asem() is not None:
    BENCHMARKS[:0] = [("uncertainty: ASEM 10,000 replications + intervals", _asem_setup, 0.3)]
    BENCHMARKS.append((f"uncertainty: ASEM slow way, {SLOW_SAMPLE} x build() (x200 = 10,000)", _slow_setup, None))
