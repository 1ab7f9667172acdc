"""HTML assembly of the comparison report: :class:`~openindex.report.build.ReportData` -> one HTML page.

Every component is a small function returning an HTML fragment, so that each can be
snapshot-tested on its own. Escaping rules, applied everywhere:

* every text that comes from data or from the framework (city names, indicator
  names, sources, group labels, notices) goes through :func:`esc`
  (``html.escape`` with quotes), in text and in attributes alike;
* the data of the interactive parts is embedded once as JSON in
  ``<script type="application/json">`` with ``<``, ``>`` and ``&`` written as
  ``\\u003c``, ``\\u003e``, ``\\u0026`` (:func:`json_for_html`), and the page's script
  inserts data only through ``textContent`` and plotly (never ``innerHTML``);
* texts inside figures are escaped by the figure functions (plotly reads a few tags).

The page is self-contained: plotly.js is embedded once, CSS and JS are inline, and a
Content-Security-Policy forbids every network request (``default-src 'none'``).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from string import Template
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ..audit import Audit
    from .build import ReportData

__all__ = ["esc", "json_for_html", "Fmt", "render_report", "notice_banner", "ranking_table", "chart_block",
           "area_table", "indicator_table", "standing_lists", "change_table", "learn_table", "profile", "profile_page",
           "compare_section", "editions_section", "methodology_section", "overview_section", "audit_section",
           "audit_flags_table", "audit_nodes_table", "audit_page", "PLOTLY_CONFIG", "CSP"]

#: plotly config: nothing remote (no logo link, no MathJax, no cloud link), a local PNG download
PLOTLY_CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True, "typesetMath": False,
                                 "plotlyServerURL": "", "showLink": False, "showSendToCloud": False,
                                 "showEditInChartStudio": False,
                                 "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}
#: Content-Security-Policy of the page: inline code only, no request of any kind
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
       "font-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'")
DASH = "\u2013"
MINUS = "\u2212"


def esc(value: Any) -> str:
    """HTML-escape any value as text (quotes included, for attributes)."""
    return html.escape(str(value), quote=True)


def json_for_html(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: ``< > &`` escaped as ``\\u003c`` etc."""
    import plotly.io as pio

    text = pio.json.to_json_plotly(data, engine="json")
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _isnan(x: Any) -> bool:
    if x is None or x is pd.NA:
        return True
    try:
        return bool(math.isnan(float(x)))
    except (TypeError, ValueError):
        return False


class Fmt:
    """Numbers formatted for one language (decimal and thousands separators)."""

    SEPARATORS = {"en": (".", ","), "fr": (",", "\u202f"), "de": (",", ".")}

    def __init__(self, lang: str = "en", na: str = DASH) -> None:
        self.dec, self.thou = self.SEPARATORS.get(lang, (".", ","))
        self.na = na

    def num(self, x: Any, digits: int = 1, sign: bool = False) -> str:
        if _isnan(x):
            return self.na
        x = float(x)
        if abs(x) < 0.5 * 10 ** -digits:
            x = 0.0  # no "-0.0"
        text = f"{abs(x):,.{digits}f}".replace(",", "\0").replace(".", self.dec).replace("\0", self.thou)
        if x < 0:
            return MINUS + text
        return ("+" + text) if sign and x > 0 else text

    def raw(self, x: Any) -> str:
        """A raw value with about three significant digits (no more than 3 decimals)."""
        if _isnan(x):
            return self.na
        x = float(x)
        if x.is_integer():
            return self.num(x, 0)
        digits = min(6, max(0, 2 - math.floor(math.log10(abs(x)))))
        return self.num(x, digits)

    def pct(self, x: Any, digits: int = 0) -> str:
        return self.na if _isnan(x) else self.num(100 * float(x), digits) + "\u00a0%"

    def rank(self, r: Any, n: Any = None) -> str:
        if _isnan(r):
            return self.na
        return f"{int(r)}\u202f/\u202f{int(n)}" if n is not None and not _isnan(n) else str(int(r))


def _v(x: Any) -> str:
    """A sort value for ``data-v`` (plain number text, empty when missing)."""
    if _isnan(x):
        return ""
    if isinstance(x, int | np.integer):
        return str(int(x))
    if isinstance(x, float | np.floating):
        return repr(round(float(x), 6))
    return esc(str(x).casefold())


class _Ctx:
    """Shortcuts shared by the components: strings, formatting, labels."""

    def __init__(self, data: ReportData) -> None:
        self.d = data
        self.fmt = Fmt(data.options.lang)
        self.no_ranks = data.options.no_ranks
        self.names = data.labels
        self.unit_names = dict(zip(data.result.units, data.result.dataset.unit_names, strict=True))
        self.anchor = dict(zip(data.result.units, data.anchors, strict=True))

    def t(self, key: str, **values: Any) -> str:
        """A UI string, filled in and escaped."""
        return esc(self.d.text(key, **values))

    def node(self, code: str) -> str:
        return esc(self.names.get(code, code))

    def city_link(self, unit: str) -> str:
        return f'<a href="#{esc(self.anchor[unit])}">{esc(self.unit_names[unit])}</a>'


def _table(head: Sequence[str], rows: Iterable[str], *, cls: str = "", caption: str = "", tid: str = "") -> str:
    """A table from escaped header cells (HTML) and ready rows (``<tr>...</tr>``)."""
    attrs = (f' id="{esc(tid)}"' if tid else "") + (f' class="{esc(cls)}"' if cls else "")
    cap = f"<caption>{caption}</caption>" if caption else ""
    th = "".join(head)
    return f"<table{attrs}>{cap}<thead><tr>{th}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _th(label: str, *, num: bool = False, sort: str = "") -> str:
    cls = ' class="num"' if num else ""
    if sort:
        return (f'<th scope="col"{cls} aria-sort="none"><button type="button" data-sort="{sort}">{label}'
                '</button></th>')
    return f'<th scope="col"{cls}>{label}</th>'


