"""The compiled evaluation state: the indicator-level builds and per-level plans every chunk reads.

:func:`compile_design` runs each distinct combination of the indicator-level alternatives
once through the engine (:func:`openindex.engine.build.prepare_edition` with the
combination's :class:`~openindex.engine.plan.BuildPlan`) and resolves the aggregation plans
and weight methods of every level. The state is picklable:
:func:`~openindex.analysis.uncertainty.evaluation.evaluate` sends it once to each worker
process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from openindex.analysis.uncertainty.design import Design
from openindex.analysis.uncertainty.factors import STEP_KINDS, users_of
from openindex.analysis.uncertainty.replicate import aggregation_spec
from openindex.analysis.uncertainty.weights import LevelFactors, level_factors, method_weights
from openindex.data.dataset import Dataset
from openindex.engine import AggregationErrors, BuildPlan, Plan, plan, prepare_edition
from openindex.engine.plan import node_plans
from openindex.engine.stages import treated_values
from openindex.errors import MethodError
from openindex.model.framework import Framework


@dataclass(frozen=True)
class _Renormalise:
    """Columns of one combination whose goalposts / target vary per replication."""

    method: str
    params: Mapping[str, Any]
    columns: np.ndarray  # indicator positions (k,)
    context: str  # "goalposts" or "target"
    values: np.ndarray  # direction-adjusted, (runs, k, 2) or (runs, k)
    codes: tuple[str, ...]


@dataclass(frozen=True)
class CompiledLevel:
    level: int
    nominal: np.ndarray
    factors: LevelFactors
    weight_plans: tuple[Plan, ...]
    base: np.ndarray | None  # the weight method's matrix when it does not depend on the data
    agg_key: np.ndarray  # (runs,) index into plans
    plans: tuple[tuple[Plan, ...], ...]
    below: tuple[str, ...]
    here: tuple[str, ...]
    describe: AggregationErrors


@dataclass(frozen=True)
class Compiled:
    units: tuple[str, ...]
    combo: np.ndarray  # (runs,) index into normalised
    normalised: np.ndarray  # (A, n_units, n_ind)
    oriented: np.ndarray | None  # (A, n_units, n_ind), when goalposts or targets vary
    renormalise: tuple[tuple[_Renormalise, ...], ...]  # per combination
    levels: tuple[CompiledLevel, ...]
    min_share: float
    keep: tuple[int, ...]
    indicator_codes: tuple[str, ...]


def _stage_plan(fw: Framework, design: Design, alts: Mapping[str, Any]) -> BuildPlan:
    """The plan of one indicator-level combination: the nominal spec with the combination's step methods.

    Goalposts and targets that vary are set to the middle of their ranges so that the
    methods using them can run (each replication re-normalises with its own draw).
    """
    spec = fw.build
    update = {step: getattr(spec, step).model_copy(update={"method": alt.method, "params": dict(alt.params)})
              for step, alt in alts.items()}
    bplan = plan(fw, spec.model_copy(update=update))
    for f in design.factors:
        if f.kind == "goalposts":
            middle = {}
            for code in f.codes:
                (a, b), (c, d) = f.spec.body[code].bounds()
                middle[code] = ((a + b) / 2, (c + d) / 2)
            bplan = bplan.with_indicator_values("goalposts", middle)
        elif f.kind == "target":
            bplan = bplan.with_indicator_values(
                "target", {code: (f.spec.body[code][0] + f.spec.body[code][1]) / 2 for code in f.codes})
    return bplan


def compile_design(fw: Framework, dataset: Dataset, design: Design, edition: int | None,
                   keep: Sequence[int]) -> Compiled:
    runs = design.runs
    nominal = plan(fw)
    codes, direction = nominal.codes, nominal.direction
    edition = dataset.latest_edition if edition is None else edition
    by_kind = {f.kind: (f, v) for f, v in zip(design.factors, design.values, strict=True) if f.kind in STEP_KINDS}
    steps = [s for s in STEP_KINDS if s in by_kind]
    choice = np.stack([by_kind[s][1] for s in steps], axis=1) if steps else np.zeros((runs, 0), dtype=np.int64)
    combos, combo = np.unique(choice, axis=0, return_inverse=True)
    combo = combo.reshape(-1).astype(np.int64)
    varying = [(f, v) for f, v in zip(design.factors, design.values, strict=True) if f.kind in ("goalposts", "target")]

    normalised, oriented, renorm = [], [], []
    units: tuple[str, ...] | None = None
    for row in combos:
        alts = {s: by_kind[s][0].spec.body.alternatives[int(row[j])] for j, s in enumerate(steps)}
        bplan = _stage_plan(fw, design, alts)
        try:
            prep = prepare_edition(bplan, dataset, edition)
        except MethodError as exc:
            what = ", ".join(f"{s} {a.method}" for s, a in alts.items())
            raise MethodError(f"uncertainty analysis, replications with {what}: {exc}") from None
        if units is None:
            units = prep.data.unit_codes
        normalised.append(prep.stages.normalised)
        tasks: list[_Renormalise] = []
        if varying:
            oriented.append(prep.stages.treated * direction)
            empty = np.all(np.isnan(prep.stages.treated), axis=0)
            method_of = bplan.method_of["normalise"]
            for f, v in varying:
                users = users_of(f.kind)  # the methods that read the sampled goalposts or target
                groups: dict[tuple[str, str], list[int]] = {}
                for k, code in enumerate(f.codes):
                    j = codes.index(code)
                    if method_of[j].method in users and not empty[j]:
                        groups.setdefault(method_of[j].key(), []).append(k)
                for ks in groups.values():
                    p = method_of[codes.index(f.codes[ks[0]])]
                    cols = np.array([codes.index(f.codes[k]) for k in ks])
                    # as in the pipeline: through the indicators' treatment, then direction-adjusted
                    st = prep.stages
                    vals = treated_values(bplan, f.kind, cols, st.imputed, st.treated, st.how, raw=v[:, ks])
                    tasks.append(_Renormalise(p.method, dict(p.params), cols, f.kind, vals,
                                              tuple(f.codes[k] for k in ks)))
        renorm.append(tuple(tasks))
    assert units is not None

    levels = []
    global_f = next(((f, v) for f, v in zip(design.factors, design.values, strict=True)
                     if f.kind == "aggregate" and f.level is None), None)
    for lp in nominal.levels:
        level = lp.level
        level_f = next(((f, v) for f, v in zip(design.factors, design.values, strict=True)
                        if f.kind == "aggregate" and f.level == level), None)
        gk = global_f[1] if global_f else np.zeros(runs, dtype=np.int64)
        lk = level_f[1] if level_f else np.zeros(runs, dtype=np.int64)
        n_l = len(level_f[0].probs) if level_f else 1
        uniq, agg_key = np.unique(gk * n_l + lk, return_inverse=True)
        level_plans: list[tuple[Plan, ...]] = []
        for key in uniq:
            g_alt = global_f[0].spec.body.alternatives[int(key) // n_l] if global_f else None
            l_alt = {level: level_f[0].spec.body.alternatives[int(key) % n_l]} if level_f else {}
            spec_key = aggregation_spec(nominal.spec, fw, g_alt, l_alt)
            level_plans.append(node_plans(fw, spec_key, level))
        base = None if lp.data_weights else method_weights(lp, np.empty((0, len(lp.below))))
        levels.append(CompiledLevel(level=level, nominal=lp.nominal, factors=level_factors(fw, design, level),
                                    weight_plans=lp.weights, base=base, agg_key=agg_key.reshape(-1).astype(np.int64),
                                    plans=tuple(level_plans), below=lp.below, here=lp.here,
                                    describe=AggregationErrors(lp, units, suffix=_SUFFIX)))
    return Compiled(units=units, combo=combo, normalised=np.stack(normalised),
                    oriented=np.stack(oriented) if oriented else None, renormalise=tuple(renorm),
                    levels=tuple(levels), min_share=nominal.spec.aggregate.min_share, keep=tuple(keep),
                    indicator_codes=codes)


#: said after an aggregation error met in the vectorised evaluation
_SUFFIX = " (in some replications of the uncertainty analysis)"
