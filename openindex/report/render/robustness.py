"""The robustness tab: what an uncertainty run computed (rank intervals, Sobol' indices, remove-one).

Shown only when the report is given an uncertainty run (``openindex report --uncertainty
DIR``). Three parts, each a chart with a data table or a text summary for screen readers:

* the rank intervals: each city's median rank and 90% interval, in nominal-rank order
  (figure ``uncertainty-intervals``; not with ``no_ranks``);
* the Sobol' indices of the mean absolute rank shift, first order and total, with their
  confidence intervals (figure ``uncertainty-sobol``; a run with ``--sobol``, not with
  ``no_ranks``);
* the index against the index without each component, one component at a time chosen
  in a selector (figures ``uncertainty-remove-<i>``, components from the top level down),
  with a table of the effect of leaving out each one (COINr issue #59).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from openindex.i18n import NUMBER_SEPARATORS
from openindex.report.figures import rank_interval_chart, remove_one_scatter, sobol_chart
from openindex.report.render.base import (
    DASH,
    RenderContext,
    chart_block,
    esc,
    frame_records,
    html_table,
    td_cell,
    th_cell,
)
from openindex.report.tables import remove_one_effects, sobol_frame

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from openindex.report.data import ReportData

__all__ = ["robustness_shown", "robustness_section", "robustness_figures"]

#: the target of ``sensitivity.csv`` the report shows: the JRC's scalar summary of a ranking's change
SOBOL_TARGET = "mean_abs_rank_shift"

PLUS_MINUS = " \u00b1 "


def _intervals(data: ReportData) -> pd.DataFrame | None:
    """Rank intervals with city names in nominal-rank order, or None when they are not shown."""
    if data.uncertainty is None or data.options.no_ranks or data.intervals is None:
        return None
    frame = data.intervals.assign(name=[str(n) for n in data.result.dataset.unit_names])
    order = np.argsort(frame["nominal_rank"].to_numpy(dtype=float, na_value=np.inf), kind="stable")
    return frame.iloc[order].reset_index(drop=True)


def _sobol(data: ReportData) -> pd.DataFrame | None:
    """Sobol' indices of the mean absolute rank shift, or None when there are none to show."""
    run = data.uncertainty
    if run is None or run.sensitivity is None or data.options.no_ranks:
        return None
    frame = sobol_frame(run.sensitivity, target=SOBOL_TARGET)
    return frame if len(frame) else None


def _effects(data: ReportData) -> pd.DataFrame | None:
    """The effect of leaving out each component, from the top level down (panel ``i`` = row ``i``)."""
    run = data.uncertainty
    if run is None or run.remove_one is None or not len(run.remove_one):
        return None
    effects = remove_one_effects(run.remove_one)
    order = np.argsort(-effects["level"].to_numpy(dtype=int), kind="stable")
    return effects.iloc[order].reset_index(drop=True)


def robustness_shown(data: ReportData) -> bool:
    """Whether the report has a robustness tab (an uncertainty run with something to show)."""
    return any(x is not None for x in (_intervals(data), _sobol(data), _effects(data)))


def _remove_frame(data: ReportData, removed: str, level: int) -> pd.DataFrame:
    """The rows of one component of ``remove_one.csv``, with city names."""
    run = data.uncertainty
    assert run is not None and run.remove_one is not None
    frame = run.remove_one
    part = frame[(frame["removed"] == removed) & (frame["level"] == level)]
    names = dict(zip(data.result.units, map(str, data.result.dataset.unit_names), strict=True))
    return part.assign(name=part["unit"].map(names)).reset_index(drop=True)


def _settings_text(c: RenderContext) -> str:
    """One sentence on the run: replications, seed and factors (from the run's manifest)."""
    run = c.d.uncertainty
    assert run is not None
    s = run.settings
    if not s.get("runs"):
        return f"<p>{c.t('rob_run_unknown')}</p>"
    factors = ", ".join(str(f.get("name", "")) for f in s.get("factors", []) if isinstance(f, dict))
    text = c.t("rob_run", runs=c.fmt.num(s["runs"], 0), seed=s.get("seed", ""), factors=factors or DASH)
    sobol = s.get("sobol")
    if isinstance(sobol, dict) and sobol.get("runs") and not c.no_ranks:  # Sobol' indices of the rank shifts
        text += " " + c.t("rob_run_sobol", runs=c.fmt.num(sobol["runs"], 0))
    return f"<p>{text}</p>"


