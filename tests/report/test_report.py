"""The comparison report: tidy frames, rules, per-component HTML snapshots, escaping, i18n, CLI, Excel.

The browser test (tests/test_report_browser.py) checks the page in headless Chromium;
here everything runs without a browser.
"""

from __future__ import annotations

import copy
import html as html_lib
import json
import re
from importlib import resources

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml

from openindex import parse_framework
from openindex.cli import main
from openindex.data.dataset import Dataset
from openindex.data.validate import load_dataset, read_dataset
from openindex.engine import build
from openindex.errors import DataError, FrameworkError, MethodError, OpenIndexError
from openindex.i18n import LANGUAGES
from openindex.io import read_data_meta
from openindex.report import tables as T
from openindex.report.build import build_report, report_data, results_sheets, write_report
from openindex.report.data import ReportOptions
from openindex.report.render import (
    CSP,
    Fmt,
    area_table,
    audit_flags_table,
    audit_nodes_table,
    audit_section,
    change_table,
    chart_block,
    esc,
    indicator_table,
    json_for_html,
    learn_table,
    methodology_section,
    notice_banner,
    ranking_table,
    render_report,
    standing_lists,
)
from tests.conftest import ROOT, TINY_YAML

DEMO_FW = ROOT / "indicators" / "opencities.yaml"
DEMO_DATA = ROOT / "datasets" / "demo_network.csv"

# two editions of the tiny network: Delta drops in 2025, Epsilon's `jobs` is missing in 2025
TWO_EDITIONS_CSV = """\
unit,name,edition,population,region,gdp,jobs,firms,crime,trust,strategy
AAA,Alpha,2024,100000,North,29000,69,11,52,6,draft
BBB,Beta,2024,250000,North,24000,64,19,61,5,draft
CCC,Gamma,2024,50000,South,39000,71,4,41,7,none
DDD,Delta,2024,500000,South,36000,73,44,42,8,adopted
EEE,Epsilon,2024,80000,South,34000,66,8,46,8,adopted
AAA,Alpha,2025,100000,North,30000,70,12,50,6,adopted
BBB,Beta,2025,250000,North,25000,65,20,60,5,draft
CCC,Gamma,2025,50000,South,40000,72,3,40,7,none
DDD,Delta,2025,500000,South,20000,60,45,80,4,draft
EEE,Epsilon,2025,80000,South,35000,,8,45,8,adopted
"""


def _tiny_framework(**extra):
    doc = copy.deepcopy(yaml.safe_load(TINY_YAML))
    doc["peer_groups"] = [{"code": "region", "name": "Region", "by": "region"}]
    doc.update(extra)
    return parse_framework(doc)


def _dataset(fw, csv: str) -> Dataset:
    from openindex.io import Table

    frame = pd.read_csv(pd.io.common.StringIO(csv), dtype=str, keep_default_na=False)
    table = Table(frame=frame, file="tiny.csv", locate_row=lambda r: f"line {r + 2}",
                  locate_cell=lambda r, c: f"line {r + 2}, column '{c}'")
    return load_dataset(table, fw)


@pytest.fixture(scope="module")
def tiny():
    fw = _tiny_framework()
    ds = _dataset(fw, TWO_EDITIONS_CSV)
    return build_report(fw, ds, meta={"notice": "Invented numbers <for tests> & more."})


@pytest.fixture(scope="module")
def demo():
    fw = oi_framework()
    ds = read_dataset(str(DEMO_DATA), fw)
    data = build_report(fw, ds, meta=read_data_meta(DEMO_DATA))
    return data, render_report(data)


def oi_framework():
    from openindex.io import read_framework

    return read_framework(DEMO_FW)


def _strip_scripts(page: str) -> str:
    """The page without its <style> and executable <script> blocks (JSON data kept)."""
    page = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    return re.sub(r"<script>.*?</script>", "", page, flags=re.S)


def _script_json(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, flags=re.S)
    assert m is not None
    return json.loads(m.group(1))


# --------------------------------------------------------------------------------------
# Rules and tidy frames
# --------------------------------------------------------------------------------------


def test_standing_rule_quartiles_and_constant_nodes(tiny):
    nodes = tiny.nodes
    for code, part in nodes.groupby("code"):
        s = part["score"].to_numpy(dtype=float)
        ok = ~np.isnan(s)
        if not ok.any():
            continue
        p25, p75 = np.percentile(s[ok], [25, 75])
        lo, hi = s[ok].min(), s[ok].max()
        for score, standing in zip(s[ok], part["standing"].to_numpy()[ok], strict=True):
            strong = hi > lo and score >= p75 and score > lo
            weak = hi > lo and score <= p25 and score < hi
            assert standing == ("strength" if strong else "weakness" if weak else ""), (code, score)


