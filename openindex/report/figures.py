"""Figures of the report: each a thin, explicit function from a tidy frame to a plotly figure.

Colours are colour-blind safe: correlations use a diverging orange-white-blue scale
(negative orange, positive blue, white at 0) and categories use the Okabe-Ito palette
(Okabe & Ito 2008). Every text taken from data is HTML-escaped before it reaches the
figure (plotly renders a few HTML tags in labels), and no figure needs a network request.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from openindex.analysis.audit import correlation_matrix
from openindex.errors import MethodError

__all__ = ["CORRELATION_SCALE", "OKABE_ITO", "correlation_heatmap", "importance_chart"]

#: diverging scale for r in [-1, 1]: orange (negative), white (0), blue (positive)
CORRELATION_SCALE: list[list[float | str]] = [
    [0.0, "#b35806"], [0.25, "#f1a340"], [0.5, "#f7f7f7"], [0.75, "#67a9cf"], [1.0, "#2166ac"]]
#: Okabe-Ito colour-blind-safe categorical palette
OKABE_ITO: dict[str, str] = {"black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9",
                             "green": "#009E73", "yellow": "#F0E442", "blue": "#0072B2",
                             "vermillion": "#D55E00", "purple": "#CC79A7"}
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12}


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _label(code: str, names: Mapping[str, str] | None) -> str:
    name = (names or {}).get(code, "")
    return _e(f"{code} ({name})" if name and name != code else code)


def _fmt(value: float, spec: str, separators: str = ".,") -> str:
    """A number formatted with ``spec``, the separators of ``separators`` and a true minus sign."""
    if value != value:
        return "NaN"
    text = format(value, spec).replace(",", "\0").replace(".", separators[0]).replace("\0", separators[1:2])
    return text.replace("-", "\u2212")


def _short(text: str, width: int = 26) -> str:
    """Escape ``text`` cut to about ``width`` characters (with an ellipsis when cut)."""
    text = str(text)
    return _e(text if len(text) <= width else text[: width - 1].rstrip() + "\u2026")


def correlation_heatmap(frame: pd.DataFrame, node: str, *, method: str = "pearson",
                        names: Mapping[str, str] | None = None, text: Mapping[str, str] | None = None,
                        separators: str = ".,", by_name: bool = False) -> go.Figure:
    """Correlation matrix of a node's children, with the node itself as the last row and column.

    Parameters
    ----------
    frame : DataFrame
        The correlation table of :func:`openindex.analysis.audit.correlations`
        (``stage, level, x, y, method, r, p, n``); the matrix is that of
        :func:`openindex.analysis.audit.correlation_matrix`.
    node : str
        Code of an aggregate node.
    method : {"pearson", "spearman"}
        Which correlations to show.
    names : mapping, optional
        Code -> name, shown in the hover texts (and on the axes with ``by_name``).
    text : mapping, optional
        Labels (translated): ``title`` (default "<Method> correlations within <node>";
        ``""`` for none), ``axis`` (default "component").
    separators : str
        Decimal and thousands separators of the numbers (plotly's ``separators``).
    by_name : bool
        Label the axes with the names (cut short on the x axis) instead of the codes.

    Returns
    -------
    plotly.graph_objects.Figure
        A heatmap on a fixed diverging scale over [-1, 1] (orange negative, blue
        positive), each cell labelled with r to two decimals; hover gives r, p and n.
        Cells without a correlation (fewer than 3 pairs, a constant column) are blank.

    Raises
    ------
    MethodError
        When the table holds no correlation with ``node`` for ``method``.
    """
    codes, r, p, n = correlation_matrix(frame, node, method=method)
    k = len(codes)
    hover = np.full((k, k), "", dtype=object)
    for i, c in enumerate(codes):
        hover[i, i] = _label(c, names)
    for i in range(k):
        for j in range(i + 1, k):
            if r[i, j] == r[i, j]:
                hover[i, j] = hover[j, i] = (
                    f"{_label(codes[i], names)}<br>{_label(codes[j], names)}<br>r = {_fmt(r[i, j], '.3f', separators)}"
                    f", p = {_fmt(p[i, j], '.3g', separators)}, n = {int(n[i, j])}")
    labels = [_e(c) for c in codes]
    cell_text = np.where(np.isnan(r), "", np.vectorize(lambda v: _fmt(v, ".2f", separators))(np.nan_to_num(r)))
    named = {"title": f"{_e(method.title())} correlations within {_e(node)}"
                      + (f"<br><sub>{_e(names[node])}</sub>" if names and names.get(node, node) != node else ""),
             "axis": "component"}
    t = {**named, **{key: _e(v) for key, v in (text or {}).items()}}
    fig = go.Figure(go.Heatmap(
        z=r, x=labels, y=labels, zmin=-1, zmax=1, zmid=0, colorscale=CORRELATION_SCALE,
        text=cell_text, texttemplate="%{text}", hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
        colorbar={"title": {"text": "r"}, "tickvals": [-1, -0.5, 0, 0.5, 1], "thickness": 14}, xgap=1, ygap=1))
    side = max(300, 60 + 46 * k)
    xaxis: dict[str, object] = {"title": {"text": t["axis"]}, "side": "bottom", "tickangle": -45, "ticks": ""}
    yaxis: dict[str, object] = {"title": {"text": t["axis"]}, "autorange": "reversed", "ticks": ""}
    width = max(520, side + 200)
    if by_name and names:
        xaxis.update(tickvals=labels, ticktext=[_short(names.get(c, c)) for c in codes])
        yaxis.update(tickvals=labels, ticktext=[_wrap(names.get(c, c), 28) for c in codes])
        width += 120
    fig.update_layout(_layout(
        side + 110 + (60 if by_name and names else 0), separators, width=width,
        title={"text": t["title"]} if t["title"] else None,
        margin={"l": 10, "r": 10, "t": 60 if t["title"] else 32, "b": 10}, xaxis=xaxis, yaxis=yaxis))
    return fig


def importance_chart(frame: pd.DataFrame, *, names: Mapping[str, str] | None = None,
                     text: Mapping[str, str] | None = None, separators: str = ".,",
                     by_name: bool = False) -> go.Figure:
    """Nominal weight next to effective importance, for every child of every node.

    Parameters
    ----------
    frame : DataFrame
        The importance table of :func:`openindex.analysis.audit.importance` (``node, child,
        weight, r2_share, S_share, ratio_S, ...``).
    names : mapping, optional
        Code -> name, shown in the hover texts (and on the axis with ``by_name``).
    text : mapping, optional
        Labels (translated): ``title`` (``""`` for none), ``weight``, ``r2_share``,
        ``S_share`` (the three series), ``ratio`` (hover: S share / weight), ``axis_x``,
        ``axis_y``.
    separators : str
        Decimal and thousands separators of the numbers (plotly's ``separators``).
    by_name : bool
        Label the axis with the names instead of the codes.

    Returns
    -------
    plotly.graph_objects.Figure
        A dot plot, one line per child grouped by node (top-down as in the table):
        the nominal weight (black bar), the share by squared correlation (blue circle)
        and the share by correlation ratio (orange diamond), all within the node on a
        0-1 axis. A child whose dots sit far from its bar drives its node more or less
        than its weight says.
    """
    if frame.empty:
        raise MethodError("the importance table is empty: no node has children to compare")
    t = {"title": "Importance versus nominal weight, within each node", "weight": "nominal weight",
         "r2_share": "share by squared correlation", "S_share": "share by correlation ratio",
         "ratio": "S share / weight", "axis_x": "share within the node", "axis_y": "node / component",
         **(text or {})}
    t = {key: _e(v) for key, v in t.items()}
    if by_name and names:
        y = [[_wrap(names.get(n, n), 22) for n in frame["node"]], [_e(names.get(c, c)) for c in frame["child"]]]
    else:
        y = [[_e(n) for n in frame["node"]], [_e(c) for c in frame["child"]]]
    numbers = frame[["weight", "r2_share", "S_share", "S", "ratio_S"]].to_numpy(dtype=float).tolist()
    custom = [[_label(c, names), _label(n, names), *v]
              for c, n, v in zip(frame["child"], frame["node"], numbers, strict=True)]
    hover = (f"%{{customdata[0]}}<br>%{{customdata[1]}}<br>{t['weight']}: %{{customdata[2]:.1%}}<br>"
             f"{t['r2_share']}: %{{customdata[3]:.1%}}<br>{t['S_share']}: %{{customdata[4]:.1%}} "
             f"(S = %{{customdata[5]:.2f}})<br>{t['ratio']}: %{{customdata[6]:.2f}}<extra></extra>")
    series = (("weight", "line-ns-open", OKABE_ITO["black"], 16),
              ("r2_share", "circle", OKABE_ITO["blue"], 9),
              ("S_share", "diamond", OKABE_ITO["orange"], 10))
    top = min(1.0, 1.08 * float(np.nanmax(frame[["weight", "r2_share", "S_share"]].to_numpy(dtype=float))))
    fig = go.Figure()
    for col, symbol, colour, size in series:
        fig.add_trace(go.Scatter(
            x=frame[col], y=y, mode="markers", name=t[col], customdata=custom, hovertemplate=hover,
            marker={"symbol": symbol, "color": colour, "size": size, "line": {"width": 2, "color": colour}}))
    fig.update_layout(_layout(
        140 + 22 * len(frame), separators, title={"text": t["title"]} if t["title"] else None,
        margin={"l": 10, "r": 10, "t": 60 if t["title"] else 30, "b": 40},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
        xaxis={"title": {"text": t["axis_x"]}, "range": [0, top], "tickformat": ".0%", "showgrid": True,
               "gridcolor": "#e5e5e5", "zeroline": False, "showline": True, "ticks": "outside"},
        yaxis={"title": {"text": t["axis_y"]}, "autorange": "reversed", "type": "multicategory",
               "showline": True}))
    return fig


# --------------------------------------------------------------------------------------
# Figures of the comparison report (openindex.report.build): overview, profiles, compare,
# editions. Texts (axis titles, legend entries) are passed in already translated; every
# text is escaped here. Layouts use template "none" (no theme JSON repeated in every figure).
# --------------------------------------------------------------------------------------

#: sequential scale for scores (viridis: perceptually uniform, colour-blind safe, prints in grey)
SCORE_SCALE = "Viridis"
#: trend colours: better (blue), worse (vermillion), no clear change (grey)
TREND_COLOURS: dict[int, str] = {1: OKABE_ITO["blue"], -1: OKABE_ITO["vermillion"], 0: "#9a9a9a"}
#: colours of the two to four cities of the compare view, in slot order
COMPARE_COLOURS: tuple[str, ...] = (OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["green"],
                                    OKABE_ITO["purple"])


def _layout(height: int, separators: str = ".,", **kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "template": "none", "font": FONT, "height": height, "separators": separators,
        "margin": {"l": 10, "r": 24, "t": 30, "b": 40}, "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff",
        "hoverlabel": {"font": FONT}}
    base.update(kw)
    for axis in ("xaxis", "yaxis"):  # room for the tick labels, whatever their length
        if axis in base:
            base[axis] = {"automargin": True, **base[axis]}  # type: ignore[dict-item]
    return base


def _wrap(text: str, width: int = 18) -> str:
    """Escape, then break a label into lines of about ``width`` characters with ``<br>``."""
    lines: list[str] = []
    for word in str(text).split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(_e(line) for line in lines)


def _tint(colour: str, share: float) -> str:
    """``colour`` (``#rrggbb``) mixed with white: ``share`` 0 keeps it, 1 gives white."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * min(max(share, 0.0), 1.0)):02x}" for c in rgb)


def _text_on(colour: str) -> str:
    """Black or white, whichever contrasts more with ``colour`` (WCAG relative luminance)."""
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(colour[i:i + 2], 16)) for i in (1, 3, 5))
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#1d1d1f" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"


def score_heatmap(frame: pd.DataFrame, *, colorbar: str = "score", separators: str = ".,") -> go.Figure:
    """Cities x nodes heatmap of scores.

    Parameters
    ----------
    frame : DataFrame
        Index: city names (rows, top to bottom); columns: node names (left to right);
        values: scores, NaN where missing (blank cells).
    colorbar : str
        Title of the colour bar.

    Returns
    -------
    plotly.graph_objects.Figure
        A heatmap on the sequential viridis scale; hover gives city, node and score.
    """
    rows = [_e(r) for r in frame.index]
    cols = [_wrap(c, 16) for c in frame.columns]
    z = frame.to_numpy(dtype=float)
    fig = go.Figure(go.Heatmap(
        z=z, x=cols, y=rows, colorscale=SCORE_SCALE, xgap=1, ygap=1,
        colorbar={"title": {"text": _e(colorbar)}, "thickness": 12},
        hovertemplate="%{y}<br>%{x}<br>%{z:.1f}<extra></extra>"))
    fig.update_layout(_layout(120 + 18 * len(rows), separators, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                              xaxis={"side": "bottom", "tickangle": 0, "tickfont": {"size": 11}},
                              yaxis={"autorange": "reversed", "tickfont": {"size": 11}, "dtick": 1}))
    return fig


def theme_dots(frame: pd.DataFrame, *, mean_label: str = "network average", separators: str = ".,") -> go.Figure:
    """Every city's score on each node as a dot, with the network average.

    Parameters
    ----------
    frame : DataFrame
        Long: ``node`` (node name, in display order), ``name`` (city), ``score``.

    Returns
    -------
    plotly.graph_objects.Figure
        One row per node: city dots (blue, semi-transparent; hover gives the city) and
        the network average (black bar).
    """
    nodes = list(dict.fromkeys(frame["node"]))
    y = [_e(n) for n in frame["node"]]
    fig = go.Figure(go.Scatter(
        x=frame["score"], y=y, mode="markers", showlegend=False, customdata=[_e(n) for n in frame["name"]],
        marker={"color": OKABE_ITO["blue"], "size": 9, "opacity": 0.55, "line": {"width": 1, "color": "#ffffff"}},
        hovertemplate="%{customdata}<br>%{y}: %{x:.1f}<extra></extra>"))
    means = frame.groupby("node", sort=False)["score"].mean()
    fig.add_trace(go.Scatter(
        x=[means[n] for n in nodes], y=[_e(n) for n in nodes], mode="markers", name=_e(mean_label),
        marker={"symbol": "line-ns-open", "size": 22, "color": OKABE_ITO["black"], "line": {"width": 3}},
        hovertemplate=_e(mean_label) + ": %{x:.1f}<extra></extra>"))
    fig.update_layout(_layout(110 + 48 * len(nodes), separators, legend={"orientation": "h", "y": 1.02,
                                                                         "yanchor": "bottom", "x": 0},
                              margin={"l": 10, "r": 24, "t": 40, "b": 30},
                              xaxis={"showgrid": True, "gridcolor": "#e5e5e5", "zeroline": False},
                              yaxis={"autorange": "reversed", "categoryorder": "array",
                                     "categoryarray": [_e(n) for n in nodes]}))
    return fig


def weights_sunburst(frame: pd.DataFrame, *, text: Mapping[str, str] | None = None) -> go.Figure:
    """The framework tree as a sunburst whose angles are the effective weights.

    Parameters
    ----------
    frame : DataFrame
        ``code, name, parent, nominal, normalised, effective`` (one row per node; the
        root has parent ``""``).
    text : mapping, optional
        Hover labels ``nominal``, ``normalised`` and ``effective`` (translated).

    Returns
    -------
    plotly.graph_objects.Figure
        Sectors sized by effective weight (the product of the normalised weights on the
        path to the root; leaves carry the values, parents are their sums); hover gives
        the three weights.
    """
    t = {"nominal": "nominal weight", "normalised": "weight within parent", "effective": "effective weight",
         **(text or {})}
    leaves = ~frame["code"].isin(frame["parent"])
    # one Okabe-Ito hue per branch below the root, lighter at each level down
    parent = dict(zip(frame["code"], frame["parent"], strict=True))
    hues = [OKABE_ITO[k] for k in ("blue", "orange", "green", "vermillion", "sky_blue", "purple", "yellow")]
    branch: dict[str, int] = {}
    colours = []
    for code in frame["code"]:
        path = [code]
        while parent.get(path[-1]):
            path.append(parent[path[-1]])
        if len(path) == 1:
            colours.append("#ffffff")
            continue
        top = path[-2]
        branch.setdefault(top, len(branch))
        colours.append(_tint(hues[branch[top] % len(hues)], 0.22 * (len(path) - 2)))
    values = np.where(leaves, frame["effective"].to_numpy(dtype=float), 0.0)
    custom = [[_e(n), f"{a:.3g}", f"{b:.1%}", f"{c:.2%}"] for n, a, b, c in
              zip(frame["name"], frame["nominal"], frame["normalised"], frame["effective"], strict=True)]
    fig = go.Figure(go.Sunburst(
        ids=[_e(c) for c in frame["code"]], parents=[_e(p) for p in frame["parent"]],
        labels=[_wrap(n, 16) for n in frame["name"]], values=values, branchvalues="remainder",
        customdata=custom, insidetextorientation="auto", sort=False,
        marker={"colors": colours, "line": {"color": "#ffffff", "width": 1}},
        insidetextfont={"color": [_text_on(c) for c in colours]},
        hovertemplate=("%{customdata[0]}<br>" + _e(t["nominal"]) + ": %{customdata[1]}<br>" + _e(t["normalised"])
                       + ": %{customdata[2]}<br>" + _e(t["effective"]) + ": %{customdata[3]}<extra></extra>")))
    fig.update_layout(_layout(620, margin={"l": 5, "r": 5, "t": 5, "b": 5}))
    return fig


def coverage_bars(frame: pd.DataFrame, *, text: Mapping[str, str] | None = None,
                  separators: str = ".,") -> go.Figure:
    """Data coverage per node: shares of values observed, imputed and missing, stacked to 100%.

    Parameters
    ----------
    frame : DataFrame
        ``node`` (name, display order), ``observed``, ``imputed``, ``missing`` (shares 0-1).
    text : mapping, optional
        Legend labels ``observed``, ``imputed``, ``missing``.
    """
    t = {"observed": "observed", "imputed": "imputed", "missing": "missing", **(text or {})}
    y = [_e(n) for n in frame["node"]]
    fig = go.Figure()
    for col, colour in (("observed", OKABE_ITO["blue"]), ("imputed", OKABE_ITO["orange"]), ("missing", "#c8c8c8")):
        fig.add_trace(go.Bar(x=frame[col], y=y, orientation="h", name=_e(t[col]), marker={"color": colour},
                             hovertemplate="%{y}<br>" + _e(t[col]) + ": %{x:.1%}<extra></extra>"))
    fig.update_layout(_layout(120 + 26 * len(y), separators, barmode="stack",
                              legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0,
                                      "traceorder": "normal"},
                              xaxis={"tickformat": ".0%", "range": [0, 1], "showgrid": True, "gridcolor": "#e5e5e5"},
                              yaxis={"autorange": "reversed"}))
    return fig


