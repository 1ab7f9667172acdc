"""Sobol' indices of the index and the ranking, and the whole analysis at once (:func:`run_uncertainty`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from openindex.analysis import sensitivity
from openindex.analysis.uncertainty.design import Design, map_design, sample_design
from openindex.analysis.uncertainty.evaluation import Replications, evaluate
from openindex.analysis.uncertainty.factors import resolve_factors
from openindex.analysis.uncertainty.summary import (
    mean_abs_rank_shift,
    nominal_ranks,
    rank_intervals,
    rank_summary,
    remove_one,
)
from openindex.data.dataset import Dataset
from openindex.engine import build
from openindex.engine.result import Result
from openindex.errors import MethodError, OpenIndexError
from openindex.model.framework import Framework
from openindex.model.spec import UncertaintySpec

__all__ = ["sobol_index", "UncertaintyResult", "run_uncertainty"]


def sobol_index(framework: Framework, dataset: Dataset, spec: UncertaintySpec, n: int, seed: int | None = None, *,
                edition: int | None = None, num_resamples: int = 1000, conf_level: float = 0.95,
                chunk_size: int | None = None, workers: int = 1, progress: bool = False,
                nominal: Result | None = None) -> pd.DataFrame:
    """First- and total-order Sobol' indices of every factor for each unit's index score and the ranking.

    The Saltelli design of :func:`openindex.analysis.sensitivity.sample` (N (D + 2) runs, one group
    per factor) is mapped to factor values by :func:`map_design` (the Monte Carlo mapping),
    evaluated with :func:`evaluate`, and analysed with :func:`openindex.analysis.sensitivity.analyze`.

    Parameters
    ----------
    framework, dataset : the index
    spec : UncertaintySpec
    n : int
        Base points N of the design (a power of 2 is best).
    seed : int, optional
        Seed of the scrambled Sobol' sequence and of the bootstrap; default ``spec.seed``.
    num_resamples, conf_level : bootstrap settings (see :func:`openindex.analysis.sensitivity.analyze`)
    edition, chunk_size, workers, progress : as in :func:`evaluate`
    nominal : Result, optional
        The nominal build, for the rank shifts.

    Returns
    -------
    DataFrame
        Columns ``factor, target, S1, S1_conf, ST, ST_conf``; targets ``mean_abs_rank_shift``
        (the mean over units of |rank - nominal rank|, the JRC's output) then every unit code.

    References
    ----------
    Saltelli et al. (2010), *Comput. Phys. Commun.* 181:259-270; Jansen (1999); Saisana,
    Saltelli & Tarantola (2005), *JRSS A* 168(2):307-323.
    """
    seed = spec.seed if seed is None else seed
    infos = resolve_factors(spec, framework)
    if not infos:
        raise MethodError("Sobol' indices need at least one uncertain factor")
    if n < 2:
        raise MethodError(f"The Sobol' design needs at least 2 base points. Got {n} instead.")
    k = sum(f.dims for f in infos)
    skeleton = Design(spec=spec, factors=infos, u=np.zeros((0, k)), values=())
    problem = skeleton.problem()
    x = sensitivity.sample(problem, n, seed)
    design = map_design(spec, framework, x, factors=infos, seed=seed)
    reps = evaluate(framework, dataset, design, edition=edition, chunk_size=chunk_size, workers=workers,
                    progress="Sobol' runs " if progress else False)
    nominal = nominal if nominal is not None else build(framework, dataset, edition=edition)
    y = np.column_stack([mean_abs_rank_shift(reps.index_ranks, nominal_ranks(nominal)), reps.index_scores])
    s = sensitivity.analyze(problem, y, num_resamples=num_resamples, conf_level=conf_level, seed=seed)
    targets = ["mean_abs_rank_shift", *reps.units]
    d = len(s["names"])
    return pd.DataFrame({
        "factor": np.tile(np.asarray(s["names"], dtype=object), len(targets)),
        "target": np.repeat(np.asarray(targets, dtype=object), d),
        "S1": s["S1"].T.reshape(-1), "S1_conf": s["S1_conf"].T.reshape(-1),
        "ST": s["ST"].T.reshape(-1), "ST_conf": s["ST_conf"].T.reshape(-1),
    })
# --------------------------------------------------------------------------------------
# Everything at once
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UncertaintyResult:
    """Outputs of :func:`run_uncertainty` (DataFrames ready for CSV and the report).

    ``num_resamples`` and ``conf_level`` are the bootstrap settings of the Sobol' confidence
    intervals (recorded whether or not Sobol' indices were computed).
    """

    nominal: Result
    replications: Replications
    intervals: pd.DataFrame
    summary: pd.DataFrame
    remove_one: pd.DataFrame
    sensitivity: pd.DataFrame | None
    sobol_runs: int = 0
    num_resamples: int = 1000
    conf_level: float = 0.95


def run_uncertainty(framework: Framework, dataset: Dataset, spec: UncertaintySpec | None = None, *,
                    runs: int | None = None, seed: int | None = None, sobol: int | None = None,
                    edition: int | None = None, workers: int = 1, chunk_size: int | None = None,
                    progress: bool = False, keep: Literal["index", "all"] = "index",
                    remove_level: int | str | Sequence[int | str] | None = None,
                    num_resamples: int = 1000, conf_level: float = 0.95,
                    top: Sequence[int] = (1, 3, 10)) -> UncertaintyResult:
    """Nominal build, Monte Carlo rank intervals, remove-one shifts and (optionally) Sobol' indices.

    ``spec`` defaults to the framework's ``uncertainty:`` section; ``runs`` and ``seed``
    to the spec's. ``sobol`` is the number of base points N of the Sobol' design (None: no
    sensitivity analysis). ``remove_level`` None removes the nodes of every level below the
    index, one at a time. Other parameters: see :func:`evaluate` and :func:`sobol_index`.
    """
    spec = spec if spec is not None else framework.model.uncertainty
    if spec is None:
        raise OpenIndexError("no uncertain factors: add an `uncertainty:` section to the framework, or give them "
                             "in a separate file (--factors FILE.yaml)")
    nominal = build(framework, dataset, edition=edition)
    design = sample_design(spec, framework, runs, seed)
    reps = evaluate(framework, dataset, design, edition=edition, chunk_size=chunk_size, workers=workers,
                    progress=progress, keep=keep)
    sens, sobol_runs = None, 0
    if sobol:
        sens = sobol_index(framework, dataset, spec, sobol, design.seed, edition=edition,
                           num_resamples=num_resamples, conf_level=conf_level, chunk_size=chunk_size,
                           workers=workers, progress=progress, nominal=nominal)
        sobol_runs = sobol * (len(design.factors) + 2)
    return UncertaintyResult(
        nominal=nominal, replications=reps, intervals=rank_intervals(reps, nominal),
        summary=rank_summary(reps, nominal, top=top),
        remove_one=remove_one(framework, dataset, remove_level, edition=edition, nominal=nominal),
        sensitivity=sens, sobol_runs=sobol_runs, num_resamples=num_resamples, conf_level=conf_level)