def test_learn_from_prefers_peers_then_network():
    fw = _tiny_framework()
    result = build(fw, _dataset(fw, TWO_EDITIONS_CSV))
    nodes = T.node_frame(result, "region")
    learn = T.learn_frame(result, nodes, "region", n_areas=1, n_cities=3)
    regions = dict(zip(result.units, result.dataset.units["region"], strict=True))
    econ = result.level_frame(2)
    for unit, part in learn.groupby("unit"):
        area = part["area"].iloc[0]
        own = econ.loc[unit, area]
        assert (part["other_score"] > own).all()
        scopes = part["scope"].tolist()
        assert scopes == sorted(scopes, key=lambda s: s != "peer"), "peers come first"
        for r in part.itertuples():
            assert (r.scope == "peer") == (regions[r.other] == regions[unit])
        peers_better = [u for u in result.units if u != unit and regions[u] == regions[unit]
                        and econ.loc[u, area] > own]
        assert sum(s == "peer" for s in scopes) == min(3, len(peers_better))
    # the weakest area is the one furthest below the network average
    gaps = econ - econ.mean()
    for unit, part in learn.groupby("unit"):
        assert part["area"].iloc[0] == gaps.loc[unit].idxmin()


def test_change_arrows_follow_thresholds_and_intervals(tiny):
    results = tiny.editions
    ch = T.change_frame(results, points=5.0, ranks=0)
    idx = ch[ch["code"] == "INDEX"].set_index("unit")
    assert set(idx.index) == set(results[-1].units)
    for _unit, r in idx.iterrows():
        assert r["score_arrow"] == (np.sign(r["d_score"]) if abs(r["d_score"]) > 5 else 0)
        assert r["rank_arrow"] == (np.sign(r["d_rank"]) if abs(r["d_rank"]) > 0 else 0)
    assert (idx.loc["DDD", "d_rank"] < 0) and idx.loc["DDD", "rank_arrow"] == -1  # Delta fell
    # with rank intervals, the arrow needs a move wider than p95 - p05
    r = results[-1]
    iv = pd.DataFrame({"unit": list(r.units), "p05": 1.0, "p95": 5.0})
    wide = T.change_frame(results, intervals=iv).query("code == 'INDEX'")
    assert (wide["rank_arrow"] == 0).all() and (wide["rank_threshold"] == 4.0).all()
    narrow = T.change_frame(results, intervals=iv.assign(p95=1.0)).query("code == 'INDEX'").set_index("unit")
    assert narrow.loc["DDD", "rank_arrow"] == -1
    # areas never carry a rank arrow
    assert (ch.loc[ch["code"] != "INDEX", "rank_arrow"] == 0).all()


def test_comparability_rules():
    fw = _tiny_framework()
    csv = TWO_EDITIONS_CSV.replace("AAA,Alpha,2024,100000,North,29000,69,", "AAA,Alpha,2024,100000,North,29000,,")
    lines = csv.splitlines()
    # jobs empty for everyone in 2024: an indicator with data in one edition only; Epsilon absent in 2024
    rows = [lines[0]] + [re.sub(r"^(\w+,\w+,2024,\d+,\w+,\d+),\d*,", r"\1,,", x) for x in lines[1:]]
    rows = [x for x in rows if not x.startswith("EEE,Epsilon,2024")]
    ds = _dataset(fw, "\n".join(rows) + "\n")
    results = tuple(build(fw, ds, edition=e) for e in ds.editions)
    cmp = T.comparability_frame(results)
    kinds = dict(zip(cmp["kind"], cmp["detail"], strict=True))
    assert kinds["indicators"] == ("jobs",)
    assert kinds["sample"] == (("EEE",), ())
    assert "weights" not in kinds and "methods" not in kinds
    same = T.comparability_frame((results[-1], results[-1]))
    assert same.empty


def test_align_intervals_checks_the_build(tiny):
    r = tiny.result
    good = pd.DataFrame({"unit": list(r.units), "nominal_rank": r.ranks[-1][:, 0], "median_rank": 2.0,
                         "mean_rank": 2.0, "p05": 1.0, "p95": 4.0})
    out = T.align_intervals(good.iloc[::-1], r)
    assert list(out["unit"]) == list(r.units)
    with pytest.raises(DataError, match="missing column"):
        T.align_intervals(good.drop(columns="p95"), r)
    with pytest.raises(DataError, match="no interval for 1 unit"):
        T.align_intervals(good.iloc[1:], r)
    bad = good.copy()
    bad.loc[0, "nominal_rank"] += 1
    with pytest.raises(DataError, match="made for another framework"):
        T.align_intervals(bad, r)


def test_anchors_are_safe_and_unique():
    assert T.anchors(["AVL", "a b", "a_b", "<x>", ""]) == ["city-AVL", "city-a_b", "city-a_b-2", "city-_x_",
                                                          "city-_"]