def _td(text: str, *, num: bool = False, v: Any = None, cls: str = "") -> str:
    classes = " ".join(c for c in ("num" if num else "", cls) if c)
    attrs = (f' class="{classes}"' if classes else "") + (f' data-v="{_v(v)}"' if v is not None else "")
    return f"<td{attrs}>{text}</td>"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a frame as plain dicts (much faster than ``itertuples`` on arrow-backed columns)."""
    cols = list(frame.columns)
    return [dict(zip(cols, values, strict=True)) for values in zip(*(frame[c].tolist() for c in cols), strict=True)]


class _Row(dict):  # type: ignore[type-arg]
    """A record whose columns read as attributes (``row.score``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _rows(frame: pd.DataFrame) -> list[Any]:
    """Rows of a frame as :class:`_Row` records."""
    return [_Row(r) for r in _records(frame)]


# --------------------------------------------------------------------------------------
# Components
# --------------------------------------------------------------------------------------


def notice_banner(notice: str, label: str = "Note") -> str:
    """The data notice (e.g. synthetic data) as a banner; empty when there is none."""
    if not notice:
        return ""
    return f'<div class="notice" role="note"><strong>{esc(label)}:</strong> {esc(notice)}</div>'


def chart_block(fig_id: str, caption: str, summary: str, table: str = "", *, table_label: str = "Data table",
                open_table: bool = False) -> str:
    """A chart container (rendered by the page script) with its caption, accessible summary and data table.

    ``caption`` and ``summary`` are escaped HTML; ``table`` a ready table shown in a
    ``<details>`` element (or nothing when the data table is elsewhere on the page).
    """
    details = (f'<details class="data-table"{" open" if open_table else ""}><summary>{esc(table_label)}</summary>'
               f"{table}</details>" if table else "")
    return (f'<figure class="chart-block"><figcaption>{caption}</figcaption>'
            f'<div class="chart" id="chart-{esc(fig_id)}" data-figure="{esc(fig_id)}" role="img" '
            f'aria-label="{summary}"></div>{details}</figure>')


def ranking_table(data: ReportData) -> str:
    """The sortable, searchable table of every city: score, rank, interval, peer group, themes, coverage."""
    c = _Ctx(data)
    f = c.fmt
    fw = data.framework
    themes = list(fw.levels[fw.n_levels - 2]) if fw.n_levels > 2 else []
    iv = data.intervals is not None and not c.no_ranks
    peer = data.peer_group is not None
    n = int(data.ranking["score"].notna().sum())
    head = []
    if not c.no_ranks:
        head.append(_th(c.t("rank"), num=True, sort="num"))
    head += [_th(c.t("city"), sort="text"), _th(c.t("score"), num=True, sort="num")]
    if iv:
        head += [_th(c.t("median_rank"), num=True, sort="num"), _th(c.t("rank_interval"), num=True, sort="num")]
    if peer:
        gname = next(g.name or g.code for g in fw.model.peer_groups if g.code == data.peer_group)
        head.append(_th(f'{c.t("peer_group")}<br><span class="unit">{esc(gname)}</span>', sort="text"))
        if not c.no_ranks:
            head.append(_th(c.t("peer_rank"), num=True, sort="num"))
    head += [_th(c.node(t), num=True, sort="num") for t in themes]
    head.append(_th(c.t("coverage"), num=True, sort="num"))
    rows = []
    for rd in _records(data.ranking):
        unit = str(rd["unit"])
        cells = []
        if not c.no_ranks:
            cells.append(_td(f.rank(rd["rank"]), num=True, v=rd["rank"]))
        cells.append(f'<th scope="row" data-v="{_v(rd["name"])}">{c.city_link(unit)}</th>')
        cells.append(_td(f.num(rd["score"]), num=True, v=rd["score"]))
        if iv:
            cells.append(_td(f.num(rd["median_rank"], 1), num=True, v=rd["median_rank"]))
            cells.append(_td(f"{f.num(rd['p05'], 0)}{DASH}{f.num(rd['p95'], 0)}", num=True, v=rd["p05"]))
        if peer:
            cells.append(_td(esc(rd["peer_label"]), v=rd["peer_label"]))
            if not c.no_ranks:
                cells.append(_td(f.rank(rd["peer_rank"], rd["peer_n"]), num=True, v=rd["peer_rank"]))
        cells += [_td(f.num(rd[t]), num=True, v=rd[t]) for t in themes]
        cells.append(_td(f.pct(rd["coverage"]), num=True, v=rd["coverage"]))
        search = esc(f"{rd['name']} {unit}".casefold())
        rows.append(f'<tr data-search="{search}">{"".join(cells)}</tr>')
    caption = c.t("scores_caption" if c.no_ranks else "ranking_caption", n=n, edition=data.result.edition)
    return _table(head, rows, cls="sortable scores-table", caption=caption, tid="scores-table")


def _area_scores_table(data: ReportData) -> str:
    """Cities x areas, the data table of the heatmap (cities in ranking-table order)."""
    c = _Ctx(data)
    areas = list(data.framework.levels[data.area_level - 1])
    wide = data.result.level_frame(data.area_level)
    head = [_th(c.t("city"))] + [_th(c.node(a), num=True) for a in areas]
    rows = []
    for unit in data.ranking["unit"]:
        vals = wide.loc[unit]
        rows.append(f'<tr><th scope="row">{esc(c.unit_names[unit])}</th>'
                    + "".join(_td(c.fmt.num(vals[a]), num=True) for a in areas) + "</tr>")
    return _table(head, rows, cls="compact")


def _stats_table(data: ReportData, level: int) -> str:
    """Network statistics of the nodes of a level (min, quartiles, mean, max): a chart's data table."""
    c = _Ctx(data)
    f = c.fmt
    stats = data.nodes[data.nodes["level"] == level].drop_duplicates("code").set_index("code")
    head = [_th(c.t("node")), _th(c.t("stat_min"), num=True), _th(c.t("stat_p25"), num=True),
            _th(c.t("stat_mean"), num=True), _th(c.t("stat_p75"), num=True), _th(c.t("stat_max"), num=True)]
    rows = []
    for code in data.framework.levels[level - 1]:
        s = stats.loc[code]
        rows.append(f'<tr><th scope="row">{c.node(code)}</th>' + "".join(
            _td(f.num(s[k]), num=True) for k in ("min", "p25", "mean", "p75", "max")) + "</tr>")
    return _table(head, rows, cls="compact")


def _weights_table(data: ReportData, *, with_levels: bool = True) -> str:
    """The framework tree with nominal, normalised and effective weights (data table of the sunburst)."""
    c = _Ctx(data)
    f = c.fmt
    head = [_th(c.t("node"))]
    if with_levels:
        head.append(_th(c.t("level")))
    head += [_th(c.t("weight_nominal"), num=True), _th(c.t("weight_normalised"), num=True),
             _th(c.t("weight_effective"), num=True)]
    rows = []
    for w in _rows(data.weights):
        lvl = f"<td>{esc(data.level_names[w.level - 1])}</td>" if with_levels else ""
        rows.append(f'<tr class="depth-{w.depth}"><th scope="row"><span class="indent">{esc(w.name)}</span> '
                    f'<code>{esc(w.code)}</code></th>{lvl}'
                    f"{_td(f.num(w.nominal, 2), num=True)}{_td(f.pct(w.normalised, 1), num=True)}"
                    f"{_td(f.pct(w.effective, 2), num=True)}</tr>")
    return _table(head, rows, cls="compact tree")


def _coverage_table(data: ReportData) -> str:
    """Coverage per area and, below each, the indicators with missing or imputed values."""
    c = _Ctx(data)
    f = c.fmt
    cov = data.coverage
    head = [_th(c.t("node")), _th(c.t("observed"), num=True), _th(c.t("flag_imputed"), num=True),
            _th(c.t("flag_missing"), num=True)]
    rows = []
    for area, part in cov.groupby("area", sort=False):
        n = part["n"].sum()
        rows.append(f'<tr class="depth-1"><th scope="row">{c.node(str(area))}</th>'
                    f"{_td(f.pct(part['observed'].sum() / n), num=True)}"
                    f"{_td(f.pct(part['imputed'].sum() / n), num=True)}"
                    f"{_td(f.pct(part['missing'].sum() / n), num=True)}</tr>")
        for r in _rows(part):
            if r.observed < r.n:
                rows.append(f'<tr class="depth-2"><th scope="row"><span class="indent">{c.node(r.code)}</span></th>'
                            f"{_td(f.pct(r.observed / r.n), num=True)}{_td(f.pct(r.imputed / r.n), num=True)}"
                            f"{_td(f.pct(r.missing / r.n), num=True)}</tr>")
    return _table(head, rows, cls="compact tree")


def overview_section(data: ReportData) -> str:
    """The overview: ranking table, heatmap, theme scores, framework sunburst, data coverage."""
    c = _Ctx(data)
    fw = data.framework
    n = len(data.result.units)
    area_name = data.level_names[data.area_level - 1]
    parts = ['<section id="overview" class="view" aria-labelledby="overview-h">',
             f'<h2 id="overview-h">{c.t("nav_overview")}</h2>',
             f'<h3>{c.t("scores_title" if c.no_ranks else "ranking_title")}</h3>',
             f'<p class="hint">{c.t("table_hint")}</p>',
             '<div class="controls"><label for="scores-search">' + c.t("search") + "</label> "
             f'<input type="search" id="scores-search" aria-controls="scores-table" autocomplete="off" '
             f'placeholder="{c.t("search_placeholder")}"> <span class="count" id="scores-count" '
             'aria-live="polite"></span></div>',
             f'<div class="table-wrap">{ranking_table(data)}</div>']
    if data.intervals is not None and not c.no_ranks:
        parts.append(f'<p class="rule">{c.t("interval_note")}</p>')
    # heatmap
    parts.append(f"<h3>{c.t('heatmap_title', level=area_name)}</h3>")
    best = data.nodes[data.nodes["level"] == data.area_level].drop_duplicates("code").sort_values("mean")
    summary = c.t("heatmap_summary", n=n, k=len(fw.levels[data.area_level - 1]), level=area_name,
                  low=data.labels[best["code"].iloc[0]], high=data.labels[best["code"].iloc[-1]])
    parts.append(chart_block("heatmap", c.t("heatmap_caption", level=area_name), summary,
                             _area_scores_table(data), table_label=data.text("data_table")))
    if data.theme_level is not None:
        theme_name = data.level_names[data.theme_level - 1]
        parts.append(f"<h3>{c.t('themes_title', level=theme_name)}</h3>")
        parts.append(chart_block("themes", c.t("themes_caption", level=theme_name),
                                 c.t("themes_summary", level=theme_name, n=n),
                                 _stats_table(data, data.theme_level), table_label=data.text("data_table")))
    parts.append(f"<h3>{c.t('framework_title')}</h3>")
    parts.append(f'<p>{esc(fw.summary())}.</p>' if data.options.lang == "en" else "")
    parts.append(chart_block("sunburst", c.t("sunburst_caption"), c.t("sunburst_summary"),
                             _weights_table(data), table_label=data.text("data_table")))
    parts.append(f"<h3>{c.t('coverage_title')}</h3>")
    cov = data.coverage
    share = cov["observed"].sum() / max(1, cov["n"].sum())
    parts.append(chart_block("coverage", c.t("coverage_caption", level=area_name),
                             c.t("coverage_summary", share=c.fmt.pct(share, 1)), _coverage_table(data),
                             table_label=data.text("data_table")))
    parts.append("</section>")
    return "".join(p for p in parts if p)


# ---- profiles -------------------------------------------------------------------------


def area_table(data: ReportData, unit: str) -> str:
    """A city's index, themes and areas: score, network and peer averages, ranks, standing."""
    c = _Ctx(data)
    f = c.fmt
    nodes = {r["code"]: r for r in _records(data.of_unit("nodes", unit)) if r["level"] >= data.area_level}
    peer = data.peer_group is not None
    head = [_th(c.t("node")), _th(c.t("score"), num=True), _th(c.t("network_average"), num=True)]
    if peer:
        head.append(_th(c.t("peer_average"), num=True))
    if not c.no_ranks:
        head.append(_th(c.t("rank"), num=True))
        if peer:
            head.append(_th(c.t("peer_rank"), num=True))
    head.append(_th(c.t("standing")))
    rows = []
    for code, depth in _tree(data, min_level=data.area_level):
        r = nodes[code]
        cells = [_td(f.num(r["score"]), num=True), _td(f.num(r["mean"]), num=True)]
        if peer:
            cells.append(_td(f.num(r["peer_mean"]), num=True))
        if not c.no_ranks:
            cells.append(_td(f.rank(r["rank"], r["n"]), num=True))
            if peer:
                cells.append(_td(f.rank(r["peer_rank"], r["peer_n"]), num=True))
        cells.append(_td(_standing(c, r["standing"]) if r["level"] == data.area_level else ""))
        rows.append(f'<tr class="depth-{depth}"><th scope="row"><span class="indent">{c.node(code)}</span></th>'
                    + "".join(cells) + "</tr>")
    return _table(head, rows, cls="compact tree")


def _tree(data: ReportData, min_level: int = 1) -> list[tuple[str, int]]:
    from .tables import tree_order

    fw = data.framework
    return [(code, d) for code, d in tree_order(fw) if fw.level_of(code) >= min_level]


def _standing(c: _Ctx, standing: Any) -> str:
    if standing == "strength":
        return f'<span class="tag strength">{c.t("strength")}</span>'
    if standing == "weakness":
        return f'<span class="tag weakness">{c.t("weakness")}</span>'
    return ""


def indicator_table(data: ReportData, unit: str) -> str:
    """A city's indicators grouped by area: value with unit (or answer), score, averages, rank, flags."""
    c = _Ctx(data)
    f = c.fmt
    fw = data.framework
    lang = data.options.lang
    from .tables import translated

    rows_of = data.of_unit("indicators", unit)
    peer = data.peer_group is not None
    head = [_th(c.t("indicator")), _th(c.t("value")), _th(c.t("score"), num=True),
            _th(c.t("network_average"), num=True)]
    if peer:
        head.append(_th(c.t("peer_average"), num=True))
    if not c.no_ranks:
        head.append(_th(c.t("rank"), num=True))
    head += [_th(c.t("standing")), _th(c.t("flags"))]
    width = len(head)
    by_area: dict[str, list[dict[str, Any]]] = {}
    for r in _records(rows_of):
        by_area.setdefault(str(r["area"]), []).append(r)
    bodies = []
    for area in [a for a in fw.levels[1] if a in by_area]:
        rows = [f'<tr class="group"><th scope="rowgroup" colspan="{width}">{c.node(area)}</th></tr>']
        for r in by_area[area]:
            code = str(r["code"])
            unit_text = translated(fw, code, "unit", lang)
            unit_html = f' <span class="unit">{esc(unit_text)}</span>' if unit_text else ""
            if r["answer"]:
                value = esc(r["answer"])
            elif not _isnan(r["value"]):
                value = f.raw(r["value"]) + unit_html
            elif not _isnan(r["imputed_value"]):
                value = f'<span class="imputed">{f.raw(r["imputed_value"])}</span>{unit_html}'
            else:
                value = f.na
            flags = " ".join(f'<span class="tag flag-{fl}">{c.t("flag_" + fl)}</span>'
                             for fl in str(r["flags"]).split())
            cells = [_td(value), _td(f.num(r["score"]), num=True), _td(f.num(r["mean"]), num=True)]
            if peer:
                cells.append(_td(f.num(r["peer_mean"]), num=True))
            if not c.no_ranks:
                cells.append(_td(f.rank(r["rank"], r["n"]), num=True))
            cells += [_td(_standing(c, r["standing"])), _td(flags)]
            rows.append(f'<tr><th scope="row">{c.node(code)}</th>' + "".join(cells) + "</tr>")
        bodies.append("<tbody>" + "".join(rows) + "</tbody>")
    th = "".join(head)
    return f'<table class="compact indicators"><thead><tr>{th}</tr></thead>{"".join(bodies)}</table>'


def standing_lists(data: ReportData, unit: str) -> str:
    """A city's strengths and weaknesses (areas, then indicators), by the stated quartile rule."""
    c = _Ctx(data)
    nodes = [r for r in _records(data.of_unit("nodes", unit)) if r["level"] <= data.area_level and r["standing"]]
    out = ['<div class="sw">']
    for kind in ("strength", "weakness"):
        sign = 1 if kind == "weakness" else -1  # strongest strengths and weakest weaknesses first, areas first
        part = sorted((r for r in nodes if r["standing"] == kind), key=lambda r: (-r["level"], sign * r["score"]))
        items = "".join(f'<li><span class="lvl">{esc(data.level_names[int(r["level"]) - 1])}</span> '
                        f'{c.node(r["code"])} <span class="val">{c.fmt.num(r["score"])}</span></li>'
                        for r in part)
        out.append(f'<div class="sw-{kind}"><h4>{c.t({"strength": "strengths", "weakness": "weaknesses"}[kind])}</h4>'
                   + (f"<ul>{items}</ul>" if items else f'<p class="none">{c.t("none_found")}</p>') + "</div>")
    out.append("</div>")
    return "".join(out)


def _arrow(c: _Ctx, arrow: int) -> str:
    """An arrow with its meaning as text (title and screen-reader text); nothing for 0."""
    if not arrow:
        return ""
    cls, glyph, key = ("up", "\u25b2", "trend_up") if arrow > 0 else ("down", "\u25bc", "trend_down")
    return f'<span class="arrow {cls}" title="{c.t(key)}">{glyph}<span class="sr"> {c.t(key)}</span></span>'



def change_table(data: ReportData, unit: str) -> str:
    """A city's change since its previous edition: index, themes and areas; arrows by the stated rule."""
    c = _Ctx(data)
    f = c.fmt
    ch = {r["code"]: r for r in _records(data.of_unit("changes", unit))}
    if not ch:
        return f'<p class="none">{c.t("no_previous")}</p>'
    prev = int(max(r["prev_edition"] for r in ch.values()))
    head = [_th(c.t("node")), _th(esc(str(prev)), num=True), _th(esc(str(data.result.edition)), num=True),
            _th(c.t("change"), num=True)]
    rows = []
    for code, depth in _tree(data, min_level=data.area_level):
        if code not in ch:
            continue
        r = ch[code]
        rows.append(f'<tr class="depth-{depth}"><th scope="row"><span class="indent">{c.node(code)}</span></th>'
                    f"{_td(f.num(r['prev_score']), num=True)}{_td(f.num(r['score']), num=True)}"
                    f"{_td(f.num(r['d_score'], 1, sign=True) + ' ' + _arrow(c, int(r['score_arrow'])), num=True)}"
                    "</tr>")
    out = _table(head, rows, cls="compact tree")
    root = data.framework.root
    if not c.no_ranks and root in ch:
        r = ch[root]
        text = c.t("rank_change", prev=f.rank(r["prev_rank"]), now=f.rank(r["rank"]), edition=prev)
        out = f'<p class="rank-change">{text} {_arrow(c, int(r["rank_arrow"]))}</p>' + out
    return out


def learn_table(data: ReportData, unit: str) -> str:
    """Cities to learn from in a city's weakest areas."""
    c = _Ctx(data)
    f = c.fmt
    rows_of = data.of_unit("learn", unit)
    if rows_of.empty:
        return f'<p class="none">{c.t("none_found")}</p>'
    head = [_th(c.t("weak_area")), _th(c.t("gap_to_average"), num=True), _th(c.t("learn_from"))]
    by_area: dict[str, list[dict[str, Any]]] = {}
    for r in _records(rows_of):
        by_area.setdefault(str(r["area"]), []).append(r)
    rows = []
    for area, part in by_area.items():
        cities = ", ".join(f"{c.city_link(str(r['other']))} ({f.num(r['other_score'])}"
                           + (f", {c.t('peer')}" if r["scope"] == "peer" else "") + ")" for r in part)
        rows.append(f'<tr><th scope="row">{c.node(area)}</th>'
                    f"{_td(f.num(part[0]['gap'], 1, sign=True), num=True)}<td>{cities}</td></tr>")
    return _table(head, rows, cls="compact")


def _facts(data: ReportData, unit: str) -> str:
    """The city's attributes (population, region...) as one line."""
    fw = data.framework
    units = data.result.dataset.units
    row = {k: v for k, v in zip(units.columns, units.iloc[list(data.result.units).index(unit)].tolist(),
                                strict=True)}
    f = Fmt(data.options.lang)
    items = []
    for code, attr in fw.attributes.items():
        if code not in row or _isnan(row[code]) or row[code] == "":
            continue
        value = f.raw(row[code]) if attr.kind == "numeric" else str(row[code])
        if attr.kind == "numeric" and float(row[code]).is_integer() and abs(float(row[code])) >= 1000:
            value = f.num(row[code], 0)
        items.append(f"<span>{esc(attr.name or code)}: {esc(value)}{(' ' + esc(attr.unit)) if attr.unit else ''}"
                     "</span>")
    return f'<p class="facts">{" · ".join(items)}</p>' if items else ""


def profile(data: ReportData, i: int, *, hidden: bool = True) -> str:
    """The profile of the ``i``-th unit: key figures, area chart and table, strengths and weaknesses,
    change since the previous edition, cities to learn from, indicator table (``hidden`` until the
    page script shows it, unless ``hidden=False``)."""
    c = _Ctx(data)
    f = c.fmt
    fw = data.framework
    unit = data.result.units[i]
    anchor = data.anchors[i]
    nodes = data.of_unit("nodes", unit)
    idx = nodes[nodes["code"] == fw.root].iloc[0]
    kpis = [(c.t("index_score"), f.num(idx["score"])), (c.t("network_average"), f.num(idx["mean"]))]
    if not c.no_ranks:
        kpis.insert(1, (c.t("rank"), f.rank(idx["rank"], idx["n"])))
        if data.intervals is not None:
            r = data.intervals.set_index("unit").loc[unit]
            kpis.insert(2, (c.t("rank_interval"), f"{f.num(r['p05'], 0)}{DASH}{f.num(r['p95'], 0)}"))
            kpis.insert(3, (c.t("median_rank"), f.num(r["median_rank"], 1)))
    if data.peer_group is not None and not _isnan(idx["peer_mean"]):
        kpis.append((c.t("peer_average_of", group=idx["peer_label"]), f.num(idx["peer_mean"])))
    kpi_html = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in kpis)
    groups = []
    for r in _rows(data.of_unit("peer_index", unit)):
        gname = next((g.name or g.code for g in fw.model.peer_groups if g.code == r.peer_group), r.peer_group)
        if not r.group:
            continue
        value = (f.rank(r.peer_rank, r.peer_n) if not c.no_ranks
                 else f"{c.t('peer_average')} {f.num(r.peer_mean)}")
        groups.append(f"<li>{esc(gname)} ({esc(r.group)}): {value}</li>")
    group_html = (f'<div class="peer-groups"><h4>{c.t("peer_groups_title" if c.no_ranks else "peer_ranks_title")}'
                  f'</h4><ul>{"".join(groups)}</ul></div>') if groups else ""
    area_name = data.level_names[data.area_level - 1]
    prev = data.of_unit("changes", unit)["prev_edition"]
    change_title = (c.t("change_title", edition=int(prev.max())) if len(prev) else c.t("change_title_none"))
    summary = c.t("profile_summary", city=c.unit_names[unit], level=area_name)
    peer = data.peer_group is not None
    title_key = "profile_areas_title" if peer else "profile_areas_title_network"
    caption_key = "profile_caption" if peer else "profile_caption_network"
    return "".join([
        f'<article class="profile" id="{esc(anchor)}" aria-labelledby="{esc(anchor)}-h"{" hidden" * hidden}>',
        f'<header class="profile-head"><h2 id="{esc(anchor)}-h">{esc(c.unit_names[unit])}</h2>',
        _facts(data, unit), f'<dl class="kpis">{kpi_html}</dl>{group_html}</header>',
        f'<section class="block"><h3>{c.t(title_key, level=area_name)}</h3>',
        '<div class="two-col">',
        chart_block(f"profile-{i}", c.t(caption_key, level=area_name), summary),
        f'<div class="table-wrap">{area_table(data, unit)}</div></div></section>',
        f'<section class="block"><h3>{c.t("sw_title")}</h3><p class="rule">{c.t("rule_standing")}</p>',
        standing_lists(data, unit), "</section>",
        f'<section class="block"><h3>{change_title}</h3>', change_table(data, unit), "</section>",
        f'<section class="block"><h3>{c.t("learn_title")}</h3><p class="rule">{c.t("rule_learn")}</p>',
        learn_table(data, unit), "</section>",
        f'<section class="block indicators-block"><h3>{c.t("indicators_title")}</h3>',
        f'<div class="table-wrap">{indicator_table(data, unit)}</div></section>',
        "</article>"])


