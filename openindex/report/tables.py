"""Tidy frames of the comparison report: a result (and its earlier editions) -> DataFrames.

Nothing here formats numbers or writes HTML (:mod:`openindex.report.render` does);
the frames hold codes, labels and numbers, and each report component is drawn from
one of them. The reading rules the report states are implemented here, once:

* **Strengths and weaknesses** (:func:`node_frame`, column ``standing``): a node is a
  *strength* of a city when its score is in the network's top quarter (at or above the
  75th percentile of the scores of all cities scored on that node) and above the lowest
  score; a *weakness* when it is in the bottom quarter (at or below the 25th
  percentile) and below the highest score. A node on which every city scores the
  same is neither. Percentiles are linear interpolations (``numpy.nanpercentile``).
* **Cities to learn from** (:func:`learn_frame`): a city's weakest areas are the
  ``n_areas`` areas where its score is furthest below the network average (most
  negative gap; the smallest gaps when it is above average everywhere). For each,
  the ``n_cities`` best-scoring cities of its peer group that score higher, completed
  from the rest of the network when the group has too few.
* **Change arrows** (:func:`change_frame`): a score arrow when the score changed by more
  than ``points`` points since the previous edition; an index-rank arrow when the rank
  changed by more than the width of the city's 90% rank interval (p95 - p05) when an
  uncertainty run is given, else by more than ``ranks`` positions.
* **Comparability between editions** (:func:`comparability_frame`): a warning when an
  indicator has data in one edition only, when any method or parameter used differs,
  when the effective weights differ, or when the set of cities scored differs.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from openindex.errors import DataError, Problem, ProblemCode
from openindex.i18n import answer_label, peer_group_name, peer_label
from openindex.model.peers import peer_matrix, resolve_peer_group

if TYPE_CHECKING:
    from openindex.engine.result import Result
    from openindex.model.framework import Framework

__all__ = [
    "INTERVAL_COLUMNS",
    "tree_order",
    "network_stats",
    "node_frame",
    "unit_scores",
    "ranking_frame",
    "indicator_frame",
    "learn_frame",
    "coverage_frame",
    "weight_frame",
    "methods_frame",
    "history_frame",
    "change_frame",
    "comparability_frame",
    "align_intervals",
    "sobol_frame",
    "align_remove_one",
    "remove_one_effects",
    "peer_group_frame",
    "with_peer_labels",
    "anchors",
]

#: columns of ``rank_intervals.csv`` written by ``openindex uncertainty``
INTERVAL_COLUMNS: tuple[str, ...] = ("unit", "nominal_rank", "median_rank", "mean_rank", "p05", "p95")
#: columns of ``sensitivity.csv`` (``openindex uncertainty --sobol``)
SENSITIVITY_COLUMNS: tuple[str, ...] = ("factor", "target", "S1", "S1_conf", "ST", "ST_conf")
#: columns of ``remove_one.csv`` the report reads
REMOVE_ONE_COLUMNS: tuple[str, ...] = ("removed", "level", "unit", "nominal_rank", "rank", "shift", "nominal_score",
                                       "score")


# --------------------------------------------------------------------------------------
# The framework tree
# --------------------------------------------------------------------------------------


def tree_order(framework: Framework) -> list[tuple[str, int]]:
    """Every node depth-first from the root, children in file order: ``[(code, depth), ...]``."""
    out: list[tuple[str, int]] = []

    def visit(code: str, depth: int) -> None:
        out.append((code, depth))
        for child in framework.children(code):
            visit(child, depth + 1)

    visit(framework.root, 0)
    return out


# --------------------------------------------------------------------------------------
# Scores with network and peer statistics
# --------------------------------------------------------------------------------------


def network_stats(result: Result) -> pd.DataFrame:
    """Per node: ``code, level, n, mean, sd, p25, p75, min, max`` of the scores over the network."""
    parts = []
    fw = result.framework
    for level in range(fw.n_levels, 0, -1):
        s = np.asarray(result.scores[level - 1], dtype=float)
        n = (~np.isnan(s)).sum(axis=0)
        with np.errstate(all="ignore"), _quiet():
            parts.append(pd.DataFrame({
                "code": list(fw.levels[level - 1]), "level": level, "n": n,
                "mean": np.nanmean(s, axis=0), "sd": np.nanstd(s, axis=0, ddof=1),
                "p25": np.nanpercentile(s, 25, axis=0), "p75": np.nanpercentile(s, 75, axis=0),
                "min": np.nanmin(s, axis=0), "max": np.nanmax(s, axis=0)}))
    return pd.concat(parts, ignore_index=True)


class _quiet:
    """Silence numpy's all-NaN-slice warnings (an indicator without data has no statistics)."""

    def __enter__(self) -> None:
        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc: Any) -> None:
        self._ctx.__exit__(*exc)


