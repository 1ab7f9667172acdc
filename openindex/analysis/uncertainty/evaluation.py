"""Vectorised evaluation of every replication, in memory-bounded chunks, optionally in worker processes.

The numbers depend only on the design, never on the chunk size or the number of workers.
Worker processes receive the compiled state (:mod:`.compiled`) once, through the
module-level :func:`_init_worker`, and evaluate chunks with :func:`_work` (both picklable
by reference).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from openindex.analysis.uncertainty.compiled import Compiled, CompiledLevel, compile_design
from openindex.analysis.uncertainty.design import Design
from openindex.analysis.uncertainty.weights import modified_weights, weights_from
from openindex.data.dataset import Dataset
from openindex.engine import aggregate_level, degenerate_message
from openindex.errors import DegenerateInputError, MethodError
from openindex.methods import registry_for
from openindex.methods.rank import rank_desc
from openindex.methods.weight import explicit
from openindex.model.framework import Framework

__all__ = ["CHUNK_BUDGET", "Replications", "default_chunk_size", "evaluate", "memory_needed"]

#: memory budget of one chunk of replications (bytes)
CHUNK_BUDGET = 256 * 2**20


def _level1(c: Compiled, combo: int, reps: np.ndarray) -> np.ndarray:
    """Normalised indicators of replications ``reps`` (all of combination ``combo``).

    (n_units, n_ind) when nothing varies per replication, else (g, n_units, n_ind) with the
    goalposts / target columns re-normalised by the registered method: the g replications'
    columns are laid side by side as g * k columns of one call.
    """
    x = c.normalised[combo]
    tasks = c.renormalise[combo]
    if not tasks:
        return x
    assert c.oriented is not None
    g, n_units = len(reps), x.shape[0]
    out = np.repeat(x[None], g, axis=0)
    reg = registry_for("normalise")
    for t in tasks:
        k = len(t.columns)
        xx = np.tile(c.oriented[combo][:, t.columns], (1, g))  # column i * k + j: replication i, indicator j
        vals = t.values[reps]
        ctx = vals.reshape(g * k, *vals.shape[2:])
        try:
            y = reg.get(t.method).func(xx, **{t.context: ctx}, **t.params)
        except DegenerateInputError as exc:
            bad = sorted({t.codes[col % k] for col in exc.columns})
            raise MethodError(degenerate_message(
                exc, f"normalise method '{t.method}' with the sampled {t.context} of {', '.join(bad)}")) from None
        out[:, :, t.columns] = y.reshape(n_units, g, k).transpose(1, 0, 2)
    return out


def _level_weights(lv: CompiledLevel, x: np.ndarray, reps: np.ndarray) -> np.ndarray:
    """Normalised weights of the level for replications ``reps`` (children scores ``x``)."""
    if lv.base is not None:
        base = lv.base
    else:
        base = weights_from(lv.nominal, lv.factors.member, lv.below, lv.weight_plans, x, lv.here)
    lf = lv.factors
    if lf.kind is None and lf.exclude is None:
        return base
    mod, changed = modified_weights(lf, base, reps)
    if changed.all():
        return explicit(np.ascontiguousarray(mod))
    w = np.array(np.broadcast_to(base, mod.shape))
    if changed.any():
        w[changed] = explicit(np.ascontiguousarray(mod[changed]))
    return w


def _run_chunk(c: Compiled, lo: int, hi: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Scores and ranks of the kept levels for replications lo..hi-1."""
    reps = np.arange(lo, hi)
    g_all = hi - lo
    kept: list[tuple[np.ndarray, np.ndarray]] = []
    prev: np.ndarray | None = None
    for lv in c.levels:
        out = np.empty((g_all, len(c.units), len(lv.here)))
        n_keys = len(lv.plans)
        keys = lv.agg_key[reps] if prev is not None else c.combo[reps] * n_keys + lv.agg_key[reps]
        for key in np.unique(keys):
            sel = np.nonzero(keys == key)[0]
            r_sel = reps[sel]
            if prev is None:
                x = _level1(c, int(key) // n_keys, r_sel)
                plans = lv.plans[int(key) % n_keys]
            else:
                x = prev[sel]
                plans = lv.plans[int(key)]
            w = _level_weights(lv, x, r_sel)
            out[sel] = aggregate_level(x, w, plans, min_share=c.min_share, member=lv.factors.member,
                                       describe=lv.describe)
        prev = out
        if lv.level in c.keep:
            kept.append((out, rank_desc(out)))
    return kept


_STATE: Compiled | None = None


def _init_worker(state: Compiled) -> None:
    global _STATE
    _STATE = state


def _work(bounds: tuple[int, int]) -> list[tuple[np.ndarray, np.ndarray]]:
    assert _STATE is not None
    return _run_chunk(_STATE, *bounds)


class _Progress:
    """A one-line progress bar on stderr, shown only when stderr is a terminal."""

    def __init__(self, total: int, label: str, enabled: bool) -> None:
        self.total, self.label, self.done = total, label, 0
        self.enabled = bool(enabled) and total > 0 and sys.stderr.isatty()

    def update(self, n: int) -> None:
        self.done += n
        if self.enabled:
            width = 30
            fill = int(width * self.done / self.total)
            print(f"\r{self.label} [{'#' * fill}{'.' * (width - fill)}] {self.done}/{self.total}", end="",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled:
            print(file=sys.stderr, flush=True)


def default_chunk_size(n_units: int, n_indicators: int, level_sizes: Sequence[int], *,
                       per_replication_indicators: bool = False, budget: int = CHUNK_BUDGET) -> int:
    """Replications per chunk so that a chunk's arrays stay under ``budget`` bytes (default 256 MB).

    Estimate per replication: 8 bytes x n_units x (6 x the largest aggregate level, for the
    aggregation temporaries, + 4 x n_indicators when the indicators vary per replication),
    plus 4 weight matrices.
    """
    biggest = max(level_sizes[1:], default=1)
    per = 8 * n_units * (6 * biggest + (4 * n_indicators if per_replication_indicators else 0))
    per += 8 * 4 * max(a * b for a, b in zip(level_sizes[1:], level_sizes[:-1], strict=False)) if len(
        level_sizes) > 1 else 0
    return max(1, int(budget // max(per, 1)))


def memory_needed(n_units: int, level_sizes: Sequence[int], runs: int, n_factors: int, *, keep_all: bool = False,
                  sobol_runs: int = 0) -> int:
    """Bytes an uncertainty analysis holds at its peak, estimated before anything is allocated.

    Per replication: 8 bytes x (3 x n_factors, the design and its mapped values, + 4 x n_units x
    the nodes kept, their scores and ranks and the copies the percentiles make), plus 48 bytes
    x n_units x every aggregate when every level is kept (the replication table); a Sobol' run
    keeps the index only. One chunk (:data:`CHUNK_BUDGET`) comes on top.

    Examples
    --------
    >>> memory_needed(40, [53, 11, 3, 1], runs=1000, n_factors=3) - CHUNK_BUDGET
    1352000
    """
    aggregates = sum(level_sizes[1:]) or 1
    kept = aggregates if keep_all else (level_sizes[-1] if len(level_sizes) > 1 else 1)
    per = 8 * (3 * n_factors + 4 * n_units * kept) + (48 * n_units * aggregates if keep_all else 0)
    per_sobol = 8 * (3 * n_factors + 4 * n_units)
    return runs * per + sobol_runs * per_sobol + CHUNK_BUDGET


# --------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Replications:
    """Scores and ranks of every replication.

    Attributes
    ----------
    design : Design
    units : tuple of str
        Unit codes (the units the nominal build scores).
    levels : tuple of int
        The levels kept (the index, ``n_levels``, always).
    codes : tuple of tuple of str
        Node codes of each kept level.
    scores, ranks : tuple of ndarray
        Per kept level, shape (runs, n_units, n_nodes); ranks 1 = best, ties share the
        minimum rank, NaN where the score is missing (as :func:`openindex.methods.rank.rank_desc`).
    """

    design: Design
    units: tuple[str, ...]
    levels: tuple[int, ...]
    codes: tuple[tuple[str, ...], ...]
    scores: tuple[np.ndarray, ...]
    ranks: tuple[np.ndarray, ...]

    @property
    def runs(self) -> int:
        return self.design.runs

    @property
    def index_scores(self) -> np.ndarray:
        """Index score of every unit in every replication, (runs, n_units)."""
        return self.scores[-1][..., 0]

    @property
    def index_ranks(self) -> np.ndarray:
        """Index rank of every unit in every replication, (runs, n_units)."""
        return self.ranks[-1][..., 0]

    def frame(self) -> pd.DataFrame:
        """Long table ``replication, unit, code, level, score, rank`` (index first, then lower levels)."""
        parts = []
        n_units = len(self.units)
        for level, codes, s, r in sorted(zip(self.levels, self.codes, self.scores, self.ranks, strict=True),
                                         key=lambda t: -t[0]):
            runs, _, n_nodes = s.shape
            parts.append(pd.DataFrame({
                "replication": np.repeat(np.arange(runs, dtype=np.int64), n_nodes * n_units),
                "unit": np.tile(np.repeat(np.asarray(self.units, dtype=object), n_nodes), runs),
                "code": np.tile(np.asarray(codes, dtype=object), runs * n_units),
                "level": np.int64(level),
                "score": s.reshape(-1),
                "rank": r.reshape(-1),
            }))
        return pd.concat(parts, ignore_index=True)


def evaluate(framework: Framework, dataset: Dataset, design: Design, *, edition: int | None = None,
             chunk_size: int | None = None, workers: int = 1, progress: bool | str = False,
             keep: Literal["index", "all"] = "index") -> Replications:
    """Evaluate every replication of ``design``, vectorised (see the module docstring).

    Parameters
    ----------
    framework : Framework
        The nominal framework (its build spec is replication-independent except for the factors).
    dataset : Dataset
    design : Design
        From :func:`sample_design`, :func:`map_design` or the Sobol' design.
    edition : int, optional
        Default the latest.
    chunk_size : int, optional
        Replications per chunk; default :func:`default_chunk_size` (about 256 MB per chunk).
    workers : int, default 1
        Worker processes evaluating chunks in parallel; results are reassembled in order.
    progress : bool or str, default False
        Show a progress bar on stderr (only when it is a terminal); a string is its label.
    keep : {"index", "all"}, default "index"
        Keep the index only, or every aggregate level (memory: runs x n_units x n_nodes x 16 bytes).

    Returns
    -------
    Replications
        The same numbers whatever ``chunk_size`` and ``workers``.

    Raises
    ------
    MethodError
        A method cannot be applied in some replication (e.g. a geometric mean of a z-score
        of zero or below), naming the nodes, children and units.
    """
    if workers < 1:
        raise MethodError(f"The number of workers must be at least 1. Got {workers} instead.")
    if chunk_size is not None and chunk_size < 1:
        raise MethodError(f"The chunk size must be at least 1. Got {chunk_size} instead.")
    if design.runs < 1:
        raise MethodError("The design has no replication to evaluate.")
    fw = framework
    n = fw.n_levels
    keep_levels = tuple(range(2, n + 1)) if keep == "all" else (n,)
    c = compile_design(fw, dataset, design, edition, keep_levels)
    runs = design.runs
    size = chunk_size or default_chunk_size(
        len(c.units), len(fw.indicator_codes), [len(codes) for codes in fw.levels],
        per_replication_indicators=any(c.renormalise))
    bounds = [(lo, min(lo + size, runs)) for lo in range(0, runs, size)]
    scores = [np.empty((runs, len(c.units), len(fw.levels[k - 1]))) for k in keep_levels]
    ranks = [np.empty_like(s) for s in scores]
    bar = _Progress(runs, progress if isinstance(progress, str) else "replications", bool(progress))

    def store(lo: int, hi: int, res: list[tuple[np.ndarray, np.ndarray]]) -> None:
        for k, (s, r) in enumerate(res):  # the framework's own nodes: pass-through columns (mixed depth) dropped
            n_real = scores[k].shape[-1]
            scores[k][lo:hi], ranks[k][lo:hi] = s[..., :n_real], r[..., :n_real]
        bar.update(hi - lo)

    try:
        if workers == 1 or len(bounds) == 1:
            for lo, hi in bounds:
                store(lo, hi, _run_chunk(c, lo, hi))
        else:
            with ProcessPoolExecutor(max_workers=min(workers, len(bounds)), initializer=_init_worker,
                                     initargs=(c,)) as pool:
                for (lo, hi), res in zip(bounds, pool.map(_work, bounds), strict=True):
                    store(lo, hi, res)
    finally:
        bar.close()
    return Replications(design=design, units=c.units, levels=keep_levels,
                        codes=tuple(fw.levels[k - 1] for k in keep_levels), scores=tuple(scores), ranks=tuple(ranks))