def profiles_section(data: ReportData) -> str:
    """The city selector and every profile (one shown at a time by the page script)."""
    c = _Ctx(data)
    order = sorted(range(len(data.result.units)), key=lambda i: str(c.unit_names[data.result.units[i]]).casefold())
    options = "".join(f'<option value="{esc(data.anchors[i])}">{esc(c.unit_names[data.result.units[i]])}</option>'
                      for i in order)
    return "".join([
        '<section id="profiles" class="view" aria-labelledby="profiles-h" hidden>',
        f'<h2 id="profiles-h" class="screen-only">{c.t("nav_profiles")}</h2>',
        '<div class="controls no-print"><label for="city-select">', c.t("choose_city"), "</label> ",
        f'<select id="city-select">{options}</select> ',
        f'<button type="button" id="print-profile">{c.t("print_profile")}</button></div>',
        *(profile(data, i) for i in range(len(data.result.units))),
        "</section>"])


def profile_page(data: ReportData, i: int, *, title: str, subtitle: str = "", before: Sequence[str] = (),
                 after: Sequence[str] = (), figures: dict[str, Any] | None = None) -> str:
    """One city's profile as a page of its own, self-contained like the report (a self-assessment).

    ``title`` and ``subtitle`` are plain text (escaped here); ``before`` and ``after`` are
    ready HTML sections placed around the profile; ``figures`` are extra plotly figures
    (id -> figure) for ``chart_block`` containers in those sections.
    """
    from plotly.offline import get_plotlyjs

    from .. import __version__
    from ..io import read_resource

    c = _Ctx(data)
    notice = str(data.meta.get("notice") or data.manifest.get("data", {}).get("notice", "") or "")
    figs = {f"profile-{i}": data.figures[f"profile-{i}"], **(figures or {})}
    body = "".join([
        f'<a class="skip" href="#main">{c.t("skip")}</a>',
        f'<header class="masthead"><h1>{esc(title)}</h1>'
        + (f'<p class="subtitle">{esc(subtitle)}</p>' if subtitle else ""),
        notice_banner(notice, data.text("notice")), "</header>",
        '<main id="main" tabindex="-1">', *before, profile(data, i, hidden=False), *after, "</main>",
        f'<footer class="foot"><p>{c.t("footer", version=__version__)}</p></footer>'])
    script = {"lang": data.options.lang, "config": PLOTLY_CONFIG, "compare": {}, "strings": {}, "colours": [],
              "figures": {k: fig.to_plotly_json() for k, fig in figs.items()}}
    page = Template(read_resource("openindex.report", "templates/page.html"))
    return page.substitute(
        lang=esc(data.options.lang), title=esc(title), csp=esc(CSP), version=esc(__version__),
        css=read_resource("openindex.report", "templates/report.css"), body=body, data=json_for_html(script),
        plotly=get_plotlyjs(), js=read_resource("openindex.report", "templates/report.js"))


