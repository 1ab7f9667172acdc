"""Shared pieces of the report's HTML: escaping, number formatting, table and figure helpers, UI strings.

Escaping rules, applied everywhere: every text from data or from the framework goes
through :func:`esc`; the data of the interactive parts is embedded as JSON through
:func:`json_for_html` (``<``, ``>`` and ``&`` written as ``\\u003c`` etc.).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.io as pio

from openindex.i18n import NUMBER_SEPARATORS
from openindex.report.tables import tree_order

if TYPE_CHECKING:
    from openindex.report.data import ReportData


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
    text = pio.json.to_json_plotly(data, engine="json")
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def is_missing(x: Any) -> bool:
    """Whether ``x`` is missing: None, ``pd.NA`` or NaN (a text that is not a number is not missing)."""
    if x is None or x is pd.NA:
        return True
    try:
        return bool(math.isnan(float(x)))
    except (TypeError, ValueError):
        return False


class Fmt:
    """Numbers formatted for one language (decimal and thousands separators)."""

    SEPARATORS = NUMBER_SEPARATORS

    def __init__(self, lang: str = "en", na: str = DASH) -> None:
        self.dec, self.thou = self.SEPARATORS.get(lang, (".", ","))
        self.na = na

    def num(self, x: Any, digits: int = 1, sign: bool = False) -> str:
        if is_missing(x):
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
        if is_missing(x):
            return self.na
        x = float(x)
        if x.is_integer():
            return self.num(x, 0)
        digits = min(6, max(0, 2 - math.floor(math.log10(abs(x)))))
        return self.num(x, digits)

    def pct(self, x: Any, digits: int = 0) -> str:
        return self.na if is_missing(x) else self.num(100 * float(x), digits) + "\u00a0%"

    def rank(self, r: Any, n: Any = None) -> str:
        if is_missing(r):
            return self.na
        return f"{int(r)}\u202f/\u202f{int(n)}" if n is not None and not is_missing(n) else str(int(r))


def sort_value(x: Any) -> str:
    """A sort value for ``data-v`` (plain number text, empty when missing)."""
    if is_missing(x):
        return ""
    if isinstance(x, int | np.integer):
        return str(int(x))
    if isinstance(x, float | np.floating):
        return repr(round(float(x), 6))
    return esc(str(x).casefold())


class RenderContext:
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


def html_table(head: Sequence[str], rows: Iterable[str], *, cls: str = "", caption: str = "", tid: str = "") -> str:
    """A table from escaped header cells (HTML) and ready rows (``<tr>...</tr>``)."""
    attrs = (f' id="{esc(tid)}"' if tid else "") + (f' class="{esc(cls)}"' if cls else "")
    cap = f"<caption>{caption}</caption>" if caption else ""
    th = "".join(head)
    return f"<table{attrs}>{cap}<thead><tr>{th}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def th_cell(label: str, *, num: bool = False, sort: str = "") -> str:
    """A column header (``label`` is escaped HTML); ``sort`` (``"num"`` or ``"text"``) makes it a sort button."""
    cls = ' class="num"' if num else ""
    if sort:
        return (f'<th scope="col"{cls} aria-sort="none"><button type="button" data-sort="{sort}">{label}'
                '</button></th>')
    return f'<th scope="col"{cls}>{label}</th>'


def td_cell(text: str, *, num: bool = False, v: Any = None, cls: str = "") -> str:
    """A data cell (``text`` is escaped HTML); ``v``, when given, is its sort value (``data-v``)."""
    classes = " ".join(c for c in ("num" if num else "", cls) if c)
    attrs = (f' class="{classes}"' if classes else "") + (f' data-v="{sort_value(v)}"' if v is not None else "")
    return f"<td{attrs}>{text}</td>"


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a frame as plain dicts (much faster than ``itertuples`` on arrow-backed columns)."""
    cols = list(frame.columns)
    return [dict(zip(cols, values, strict=True)) for values in zip(*(frame[c].tolist() for c in cols), strict=True)]


class _Row(dict[str, Any]):
    """A record whose columns read as attributes (``row.score``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def frame_rows(frame: pd.DataFrame) -> list[Any]:
    """Rows of a frame as :class:`_Row` records."""
    return [_Row(r) for r in frame_records(frame)]


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


def tree_nodes(data: ReportData, min_level: int = 1) -> list[tuple[str, int]]:
    """The framework's nodes of level ``min_level`` and above, depth-first: ``[(code, depth), ...]``."""
    fw = data.framework
    return [(code, d) for code, d in tree_order(fw) if fw.level_of(code) >= min_level]


def trend_arrow(c: RenderContext, arrow: int) -> str:
    """An arrow with its meaning as text (title and screen-reader text); nothing for 0."""
    if not arrow:
        return ""
    cls, glyph, key = ("up", "\u25b2", "trend_up") if arrow > 0 else ("down", "\u25bc", "trend_down")
    return f'<span class="arrow {cls}" title="{c.t(key)}">{glyph}<span class="sr"> {c.t(key)}</span></span>'
