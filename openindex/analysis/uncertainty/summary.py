"""Summaries of the replications: rank intervals, top-k probabilities, remove-one rank shifts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from openindex.analysis.uncertainty.design import map_design
from openindex.analysis.uncertainty.evaluation import Replications, evaluate
from openindex.analysis.uncertainty.factors import level_number, level_options, resolve_factors
from openindex.data.dataset import Dataset
from openindex.engine import build
from openindex.engine.result import Result
from openindex.errors import FrameworkError, MethodError
from openindex.model.framework import Framework
from openindex.model.spec import UncertaintySpec

__all__ = ["rank_intervals", "rank_summary", "mean_abs_rank_shift", "remove_one", "remove_one_summary"]


def quantiles(x: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Quantiles along axis 0 ignoring NaN, numpy's 'linear' rule (Hyndman & Fan type 7).

    With the n present values sorted, v_(0) <= ... <= v_(n-1): h = (n - 1) q, and the
    quantile is v_(floor h) + (h - floor h) (v_(floor h + 1) - v_(floor h)) (computed as
    numpy does). NaN for a column with no present value.
    """
    s = np.sort(np.ascontiguousarray(np.moveaxis(x, 0, -1)), axis=-1)  # NaN sorts last
    n = (~np.isnan(s)).sum(axis=-1)
    out = np.full((len(qs), *s.shape[:-1]), np.nan)
    for i, q in enumerate(qs):
        h = (n - 1) * q
        lo = np.clip(np.floor(h).astype(np.int64), 0, None)
        hi = np.clip(np.minimum(lo + 1, n - 1), 0, None)
        a = np.take_along_axis(s, lo[..., None], axis=-1)[..., 0]
        b = np.take_along_axis(s, hi[..., None], axis=-1)[..., 0]
        t = h - np.floor(h)
        diff = b - a
        val = np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)
        out[i] = np.where(n > 0, val, np.nan)
    return out


def nominal_ranks(nominal: Result | np.ndarray) -> np.ndarray:
    if isinstance(nominal, Result):
        return nominal.ranks[-1][:, 0]
    return np.asarray(nominal, dtype=float)


def rank_intervals(reps: Replications, nominal: Result | np.ndarray) -> pd.DataFrame:
    """Per unit: nominal rank, median and mean simulated rank, 5th and 95th percentile ranks.

    Parameters
    ----------
    reps : Replications
    nominal : Result or ndarray (n_units,)
        The nominal build (``build(framework, dataset)``) or its index ranks.

    Returns
    -------
    DataFrame
        Columns ``unit, nominal_rank, median_rank, mean_rank, p05, p95``, one row per unit,
        sorted by nominal rank (then unit order).

    Notes
    -----
    Percentiles use numpy's default 'linear' rule (Hyndman & Fan type 7, as R's
    ``quantile()`` default used by COINr): with the R present ranks sorted, the q-quantile
    is v_(h) interpolated linearly at h = (R - 1) q (0-based). Replications where a unit has
    no index score are ignored for it. The [p05, p95] range is the 90% interval the JRC
    audits report (Saisana et al. 2005).
    """
    r = reps.index_ranks
    q = quantiles(r, (0.5, 0.05, 0.95))
    present = ~np.isnan(r)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(present, r, 0.0).sum(axis=0) / present.sum(axis=0)  # NaN when never ranked
    nom = nominal_ranks(nominal)
    frame = pd.DataFrame({
        "unit": list(reps.units),
        "nominal_rank": pd.array(nom, dtype="Int64"),
        "median_rank": q[0], "mean_rank": mean, "p05": q[1], "p95": q[2],
    })
    order = np.lexsort((np.arange(len(nom)), np.where(np.isnan(nom), np.inf, nom)))
    return frame.iloc[order].reset_index(drop=True)


def rank_summary(reps: Replications, nominal: Result | np.ndarray, *, top: Sequence[int] = (1, 3, 10),
                 names: Sequence[str] | None = None) -> pd.DataFrame:
    """:func:`rank_intervals` with the interval width, the probability of a top-k rank and overlaps.

    Adds ``name`` (when known), ``width`` (= p95 - p05), ``p_top_K`` for each K in ``top``
    (share of replications where the unit ranks K or better) and ``not_distinguishable_from``:
    the units whose [p05, p95] interval overlaps this unit's ([a, b] and [c, d] overlap when
    a <= d and c <= b), in nominal-rank order, separated by ``;``.
    """
    frame = rank_intervals(reps, nominal)
    pos = {u: i for i, u in enumerate(reps.units)}
    idx = np.array([pos[u] for u in frame["unit"]])
    if names is None and isinstance(nominal, Result):
        names = nominal.dataset.unit_names
    if names is not None:
        frame.insert(1, "name", [names[i] for i in idx])
    frame["width"] = frame["p95"] - frame["p05"]
    r = reps.index_ranks[:, idx]
    for k in top:
        frame[f"p_top_{k}"] = (r <= k).mean(axis=0)
    lo, hi = frame["p05"].to_numpy(), frame["p95"].to_numpy()
    overlap = (lo[:, None] <= hi[None, :]) & (lo[None, :] <= hi[:, None])
    np.fill_diagonal(overlap, False)
    units = frame["unit"].to_numpy()
    frame["not_distinguishable_from"] = [";".join(units[row]) for row in overlap]
    return frame