# ---- compare and editions ------------------------------------------------------------


def compare_section(data: ReportData) -> str:
    """Two to four cities side by side, chosen in the page (the table is filled by the page script)."""
    from .build import compare_defaults

    c = _Ctx(data)
    units = list(data.result.units)
    defaults = compare_defaults(data)
    order = sorted(units, key=lambda u: str(c.unit_names[u]).casefold())
    picks = []
    for slot in range(4):
        chosen = defaults[slot] if slot < len(defaults) else ""
        opts = ([f'<option value="">{c.t("none_option")}</option>'] if slot >= 2 else []) + [
            f'<option value="{esc(u)}"{" selected" if u == chosen else ""}>{esc(c.unit_names[u])}</option>'
            for u in order]
        picks.append(f'<label>{c.t("city_n", n=slot + 1)} <select class="compare-pick" data-slot="{slot}">'
                     f'{"".join(opts)}</select></label>')
    area_name = data.level_names[data.area_level - 1]
    return "".join([
        '<section id="compare" class="view" aria-labelledby="compare-h" hidden>',
        f'<h2 id="compare-h">{c.t("nav_compare")}</h2><p>{c.t("compare_intro")}</p>',
        f'<div class="controls compare-controls no-print">{"".join(picks)}</div>',
        chart_block("compare", c.t("compare_caption", level=area_name), c.t("compare_summary", level=area_name)),
        f'<div class="table-wrap"><table id="compare-table" class="compact tree"><caption>{c.t("compare_table")}'
        "</caption><thead></thead><tbody></tbody></table></div>",
        "</section>"])


def _comparability_list(data: ReportData) -> str:
    c = _Ctx(data)
    items = []
    for r in _rows(data.comparability):
        if r.kind == "indicators":
            detail = ", ".join(data.labels.get(x, x) for x in r.detail)
        elif r.kind == "sample":
            added, dropped = r.detail
            detail = data.text("sample_detail", added=", ".join(c.unit_names.get(u, u) for u in added) or DASH,
                               dropped=", ".join(dropped) or DASH)
        elif r.kind == "weights":
            detail = ", ".join(data.labels.get(x, x) for x in r.detail[:8]) + (" ..." if len(r.detail) > 8 else "")
        else:
            detail = ", ".join(r.detail)
        items.append(f"<li><strong>{esc(r.edition_from)} {DASH} {esc(r.edition_to)}</strong>: "
                     f"{c.t('cmp_' + r.kind)} ({esc(detail)})</li>")
    for e, reason in data.skipped:
        items.append(f"<li>{c.t('edition_skipped', edition=e)}: {esc(reason)}</li>")
    if not items:
        return f'<p class="ok">{c.t("cmp_none")}</p>'
    return f'<div class="warning" role="note"><strong>{c.t("cmp_warning")}</strong><ul>{"".join(items)}</ul></div>'