def test_indicator_frame_values_answers_and_flags(tiny):
    ind = tiny.indicators.set_index(["unit", "code"])
    assert ind.loc[("EEE", "jobs"), "flags"] == "missing" and np.isnan(ind.loc[("EEE", "jobs"), "value"])
    assert ind.loc[("AAA", "strategy"), "answer"] == "Adopted"
    assert ind.loc[("AAA", "firms"), "value"] == pytest.approx(12 / 100000)  # denominated by population
    assert len(tiny.indicators) == 5 * 6


# --------------------------------------------------------------------------------------
# Per-component HTML snapshots
# --------------------------------------------------------------------------------------


def test_snapshot_notice_banner():
    assert notice_banner("Synthetic <data> & co", "Note") == (
        '<div class="notice" role="note"><strong>Note:</strong> Synthetic &lt;data&gt; &amp; co</div>')
    assert notice_banner("") == ""


def test_snapshot_chart_block():
    assert chart_block("heatmap", "Caption", "Summary", "<table></table>") == (
        '<figure class="chart-block"><figcaption>Caption</figcaption><div class="chart" id="chart-heatmap" '
        'data-figure="heatmap" role="img" aria-label="Summary"></div><details class="data-table"><summary>'
        "Data table</summary><table></table></details></figure>")


def test_snapshot_ranking_table(tiny):
    table = ranking_table(tiny)
    r = tiny.ranking.iloc[0]
    assert table.startswith('<table id="scores-table" class="sortable scores-table"><caption>The index ranking of '
                            "5 cities, edition 2025 (rank 1 = highest score).")
    head = re.search(r"<thead>(.*?)</thead>", table).group(1)
    assert [re.sub(r"<.*?>", "", h) for h in re.findall(r"<th.*?</th>", head)] == [
        "Rank", "City", "Score", "Peer groupRegion", "Rank in peer group", "Economy", "Social", "Data coverage"]
    first = re.search(r"<tbody>(<tr.*?</tr>)", table).group(1)
    name = tiny.result.dataset.unit_names[tiny.result.units.index(r["unit"])]
    expected = (f'<tr data-search="{name.lower()} {r["unit"].lower()}"><td class="num" data-v="1">1</td>'
                f'<th scope="row" data-v="{name.lower()}"><a href="#city-{r["unit"]}">{name}</a></th>'
                f'<td class="num" data-v="{round(float(r["score"]), 6)!r}">{r["score"]:.1f}</td>'
                f'<td data-v="{r["peer_label"].lower()}">{r["peer_label"]}</td>'
                f'<td class="num" data-v="1">1\u202f/\u202f{r["peer_n"]}</td>'
                f'<td class="num" data-v="{round(float(r["econ"]), 6)!r}">{r["econ"]:.1f}</td>'
                f'<td class="num" data-v="{round(float(r["social"]), 6)!r}">{r["social"]:.1f}</td>'
                f'<td class="num" data-v="{round(float(r["coverage"]), 6)!r}">'
                f'{r["coverage"] * 100:.0f}\u00a0%</td></tr>')
    assert first == expected


def test_snapshot_indicator_table_rows(tiny):
    table = indicator_table(tiny, "EEE")
    assert table.count("<tbody>") == 2 and '<th scope="rowgroup" colspan="8">Economy</th>' in table
    # missing value: a dash and the flag; a questionnaire item shows its answer label
    assert ('<tr><th scope="row">Employment rate</th><td>\u2013</td><td class="num">\u2013</td>'
            in table)
    assert '<span class="tag flag-missing">missing</span>' in table
    assert re.search(r'<tr><th scope="row">Integration strategy</th><td>Adopted</td><td class="num">100\.0</td>',
                     table)
    # a value with its unit; the GDP of Epsilon (35,000 EUR) formatted without decimals
    assert '<td>35,000 <span class="unit">EUR</span></td>' in table


def test_snapshot_area_and_change_tables(tiny):
    table = area_table(tiny, "DDD")
    assert re.search(r'<tr class="depth-0"><th scope="row"><span class="indent">Tiny index</span></th>'
                     r'<td class="num">[\d.]+</td>', table)
    change = change_table(tiny, "DDD")
    assert change.startswith('<p class="rank-change">Rank: ')
    assert "<th scope=\"col\" class=\"num\">2024</th><th scope=\"col\" class=\"num\">2025</th>" in change
    assert '<span class="arrow down" title="worse">\u25bc<span class="sr"> worse</span></span>' in change


def test_snapshot_standing_and_learn(tiny):
    sw = standing_lists(tiny, "DDD")
    assert sw.startswith('<div class="sw"><div class="sw-strength"><h4>Strengths</h4>')
    assert '<div class="sw-weakness"><h4>Weaknesses</h4>' in sw
    learn = learn_table(tiny, "DDD")
    assert learn.startswith('<table class="compact"><thead><tr><th scope="col">Area</th>')
    assert re.search(r'<a href="#city-[A-Z]{3}">\w+</a> \([\d.]+(, peer)?\)', learn)


