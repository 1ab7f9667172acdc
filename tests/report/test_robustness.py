"""The report's robustness tab: what an uncertainty run computed, shown with --uncertainty and absent without it.

The frames (tables), the figures and the tab are checked on the tiny network; the whole
command line (uncertainty, then report) once. The browser test
(tests/report/test_report_browser.py) checks that the charts are drawn.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from openindex.cli import main
from openindex.errors import DataError
from openindex.report import figures as F
from openindex.report import tables as T
from openindex.report.build import build_report, read_uncertainty
from openindex.report.data import ReportOptions
from openindex.report.render import render_report, robustness_figures, robustness_section

EVIL = "<script>alert(1)</script>"

FACTORS = f"""\
runs: 60
seed: 3
factors:
  - weights: {{level: 1, noise: 0.3}}
  - name: "{EVIL}"
    normalise: [{{method: minmax}}, {{method: rank}}]
"""

KEYS = ("uncertainty-intervals", "uncertainty-sobol")


def _script_json(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, flags=re.S)
    assert m is not None
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """An uncertainty run of the tiny network with Sobol' indices, and the files it was made from."""
    from tests.conftest import TINY_CSV, TINY_YAML

    d = tmp_path_factory.mktemp("robustness")
    (d / "f.yaml").write_text(TINY_YAML, encoding="utf-8")
    (d / "d.csv").write_text(TINY_CSV, encoding="utf-8")
    (d / "factors.yaml").write_text(FACTORS, encoding="utf-8")
    assert main(["uncertainty", str(d / "f.yaml"), str(d / "d.csv"), "--out", str(d / "unc"), "--factors",
                 str(d / "factors.yaml"), "--sobol", "8"]) == 0
    return d


@pytest.fixture(scope="module")
def inputs(run_dir):
    from openindex.data.validate import read_dataset
    from openindex.io import read_framework

    fw = read_framework(run_dir / "f.yaml")
    return fw, read_dataset(str(run_dir / "d.csv"), fw)


def _data(inputs, run_dir, **options):
    fw, ds = inputs
    run, source = read_uncertainty(run_dir / "unc")
    return build_report(fw, ds, uncertainty=run, intervals_source=source, options=ReportOptions(**options))


# ---- reading the folder and the frames ------------------------------------------------------------------------


def test_read_uncertainty_reads_every_output(run_dir):
    run, source = read_uncertainty(run_dir / "unc")
    assert source.endswith("rank_intervals.csv") and len(run.intervals) == 5
    assert run.sensitivity is not None and set(run.sensitivity["factor"]) == {"weights:1", EVIL}
    assert run.remove_one is not None and {"nominal_score", "score"} <= set(run.remove_one.columns)
    assert run.settings["runs"] == 60 and run.settings["sobol"]["base_points"] == 8


def test_sobol_frame_sorts_by_total_index():
    sens = pd.DataFrame({"factor": ["a", "b", "c", "a"], "target": ["mean_abs_rank_shift"] * 3 + ["AAA"],
                         "S1": [0.1, 0.5, np.nan, 0.9], "S1_conf": 0.01, "ST": [0.2, 0.7, np.nan, 0.95],
                         "ST_conf": 0.02})
    frame = T.sobol_frame(sens)
    assert frame["factor"].tolist() == ["b", "a", "c"] and list(frame.columns) == ["factor", "S1", "S1_conf", "ST",
                                                                                   "ST_conf"]
    with pytest.raises(DataError, match="missing column"):
        T.sobol_frame(sens.drop(columns="ST_conf"))


def test_remove_one_frames_are_checked_and_summarised(inputs, run_dir):
    fw, ds = inputs
    from openindex.engine import build

    result = build(fw, ds)
    table = pd.read_csv(run_dir / "unc" / "remove_one.csv")
    aligned = T.align_remove_one(table, result)
    assert aligned is not None and list(aligned.columns) == list(T.REMOVE_ONE_COLUMNS)
    assert T.align_remove_one(table.drop(columns=["nominal_score", "score"]), result) is None  # an older run
    bad = table.assign(nominal_score=table["nominal_score"] + 1)
    with pytest.raises(DataError, match="made for another build"):
        T.align_remove_one(bad, result)
    effects = T.remove_one_effects(aligned)
    assert effects["removed"].tolist() == list(dict.fromkeys(table["removed"]))
    row = effects.iloc[0]
    part = aligned[aligned["removed"] == row["removed"]]
    change = (part["score"] - part["nominal_score"]).abs()
    assert row["mean_change"] == pytest.approx(change.mean()) and row["max_change"] == pytest.approx(change.max())
    assert row["max_shift"] == part["shift"].abs().max()
    assert row["r"] == pytest.approx(np.corrcoef(part["nominal_score"], part["score"])[0, 1])


# ---- the figures ------------------------------------------------------------------------------------------------


def test_rank_interval_chart_draws_median_interval_and_nominal():
    frame = pd.DataFrame({"unit": ["A", "B"], "name": ["Alpha", EVIL], "nominal_rank": [1, 2],
                          "median_rank": [1.5, 2.0], "p05": [1.0, 1.0], "p95": [3.0, 2.0]})
    fig = F.rank_interval_chart(frame)
    median, nominal = fig.data
    assert list(median.x) == [1.5, 2.0] and list(median.error_x.array) == [1.5, 0.0]
    assert list(median.error_x.arrayminus) == [0.5, 1.0] and list(nominal.x) == [1, 2]
    assert list(fig.layout.yaxis.ticktext) == ["Alpha", "&lt;script&gt;alert(1)&lt;/script&gt;"]


