"""Scoring new units against a built network held fixed (self-assessment, what-if in fixed mode)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from openindex.data.dataset import Dataset
from openindex.engine.build import real_columns, screen_reason
from openindex.engine.plan import plan
from openindex.engine.result import BuildWarning, Result
from openindex.engine.stages import aggregate_level, denominate, indicator_stages
from openindex.errors import MethodError
from openindex.methods.aggregate import RELATIVE
from openindex.methods.rank import rank_desc
from openindex.methods.stats import nan_max, nan_min

__all__ = ["score_against", "ranks_among"]


def score_against(reference: Result, new: Dataset) -> Result:
    """Score new units against a built network, holding the network fixed.

    Every step that learns from the other units takes its statistics from the network
    (the methods' ``reference``, :func:`openindex.engine.stages.reference_stages`):
    imputation from the network's denominated values, outlier treatment from its imputed
    values, normalisation from its treated values times the directions; the weights are
    the network's weight matrices (so data-driven weights such as ``pca`` stay fixed) and
    aggregation is done unit by unit. The network's scores are not touched, and a unit
    whose data equal those of a network unit gets exactly that unit's scores (up to
    floating-point rounding). The build spec is the network's (``reference.spec``).

    Parameters
    ----------
    reference : Result
        The network, built by :func:`openindex.engine.build.build`.
    new : Dataset
        The units to score, validated against the same framework (one edition, or the
        reference's edition among several).

    Returns
    -------
    Result
        The new units only (those passing the screening), with every stage and score.
        ``ranks`` are ranks *among the network* (:func:`ranks_among`). ``weights``,
        ``methods``, ``spec``, ``treatment`` and ``excluded_indicators`` are the
        network's; ``warnings`` has a ``beyond_network`` record naming the indicators on
        which a new unit lies beyond the network's range of normalised scores. Peer
        statistics need the network: see :func:`openindex.engine.join.join_results`.

    Raises
    ------
    MethodError
        An aggregation is relative (``copeland``, ``bod``: units scored against each other), or no
        new unit passes the screening, or a method cannot score the new values.
    """
    fw, spec = reference.framework, reference.spec
    bplan = plan(fw, spec)
    codes = bplan.codes
    for lp in bplan.levels:
        for p in lp.aggregate:
            if p.method in RELATIVE:
                nodes = ", ".join(lp.here[r] for r in p.columns)
                how = ("scores units by pairwise comparison with every other unit" if p.method == "copeland" else
                       "scores each unit against the best of the other units")
                raise MethodError(f"aggregate method '{p.method}' (for {nodes}) {how}, so a unit cannot be scored "
                                  "with the network held fixed; use a mean (arithmetic, geometric...) to score "
                                  "self-assessments")
    if reference.edition in new.editions:
        data = new.for_edition(reference.edition)
    elif len(new.editions) == 1:
        data = new
    else:
        raise MethodError(f"the new data hold editions {', '.join(map(str, new.editions))}; to score them against "
                          f"edition {reference.edition} of the network, give one edition (or that one)")
    data = replace(data, units=data.units.assign(edition=reference.edition))
    denominated = denominate(bplan, data)
    coverage = (~np.isnan(denominated)).mean(axis=1)
    keep = coverage >= spec.screen.min_coverage
    excluded = pd.DataFrame({
        "unit": np.asarray(data.unit_codes)[~keep], "name": np.asarray(data.unit_names)[~keep],
        "coverage": coverage[~keep], "reason": [screen_reason(c, spec) for c in coverage[~keep]]})
    if not keep.any():
        raise MethodError(f"no unit to score: data coverage {', '.join(f'{c:.0%}' for c in coverage)} is below "
                          f"build.screen.min_coverage = {spec.screen.min_coverage:.0%}; answer more items")
    if not keep.all():
        data, denominated = data.select_rows(keep), denominated[keep]
    empty = ~(~np.isnan(reference.stages["denominated"])).any(axis=0)  # the network's empty indicators stay out

    def previous() -> np.ndarray:
        source = reference.input_dataset if reference.input_dataset is not None else reference.dataset
        return source.previous_values(reference.edition, lambda ds: denominate(bplan, ds), units=data.unit_codes)

    st = indicator_stages(bplan, data, denominated, empty, previous=previous, reference=reference)
    scores = [st.normalised]
    for lp in bplan.levels:
        scores.append(aggregate_level(scores[-1], reference.weights[lp.level - 2], lp.aggregate,
                                      min_share=spec.aggregate.min_share, member=lp.members))
    scores = real_columns(fw, scores)
    ranks = tuple(ranks_among(ref_s, s, reference.units, data.unit_codes)
                  for ref_s, s in zip(reference.scores, scores, strict=True))
    warnings = []
    lo, hi = nan_min(reference.scores[0], axis=0), nan_max(reference.scores[0], axis=0)
    with np.errstate(invalid="ignore"):
        beyond = ((st.normalised < lo - 1e-9 * np.abs(lo)) | (st.normalised > hi + 1e-9 * np.abs(hi))).any(axis=0)
    if beyond.any():
        names = tuple(c for c, b in zip(codes, beyond, strict=True) if b)
        warnings.append(BuildWarning("beyond_network", "beyond the network's range of normalised scores "
                                     "(bounds held fixed): " + ", ".join(names), names))
    return Result(
        framework=fw, dataset=data, edition=reference.edition,
        stages={"raw": np.array(data.values, dtype=float), "denominated": denominated, "imputed": st.imputed,
                "treated": st.treated, "normalised": st.normalised},
        scores=tuple(scores), ranks=ranks, weights=reference.weights,
        imputed=np.isnan(denominated) & ~np.isnan(st.imputed),
        treated=(st.treated != st.imputed) & ~np.isnan(st.imputed),
        treatment=reference.treatment, excluded=excluded, excluded_indicators=reference.excluded_indicators,
        methods=reference.methods, spec=spec, warnings=tuple(warnings), input_dataset=new)


def ranks_among(network: np.ndarray, new: np.ndarray, network_units: Sequence[str],
                new_units: Sequence[str]) -> np.ndarray:
    """Rank of every new unit among the network, shape of ``new``.

    For each new unit separately and every column: 1 + the number of network units with
    a strictly higher score, after :func:`openindex.methods.rank.snap_ties` over the
    network and that unit (scores equal up to rounding noise tie); a network unit with
    the same unit code is left out (the new row replaces it).
    """
    out = np.full(new.shape, np.nan)
    codes = np.asarray(network_units, dtype=object)
    for i, unit in enumerate(new_units):
        others = network[codes != unit]
        out[i] = rank_desc(np.concatenate([others, new[i:i + 1]], axis=0))[-1]
    return out