def test_snapshot_methodology(tiny):
    m = methodology_section(tiny)
    assert m.startswith('<section id="methodology" class="view" aria-labelledby="methodology-h" hidden>')
    assert ('<div class="notice" role="note"><strong>Note:</strong> Invented numbers &lt;for tests&gt; &amp; '
            "more.</div>") in m
    assert '<tr><th scope="row">normalise</th><td><code>minmax</code></td><td><code>high=100, low=0</code></td>' in m
    assert "<code>points</code>" in m and "<code>arithmetic</code>" in m and "<code>explicit</code>" in m
    assert ('<tr class="depth-2"><th scope="row"><span class="indent">GDP per capita</span> <code>gdp</code></th>'
            "<td>Indicator</td>") in m
    assert "Region <code>region</code>" in m and "North (2), South (3)" in m
    assert "lower is better" in m and "Reading rules" in m


def test_methodology_lists_excluded_units_and_indicators():
    fw = _tiny_framework()
    csv = TWO_EDITIONS_CSV.replace("EEE,Epsilon,2025,80000,South,35000,,8,45,8,adopted",
                                   "EEE,Epsilon,2025,80000,South,,,,45,,")
    from openindex.model.framework import with_settings

    fw = with_settings(fw, {"build.screen.min_coverage": 0.5})
    data = build_report(fw, _dataset(fw, csv))
    m = methodology_section(data)
    assert "Cities left out of this edition" in m
    assert "Epsilon <code>EEE</code>" in m and "below build.screen.min_coverage" in m


# --------------------------------------------------------------------------------------
# The audit tab
# --------------------------------------------------------------------------------------


def test_snapshot_audit_section(tiny):
    section = audit_section(tiny)
    assert section.startswith('<section id="audit" class="view" aria-labelledby="audit-h" hidden>'
                              '<h2 id="audit-h">Statistical audit</h2><p>A statistical audit of edition 2025, ')
    assert '<h3>Findings</h3><p class="counts">12 findings by severity: 0 high, 2 medium, 10 low.</p>' in section
    # the findings, most serious first (as in flags.csv), each with a sentence in the report's language
    flags = audit_flags_table(tiny)
    assert flags.startswith('<table id="audit-flags" class="compact flags-table"><caption>Findings of the audit, '
                            'most serious first.</caption><thead><tr><th scope="col">Severity</th>'
                            '<th scope="col">Finding</th><th scope="col">Component</th>'
                            '<th scope="col">What it means</th></tr></thead>')
    first = re.search(r"<tbody>(<tr>.*?</tr>)", flags).group(1)
    assert first == ('<tr><td><span class="sev sev-medium">medium</span></td><td>More than one dimension</td>'
                     '<th scope="row">Social</th><td class="msg">Social has 2 principal components with an eigenvalue '
                     "above 1 (eigenvalues 1.92 and 1.00; the first explains 64\u00a0% of the variance of its 3 "
                     "components): they measure more than one thing. Consider splitting it, or check its "
                     "components.</td></tr>")
    # a redundant pair on 4 cities is not significant: low, and the sentence says so
    assert ('<tr><td><span class="sev sev-low">low</span></td><td>Redundant pair</td><th scope="row">GDP per capita '
            '&amp; Employment rate</th><td class="msg">GDP per capita and Employment rate are almost the same '
            "measure in Economy (Pearson r = 0.93, p = 0.065, n = 4): together they count one thing twice. Consider "
            "keeping one of them, or merging them. The correlation is not significant (p not below 0.05), so this "
            "finding is of low severity.</td></tr>") in flags
    assert re.findall(r'<span class="sev sev-(\w+)">', flags) == list(tiny.audit.flags["severity"])
    assert ("Integration strategy carries 33\u00a0% of the weight of Social but accounts for 100\u00a0% of what its "
            "components explain of it: it drives Social 3.00 times as much as its weight says.") in flags
    assert ("Integration strategy is not significantly correlated with Social (Pearson r = 0.54, p = 0.347, n = 5; "
            "p not below 0.05)") in flags
    # alpha and PCA of every aggregate, in tree order, with the node's own findings as tags
    nodes = audit_nodes_table(tiny)
    assert re.findall(r'<span class="indent">([^<]+)</span>', nodes) == ["Tiny index", "Economy", "Social"]
    assert ('<tr class="depth-1"><th scope="row"><span class="indent">Social</span></th><td class="num">3</td>'
            '<td class="num">5</td><td class="num">0.62</td><td class="num">64\u00a0%</td><td class="num">2</td>'
            '<td><span class="tag sev-medium">More than one dimension</span> '
            '<span class="tag sev-low">Low alpha</span></td></tr>') in nodes
    # a node selector and one panel per aggregate: heatmap, its data table, the node's findings
    assert ('<select id="audit-node" data-panels="audit-panel"><optgroup label="Index"><option value="audit-node-0">'
            'Tiny index</option></optgroup><optgroup label="Area"><option value="audit-node-1">Economy (findings: 6)'
            '</option><option value="audit-node-2">Social (findings: 6)</option></optgroup></select>') in section
    assert re.findall(r'<div class="audit-panel" id="(audit-node-\d)"( hidden)?>', section) == [
        ("audit-node-0", ""), ("audit-node-1", " hidden"), ("audit-node-2", " hidden")]
    panel = section.split('id="audit-node-1" hidden>', 1)[1].split('<div class="audit-panel"', 1)[0]
    assert panel.startswith('<figure class="chart-block"><figcaption>Correlations between the components of Economy, '
                            "and with Economy itself (last row and column). Cronbach&#x27;s alpha: 0.48."
                            '</figcaption><div class="chart" id="chart-audit-corr-1" data-figure="audit-corr-1"')
    head = re.search(r'<table class="compact corr-table"><thead><tr>(.*?)</tr>', panel).group(1)
    assert re.findall(r">([^<]+)</th>", head) == ["Component", "GDP per capita", "Employment rate", "Foreign firms",
                                                  "Economy"]
    r = tiny.audit.correlations.query("x == 'gdp' and y == 'jobs' and method == 'pearson'")["r"].iloc[0]
    assert (f'<tr><th scope="row">GDP per capita</th><td class="num">1.00</td><td class="num">{r:.2f}</td>'
            in panel)
    assert panel.count('<li><span class="sev ') == 6 and "Low alpha" not in panel  # sentences, not labels
    # the corrected item-total correlations of the node's components, with their findings
    rest = re.search(r'<table class="compact item-rest-table">.*?</table>', panel).group(0)
    assert re.findall(r'<th scope="row">([^<]+)</th>', rest) == ["GDP per capita", "Employment rate", "Foreign firms"]
    assert ('<tr><th scope="row">Foreign firms</th><td class="num">0.30</td><td class="num">\u22120.17</td>'
            '<td class="num">0.788</td><td class="num">5</td><td><span class="tag sev-low">Weak link to the other '
            "components</span></td></tr>") in rest
    # the importance chart, with its data table grouped by node
    block = section.split("<h3>Importance versus weight</h3>", 1)[1]
    assert '<div class="chart" id="chart-audit-importance" data-figure="audit-importance" role="img"' in block
    assert ('<tr class="group"><th scope="rowgroup" colspan="5">Social</th></tr><tr><th scope="row">Crime rate</th>'
            '<td class="num">33.3\u00a0%</td>') in block
    assert set(re.findall(r'data-figure="(audit-[^"]+)"', section)) == {k for k in tiny.figures
                                                                       if k.startswith("audit-")}