def node_frame(result: Result, peer_group: str | None = None) -> pd.DataFrame:
    """Every unit on every node, with network statistics, peer statistics and standing.

    Returns
    -------
    DataFrame
        ``unit, code, level, score, rank, n, mean, sd, p25, p75, min, max, gap, standing,
        peer_label, peer_mean, peer_rank, peer_n``; ``gap`` = score - network mean;
        ``standing`` is ``"strength"``, ``"weakness"`` or ``""`` (rule in the module
        docstring); the peer columns are missing without a peer group.
    """
    frame = result.score_frame().merge(network_stats(result).drop(columns="level"), on="code", how="left")
    frame["gap"] = frame["score"] - frame["mean"]
    score = frame["score"].to_numpy(dtype=float)
    varied = (frame["max"] > frame["min"]).to_numpy()
    strong = varied & (score >= frame["p75"].to_numpy()) & (score > frame["min"].to_numpy())
    weak = varied & (score <= frame["p25"].to_numpy()) & (score < frame["max"].to_numpy())
    frame["standing"] = np.where(strong, "strength", np.where(weak, "weakness", ""))
    if peer_group is not None:
        peers = result.peer_frame(peer_group)[["unit", "code", "group", "peer_mean", "peer_rank", "peer_n"]]
        frame = frame.merge(peers.rename(columns={"group": "peer_label"}), on=["unit", "code"], how="left")
    else:
        frame["peer_label"] = ""
        frame["peer_mean"] = np.nan
        frame["peer_rank"] = pd.array([pd.NA] * len(frame), dtype="Int64")
        frame["peer_n"] = 0
    return frame


def unit_scores(result: Result, unit: str, peer_group: str | None = None) -> pd.DataFrame:
    """One unit on every node: ``unit, code, level, score, rank, n, mean, gap, standing, peer_label,
    peer_mean, peer_rank, peer_n`` (the columns of :func:`node_frame`; a self-assessment's ``scores.csv``)."""
    frame = node_frame(result, peer_group)
    cols = ["unit", "code", "level", "score", "rank", "n", "mean", "gap", "standing", "peer_label", "peer_mean",
            "peer_rank", "peer_n"]
    return frame.loc[frame["unit"] == unit, cols].reset_index(drop=True)