def profile_bars(frame: pd.DataFrame, *, text: Mapping[str, str] | None = None, separators: str = ".,",
                 score_range: tuple[float, float] | None = None) -> go.Figure:
    """A city's node scores against the network average and the peer-group average.

    Parameters
    ----------
    frame : DataFrame
        ``node`` (name, display order), ``score``, ``mean`` (network average),
        ``peer_mean`` (NaN without a peer group); optional ``group`` (the parent's name,
        drawn as a second axis level).
    text : mapping, optional
        Legend labels ``score``, ``mean``, ``peer_mean``.
    score_range : (float, float), optional
        Fixed x range (e.g. the score scale) so that profiles compare at a glance.

    Returns
    -------
    plotly.graph_objects.Figure
        Horizontal bars (the city, blue), a black bar marker (network average) and a
        vermillion diamond (peer average).
    """
    t = {"score": "score", "mean": "network average", "peer_mean": "peer-group average", **(text or {})}
    if "group" in frame.columns:
        y: object = [[_wrap(g, 14) for g in frame["group"]], [_e(n) for n in frame["node"]]]
        ytype = "multicategory"
    else:
        y, ytype = [_e(n) for n in frame["node"]], "category"
    traces = [go.Bar(x=frame["score"], y=y, orientation="h", name=_e(t["score"]),
                           marker={"color": OKABE_ITO["sky_blue"], "line": {"color": OKABE_ITO["blue"], "width": 1}},
                           hovertemplate="%{y}: %{x:.1f}<extra>" + _e(t["score"]) + "</extra>"),
              go.Scatter(x=frame["mean"], y=y, mode="markers", name=_e(t["mean"]),
                             marker={"symbol": "line-ns-open", "size": 20, "color": OKABE_ITO["black"],
                                     "line": {"width": 3}},
                             hovertemplate="%{x:.1f}<extra>" + _e(t["mean"]) + "</extra>")]
    if frame["peer_mean"].notna().any():
        traces.append(go.Scatter(x=frame["peer_mean"], y=y, mode="markers", name=_e(t["peer_mean"]),
                                 marker={"symbol": "diamond", "size": 10, "color": OKABE_ITO["vermillion"],
                                         "line": {"width": 1, "color": "#ffffff"}},
                                 hovertemplate="%{x:.1f}<extra>" + _e(t["peer_mean"]) + "</extra>"))
    xaxis: dict[str, object] = {"showgrid": True, "gridcolor": "#e5e5e5", "zeroline": False}
    if score_range is not None:
        xaxis["range"] = list(score_range)
    return go.Figure(traces, layout=_layout(
        130 + 30 * len(frame), separators, legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        margin={"l": 10, "r": 24, "t": 40, "b": 30}, xaxis=xaxis, yaxis={"autorange": "reversed", "type": ytype},
        bargap=0.35))