def _conf_level(c: RenderContext) -> float:
    run = c.d.uncertainty
    sobol = run.settings.get("sobol") if run is not None else None
    return float(sobol.get("conf_level", 0.95)) if isinstance(sobol, dict) else 0.95


def _intervals_part(c: RenderContext, frame: pd.DataFrame) -> str:
    f = c.fmt
    width = frame["p95"] - frame["p05"]
    widest = int(np.nanargmax(width.to_numpy(dtype=float))) if width.notna().any() else 0
    summary = c.t("rob_intervals_summary", n=len(frame), width=f.num(width.median(), 0),
                  city=frame["name"].iloc[widest], lo=f.num(frame["p05"].iloc[widest], 0),
                  hi=f.num(frame["p95"].iloc[widest], 0))
    head = [th_cell(c.t("city")), th_cell(c.t("rank"), num=True), th_cell(c.t("median_rank"), num=True),
            th_cell(c.t("rank_interval"), num=True), th_cell(c.t("rob_width"), num=True)]
    rows = [f'<tr><th scope="row">{c.city_link(str(r["unit"]))}</th>{td_cell(f.rank(r["nominal_rank"]), num=True)}'
            f'{td_cell(f.num(r["median_rank"], 1), num=True)}'
            f'{td_cell(f.num(r["p05"], 0) + DASH + f.num(r["p95"], 0), num=True)}'
            f'{td_cell(f.num(r["p95"] - r["p05"], 0), num=True)}</tr>' for r in frame_records(frame)]
    return (f"<h3>{c.t('rob_intervals_title')}</h3>"
            + chart_block("uncertainty-intervals", c.t("rob_intervals_caption"), summary,
                          html_table(head, rows, cls="compact"), table_label=c.d.text("data_table")))


def _sobol_part(c: RenderContext, frame: pd.DataFrame | None) -> str:
    title = f"<h3>{c.t('rob_sobol_title')}</h3>"
    if frame is None:
        return title + f'<p class="none">{c.t("rob_sobol_none")}</p>'
    f = c.fmt
    top = frame.iloc[0]
    summary = c.t("rob_sobol_summary", k=len(frame), factor=top["factor"], st=f.num(top["ST"], 2))
    head = [th_cell(c.t("rob_factor")), th_cell(c.t("rob_s1"), num=True), th_cell(c.t("rob_st"), num=True)]
    rows = [f'<tr><th scope="row">{esc(r["factor"])}</th>'
            f'{td_cell(f.num(r["S1"], 3) + PLUS_MINUS + f.num(r["S1_conf"], 3), num=True)}'
            f'{td_cell(f.num(r["ST"], 3) + PLUS_MINUS + f.num(r["ST_conf"], 3), num=True)}</tr>'
            for r in frame_records(frame)]
    caption = c.t("rob_sobol_caption", conf=f.num(100 * _conf_level(c), 0))
    return title + chart_block("uncertainty-sobol", caption, summary, html_table(head, rows, cls="compact"),
                               table_label=c.d.text("data_table"))


