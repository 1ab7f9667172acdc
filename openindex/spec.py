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

Method names are checked against the registries (:mod:`openindex.registry`), and
params against each method's signature, when the framework is loaded.
Rebuilding with one changed choice is ``spec.model_copy(update=...)`` or
:func:`openindex.framework.with_settings` for ``--set`` style paths.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "StrictModel",
    "MethodChoice",
    "StepSpec",
    "TreatSpec",
    "NormaliseSpec",
    "AggregateSpec",
    "ScreenSpec",
    "BuildSpec",
    "STEPS",
]


class StrictModel(BaseModel):
    """Base of every model read from YAML: unknown keys are errors, models are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


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


#: the construction steps that name a registered method
STEPS: tuple[str, ...] = ("denominate", "impute", "treat", "normalise", "weight", "aggregate")