def mean_abs_rank_shift(ranks: np.ndarray, nominal: np.ndarray) -> np.ndarray:
    """Mean over units of |rank - nominal rank| per replication (units ranked in both), (runs,).

    The JRC's scalar summary of a ranking's change (COINr's ``y_AvDiffs``).
    """
    d = np.abs(ranks - np.asarray(nominal, dtype=float)[None, :])
    ok = ~np.isnan(d)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok.any(axis=1), np.where(ok, d, 0.0).sum(axis=1) / ok.sum(axis=1), np.nan)


def _levels_arg(fw: Framework, level: int | str | Sequence[int | str] | None) -> list[int]:
    if level is None:
        return list(range(1, fw.n_levels))
    items = [level] if isinstance(level, int | str) else list(level)
    out = []
    for item in items:
        k = level_number(fw, item, 1, fw.n_levels - 1)
        if k is None:
            raise MethodError(f"unknown level {item!r} for remove-one; levels are "
                              f"{level_options(fw, 1, fw.n_levels - 1)}")
        out.append(k)
    return out


def remove_one(framework: Framework, dataset: Dataset, level: int | str | Sequence[int | str] | None = 1, *,
               edition: int | None = None, nominal: Result | None = None) -> pd.DataFrame:
    """Index score and rank shift of every unit when each node of a level is left out (given weight 0).

    Parameters
    ----------
    framework : Framework
    dataset : Dataset
    level : int, str, sequence of them, or None, default 1
        Level(s) whose nodes are removed one at a time: 1 = indicators; None = every level
        below the index. Nodes without a sibling are skipped (removing one removes its
        parent: see the parent's level).
    edition : int, optional
    nominal : Result, optional
        The nominal build, if already computed.

    Returns
    -------
    DataFrame
        Columns ``removed, level, unit, nominal_rank, rank, shift, nominal_score, score``:
        one row per removed node and unit; ``shift = rank - nominal_rank`` (positive = a
        worse place); ``score`` is the index score without the node, ``nominal_score`` the
        index score of the nominal build (the pairs the report plots, COINr issue #59).

    Notes
    -----
    Each removal is one replication of an ``exclude`` factor, evaluated vectorised: the
    node's weight is set to 0 after the weight method and the weights of its siblings are
    re-normalised (COINr ``remove_elements``; JRC audits, "effect of removing components").
    Plotting the index against the index without a component shows the information the
    component carries (Schlossarek, Syrovátka & Vencálek 2019, *Social Indicators Research*,
    doi:10.1007/s11205-019-02125-9).
    """
    fw = framework
    nominal = nominal if nominal is not None else build(fw, dataset, edition=edition)
    nom = nominal_ranks(nominal)
    nom_score = nominal.scores[-1][:, 0]
    parts = []
    for k in _levels_arg(fw, level):
        spec = UncertaintySpec.model_validate({"runs": 1, "factors": [{"exclude": {"level": k}}]})
        try:
            infos = resolve_factors(spec, fw)
        except FrameworkError:
            continue  # no node of this level has a sibling
        n = len(infos[0].codes)
        design = map_design(spec, fw, ((np.arange(n) + 0.5) / n)[:, None], factors=infos)
        reps = evaluate(fw, dataset, design, edition=edition)
        r = reps.index_ranks
        n_units = len(reps.units)
        removed = [fw.carried(c) for c in infos[0].codes]  # a pass-through node (mixed depth) stands for its node
        parts.append(pd.DataFrame({
            "removed": np.repeat(np.asarray(removed, dtype=object), n_units),
            "level": np.repeat([fw.level_of(c) for c in removed], n_units),
            "unit": np.tile(np.asarray(reps.units, dtype=object), n),
            "nominal_rank": np.tile(nom, n),
            "rank": r.reshape(-1),
            "shift": (r - nom[None, :]).reshape(-1),
            "nominal_score": np.tile(nom_score, n),
            "score": reps.index_scores.reshape(-1),
        }))
    cols = ["removed", "level", "unit", "nominal_rank", "rank", "shift", "nominal_score", "score"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    for col in ("nominal_rank", "rank", "shift"):
        out[col] = out[col].astype("Int64")
    return out


def remove_one_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per removed node: mean and maximum absolute rank shift over units (the JRC's summary)."""
    g = frame.assign(abs_shift=frame["shift"].abs().astype(float)).groupby(["removed", "level"], sort=False)
    return g["abs_shift"].agg(mean_abs_shift="mean", max_abs_shift="max").reset_index()
