"""The build specification: which method each construction step uses, with its params.

The ``build:`` section of a framework YAML file is parsed into a :class:`BuildSpec`::

    build:
      denominate: {method: by_column, params: {scale: 1000}}
      screen: {min_coverage: 0.5}
      impute: {method: group_mean, params: {group: region}}
      treat: {method: winsorise}
      normalise:
        method: minmax
        params: {low: 0, high: 100}
        questionnaire: {method: points} # questionnaire items (the default)
        overrides:                      # per indicator
          tax_burden_skilled: {method: goalposts}
      weight: {method: explicit}
      aggregate:
        method: arithmetic
        levels: {Index: {method: geometric}}   # by level name or number
        overrides: {INDEX: {method: geometric}} # per aggregate node

Method names are checked against the registries (:mod:`openindex.methods.registry`), and
params against each method's signature, when the framework is loaded.
Rebuilding with one changed choice is ``spec.model_copy(update=...)`` or
:func:`openindex.model.framework.with_settings` for ``--set`` style paths.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

__all__ = [
    "Lang",
    "StrictModel",
    "MethodChoice",
    "StepSpec",
    "TreatSpec",
    "NormaliseSpec",
    "AggregateSpec",
    "ScreenSpec",
    "BuildSpec",
    "Alternative",
    "Alternatives",
    "WeightFactor",
    "ExcludeFactor",
    "GoalpostRange",
    "Factor",
    "FACTOR_KINDS",
    "UncertaintySpec",
]


#: a language code such as ``fr`` or ``pt-BR`` (the keys of every ``translations:`` mapping)
Lang = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")]


class StrictModel(BaseModel):
    """Base of every model read from YAML: unknown keys are errors, models are frozen, numbers are finite.

    A weight, target, goalpost or any other number given as ``.inf`` or ``.nan`` is refused where
    it is written (``allow_inf_nan=False``), instead of turning every score into NaN.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


class MethodChoice(StrictModel):
    """A method chosen by name, with its parameters."""

    method: str = Field(description="Registered method name (see `openindex methods`).")
    params: dict[str, Any] = Field(default_factory=dict, description="Parameters of the method.")


class StepSpec(MethodChoice):
    """A construction step: a global method, a method for questionnaire items, per-indicator overrides.

    Precedence for an indicator: its entry in ``overrides``, else ``questionnaire``
    when it is a questionnaire item and that is set, else the global ``method``.
    """

    questionnaire: MethodChoice | None = Field(
        None, description="Method for questionnaire items (unless overridden per indicator); default: the global one."
    )
    overrides: dict[str, MethodChoice] = Field(
        default_factory=dict, description="Per-indicator (or, for weight and aggregate, per-node) method overrides."
    )

    def choice_for(self, code: str, questionnaire: bool = False) -> MethodChoice:
        """The method choice that applies to one indicator (or node)."""
        if code in self.overrides:
            return self.overrides[code]
        if questionnaire and self.questionnaire is not None:
            return self.questionnaire
        return MethodChoice(method=self.method, params=self.params)


class TreatSpec(StepSpec):
    """Outlier treatment; questionnaire items (bounded answer points) are left untreated by default."""

    method: str = "none"
    questionnaire: MethodChoice | None = Field(
        default_factory=lambda: MethodChoice(method="none"),
        description="Treatment of questionnaire items (default: none; their points are bounded).",
    )


class NormaliseSpec(StepSpec):
    """Normalisation; questionnaire items are scored by their answer points by default."""

    method: str = "minmax"
    questionnaire: MethodChoice | None = Field(
        default_factory=lambda: MethodChoice(method="points"),
        description="Normalisation of questionnaire items (default: their answer points, rescaled to 0-100).",
    )


class AggregateSpec(StepSpec):
    """Aggregation: global method, per-level and per-node overrides, minimum share of children."""

    method: str = "arithmetic"
    levels: dict[str, MethodChoice] = Field(
        default_factory=dict,
        description="Per-level overrides keyed by level name or number (2 = first aggregate).",
    )
    min_share: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="Minimum share of children (by count) that must be present, else the aggregate is missing.",
    )


class ScreenSpec(StrictModel):
    """Unit screening by data coverage."""

    min_coverage: float = Field(
        0.0, ge=0.0, le=1.0, description="Units with a smaller share of present indicators are excluded."
    )