def compare_bars(frame: pd.DataFrame, *, shown: tuple[str, ...] | list[str] = (), separators: str = ".,",
                 score_range: tuple[float, float] | None = None) -> go.Figure:
    """Node scores of every city as grouped bars, one trace per city; only ``shown`` visible.

    The page's compare view switches traces on and off (``Plotly.restyle``) as cities are
    chosen, so the figure holds every city once.

    Parameters
    ----------
    frame : DataFrame
        Long: ``unit``, ``name`` (city), ``node`` (name, display order), ``score``.
    shown : sequence of str
        Unit codes visible at first, in slot order (coloured with ``COMPARE_COLOURS``).
    """
    traces = []
    slot = {u: i for i, u in enumerate(shown)}
    for unit, part in frame.groupby("unit", sort=False):
        i = slot.get(str(unit))
        traces.append(go.Bar(
            x=part["score"], y=[_e(n) for n in part["node"]], orientation="h", name=_e(part["name"].iloc[0]),
            visible=i is not None, marker={"color": COMPARE_COLOURS[i % 4] if i is not None else "#9a9a9a"},
            hovertemplate="%{y}: %{x:.1f}<extra>%{fullData.name}</extra>"))
    nodes = list(dict.fromkeys(frame["node"]))
    xaxis: dict[str, object] = {"showgrid": True, "gridcolor": "#e5e5e5", "zeroline": False}
    if score_range is not None:
        xaxis["range"] = list(score_range)
    return go.Figure(traces, layout=_layout(
        140 + 56 * len(nodes), separators, barmode="group", bargap=0.25,
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        margin={"l": 10, "r": 24, "t": 40, "b": 30}, xaxis=xaxis, yaxis={"autorange": "reversed"}))