def ranking_frame(result: Result, nodes: pd.DataFrame, *, intervals: pd.DataFrame | None = None,
                  order: str = "rank") -> pd.DataFrame:
    """One row per unit: ``unit, name, score, rank, coverage, peer_label, peer_rank, peer_n``,
    the interval columns when given, and the score of every node of the level below the index.

    ``order`` is ``"rank"`` (best first, unscored last) or ``"name"``.
    """
    fw = result.framework
    index = nodes[nodes["code"] == fw.root].set_index("unit")
    units = list(result.units)
    out = pd.DataFrame({
        "unit": units, "name": list(result.dataset.unit_names),
        "score": index.loc[units, "score"].to_numpy(dtype=float),
        "rank": index.loc[units, "rank"].to_numpy(),
        "coverage": (~np.isnan(result.stages["denominated"])).mean(axis=1),
        "peer_label": index.loc[units, "peer_label"].fillna("").to_numpy(),
        "peer_rank": index.loc[units, "peer_rank"].to_numpy(),
        "peer_n": index.loc[units, "peer_n"].fillna(0).astype(int).to_numpy(),
    })
    if intervals is not None:
        iv = intervals.set_index("unit")
        for col in ("median_rank", "p05", "p95"):
            out[col] = iv.loc[units, col].to_numpy(dtype=float)
    if fw.n_levels > 2:
        below = result.level_frame(fw.n_levels - 1).reset_index(drop=True)
        out = pd.concat([out, below], axis=1)
    out["rank"] = out["rank"].astype("Int64")
    out["peer_rank"] = out["peer_rank"].astype("Int64")
    keys = ["rank", "unit"] if order == "rank" else ["name", "unit"]
    return out.sort_values(keys, na_position="last", kind="stable").reset_index(drop=True)