def test_audit_figures_follow_the_report_language(tiny):
    data = report_data(tiny.result, editions=tiny.editions, options=ReportOptions(lang="fr"))
    section = audit_section(data)
    assert "<h2 id=\"audit-h\">Audit statistique</h2>" in section and "Paire redondante" in section
    assert "PIB par habitant" not in section  # no translation of that name: the framework's own
    assert "(Pearson : r = 0,93 ; p = 0,065 ; n = 4)" in section
    assert "12 constats par gravité : 0 élevée, 2 moyenne, 10 faible." in section
    heat = data.figures["audit-corr-1"]
    assert heat.layout.separators == ",\u202f" and heat.layout.title.text is None
    assert list(heat.data[0].text[0][:2]) == ["1,00", f"{heat.data[0].z[0][1]:.2f}".replace(".", ",")]
    chart = data.figures["audit-importance"]
    assert [t.name for t in chart.data] == ["Poids dans le parent", "Part selon le carré de la corrélation",
                                            "Part selon le rapport de corrélation"]


def test_audit_texts_are_escaped():
    fw = _tiny_framework()
    doc = fw.to_dict()
    doc["aggregates"][1]["name"] = "<b>Econ</b> & co"
    doc["indicators"][0]["name"] = EVIL[1]
    fw = parse_framework(doc)
    page = render_report(build_report(fw, _dataset(fw, TWO_EDITIONS_CSV)))
    section = page.split('<section id="audit"', 1)[1].split("</section>", 1)[0]
    assert "<b>Econ</b>" not in page and EVIL[1] not in page
    assert "&lt;b&gt;Econ&lt;/b&gt; &amp; co" in section and html_lib.escape(EVIL[1]) in section
    figures = _script_json(page)["figures"]
    heat = figures["audit-corr-1"]                                   # the econ node
    assert html_lib.escape(EVIL[1]) in heat["layout"]["yaxis"]["ticktext"][0]
    assert all("<img" not in h for row in heat["data"][0]["hovertext"] for h in row)
    labels = figures["audit-importance"]["data"][0]["y"]
    assert "&lt;b&gt;Econ&lt;/b&gt; &amp; co" in labels[0] and html_lib.escape(EVIL[1]) in labels[1]