def slope_chart(frame: pd.DataFrame, *, text: Mapping[str, str] | None = None, reverse: bool = False,
                separators: str = ".,") -> go.Figure:
    """One line per city across editions, coloured by the direction of its last change.

    Parameters
    ----------
    frame : DataFrame
        Long: ``unit``, ``name``, ``edition``, ``value`` (score or rank), ``trend``
        (+1 better, -1 worse, 0 no clear change: by the report's arrow rule).
    text : mapping, optional
        Legend labels for trends ``1``, ``-1``, ``0`` (keys as strings) and ``value``.
    reverse : bool
        Reverse the y axis (ranks: 1 at the top).
    """
    t = {"1": "better", "-1": "worse", "0": "no clear change", "value": "", **(text or {})}
    editions = sorted(pd.unique(frame["edition"]).tolist())
    traces = []
    seen: set[int] = set()
    for _unit, part in frame.groupby("unit", sort=False):
        part = part.sort_values("edition")
        trend = int(part["trend"].iloc[-1])
        traces.append(go.Scatter(
            x=[str(e) for e in part["edition"]], y=part["value"], mode="lines+markers",
            name=_e(t[str(trend)]), legendgroup=str(trend), showlegend=trend not in seen,
            line={"color": TREND_COLOURS[trend], "width": 2.5 if trend else 1.2},
            marker={"size": 6}, opacity=1.0 if trend else 0.55, customdata=[_e(part["name"].iloc[0])] * len(part),
            hovertemplate="%{customdata}<br>%{x}: %{y:.1f}<extra></extra>" if not reverse
            else "%{customdata}<br>%{x}: %{y}<extra></extra>"))
        seen.add(trend)
    return go.Figure(traces, layout=_layout(
        520, separators, legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        margin={"l": 10, "r": 10, "t": 40, "b": 40},
        xaxis={"type": "category", "categoryorder": "array", "categoryarray": [str(e) for e in editions]},
        yaxis={"autorange": "reversed" if reverse else True, "showgrid": True, "gridcolor": "#e5e5e5",
               "zeroline": False, "title": {"text": _e(t["value"])}}))


