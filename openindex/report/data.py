"""What the report shows, built and not yet rendered: :class:`ReportOptions` and :class:`ReportData`.

The records passed from building (:mod:`openindex.report.build`) to rendering
(:mod:`openindex.report.render`): build imports this module and render, render imports
this module only, so neither depends on the other's internals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from openindex.errors import OpenIndexError
from openindex.i18n import LANGUAGES
from openindex.methods.registry import did_you_mean
from openindex.model.peers import resolve_peer_group

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from openindex.analysis.audit import Audit
    from openindex.engine.result import Result
    from openindex.model.framework import Framework

__all__ = ["ReportOptions", "UncertaintyRun", "ReportData", "audit_nodes", "correlation_nodes", "compare_defaults"]


@dataclass(frozen=True)
class ReportOptions:
    """Choices of the report (the CLI flags of ``openindex report``).

    Attributes
    ----------
    title : str
        Page title; default the framework's name in ``lang``.
    lang : str
        Language of the UI strings (``LANGUAGES``) and of translated framework labels.
    no_ranks : bool
        Hide every rank (a profile report without league table, OPENCities style).
    peer_group : str, optional
        Code of the framework's peer-group definition used for peer comparisons;
        default the first one defined; ``""`` for none.
    points : float
        A score change larger than this (in score points) gets an arrow.
    ranks : int
        Without an uncertainty run, an index-rank change larger than this gets an arrow.
    n_areas, n_cities : int
        Cities to learn from: how many weak areas, how many cities per area.
    audit : bool
        Add the statistical audit (:func:`openindex.analysis.audit.run_audit` of the current
        edition) as a tab of the report.
    """

    title: str = ""
    lang: str = "en"
    no_ranks: bool = False
    peer_group: str | None = None
    points: float = 5.0
    ranks: int = 3
    n_areas: int = 3
    n_cities: int = 3
    audit: bool = True

    def check(self, framework: Framework) -> str | None:
        """Validate against the framework; return the peer-group code to use (or None)."""
        if self.lang not in LANGUAGES:
            raise OpenIndexError(f"The 'lang' option of the report must be one of {', '.join(LANGUAGES)}. "
                                 f"Got '{self.lang}' instead.{did_you_mean(self.lang, LANGUAGES)}")
        if self.points < 0 or self.ranks < 0 or self.n_areas < 1 or self.n_cities < 1:
            raise OpenIndexError("The report options 'points' and 'ranks' must be >= 0 and 'n_areas', 'n_cities' "
                                 f">= 1. Got points={self.points}, ranks={self.ranks}, n_areas={self.n_areas}, "
                                 f"n_cities={self.n_cities} instead.")
        group = resolve_peer_group(framework.model.peer_groups, self.peer_group)
        return None if group is None else group.code


@dataclass(frozen=True)
class UncertaintyRun:
    """What an ``openindex uncertainty`` run computed, as the report reads it from the run's folder.

    Attributes
    ----------
    intervals : DataFrame
        ``rank_intervals.csv``: each unit's nominal, median and mean rank and its 5th and
        95th percentile ranks.
    sensitivity : DataFrame, optional
        ``sensitivity.csv`` (a run with ``--sobol``): first-order and total Sobol' indices
        of every factor with their confidence half-widths, per target.
    remove_one : DataFrame, optional
        ``remove_one.csv``: each unit's index score and rank with each component left out.
    settings : mapping
        The ``uncertainty`` entry of the run's ``manifest.json`` (runs, seed, factors,
        Sobol' settings); empty when the folder has no manifest.
    """

    intervals: pd.DataFrame
    sensitivity: pd.DataFrame | None = None
    remove_one: pd.DataFrame | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, built and not yet rendered (frames and figures).

    ``editions`` holds every edition built, oldest first, the current one (``result``)
    last; ``skipped`` the earlier editions that could not be built, with the reason.
    The frames are those of :mod:`openindex.report.tables`; ``audit`` is the
    statistical audit of ``result`` (None when not asked for, or when it could not be
    run: ``audit_error`` then says why); ``uncertainty`` what an uncertainty run
    computed, checked against ``result`` (None without one; its ``intervals`` are
    ``intervals``).
    """

    result: Result
    editions: tuple[Result, ...]
    skipped: tuple[tuple[int, str], ...]
    options: ReportOptions
    strings: Mapping[str, str]
    manifest: Mapping[str, Any]
    meta: Mapping[str, Any]
    intervals: pd.DataFrame | None
    intervals_source: str
    peer_group: str | None
    labels: Mapping[str, str]
    level_names: tuple[str, ...]
    anchors: tuple[str, ...]
    nodes: pd.DataFrame
    ranking: pd.DataFrame
    indicators: pd.DataFrame
    learn: pd.DataFrame
    coverage: pd.DataFrame
    weights: pd.DataFrame
    methods: pd.DataFrame
    history: pd.DataFrame
    changes: pd.DataFrame
    comparability: pd.DataFrame
    peer_index: pd.DataFrame
    peer_groups: pd.DataFrame
    figures: Mapping[str, go.Figure] = field(default_factory=dict)
    audit: Audit | None = None
    audit_error: str = ""
    uncertainty: UncertaintyRun | None = None
    _by_unit: dict[str, dict[Any, pd.DataFrame]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def of_unit(self, frame: str, unit: str) -> pd.DataFrame:
        """The rows of one unit in the frame named ``frame`` (``nodes``, ``indicators``...), grouped once."""
        groups = self._by_unit.get(frame)
        if groups is None:
            groups = {u: g for u, g in getattr(self, frame).groupby("unit", sort=False)}
            self._by_unit[frame] = groups
        found = groups.get(unit)
        return found if found is not None else getattr(self, frame).iloc[0:0]

    @property
    def framework(self) -> Framework:
        return self.result.framework

    @property
    def area_level(self) -> int:
        """The level just above the indicators (areas)."""
        return 2

    @property
    def theme_level(self) -> int | None:
        """The level just below the index when it is not the area level (themes), else None."""
        k = self.framework.n_levels - 1
        return k if k > 2 else None

    def text(self, key: str, **values: Any) -> str:
        """A UI string in the report's language, filled in (not escaped)."""
        template = self.strings[key]
        return template.format(**values) if values else template


def correlation_nodes(audit: Audit) -> list[str]:
    """Aggregate nodes of ``audit`` with a correlation heatmap, top-down (figure ``audit-corr-<i>``)."""
    corr = audit.correlations
    with_corr = set(corr.loc[corr["method"] == audit.rules.method, "y"])
    return [str(n) for n in audit.cronbach["node"] if n in with_corr]


def audit_nodes(data: ReportData) -> list[str]:
    """Aggregate nodes with a correlation heatmap in the audit tab, top-down (figure ``audit-corr-<i>``)."""
    return [] if data.audit is None else correlation_nodes(data.audit)


def compare_defaults(data: ReportData) -> list[str]:
    """Units shown first in the compare view: the first two of the ranking table."""
    return [str(u) for u in data.ranking["unit"].head(2)]