def test_report_without_audit_or_with_a_failed_audit(tiny, monkeypatch):
    data = report_data(tiny.result, editions=tiny.editions, options=ReportOptions(audit=False))
    page = render_report(data)
    assert data.audit is None and 'id="audit"' not in page and 'data-view="audit"' not in page
    assert not [k for k in _script_json(page)["figures"] if k.startswith("audit")]


    def fail(result, **kw):
        raise MethodError("no aggregate with two components")

    monkeypatch.setattr("openindex.report.build.run_audit", fail)  # the audit the report runs
    data = report_data(tiny.result, editions=tiny.editions)
    assert data.audit is None and data.audit_error == "no aggregate with two components"
    assert ('<h2 id="audit-h">Statistical audit</h2><p class="none">The audit could not be run: no aggregate with '
            "two components</p></section>") in render_report(data)


# --------------------------------------------------------------------------------------
# Escaping, self-containment, ranks
# --------------------------------------------------------------------------------------

EVIL = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]


def test_data_texts_are_escaped_everywhere(tmp_path):
    fw = _tiny_framework()
    csv = TWO_EDITIONS_CSV.replace("Alpha", EVIL[0]).replace("Beta", EVIL[1]).replace("North", '"Nord""><b>x"')
    data = build_report(fw, _dataset(fw, csv), meta={"notice": "</script><script>alert(2)</script>"})
    page = render_report(data)
    for evil in [*EVIL, "</script><script>alert(2)</script>", "<b>x"]:
        assert evil not in page
    assert html_lib.escape(EVIL[0]) in page and html_lib.escape(EVIL[1]) in page
    blob = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, flags=re.S).group(1)
    assert "<" not in blob and ">" not in blob and "\\u003cscript\\u003e" in blob
    parsed = json.loads(blob)
    assert EVIL[0] in parsed["compare"]["names"]
    # inside figures, names are HTML-escaped for plotly (which reads a few tags)
    traces = parsed["figures"]["compare"]["data"]
    assert html_lib.escape(EVIL[0]) in [t["name"] for t in traces]


def test_json_for_html():
    text = json_for_html({"a": "</script><!-- & -->", "b": np.array([1.5, np.nan])})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["a"] == "</script><!-- & -->"


def test_page_is_self_contained(demo):
    data, page = demo
    assert page.count("plotly.js v") == 1  # plotly.js embedded once
    assert f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">' in page
    assert "default-src 'none'" in CSP and "connect-src 'none'" in CSP
    rest = _strip_scripts(page)
    assert not re.search(r"""(src|href|action)\s*=\s*["']?\s*(https?:)?//""", rest)
    assert not re.search(r"@import|url\(", rest)
    assert re.findall(r"<link[^>]*>", rest) == ['<link rel="icon" href="data:,">']
    cfg = _script_json(page)["config"]
    assert cfg["typesetMath"] is False and cfg["displaylogo"] is False and cfg["plotlyServerURL"] == ""


def test_report_size_and_content(demo):
    data, page = demo
    assert len(page.encode()) < 8e6
    assert page.count('<article class="profile"') == 40 and 'id="city-AVL"' in page
    assert "Synthetic demonstration data" in page.split("<main", 1)[0]  # banner at the top
    figures = _script_json(page)["figures"]
    ids = set(re.findall(r'data-figure="([^"]+)"', page))
    assert ids == set(figures) and {"heatmap", "themes", "sunburst", "coverage", "compare", "slope-score",
                                    "slope-rank", "profile-0", "audit-importance", "audit-corr-0"} <= ids
    assert len([i for i in ids if i.startswith("audit-corr-")]) == len(data.framework.aggregates) == 15
    # a coverage finding of an earlier edition names its edition
    assert "Velloria has data for 55\u00a0% of the indicators in edition 2024 (29 of 53; below 65\u00a0%)." in page


def test_no_ranks_hides_every_rank(tmp_path):
    fw = oi_framework()
    ds = read_dataset(str(DEMO_DATA), fw)
    data = build_report(fw, ds, meta=read_data_meta(DEMO_DATA), options=ReportOptions(no_ranks=True))
    page = render_report(data)
    visible = _strip_scripts(page)
    # texts of the framework itself may speak of rankings (a university-ranking indicator): leave them out
    for node in [*fw.indicators.values(), *fw.aggregates.values()]:
        for field in ("name", "description", "notes", "source", "question"):
            text = getattr(node, field, "")
            if text:
                visible = visible.replace(esc(text), "")
    # "rank", "ranks", "ranking" as words
    word = r"\brank(s|ing)?\b"
    assert not re.search(word, visible, flags=re.I), re.search(r".{60}" + word + ".{60}", visible, flags=re.I)
    blob = _script_json(page)
    assert "ranks" not in blob["compare"] and "slope-rank" not in blob["figures"]
    # alphabetical order, not a league table
    names = re.findall(r'<th scope="row" data-v="([^"]*)"><a href="#city-', visible.split("</table>")[0])
    assert names == sorted(names)
    paths = write_report(data, tmp_path)
    wb = openpyxl.load_workbook(paths["results"], read_only=True)
    assert "ranks" not in wb.sheetnames and "rank_intervals" not in wb.sheetnames
    for name in wb.sheetnames:
        header = next(wb[name].iter_rows(max_row=1, values_only=True))
        assert not any("rank" in str(h).lower() for h in header if h), name