def editions_section(data: ReportData) -> str:
    """Score (and rank) changes between editions: slope charts, a table, comparability warnings."""
    c = _Ctx(data)
    f = c.fmt
    eds = [r.edition for r in data.editions]
    parts = ['<section id="editions" class="view" aria-labelledby="editions-h" hidden>',
             f'<h2 id="editions-h">{c.t("nav_editions")}</h2>',
             f"<p>{c.t('editions_in_data', editions=', '.join(map(str, eds)))}</p>"]
    if len(eds) < 2:
        parts.append(f'<p class="none">{c.t("one_edition")}</p>')
        for e, reason in data.skipped:
            parts.append(f"<p>{c.t('edition_skipped', edition=e)}: {esc(reason)}</p>")
        parts.append("</section>")
        return "".join(parts)
    parts.append(_comparability_list(data))
    parts.append(f'<p class="rule">{c.t("rule_comparability")}</p>')
    parts.append(f'<p class="rule">{_rule_arrows(data)}</p>')
    parts.append(chart_block("slope-score", c.t("slope_score_caption"), c.t("slope_summary", n=len(data.result.units))))
    if not c.no_ranks:
        parts.append(chart_block("slope-rank", c.t("slope_rank_caption"), c.t("slope_summary",
                                                                               n=len(data.result.units))))
    hist = data.history
    score = hist.pivot_table(index="unit", columns="edition", values="score", aggfunc="first")
    rank = hist.pivot_table(index="unit", columns="edition", values="rank", aggfunc="first")
    ch = data.changes[data.changes["code"] == data.framework.root].set_index("unit")
    head = [_th(c.t("city"), sort="text")] + [_th(c.t("score_in", edition=e), num=True, sort="num") for e in eds]
    head.append(_th(c.t("change"), num=True, sort="num"))
    if not c.no_ranks:
        head += [_th(c.t("rank_in", edition=e), num=True, sort="num") for e in eds]
        head.append(_th(c.t("rank_change_short"), num=True, sort="num"))
    rows = []
    for unit in data.ranking["unit"]:
        cells = [f'<th scope="row" data-v="{_v(c.unit_names[unit])}">{c.city_link(unit)}</th>']
        cells += [_td(f.num(score.at[unit, e] if unit in score.index and e in score.columns else np.nan),
                      num=True, v=score.at[unit, e] if unit in score.index and e in score.columns else None)
                  for e in eds]
        r = ch.loc[unit] if unit in ch.index else None
        cells.append(_td((f.num(r["d_score"], 1, sign=True) + " " + _arrow(c, int(r["score_arrow"])))
                         if r is not None else f.na, num=True, v=r["d_score"] if r is not None else None))
        if not c.no_ranks:
            cells += [_td(f.rank(rank.at[unit, e] if unit in rank.index and e in rank.columns else np.nan),
                          num=True, v=rank.at[unit, e] if unit in rank.index and e in rank.columns else None)
                      for e in eds]
            cells.append(_td((f.num(r["d_rank"], 0, sign=True) + " " + _arrow(c, int(r["rank_arrow"])))
                             if r is not None else f.na, num=True, v=r["d_rank"] if r is not None else None))
        rows.append("<tr>" + "".join(cells) + "</tr>")
    parts.append(f'<div class="table-wrap">{_table(head, rows, cls="sortable compact", tid="editions-table")}</div>')
    parts.append("</section>")
    return "".join(parts)


def _rule_arrows(data: ReportData) -> str:
    c = _Ctx(data)
    text = c.t("rule_arrow_score", points=c.fmt.num(data.options.points, 1))
    if not c.no_ranks:
        text += " " + (c.t("rule_arrow_rank_interval") if data.intervals is not None
                       else c.t("rule_arrow_rank", ranks=data.options.ranks))
    return text


# ---- methodology ---------------------------------------------------------------------


def _dl(items: Sequence[tuple[str, str]]) -> str:
    return '<dl class="facts-list">' + "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in items) + "</dl>"


def methodology_section(data: ReportData) -> str:
    """The appendix, generated from the framework and the manifest."""
    c = _Ctx(data)
    f = c.fmt
    fw = data.framework
    res = data.result
    man = data.manifest
    meta = data.meta
    lang = data.options.lang
    from .tables import translated

    parts = ['<section id="methodology" class="view" aria-labelledby="methodology-h" hidden>',
             f'<h2 id="methodology-h">{c.t("nav_methodology")}</h2>']
    # data
    notice = meta.get("notice") or man.get("data", {}).get("notice", "")
    parts.append(f"<h3>{c.t('m_data')}</h3>")
    parts.append(notice_banner(str(notice), data.text("notice")))
    ds = res.input_dataset or res.dataset
    items = [(c.t("m_edition"), esc(res.edition)), (c.t("m_editions"), esc(", ".join(map(str, ds.editions)))),
             (c.t("m_sample"), c.t("m_sample_text", n=res.dataset.n_units,
                                    total=res.dataset.n_units + len(res.excluded)))]
    if meta.get("title"):
        items.insert(0, (c.t("m_dataset"), esc(meta["title"])))
    data_man = man.get("data", {})
    if data_man.get("path"):
        items.append((c.t("m_data_file"), f"<code>{esc(data_man['path'])}</code>"
                      + (f' <span class="hash">SHA-256 {esc(data_man.get("sha256", ""))}</span>'
                         if data_man.get("sha256") else "")))
    for key in ("sources", "licence"):
        if meta.get(key):
            items.append((c.t("m_" + key), esc(meta[key])))
    parts.append(_dl(items))
    if len(res.excluded):
        head = [_th(c.t("city")), _th(c.t("coverage"), num=True), _th(c.t("reason"))]
        rows = [f"<tr><th scope=\"row\">{esc(r.name)} <code>{esc(r.unit)}</code></th>"
                f"{_td(f.pct(r.coverage), num=True)}<td>{esc(r.reason)}</td></tr>"
                for r in _rows(res.excluded)]
        parts.append(f"<h4>{c.t('m_excluded_units')}</h4>" + _table(head, rows, cls="compact"))
    if len(res.excluded_indicators):
        head = [_th(c.t("indicator")), _th(c.t("reason"))]
        rows = [f"<tr><th scope=\"row\">{c.node(r.indicator)} <code>{esc(r.indicator)}</code></th>"
                f"<td>{esc(r.reason)}</td></tr>" for r in _rows(res.excluded_indicators)]
        parts.append(f"<h4>{c.t('m_excluded_indicators')}</h4>" + _table(head, rows, cls="compact"))
    if res.warnings:
        parts.append(f"<h4>{c.t('m_warnings')}</h4><ul>" + "".join(f"<li>{esc(w)}</li>" for w in res.warnings)
                     + "</ul>")
    # framework
    parts.append(f"<h3>{c.t('m_framework')}</h3>")
    from .tables import framework_name

    ft = fw.model.translations.get(lang)
    desc = (ft.description if ft is not None else "") or fw.model.description
    parts.append(_dl([(c.t("m_name"), esc(framework_name(fw, lang))
                       + (f" ({c.t('m_version')} {esc(fw.model.version)})" if fw.model.version else "")),
                      (c.t("m_structure"), esc(fw.summary()))]))
    if desc:
        parts.append(f"<p>{esc(desc)}</p>")
    parts.append(f"<h4>{c.t('m_tree')}</h4><p class=\"rule\">{c.t('m_weights_rule')}</p>")
    parts.append(f'<div class="table-wrap">{_weights_table(data)}</div>')
    parts.append(f"<h4>{c.t('m_indicators')}</h4>")
    head = [_th(c.t("indicator")), _th(c.t("m_unit")), _th(c.t("m_direction")), _th(c.t("m_type")),
            _th(c.t("m_source")), _th(c.t("m_description"))]
    rows = []
    for code in fw.indicator_codes:
        ind = fw.indicators[code]
        direction = c.t("m_higher_better") if ind.direction > 0 else c.t("m_lower_better")
        description = translated(fw, code, "description", lang)
        extra = [description] if description else []
        if ind.type == "questionnaire":
            question = translated(fw, code, "question", lang)
            if question:
                extra.append(data.text("m_question") + ": " + question)
        if ind.notes:
            extra.append(data.text("m_notes") + ": " + ind.notes)
        rows.append(f'<tr><th scope="row">{c.node(code)} <code>{esc(code)}</code></th>'
                    f"<td>{esc(translated(fw, code, 'unit', lang))}</td><td>{direction}</td>"
                    f"<td>{c.t('m_type_' + ind.type)}</td><td>{esc(ind.source)}</td>"
                    f"<td>{'<br>'.join(esc(e) for e in extra)}</td></tr>")
    parts.append(f'<div class="table-wrap">{_table(head, rows, cls="compact")}</div>')
    # sources
    sources: dict[str, list[str]] = {}
    for code in fw.indicator_codes:
        sources.setdefault(fw.indicators[code].source or data.text("m_no_source"), []).append(code)
    head = [_th(c.t("m_source")), _th(c.t("m_indicators"))]
    rows = [f"<tr><th scope=\"row\">{esc(s)}</th><td>{esc(', '.join(data.labels[x] for x in codes))}</td></tr>"
            for s, codes in sources.items()]
    parts.append(f"<h4>{c.t('m_sources')}</h4>" + _table(head, rows, cls="compact"))
    # methods
    parts.append(f"<h3>{c.t('m_methods')}</h3><p>{c.t('m_methods_intro')}</p>")
    head = [_th(c.t("m_step")), _th(c.t("m_method")), _th(c.t("m_params")), _th(c.t("m_applies"))]
    rows = []
    for r in _rows(data.methods):
        codes = list(r.codes)
        if not codes:
            applies = c.t("m_all")
        else:
            names = esc(", ".join(data.labels.get(x, x) for x in codes))
            applies = (names if len(codes) <= 6 else
                       f"<details><summary>{c.t('m_n_items', n=len(codes))}</summary>{names}</details>")
        rows.append(f"<tr><th scope=\"row\">{esc(r.step)}</th><td><code>{esc(r.method)}</code></td>"
                    f"<td>{f'<code>{esc(r.params)}</code>' if r.params else DASH}</td><td>{applies}</td></tr>")
    parts.append(f'<div class="table-wrap">{_table(head, rows, cls="compact")}</div>')
    # peer groups
    if len(data.peer_groups):
        head = [_th(c.t("peer_group")), _th(c.t("m_definition")), _th(c.t("m_groups"))]
        rows = []
        for gcode, part in data.peer_groups.groupby("code", sort=False):
            g = next(g for g in fw.model.peer_groups if g.code == gcode)
            definition = _peer_definition(c, g)
            groups = ", ".join(f"{lbl or data.text('m_no_group')} ({n})" for lbl, n in zip(part["label"], part["n"],
                                                                                               strict=True))
            used = f' <span class="tag">{c.t("m_used")}</span>' if gcode == data.peer_group else ""
            rows.append(f"<tr><th scope=\"row\">{esc(g.name or g.code)} <code>{esc(gcode)}</code>{used}</th>"
                        f"<td>{definition}</td><td>{esc(groups)}</td></tr>")
        parts.append(f"<h4>{c.t('m_peer_groups')}</h4><p class=\"rule\">{c.t('rule_peers')}</p>"
                     + _table(head, rows, cls="compact"))
    # uncertainty
    if data.intervals is not None and not c.no_ranks:
        parts.append(f"<h4>{c.t('m_uncertainty')}</h4><p>{c.t('m_uncertainty_text')} "
                     f"<code>{esc(data.intervals_source)}</code></p>")
    # reading rules
    rules = [c.t("rule_standing"), c.t("rule_learn"), _rule_arrows(data), c.t("rule_comparability")]
    if not c.no_ranks:
        rules.insert(0, c.t("rule_ranks"))
    parts.append(f"<h3>{c.t('m_rules')}</h3><ul>" + "".join(f"<li>{r}</li>" for r in rules) + "</ul>")
    # software
    soft = man.get("software", {})
    items = [(c.t("m_software"), esc(", ".join(f"{k} {v}" for k, v in soft.items())))] if soft else []
    fman = man.get("framework", {})
    if fman.get("path"):
        items.append((c.t("m_framework_file"), f"<code>{esc(fman['path'])}</code>"
                      + (f' <span class="hash">SHA-256 {esc(fman["sha256"])}</span>' if fman.get("sha256") else "")))
    if man.get("settings"):
        items.append((c.t("m_settings"), "<code>" + esc(", ".join(f"{k}={v}" for k, v in man["settings"].items()))
                      + "</code>"))
    if items:
        parts.append(f"<h3>{c.t('m_reproduce')}</h3>" + _dl(items))
    parts.append("</section>")
    return "".join(parts)


