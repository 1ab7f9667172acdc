"""The compare tab: two to four cities side by side, chosen in the page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from openindex.report.data import compare_defaults
from openindex.report.render.base import RenderContext, chart_block, esc

if TYPE_CHECKING:
    from openindex.report.data import ReportData


def compare_section(data: ReportData) -> str:
    """Two to four cities side by side, chosen in the page (the table is filled by the page script)."""
    c = RenderContext(data)
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