def test_report_is_deterministic(tiny):
    assert render_report(tiny) == render_report(tiny)


# --------------------------------------------------------------------------------------
# Languages and translations
# --------------------------------------------------------------------------------------


def test_every_string_used_exists_in_every_language(tiny):
    for lang in LANGUAGES:
        for no_ranks in (False, True):
            data = report_data(tiny.result, editions=tiny.editions, meta=tiny.meta,
                               options=ReportOptions(lang=lang, no_ranks=no_ranks))
            page = render_report(data)
            assert f'<html lang="{lang}">' in page


def test_framework_translations_are_used():
    fw = _tiny_framework(translations={"fr": {"name": "Petit indice", "levels": ["Indicateur", "Domaine", "Indice"]}})
    doc = fw.to_dict()
    doc["aggregates"][1]["translations"] = {"fr": {"name": "\u00c9conomie"}}
    doc["indicators"][5]["translations"] = {"fr": {"name": "Strat\u00e9gie", "options": {"adopted": "Adopt\u00e9e"}}}
    fw = parse_framework(doc)
    ds = _dataset(fw, TWO_EDITIONS_CSV)
    page = render_report(build_report(fw, ds, options=ReportOptions(lang="fr")))
    assert "<h1>Petit indice</h1>" in page and "\u00c9conomie" in page and "Adopt\u00e9e" in page
    assert "Scores par Domaine" in page
    assert "52,3" in Fmt("fr").num(52.3) and Fmt("de").num(1234.5) == "1.234,5"


def test_translations_are_validated():
    with pytest.raises(FrameworkError, match="levels"):
        _tiny_framework(translations={"fr": {"levels": ["Indicateur"]}})
    with pytest.raises(FrameworkError, match="unknown key"):
        _tiny_framework(translations={"fr": {"nom": "x"}})
    doc = _tiny_framework().to_dict()
    doc["indicators"][5]["translations"] = {"fr": {"options": {"adoptd": "Adoptée"}}}
    with pytest.raises(FrameworkError, match="unknown answer code.*adoptd"):
        parse_framework(doc)
    doc["indicators"][5]["translations"] = {"french": {"name": "x"}}
    with pytest.raises(FrameworkError, match="pattern"):
        parse_framework(doc)


def test_options_are_checked():
    fw = _tiny_framework()
    with pytest.raises(OpenIndexError, match="must be one of en, fr, de, it, es"):
        ReportOptions(lang="xx").check(fw)
    with pytest.raises(OpenIndexError, match="unknown peer group 'regoin'.*region"):
        ReportOptions(peer_group="regoin").check(fw)
    assert ReportOptions(peer_group="").check(fw) is None
    assert ReportOptions().check(fw) == "region"


def test_number_formats():
    f = Fmt("en")
    assert (f.num(-0.04), f.num(-1.25, 1), f.num(3.0, 1, sign=True), f.num(np.nan)) == ("0.0", "\u22121.2", "+3.0",
                                                                                        "\u2013")
    assert (f.raw(572400.0), f.raw(0.1954), f.raw(3.771), f.raw(41.63), f.raw(7.0)) == (
        "572,400", "0.195", "3.77", "41.6", "7")
    assert f.raw(0.00012) == "0.000120"
    assert Fmt("fr").num(1234.5) == "1\u202f234,5" and f.pct(0.955) == "96\u00a0%"
    assert f.rank(3.0, 40) == "3\u202f/\u202f40" and f.rank(np.nan) == "\u2013"


# --------------------------------------------------------------------------------------
# Without peer groups, one edition, z-scores
# --------------------------------------------------------------------------------------


def test_report_without_peer_groups_or_history():
    doc = yaml.safe_load(TINY_YAML)
    fw = parse_framework(doc)
    ds = _dataset(fw, "\n".join(x for x in TWO_EDITIONS_CSV.splitlines() if ",2024," not in x) + "\n")
    data = build_report(fw, ds, options=ReportOptions(title="Mini"))
    page = render_report(data)
    assert data.peer_group is None and "<h1>Mini</h1>" in page
    assert "single edition" in page and "Peer group" not in _strip_scripts(page)


def test_report_with_zscores_and_themes_level():
    fw = _tiny_framework()
    from openindex.model.framework import with_settings

    fw = with_settings(fw, {"build.normalise.method": "zscore"})
    data = build_report(fw, _dataset(fw, TWO_EDITIONS_CSV))
    page = render_report(data)
    assert "\u2212" in page  # negative scores
    assert data.figures["profile-0"].layout.xaxis.range[0] < 0