def _peer_definition(c: _Ctx, g: Any) -> str:
    attr = c.d.framework.attributes

    def name(a: str) -> str:
        return (attr[a].name or a) if a in attr else a

    if g.kind == "bands":
        return c.t("m_peer_bands", attribute=name(g.by), cuts=", ".join(c.fmt.raw(b) for b in g.bands))
    if g.kind == "category":
        return c.t("m_peer_category", attribute=name(g.by))
    if g.kind == "members":
        return c.t("m_peer_members")
    return c.t("m_peer_nearest", k=g.nearest, attributes=", ".join(name(a) for a in g.on or []))


# ---- audit ---------------------------------------------------------------------------


def _sev(c: _Ctx, severity: str) -> str:
    return f'<span class="sev sev-{esc(severity)}">{c.t("audit_sev_" + severity)}</span>'


def _finding_texts(data: ReportData) -> list[tuple[str, str]]:
    """Each flag of the audit as (component, sentence) in the report's language (escaped HTML).

    The sentences are the UI strings ``audit_m_<finding>`` filled in from the flag and
    the audit's tables, so that they read in every language (``flags.csv`` keeps the
    audit's own English wording).
    """
    c = _Ctx(data)
    f = c.fmt
    audit = data.audit
    assert audit is not None
    rules = audit.rules
    symbol = "r" if rules.method == "pearson" else "\u03c1"
    imp = {(r["node"], r["child"]): r for r in _records(audit.importance)}
    out_rows = {r["indicator"]: r for r in _records(audit.outliers)}
    units = {r["unit"]: r["name"] for r in _records(audit.coverage_units)}
    editions: dict[tuple[str, str, float], list[Any]] = {}
    for kind, frame, col in (("indicator", audit.coverage_indicators, "indicator"),
                             ("unit", audit.coverage_units, "unit")):
        low = frame[frame["coverage"] < rules.min_coverage]
        for code, share, e in zip(low[col], low["coverage"], low["edition"], strict=True):
            editions.setdefault((kind, str(code), float(share)), []).append(e)
    used: dict[tuple[str, str, float], int] = {}

    def name(code: str) -> str:
        return data.labels.get(code, code)

    out = []
    for r in _records(audit.flags):
        finding, node, code, v = str(r["finding"]), str(r["node"]), str(r["code"]), float(r["value"])
        key = "audit_m_" + finding
        values: dict[str, Any] = {"node": name(node), "code": name(code)}
        component = name(code)
        if finding in ("negative_alpha", "low_alpha"):
            values.update(value=f.num(v, 2), threshold=f.num(rules.min_alpha, 2))
        elif finding == "negative_correlation":
            values.update(value=f"{symbol} = {f.num(v, 2)}")
        elif finding == "insignificant_correlation":
            values.update(value=f"p = {f.num(v, 3)}", threshold=f.num(rules.p_value, 2))
        elif finding == "redundancy":
            a, b = code.split(" & ", 1)
            component = f"{name(a)} & {name(b)}"
            values.update(a=name(a), b=name(b), value=f"{symbol} = {f.num(v, 2)}")
        elif finding == "multidimensional":
            values.update(value=f.num(v, 0))
        elif finding == "weak_first_component":
            values.update(value=f.pct(v), threshold=f.pct(rules.min_first_share))
        elif finding == "importance_weight":
            row = imp.get((node, code), {})
            values.update(value=f.num(v, 2), weight=f.pct(row.get("weight")), share=f.pct(row.get("S_share")))
        elif finding == "outlier_after_treatment":
            row = out_rows.get(code, {})
            values.update(value=f.num(v, 2), kurtosis=f.num(row.get("kurtosis_after"), 2))
        elif finding == "low_coverage":
            kind = "indicator" if code in data.framework.indicators else "unit"
            if kind == "unit":
                key, component = "audit_m_low_coverage_unit", str(units.get(code, code))
                values["code"] = component
            found = editions.get((kind, code, v), [""])
            n = used.get((kind, code, v), 0)
            used[(kind, code, v)] = n + 1
            values.update(value=f.pct(v), threshold=f.pct(rules.min_coverage), edition=found[min(n, len(found) - 1)])
        out.append((esc(component), c.t(key, **values)))
    return out


def audit_flags_table(data: ReportData) -> str:
    """The findings of the audit, most serious first: severity, finding, component, what it means."""
    c = _Ctx(data)
    audit = data.audit
    assert audit is not None
    if not len(audit.flags):
        return f'<p class="ok">{c.t("audit_no_finding")}</p>'
    head = [_th(c.t("audit_severity")), _th(c.t("audit_finding")), _th(c.t("node")), _th(c.t("audit_meaning"))]
    rows = [f'<tr><td>{_sev(c, r["severity"])}</td><td>{c.t("audit_f_" + r["finding"])}</td>'
            f'<th scope="row">{component}</th><td class="msg">{text}</td></tr>'
            for r, (component, text) in zip(_records(audit.flags), _finding_texts(data), strict=True)]
    return _table(head, rows, cls="compact flags-table", caption=c.t("audit_flags_caption"), tid="audit-flags")