class BuildSpec(StrictModel):
    """Method of every construction step, in the order the pipeline applies them."""

    denominate: StepSpec = Field(default_factory=lambda: StepSpec(method="by_column"))
    screen: ScreenSpec = Field(default_factory=ScreenSpec)
    impute: StepSpec = Field(default_factory=lambda: StepSpec(method="none"))
    treat: TreatSpec = Field(default_factory=TreatSpec)
    normalise: NormaliseSpec = Field(default_factory=NormaliseSpec)
    weight: StepSpec = Field(default_factory=lambda: StepSpec(method="explicit"))
    aggregate: AggregateSpec = Field(default_factory=AggregateSpec)




# --------------------------------------------------------------------------------------
# The uncertainty section: which modelling choices are uncertain, and how
# --------------------------------------------------------------------------------------


class Alternative(MethodChoice):
    """One alternative of a discrete factor: a method, its params and optionally its probability ``p``."""

    p: float | None = Field(None, gt=0.0, le=1.0, description="Probability of this alternative (default: "
                            "the probability left by the others, shared equally).")


class Alternatives(StrictModel):
    """A discrete factor: alternatives of one construction step, drawn with given probabilities.

    Written as a list (``[{method: minmax}, {method: zscore}]``) or, to give ``level`` or
    ``probabilities``, as a mapping with ``alternatives:``. An alternative replaces the step's
    global ``method`` and ``params``; per-indicator overrides and the questionnaire choice
    stay as in the build spec.
    """

    level: int | str | None = Field(None, description="aggregate only: the level (number or name) whose "
                                    "method varies; default every level (the global method).")
    alternatives: list[Alternative] = Field(min_length=1)
    probabilities: list[float] | None = Field(None, description="One probability per alternative (sum 1).")

    @model_validator(mode="before")
    @classmethod
    def _list_form(cls, value: Any) -> Any:
        return {"alternatives": value} if isinstance(value, list) else value

    @model_validator(mode="after")
    def _check_probabilities(self) -> Alternatives:
        self.probs()
        return self

    def probs(self) -> tuple[float, ...]:
        """The probability of every alternative (given, or equal shares of what is left)."""
        n = len(self.alternatives)
        given = [a.p for a in self.alternatives]
        if self.probabilities is not None:
            if any(p is not None for p in given):
                raise ValueError("give probabilities either as `probabilities:` or as `p:` on the alternatives, "
                                 "not both")
            if len(self.probabilities) != n:
                raise ValueError(f"`probabilities` has {len(self.probabilities)} entries for {n} alternatives")
            ps = [float(p) for p in self.probabilities]
        else:
            fixed = sum(p for p in given if p is not None)
            free = sum(p is None for p in given)
            rest = (1.0 - fixed) / free if free else 0.0
            if free and rest <= 1e-12:
                raise ValueError(f"the given `p:` values sum to {fixed:g}, leaving nothing for the alternatives "
                                 "without one")
            ps = [rest if p is None else float(p) for p in given]
        if any(not p >= 0 for p in ps):
            raise ValueError("probabilities must be >= 0")
        if abs(sum(ps) - 1.0) > 1e-9:
            raise ValueError(f"probabilities must sum to 1; they sum to {sum(ps):g}")
        return tuple(ps)


