"""Page assembly: navigation, the page script's data, the whole report as one HTML document."""

from __future__ import annotations

from string import Template
from typing import TYPE_CHECKING, Any

import numpy as np
from plotly.offline import get_plotlyjs

from openindex.i18n import framework_name
from openindex.io import read_resource
from openindex.report.figures import COMPARE_COLOURS
from openindex.report.render.audit import audit_section
from openindex.report.render.base import CSP, PLOTLY_CONFIG, RenderContext, esc, json_for_html, notice_banner
from openindex.report.render.compare import compare_section
from openindex.report.render.editions import editions_section
from openindex.report.render.methodology import methodology_section
from openindex.report.render.overview import overview_section
from openindex.report.render.profile import profiles_section
from openindex.report.render.robustness import robustness_section, robustness_shown
from openindex.report.tables import tree_order
from openindex.version import __version__

if TYPE_CHECKING:
    from openindex.report.data import ReportData


def _nav(data: ReportData) -> str:
    c = RenderContext(data)
    links = [("overview", "nav_overview"), ("profiles", "nav_profiles"), ("compare", "nav_compare"),
             ("editions", "nav_editions"), ("audit", "nav_audit"), ("methodology", "nav_methodology")]
    if not data.options.audit:
        links.remove(("audit", "nav_audit"))
    if robustness_shown(data):
        links.insert(len(links) - 1, ("robustness", "nav_robustness"))
    return ('<nav class="tabs no-print" aria-label="' + c.t("nav_label") + '"><ul>'
            + "".join(f'<li><a href="#{v}" data-view="{v}">{c.t(k)}</a></li>' for v, k in links) + "</ul></nav>")


def _script_data(data: ReportData) -> dict[str, Any]:
    """What the page script needs: figures, the compare data, a few strings, the plotly config."""
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
    c = RenderContext(data)
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
        audit_section(data) if data.options.audit else "", robustness_section(data), methodology_section(data),
        "</main>",
        f'<footer class="foot"><p>{c.t("footer", version=__version__)}</p></footer>'])
    page = Template(read_resource("openindex.report", "templates/page.html"))
    return page.substitute(
        lang=esc(data.options.lang), title=esc(title), csp=esc(CSP), version=esc(__version__),
        css=read_resource("openindex.report", "templates/report.css"),
        body=body, data=json_for_html(_script_data(data)),
        plotly=get_plotlyjs(), js=read_resource("openindex.report", "templates/report.js"))