def audit_nodes_table(data: ReportData) -> str:
    """Cronbach's alpha and the principal components of every aggregate node, top-down, with their flags."""
    c = _Ctx(data)
    f = c.fmt
    audit = data.audit
    assert audit is not None
    pca = {r["node"]: r for r in _records(audit.pca_summary)}
    node_findings = ("negative_alpha", "low_alpha", "multidimensional", "weak_first_component")
    tags: dict[str, list[str]] = {}
    for r in _records(audit.flags):
        if r["finding"] in node_findings and r["code"] == r["node"]:
            tags.setdefault(str(r["node"]), []).append(
                f'<span class="tag sev-{esc(r["severity"])}">{c.t("audit_f_" + r["finding"])}</span>')
    head = [_th(c.t("node")), _th(c.t("audit_k"), num=True), _th(c.t("audit_n"), num=True),
            _th(c.t("audit_alpha"), num=True), _th(c.t("audit_share_1"), num=True),
            _th(c.t("audit_above_1"), num=True), _th(c.t("audit_findings"))]
    alpha = {str(r["node"]): r for r in _records(audit.cronbach)}
    rows = []
    for node, depth in _tree(data, min_level=2):
        if node not in alpha:
            continue
        r, p = alpha[node], pca.get(node)
        rows.append(f'<tr class="depth-{depth}"><th scope="row"><span class="indent">{c.node(node)}</span></th>'
                    f"{_td(f.num(r['k'], 0), num=True)}{_td(f.num(r['n'], 0), num=True)}"
                    f"{_td(f.num(r['alpha'], 2), num=True)}"
                    f"{_td(f.pct(p['share_1']) if p else f.na, num=True)}"
                    f"{_td(f.num(p['n_above_1'], 0) if p else f.na, num=True)}"
                    f"<td>{' '.join(tags.get(node, []))}</td></tr>")
    return _table(head, rows, cls="compact tree", caption=c.t("audit_nodes_caption"), tid="audit-nodes")


def _correlation_table(data: ReportData, node: str) -> str:
    """The correlation matrix of a node's components and the node (the data table of its heatmap)."""
    from ..audit import correlation_matrix

    c = _Ctx(data)
    audit = data.audit
    assert audit is not None
    codes, r, _, _ = correlation_matrix(audit.correlations, node, method=audit.rules.method)
    head = [_th(c.t("node"))] + [_th(c.node(x), num=True) for x in codes]
    rows = [f'<tr><th scope="row">{c.node(x)}</th>' + "".join(_td(c.fmt.num(v, 2), num=True) for v in r[i])
            + "</tr>" for i, x in enumerate(codes)]
    return _table(head, rows, cls="compact corr-table")


def _importance_table(data: ReportData) -> str:
    """Nominal weight and the two importance shares of every component in its node (the chart's data table)."""
    c = _Ctx(data)
    f = c.fmt
    audit = data.audit
    assert audit is not None
    head = [_th(c.t("node")), _th(c.t("weight_normalised"), num=True), _th(c.t("audit_r2_share"), num=True),
            _th(c.t("audit_S_share"), num=True), _th(c.t("audit_ratio"), num=True)]
    bodies = []
    for node, part in audit.importance.groupby("node", sort=False):
        rows = [f'<tr class="group"><th scope="rowgroup" colspan="5">{c.node(str(node))}</th></tr>']
        rows += [f'<tr><th scope="row">{c.node(r.child)}</th>{_td(f.pct(r.weight, 1), num=True)}'
                 f"{_td(f.pct(r.r2_share, 1), num=True)}{_td(f.pct(r.S_share, 1), num=True)}"
                 f"{_td(f.num(r.ratio_S, 2), num=True)}</tr>" for r in _rows(part)]
        bodies.append("<tbody>" + "".join(rows) + "</tbody>")
    return (f'<table class="compact importance-table"><thead><tr>{"".join(head)}</tr></thead>'
            f'{"".join(bodies)}</table>')


def _correlation_panels(data: ReportData) -> str:
    """A node selector and, per aggregate node, its heatmap, data table and findings (one shown at a time)."""
    from .build import audit_nodes

    c = _Ctx(data)
    audit = data.audit
    assert audit is not None
    fw = data.framework
    nodes = audit_nodes(data)
    flags = _records(audit.flags)
    texts = _finding_texts(data)
    alpha = {r["node"]: r for r in _records(audit.cronbach)}
    groups: dict[int, list[str]] = {}
    panels = []
    for i, node in enumerate(nodes):
        mine = [(r, t) for r, t in zip(flags, texts, strict=True) if r["node"] == node]
        label = data.labels.get(node, node) + (f" ({data.text('audit_n_findings', n=len(mine))})" if mine else "")
        groups.setdefault(fw.level_of(node), []).append(f'<option value="audit-node-{i}">{esc(label)}</option>')
        items = "".join(f"<li>{_sev(c, r['severity'])} {t}</li>" for r, (_, t) in mine)
        panels.append(
            f'<div class="audit-panel" id="audit-node-{i}"{" hidden" if i else ""}>'
            + chart_block(f"audit-corr-{i}", c.t("audit_corr_caption", node=data.labels.get(node, node),
                                                  alpha=c.fmt.num(alpha[node]["alpha"], 2)),
                          c.t("audit_corr_summary", node=data.labels.get(node, node), k=alpha[node]["k"]),
                          _correlation_table(data, node), table_label=data.text("data_table"))
            + (f'<ul class="node-findings">{items}</ul>' if items else f'<p class="none">{c.t("audit_node_ok")}</p>')
            + "</div>")
    options = "".join(f'<optgroup label="{esc(data.level_names[level - 1])}">{"".join(opts)}</optgroup>'
                      for level, opts in sorted(groups.items(), reverse=True))
    return (f'<div class="controls no-print"><label for="audit-node">{c.t("audit_choose_node")}</label> '
            f'<select id="audit-node" data-panels="audit-panel">{options}</select></div>' + "".join(panels))


def audit_section(data: ReportData) -> str:
    """The statistical audit of the current edition: findings, alpha and PCA, correlations, importance."""
    c = _Ctx(data)
    f = c.fmt
    parts = ['<section id="audit" class="view" aria-labelledby="audit-h" hidden>',
             f'<h2 id="audit-h">{c.t("nav_audit")}</h2>']
    audit = data.audit
    if audit is None:
        parts.append(f'<p class="none">{c.t("audit_unavailable")}: {esc(data.audit_error)}</p></section>')
        return "".join(parts)
    rules = audit.rules
    counts = c.t("audit_counts", n=len(audit.flags), **audit.counts())
    method = data.text("audit_pearson" if rules.method == "pearson" else "audit_spearman")
    parts += [f'<p>{c.t("audit_intro", edition=data.result.edition)}</p>',
              f'<h3>{c.t("audit_findings")}</h3>', f'<p class="counts">{counts}</p>',
              f'<div class="table-wrap">{audit_flags_table(data)}</div>',
              f'<h3>{c.t("audit_nodes_title")}</h3>',
              f'<div class="table-wrap">{audit_nodes_table(data)}</div>',
              '<p class="rule">' + c.t("audit_rule_alpha", alpha=f.num(rules.min_alpha, 2),
                                      share=f.pct(rules.min_first_share)) + "</p>",
              f'<h3>{c.t("audit_corr_title")}</h3>',
              '<p class="rule">' + c.t("audit_rule_corr", method=method, p=f.num(rules.p_value, 2),
                                      redundancy=f.num(rules.redundancy, 2)) + "</p>",
              _correlation_panels(data)]
    if "audit-importance" in data.figures:
        lo, hi = rules.importance_range
        parts += [f'<h3>{c.t("audit_importance_title")}</h3>',
                  '<p class="rule">' + c.t("audit_rule_importance", low=f.num(lo, 1), high=f.num(hi, 1)) + "</p>",
                  chart_block("audit-importance", c.t("audit_importance_caption"), c.t("audit_importance_summary"),
                              _importance_table(data), table_label=data.text("data_table"))]
    parts.append("</section>")
    return "".join(parts)


# --------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------


def _nav(data: ReportData) -> str:
    c = _Ctx(data)
    links = [("overview", "nav_overview"), ("profiles", "nav_profiles"), ("compare", "nav_compare"),
             ("editions", "nav_editions"), ("audit", "nav_audit"), ("methodology", "nav_methodology")]
    if not data.options.audit:
        links.remove(("audit", "nav_audit"))
    return ('<nav class="tabs no-print" aria-label="' + c.t("nav_label") + '"><ul>'
            + "".join(f'<li><a href="#{v}" data-view="{v}">{c.t(k)}</a></li>' for v, k in links) + "</ul></nav>")


