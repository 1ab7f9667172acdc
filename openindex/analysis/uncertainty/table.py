"""Every replication as a row a researcher can read: its factor values beside its scores and ranks.

:func:`factor_frame` turns a :class:`~openindex.analysis.uncertainty.design.Design` into
one row per replication, with the factor values in their own units (a method name, a
weight, a goalpost); :func:`replication_table` puts them beside every unit's index score
and rank (and the lower levels' when they were kept): the ``replications.parquet`` of
``openindex uncertainty --keep-replications``, so that what each run did can be checked
(COINr issues #31 and #60).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from openindex.analysis.uncertainty.design import Design
from openindex.analysis.uncertainty.evaluation import Replications
from openindex.analysis.uncertainty.factors import STEP_KINDS, FactorInfo
from openindex.analysis.uncertainty.weights import level_factors, method_weights, modified_weights
from openindex.engine import plan
from openindex.methods.weight import explicit
from openindex.model.framework import Framework

__all__ = ["RESERVED_COLUMNS", "factor_frame", "replication_table"]

#: the columns of :func:`replication_table` that are not factor values
RESERVED_COLUMNS: tuple[str, ...] = ("replication", "unit", "score", "rank")

#: replications whose weight matrices are computed at once
_BLOCK = 4096


def _used_weights(framework: Framework, design: Design, f: FactorInfo) -> np.ndarray | None:
    """Weight of each node of ``f`` within its parent in every replication, (runs, n_nodes); None if data-dependent.

    As in the evaluation: the weight method's matrix, modified by the level's factors (the
    draw and a node left out), re-normalised within each parent (``explicit``).
    """
    assert f.level is not None
    level = f.level + 1  # the weight matrix of the parents' level
    lp = plan(framework).level(level)
    if lp.data_weights:
        return None
    base = method_weights(lp, np.empty((0, len(lp.below))))
    lf = level_factors(framework, design, level)
    order = [lp.below.index(c) for c in f.codes]
    out = np.empty((design.runs, len(order)))
    for lo in range(0, design.runs, _BLOCK):
        reps = np.arange(lo, min(lo + _BLOCK, design.runs))
        mod, _ = modified_weights(lf, base, reps)
        out[reps] = explicit(np.ascontiguousarray(mod)).sum(axis=-2)[:, order]  # one parent per node
    return out


def _factor_columns(design: Design, framework: Framework, f: FactorInfo, v: np.ndarray) -> dict[str, np.ndarray]:
    """The columns of one factor in :func:`factor_frame`, by name."""
    cols: dict[str, np.ndarray] = {}
    body = f.spec.body
    if f.kind in (*STEP_KINDS, "aggregate"):
        alts = body.alternatives
        cols[f.name] = np.array([alts[int(i)].method for i in v], dtype=object)
        if any(a.params for a in alts):
            text = [json.dumps(dict(a.params), sort_keys=True) for a in alts]
            cols[f"{f.name}:params"] = np.array([text[int(i)] for i in v], dtype=object)
    elif f.kind == "weights" and body.sets is not None:
        cols[f.name] = np.asarray(v, dtype=np.int64) + 1
    elif f.kind == "weights":
        used = _used_weights(framework, design, f)
        draw = "multiplier" if body.noise is not None else "u"
        for j, code in enumerate(f.codes):
            if used is not None:
                cols[f"{f.name}:{code}"] = used[:, j]
            else:
                cols[f"{f.name}:{code}:{draw}"] = np.asarray(v[:, j], dtype=float)
    elif f.kind == "exclude":
        codes = np.array([*f.codes, None], dtype=object)  # index -1: none left out
        cols[f.name] = codes[np.asarray(v, dtype=np.int64)]
    elif f.kind == "goalposts":
        for j, code in enumerate(f.codes):
            cols[f"{f.name}:{code}:low"] = np.asarray(v[:, j, 0], dtype=float)
            cols[f"{f.name}:{code}:high"] = np.asarray(v[:, j, 1], dtype=float)
    else:  # target
        for j, code in enumerate(f.codes):
            cols[f"{f.name}:{code}"] = np.asarray(v[:, j], dtype=float)
    return cols


def factor_frame(design: Design, framework: Framework) -> pd.DataFrame:
    """The factor values of every replication, one row per replication, one column per value.

    Parameters
    ----------
    design : Design
        From :func:`~openindex.analysis.uncertainty.design.sample_design` (or the Sobol' design).
    framework : Framework
        The framework the design was drawn for (for the weights a replication used).

    Returns
    -------
    DataFrame
        ``runs`` rows; columns named after each factor (``name`` below), in the order of
        the factors:

        - ``impute`` / ``treat`` / ``normalise`` / ``aggregate``: ``name``, the method of
          the alternative drawn; ``name:params``, its parameters as JSON, when some
          alternative of the factor has parameters;
        - ``weights`` with ``sets``: ``name``, the number of the set drawn (1 = first);
        - ``weights`` with ``noise`` or ``dirichlet``: ``name:CODE`` per node, the node's
          weight within its parent in the replication (after the draw, a node left out
          and re-normalisation). When the level's weight method depends on the data
          (``pca``) the weights are not known before the build, and the columns hold the
          draws instead: ``name:CODE:multiplier`` (1 + U(-f, f)) or ``name:CODE:u`` (the
          uniform whose Gamma(c w) quantile is the Dirichlet component);
        - ``exclude``: ``name``, the code of the node left out, or missing when none;
        - ``goalposts``: ``name:CODE:low`` and ``name:CODE:high`` (raw units);
        - ``target``: ``name:CODE`` (raw units).

    Notes
    -----
    The values are those the evaluation used;
    :func:`~openindex.analysis.uncertainty.replicate.replication_framework` rebuilds any
    replication from the same design.
    """
    cols: dict[str, np.ndarray] = {}
    for f, v in zip(design.factors, design.values, strict=True):
        cols.update(_factor_columns(design, framework, f, v))
    return pd.DataFrame(cols, index=pd.RangeIndex(design.runs))


def replication_table(reps: Replications, framework: Framework) -> pd.DataFrame:
    """Every replication's index score and rank for every unit, beside the replication's factor values.

    Parameters
    ----------
    reps : Replications
        From :func:`~openindex.analysis.uncertainty.evaluation.evaluate`.
    framework : Framework
        The framework evaluated.

    Returns
    -------
    DataFrame
        One row per replication and unit (replication-major, units in the build's order),
        columns ``replication`` (0-based), ``unit``, ``score`` and ``rank`` (the index;
        1 = best, missing when the unit has no score), the columns of :func:`factor_frame`
        (each replication's values repeated on its units' rows), then, when lower levels
        were kept (``keep="all"``), ``score:CODE`` and ``rank:CODE`` for every aggregate
        below the index, from the top down. A factor whose name is one of
        :data:`RESERVED_COLUMNS` or starts with ``score:`` or ``rank:`` has its columns
        prefixed with ``factor:``.

    Examples
    --------
    With pandas: ``t.groupby("normalise")["rank"].median()``; with DuckDB:
    ``SELECT replication, rank, normalise FROM 'replications.parquet' WHERE unit = 'AVL'``.
    """
    runs, n_units = reps.runs, len(reps.units)
    out: dict[str, np.ndarray] = {
        "replication": np.repeat(np.arange(runs, dtype=np.int64), n_units),
        "unit": np.tile(np.asarray(reps.units, dtype=object), runs),
        "score": reps.index_scores.reshape(-1),
        "rank": reps.index_ranks.reshape(-1),
    }
    for f, v in zip(reps.design.factors, reps.design.values, strict=True):
        prefix = "factor:" if f.name in RESERVED_COLUMNS or f.name.startswith(("score:", "rank:")) else ""
        for col, values in _factor_columns(reps.design, framework, f, v).items():
            out[prefix + col] = np.repeat(values, n_units)
    for level, codes, s, r in sorted(zip(reps.levels, reps.codes, reps.scores, reps.ranks, strict=True),
                                     key=lambda t: -t[0]):
        if level == framework.n_levels:
            continue
        for j, code in enumerate(codes):
            out[f"score:{code}"] = s[:, :, j].reshape(-1)
            out[f"rank:{code}"] = r[:, :, j].reshape(-1)
    return pd.DataFrame(out)
