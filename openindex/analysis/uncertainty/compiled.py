"""The compiled evaluation state: the indicator-level builds and per-level plans every chunk reads.

:func:`_compile` builds each distinct combination of the indicator-level alternatives once
with the real pipeline and resolves the aggregation plans and weight methods of every
level. The state is picklable: :func:`~openindex.analysis.uncertainty.evaluation.evaluate` sends it
once to each worker process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from openindex.analysis.uncertainty.design import Design
from openindex.analysis.uncertainty.factors import STEP_KINDS
from openindex.analysis.uncertainty.replicate import _positions, _set_aggregation
from openindex.analysis.uncertainty.weights import _level_factors, _LevelFactors, _method_weights
from openindex.data.dataset import Dataset
from openindex.engine.build import Plan, _plans, _weight_plans, build, resolve_node_methods
from openindex.errors import DegenerateInputError, MethodError
from openindex.methods.registry import registry_for
from openindex.model.framework import Framework, parse_framework


@dataclass(frozen=True)
class _Renormalise:
    """Columns of one combination whose goalposts / target vary per replication."""

    method: str
    params: Mapping[str, Any]
    columns: np.ndarray  # indicator positions (k,)
    context: str  # "goalposts" or "target"
    values: np.ndarray  # direction-adjusted, (runs, k, 2) or (runs, k)
    codes: tuple[str, ...]


class _Describe:
    """Names nodes, children and units in aggregation errors (picklable, unlike a closure)."""

    def __init__(self, here: Sequence[str], below: Sequence[str], units: Sequence[str]) -> None:
        self.here, self.below, self.units = tuple(here), tuple(below), tuple(units)

    def __call__(self, plan: Plan, exc: DegenerateInputError) -> str:
        kids = [self.below[c] for c in exc.columns if c < len(self.below)]
        us = [self.units[u] for u in exc.units if u < len(self.units)]
        return (f"aggregate method '{plan.method}' for {', '.join(self.here[r] for r in plan.columns)}: "
                f"{exc.message}" + (f"; children: {', '.join(kids)}" if kids else "")
                + (f"; units: {', '.join(us)}" if us else "") + (f". {exc.hint}" if exc.hint else "")
                + " (in some replications of the uncertainty analysis)")


@dataclass(frozen=True)
class _Level:
    level: int
    nominal: np.ndarray
    factors: _LevelFactors
    weight_plans: tuple[Plan, ...]
    base: np.ndarray | None  # the weight method's matrix when it does not depend on the data
    agg_key: np.ndarray  # (runs,) index into plans
    plans: tuple[tuple[Plan, ...], ...]
    below: tuple[str, ...]
    here: tuple[str, ...]
    describe: _Describe


@dataclass(frozen=True)
class _Compiled:
    units: tuple[str, ...]
    combo: np.ndarray  # (runs,) index into normalised
    normalised: np.ndarray  # (A, n_units, n_ind)
    oriented: np.ndarray | None  # (A, n_units, n_ind), when goalposts or targets vary
    renormalise: tuple[tuple[_Renormalise, ...], ...]  # per combination
    levels: tuple[_Level, ...]
    min_share: float
    keep: tuple[int, ...]
    indicator_codes: tuple[str, ...]


def _stage_framework(fw: Framework, design: Design, alts: Mapping[str, Any]) -> Framework:
    """The framework of one indicator-level combination, with a build that cannot fail after normalisation.

    Aggregation is set to the arithmetic mean and weighting to ``explicit`` (only the
    indicator-level stages are read from its build); goalposts and targets that vary are
    set to the middle of their ranges so that the methods using them can run.
    """
    data = fw.model.model_dump(mode="json", exclude_none=True)
    for step, alt in alts.items():
        data["build"][step]["method"], data["build"][step]["params"] = alt.method, dict(alt.params)
    data["build"]["aggregate"] = {"method": "arithmetic", "min_share": 0.0}
    data["build"]["weight"] = {"method": "explicit"}
    for a in data["aggregates"]:
        a.pop("aggregate", None)
    pos = _positions(fw)
    for f in design.factors:
        if f.kind == "goalposts":
            for code in f.codes:
                (a, b), (c, d) = f.spec.body[code].bounds()
                data["indicators"][pos[code][1]]["goalposts"] = [(a + b) / 2, (c + d) / 2]
        elif f.kind == "target":
            for code in f.codes:
                a, b = f.spec.body[code]
                data["indicators"][pos[code][1]]["target"] = (a + b) / 2
    return parse_framework(data, source=fw.source)


def _compile(fw: Framework, dataset: Dataset, design: Design, edition: int | None, keep: Sequence[int]) -> _Compiled:
    runs = design.runs
    codes = fw.indicator_codes
    is_q = [fw.indicators[c].type == "questionnaire" for c in codes]
    direction = np.array([fw.indicators[c].direction for c in codes], dtype=float)
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
        fw_c = _stage_framework(fw, design, alts)
        try:
            res = build(fw_c, dataset, edition=edition)
        except MethodError as exc:
            what = ", ".join(f"{s} {a.method}" for s, a in alts.items())
            raise MethodError(f"uncertainty analysis, replications with {what}: {exc}") from None
        if units is None:
            units = res.units
        normalised.append(res.stages["normalised"])
        tasks: list[_Renormalise] = []
        if varying:
            oriented.append(res.stages["treated"] * direction)
            empty = np.isnan(res.stages["treated"]).all(axis=0)
            plans = _plans("normalise", fw_c.build.normalise, codes, is_q)
            method_of = {j: p for p in plans for j in p.columns}
            for f, v in varying:
                method = "goalposts" if f.kind == "goalposts" else "distance_to_target"
                groups: dict[tuple[str, str], list[int]] = {}
                for k, code in enumerate(f.codes):
                    j = codes.index(code)
                    if method_of[j].method == method and not empty[j]:
                        groups.setdefault(method_of[j].key(), []).append(k)
                for ks in groups.values():
                    plan = method_of[codes.index(f.codes[ks[0]])]
                    cols = np.array([codes.index(f.codes[k]) for k in ks])
                    vals = v[:, ks]
                    if f.kind == "goalposts":  # direction-adjusted as in the pipeline: [-hi, -lo] for -1
                        flip = direction[cols] < 0
                        vals = vals.copy()
                        vals[:, flip] = -vals[:, flip][:, :, ::-1]
                    else:
                        vals = vals * direction[cols]
                    tasks.append(_Renormalise(plan.method, dict(plan.params), cols,
                                              "goalposts" if f.kind == "goalposts" else "target", vals,
                                              tuple(f.codes[k] for k in ks)))
        renorm.append(tuple(tasks))
    assert units is not None

    levels = []
    global_f = next(((f, v) for f, v in zip(design.factors, design.values, strict=True)
                     if f.kind == "aggregate" and f.level is None), None)
    reg = registry_for("weight")
    for level in range(2, fw.n_levels + 1):
        level_f = next(((f, v) for f, v in zip(design.factors, design.values, strict=True)
                        if f.kind == "aggregate" and f.level == level), None)
        gk = global_f[1] if global_f else np.zeros(runs, dtype=np.int64)
        lk = level_f[1] if level_f else np.zeros(runs, dtype=np.int64)
        n_l = len(level_f[0].probs) if level_f else 1
        uniq, agg_key = np.unique(gk * n_l + lk, return_inverse=True)
        level_plans: list[tuple[Plan, ...]] = []
        for key in uniq:
            data = fw.model.model_dump(mode="json", exclude_none=True)
            g_alt = global_f[0].spec.body.alternatives[int(key) // n_l] if global_f else None
            l_alt = {level: level_f[0].spec.body.alternatives[int(key) % n_l]} if level_f else {}
            if g_alt is not None or l_alt:
                _set_aggregation(data, fw, g_alt, l_alt)
                fw_key = parse_framework(data, source=fw.source)
            else:
                fw_key = fw
            level_plans.append(tuple(resolve_node_methods(fw_key, level)))
        wplans = tuple(_weight_plans(fw, level))
        data_dependent = any("x" in reg.get(p.method).context for p in wplans)
        base = None if data_dependent else _method_weights(fw, level, wplans, np.empty((0, len(fw.levels[level - 2]))))
        levels.append(_Level(level=level, nominal=fw.weights(level), factors=_level_factors(fw, design, level),
                             weight_plans=wplans, base=base, agg_key=agg_key.reshape(-1).astype(np.int64),
                             plans=tuple(level_plans), below=fw.levels[level - 2], here=fw.levels[level - 1],
                             describe=_Describe(fw.levels[level - 1], fw.levels[level - 2], units)))
    return _Compiled(units=units, combo=combo, normalised=np.stack(normalised),
                     oriented=np.stack(oriented) if oriented else None, renormalise=tuple(renorm),
                     levels=tuple(levels), min_share=fw.build.aggregate.min_share, keep=tuple(keep),
                     indicator_codes=codes)
