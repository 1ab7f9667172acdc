"""A replication's choices written into a framework: the plain build a replication must equal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from openindex.analysis.uncertainty.design import Design
from openindex.analysis.uncertainty.factors import STEP_KINDS
from openindex.analysis.uncertainty.weights import level_factors, method_weights, modified_weights
from openindex.data.dataset import Dataset
from openindex.engine import build, plan
from openindex.errors import MethodError
from openindex.model.framework import Framework, parse_framework
from openindex.model.spec import BuildSpec, MethodChoice

__all__ = ["replication_framework"]


def framework_positions(fw: Framework) -> dict[str, tuple[str, int]]:
    pos = {i.code: ("indicators", k) for k, i in enumerate(fw.model.indicators)}
    pos.update({a.code: ("aggregates", k) for k, a in enumerate(fw.model.aggregates)})
    return pos


def aggregation_spec(spec: BuildSpec, fw: Framework, global_alt: Any, level_alts: Mapping[int, Any]) -> BuildSpec:
    """The build spec with a replication's aggregation alternatives.

    A global alternative replaces the global method and clears the per-level choices; a
    level's alternative becomes that level's choice (by level name). Nodes' own
    ``aggregate:`` choices in the framework stay.
    """
    agg = spec.aggregate
    if global_alt is not None:
        agg = agg.model_copy(update={"method": global_alt.method, "params": dict(global_alt.params), "levels": {}})
    if level_alts:
        levels = dict(agg.levels)
        for level, alt in level_alts.items():
            levels.pop(str(level), None)
            levels[fw.level_names[level - 1]] = MethodChoice(method=alt.method, params=dict(alt.params))
        agg = agg.model_copy(update={"levels": levels})
    return spec.model_copy(update={"aggregate": agg})


def _choice_data(fw: Framework, design: Design, r: int) -> dict[str, Any]:
    """The framework as data with replication ``r``'s discrete choices, goalposts and targets."""
    data = fw.model.model_dump(mode="json", exclude_none=True)
    pos = framework_positions(fw)
    global_alt, level_alts = None, {}
    for f, v in zip(design.factors, design.values, strict=True):
        body = f.spec.body
        if f.kind in STEP_KINDS:
            alt = body.alternatives[int(v[r])]
            data["build"][f.kind]["method"], data["build"][f.kind]["params"] = alt.method, dict(alt.params)
        elif f.kind == "aggregate":
            alt = body.alternatives[int(v[r])]
            if f.level is None:
                global_alt = alt
            else:
                level_alts[f.level] = alt
        elif f.kind in ("goalposts", "target"):
            for j, code in enumerate(f.codes):
                entry = data["indicators"][pos[code][1]]
                entry[f.kind] = [float(x) for x in v[r, j]] if f.kind == "goalposts" else float(v[r, j])
    data["build"]["aggregate"] = aggregation_spec(fw.build, fw, global_alt, level_alts).aggregate.model_dump(
        mode="json", exclude_none=True)
    return data


def replication_framework(framework: Framework, design: Design, r: int, dataset: Dataset | None = None, *,
                          edition: int | None = None) -> Framework:
    """The framework whose plain build equals replication ``r`` of :func:`evaluate`.

    The replication's choices are written into the build spec: step and aggregation
    methods, goalposts and targets of the indicators, and, for every level whose weights
    vary or lose a node, the modified weights as file weights of that level's nodes with
    ``explicit`` weighting of their parents (``build.weight.overrides``).

    Parameters
    ----------
    framework : Framework
    design : Design
    r : int
        Replication index.
    dataset : Dataset, optional
        Needed only when a level whose weights vary uses a data-dependent weight method
        (``pca``): its weights are then read from a build.
    edition : int, optional

    Returns
    -------
    Framework
        Validated like any framework (``parse_framework``).
    """
    fw = framework
    data = _choice_data(fw, design, r)
    source = f"{fw.source} (replication {r})"
    fw_r = parse_framework(data, source=source)
    pos = framework_positions(fw)
    reps = np.array([r])
    for level in range(2, fw.n_levels + 1):
        lf = level_factors(fw, design, level)
        if lf.kind is None and lf.exclude is None:
            continue
        lp = plan(fw_r).level(level)
        if lp.data_weights:
            if dataset is None:
                raise MethodError(f"the weights of level {level} are data-dependent; replication_framework needs "
                                  "the dataset")
            base = build(fw_r, dataset, edition=edition).weights[level - 2]
        else:
            base = method_weights(lp, np.empty((0, len(lp.below))))
        mod, changed = modified_weights(lf, base, reps)
        if not changed[0]:
            continue
        for code, w in zip(fw.padded_levels[level - 2], mod[0].sum(axis=0), strict=True):
            if fw.above[code] in fw.pass_through:  # weight 1 inside a pass-through node (mixed depth)
                continue
            section, k = pos[fw.carried(code)]  # a pass-through carries its node's file weight
            data[section][k]["weight"] = float(w)
        overrides = data["build"]["weight"].setdefault("overrides", {})
        for parent in fw.levels[level - 1]:
            overrides[parent] = {"method": "explicit", "params": {}}
        fw_r = parse_framework(data, source=source)
    return fw_r
