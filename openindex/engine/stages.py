"""The stages of a build, each a function of a :class:`~openindex.engine.plan.BuildPlan` and arrays.

Step order (OECD/JRC Handbook, steps 3-6)::

    raw -> denominate -> screen units -> impute -> treat outliers
        -> directions (x * direction) -> normalise -> weight -> aggregate level by level -> rank

The functions here are the public engine that :func:`~openindex.engine.build.build`,
:func:`~openindex.engine.score.score_against`, what-if and the uncertainty analysis share:
:func:`denominate`, :func:`indicator_stages` (impute, treat, orient, normalise),
:func:`level_weights` / :func:`weights_from_plans`, :func:`aggregate_level` /
:func:`aggregate_tree`. Every array may carry leading batch axes where stated, so that
many variants of the same units run in one call. A method that meets data it cannot
handle raises :class:`~openindex.errors.DegenerateInputError` with positions; they are
turned into names once, by :func:`degenerate_message`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from openindex.data.dataset import Dataset
from openindex.engine.plan import BuildPlan, LevelPlan, Plan, orient_array
from openindex.errors import DegenerateInputError, MethodError
from openindex.methods import registry_for
from openindex.methods.registry import PIPELINE_CONTEXTS
from openindex.methods.stats import nan_max, nan_min, skew_kurt
from openindex.methods.treat import UNTREATED, map_values
from openindex.model.framework import Indicator

if TYPE_CHECKING:
    from openindex.engine.result import Result

__all__ = ["Context", "IndicatorStages", "StepRunner", "aggregate_level", "aggregate_tree", "degenerate_message",
           "denominate", "indicator_stages", "level_weights", "treatment_table", "weights_from_plans",
           "reference_stages", "treated_values"]

FloatArray = npt.NDArray[np.float64]
#: a context the engine passes to a method: a function of the plan's column positions
Context = Callable[[npt.NDArray[np.intp]], Any]


#: names listed in a message before "and N more"
NAMES_SHOWN = 5


def name_list(names: Sequence[str], limit: int = NAMES_SHOWN) -> str:
    """``"a, b, c"``, or the first ``limit`` names and ``"and N more"``: how a message lists names."""
    more = len(names) - limit
    return ", ".join(names[:limit]) + (f" and {more} more" if more > 0 else "")


def node_list(nodes: Sequence[str]) -> str:
    """The nodes a message is about: ``"econ, social"``, or ``"11 nodes (a, b, c, d, e and 6 more)"``."""
    return name_list(nodes) if len(nodes) <= NAMES_SHOWN else f"{len(nodes)} nodes ({name_list(nodes)})"


def degenerate_message(exc: DegenerateInputError, head: str, *, columns: Sequence[str] = (),
                       units: Sequence[str] = (), column_word: tuple[str, str] = ("indicator", "indicators"),
                       unit_word: tuple[str, str] = ("unit", "units"), suffix: str = "") -> str:
    """The one message of a :class:`DegenerateInputError`, its positions turned into names.

    ``"{head}: {message}; indicators: a, b; unit: X. {hint}{suffix}"``; the names are
    ``columns[exc.columns]`` and ``units[exc.units]`` (singular or plural word by count), at most
    :data:`NAMES_SHOWN` of each (:func:`name_list`). When the error names more (unit, column)
    cells than that, the message gives their count and the first ones too:
    ``"{head}: {message} in 87 cases; children: a, b, c, d, e and 48 more; units: X, ... and 35 more;
    the first 5 cases: X (a), ... {hint}"``.
    """
    cols = [columns[c] for c in exc.columns if c < len(columns)]
    us = [units[u] for u in exc.units if u < len(units)]
    cases = [f"{units[u]} ({columns[c]})" for u, c in exc.cases if u < len(units) and c < len(columns)]
    many = len(cases) > NAMES_SHOWN
    text = f"{head}: {exc.message}" + (f" in {len(cases)} cases" if many else "")
    if cols:
        text += f"; {column_word[len(cols) > 1]}: {name_list(cols)}"
    if us:
        text += f"; {unit_word[len(us) > 1]}: {name_list(us)}"
    if many:
        text += f"; the first {NAMES_SHOWN} cases: {', '.join(cases[:NAMES_SHOWN])}"
    return text + (f". {exc.hint}" if exc.hint else "") + suffix


@functools.cache
def _optional(func: Callable[..., Any]) -> frozenset[str]:
    """Keyword parameters of a method that have a default (optional needs such as ``reference``)."""
    return frozenset(k for k, p in inspect.signature(func).parameters.items()
                     if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is not inspect.Parameter.empty)


class StepRunner:
    """Applies one per-indicator step's plans, giving each method what it needs and naming its errors.

    A method's needs are filled from ``context`` (values the pipeline provides, see
    :data:`~openindex.methods.registry.PIPELINE_CONTEXTS`) or, for any other name, from
    the per-indicator field of the framework (:meth:`BuildPlan.indicator_values`).
    """

    def __init__(self, bplan: BuildPlan, step: str, unit_names: Sequence[str],
                 values: Callable[[str, npt.NDArray[np.intp]], FloatArray] | None = None) -> None:
        self.bplan, self.step, self.units = bplan, step, tuple(unit_names)
        self.reg = registry_for(step)
        #: per-indicator field and column positions -> the values a method receives (default: the plan's)
        self.values = values or (lambda name, cols: bplan.indicator_values(name)[cols])

    def call(self, plan_: Plan, x: FloatArray, context: Mapping[str, Context]) -> Any:
        """Run ``plan_`` on the columns it names of ``x`` (..., n_units, n_indicators)."""
        method = self.reg.get(plan_.method)
        cols = np.asarray(plan_.columns)
        kwargs = dict(plan_.params)
        for name in method.needs:
            if name not in PIPELINE_CONTEXTS:
                kwargs[name] = self.values(name, cols)
            elif name in context:
                kwargs[name] = context[name](cols)
            elif name not in _optional(method.func):
                raise MethodError(f"{self.step} method '{plan_.method}' needs '{name}', which this pipeline "
                                  "cannot provide")
        try:
            return method.func(x[..., cols], **kwargs)
        except DegenerateInputError as exc:
            names = [self.bplan.codes[j] for j in cols]
            raise MethodError(degenerate_message(exc, f"{self.step} method '{plan_.method}'", columns=names,
                                                 units=self.units)) from None


# --------------------------------------------------------------------------------------
# Indicator-level stages
# --------------------------------------------------------------------------------------


def denominate(bplan: BuildPlan, dataset: Dataset, raw: FloatArray | None = None) -> FloatArray:
    """Denominated values of ``dataset`` (or of ``raw``, shape (..., n_units, n_ind), with its denominators).

    Each indicator with a ``denominator`` attribute is divided by that column of the
    units' attributes, by the ``denominate`` step's method.
    """
    fw = bplan.framework
    values = np.asarray(dataset.values if raw is None else raw, dtype=float)
    dens = np.full(dataset.values.shape, np.nan)
    for j, code in enumerate(bplan.codes):
        den = fw.indicators[code].denominator
        if den is not None:
            dens[:, j] = dataset.units[den].to_numpy(dtype=float)
    runner = StepRunner(bplan, "denominate", dataset.unit_names)
    out = np.array(values, dtype=float)
    for p in bplan.steps["denominate"]:
        out[..., list(p.columns)] = runner.call(p, values, {"denominators": _columns(dens)})
    return out


@dataclass(frozen=True)
class IndicatorStages:
    """Indicator-level stages from the denominated values on (see :func:`indicator_stages`).

    ``how`` and ``points`` are the outlier treatment per indicator (0 untreated, 1
    winsorised, 2 log-transformed; points winsorised).
    """

    imputed: FloatArray
    treated: FloatArray
    oriented: FloatArray
    normalised: FloatArray
    how: npt.NDArray[np.int_]
    points: npt.NDArray[np.int_]


def reference_stages(reference: Result) -> dict[str, FloatArray]:
    """What each step learns from when scoring against a network held fixed (the methods' ``reference``).

    Imputation learns from the network's denominated values, treatment from its imputed
    values, normalisation from its treated values times the directions.
    """
    direction = reference.framework.directions
    return {"impute": reference.stages["denominated"], "treat": reference.stages["imputed"],
            "normalise": reference.stages["treated"] * direction}


def indicator_stages(bplan: BuildPlan, data: Dataset, denominated: FloatArray, empty: npt.NDArray[np.bool_], *,
                     previous: Callable[[], FloatArray] | None = None, reference: Result | None = None,
                     only: Sequence[int] | None = None) -> IndicatorStages:
    """Impute, treat, orient and normalise the denominated values of ``data``'s units.

    Parameters
    ----------
    bplan : BuildPlan
    data : Dataset
        The units (their attributes give imputation groups).
    denominated : ndarray, shape (..., n_units, n_ind)
        Leading batch axes allowed (e.g. what-if variants of the same units).
    empty : bool ndarray (n_ind,)
        Indicators without data: their normalised column stays missing.
    previous : callable, optional
        Returns the units' previous-edition values (n_units, n_ind), for ``carry_forward``.
    reference : Result, optional
        Score against this network: its stages are every method's ``reference``
        (:func:`reference_stages`).
    only : sequence of int, optional
        Compute only these columns (others come out as they went in, or missing when
        normalised). A ``regression`` imputation is always computed on all its columns.

    Returns
    -------
    IndicatorStages
    """
    units = data.unit_names
    wanted = None if only is None else {int(j) for j in only}

    def restrict(p: Plan, always: bool = False) -> Plan | None:
        cols = tuple(j for j in p.columns if always or wanted is None or j in wanted)
        return p.on(cols) if cols else None

    ref = reference_stages(reference) if reference is not None else {}

    # ---- impute
    runner = StepRunner(bplan, "impute", units)
    imputed = np.array(denominated, dtype=float)
    prev: FloatArray | None = None
    for full in bplan.steps["impute"]:
        p = restrict(full, always=full.method == "regression")
        if p is None:
            continue
        ctx: dict[str, Context] = {}
        if "group" in p.params:
            groups, ref_groups = _group_codes_joint(bplan, data, str(p.params["group"]), p, reference)
            ctx["groups"] = _whole(groups)
            if ref_groups is not None:
                ctx["reference_groups"] = _whole(ref_groups)
        if p.method == "carry_forward":
            if prev is None:
                if previous is None:
                    raise MethodError("impute method 'carry_forward' needs the previous edition's values, which "
                                      "this pipeline cannot provide")
                prev = previous()
            ctx["previous"] = _columns(prev)
        if reference is not None:
            ctx["reference"] = _columns(ref["impute"])
        imputed[..., list(p.columns)] = runner.call(p, denominated, ctx)

    # ---- treat
    runner = StepRunner(bplan, "treat", units)
    treated = imputed.copy()
    how = np.zeros(imputed.shape[:-2] + (len(bplan.codes),), dtype=int)
    points = np.zeros(imputed.shape[:-2] + (len(bplan.codes),), dtype=int)
    for full in bplan.steps["treat"]:
        p = restrict(full)
        if p is None:
            continue
        ctx = {} if reference is None else {"reference": _columns(ref["treat"])}
        res = runner.call(p, imputed, ctx)
        treat_cols = list(p.columns)
        treated[..., treat_cols] = res.x
        how[..., treat_cols], points[..., treat_cols] = res.how, res.points

    # ---- directions + normalise: goalposts, targets and scales follow each indicator's treatment
    oriented = treated * bplan.direction
    before, after = (imputed, treated) if reference is None else (ref["treat"], reference.stages["treated"])

    def values(name: str, cols: npt.NDArray[np.intp]) -> FloatArray:
        return treated_values(bplan, name, cols, before, after, how)

    runner = StepRunner(bplan, "normalise", units, values)
    normalised = np.full(oriented.shape, np.nan)
    ctx = {} if reference is None else {"reference": _columns(ref["normalise"])}
    for full in bplan.steps["normalise"]:
        cols = tuple(j for j in full.columns if not empty[j] and (wanted is None or j in wanted))
        if not cols:  # indicators without data stay missing
            continue
        p = full.on(cols)
        bplan.check_needs("normalise", p)
        normalised[..., list(cols)] = runner.call(p, oriented, ctx)
    return IndicatorStages(imputed, treated, oriented, normalised, how, points)


def treated_values(bplan: BuildPlan, name: str, cols: Sequence[int] | npt.NDArray[np.intp], before: FloatArray,
                   after: FloatArray, how: npt.NDArray[np.int_], raw: FloatArray | None = None) -> FloatArray:
    """The per-indicator field ``name`` of the indicators ``cols`` on the scale of their treated data, oriented.

    Goalposts, targets and points scales are declared in raw units, and the normalisers
    compare them with the treated data. So each value is mapped through the treatment its
    indicator received, with the same function as the data
    (:func:`openindex.methods.treat.map_values`: the log transform, or the cap that
    Winsorisation set), then oriented like the data (x -> direction * x,
    :meth:`BuildPlan.indicator_values`). A value of an untreated indicator is used as given.
    A unit whose raw value equals a goalpost or the target therefore scores exactly what
    that goalpost or target stands for, whatever the treatment. (An interval whose two
    bounds lie beyond the same Winsorisation cap, where every unit lies on one side of
    both, is kept as declared rather than collapsed to a point.)

    Parameters
    ----------
    bplan : BuildPlan
    name : str
        A per-indicator field (``goalposts``, ``target``, ``scale``...).
    cols : sequence of int
        Indicator positions (k of them).
    before, after : ndarray, shape (..., n_units, n_ind)
        The values the treatment was decided on (the imputed data, or the reference's) and
        the same values treated.
    how : int ndarray, shape (..., n_ind)
        The treatment of every indicator (:class:`openindex.methods.treat.Treated`).
    raw : ndarray, shape (..., k) or (..., k, 2), optional
        Values to use instead of the plan's, in raw units (e.g. sampled goalposts).

    Returns
    -------
    ndarray, shape (..., k) or (..., k, 2)
        With the batch axes of ``how`` (or of ``raw``) when a treatment changed the values.

    Raises
    ------
    MethodError
        A value of a log-transformed indicator at or below min - 0.01 (max - min) of its
        data, where the log transform (and so a score on its scale) is undefined.
    """
    cols = np.asarray(cols, dtype=np.intp)
    marker = Indicator.per_indicator(name)
    values = bplan.raw_values(name)[cols] if raw is None else np.asarray(raw, dtype=float)
    orient_how = "none" if marker is None else marker.orient
    treated = how[..., cols]
    if orient_how == "none" or not (treated != UNTREATED).any():
        return orient_array(values, bplan.direction[cols], orient_how)
    interval = orient_how == "interval"
    v = values
    if interval:  # (2, ..., k): each bound maps like a value, the bound axis in front of every batch axis
        v = np.moveaxis(values, -1, 0)
        pad = max(0, (treated.ndim - 1) - (v.ndim - 2))
        v = v.reshape(v.shape[:1] + (1,) * pad + v.shape[1:])
    mapped = map_values(v, before[..., cols], after[..., cols], treated)
    bad = np.isnan(mapped) & ~np.isnan(v)
    if bad.any():
        raise MethodError(_undefined_message(bplan, name, cols, v, bad, before[..., cols]))
    if interval:  # both bounds beyond the same Winsorisation cap would collapse: every unit is beyond them anyway
        mapped = np.where(~(mapped[1] > mapped[0]) & (v[1] > v[0]), v, mapped)
    return orient_array(np.moveaxis(mapped, 0, -1) if interval else mapped, bplan.direction[cols], orient_how)


def _undefined_message(bplan: BuildPlan, name: str, cols: npt.NDArray[np.intp], v: FloatArray,
                       bad: npt.NDArray[np.bool_], before: FloatArray) -> str:
    """The refusal of a goalpost or target that the log transform of its indicator cannot map."""
    k = len(cols)
    codes = [bplan.codes[cols[i]] for i in np.nonzero(bad.reshape(-1, k).any(axis=0))[0]]
    lo, hi = nan_min(before), nan_max(before)
    limit = np.broadcast_to(lo - 0.01 * (hi - lo), bad.shape)
    first = tuple(np.argwhere(bad)[0])
    code = bplan.codes[cols[first[-1]]]
    method = bplan.method_of["treat"][int(cols[first[-1]])].method
    value = np.broadcast_to(v, bad.shape)[first]
    treat = ("build.treat.overrides: {" + ", ".join(f"{c}: {{method: none}}" for c in codes) + "}"
             if len(codes) <= NAMES_SHOWN else "build.treat.overrides.<code>: {method: none} for each")
    return (f"normalise: the {name} of {name_list(codes)} cannot be put on the scale of the log-transformed data "
            f"(treat method '{method}'): the log transform log(x - min + 0.01 (max - min)) is defined only above "
            f"min - 0.01 (max - min) of the data, and {code} has {name} {value:g} <= {limit[first]:g}. Leave these "
            f"indicators untreated ({treat}; goalposts and targets already bound outliers), or declare {name} "
            "inside the log's domain")


def _whole(value: Any) -> Context:
    """A context that is the same whatever the columns (e.g. group codes of the units)."""
    return lambda cols: value


def _columns(value: FloatArray) -> Context:
    """A context taken column by column: ``value[:, cols]``."""
    return lambda cols: value[:, cols]


def _group_codes_joint(bplan: BuildPlan, data: Dataset, group: str, p: Plan,
                       reference: Result | None) -> tuple[npt.NDArray[np.int_], npt.NDArray[np.int_] | None]:
    """Group codes of ``data``'s units and, with a reference, of the reference's units (one coding)."""
    if reference is None:
        return _group_codes(bplan, data, group, p), None
    both = replace(data, units=pd.concat([reference.dataset.units, data.units], ignore_index=True),
                   values=np.vstack([reference.dataset.values, data.values]), answers=pd.DataFrame())
    codes = _group_codes(bplan, both, group, p)
    n_ref = reference.dataset.n_units
    return codes[n_ref:], codes[:n_ref]


def _group_codes(bplan: BuildPlan, data: Dataset, group: str, p: Plan) -> npt.NDArray[np.int_]:
    attributes = bplan.framework.attributes
    if not group:
        raise MethodError(f"impute method '{p.method}' needs params.group: the attribute column that defines "
                          f"the groups (attributes: {', '.join(attributes) or 'none declared'})")
    if group not in data.units.columns:
        raise MethodError(f"impute method '{p.method}': group column '{group}' does not exist; attribute "
                          f"columns in the data: {', '.join(c for c in data.units.columns if c in attributes)}")
    labels = data.units[group]
    codes, _ = pd.factorize(labels.where(labels.astype(str) != "", None), sort=True)
    return np.asarray(codes, dtype=int)


def treatment_table(bplan: BuildPlan, before: FloatArray, after: FloatArray, how: npt.NDArray[np.int_],
                    points: npt.NDArray[np.int_]) -> pd.DataFrame:
    """Per indicator: treatment method and what it did, skewness and kurtosis before and after."""
    method = {j: p.method for p in bplan.steps["treat"] for j in p.columns}
    s0, k0 = skew_kurt(before)
    s1, k1 = skew_kurt(after)
    label = {0: "untreated", 1: "winsorised", 2: "log-transformed"}
    return pd.DataFrame({
        "indicator": list(bplan.codes),
        "method": [method.get(j, "none") for j in range(len(bplan.codes))],
        "treatment": [label.get(int(h), str(h)) for h in how],
        "points": np.where(how == 1, points, 0),
        "skew_before": s0, "kurtosis_before": k0, "skew_after": s1, "kurtosis_after": k1,
    })


# --------------------------------------------------------------------------------------
# Weights and aggregation over the tree (batched numeric core)
# --------------------------------------------------------------------------------------


def level_weights(level: LevelPlan, children_scores: FloatArray) -> FloatArray:
    """Normalised weight matrix (..., n_nodes, n_children) of a level from its weight plans.

    ``children_scores`` (..., n_units, n_children) may carry batch axes; the weights then
    carry them too when a method depends on the data (``pca``).
    """
    batch = np.shape(children_scores)[:-2] if level.data_weights else ()
    return weights_from_plans(level.nominal, level.members, level.below, level.here, level.weights,
                              children_scores, batch=batch)


def weights_from_plans(nominal: FloatArray, members: npt.NDArray[np.bool_], below: Sequence[str],
                       here: Sequence[str], plans: Sequence[Plan], x: FloatArray, *,
                       batch: tuple[int, ...] = ()) -> FloatArray:
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
    for p in plans:
        rows = np.asarray(p.columns)
        method = reg.get(p.method)
        ctx = {"members": members[rows], "x": x, "codes": below}
        kwargs = {**p.params, **{k: ctx[k] for k in method.needs}}
        try:
            out[..., rows, :] = method.func(nominal[rows], **kwargs)
        except DegenerateInputError as exc:
            nodes = node_list([here[r] for r in rows])
            raise MethodError(degenerate_message(exc, f"weight method '{p.method}' for {nodes}")) from None
    return out


def aggregate_level(
    x: FloatArray,
    w: FloatArray,
    plans: Sequence[Plan],
    *,
    min_share: float = 0.0,
    member: npt.NDArray[np.bool_] | None = None,
    describe: Callable[[Plan, DegenerateInputError], str] | None = None,
) -> FloatArray:
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
    describe : callable, optional
        Names a method's :class:`DegenerateInputError` (see :class:`AggregationErrors`).

    Returns
    -------
    ndarray, shape (..., n_units, n_nodes)
    """
    w = np.asarray(w, dtype=float)
    batch = np.broadcast_shapes(x.shape[:-2], w.shape[:-2])
    y = np.full((*batch, x.shape[-2], w.shape[-2]), np.nan)
    reg = registry_for("aggregate")
    for p in plans:
        rows = np.asarray(p.columns)
        try:
            y[..., rows] = reg.get(p.method).func(x, w[..., rows, :], **p.params)
        except DegenerateInputError as exc:
            raise MethodError(describe(p, exc) if describe else str(exc)) from None
    if min_share > 0:
        members = np.any((w > 0).reshape(-1, *w.shape[-2:]), axis=0) if member is None else member
        present = (~np.isnan(x)).astype(float) @ members.T.astype(float)
        y = np.where(present / members.sum(axis=1) < min_share, np.nan, y)
    return y


class AggregationErrors:
    """Names nodes, children and units in aggregation errors (picklable, unlike a closure)."""

    def __init__(self, level: LevelPlan, units: Sequence[str], suffix: str = "") -> None:
        self.here, self.below, self.units, self.suffix = level.here, level.below, tuple(units), suffix

    def __call__(self, p: Plan, exc: DegenerateInputError) -> str:
        nodes = node_list([self.here[r] for r in p.columns])
        return degenerate_message(exc, f"aggregate method '{p.method}' for {nodes}", columns=self.below,
                                  units=self.units, column_word=("children", "children"),
                                  unit_word=("units", "units"), suffix=self.suffix)


def aggregate_tree(
    normalised: FloatArray,
    weights: Sequence[FloatArray],
    plans: Sequence[Sequence[Plan]],
    *,
    min_share: float = 0.0,
    members: Sequence[npt.NDArray[np.bool_]] | None = None,
) -> list[FloatArray]:
    """Aggregate normalised indicators up the tree, level by level (see :func:`aggregate_level`).

    ``weights[k]``, ``plans[k]`` and ``members[k]`` belong to level ``k + 2``. Returns
    ``[normalised, level2, level3, ...]`` with shapes (..., n_units, n_nodes).
    """
    out = [np.asarray(normalised, dtype=float)]
    for k, (w, level_plans) in enumerate(zip(weights, plans, strict=True)):
        out.append(aggregate_level(out[-1], w, level_plans, min_share=min_share,
                                   member=None if members is None else members[k]))
    return out
