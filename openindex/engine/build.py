"""The pipeline: the one place where the build spec meets the registered methods.

Step order (OECD/JRC Handbook, steps 3-6)::

    raw -> denominate -> screen units -> impute -> treat outliers
        -> directions (x * direction) -> normalise -> weight -> aggregate level by level -> rank

Every step resolves, per indicator (or per node for weights and aggregation), the
method to use: the per-indicator/per-node override if any, else (aggregation only)
the per-level choice, else the global one. Indicators sharing a method and params
are processed in one call. Method errors that carry positions
(:class:`~openindex.errors.DegenerateInputError`) are re-raised with indicator
codes and unit names.

The numeric core, :func:`aggregate_tree`, takes arrays with leading batch axes
so that the uncertainty analysis can evaluate many weight sets in one call.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from openindex.data.dataset import Dataset
from openindex.engine.result import Result
from openindex.errors import DegenerateInputError, MethodError
from openindex.methods.rank import rank_desc
from openindex.methods.registry import registry_for
from openindex.methods.stats import nan_max, nan_min
from openindex.model.framework import Framework
from openindex.model.spec import MethodChoice, StepSpec

__all__ = ["build", "score_against", "aggregate_level", "aggregate_tree", "resolve_node_methods", "Plan"]


@dataclass(frozen=True)
class Plan:
    """A method resolved for a set of columns: name, full params, column positions."""

    method: str
    params: Mapping[str, Any]
    columns: tuple[int, ...]

    def key(self) -> tuple[str, str]:
        return self.method, json.dumps(dict(self.params), sort_keys=True, default=str)


def _plans(step: str, spec: StepSpec, codes: Sequence[str], questionnaire: Sequence[bool] | None = None,
           default: MethodChoice | None = None) -> list[Plan]:
    """Group ``codes`` by their effective method choice for ``step`` (params validated, defaults filled).

    Precedence: ``spec.overrides[code]``, then ``spec.questionnaire`` for questionnaire
    items, then ``default`` (a level's choice, for aggregation) or the global method.
    """
    reg = registry_for(step)
    groups: dict[tuple[str, str], list[int]] = {}
    resolved: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    for j, code in enumerate(codes):
        is_q = bool(questionnaire[j]) if questionnaire is not None else False
        if default is not None and code not in spec.overrides:
            choice = default
        else:
            choice = spec.choice_for(code, is_q)
        params = reg.validate_params(choice.method, choice.params)
        key = Plan(choice.method, params, ()).key()
        groups.setdefault(key, []).append(j)
        resolved[key] = (choice.method, params)
    return [Plan(resolved[k][0], resolved[k][1], tuple(cols)) for k, cols in groups.items()]


class _StepRunner:
    """Applies one per-indicator step, translating method errors into named ones."""

    def __init__(self, step: str, codes: Sequence[str], unit_names: Sequence[str]) -> None:
        self.step, self.codes, self.units = step, tuple(codes), tuple(unit_names)
        self.reg = registry_for(step)

    def call(self, plan: Plan, x: np.ndarray, context: Mapping[str, Callable[[np.ndarray], Any]]) -> Any:
        method = self.reg.get(plan.method)
        cols = np.asarray(plan.columns)
        kwargs = dict(plan.params)
        for name in method.context:
            if name not in context:
                if name in _optional_context(method.func):  # e.g. `reference`: only when scoring against one
                    continue
                raise MethodError(f"{self.step} method '{plan.method}' needs '{name}', which this pipeline "
                                  "cannot provide")
            kwargs[name] = context[name](cols)
        try:
            return method.func(x[..., cols], **kwargs)
        except DegenerateInputError as exc:
            raise MethodError(self.describe(exc, plan, cols)) from None

    def describe(self, exc: DegenerateInputError, plan: Plan, cols: np.ndarray) -> str:
        inds = [self.codes[cols[c]] for c in exc.columns if c < len(cols)]
        units = [self.units[u] for u in exc.units if u < len(self.units)]
        text = f"{self.step} method '{plan.method}': {exc.message}"
        if inds:
            text += f"; indicator{'s' * (len(inds) > 1)}: {', '.join(inds)}"
        if units:
            text += f"; unit{'s' * (len(units) > 1)}: {', '.join(units)}"
        return text + (f". {exc.hint}" if exc.hint else "")


# --------------------------------------------------------------------------------------
# Aggregation over the tree (batched numeric core)
# --------------------------------------------------------------------------------------


def resolve_node_methods(framework: Framework, level: int) -> list[Plan]:
    """Aggregation plans for the nodes of ``level`` (rows of the level's weight matrix).

    Precedence: the node's own ``aggregate:`` or ``build.aggregate.overrides[code]``,
    then ``build.aggregate.levels[level name or number]``, then the global method.
    """
    spec = framework.build.aggregate
    name = framework.level_names[level - 1]
    level_choice = spec.levels.get(name) or spec.levels.get(str(level)) or MethodChoice(
        method=spec.method, params=spec.params)
    overrides = dict(spec.overrides)
    for code in framework.levels[level - 1]:
        own = framework.aggregates[code].aggregate
        if own is not None:
            overrides[code] = own
    return _plans("aggregate", spec.model_copy(update={"overrides": overrides}), framework.levels[level - 1],
                  default=level_choice)


def aggregate_level(
    x: np.ndarray,
    w: np.ndarray,
    plans: Sequence[Plan],
    *,
    min_share: float = 0.0,
    member: np.ndarray | None = None,
    describe: Callable[[Plan, DegenerateInputError], str] | None = None,
) -> np.ndarray:
    """Aggregate one level: children scores -> node scores.

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_children)
        Children scores; leading batch axes allowed.
    w : ndarray, shape (..., n_nodes, n_children)
        Weights normalised within each row, 0 outside the node's children.
    plans : sequence of Plan
        Aggregation plans; ``columns`` are row positions (nodes) in ``w``.
    min_share : float
        A node whose share of present children (by count) is below this is missing.
    member : bool ndarray (n_nodes, n_children), optional
        Membership, for ``min_share``; default ``w > 0`` in any batch element.

    Returns
    -------
    ndarray, shape (..., n_units, n_nodes)
    """
    w = np.asarray(w, dtype=float)
    batch = np.broadcast_shapes(x.shape[:-2], w.shape[:-2])
    y = np.full((*batch, x.shape[-2], w.shape[-2]), np.nan)
    reg = registry_for("aggregate")
    for plan in plans:
        rows = np.asarray(plan.columns)
        try:
            y[..., rows] = reg.get(plan.method).func(x, w[..., rows, :], **plan.params)
        except DegenerateInputError as exc:
            raise MethodError(describe(plan, exc) if describe else str(exc)) from None
    if min_share > 0:
        if member is None:
            member = (w > 0).reshape(-1, *w.shape[-2:]).any(axis=0)
        present = (~np.isnan(x)).astype(float) @ member.T.astype(float)
        y = np.where(present / member.sum(axis=1) < min_share, np.nan, y)
    return y


def aggregate_tree(
    normalised: np.ndarray,
    weights: Sequence[np.ndarray],
    plans: Sequence[Sequence[Plan]],
    *,
    min_share: float = 0.0,
    members: Sequence[np.ndarray] | None = None,
) -> list[np.ndarray]:
    """Aggregate normalised indicators up the tree, level by level (see :func:`aggregate_level`).

    ``weights[k]``, ``plans[k]`` and ``members[k]`` belong to level ``k + 2``. Returns
    ``[normalised, level2, level3, ...]`` with shapes (..., n_units, n_nodes).
    """
    out = [np.asarray(normalised, dtype=float)]
    for k, (w, level_plans) in enumerate(zip(weights, plans, strict=True)):
        out.append(aggregate_level(out[-1], w, level_plans, min_share=min_share,
                                   member=None if members is None else members[k]))
    return out


# --------------------------------------------------------------------------------------
# The whole build
# --------------------------------------------------------------------------------------


def build(framework: Framework, dataset: Dataset, *, edition: int | None = None) -> Result:
    """Build the index of one edition.

    Parameters
    ----------
    framework : Framework
        Structure and build spec.
    dataset : Dataset
        Validated data (may hold several editions).
    edition : int, optional
        Which edition to build; default the latest.

    Returns
    -------
    Result
        Every stage, scores and ranks of every node, weights, flags, diagnostics.

    Raises
    ------
    MethodError
        A method cannot be applied (constant indicator for min-max, zero in a
        geometric mean, a missing group column...), naming indicators and units.
    """
    fw, spec = framework, framework.build
    edition = dataset.latest_edition if edition is None else edition
    if edition not in dataset.editions:
        raise MethodError(f"edition {edition} is not in the data; editions: "
                          f"{', '.join(map(str, dataset.editions))}")
    data = dataset.for_edition(edition)
    codes = fw.indicator_codes
    used: dict[str, Any] = {}
    warnings: list[str] = []

    # ---- denominate -------------------------------------------------------------------
    is_q = [fw.indicators[c].type == "questionnaire" for c in codes]
    has_den = [fw.indicators[c].denominator is not None for c in codes]
    den_codes = [c for c, d in zip(codes, has_den, strict=True) if d]

    def denominate(ds: Dataset) -> np.ndarray:
        return _denominate(fw, ds)

    raw = np.array(data.values, dtype=float)
    denominated = denominate(data)
    used["denominate"] = {c: v for c, v in _plans_record(_plans("denominate", spec.denominate, codes, is_q),
                                                         codes).items() if c in den_codes}

    # ---- screen -----------------------------------------------------------------------
    coverage = (~np.isnan(denominated)).mean(axis=1)
    keep = coverage >= spec.screen.min_coverage
    excluded = pd.DataFrame({
        "unit": np.asarray(data.unit_codes)[~keep],
        "name": np.asarray(data.unit_names)[~keep],
        "coverage": coverage[~keep],
        "reason": [f"data coverage {c:.0%} is below build.screen.min_coverage = {spec.screen.min_coverage:.0%}"
                   for c in coverage[~keep]],
    })
    if not keep.all():
        data = data.select_rows(keep)
        raw, denominated = raw[keep], denominated[keep]
    if data.n_units < 2:
        raise MethodError(f"only {data.n_units} unit(s) left after screening; an index needs at least two")
    used["screen"] = {"min_coverage": spec.screen.min_coverage}
    empty = ~(~np.isnan(denominated)).any(axis=0)
    excluded_indicators = pd.DataFrame({
        "indicator": [c for c, e in zip(codes, empty, strict=True) if e],
        "reason": [f"no data in edition {edition}" for e in empty if e],
    })
    units = data.unit_names

    # ---- impute, treat, directions + normalise ------------------------------------------
    def previous_values() -> np.ndarray:
        aligned = dataset.previous_values(edition, denominate)
        # rows of the units kept after screening, in their order
        row = {u: i for i, u in enumerate(dataset.for_edition(edition).unit_codes)}
        return aligned[[row[u] for u in data.unit_codes]]

    st = _indicator_stages(fw, data, denominated, empty, previous=previous_values)
    imputed, treated, oriented, normalised = st.imputed, st.treated, st.oriented, st.normalised
    imputed_flags = np.isnan(denominated) & ~np.isnan(imputed)
    used["impute"] = _plans_record(st.plans["impute"], codes)
    treated_flags = (treated != imputed) & ~np.isnan(imputed)
    used["treat"] = _plans_record(st.plans["treat"], codes)
    treatment = _treatment_table(fw, imputed, treated, st.how, st.points, st.plans["treat"])
    used["normalise"] = _plans_record(st.plans["normalise"], codes)
    constant = [codes[j] for j in range(len(codes)) if not empty[j]
                and np.nanmax(oriented[:, j], initial=-np.inf) == np.nanmin(oriented[:, j], initial=np.inf)]
    if constant:
        warnings.append(f"constant indicator(s) (no information to rank on): {', '.join(constant)}")

    # ---- weights and aggregation, level by level ---------------------------------------
    level_scores = [normalised]
    weights: list[np.ndarray] = []
    used_weight: dict[str, Any] = {}
    used_agg: dict[str, Any] = {}
    for level in range(2, fw.n_levels + 1):
        here, below = fw.levels[level - 1], fw.levels[level - 2]
        w = _weights(fw, level, level_scores[-1])
        level_plans = resolve_node_methods(fw, level)

        def describe(plan: Plan, exc: DegenerateInputError, here=here, below=below) -> str:
            kids = [below[c] for c in exc.columns if c < len(below)]
            us = [units[u] for u in exc.units if u < len(units)]
            return (f"aggregate method '{plan.method}' for {', '.join(here[r] for r in plan.columns)}: "
                    f"{exc.message}" + (f"; children: {', '.join(kids)}" if kids else "")
                    + (f"; units: {', '.join(us)}" if us else "") + (f". {exc.hint}" if exc.hint else ""))

        level_scores.append(aggregate_level(level_scores[-1], w, level_plans, min_share=spec.aggregate.min_share,
                                            member=fw.membership(level), describe=describe))
        weights.append(w)
        used_weight.update(_plans_record(_weight_plans(fw, level), here))
        used_agg.update(_plans_record(level_plans, here))
    used["weight"] = used_weight
    used["aggregate"] = {"min_share": spec.aggregate.min_share, "nodes": used_agg}

    return Result(
        framework=fw,
        dataset=data,
        edition=edition,
        stages={"raw": raw, "denominated": denominated, "imputed": imputed, "treated": treated,
                "normalised": normalised},
        scores=tuple(level_scores),
        ranks=tuple(rank_desc(s) for s in level_scores),
        weights=tuple(weights),
        imputed=imputed_flags,
        treated=treated_flags,
        treatment=treatment,
        excluded=excluded,
        excluded_indicators=excluded_indicators,
        methods=used,
        warnings=tuple(warnings),
        input_dataset=dataset,
    )


# --------------------------------------------------------------------------------------
# Scoring new units with the network held fixed (self-assessment)
# --------------------------------------------------------------------------------------


def score_against(reference: Result, new: Dataset) -> Result:
    """Score new units against a built network, holding the network fixed.

    Every step that learns from the other units takes its statistics from the network
    (the methods' ``reference`` context): imputation from the network's denominated
    values, outlier treatment from its imputed values, normalisation from its treated
    values times the directions; the weights are the network's weight matrices (so
    data-driven weights such as ``pca`` stay fixed) and aggregation is done unit by
    unit. The network's scores are not touched, and a unit whose data equal those of a
    network unit gets exactly that unit's scores (up to floating-point rounding).

    Parameters
    ----------
    reference : Result
        The network, built by :func:`build`.
    new : Dataset
        The units to score, validated against the same framework (one edition, or the
        reference's edition among several).

    Returns
    -------
    Result
        The new units only (those passing the screening), with every stage and score.
        ``ranks`` are ranks *among the network*: for each new unit separately and every
        node, 1 + the number of network units with a strictly higher score, after
        :func:`openindex.methods.rank.snap_ties` over the network and that unit (scores equal up to
        rounding noise tie); a network unit with the same unit code is left out (the new
        row replaces it). ``weights``, ``methods``, ``treatment`` and
        ``excluded_indicators`` are the network's; ``warnings`` name the indicators on
        which a new unit lies beyond the network's range of normalised scores. Peer
        statistics need the network: see :func:`openindex.selfassess.score.joined`.

    Raises
    ------
    MethodError
        An aggregation is relative (``copeland`` scores units against each other), or no
        new unit passes the screening, or a method cannot score the new values.
    """
    fw, spec = reference.framework, reference.framework.build
    codes = fw.indicator_codes
    for level in range(2, fw.n_levels + 1):
        for plan in resolve_node_methods(fw, level):
            if plan.method == "copeland":
                nodes = ", ".join(fw.levels[level - 1][r] for r in plan.columns)
                raise MethodError(f"aggregate method 'copeland' (for {nodes}) scores units by pairwise comparison "
                                  "with every other unit, so a unit cannot be scored with the network held fixed; "
                                  "use a mean (arithmetic, geometric...) to score self-assessments")
    if reference.edition in new.editions:
        data = new.for_edition(reference.edition)
    elif len(new.editions) == 1:
        data = new
    else:
        raise MethodError(f"the new data hold editions {', '.join(map(str, new.editions))}; to score them against "
                          f"edition {reference.edition} of the network, give one edition (or that one)")
    data = replace(data, units=data.units.assign(edition=reference.edition))
    denominated = _denominate(fw, data)
    coverage = (~np.isnan(denominated)).mean(axis=1)
    keep = coverage >= spec.screen.min_coverage
    excluded = pd.DataFrame({
        "unit": np.asarray(data.unit_codes)[~keep], "name": np.asarray(data.unit_names)[~keep],
        "coverage": coverage[~keep],
        "reason": [f"data coverage {c:.0%} is below build.screen.min_coverage = {spec.screen.min_coverage:.0%}"
                   for c in coverage[~keep]]})
    if not keep.any():
        raise MethodError(f"no unit to score: data coverage {', '.join(f'{c:.0%}' for c in coverage)} is below "
                          f"build.screen.min_coverage = {spec.screen.min_coverage:.0%}; answer more items")
    if not keep.all():
        data, denominated = data.select_rows(keep), denominated[keep]
    ref_den = reference.stages["denominated"]
    empty = ~(~np.isnan(ref_den)).any(axis=0)  # the network's empty indicators stay out

    def previous_values() -> np.ndarray:
        source = reference.input_dataset if reference.input_dataset is not None else reference.dataset
        return _previous_for(fw, source, reference.edition, data.unit_codes)

    st = _indicator_stages(fw, data, denominated, empty, previous=previous_values, reference=reference)
    scores = [st.normalised]
    for level in range(2, fw.n_levels + 1):
        scores.append(aggregate_level(scores[-1], reference.weights[level - 2], resolve_node_methods(fw, level),
                                      min_share=spec.aggregate.min_share, member=fw.membership(level)))
    ranks = tuple(_ranks_among(ref_s, s, reference.units, data.unit_codes)
                  for ref_s, s in zip(reference.scores, scores, strict=True))
    warnings = []
    lo, hi = nan_min(reference.scores[0], axis=0), nan_max(reference.scores[0], axis=0)
    with np.errstate(invalid="ignore"):
        beyond = ((st.normalised < lo - 1e-9 * np.abs(lo)) | (st.normalised > hi + 1e-9 * np.abs(hi))).any(axis=0)
    if beyond.any():
        warnings.append("beyond the network's range of normalised scores (bounds held fixed): "
                        + ", ".join(c for c, b in zip(codes, beyond, strict=True) if b))
    return Result(
        framework=fw, dataset=data, edition=reference.edition,
        stages={"raw": np.array(data.values, dtype=float), "denominated": denominated, "imputed": st.imputed,
                "treated": st.treated, "normalised": st.normalised},
        scores=tuple(scores), ranks=ranks, weights=reference.weights,
        imputed=np.isnan(denominated) & ~np.isnan(st.imputed),
        treated=(st.treated != st.imputed) & ~np.isnan(st.imputed),
        treatment=reference.treatment, excluded=excluded, excluded_indicators=reference.excluded_indicators,
        methods=reference.methods, warnings=tuple(warnings), input_dataset=new)


def _ranks_among(network: np.ndarray, new: np.ndarray, network_units: Sequence[str],
                 new_units: Sequence[str]) -> np.ndarray:
    """Rank of every new unit among the network (see :func:`score_against`), shape of ``new``."""
    out = np.full(new.shape, np.nan)
    codes = np.asarray(network_units, dtype=object)
    for i, unit in enumerate(new_units):
        others = network[codes != unit]
        out[i] = rank_desc(np.concatenate([others, new[i:i + 1]], axis=0))[-1]
    return out


def _previous_for(fw: Framework, dataset: Dataset, edition: int, unit_codes: Sequence[str]) -> np.ndarray:
    """Denominated values of ``unit_codes`` in the editions of ``dataset`` before ``edition`` (latest first wins)."""
    out = np.full((len(unit_codes), len(fw.indicator_codes)), np.nan)
    for e in [e for e in dataset.editions if e < edition]:  # oldest first, so later editions overwrite
        prev = dataset.for_edition(e)
        values = _denominate(fw, prev)
        pos = {u: i for i, u in enumerate(prev.unit_codes)}
        for i, u in enumerate(unit_codes):
            if u in pos:
                out[i] = np.where(np.isnan(values[pos[u]]), out[i], values[pos[u]])
    return out


# ---- step helpers ---------------------------------------------------------------------


@functools.cache
def _optional_context(func: Callable[..., Any]) -> frozenset[str]:
    """Keyword parameters of a method that have a default (optional context such as ``reference``)."""
    return frozenset(k for k, p in inspect.signature(func).parameters.items()
                     if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is not inspect.Parameter.empty)


def _denominate(fw: Framework, ds: Dataset, raw: np.ndarray | None = None) -> np.ndarray:
    """Denominated values of ``ds`` (or of ``raw``, shape (..., n_units, n_ind), with ``ds``'s denominators)."""
    codes = fw.indicator_codes
    values = np.asarray(ds.values if raw is None else raw, dtype=float)
    is_q = [fw.indicators[c].type == "questionnaire" for c in codes]
    dens = np.full(ds.values.shape, np.nan)
    for j, code in enumerate(codes):
        den = fw.indicators[code].denominator
        if den is not None:
            dens[:, j] = ds.units[den].to_numpy(dtype=float)
    runner = _StepRunner("denominate", codes, ds.unit_names)
    out = np.array(values, dtype=float)
    for plan in _plans("denominate", fw.build.denominate, codes, is_q):
        out[..., list(plan.columns)] = runner.call(plan, values, {"denominators": lambda c: dens[:, c]})
    return out


@dataclass(frozen=True)
class _Stages:
    """Indicator-level stages from the denominated values on (see :func:`_indicator_stages`)."""

    imputed: np.ndarray
    treated: np.ndarray
    oriented: np.ndarray
    normalised: np.ndarray
    how: np.ndarray
    points: np.ndarray
    plans: Mapping[str, list[Plan]]


def _indicator_stages(fw: Framework, data: Dataset, denominated: np.ndarray, empty: np.ndarray, *,
                      previous: Callable[[], np.ndarray] | None = None, reference: Result | None = None,
                      only: Sequence[int] | None = None) -> _Stages:
    """Impute, treat, orient and normalise the denominated values of ``data``'s units.

    Parameters
    ----------
    denominated : ndarray, shape (..., n_units, n_ind)
        Leading batch axes allowed (e.g. what-if variants of the same units).
    empty : bool ndarray (n_ind,)
        Indicators without data: their normalised column stays missing.
    previous : callable, optional
        Returns the units' previous-edition values (n_units, n_ind), for ``carry_forward``.
    reference : Result, optional
        Score against this network: its stages are every method's ``reference`` context.
    only : sequence of int, optional
        Compute only these columns (others come out as they went in, or missing when
        normalised). A ``regression`` imputation is always computed on all its columns.
    """
    codes = fw.indicator_codes
    spec = fw.build
    units = data.unit_names
    is_q = [fw.indicators[c].type == "questionnaire" for c in codes]
    direction = np.array([fw.indicators[c].direction for c in codes], dtype=float)
    wanted = None if only is None else set(int(j) for j in only)

    def restrict(plan: Plan, always: bool = False) -> Plan | None:
        cols = tuple(j for j in plan.columns if always or wanted is None or j in wanted)
        return Plan(plan.method, plan.params, cols) if cols else None

    ref_ctx: dict[str, np.ndarray] = {}
    if reference is not None:
        ref_ctx = {"impute": reference.stages["denominated"], "treat": reference.stages["imputed"],
                   "normalise": reference.stages["treated"] * direction}

    # ---- impute
    plans = {step: _plans(step, getattr(spec, step), codes, is_q) for step in ("impute", "treat", "normalise")}
    runner = _StepRunner("impute", codes, units)
    imputed = np.array(denominated, dtype=float)
    prev: np.ndarray | None = None
    for full in plans["impute"]:
        plan = restrict(full, always=full.method == "regression")
        if plan is None:
            continue
        ctx: dict[str, Callable[[np.ndarray], Any]] = {}
        if "group" in plan.params:
            groups, ref_groups = _group_codes_joint(data, fw, str(plan.params["group"]), plan, reference)
            ctx["groups"] = _whole(groups)
            if ref_groups is not None:
                ctx["reference_groups"] = _whole(ref_groups)
        if plan.method == "carry_forward":
            if prev is None:
                if previous is None:
                    raise MethodError("impute method 'carry_forward' needs the previous edition's values, which "
                                      "this pipeline cannot provide")
                prev = previous()
            ctx["previous"] = _columns(prev)
        if reference is not None:
            ctx["reference"] = _columns(ref_ctx["impute"])
        imputed[..., list(plan.columns)] = runner.call(plan, denominated, ctx)

    # ---- treat
    runner = _StepRunner("treat", codes, units)
    treated = imputed.copy()
    how = np.zeros(imputed.shape[:-2] + (len(codes),), dtype=int)
    points = np.zeros(imputed.shape[:-2] + (len(codes),), dtype=int)
    for full in plans["treat"]:
        plan = restrict(full)
        if plan is None:
            continue
        ctx = {} if reference is None else {"reference": _columns(ref_ctx["treat"])}
        res = runner.call(plan, imputed, ctx)
        treat_cols = list(plan.columns)
        treated[..., treat_cols] = res.x
        how[..., treat_cols], points[..., treat_cols] = res.how, res.points

    # ---- directions + normalise
    oriented = treated * direction
    runner = _StepRunner("normalise", codes, units)
    normalised = np.full(oriented.shape, np.nan)
    contexts = _normalise_context(fw, codes, direction)
    if reference is not None:
        contexts["reference"] = _columns(ref_ctx["normalise"])
    for full in plans["normalise"]:
        cols = tuple(j for j in full.columns if not empty[j] and (wanted is None or j in wanted))
        if not cols:  # indicators without data stay missing
            continue
        norm_plan = Plan(full.method, full.params, cols)
        _check_normalise_context(fw, codes, norm_plan)
        normalised[..., list(cols)] = runner.call(norm_plan, oriented, contexts)
    return _Stages(imputed, treated, oriented, normalised, how, points, plans)


def _whole(value: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """A context that is the same whatever the columns (e.g. group codes of the units)."""
    return lambda cols: value


def _columns(value: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """A context taken column by column: ``value[:, cols]``."""
    return lambda cols: value[:, cols]


def _group_codes_joint(data: Dataset, fw: Framework, group: str, plan: Plan,
                       reference: Result | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Group codes of ``data``'s units and, with a reference, of the reference's units (one coding)."""
    if reference is None:
        return _group_codes(data, fw, group, plan), None
    both = replace(data, units=pd.concat([reference.dataset.units, data.units], ignore_index=True),
                   values=np.vstack([reference.dataset.values, data.values]), answers=pd.DataFrame())
    codes = _group_codes(both, fw, group, plan)
    n_ref = reference.dataset.n_units
    return codes[n_ref:], codes[:n_ref]


def _plans_record(plans: Sequence[Plan], codes: Sequence[str]) -> dict[str, Any]:
    return {codes[j]: {"method": p.method, "params": dict(p.params)} for p in plans for j in p.columns}


def _group_codes(data: Dataset, fw: Framework, group: str, plan: Plan) -> np.ndarray:
    if not group:
        raise MethodError(f"impute method '{plan.method}' needs params.group: the attribute column that defines "
                          f"the groups (attributes: {', '.join(fw.attributes) or 'none declared'})")
    if group not in data.units.columns:
        raise MethodError(f"impute method '{plan.method}': group column '{group}' does not exist; attribute "
                          f"columns in the data: {', '.join(c for c in data.units.columns if c in fw.attributes)}")
    labels = data.units[group]
    codes, _ = pd.factorize(labels.where(labels.astype(str) != "", None), sort=True)
    return codes.astype(int)


def _normalise_context(fw: Framework, codes: Sequence[str], direction: np.ndarray
                       ) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    """Goalposts, targets and points scales, oriented like the data (x * direction)."""
    gp = np.array([fw.indicators[c].goalposts or (np.nan, np.nan) for c in codes], dtype=float)
    tg = np.array([np.nan if fw.indicators[c].target is None else fw.indicators[c].target for c in codes])
    sc = np.array([fw.indicators[c].answer_scale if fw.indicators[c].type == "questionnaire"
                   else (np.nan, np.nan) for c in codes], dtype=float)
    flip = direction < 0
    gp[flip] = -gp[flip][:, ::-1]
    sc[flip] = -sc[flip][:, ::-1]
    tg = tg * direction
    return {"goalposts": lambda c: gp[c], "target": lambda c: tg[c], "scale": lambda c: sc[c],
            "direction": lambda c: direction[c]}


_NEEDS = {"goalposts": ("goalposts", "goalposts: [lo, hi]"), "distance_to_target": ("target", "target: <value>"),
          "points": ("options", "type: questionnaire with options")}


def _check_normalise_context(fw: Framework, codes: Sequence[str], plan: Plan) -> None:
    need = _NEEDS.get(plan.method)
    if need is None:
        return
    attr, how = need
    missing = [codes[j] for j in plan.columns if getattr(fw.indicators[codes[j]], attr) is None]
    if missing:
        raise MethodError(f"normalise method '{plan.method}' needs `{how}` on each indicator it applies to; "
                          f"missing for: {', '.join(missing)}. Add it in the framework, or choose another "
                          "method for these indicators (build.normalise.overrides)")


def _weight_plans(fw: Framework, level: int) -> list[Plan]:
    spec = fw.build.weight
    return _plans("weight", spec, fw.levels[level - 1])


def _weights(fw: Framework, level: int, children_scores: np.ndarray) -> np.ndarray:
    """Normalised weight matrix (..., n_nodes, n_children) of ``level`` from its weight plans.

    ``children_scores`` (..., n_units, n_children) may carry batch axes; the weights then
    carry them too when a method depends on the data (``pca``).
    """
    plans = _weight_plans(fw, level)
    reg = registry_for("weight")
    batched = any("x" in reg.get(p.method).context for p in plans)
    return weights_from_plans(fw.weights(level), fw.membership(level), fw.levels[level - 2], fw.levels[level - 1],
                              plans, children_scores, batch=np.shape(children_scores)[:-2] if batched else ())


def weights_from_plans(nominal: np.ndarray, members: np.ndarray, below: Sequence[str], here: Sequence[str],
                       plans: Sequence[Plan], x: np.ndarray, *, batch: tuple[int, ...] = ()) -> np.ndarray:
    """Apply a level's weight plans: nominal file weights -> weights normalised within each node.

    Parameters
    ----------
    nominal : ndarray, shape (n_nodes, n_children)
        File weights (0 outside a node's children).
    members : bool ndarray, shape (n_nodes, n_children)
    below, here : sequence of str
        Codes of the children and of the nodes (for context and messages).
    plans : sequence of Plan
        Weight plans; ``columns`` are node rows.
    x : ndarray, shape (..., n_units, n_children)
        Children scores (context of data-driven methods such as ``pca``).
    batch : tuple of int
        Leading batch axes of the result.

    Returns
    -------
    ndarray, shape (*batch, n_nodes, n_children)
    """
    reg = registry_for("weight")
    out = np.zeros(tuple(batch) + nominal.shape)
    for plan in plans:
        rows = np.asarray(plan.columns)
        method = reg.get(plan.method)
        ctx = {"members": members[rows], "x": x, "codes": below}
        kwargs = {**plan.params, **{k: ctx[k] for k in method.context}}
        try:
            out[..., rows, :] = method.func(nominal[rows], **kwargs)
        except DegenerateInputError as exc:
            nodes = ", ".join(here[r] for r in rows)
            raise MethodError(f"weight method '{plan.method}' for {nodes}: {exc.message}. {exc.hint}") from None
    return out


def _treatment_table(fw: Framework, before: np.ndarray, after: np.ndarray, how: np.ndarray, points: np.ndarray,
                     plans: Sequence[Plan]) -> pd.DataFrame:
    from openindex.methods.stats import skew_kurt

    method = {}
    for p in plans:
        for j in p.columns:
            method[j] = p.method
    s0, k0 = skew_kurt(before)
    s1, k1 = skew_kurt(after)
    label = {0: "untreated", 1: "winsorised", 2: "log-transformed"}
    return pd.DataFrame({
        "indicator": list(fw.indicator_codes),
        "method": [method.get(j, "none") for j in range(len(fw.indicator_codes))],
        "treatment": [label.get(int(h), str(h)) for h in how],
        "points": np.where(how == 1, points, 0),
        "skew_before": s0, "kurtosis_before": k0, "skew_after": s1, "kurtosis_after": k1,
    })
