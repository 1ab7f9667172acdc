"""The build plan: every method choice of a build resolved once, before any data is touched.

:func:`plan` turns a framework and a build spec into a :class:`BuildPlan`:

* per construction step, the indicators grouped by their effective method and params
  (:class:`Plan`), with the precedence of the spec (per-indicator override, then the
  questionnaire choice for questionnaire items, then the global method);
* per aggregate level, the weight plans and the aggregation plans of its nodes (a node's
  own ``aggregate:`` or ``build.aggregate.overrides``, then the level's choice, then the
  global one), with the level's nominal weights and membership;
* the per-indicator values the planned methods need (:meth:`BuildPlan.indicator_values`),
  oriented like the data.

Everything downstream (:mod:`openindex.engine.stages`, the build, scoring against a
network, what-if and the uncertainty analysis) reads the plan; nothing else resolves a
method choice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from openindex.errors import MethodError
from openindex.methods import registry_for
from openindex.methods.registry import PIPELINE_CONTEXTS
from openindex.model.framework import Framework, Indicator, PerIndicator
from openindex.model.spec import BuildSpec, MethodChoice, StepSpec

__all__ = ["Plan", "LevelPlan", "BuildPlan", "plan", "step_plans", "INDICATOR_STEPS", "SHARED_PARAMS", "orient_array",
           "as_array"]

#: the per-indicator steps, in pipeline order (weighting and aggregation work per node)
INDICATOR_STEPS: tuple[str, ...] = ("denominate", "impute", "treat", "normalise")

#: the steps whose global ``params`` are shared with the questionnaire choice and the overrides (the output
#: range ``low``/``high`` of every normaliser), see :func:`step_plans`
SHARED_PARAMS: frozenset[str] = frozenset({"normalise"})


@dataclass(frozen=True)
class Plan:
    """A method resolved for a set of columns: name, full params (defaults filled), column positions."""

    method: str
    params: Mapping[str, Any]
    columns: tuple[int, ...]

    def key(self) -> tuple[str, str]:
        """Method and params as a hashable key (two plans with the same key run as one call)."""
        return self.method, json.dumps(dict(self.params), sort_keys=True, default=str)

    def on(self, columns: Sequence[int]) -> Plan:
        """The same method and params on other columns."""
        return Plan(self.method, self.params, tuple(int(c) for c in columns))


def step_plans(step: str, spec: StepSpec, codes: Sequence[str],
               questionnaire: Sequence[bool] | npt.NDArray[np.bool_] | None = None,
               default: MethodChoice | None = None) -> tuple[Plan, ...]:
    """Group ``codes`` by their effective method choice for ``step`` (params validated, defaults filled).

    Precedence: ``spec.overrides[code]``, then ``spec.questionnaire`` for questionnaire
    items, then ``default`` (a level's choice, for aggregation) or the global method.
    Plans come in the order of their first column.

    In the steps of :data:`SHARED_PARAMS` (normalisation), the global ``params`` also apply
    to the questionnaire choice and to the overrides, for every parameter their method
    accepts and does not set itself: ``build.normalise.params.low = 1`` gives min-max,
    goalposts, distance to target and questionnaire points alike the output range [1, 100].
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
        given = choice.params
        if step in SHARED_PARAMS and choice.method in reg:
            accepted = reg.get(choice.method).params
            given = {**{k: v for k, v in spec.params.items() if k in accepted}, **choice.params}
        params = reg.validate_params(choice.method, given)
        key = Plan(choice.method, params, ()).key()
        groups.setdefault(key, []).append(j)
        resolved[key] = (choice.method, params)
    return tuple(Plan(resolved[k][0], resolved[k][1], tuple(cols)) for k, cols in groups.items())


@dataclass(frozen=True)
class LevelPlan:
    """What an aggregate level needs: its codes, nominal weights, membership and plans.

    Attributes
    ----------
    level : int
        Level number (2 = first aggregate level).
    below, here : tuple of str
        Codes of the children (padded level - 1) and of the nodes of this level, pass-through
        nodes included (:attr:`~openindex.model.framework.Framework.padded_levels`).
    nominal : ndarray, shape (n_nodes, n_children)
        File weights (0 outside a node's children), not normalised.
    members : bool ndarray, shape (n_nodes, n_children)
    weights : tuple of Plan
        Weight plans; ``columns`` are node rows.
    aggregate : tuple of Plan
        Aggregation plans; ``columns`` are node rows.
    data_weights : bool
        Whether a weight method depends on the children's scores (``pca``).
    """

    level: int
    below: tuple[str, ...]
    here: tuple[str, ...]
    nominal: npt.NDArray[np.float64]
    members: npt.NDArray[np.bool_]
    weights: tuple[Plan, ...]
    aggregate: tuple[Plan, ...]
    data_weights: bool


@dataclass(frozen=True)
class BuildPlan:
    """A framework and a build spec with every method choice resolved (see :func:`plan`).

    Attributes
    ----------
    framework : Framework
    spec : BuildSpec
    steps : mapping of str to tuple of Plan
        Plans of the per-indicator steps (:data:`INDICATOR_STEPS`); ``columns`` are
        indicator positions.
    levels : tuple of LevelPlan
        ``levels[k]`` is level ``k + 2``.
    questionnaire : bool ndarray (n_indicators,)
        Which indicators are questionnaire items.
    direction : ndarray (n_indicators,)
        +1 (higher is better) or -1, as floats.
    given : mapping
        Per-indicator values given instead of the framework's (``given[name][code]``, raw
        units), see :meth:`with_indicator_values`.
    """

    framework: Framework
    spec: BuildSpec
    steps: Mapping[str, tuple[Plan, ...]]
    levels: tuple[LevelPlan, ...]
    questionnaire: npt.NDArray[np.bool_]
    direction: npt.NDArray[np.float64]
    given: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    _values: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def codes(self) -> tuple[str, ...]:
        """Indicator codes, in framework order (the columns of every indicator-level array)."""
        return self.framework.indicator_codes

    def level(self, level: int) -> LevelPlan:
        """The plan of aggregate level ``level`` (2 .. n_levels)."""
        return self.levels[level - 2]

    def indicator_values(self, name: str) -> npt.NDArray[np.float64]:
        """The per-indicator field ``name`` of every indicator, oriented like the data.

        Returns
        -------
        ndarray, shape (n_indicators,) or (n_indicators, 2) for an interval
            NaN where an indicator does not set it. Orientation (x -> direction * x):
            see :class:`openindex.model.framework.PerIndicator`.
        """
        if name not in self._values:
            self._values[name] = orient_array(self.raw_values(name), self.direction, self._marker(name).orient)
        return self._values[name]

    def raw_values(self, name: str) -> npt.NDArray[np.float64]:
        """The per-indicator field ``name`` of every indicator in raw units (not oriented), NaN where unset.

        Shape (n_indicators,), or (n_indicators, 2) for an interval.
        """
        return as_array([self._raw(name, c) for c in self.codes], self._marker(name).orient)

    def _marker(self, name: str) -> PerIndicator:
        marker = Indicator.per_indicator(name)
        if marker is None:
            raise MethodError(f"no indicator field '{name}' can be needed by a method; per-indicator fields: "
                              f"{', '.join(per_indicator_fields())}")
        return marker

    def _raw(self, name: str, code: str) -> Any:
        given = self.given.get(name, {})
        return given[code] if code in given else self.framework.indicators[code].needed(name)

    def with_indicator_values(self, name: str, values: Mapping[str, Any]) -> BuildPlan:
        """The same plan with the per-indicator field ``name`` of some indicators given (raw units).

        For example the middle of the goalposts ranges an uncertainty analysis samples from:
        ``bplan.with_indicator_values("goalposts", {"gdp": (0, 50_000)})``.
        """
        if Indicator.per_indicator(name) is None:
            raise MethodError(f"'{name}' is not a per-indicator field; per-indicator fields: "
                              f"{', '.join(per_indicator_fields())}")
        given = {**self.given, name: {**self.given.get(name, {}), **values}}
        return replace(self, given=given, _values={})

    def check_needs(self, step: str, plan_: Plan, columns: Sequence[int] | None = None) -> None:
        """Refuse a plan whose method needs a per-indicator value that some of its indicators lack.

        Raises
        ------
        MethodError
            Naming the method, what the framework must say, and every indicator without it.
        """
        cols = plan_.columns if columns is None else tuple(columns)
        for need in registry_for(step).get(plan_.method).needs:
            if need in PIPELINE_CONTEXTS:
                continue
            marker = Indicator.per_indicator(need)
            if marker is None:
                raise MethodError(f"{step} method '{plan_.method}' needs '{need}', which is neither a value the "
                                  f"engine provides ({', '.join(sorted(PIPELINE_CONTEXTS))}) nor a per-indicator "
                                  f"field ({', '.join(per_indicator_fields())})")
            missing = [self.codes[j] for j in cols if self._raw(need, self.codes[j]) is None]
            if missing:
                raise MethodError(f"{step} method '{plan_.method}' needs `{marker.requires}` on each indicator it "
                                  f"applies to; missing for: {', '.join(missing)}. Add it in the framework, or "
                                  f"choose another method for these indicators (build.{step}.overrides)")

    @cached_property
    def method_of(self) -> Mapping[str, tuple[Plan, ...]]:
        """Per step, the plan of every indicator position (``method_of[step][j]``)."""
        out: dict[str, tuple[Plan, ...]] = {}
        for step, plans in self.steps.items():
            by_col: dict[int, Plan] = {j: p for p in plans for j in p.columns}
            out[step] = tuple(by_col[j] for j in range(len(self.codes)))
        return out


def per_indicator_fields() -> list[str]:
    """Names of the indicator fields a method can need (marked :class:`~openindex.model.framework.PerIndicator`)."""
    return [name for name in Indicator.model_fields if Indicator.per_indicator(name) is not None]


def as_array(values: Sequence[Any], how: str) -> npt.NDArray[np.float64]:
    """Per-indicator values as floats, None as NaN: shape (n,), or (n, 2) for an ``"interval"``."""
    if how == "interval":
        return np.array([(np.nan, np.nan) if v is None else v for v in values], dtype=float).reshape(-1, 2)
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def orient_array(values: npt.NDArray[np.float64], direction: npt.NDArray[np.float64],
                 how: str) -> npt.NDArray[np.float64]:
    """Per-indicator values in raw units oriented like the data (x -> direction * x), as a new array.

    ``"value"``: ``v * d``; ``"interval"``: ``[lo, hi]`` for d = +1, ``[-hi, -lo]`` for
    d = -1; ``"none"``: as given. ``values`` has shape (..., n) or, for an ``"interval"``,
    (..., n, 2), with leading batch axes allowed; ``direction`` (n,).
    """
    out = np.array(values, dtype=float)
    if how == "interval":
        flip = direction < 0
        out[..., flip, :] = -out[..., flip, ::-1]
        return out
    return out * direction if how == "value" else out


def plan(framework: Framework, spec: BuildSpec | None = None) -> BuildPlan:
    """Resolve every method choice of a build.

    Parameters
    ----------
    framework : Framework
        The structure (and the nodes' own ``aggregate:`` choices).
    spec : BuildSpec, optional
        The method choices; default the framework file's ``build:`` section.

    Returns
    -------
    BuildPlan

    Raises
    ------
    MethodError
        An unknown method or a parameter it does not accept.
    """
    fw = framework
    spec = fw.build if spec is None else spec
    codes = fw.indicator_codes
    questionnaire, direction = fw.questionnaire_items, fw.directions
    steps = {step: step_plans(step, getattr(spec, step), codes, questionnaire) for step in INDICATOR_STEPS}
    wreg = registry_for("weight")
    levels = []
    for level in range(2, fw.n_levels + 1):
        passing = {c: MethodChoice(method="equal") for c in fw.padded_levels[level - 1] if c in fw.pass_through}
        weight_spec = spec.weight.model_copy(update={"overrides": {**spec.weight.overrides, **passing}})
        weights = step_plans("weight", weight_spec, fw.padded_levels[level - 1])
        levels.append(LevelPlan(
            level=level, below=fw.padded_levels[level - 2], here=fw.padded_levels[level - 1], nominal=fw.weights(level),
            members=fw.membership(level), weights=weights, aggregate=node_plans(fw, spec, level),
            data_weights=any("x" in wreg.get(p.method).needs for p in weights)))
    return BuildPlan(framework=fw, spec=spec, steps=steps, levels=tuple(levels), questionnaire=questionnaire,
                     direction=direction)


def node_plans(framework: Framework, spec: BuildSpec, level: int) -> tuple[Plan, ...]:
    """Aggregation plans for the nodes of ``level`` (rows of the level's weight matrix).

    Precedence: the node's own ``aggregate:`` or ``build.aggregate.overrides[code]``,
    then ``build.aggregate.levels[level name or number]``, then the global method. A
    pass-through node is always the arithmetic mean of its one child (the identity).
    """
    agg = spec.aggregate
    name = framework.level_names[level - 1]
    level_choice = agg.levels.get(name) or agg.levels.get(str(level)) or MethodChoice(
        method=agg.method, params=agg.params)
    overrides = dict(agg.overrides)
    for code in framework.padded_levels[level - 1]:
        own = (framework.aggregates.get(code) or framework.pass_through[code]).aggregate
        if own is not None:
            overrides[code] = own
    return step_plans("aggregate", agg.model_copy(update={"overrides": overrides}), framework.padded_levels[level - 1],
                      default=level_choice)
