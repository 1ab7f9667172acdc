"""The report in a real browser: headless Debian Chromium driven by playwright.

Skipped, with the reason, only when playwright (the Python package) or /usr/bin/chromium
is missing: `make test` installs Debian's chromium when it can. Playwright's own
browser download is never used.

The demo report must open from file:// with no console error and no network request
(every request is recorded; only the page's own file:// URL may appear), draw every
chart, switch profiles with the city selector, show the chosen cities in the compare
view, draw the audit tab's charts node by node, draw the robustness tab's charts with an uncertainty
run (and have no such tab without one), and render hostile city names as text without opening a
dialog. Screenshots of the overview, a city profile and the audit tab go
to reports/screenshots/ (git-ignored).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
SHOTS = ROOT / "reports" / "screenshots"
EVIL = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: "
                               "pip install playwright (the Python package only; no browser download)")
if not CHROMIUM.exists():
    pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (`apt-get install chromium`, "
                "as `make test` does when it can)", allow_module_level=True)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory) -> Path:
    from openindex.cli import main

    out = tmp_path_factory.mktemp("report")
    assert main(["report", str(ROOT / "indicators" / "opencities.yaml"), str(ROOT / "datasets" / "demo_network.csv"),
                 "--out", str(out)]) == 0
    return out / "report.html"


@pytest.fixture(scope="module")
def evil_report(tmp_path_factory) -> Path:
    from openindex.cli import main
    from tests.conftest import TINY_CSV, TINY_YAML

    d = tmp_path_factory.mktemp("evil")
    (d / "f.yaml").write_text(TINY_YAML, encoding="utf-8")
    (d / "d.csv").write_text(TINY_CSV.replace("Alpha", EVIL[0]).replace("Beta", EVIL[1]), encoding="utf-8")
    assert main(["report", str(d / "f.yaml"), str(d / "d.csv"), "--out", str(d / "out")]) == 0
    return d / "out" / "report.html"


@pytest.fixture(scope="module")
def uncertainty_reports(tmp_path_factory) -> tuple[Path, Path]:
    """The tiny network's report with an uncertainty run (with Sobol' indices), and without one."""
    from openindex.cli import main
    from tests.conftest import TINY_CSV, TINY_YAML

    d = tmp_path_factory.mktemp("uncertainty")
    (d / "f.yaml").write_text(TINY_YAML, encoding="utf-8")
    (d / "d.csv").write_text(TINY_CSV, encoding="utf-8")
    (d / "factors.yaml").write_text("runs: 50\nfactors:\n  - weights: {level: 1, noise: 0.3}\n"
                                    "  - normalise: [{method: minmax}, {method: rank}]\n", encoding="utf-8")
    files = [str(d / "f.yaml"), str(d / "d.csv")]
    assert main(["uncertainty", *files, "--out", str(d / "unc"), "--factors", str(d / "factors.yaml"),
                 "--sobol", "8"]) == 0
    assert main(["report", *files, "--out", str(d / "with"), "--uncertainty", str(d / "unc")]) == 0
    assert main(["report", *files, "--out", str(d / "without")]) == 0
    return d / "with" / "report.html", d / "without" / "report.html"


class Watch:
    """Everything the page does that it must not: console errors, page errors, requests, dialogs."""

    def __init__(self, page, url: str) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.url = url
        page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def check(self) -> None:
        assert self.errors == []
        assert self.dialogs == []
        others = [u for u in self.requests if u.split("#")[0] != self.url]
        assert others == [], f"network requests: {others}"


def _open(browser, path: Path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    url = path.resolve().as_uri()
    watch = Watch(page, url)
    page.goto(url)
    page.wait_for_function("() => document.querySelectorAll('#overview .chart[data-rendered]').length > 0")
    return page, watch


def _unrendered(page, root: str) -> list[str]:
    """Ids of the visible chart containers under ``root`` without a drawn plotly plot."""
    return page.evaluate("""root => Array.from(document.querySelectorAll(root + ' .chart[data-figure]'))
        .filter(el => el.offsetParent !== null)
        .filter(el => !(el.classList.contains('js-plotly-plot') && el.querySelector('svg.main-svg')))
        .map(el => el.id)""", root)


def test_demo_report_offline_every_chart_and_views(browser, demo_report):
    page, watch = _open(browser, demo_report)
    assert _unrendered(page, "#overview") == []
    assert page.locator("#overview .js-plotly-plot").count() == page.locator("#overview .chart").count() == 4
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "overview.png"), full_page=True)

    # the city selector switches profiles, and each profile draws its chart
    options = page.eval_on_selector_all("#city-select option", "os => os.map(o => [o.value, o.textContent])")
    assert len(options) == 40
    page.click('a[data-view="profiles"]')
    for value, name in options:
        page.select_option("#city-select", value)
        page.wait_for_function("v => location.hash === '#' + v", arg=value)
        shown = page.locator("article.profile:not([hidden])")
        assert shown.count() == 1 and shown.get_attribute("id") == value
        assert shown.locator("h2").inner_text() == name
        assert _unrendered(page, f"#{value}") == []
    page.select_option("#city-select", "city-AVL")
    page.wait_for_function("() => location.hash === '#city-AVL'")
    page.locator("#city-AVL").screenshot(path=str(SHOTS / "profile.png"))
    page.emulate_media(media="print")
    page.screenshot(path=str(SHOTS / "profile-print.png"), full_page=True)
    page.emulate_media(media="screen")

    # compare: the chosen cities head the table and are the chart's traces
    page.click('a[data-view="compare"]')
    picks = page.locator(".compare-pick")
    names = {v: n for v, n in page.eval_on_selector_all(
        ".compare-pick[data-slot='2'] option", "os => os.map(o => [o.value, o.textContent])") if v}
    chosen = list(names)[5:8]
    for slot, unit in enumerate(chosen):
        picks.nth(slot).select_option(unit)
    head = page.eval_on_selector_all("#compare-table thead th", "ths => ths.map(t => t.textContent)")
    assert head[1:] == [names[u] for u in chosen]
    assert page.locator("#compare-table tbody tr").count() == 15
    traces = page.evaluate("() => document.getElementById('chart-compare').data.map(t => t.name)")
    assert traces == [names[u] for u in chosen]
    assert _unrendered(page, "#compare") == []
    page.locator("#compare").screenshot(path=str(SHOTS / "compare.png"))

    for view in ("editions", "audit", "methodology"):
        page.click(f'a[data-view="{view}"]')
        page.wait_for_function("v => !document.getElementById(v).hidden", arg=view)
        assert _unrendered(page, f"#{view}") == []
    # every chart container of the page has now been drawn, but the audit's node panels not yet chosen
    assert page.evaluate("() => document.querySelectorAll('.chart[data-figure]:not([data-rendered])').length") == 14
    assert page.evaluate("() => document.querySelectorAll('.audit-panel:not([hidden]) .chart:not([data-rendered])')"
                         ".length") == 0
    watch.check()
    page.close()


def test_audit_tab_draws_every_node(browser, demo_report):
    page, watch = _open(browser, demo_report)
    page.click('a[data-view="audit"]')
    page.wait_for_function("() => !document.getElementById('audit').hidden")
    assert page.locator("#audit-flags tbody tr").count() > 0
    assert _unrendered(page, "#audit") == []
    # the importance chart and the first node's heatmap; the other panels are hidden until chosen
    assert page.locator("#audit .js-plotly-plot").count() == 2
    assert page.locator(".audit-panel:not([hidden])").count() == 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#audit").screenshot(path=str(SHOTS / "audit.png"))
    options = page.eval_on_selector_all("#audit-node option", "os => os.map(o => o.value)")
    assert len(options) == 15
    for value in options:
        page.select_option("#audit-node", value)
        shown = page.locator(".audit-panel:not([hidden])")
        assert shown.count() == 1 and shown.get_attribute("id") == value
        assert _unrendered(page, f"#{value}") == []
        labels = page.evaluate("id => document.querySelector('#' + id + ' .chart').data[0].y.length", value)
        rows = page.locator(f"#{value} table.corr-table tbody tr").count()
        assert labels == rows >= 3          # the data table holds the heatmap's matrix
    page.select_option("#audit-node", options[3])
    page.locator(f"#{options[3]}").screenshot(path=str(SHOTS / "audit-node.png"))
    # a link to the tab opens it directly
    page.goto(demo_report.resolve().as_uri() + "#audit")
    page.wait_for_function("() => !document.getElementById('audit').hidden")
    assert _unrendered(page, "#audit") == []
    watch.check()
    page.close()


def test_sort_and_search(browser, demo_report):
    page, watch = _open(browser, demo_report)
    table = "#scores-table"
    first = page.locator(f"{table} tbody tr").first.locator("th").inner_text()
    page.click(f"{table} thead th:nth-child(3) button")  # score, ascending
    assert page.locator(f"{table} thead th:nth-child(3)").get_attribute("aria-sort") == "ascending"
    scores = page.eval_on_selector_all(f"{table} tbody tr td:nth-child(3)", "tds => tds.map(t => +t.dataset.v)")
    assert scores == sorted(scores) and page.locator(f"{table} tbody tr").last.locator("th").inner_text() == first
    page.fill("#scores-search", "harb")
    visible = page.eval_on_selector_all(f"{table} tbody tr:not([hidden]) th", "ths => ths.map(t => t.textContent)")
    assert visible and all("harb" in v.lower() for v in visible)
    watch.check()
    page.close()


def test_hostile_names_render_as_text(browser, evil_report):
    page, watch = _open(browser, evil_report)
    cells = page.eval_on_selector_all("#scores-table tbody th", "ths => ths.map(t => t.textContent)")
    assert set(EVIL) <= set(cells)
    assert page.locator("#scores-table img").count() == 0 and page.locator("main script").count() == 0
    # profiles, compare (built by the page script) and charts too
    page.goto(evil_report.resolve().as_uri() + "#city-AAA")
    page.wait_for_function("() => !document.getElementById('city-AAA').hidden")
    assert page.locator("#city-AAA h2").inner_text() == EVIL[0]
    page.goto(evil_report.resolve().as_uri() + "#compare")
    page.locator(".compare-pick").nth(0).select_option("AAA")
    page.locator(".compare-pick").nth(1).select_option("BBB")
    head = page.eval_on_selector_all("#compare-table thead th", "ths => ths.map(t => t.textContent)")
    assert head[1:] == EVIL
    legend = page.eval_on_selector_all("#chart-compare .legendtext", "ts => ts.map(t => t.textContent)")
    assert legend == EVIL
    assert page.locator("img").count() == 0
    page.wait_for_timeout(200)
    watch.check()
    page.close()


def test_uncertainty_charts_render_with_a_run_and_are_absent_without(browser, uncertainty_reports):
    with_run, without = uncertainty_reports
    page, watch = _open(browser, with_run)
    page.click('a[data-view="robustness"]')
    page.wait_for_function("() => !document.getElementById('robustness').hidden")
    assert _unrendered(page, "#robustness") == []
    drawn = page.eval_on_selector_all("#robustness .chart[data-rendered]", "els => els.map(e => e.dataset.figure)")
    assert drawn == ["uncertainty-intervals", "uncertainty-sobol", "uncertainty-remove-0"]
    for fig in drawn:  # plotly drew an svg in each, with the chart's marks
        assert page.locator(f"#chart-{fig} svg.main-svg").count() > 0
    assert page.locator("#chart-uncertainty-intervals path.xerror").count() == 5   # one interval per city
    assert page.locator("#chart-uncertainty-sobol path.xerror").count() == 2 * 2  # S1 and ST of two factors
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#robustness").screenshot(path=str(SHOTS / "robustness.png"))
    # the remove-one selector shows one component at a time, and draws its scatter plot
    options = page.eval_on_selector_all("#remove-one-node option", "os => os.map(o => o.value)")
    assert len(options) == 8                                                        # 6 indicators, 2 areas
    for value in options:
        page.select_option("#remove-one-node", value)
        shown = page.locator(".remove-panel:not([hidden])")
        assert shown.count() == 1 and shown.get_attribute("id") == value
        assert _unrendered(page, f"#{value}") == []
        assert page.locator(f"#{value} .scatterlayer .point").count() == 5
    watch.check()
    page.close()

    page, watch = _open(browser, without)
    assert page.locator("#robustness").count() == 0 and page.locator('a[data-view="robustness"]').count() == 0
    keys = page.evaluate("() => Object.keys(JSON.parse(document.getElementById('report-data').textContent).figures)")
    assert keys and not [k for k in keys if k.startswith("uncertainty")]
    page.goto(without.resolve().as_uri() + "#robustness")                    # a stale link opens the overview
    page.wait_for_function("() => !document.getElementById('overview').hidden")
    watch.check()
    page.close()


def test_screenshots_are_git_ignored():
    gitignore = (ROOT / ".gitignore").read_text().splitlines()
    assert "reports/screenshots/" in gitignore


@pytest.fixture(scope="module")
def demo_audit_page(tmp_path_factory) -> Path:
    """The standalone audit.html of the demo, with two outside variables."""
    import numpy as np
    import pandas as pd

    import openindex as oi
    from openindex.workflows.analysis import audit

    fw_path, data_path = ROOT / "indicators" / "opencities.yaml", ROOT / "datasets" / "demo_network.csv"
    units = oi.read_dataset(str(data_path), oi.read_framework(fw_path)).for_edition().unit_codes
    d = tmp_path_factory.mktemp("audit")
    rng = np.random.default_rng(0)
    pd.DataFrame({"unit": units, "gdp_head": rng.normal(40000, 5000, len(units)).round(),
                  "satisfaction": rng.normal(6.5, 1, len(units)).round(1)}).to_csv(d / "outside.csv", index=False)
    audit(str(fw_path), str(data_path), d / "out", external=str(d / "outside.csv"))
    return d / "out" / "audit.html"


def test_standalone_audit_page_draws_every_node(browser, demo_audit_page):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    url = demo_audit_page.resolve().as_uri()
    watch = Watch(page, url)
    page.goto(url)
    page.wait_for_function("() => document.querySelectorAll('#audit-page .chart[data-rendered]').length >= 2")
    assert page.locator("#audit-flags tbody tr").count() > 0 and page.locator("#audit-external tbody tr").count() > 0
    assert _unrendered(page, "#audit-page") == []
    options = page.eval_on_selector_all("#audit-node option", "os => os.map(o => o.value)")
    assert len(options) == 15
    for value in options:
        page.select_option("#audit-node", value)
        assert _unrendered(page, f"#{value}") == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "audit-page.png"), full_page=False)
    watch.check()
    page.close()