__all__ += ["SCORE_SCALE", "TREND_COLOURS", "COMPARE_COLOURS", "score_heatmap", "theme_dots", "weights_sunburst",
            "coverage_bars", "profile_bars", "compare_bars", "slope_chart"]


# --------------------------------------------------------------------------------------
# Figures of the robustness tab (an uncertainty run): rank intervals, Sobol' indices, remove-one.
# --------------------------------------------------------------------------------------


def rank_interval_chart(frame: pd.DataFrame, *, text: Mapping[str, str] | None = None,
                        separators: str = ".,") -> go.Figure:
    """Each city's median rank and 90% rank interval, beside its nominal rank.

    Parameters
    ----------
    frame : DataFrame
        ``unit``, ``name``, ``nominal_rank``, ``median_rank``, ``p05``, ``p95``, one row per
        city in display order (top to bottom: the nominal ranking).
    text : mapping, optional
        Labels (translated): ``median`` (the median and its interval), ``nominal``, ``interval``
        (hover), ``axis`` (the rank axis).

    Returns
    -------
    plotly.graph_objects.Figure
        One line per city: a blue dot at the median rank with a bar from the 5th to the
        95th percentile rank, and an open black diamond at the nominal rank; rank 1 on
        the left. Cities are placed by code (labelled by name), so equal names stay apart.
    """
    t = {"median": "median rank, with the 90% interval", "nominal": "nominal rank", "interval": "90% interval",
         "axis": "rank (1 = best)", **(text or {})}
    t = {key: _e(v) for key, v in t.items()}
    y = [_e(u) for u in frame["unit"]]
    med = frame["median_rank"].to_numpy(dtype=float)
    lo, hi = frame["p05"].to_numpy(dtype=float), frame["p95"].to_numpy(dtype=float)
    nominal = frame["nominal_rank"].to_numpy(dtype=float)
    custom = [[_e(n), _fmt(a, "g", separators), _fmt(b, "g", separators), _fmt(c, "g", separators),
               _fmt(d, "g", separators)] for n, a, b, c, d in zip(frame["name"], nominal, med, lo, hi, strict=True)]
    hover = (f"%{{customdata[0]}}<br>{t['nominal']}: %{{customdata[1]}}<br>{t['median']}: %{{customdata[2]}}"
             f"<br>{t['interval']}: %{{customdata[3]}}\u2013%{{customdata[4]}}<extra></extra>")
    fig = go.Figure([
        go.Scatter(x=med, y=y, mode="markers", name=t["median"], customdata=custom, hovertemplate=hover,
                   marker={"color": OKABE_ITO["blue"], "size": 8},
                   error_x={"type": "data", "symmetric": False, "array": hi - med, "arrayminus": med - lo,
                            "color": OKABE_ITO["blue"], "thickness": 2, "width": 0}),
        go.Scatter(x=nominal, y=y, mode="markers", name=t["nominal"], customdata=custom, hovertemplate=hover,
                   marker={"symbol": "diamond-open", "color": OKABE_ITO["black"], "size": 8,
                           "line": {"width": 1.5}})])
    n = len(frame)
    top = float(np.nanmax(np.concatenate([hi, nominal, [1.0]])))
    fig.update_layout(_layout(
        130 + 18 * n, separators, legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
        margin={"l": 10, "r": 24, "t": 40, "b": 40},
        xaxis={"title": {"text": t["axis"]}, "range": [0.5, top + 0.5], "showgrid": True, "gridcolor": "#e5e5e5",
               "zeroline": False},
        yaxis={"autorange": "reversed", "tickvals": y, "ticktext": [_e(v) for v in frame["name"]],
               "tickfont": {"size": 11}, "type": "category"}))
    return fig