def _script_data(data: ReportData) -> dict[str, Any]:
    """What the page script needs: figures, the compare data, a few strings, the plotly config."""
    from .figures import COMPARE_COLOURS
    from .tables import tree_order

    fw = data.framework
    res = data.result
    codes = [(code, d) for code, d in tree_order(fw) if fw.level_of(code) >= data.area_level]
    scores = data.nodes[data.nodes["level"] >= data.area_level]
    wide = scores.pivot(index="unit", columns="code", values="score").loc[list(res.units), [c for c, _ in codes]]
    compare: dict[str, Any] = {
        "units": [str(u) for u in res.units], "names": list(map(str, res.dataset.unit_names)),
        "anchors": list(data.anchors),
        "nodes": [{"code": code, "label": data.labels.get(code, code), "depth": d} for code, d in codes],
        "scores": np.round(wide.to_numpy(dtype=float), 2),
    }
    if not data.options.no_ranks:
        ranks = scores.pivot(index="unit", columns="code", values="rank").loc[list(res.units),
                                                                               [c for c, _ in codes]]
        compare["ranks"] = ranks.to_numpy(dtype=float)
    strings = {k: data.text(k) for k in ("node", "none_option", "compare_empty")}
    return {"lang": data.options.lang, "config": PLOTLY_CONFIG, "compare": compare, "strings": strings,
            "colours": list(COMPARE_COLOURS),
            "figures": {k: fig.to_plotly_json() for k, fig in data.figures.items()}}


def render_report(data: ReportData) -> str:
    """The whole report as one HTML document (deterministic for identical input)."""
    from plotly.offline import get_plotlyjs

    from .. import __version__
    from ..io import read_resource
    from .tables import framework_name

    c = _Ctx(data)
    fw = data.framework
    title = data.options.title or framework_name(fw, data.options.lang)
    notice = str(data.meta.get("notice") or data.manifest.get("data", {}).get("notice", "") or "")
    n = len(data.result.units)
    subtitle = c.t("subtitle", n=n, edition=data.result.edition)
    body = "".join([
        f'<a class="skip" href="#main">{c.t("skip")}</a>',
        f'<header class="masthead"><h1>{esc(title)}</h1><p class="subtitle">{subtitle}</p>',
        notice_banner(notice, data.text("notice")), _nav(data), "</header>",
        '<main id="main" tabindex="-1">',
        overview_section(data), profiles_section(data), compare_section(data), editions_section(data),
        audit_section(data) if data.options.audit else "", methodology_section(data), "</main>",
        f'<footer class="foot"><p>{c.t("footer", version=__version__)}</p></footer>'])
    page = Template(read_resource("openindex.report", "templates/page.html"))
    return page.substitute(
        lang=esc(data.options.lang), title=esc(title), csp=esc(CSP), version=esc(__version__),
        css=read_resource("openindex.report", "templates/report.css"),
        body=body, data=json_for_html(_script_data(data)),
        plotly=get_plotlyjs(), js=read_resource("openindex.report", "templates/report.js"))


# --------------------------------------------------------------------------------------
# The standalone audit page (`openindex audit` writes it as audit.html)
# --------------------------------------------------------------------------------------

AUDIT_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1100px;
 padding:1.5rem;color:#222;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ccc}
.meta{color:#555}.notice{background:#fff3cd;border:1px solid #e0c36a;padding:.5rem .8rem;margin:1rem 0}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}
.sev-high{color:#fff;background:#b35806;font-weight:600}.sev-medium{background:#f1a340}
.sev-low{background:#e8eef4}.counts span{margin-right:1rem}.fig{margin:1rem 0}
.grid{display:flex;flex-wrap:wrap;gap:0 1rem}
"""


def _audit_cell(value: Any, digits: int) -> str:
    if isinstance(value, float):
        return '<td class="num">' + ("" if value != value else f"{value:.{digits}f}") + "</td>"
    if isinstance(value, int | bool) or hasattr(value, "dtype"):
        return f'<td class="num">{esc(value)}</td>'
    return f"<td>{esc(value)}</td>"


def _audit_table(frame: pd.DataFrame, columns: Sequence[str], digits: int = 2, severity: bool = False) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = []
    for row in frame[list(columns)].itertuples(index=False):
        cells = []
        for col, v in zip(columns, row, strict=True):
            if severity and col == "severity":
                cells.append(f'<td class="sev-{esc(v)}">{esc(v)}</td>')
            else:
                cells.append(_audit_cell(v.item() if hasattr(v, "item") else v, digits))
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _audit_figure(fig: Any, div_id: str) -> str:
    import plotly.io as pio

    return ('<div class="fig">' + pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id,
                                              config={"displaylogo": False, "responsive": True}) + "</div>")


def audit_page(audit: Audit, *, notice: str = "", title: str = "") -> str:
    """The audit as one self-contained HTML page.

    Sections: the findings (flags table, most serious first), importance versus
    weight (chart), correlations within every node (one heatmap per node, top-down),
    Cronbach's alpha and PCA tables, outliers, the rules used.

    Parameters
    ----------
    audit : Audit
        From :func:`openindex.audit.run_audit`.
    notice : str
        A data notice shown at the top (e.g. "Synthetic demonstration data").
    title : str
        Page title; default "Statistical audit: <index name>".

    Returns
    -------
    str
        The HTML document (deterministic for identical input: fixed figure ids).
    """
    from dataclasses import fields

    from plotly.offline import get_plotlyjs

    from .figures import correlation_heatmap, importance_chart

    result = audit.result
    fw = result.framework
    names = {c: fw.node(c).name for c in (*fw.indicator_codes, *fw.aggregates)}
    title = title or f"Statistical audit: {fw.name}"
    rules = audit.rules
    counts = audit.counts()
    parts = [f"<h1>{esc(title)}</h1>",
             f'<p class="meta">{esc(fw.summary())}. Edition {esc(result.edition)}, {esc(result.dataset.n_units)} '
             f"units. Indicator values at stage <b>{esc(audit.stage)}</b>; aggregates are the aggregated "
             "scores.</p>"]
    if notice:
        parts.append(f'<p class="notice">{esc(notice)}</p>')
    parts.append("<h2>Findings</h2>")
    parts.append('<p class="counts">' + "".join(f"<span>{esc(n)} {esc(s)}</span>" for s, n in counts.items())
                 + "</p>")
    if len(audit.flags):
        parts.append(_audit_table(audit.flags, ["severity", "finding", "node", "code", "message"], severity=True))
    else:
        parts.append("<p>No finding: every rule below is met.</p>")

    parts.append("<h2>Importance versus nominal weight</h2>")
    parts.append("<p>For each component, its nominal weight within its node next to its share of the node's "
                 "variance explained, by squared Pearson correlation and by the correlation ratio "
                 "(Paruolo, Saisana &amp; Saltelli 2013), both normalised to sum to 1 within the node.</p>")
    if len(audit.importance):
        parts.append(_audit_figure(importance_chart(audit.importance, names=names), "audit-importance"))

    parts.append("<h2>Correlations within each node</h2>")
    parts.append(f"<p>{esc(rules.method.title())} correlations on pairwise-complete observations between the "
                 "components of each node, and with the node itself (last row).</p>")
    nodes_with = set(audit.correlations["y"])
    parts.append('<div class="grid">')
    for i, node in enumerate(audit.cronbach["node"]):
        if node in nodes_with:
            fig = correlation_heatmap(audit.correlations, node, method=rules.method, names=names)
            parts.append(_audit_figure(fig, f"audit-corr-{i}"))
    parts.append("</div>")

    parts.append("<h2>Cronbach's alpha</h2>")
    parts.append(f"<p>alpha = k/(k-1) (1 - trace(C)/sum(C)), C the covariance matrix of the components "
                 f"({esc(rules.cov_use)} observations, ddof 1); n is the "
                 f"{'number of complete cases' if rules.cov_use == 'complete' else 'smallest pairwise count'}. "
                 f"Above {esc(rules.min_alpha)} is usually read as acceptable.</p>")
    parts.append(_audit_table(audit.cronbach, ["node", "alpha", "k", "n"]))
    parts.append("<h2>Principal components</h2>")
    parts.append(f"<p>Correlation matrix of the components on {esc(rules.pca_use)} observations. A node is "
                 f"multidimensional when more than {esc(rules.max_components)} eigenvalue exceeds 1.</p>")
    parts.append(_audit_table(audit.pca_summary, ["node", "k", "n", "eigenvalue_1", "eigenvalue_2", "share_1",
                                            "n_above_1", "multidimensional"]))
    out = audit.outliers
    flagged = out[out["outlier_before"] | out["outlier_after"]]
    parts.append("<h2>Outliers</h2>")
    parts.append(f"<p>Rule: |skewness| &gt; {esc(rules.skew)} and kurtosis &gt; {esc(rules.kurtosis)}, before "
                 f"(imputed values) and after treatment. {len(flagged)} indicator(s) shown.</p>")
    if len(flagged):
        parts.append(_audit_table(flagged, list(out.columns)))
    parts.append("<h2>Rules</h2>")
    parts.append(_audit_table(pd.DataFrame({"rule": [f.name for f in fields(rules)],
                                     "value": [str(getattr(rules, f.name)) for f in fields(rules)]}),
                        ["rule", "value"]))
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{esc(title)}</title>\n"
            f"<style>{AUDIT_CSS}</style>\n<script type=\"text/javascript\">{get_plotlyjs()}</script>\n</head>\n<body>\n"
            + "\n".join(parts) + "\n</body>\n</html>\n")
