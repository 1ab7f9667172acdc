"""Build the index of one edition, and rebuild it with changed choices.

:func:`build` runs the stages of :mod:`openindex.engine.stages` over a
:class:`~openindex.engine.plan.BuildPlan`; :func:`rebuild` builds again from a result with
some choices changed (a new spec by ``model_copy``, never a re-parse of the framework).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pydantic

from openindex.data.dataset import Dataset
from openindex.engine.plan import BuildPlan, Plan, plan
from openindex.engine.result import BuildWarning, MethodsUsed, Result, UsedMethod
from openindex.engine.stages import (
    AggregationErrors,
    IndicatorStages,
    aggregate_level,
    denominate,
    indicator_stages,
    level_weights,
    treatment_table,
)
from openindex.errors import MethodError
from openindex.methods.rank import rank_desc
from openindex.methods.registry import did_you_mean
from openindex.model.framework import Framework
from openindex.model.spec import BuildSpec

__all__ = ["build", "rebuild", "spec_with", "methods_used", "prepare_edition", "PreparedEdition", "screen_reason",
           "real_columns"]


def build(framework: Framework, dataset: Dataset, spec: BuildSpec | None = None, *,
          edition: int | None = None) -> Result:
    """Build the index of one edition.

    Parameters
    ----------
    framework : Framework
        Structure (indicators, aggregates, weights, peer groups).
    dataset : Dataset
        Validated data (may hold several editions).
    spec : BuildSpec, optional
        Method choices; default the framework file's ``build:`` section.
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

    Examples
    --------
    >>> import openindex as oi
    >>> fw = oi.read_framework("indicators/opencities.yaml")
    >>> ds = oi.read_dataset("datasets/demo_network.csv", fw)
    >>> result = oi.build(fw, ds)
    >>> zscores = oi.rebuild(result, normalise="zscore")
    """
    bplan = plan(framework, spec)
    spec = bplan.spec
    edition = dataset.latest_edition if edition is None else edition
    prep = prepare_edition(bplan, dataset, edition)
    st, codes = prep.stages, bplan.codes
    warnings = []
    constant = [codes[j] for j in range(len(codes)) if not prep.empty[j]
                and np.nanmax(st.oriented[:, j], initial=-np.inf) == np.nanmin(st.oriented[:, j], initial=np.inf)]
    if constant:
        warnings.append(BuildWarning("constant_indicators", "constant indicator(s) (no information to rank on): "
                                     + ", ".join(constant), tuple(constant)))

    # ---- weights and aggregation, level by level ---------------------------------------
    level_scores = [st.normalised]
    weights: list[np.ndarray] = []
    for lp in bplan.levels:
        w = level_weights(lp, level_scores[-1])
        level_scores.append(aggregate_level(level_scores[-1], w, lp.aggregate, min_share=spec.aggregate.min_share,
                                            member=lp.members, describe=AggregationErrors(lp, prep.data.unit_names)))
        weights.append(w)
    level_scores = real_columns(framework, level_scores)

    denominated = prep.denominated
    return Result(
        framework=framework,
        dataset=prep.data,
        edition=edition,
        stages={"raw": prep.raw, "denominated": denominated, "imputed": st.imputed, "treated": st.treated,
                "normalised": st.normalised},
        scores=tuple(level_scores),
        ranks=tuple(rank_desc(s) for s in level_scores),
        weights=tuple(weights),
        imputed=np.isnan(denominated) & ~np.isnan(st.imputed),
        treated=(st.treated != st.imputed) & ~np.isnan(st.imputed),
        treatment=treatment_table(bplan, st.imputed, st.treated, st.how, st.points),
        excluded=prep.excluded,
        excluded_indicators=prep.excluded_indicators,
        methods=methods_used(bplan),
        spec=spec,
        warnings=tuple(warnings),
        input_dataset=dataset,
    )


@dataclass(frozen=True)
class PreparedEdition:
    """The units of one edition after screening, with their indicator-level stages.

    Attributes
    ----------
    data : Dataset
        The edition's units that pass the screening.
    raw, denominated : ndarray (n_units, n_indicators)
    excluded : DataFrame
        Units screened out: ``unit, name, coverage, reason``.
    excluded_indicators : DataFrame
        Indicators without data in the edition: ``indicator, reason``.
    empty : bool ndarray (n_indicators,)
        Those indicators (their normalised columns stay missing).
    stages : IndicatorStages
        Imputed, treated, oriented and normalised values.
    """

    data: Dataset
    raw: np.ndarray
    denominated: np.ndarray
    excluded: pd.DataFrame
    excluded_indicators: pd.DataFrame
    empty: np.ndarray
    stages: IndicatorStages


def prepare_edition(bplan: BuildPlan, dataset: Dataset, edition: int) -> PreparedEdition:
    """Denominate, screen, impute, treat and normalise one edition (every step of a build before weighting).

    Units whose share of present (denominated) values is below
    ``build.screen.min_coverage`` are screened out; an indicator without data in the
    edition is left out (warning, not error). ``carry_forward`` reads the denominated
    values of the earlier editions (:meth:`Dataset.previous_values`).

    Raises
    ------
    MethodError
        The edition is not in the data, fewer than two units pass the screening, or a
        method cannot be applied.
    """
    spec, codes = bplan.spec, bplan.codes
    if edition not in dataset.editions:
        raise MethodError(f"edition {edition} is not in the data; editions: "
                          f"{', '.join(map(str, dataset.editions))}")
    data = dataset.for_edition(edition)
    raw = np.array(data.values, dtype=float)
    denominated = denominate(bplan, data)
    coverage = (~np.isnan(denominated)).mean(axis=1)
    keep = coverage >= spec.screen.min_coverage
    excluded = pd.DataFrame({
        "unit": np.asarray(data.unit_codes)[~keep],
        "name": np.asarray(data.unit_names)[~keep],
        "coverage": coverage[~keep],
        "reason": [screen_reason(c, spec) for c in coverage[~keep]],
    })
    if not keep.all():
        data = data.select_rows(keep)
        raw, denominated = raw[keep], denominated[keep]
    if data.n_units < 2:
        raise MethodError(f"only {data.n_units} unit(s) left after screening; an index needs at least two")
    empty: np.ndarray = ~np.any(~np.isnan(denominated), axis=0)
    excluded_indicators = pd.DataFrame({
        "indicator": [c for c, e in zip(codes, empty, strict=True) if e],
        "reason": [f"no data in edition {edition}" for e in empty if e],
    })

    def previous() -> np.ndarray:
        return dataset.previous_values(edition, lambda ds: denominate(bplan, ds), units=data.unit_codes)

    stages = indicator_stages(bplan, data, denominated, empty, previous=previous)
    return PreparedEdition(data, raw, denominated, excluded, excluded_indicators, empty, stages)


def real_columns(framework: Framework, level_scores: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Level arrays (..., n_units, n_padded_nodes) cut to the framework's own nodes (pass-through nodes dropped).

    The pass-through nodes of a mixed-depth tree come last in each padded level
    (:attr:`~openindex.model.framework.Framework.padded_levels`), so the real nodes are the
    first ``len(framework.levels[k])`` columns; a uniform tree is returned as it is.
    """
    return [s if s.shape[-1] == len(codes) else s[..., :len(codes)]
            for s, codes in zip(level_scores, framework.levels, strict=True)]