class WeightFactor(StrictModel):
    """Uncertain weights of the nodes of one level (within their parents).

    Exactly one of: ``noise`` (w * (1 + U(-noise, noise)) on every weight of the level),
    ``dirichlet`` (weights of each parent's children ~ Dirichlet(concentration * w)), or
    ``sets`` (alternative file weights, e.g. several experts' allocations; codes a set
    leaves out keep their weight in the framework; an empty set ``{}`` is the framework's).
    ``w`` are the weights the build's weight method gives (normalised within each parent).
    """

    level: int | str = Field(description="Level whose nodes' weights vary: 1 = indicators, 2 = first aggregates.")
    noise: float | None = Field(None, ge=0.0, lt=1.0, description="Half-width f of the multiplicative noise "
                                "1 + U(-f, f).")
    dirichlet: float | None = Field(None, gt=0.0, description="Concentration c: weights ~ Dirichlet(c * w).")
    sets: list[dict[str, float]] | None = Field(None, min_length=1, description="Alternative weight sets: "
                                                "node code -> weight.")
    probabilities: list[float] | None = Field(None, description="sets only: one probability per set (sum 1).")

    @model_validator(mode="after")
    def _one_kind(self) -> WeightFactor:
        kinds = [k for k in ("noise", "dirichlet", "sets") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("give exactly one of `noise`, `dirichlet` or `sets`"
                             + (f"; got {' and '.join(kinds)}" if kinds else ""))
        if self.probabilities is not None:
            if self.sets is None:
                raise ValueError("`probabilities` go with `sets`")
            if len(self.probabilities) != len(self.sets):
                raise ValueError(f"`probabilities` has {len(self.probabilities)} entries for {len(self.sets)} sets")
            if any(not p >= 0 for p in self.probabilities) or abs(sum(self.probabilities) - 1.0) > 1e-9:
                raise ValueError("`probabilities` must be >= 0 and sum to 1")
        for s in self.sets or ():
            bad = {k: v for k, v in s.items() if not v >= 0}
            if bad:
                raise ValueError(f"weights in `sets` must be >= 0; got {bad}")
        return self

    def probs(self) -> tuple[float, ...]:
        n = len(self.sets or ())
        return tuple(self.probabilities) if self.probabilities is not None else (1.0 / n,) * n


class ExcludeFactor(StrictModel):
    """Leave one node of a level out (zero weight), chosen at random, or none with probability ``p_none``."""

    level: int | str = Field(1, description="Level of the nodes left out: 1 = indicators.")
    p_none: float = Field(0.0, ge=0.0, le=1.0, description="Probability of leaving nothing out.")
    codes: list[str] | None = Field(None, min_length=1, description="Candidates (default: every node of the "
                                    "level that has a sibling), drawn with equal probability.")


Range = tuple[float, float]


class GoalpostRange(StrictModel):
    """Uniform ranges of an indicator's goalposts (raw units); a number fixes that goalpost."""

    lo: float | Range
    hi: float | Range

    def bounds(self) -> tuple[Range, Range]:
        lo = (self.lo, self.lo) if isinstance(self.lo, int | float) else tuple(self.lo)
        hi = (self.hi, self.hi) if isinstance(self.hi, int | float) else tuple(self.hi)
        return (float(lo[0]), float(lo[1])), (float(hi[0]), float(hi[1]))

    @model_validator(mode="after")
    def _ordered(self) -> GoalpostRange:
        (a, b), (c, d) = self.bounds()
        if not (a <= b and c <= d):
            raise ValueError("ranges must be [low, high] with low <= high")
        if not b < c:
            raise ValueError(f"every lo must stay below every hi: lo up to {b:g}, hi from {c:g}")
        return self


#: the kinds of uncertain factor, as written in YAML (one per factor entry)
FACTOR_KINDS: tuple[str, ...] = ("weights", "impute", "treat", "normalise", "aggregate", "exclude", "goalposts",
                                 "target")


class Factor(StrictModel):
    """One uncertain factor: exactly one of the kinds in ``FACTOR_KINDS``, and an optional name.

    In the Sobol' analysis a factor is one group of inputs (all the weights of a level
    vary together as one factor).
    """

    name: str | None = Field(None, min_length=1, description="Name in the sensitivity table (default from "
                             "the kind, e.g. `weights:2`).")
    weights: WeightFactor | None = None
    impute: Alternatives | None = None
    treat: Alternatives | None = None
    normalise: Alternatives | None = None
    aggregate: Alternatives | None = None
    exclude: ExcludeFactor | None = None
    goalposts: dict[str, GoalpostRange] | None = Field(None, min_length=1, description="Indicator code -> "
                                                       "ranges of its goalposts.")
    target: dict[str, Range] | None = Field(None, min_length=1, description="Indicator code -> [low, high] "
                                            "range of its target (raw units).")

    @model_validator(mode="after")
    def _one_kind(self) -> Factor:
        kinds = [k for k in FACTOR_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"a factor has exactly one of {', '.join(FACTOR_KINDS)}"
                             + (f"; got {' and '.join(kinds)}" if kinds else ""))
        for code, (a, b) in (self.target or {}).items():
            if not a <= b:
                raise ValueError(f"target range of '{code}' must be [low, high] with low <= high")
        if self.kind != "aggregate" and isinstance(self.body, Alternatives) and self.body.level is not None:
            raise ValueError(f"`level` is only for aggregate alternatives, not {self.kind}")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in FACTOR_KINDS if getattr(self, k) is not None)

    @property
    def body(self) -> Any:
        return getattr(self, self.kind)

    def default_name(self) -> str:
        body = self.body
        level = getattr(body, "level", None)
        return self.kind if level is None else f"{self.kind}:{level}"


class UncertaintySpec(StrictModel):
    """The ``uncertainty:`` section: Monte Carlo runs, seed and the uncertain factors."""

    runs: int = Field(1000, ge=1, description="Monte Carlo replications.")
    seed: int = Field(1, ge=0, description="Seed of the one random generator (numpy default_rng).")
    factors: list[Factor] = Field(default_factory=list, description="The uncertain modelling choices.")