def indicator_frame(result: Result, nodes: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Every unit on every indicator: the value behind the score and its flags.

    Returns
    -------
    DataFrame
        ``unit, code, area, value, imputed_value, answer, score, rank, n, mean, peer_mean,
        standing, flags``: ``value`` is the denominated value (the indicator's unit), NaN
        when missing; ``imputed_value`` the value imputed in its place; ``answer`` the
        label of a questionnaire answer; ``flags`` a space-separated subset of
        ``missing imputed treated``. Rows: units in result order, indicators in
        framework order.
    """
    fw = result.framework
    codes = list(fw.indicator_codes)
    ind = nodes[nodes["level"] == 1].set_index(["unit", "code"])
    units = list(result.units)
    idx = pd.MultiIndex.from_product([units, codes], names=["unit", "code"])
    ind = ind.reindex(idx)
    value = result.stages["denominated"]
    imputed_value = np.where(result.imputed, result.stages["imputed"], np.nan)
    missing = np.isnan(value) & ~result.imputed
    flags = np.full(value.shape, "", dtype=object)
    for name, mask in (("missing", missing), ("imputed", result.imputed), ("treated", result.treated)):
        flags = np.where(mask, np.where(flags == "", name, flags + " " + name), flags)
    answers = np.full(value.shape, "", dtype=object)
    ans = result.dataset.answers
    for j, code in enumerate(codes):
        if fw.indicators[code].type == "questionnaire" and code in ans.columns:
            answers[:, j] = [answer_label(fw, code, str(a), lang) if str(a) else "" for a in ans[code].tolist()]
    return pd.DataFrame({
        "unit": np.repeat(np.asarray(units, dtype=object), len(codes)),
        "code": np.tile(np.asarray(codes, dtype=object), len(units)),
        "area": np.tile(np.asarray([fw.parent[c] for c in codes], dtype=object), len(units)),
        "value": value.reshape(-1), "imputed_value": imputed_value.reshape(-1),
        "answer": answers.reshape(-1),
        "score": ind["score"].to_numpy(dtype=float), "rank": ind["rank"].to_numpy(),
        "n": ind["n"].to_numpy(), "mean": ind["mean"].to_numpy(dtype=float),
        "peer_mean": ind["peer_mean"].to_numpy(dtype=float), "standing": ind["standing"].to_numpy(),
        "flags": flags.reshape(-1),
    })


def learn_frame(result: Result, nodes: pd.DataFrame, peer_group: str | None = None, *,
                n_areas: int = 3, n_cities: int = 3) -> pd.DataFrame:
    """Cities to learn from: for each unit's weakest areas, the best-scoring peers (rule in the module docstring).

    Returns
    -------
    DataFrame
        ``unit, area, gap, area_score, order, other, other_name, other_score, scope`` with
        ``scope`` ``"peer"`` or ``"network"``; one row per suggested city.
    """
    fw = result.framework
    units = list(result.units)
    names = list(result.dataset.unit_names)
    areas = list(fw.levels[1])
    scores = np.asarray(result.scores[1], dtype=float)
    with _quiet():
        mean = np.nanmean(scores, axis=0)
    gaps = scores - mean
    group = None if peer_group is None else resolve_peer_group(fw.model.peer_groups, peer_group)
    if group is not None:
        peers, _ = peer_matrix(group, result.dataset.units)
    else:
        peers = np.zeros((len(units), len(units)), dtype=bool)
    order_by_area = [np.argsort(-np.nan_to_num(scores[:, a], nan=-np.inf), kind="stable") for a in range(len(areas))]
    rows = []
    for u in range(len(units)):
        g = gaps[u]
        candidates = [a for a in np.argsort(np.nan_to_num(g, nan=np.inf), kind="stable") if not np.isnan(g[a])]
        for rank_a, a in enumerate(candidates[:n_areas], 1):
            own = scores[u, a]
            better = [v for v in order_by_area[a] if v != u and scores[v, a] > own]
            chosen = [(v, "peer") for v in better if peers[u, v]][:n_cities]
            if len(chosen) < n_cities:
                chosen += [(v, "network") for v in better if not peers[u, v]][: n_cities - len(chosen)]
            for v, scope in chosen:
                rows.append((units[u], areas[a], float(g[a]), float(own), rank_a, units[v], names[v],
                             float(scores[v, a]), scope))
    return pd.DataFrame(rows, columns=["unit", "area", "gap", "area_score", "order", "other", "other_name",
                                       "other_score", "scope"])


# --------------------------------------------------------------------------------------
# Framework, coverage, methods
# --------------------------------------------------------------------------------------


def coverage_frame(result: Result) -> pd.DataFrame:
    """Per indicator: ``code, area, n, observed, imputed, missing`` (counts of units in the edition)."""
    fw = result.framework
    value = result.stages["denominated"]
    observed = (~np.isnan(value)).sum(axis=0)
    imputed = result.imputed.sum(axis=0)
    n = value.shape[0]
    return pd.DataFrame({"code": list(fw.indicator_codes), "area": [fw.parent[c] for c in fw.indicator_codes],
                         "n": n, "observed": observed, "imputed": imputed, "missing": n - observed - imputed})


def weight_frame(result: Result, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Every node in tree order: ``code, name, parent, level, depth, nominal, normalised, effective``."""
    table = {r["code"]: r for r in result.weight_table().to_dict("records")}
    rows = []
    for code, depth in tree_order(result.framework):
        r = table[code]
        rows.append({"code": code, "name": (names or {}).get(code, code), "parent": r["parent"],
                     "level": int(r["level"]), "depth": depth, "nominal": float(r["nominal"]),
                     "normalised": float(r["normalised"]), "effective": float(r["effective"])})
    return pd.DataFrame(rows)


def methods_frame(result: Result) -> pd.DataFrame:
    """Every method used, grouped: ``step, method, params, codes`` (codes as a tuple, file order).

    Step-wide settings (``screen.min_coverage``, ``aggregate.min_share``) are rows with
    method ``"setting"``.
    """
    rows = []
    for step, per_code, settings in result.methods.steps():
        groups: dict[tuple[str, str], list[str]] = {}
        for code, used in per_code.items():
            params = ", ".join(f"{k}={_param(v)}" for k, v in sorted(used.params.items()))
            groups.setdefault((used.method, params), []).append(code)
        for (method, params), codes in groups.items():
            rows.append((step, method, params, tuple(codes)))
        for key, value in settings.items():
            rows.append((step, "setting", f"{key}={_param(value)}", ()))
    return pd.DataFrame(rows, columns=["step", "method", "params", "codes"])


def _param(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v)) if abs(v) < 1e15 else repr(v)
    return json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else str(v)


# --------------------------------------------------------------------------------------
# Editions
# --------------------------------------------------------------------------------------


def history_frame(results: Sequence[Result], min_level: int = 2) -> pd.DataFrame:
    """Scores and ranks of every edition built: ``edition, unit, name, code, level, score, rank``."""
    parts = []
    for r in results:
        f = r.score_frame()
        f = f[f["level"] >= min_level]
        names = dict(zip(r.units, r.dataset.unit_names, strict=True))
        parts.append(f.assign(edition=r.edition, name=f["unit"].map(names)))
    if not parts:
        return pd.DataFrame(columns=["edition", "unit", "name", "code", "level", "score", "rank"])
    out = pd.concat(parts, ignore_index=True)
    return out[["edition", "unit", "name", "code", "level", "score", "rank"]]


def change_frame(results: Sequence[Result], *, intervals: pd.DataFrame | None = None, points: float = 5.0,
                 ranks: int = 3) -> pd.DataFrame:
    """Change of every unit of the last edition since its previous edition (rules in the module docstring).

    Parameters
    ----------
    results : sequence of Result
        Editions built, oldest first; the last is the current one.
    intervals : DataFrame, optional
        Rank intervals of the current edition (``unit, p05, p95``).
    points, ranks : float, int
        Thresholds used without (ranks) or always (points) an uncertainty run.

    Returns
    -------
    DataFrame
        ``unit, code, level, prev_edition, prev_score, score, d_score, score_arrow,
        prev_rank, rank, d_rank, rank_arrow, rank_threshold``; arrows are +1 (better), -1
        (worse) or 0; rank columns concern the index only (NaN on other nodes). Empty
        when there is no earlier edition.
    """
    cols = ["unit", "code", "level", "prev_edition", "prev_score", "score", "d_score", "score_arrow",
            "prev_rank", "rank", "d_rank", "rank_arrow", "rank_threshold"]
    if len(results) < 2:
        return pd.DataFrame(columns=cols)
    current = results[-1]
    hist = history_frame(results)
    now = hist[hist["edition"] == current.edition]
    before = hist[hist["edition"] < current.edition].dropna(subset=["score"])
    # the most recent earlier edition in which the unit had a score on that node
    before = before.sort_values("edition", kind="stable").groupby(["unit", "code"], sort=False).tail(1)
    merged = now.merge(before[["unit", "code", "edition", "score", "rank"]].rename(
        columns={"edition": "prev_edition", "score": "prev_score", "rank": "prev_rank"}),
        on=["unit", "code"], how="inner")
    merged["d_score"] = merged["score"] - merged["prev_score"]
    merged["score_arrow"] = np.where(merged["d_score"].abs() > points, np.sign(merged["d_score"]), 0).astype(int)
    is_index = merged["code"] == current.framework.root
    prev_rank = merged["prev_rank"].astype("float")
    rank = merged["rank"].astype("float")
    d_rank = np.where(is_index, prev_rank - rank, np.nan)  # positive: moved up
    if intervals is not None:
        iv = intervals.set_index("unit")
        widths = dict(zip(iv.index, (iv["p95"] - iv["p05"]).to_numpy(dtype=float), strict=True))
        width = np.array([widths.get(u, np.nan) for u in merged["unit"]], dtype=float)
    else:
        width = np.full(len(merged), float(ranks))
    merged["prev_rank"] = np.where(is_index, prev_rank, np.nan)
    merged["rank"] = np.where(is_index, rank, np.nan)
    merged["d_rank"] = d_rank
    with np.errstate(invalid="ignore"):
        merged["rank_arrow"] = np.where(np.abs(d_rank) > width, np.sign(d_rank), 0).astype(int)
    merged["rank_threshold"] = np.where(is_index, width, np.nan)
    return merged[cols].reset_index(drop=True)


def comparability_frame(results: Sequence[Result]) -> pd.DataFrame:
    """Warnings between consecutive editions: ``edition_from, edition_to, kind, detail``.

    ``kind`` is ``indicators`` (data in one edition only; ``detail`` the codes),
    ``methods`` (steps whose methods or parameters differ), ``weights`` (nodes whose
    effective weight differs) or ``sample`` (units scored in one edition only).
    """
    rows: list[tuple[int, int, str, tuple[Any, ...]]] = []
    for a, b in zip(results, results[1:], strict=False):
        codes = a.framework.indicator_codes
        has_a = ~np.isnan(a.stages["denominated"]).all(axis=0)
        has_b = ~np.isnan(b.stages["denominated"]).all(axis=0)
        only = [c for c, x, y in zip(codes, has_a, has_b, strict=True) if x != y]
        if only:
            rows.append((a.edition, b.edition, "indicators", tuple(only)))
        used_a, used_b = a.methods.as_dict(), b.methods.as_dict()
        steps = sorted(s for s in set(used_a) | set(used_b)
                       if json.dumps(used_a.get(s), sort_keys=True, default=str)
                       != json.dumps(used_b.get(s), sort_keys=True, default=str))
        if steps:
            rows.append((a.edition, b.edition, "methods", tuple(steps)))
        wa = a.weight_table().set_index("code")["effective"]
        wb = b.weight_table().set_index("code")["effective"]
        moved = [c for c in wa.index if c in wb.index and not np.isclose(wa[c], wb[c], rtol=1e-9, atol=1e-12)]
        if moved:
            rows.append((a.edition, b.edition, "weights", tuple(moved)))
        ua, ub = set(a.units), set(b.units)
        if ua != ub:
            rows.append((a.edition, b.edition, "sample", (tuple(sorted(ub - ua)), tuple(sorted(ua - ub)))))
    return pd.DataFrame(rows, columns=["edition_from", "edition_to", "kind", "detail"])


# --------------------------------------------------------------------------------------
# Uncertainty
# --------------------------------------------------------------------------------------


def align_intervals(frame: pd.DataFrame, result: Result, *, source: str = "rank_intervals.csv") -> pd.DataFrame:
    """Check a rank-interval table against the result and return it in the result's unit order.

    Raises
    ------
    DataError
        A column is missing, a unit of the result has no interval, or a nominal rank
        differs from the result's rank (the uncertainty run was made for another build).
    """
    missing = [c for c in INTERVAL_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError([Problem(source, "header", f"missing column(s) {', '.join(missing)}; expected "
                                 f"{', '.join(INTERVAL_COLUMNS)} (as written by `openindex uncertainty`)",
                                 code=ProblemCode.MISSING_COLUMN)],
                        f"{source}: not a rank-interval table")
    frame = frame.assign(unit=frame["unit"].astype(str))
    known = set(frame["unit"])
    absent = [u for u in result.units if u not in known]
    if absent:
        raise DataError([Problem(source, "", f"no interval for {len(absent)} unit(s) of this build: "
                                 f"{', '.join(absent[:10])}{' ...' if len(absent) > 10 else ''}; was the "
                                 "uncertainty run made with the same data and edition?",
                                 code=ProblemCode.MISMATCHED_RUN)],
                        f"{source}: units do not match")
    aligned = frame.drop_duplicates("unit").set_index("unit").loc[list(result.units)].reset_index()
    ours = result.ranks[-1][:, 0]
    theirs = aligned["nominal_rank"].to_numpy(dtype=float)
    differ = [(u, t, o) for u, t, o in zip(result.units, theirs, ours, strict=True)
              if not (np.isnan(t) and np.isnan(o)) and t != o]
    if differ:
        u, t, o = differ[0]
        raise DataError([Problem(source, f"unit '{u}'", f"nominal rank {t:g} in the uncertainty run but {o:g} "
                                 f"in this build ({len(differ)} unit(s) differ); the uncertainty run was made "
                                 "for another framework, data, edition or --set; rerun it with the same inputs",
                                 unit=u, code=ProblemCode.MISMATCHED_RUN)], f"{source}: made for another build")
    return aligned[list(INTERVAL_COLUMNS)]


def sobol_frame(frame: pd.DataFrame, *, target: str = "mean_abs_rank_shift",
                source: str = "sensitivity.csv") -> pd.DataFrame:
    """The Sobol' indices of one target of ``sensitivity.csv``, the most influential factor first.

    Returns ``factor, S1, S1_conf, ST, ST_conf`` (``*_conf``: half-widths of the bootstrap
    confidence intervals), sorted by total index ``ST``, largest first (ties and missing
    values in file order).

    Raises
    ------
    DataError
        A column of :data:`SENSITIVITY_COLUMNS` is missing.
    """
    _check_columns(frame, SENSITIVITY_COLUMNS, source, "a Sobol' sensitivity table")
    part = frame[frame["target"].astype(str) == target]
    cols = ["factor", "S1", "S1_conf", "ST", "ST_conf"]
    part = part[cols].assign(factor=part["factor"].astype(str))
    order = np.argsort(-part["ST"].to_numpy(dtype=float), kind="stable")  # NaN last
    return part.iloc[order].reset_index(drop=True)


def align_remove_one(frame: pd.DataFrame, result: Result, *, source: str = "remove_one.csv") -> pd.DataFrame | None:
    """Check ``remove_one.csv`` against the result: its rows for the result's units, with scores.

    Returns None for a table without the score columns (written before they were added):
    it holds rank shifts only, and the report's chart needs the scores. Rows keep the
    file's order (removed node, then the units in build order).

    Raises
    ------
    DataError
        A column is missing, or a nominal score differs from the result's index score
        (the uncertainty run was made for another build).
    """
    if not {"nominal_score", "score"} <= set(frame.columns):
        return None
    _check_columns(frame, REMOVE_ONE_COLUMNS, source, "a remove-one table")
    frame = frame.assign(removed=frame["removed"].astype(str), unit=frame["unit"].astype(str))
    frame = frame[frame["unit"].isin(set(result.units))].reset_index(drop=True)
    ours = dict(zip(result.units, result.scores[-1][:, 0].tolist(), strict=True))
    theirs = frame["nominal_score"].to_numpy(dtype=float)
    expect = frame["unit"].map(ours).to_numpy(dtype=float)
    bad = ~(np.isclose(theirs, expect, rtol=1e-9, atol=1e-9) | (np.isnan(theirs) & np.isnan(expect)))
    if bad.any():
        i = int(np.argmax(bad))
        u = str(frame["unit"].iloc[i])
        raise DataError([Problem(source, f"unit '{u}'", f"nominal index score {theirs[i]:g} in the uncertainty run "
                                 f"but {expect[i]:g} in this build; the uncertainty run was made for another "
                                 "framework, data, edition or --set; rerun it with the same inputs",
                                 unit=u, code=ProblemCode.MISMATCHED_RUN)], f"{source}: made for another build")
    return frame[list(REMOVE_ONE_COLUMNS)]


def remove_one_effects(frame: pd.DataFrame) -> pd.DataFrame:
    """Per component left out: how much the index moves without it.

    Parameters
    ----------
    frame : DataFrame
        From :func:`align_remove_one`.

    Returns
    -------
    DataFrame
        ``removed, level, mean_change, max_change, mean_shift, max_shift, r``, one row per
        component in the file's order: the mean and largest |score - nominal_score| and
        |rank - nominal_rank| over the units scored both ways, and the Pearson correlation
        r between the index with and without the component (NaN with fewer than 3 units
        or a constant score): the lower r, the more the component carries that the others
        do not (the leave-one-out comparison of Schlossarek, Syrovátka & Vencálek 2019,
        doi:10.1007/s11205-019-02125-9).
    """
    rows = []
    for (removed, _), part in frame.groupby(["removed", "level"], sort=False):
        x = part["nominal_score"].to_numpy(dtype=float)
        y = part["score"].to_numpy(dtype=float)
        ok = ~(np.isnan(x) | np.isnan(y))
        change = np.abs(y[ok] - x[ok])
        shift = np.abs(part["shift"].to_numpy(dtype=float, na_value=np.nan))
        shift = shift[~np.isnan(shift)]
        r = (float(np.corrcoef(x[ok], y[ok])[0, 1])
             if ok.sum() >= 3 and np.ptp(x[ok]) > 0 and np.ptp(y[ok]) > 0 else np.nan)
        rows.append((str(removed), int(part["level"].iloc[0]), change.mean() if len(change) else np.nan,
                     change.max() if len(change) else np.nan, shift.mean() if len(shift) else np.nan,
                     shift.max() if len(shift) else np.nan, r))
    return pd.DataFrame(rows, columns=["removed", "level", "mean_change", "max_change", "mean_shift", "max_shift",
                                       "r"])


def _check_columns(frame: pd.DataFrame, columns: Sequence[str], source: str, what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError([Problem(source, "header", f"missing column(s) {', '.join(missing)}; expected "
                                 f"{', '.join(columns)} (as written by `openindex uncertainty`)",
                                 code=ProblemCode.MISSING_COLUMN)],
                        f"{source}: not {what}")


# --------------------------------------------------------------------------------------
# Peer groups and anchors
# --------------------------------------------------------------------------------------


def peer_group_frame(result: Result, lang: str = "en") -> pd.DataFrame:
    """Every peer-group definition with its groups: ``code, name, kind, attributes, label, n``.

    One row per group label (units without a group are counted under label ``""``);
    nearest-neighbour definitions have one row (label ``"k nearest"``). Names and labels
    are in ``lang`` (:func:`openindex.i18n.peer_group_name`, :func:`openindex.i18n.peer_label`).
    """
    rows = []
    fw = result.framework
    for g in fw.model.peer_groups:
        _, group_labels = peer_matrix(g, result.dataset.units)
        counts = pd.Series(group_labels, dtype=object).value_counts(sort=False)
        order = (g.labels or []) if g.kind == "bands" else []
        for label in [*[o for o in order if o in counts.index], *[c for c in counts.index if c not in order]]:
            rows.append((g.code, peer_group_name(fw, g.code, lang), g.kind, ", ".join(g.attributes()),
                         peer_label(fw, g.code, str(label), lang), int(counts[label])))
    return pd.DataFrame(rows, columns=["code", "name", "kind", "attributes", "label", "n"])


def with_peer_labels(frame: pd.DataFrame, framework: Framework, lang: str, *, column: str,
                     group: str | None = None) -> pd.DataFrame:
    """``frame`` with the peer-group labels of ``column`` in ``lang`` (:func:`openindex.i18n.peer_label`).

    The peer group is ``group`` for every row, else each row's ``peer_group`` column; a
    cell that holds no text (missing) is kept.
    """
    codes = [group] * len(frame) if group is not None else frame["peer_group"].tolist()
    out = frame.copy()
    out[column] = [peer_label(framework, str(code), v, lang) if isinstance(v, str) else v
                   for code, v in zip(codes, frame[column].tolist(), strict=True)]
    return out


def anchors(units: Sequence[str]) -> list[str]:
    """Element ids ``city-CODE`` for unit codes (characters outside ``A-Za-z0-9_.-`` become ``_``; unique)."""
    out: list[str] = []
    seen: set[str] = set()
    for u in units:
        base = "city-" + (re.sub(r"[^A-Za-z0-9_.\-]", "_", str(u)) or "_")
        anchor, k = base, 2
        while anchor in seen:
            anchor, k = f"{base}-{k}", k + 1
        seen.add(anchor)
        out.append(anchor)
    return out