def screen_reason(coverage: float, spec: BuildSpec) -> str:
    """Why a unit was screened out (the ``reason`` column of ``Result.excluded``)."""
    return f"data coverage {coverage:.0%} is below build.screen.min_coverage = {spec.screen.min_coverage:.0%}"


def methods_used(bplan: BuildPlan) -> MethodsUsed:
    """The record of every method and parameter a plan applies, per indicator or node."""
    fw, codes = bplan.framework, bplan.codes

    def record(plans: Sequence[Plan], names: Sequence[str]) -> dict[str, UsedMethod]:
        return {names[j]: UsedMethod(p.method, dict(p.params)) for p in plans for j in p.columns}

    denominated = {c for c in codes if fw.indicators[c].denominator is not None}
    weight: dict[str, UsedMethod] = {}
    aggregate: dict[str, UsedMethod] = {}
    for lp in bplan.levels:
        weight.update(record(lp.weights, lp.here))
        aggregate.update(record(lp.aggregate, lp.here))
    for code in fw.pass_through:  # engine scaffolding (mixed depth), not a node of the framework
        weight.pop(code, None)
        aggregate.pop(code, None)
    return MethodsUsed(
        denominate={c: u for c, u in record(bplan.steps["denominate"], codes).items() if c in denominated},
        impute=record(bplan.steps["impute"], codes), treat=record(bplan.steps["treat"], codes),
        normalise=record(bplan.steps["normalise"], codes), weight=weight, aggregate=aggregate,
        min_coverage=bplan.spec.screen.min_coverage, min_share=bplan.spec.aggregate.min_share)


def spec_with(spec: BuildSpec, **changes: Any) -> BuildSpec:
    """A build spec with some steps replaced: ``spec_with(spec, normalise="zscore")``.

    Each change names a field of :class:`~openindex.model.spec.BuildSpec` (``denominate``,
    ``screen``, ``impute``, ``treat``, ``normalise``, ``weight``, ``aggregate``) and gives
    a method name (its default params, the step's overrides kept), a mapping such as
    ``{"method": "zscore", "params": {"mean": 50}}`` (merged into the step), or a step
    spec. The result is ``spec.model_copy(update=...)`` with each step validated; method
    names and params are checked against the registry when the spec is planned.

    Raises
    ------
    MethodError
        An unknown step or a value that is not a step spec.
    """
    fields = type(spec).model_fields
    update: dict[str, Any] = {}
    for step, value in changes.items():
        if step not in fields:
            raise MethodError(f"rebuild: there is no build step '{step}'.{did_you_mean(step, list(fields))} "
                              f"Steps: {', '.join(fields)}.")
        current = getattr(spec, step)
        if isinstance(value, str):
            value = {"method": value, "params": {}}
        if isinstance(value, Mapping):
            value = current.model_copy(update=dict(value))
        try:
            update[step] = type(current).model_validate(value.model_dump())
        except pydantic.ValidationError as exc:
            err = exc.errors()[0]
            raise MethodError(f"rebuild: {step}.{'.'.join(map(str, err['loc']))}: {err['msg']}") from None
    return spec.model_copy(update=update)


def rebuild(result: Result, *, dataset: Dataset | None = None, edition: int | None = None,
            spec: BuildSpec | None = None, **changes: Any) -> Result:
    """Build again from a result, with some choices changed.

    Parameters
    ----------
    result : Result
        A result of :func:`build`.
    dataset : Dataset, optional
        Other data (default: the dataset the result was built from, all editions).
    edition : int, optional
        Another edition (default: the result's).
    spec : BuildSpec, optional
        A whole new spec (default: the result's, with ``changes``).
    **changes
        Steps to change, as in :func:`spec_with`: ``rebuild(result, normalise="zscore",
        aggregate={"method": "geometric"})``.

    Returns
    -------
    Result
    """
    base = result.spec if spec is None else spec
    new_spec = spec_with(base, **changes) if changes else base
    data = dataset if dataset is not None else (result.input_dataset or result.dataset)
    return build(result.framework, data, new_spec, edition=result.edition if edition is None else edition)