# --------------------------------------------------------------------------------------
# Excel and the command line
# --------------------------------------------------------------------------------------


def test_results_workbook_sheets_and_formula_injection(tmp_path):
    fw = _tiny_framework()
    csv = TWO_EDITIONS_CSV.replace("Alpha", "=HYPERLINK(\"http://x\")").replace("Beta", "@SUM(A1)")
    data = build_report(fw, _dataset(fw, csv))
    sheets, _ = results_sheets(data)
    assert list(sheets)[:3] == ["about", "scores", "peers"]
    assert {"raw", "denominated", "imputed", "treated", "normalised", "ranks", "flags", "weights", "methods",
            "manifest"} <= set(sheets)
    path = write_report(data, tmp_path)["results"]
    wb = openpyxl.load_workbook(path)
    names = [c.value for c in wb["raw"]["B"]][1:]
    assert "'=HYPERLINK(\"http://x\")" in names and "'@SUM(A1)" in names
    assert all(c.data_type != "f" for row in wb["raw"].iter_rows() for c in row)


def test_cli_report_and_run(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["report", str(DEMO_FW), str(DEMO_DATA), "--out", str(out), "--lang", "de", "--peer-group",
                 "diversity", "--title", "Bericht <2025>", "--edition", "2025"]) == 0
    text = capsys.readouterr().out
    assert "report.html" in text and "results.xlsx" in text
    page = (out / "report.html").read_text(encoding="utf-8")
    assert '<html lang="de">' in page and "<h1>Bericht &lt;2025&gt;</h1>" in page
    assert "Anteil der im Ausland Geborenen" in page and "Share of foreign-born residents" not in page
    again = tmp_path / "again"
    assert main(["report", str(DEMO_FW), str(DEMO_DATA), "--out", str(again), "--lang", "de", "--peer-group",
                 "diversity", "--title", "Bericht <2025>", "--edition", "2025"]) == 0
    assert (again / "report.html").read_bytes() == (out / "report.html").read_bytes()
    assert (again / "results.xlsx").read_bytes() == (out / "results.xlsx").read_bytes()


def test_cli_run_writes_report_unless_told_not_to(tmp_path, tiny_paths):
    fw, data = tiny_paths
    assert main(["run", str(fw), str(data), "--out", str(tmp_path / "a")]) == 0
    assert (tmp_path / "a" / "report.html").exists() and (tmp_path / "a" / "results.xlsx").exists()
    assert main(["run", str(fw), str(data), "--out", str(tmp_path / "b"), "--no-report"]) == 0
    assert not (tmp_path / "b" / "report.html").exists() and not (tmp_path / "b" / "results.xlsx").exists()
    assert (tmp_path / "b" / "scores.csv").exists()


@pytest.mark.parametrize("args, message", [
    (["--lang", "pt"], "must be one of en, fr, de, it, es. Got 'pt' instead"),
    (["--peer-group", "sizes"], "unknown peer group 'sizes'"),
    (["--uncertainty", "nowhere"], "folder not found; --uncertainty takes the output folder"),
])
def test_cli_report_bad_options_exit_2(tmp_path, capsys, args, message):
    code = main(["report", str(DEMO_FW), str(DEMO_DATA), "--out", str(tmp_path / "x"), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_cli_report_with_uncertainty_intervals(tmp_path, capsys):
    fw = oi_framework()
    ds = read_dataset(str(DEMO_DATA), fw)
    r = build(fw, ds)
    unc = tmp_path / "unc"
    unc.mkdir()
    ranks = r.ranks[-1][:, 0]
    frame = pd.DataFrame({"unit": list(r.units), "nominal_rank": ranks, "median_rank": ranks + 0.5,
                          "mean_rank": ranks, "p05": np.maximum(1, ranks - 2), "p95": ranks + 3})
    frame.to_csv(unc / "rank_intervals.csv", index=False)
    out = tmp_path / "rep"
    assert main(["report", str(DEMO_FW), str(DEMO_DATA), "--out", str(out), "--uncertainty", str(unc)]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "90% rank interval" in page and "Median rank" in page
    assert "width of the city&#x27;s 90% rank interval" in page
    wb = openpyxl.load_workbook(out / "results.xlsx", read_only=True)
    assert "rank_intervals" in wb.sheetnames
    frame.loc[0, "nominal_rank"] += 1
    frame.to_csv(unc / "rank_intervals.csv", index=False)
    assert main(["report", str(DEMO_FW), str(DEMO_DATA), "--out", str(out), "--uncertainty", str(unc)]) == 2
    assert "made for another" in capsys.readouterr().err


def test_page_script_never_writes_html():
    js = resources.files("openindex.report").joinpath("templates", "report.js").read_text(encoding="utf-8")
    assert not re.search(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function", js)