def _remove_part(c: RenderContext, effects: pd.DataFrame) -> str:
    d = c.d
    f = c.fmt
    groups: dict[int, list[str]] = {}
    panels = []
    for i, e in enumerate(frame_records(effects)):
        removed, level = str(e["removed"]), int(e["level"])
        part = _remove_frame(d, removed, level)
        change = (part["score"] - part["nominal_score"]).abs()
        k = int(np.nanargmax(change.to_numpy(dtype=float))) if change.notna().any() else 0
        summary = c.t("rob_remove_summary", n=len(part), node=d.labels.get(removed, removed),
                      r=f.num(e["r"], 2), city=part["name"].iloc[k] if len(part) else DASH,
                      change=f.num(change.iloc[k] if len(part) else np.nan, 1))
        groups.setdefault(level, []).append(f'<option value="remove-one-{i}">{c.node(removed)}</option>')
        panels.append(f'<div class="remove-panel" id="remove-one-{i}"{" hidden" if i else ""}>'
                      + chart_block(f"uncertainty-remove-{i}", c.t("rob_remove_caption", node=d.labels.get(
                          removed, removed)), summary) + "</div>")
    options = "".join(f'<optgroup label="{esc(d.level_names[level - 1])}">{"".join(opts)}</optgroup>'
                      for level, opts in sorted(groups.items(), reverse=True))
    head = [th_cell(c.t("node"), sort="text"), th_cell(c.t("level"), sort="text"),
            th_cell(c.t("rob_mean_change"), num=True, sort="num"), th_cell(c.t("rob_max_change"), num=True, sort="num")]
    if not c.no_ranks:
        head += [th_cell(c.t("rob_mean_shift"), num=True, sort="num"),
                 th_cell(c.t("rob_max_shift"), num=True, sort="num")]
    head.append(th_cell(c.t("rob_r"), num=True, sort="num"))
    rows = []
    for e in frame_records(effects):
        cells = [f'<th scope="row">{c.node(str(e["removed"]))}</th>',
                 td_cell(esc(d.level_names[int(e["level"]) - 1])),
                 td_cell(f.num(e["mean_change"], 2), num=True, v=e["mean_change"]),
                 td_cell(f.num(e["max_change"], 2), num=True, v=e["max_change"])]
        if not c.no_ranks:
            cells += [td_cell(f.num(e["mean_shift"], 2), num=True, v=e["mean_shift"]),
                      td_cell(f.num(e["max_shift"], 0), num=True, v=e["max_shift"])]
        cells.append(td_cell(f.num(e["r"], 3), num=True, v=e["r"]))
        rows.append(f"<tr>{''.join(cells)}</tr>")
    table = html_table(head, rows, cls="compact sortable", caption=c.t("rob_remove_table_caption"),
                       tid="remove-one-table")
    return (f"<h3>{c.t('rob_remove_title')}</h3><p>{c.t('rob_remove_intro')}</p>"
            f'<div class="controls no-print"><label for="remove-one-node">{c.t("rob_choose_component")}</label> '
            f'<select id="remove-one-node" data-panels="remove-panel">{options}</select></div>'
            + "".join(panels)
            + f'<details class="data-table"><summary>{c.t("rob_remove_table")}</summary>'
              f'<div class="table-wrap">{table}</div></details>')


def robustness_section(data: ReportData) -> str:
    """The robustness tab (empty when the report has no uncertainty run to show)."""
    if not robustness_shown(data):
        return ""
    c = RenderContext(data)
    parts = ['<section id="robustness" class="view" aria-labelledby="robustness-h" hidden>',
             f'<h2 id="robustness-h">{c.t("nav_robustness")}</h2>',
             f"<p>{c.t('rob_intro_no_ranks' if c.no_ranks else 'rob_intro')}</p>",
             _settings_text(c)]
    intervals = _intervals(data)
    if intervals is not None:
        parts.append(_intervals_part(c, intervals))
        parts.append(_sobol_part(c, _sobol(data)))
    effects = _effects(data)
    if effects is not None:
        parts.append(_remove_part(c, effects))
    parts.append("</section>")
    return "".join(parts)


def robustness_figures(data: ReportData) -> dict[str, go.Figure]:
    """The figures of the robustness tab, by key (none without an uncertainty run)."""
    figs: dict[str, go.Figure] = {}
    if data.uncertainty is None:
        return figs
    lang = data.options.lang
    dec, thou = NUMBER_SEPARATORS.get(lang, (".", ","))
    sep = dec + thou
    text = data.text
    intervals = _intervals(data)
    if intervals is not None:
        figs["uncertainty-intervals"] = rank_interval_chart(
            intervals, separators=sep,
            text={"median": text("rob_median_legend"), "nominal": text("rob_nominal_rank"),
                  "interval": text("rank_interval"), "axis": text("rob_rank_axis")})
    sobol = _sobol(data)
    if sobol is not None:
        figs["uncertainty-sobol"] = sobol_chart(
            sobol, separators=sep, text={"S1": text("rob_s1"), "ST": text("rob_st"), "axis": text("rob_sobol_axis")})
    effects = _effects(data)
    for i, e in enumerate(frame_records(effects) if effects is not None else []):
        removed = str(e["removed"])
        labels: dict[str, Any] = {"x": text("rob_axis_index"),
                                  "y": text("rob_axis_without", node=data.labels.get(removed, removed)),
                                  "rank": text("rank")}
        figs[f"uncertainty-remove-{i}"] = remove_one_scatter(
            _remove_frame(data, removed, int(e["level"])), text=labels, separators=sep,
            ranks=not data.options.no_ranks)
    return figs
