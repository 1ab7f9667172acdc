"""The engine: plan a build, run its stages, build, score against a network, rebuild.

The public engine every other part of openindex uses (what-if, the uncertainty analysis,
self-assessment, reports, workflows)::

    from openindex.engine import build, plan, rebuild, score_against

* :func:`plan` resolves every method choice of a framework and a build spec into a
  :class:`BuildPlan` (per-step plans, per-level weight and aggregation plans, the
  per-indicator values each method needs).
* :func:`build` runs the stages over a dataset -> :class:`Result`.
* :func:`score_against` scores new units with a built network held fixed.
* :func:`rebuild` builds again with some choices changed (``spec.model_copy``).
* The stages themselves (:mod:`openindex.engine.stages`) take arrays with leading batch
  axes, for batched rebuilds.
"""

from __future__ import annotations

from openindex.engine.build import (
    PreparedEdition,
    build,
    methods_used,
    prepare_edition,
    rebuild,
    screen_reason,
    spec_with,
)
from openindex.engine.plan import INDICATOR_STEPS, BuildPlan, LevelPlan, Plan, plan, step_plans
from openindex.engine.result import STAGES, BuildWarning, MethodsUsed, Result, UsedMethod
from openindex.engine.score import ranks_among, score_against
from openindex.engine.stages import (
    AggregationErrors,
    IndicatorStages,
    StepRunner,
    aggregate_level,
    aggregate_tree,
    degenerate_message,
    denominate,
    indicator_stages,
    level_weights,
    reference_stages,
    treatment_table,
    weights_from_plans,
)

__all__ = [
    "INDICATOR_STEPS",
    "STAGES",
    "AggregationErrors",
    "BuildPlan",
    "BuildWarning",
    "IndicatorStages",
    "LevelPlan",
    "MethodsUsed",
    "Plan",
    "PreparedEdition",
    "Result",
    "StepRunner",
    "UsedMethod",
    "aggregate_level",
    "aggregate_tree",
    "build",
    "degenerate_message",
    "denominate",
    "indicator_stages",
    "level_weights",
    "methods_used",
    "plan",
    "prepare_edition",
    "ranks_among",
    "rebuild",
    "reference_stages",
    "score_against",
    "screen_reason",
    "spec_with",
    "step_plans",
    "treatment_table",
    "weights_from_plans",
]