def test_sobol_chart_has_both_orders_with_intervals():
    frame = pd.DataFrame({"factor": ["w", EVIL], "S1": [0.4, 0.1], "S1_conf": [0.05, 0.02], "ST": [0.6, 0.2],
                          "ST_conf": [0.07, 0.03]})
    fig = F.sobol_chart(frame, text={"S1": "first", "ST": "total"})
    s1, st = fig.data
    assert (s1.name, st.name) == ("first", "total") and list(st.error_x.array) == [0.07, 0.03]
    assert EVIL not in json.dumps(fig.to_plotly_json(), default=str)


def test_remove_one_scatter_on_equal_axes_with_the_diagonal():
    frame = pd.DataFrame({"name": ["A", "B", "C"], "nominal_score": [10.0, 20.0, 30.0], "score": [12.0, 18.0, 40.0],
                          "nominal_rank": pd.array([3, 2, 1], dtype="Int64"),
                          "rank": pd.array([2, 3, pd.NA], dtype="Int64")})
    fig = F.remove_one_scatter(frame)
    diagonal, points = fig.data
    assert list(diagonal.x) == list(diagonal.y) and list(fig.layout.xaxis.range) == list(fig.layout.yaxis.range)
    assert list(points.y) == [12.0, 18.0, 40.0] and points.customdata[2][2] == ""
    assert F.remove_one_scatter(frame, ranks=False).data[1].customdata[0][1] == ""


# ---- the tab ------------------------------------------------------------------------------------------------------


def test_report_with_uncertainty_has_the_tab_and_its_figures(inputs, run_dir):
    data = _data(inputs, run_dir)
    n_removed = len(T.remove_one_effects(data.uncertainty.remove_one))
    keys = {*KEYS, *(f"uncertainty-remove-{i}" for i in range(n_removed))}
    assert {k for k in data.figures if k.startswith("uncertainty")} == keys
    page = render_report(data)
    assert keys <= set(_script_json(page)["figures"])
    for key in keys:
        assert f'data-figure="{key}"' in page
    for heading in ("Robustness", "Rank intervals", "Which choices matter most", "What each component adds"):
        assert f">{heading}</h" in page
    assert 'data-view="robustness"' in page and '<section id="robustness"' in page
    assert "60 Monte Carlo replications (seed 3)" in page and "32 further runs" in page  # 8 x (2 factors + 2)
    assert EVIL not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # a factor name, escaped
    # the remove-one selector: one option per component, highest level first, one panel shown
    section = robustness_section(data)
    assert section.count('class="remove-panel"') == n_removed == section.count("<option ")
    assert section.count('class="remove-panel" id="remove-one-0">') == 1  # the first panel is not hidden
    assert section.index('label="Area"') < section.index('label="Indicator"')


def test_report_without_uncertainty_has_none(inputs):
    fw, ds = inputs
    data = build_report(fw, ds)
    assert robustness_figures(data) == {} and robustness_section(data) == ""
    page = render_report(data)
    assert not [k for k in _script_json(page)["figures"] if k.startswith("uncertainty")]
    assert 'id="robustness"' not in page and 'data-view="robustness"' not in page and "Rank intervals" not in page


def test_without_ranks_only_the_scores_are_shown(inputs, run_dir):
    data = _data(inputs, run_dir, no_ranks=True)
    assert not [k for k in data.figures if k in KEYS] and "uncertainty-remove-0" in data.figures
    section = robustness_section(data)
    assert "Rank intervals" not in section and "Mean rank shift" not in section and "Sobol" not in section
    assert "rank" not in json.dumps(data.figures["uncertainty-remove-0"].data[1].customdata, default=list).lower()


@pytest.mark.parametrize("lang, heading", [("fr", "Robustesse"), ("de", "Robustheit")])
def test_the_tab_in_other_languages(inputs, run_dir, lang, heading):
    page = render_report(_data(inputs, run_dir, lang=lang))
    assert f'<h2 id="robustness-h">{heading}</h2>' in page


def test_an_older_run_folder_shows_what_it_has(inputs, run_dir, tmp_path):
    """Rank intervals only (no manifest, no Sobol' indices, remove-one without scores): the intervals chart."""
    (tmp_path / "rank_intervals.csv").write_bytes((run_dir / "unc" / "rank_intervals.csv").read_bytes())
    old = pd.read_csv(run_dir / "unc" / "remove_one.csv").drop(columns=["nominal_score", "score"])
    old.to_csv(tmp_path / "remove_one.csv", index=False)
    fw, ds = inputs
    run, source = read_uncertainty(tmp_path)
    data = build_report(fw, ds, uncertainty=run, intervals_source=source)
    assert [k for k in data.figures if k.startswith("uncertainty")] == ["uncertainty-intervals"]
    section = robustness_section(data)
    assert "no manifest.json" in section and "without --sobol" in section and "remove-one-node" not in section


def test_cli_report_with_an_uncertainty_run(run_dir, tmp_path):
    out = tmp_path / "rep"
    assert main(["report", str(run_dir / "f.yaml"), str(run_dir / "d.csv"), "--out", str(out), "--uncertainty",
                 str(run_dir / "unc")]) == 0
    figures = _script_json((out / "report.html").read_text(encoding="utf-8"))["figures"]
    assert set(KEYS) <= set(figures) and "uncertainty-remove-0" in figures