def sobol_chart(frame: pd.DataFrame, *, text: Mapping[str, str] | None = None, separators: str = ".,") -> go.Figure:
    """First-order and total Sobol' indices of each uncertain factor, with their confidence intervals.

    Parameters
    ----------
    frame : DataFrame
        ``factor``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (``*_conf``: half-widths of the
        intervals), one row per factor in display order (top to bottom).
    text : mapping, optional
        Labels (translated): ``S1``, ``ST`` (the two series) and ``axis``.

    Returns
    -------
    plotly.graph_objects.Figure
        Grouped horizontal bars per factor: the first-order index (blue: the factor
        alone) and the total index (orange: with its interactions), each with its
        interval as an error bar.
    """
    t = {"S1": "first order", "ST": "total", "axis": "share of the variance", **(text or {})}
    t = {key: _e(v) for key, v in t.items()}
    y = [_e(f) for f in frame["factor"]]
    fig = go.Figure()
    for col, colour in (("S1", OKABE_ITO["blue"]), ("ST", OKABE_ITO["orange"])):
        conf = frame[f"{col}_conf"].to_numpy(dtype=float)
        fig.add_trace(go.Bar(
            x=frame[col].to_numpy(dtype=float), y=y, orientation="h", name=t[col], marker={"color": colour},
            customdata=conf, error_x={"type": "data", "array": conf, "color": "#3a3a3a", "thickness": 1.2, "width": 4},
            hovertemplate=f"%{{y}}<br>{t[col]}: %{{x:.3f}} \u00b1 %{{customdata:.3f}}<extra></extra>"))
    fig.update_layout(_layout(
        140 + 52 * len(frame), separators, barmode="group", bargap=0.3,
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0, "traceorder": "normal"},
        margin={"l": 10, "r": 24, "t": 40, "b": 40},
        xaxis={"title": {"text": t["axis"]}, "showgrid": True, "gridcolor": "#e5e5e5", "zeroline": True,
               "zerolinecolor": "#9a9a9a", "tickformat": ".1f"},
        yaxis={"autorange": "reversed"}))
    return fig


