"""The frozen result of a build: every stage, scores, ranks, weights, flags, diagnostics.

A :class:`Result` keeps what the index was built from (the framework, the build spec, the
dataset of the edition) so that rebuilding with one changed choice is one call:
``openindex.rebuild(result, normalise="zscore")``. The records it carries are typed:
:class:`MethodsUsed` (every method and parameter used, per step and per indicator or node)
and :class:`BuildWarning` (diagnostics with a stable code).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from openindex.model.peers import peer_matrix, peer_statistics, resolve_peer_group
from openindex.model.spec import BuildSpec

if TYPE_CHECKING:
    from openindex.data.dataset import Dataset
    from openindex.model.framework import Framework

__all__ = ["Result", "STAGES", "MethodsUsed", "UsedMethod", "BuildWarning"]

#: indicator-level stages, in pipeline order
STAGES: tuple[str, ...] = ("raw", "denominated", "imputed", "treated", "normalised")


@dataclass(frozen=True)
class UsedMethod:
    """A method as used for one indicator or node, with its full params (defaults filled)."""

    method: str
    params: Mapping[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "params": dict(self.params)}


@dataclass(frozen=True)
class MethodsUsed:
    """Every method and parameter a build used.

    Attributes
    ----------
    denominate : mapping of str to UsedMethod
        Per indicator with a ``denominator``.
    impute, treat, normalise : mapping of str to UsedMethod
        Per indicator.
    weight, aggregate : mapping of str to UsedMethod
        Per aggregate node.
    min_coverage : float
        ``build.screen.min_coverage``.
    min_share : float
        ``build.aggregate.min_share``.
    """

    denominate: Mapping[str, UsedMethod]
    impute: Mapping[str, UsedMethod]
    treat: Mapping[str, UsedMethod]
    normalise: Mapping[str, UsedMethod]
    weight: Mapping[str, UsedMethod]
    aggregate: Mapping[str, UsedMethod]
    min_coverage: float
    min_share: float

    def steps(self) -> Iterator[tuple[str, Mapping[str, UsedMethod], Mapping[str, float]]]:
        """``(step, per code, step-wide settings)`` in pipeline order (``screen`` has only a setting)."""
        yield "denominate", self.denominate, {}
        yield "screen", {}, {"min_coverage": self.min_coverage}
        yield "impute", self.impute, {}
        yield "treat", self.treat, {}
        yield "normalise", self.normalise, {}
        yield "weight", self.weight, {}
        yield "aggregate", self.aggregate, {"min_share": self.min_share}

    def as_dict(self) -> dict[str, Any]:
        """The record as plain data (the manifest's ``methods_used``)."""
        out: dict[str, Any] = {}
        for step, per_code, settings in self.steps():
            codes = {code: used.as_dict() for code, used in per_code.items()}
            out[step] = {**settings, "nodes": codes} if step == "aggregate" else (settings or codes)
        return out


@dataclass(frozen=True)
class BuildWarning:
    """A diagnostic that did not stop a build.

    Attributes
    ----------
    code : str
        Stable reason: ``constant_indicators`` (no information to rank on) or
        ``beyond_network`` (a unit scored against a network lies beyond its range).
    message : str
        The sentence shown to users.
    indicators : tuple of str
        The indicators concerned.
    """

    code: str
    message: str
    indicators: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Result:
    """Everything a build produced.

    Attributes
    ----------
    framework : Framework
        The framework, with the build spec used.
    dataset : Dataset
        The data of the edition built, screened units only.
    edition : int
        The edition built.
    stages : dict of str to ndarray
        Indicator-level stages (``STAGES``), each (n_units, n_indicators).
    scores : tuple of ndarray
        ``scores[k]``: scores of level ``k + 1`` (n_units, n_nodes), columns
        ``framework.levels[k]``; ``scores[0]`` is the normalised indicators, ``scores[-1]``
        the index.
    ranks : tuple of ndarray
        Ranks matching ``scores`` (1 = best, ties share the minimum rank, NaN stays NaN).
    weights : tuple of ndarray
        ``weights[k]``: normalised weight matrix of level ``k + 2`` (n_nodes, n_children),
        over the engine's padded levels: rows ``framework.padded_levels[k + 1]``, columns
        ``framework.padded_levels[k]`` (the same as ``levels`` unless the tree has mixed
        depth; see :class:`~openindex.model.framework.Framework`).
    imputed, treated : bool ndarray (n_units, n_indicators)
        Cells filled by imputation / changed by outlier treatment.
    treatment : DataFrame
        Per indicator: method, treatment applied, points winsorised, skew and kurtosis
        before and after.
    excluded : DataFrame
        Units screened out, with the reason.
    excluded_indicators : DataFrame
        Indicators left out of this edition (no data), with the reason.
    methods : MethodsUsed
        Every method and parameter actually used, per step and per indicator/node.
    spec : BuildSpec
        The build spec it was built with.
    warnings : tuple of BuildWarning
        Diagnostics that did not stop the build.
    input_dataset : Dataset
        The dataset as given (all editions, all units), for rebuilding.
    """

    framework: Framework
    dataset: Dataset
    edition: int
    stages: Mapping[str, np.ndarray]
    scores: tuple[np.ndarray, ...]
    ranks: tuple[np.ndarray, ...]
    weights: tuple[np.ndarray, ...]
    imputed: np.ndarray
    treated: np.ndarray
    treatment: pd.DataFrame
    excluded: pd.DataFrame
    methods: MethodsUsed
    spec: BuildSpec
    excluded_indicators: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["indicator", "reason"]))
    warnings: tuple[BuildWarning, ...] = field(default=())
    input_dataset: Dataset | None = field(default=None, repr=False)

    # ---- tidy views -------------------------------------------------------------------
    @property
    def units(self) -> tuple[str, ...]:
        return self.dataset.unit_codes

    def index(self) -> pd.Series:
        """Index score per unit."""
        return pd.Series(self.scores[-1][:, 0], index=pd.Index(self.units, name="unit"),
                         name=self.framework.root)

    def level_frame(self, level: int, what: str = "score") -> pd.DataFrame:
        """Scores (or ranks) of one level as a units x nodes frame."""
        arr = (self.scores if what == "score" else self.ranks)[level - 1]
        return pd.DataFrame(arr, index=pd.Index(self.units, name="unit"),
                            columns=list(self.framework.levels[level - 1]))

    def stage_frame(self, stage: str) -> pd.DataFrame:
        """One indicator-level stage as a units x indicators frame."""
        return pd.DataFrame(self.stages[stage], index=pd.Index(self.units, name="unit"),
                            columns=list(self.framework.indicator_codes))

    def score_frame(self) -> pd.DataFrame:
        """Long table ``unit, code, level, score, rank``: one row per unit and node.

        Level 1 holds the normalised indicators, higher levels the aggregates; rows are
        ordered by level (index first), then framework order, then unit order.
        """
        parts = []
        for level in range(self.framework.n_levels, 0, -1):
            codes = self.framework.levels[level - 1]
            n_units, n_codes = len(self.units), len(codes)
            parts.append(pd.DataFrame({
                "unit": np.tile(np.asarray(self.units, dtype=object), n_codes),
                "code": np.repeat(np.asarray(codes, dtype=object), n_units),
                "level": level,
                "score": self.scores[level - 1].T.reshape(-1),
                "rank": self.ranks[level - 1].T.reshape(-1),
            }))
        out = pd.concat(parts, ignore_index=True)
        out["rank"] = out["rank"].astype("Int64")
        return out

    def ranking(self) -> pd.DataFrame:
        """The index ranking: unit, name, score, rank, and the scores of the level below, best first."""
        fw = self.framework
        table = pd.DataFrame({"unit": self.units, "name": self.dataset.unit_names,
                              "score": self.scores[-1][:, 0], "rank": self.ranks[-1][:, 0]})
        if fw.n_levels > 2:
            below = self.level_frame(fw.n_levels - 1).reset_index(drop=True)
            table = pd.concat([table, below], axis=1)
        table["rank"] = table["rank"].astype("Int64")
        return table.sort_values(["rank", "unit"], na_position="last", kind="stable").reset_index(drop=True)

    def flags(self) -> pd.DataFrame:
        """Long table of flagged cells: unit, indicator, flag (missing / imputed / treated)."""
        rows = []
        raw = self.stages["denominated"]
        for flag, mask in (("missing", np.isnan(raw) & ~self.imputed), ("imputed", self.imputed),
                           ("treated", self.treated)):
            for i, j in zip(*np.nonzero(mask), strict=True):
                rows.append((self.units[i], self.framework.indicator_codes[j], flag))
        return pd.DataFrame(rows, columns=["unit", "indicator", "flag"])

    def weight_table(self) -> pd.DataFrame:
        """Every node's weight: nominal (as in the framework), normalised within its parent, and
        effective in the index (the product of normalised weights along its path to the root).

        In a mixed-depth tree a node's path to its parent runs through pass-through nodes,
        whose own weight is 1: the weight within the parent is the product along that path.
        """
        fw = self.framework
        step: dict[str, float] = {fw.root: 1.0}  # weight of each padded node within the node above it
        for k, w in enumerate(self.weights):
            for i, code in enumerate(fw.padded_levels[k]):
                step[code] = float(w[:, i].sum())
        rows: list[dict[str, Any]] = []
        for level in range(fw.n_levels, 0, -1):
            for code in fw.levels[level - 1]:
                within, node = 1.0, code  # product up to the parent
                while True:
                    within *= step[node]
                    up = fw.above[node]
                    if up == fw.parent[code] or up is None:
                        break
                    node = up
                eff, node = 1.0, code  # product up to the root
                while True:
                    eff *= step[node]
                    up = fw.above[node]
                    if up is None:
                        break
                    node = up
                rows.append({"code": code, "level": level, "parent": fw.parent[code] or "",
                             "nominal": fw.node(code).weight if fw.parent[code] else 1.0,
                             "normalised": within, "effective": eff})
        return pd.DataFrame(rows)

    def peer_frame(self, group: str | None = None) -> pd.DataFrame:
        """Peer-group comparison for every unit and node (see :mod:`openindex.model.peers`).

        Columns ``peer_group, unit, group, code, level, score, peer_rank, peer_n,
        peer_mean, gap``; one block per peer-group definition (or only ``group``).
        """
        fw = self.framework
        if group is None:
            defs = list(fw.model.peer_groups)
        else:
            chosen = resolve_peer_group(fw.model.peer_groups, group)
            defs = [chosen] if chosen is not None else []
        parts = []
        for g in defs:
            matrix, labels = peer_matrix(g, self.dataset.units)
            for level in range(fw.n_levels, 0, -1):
                codes = fw.levels[level - 1]
                stats = peer_statistics(self.scores[level - 1], matrix)
                n_units = len(self.units)
                parts.append(pd.DataFrame({
                    "peer_group": g.code,
                    "unit": np.tile(np.asarray(self.units, dtype=object), len(codes)),
                    "group": np.tile(np.asarray(labels, dtype=object), len(codes)),
                    "code": np.repeat(np.asarray(codes, dtype=object), n_units),
                    "level": level,
                    "score": self.scores[level - 1].T.reshape(-1),
                    "peer_rank": stats["rank"].T.reshape(-1),
                    "peer_n": stats["n"].T.reshape(-1),
                    "peer_mean": stats["mean"].T.reshape(-1),
                    "gap": stats["gap"].T.reshape(-1),
                }))
        if not parts:
            return pd.DataFrame(columns=["peer_group", "unit", "group", "code", "level", "score", "peer_rank",
                                         "peer_n", "peer_mean", "gap"])
        out = pd.concat(parts, ignore_index=True)
        out["peer_rank"] = out["peer_rank"].astype("Int64")
        return out