def remove_one_scatter(frame: pd.DataFrame, *, text: Mapping[str, str] | None = None, separators: str = ".,",
                       ranks: bool = True) -> go.Figure:
    """Every city's index score against its score without one component (COINr issue #59).

    Parameters
    ----------
    frame : DataFrame
        ``name``, ``nominal_score``, ``score`` (without the component), ``nominal_rank``,
        ``rank``: one row per city.
    text : mapping, optional
        Labels (translated): ``x`` (the index), ``y`` (the index without the component),
        ``rank`` (hover).
    ranks : bool
        Show the ranks in the hover texts.

    Returns
    -------
    plotly.graph_objects.Figure
        A scatter plot on equal axes with the diagonal (grey, dashed): a city on the
        diagonal does not move; the farther the cloud from a line, the more the
        component carries that the others do not (Schlossarek et al. 2019).
    """
    t = {"x": "index score", "y": "index score without the component", "rank": "rank", **(text or {})}
    t = {key: _e(v) for key, v in t.items()}
    x = frame["nominal_score"].to_numpy(dtype=float)
    y = frame["score"].to_numpy(dtype=float)

    def rank_text(r: float) -> str:
        return "" if not ranks or np.isnan(r) else f" ({t['rank']} {int(r)})"

    nominal, rank = (frame[c].to_numpy(dtype=float, na_value=np.nan) for c in ("nominal_rank", "rank"))
    custom = [[_e(n), rank_text(a), rank_text(b)] for n, a, b in zip(frame["name"], nominal, rank, strict=True)]
    both = np.concatenate([x, y])
    both = both[~np.isnan(both)]
    lo, hi = (float(both.min()), float(both.max())) if len(both) else (0.0, 1.0)
    pad = 0.05 * (hi - lo or 1.0)
    span = [lo - pad, hi + pad]
    fig = go.Figure([
        go.Scatter(x=span, y=span, mode="lines", showlegend=False, hoverinfo="skip",
                   line={"color": "#9a9a9a", "dash": "dash", "width": 1}),
        go.Scatter(x=x, y=y, mode="markers", showlegend=False, customdata=custom,
                   marker={"color": OKABE_ITO["blue"], "size": 9, "opacity": 0.8,
                           "line": {"width": 1, "color": "#ffffff"}},
                   hovertemplate=(f"%{{customdata[0]}}<br>{t['x']}: %{{x:.1f}}%{{customdata[1]}}<br>{t['y']}: "
                                  "%{y:.1f}%{customdata[2]}<extra></extra>"))])
    grid = {"showgrid": True, "gridcolor": "#e5e5e5", "zeroline": False, "range": span}
    fig.update_layout(_layout(480, separators, margin={"l": 10, "r": 24, "t": 20, "b": 40},
                              xaxis={**grid, "title": {"text": t["x"]}}, yaxis={**grid, "title": {"text": t["y"]}}))
    return fig


__all__ += ["rank_interval_chart", "sobol_chart", "remove_one_scatter"]
