"""Workflows: each reads its inputs, writes the documented files and returns a record of what it did."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import pandas as pd
import pytest

import openindex.workflows as wf
from openindex.errors import DataError
from openindex.model.schema import framework_schema_json
from openindex.workflows.analysis import uncertainty_manifest
from openindex.workflows.city import CHANGE_SET_COLUMNS, change_sets_frame, check_limit, whatif_manifest
from openindex.workflows.inputs import read_inputs
from tests.conftest import ICC_FILES, ROOT, TINY_CSV


def test_every_public_name_resolves_lazily() -> None:
    assert set(wf.__all__) == set(wf._EXPORTS)
    for name in wf.__all__:
        assert getattr(wf, name) is not None, name
    assert set(wf.__all__) <= set(dir(wf))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = wf.nope


def test_validate_imports_neither_the_engine_nor_the_report() -> None:
    """`openindex validate` builds nothing: its workflow module loads no engine, scipy or plotly."""
    code = ("import sys, openindex.workflows.prepare; "
            "print(sorted({m.split('.')[0] if not m.startswith('openindex') else '.'.join(m.split('.')[:2]) "
            "for m in sys.modules if m.split('.')[0] in ('scipy', 'plotly') or m.startswith(('openindex.engine', "
            "'openindex.report', 'openindex.analysis'))}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ---- prepare ------------------------------------------------------------------------------------------------


def test_check_framework_and_data(tiny_paths, tmp_path) -> None:
    fw_path, data_path = tiny_paths
    checked = wf.check_framework(str(fw_path))
    assert checked.framework.name == "Tiny test index" and checked.questionnaire_items == 1
    data = wf.check_data(str(data_path), checked.framework, problems=str(tmp_path / "p.csv"))
    assert data.n_units == 5 and data.dataset.editions == (2025,)
    assert data.coverage and all(isinstance(line, str) for line in data.coverage)
    assert data.problems_path == tmp_path / "p.csv"
    assert (tmp_path / "p.csv").read_text(encoding="utf-8").startswith("file,location,")


def test_check_data_raises_with_every_problem(tiny_paths, tmp_path) -> None:
    fw_path, _ = tiny_paths
    bad = tmp_path / "bad.csv"
    bad.write_text(TINY_CSV.replace(",adopted\nBBB", ",adopted,x\nBBB"), encoding="utf-8")
    with pytest.raises(DataError):
        wf.check_data(str(bad), wf.check_framework(str(fw_path)).framework)


def test_write_schema(tmp_path) -> None:
    path = wf.write_schema(tmp_path / "s.json")
    assert path.read_text(encoding="utf-8") == framework_schema_json()


# ---- run and report -------------------------------------------------------------------------------------------


def test_run_writes_the_documented_files(tiny_paths, tmp_path) -> None:
    fw_path, data_path = tiny_paths
    out = tmp_path / "run"
    outcome = wf.run(str(fw_path), str(data_path), out, settings={"build.normalise.method": "zscore"},
                     with_report=False)
    assert list(outcome.paths) == ["scores", "stages", "manifest"]  # no peer groups in the tiny framework
    assert {p.name for p in out.iterdir()} == {"scores.csv", "stages.xlsx", "manifest.json"}
    assert outcome.paths["scores"] == out / "scores.csv"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"] == "run"
    assert manifest["framework"]["path"] == "tiny.yaml" and manifest["data"]["path"] == "tiny.csv"  # names only
    assert manifest["data"]["sha256"] == outcome.result.input_dataset.sha256
    assert manifest["settings"] == {"build.normalise.method": "zscore"}
    assert outcome.result.dataset.n_units == 5 and outcome.notice == ""
    assert outcome.imputed == int(outcome.result.imputed.sum())


def test_run_with_report_and_peer_groups(tmp_path) -> None:
    fw_path, data_path = ROOT / "indicators" / "opencities.yaml", ROOT / "datasets" / "demo_network.csv"
    outcome = wf.run(str(fw_path), str(data_path), tmp_path)
    assert list(outcome.paths) == ["scores", "peers", "stages", "manifest", "report", "results"]
    assert all(p.exists() and p.parent == tmp_path for p in outcome.paths.values())
    assert "Synthetic" in outcome.notice


def test_report_checks_options_before_reading_the_data(tiny_paths, tmp_path) -> None:
    from openindex.report import ReportOptions

    fw_path, _ = tiny_paths
    with pytest.raises(Exception, match="'lang' option of the report"):
        wf.report(str(fw_path), str(tmp_path / "no such data.csv"), tmp_path, options=ReportOptions(lang="xx"))


def test_report_records_the_files_and_their_sizes(tiny_paths, tmp_path) -> None:
    from openindex.report import ReportOptions

    fw_path, data_path = tiny_paths
    outcome = wf.report(str(fw_path), str(data_path), tmp_path / "r", options=ReportOptions(no_ranks=True))
    assert [p.name for p, _ in outcome.files] == ["report.html", "results.xlsx"]
    assert all(size == p.stat().st_size > 0 for p, size in outcome.files)
    assert outcome.options.no_ranks


# ---- analysis -------------------------------------------------------------------------------------------------


def test_audit_writes_tables_and_page(tiny_paths, tmp_path) -> None:
    fw_path, data_path = tiny_paths
    out = tmp_path / "audit"  # not tmp_path, which holds the inputs: a folder of the user's files is refused
    outcome = wf.audit(str(fw_path), str(data_path), out, stage="aggregated")
    assert outcome.stage == "aggregated" and outcome.paths[-1] == out / "audit.html"
    assert {p.name for p in outcome.paths} == {f"{stem}.csv" for stem in outcome.audit.tables()} | {"audit.html"}
    assert set(json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]) == {
        p.name for p in outcome.paths}


def test_uncertainty_needs_factors(tiny_paths, tmp_path) -> None:
    fw_path, data_path = tiny_paths
    with pytest.raises(Exception, match="has no `uncertainty:` section"):
        wf.uncertainty(str(fw_path), str(data_path), tmp_path)


def test_uncertainty_manifest_records_the_bootstrap_settings_used() -> None:
    res = SimpleNamespace(nominal=SimpleNamespace(framework=SimpleNamespace(n_levels=3)), sobol_runs=40,
                          num_resamples=250, conf_level=0.9)
    entry = uncertainty_manifest(res, (), runs=10, seed=3, sobol=8, factors=None)  # type: ignore[arg-type]
    assert entry["sobol"]["bootstrap_resamples"] == 250 and entry["sobol"]["conf_level"] == 0.9
    assert entry["remove_one_levels"] == [1, 2] and entry["factors_file"] == "" and entry["runs"] == 10
    assert uncertainty_manifest(res, (), runs=10, seed=3, sobol=None, factors=None)["sobol"] is None  # type: ignore[arg-type]


def test_uncertainty_writes_intervals_and_manifest(tmp_path) -> None:
    fw_path, data_path = ROOT / "indicators" / "opencities.yaml", ROOT / "datasets" / "demo_network.csv"
    outcome = wf.uncertainty(str(fw_path), str(data_path), tmp_path, runs=20, seed=5, sobol=4)
    assert [p.name for p in outcome.paths] == ["rank_intervals.csv", "sensitivity.csv", "remove_one.csv",
                                               "manifest.json"]
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    sobol = manifest["uncertainty"]["sobol"]
    assert (sobol["bootstrap_resamples"], sobol["conf_level"]) == (outcome.analysis.num_resamples,
                                                                  outcome.analysis.conf_level) == (1000, 0.95)
    assert manifest["uncertainty"]["runs"] == 20 and outcome.seed == 5 and outcome.factors
    worst = outcome.largest_remove_one_shifts(2)
    assert len(worst) == 2 and worst["mean_abs_shift"].is_monotonic_decreasing


# ---- one city -------------------------------------------------------------------------------------------------


def test_change_sets_frame_and_manifest_of_no_sets() -> None:
    assert list(change_sets_frame([]).columns) == list(CHANGE_SET_COLUMNS)
    assert whatif_manifest([], 10, "fixed") == {"mode": "fixed", "exact_limit": 10, "targets": []}
    with pytest.raises(Exception, match="--limit must be at least 0; got -1"):
        check_limit(-1)


def test_template_then_self_assess(tmp_path) -> None:
    fw_path, data_path = map(str, ICC_FILES)
    made = wf.template(fw_path, tmp_path / "q.xlsx", unit="I11", network=data_path)
    assert made.path == tmp_path / "q.xlsx" and made.unit == "I11" and "Synthetic" in made.notice
    assert made.questions + made.statistics == len(made.framework.indicators)
    done = wf.self_assess(fw_path, str(made.path), data_path, tmp_path / "sa", problems=str(tmp_path / "p.csv"))
    assert [p.name for p in done.paths] == ["profile.html", "scores.csv", "completeness.csv", "gains.csv",
                                            "change_sets.csv", "manifest.json"]
    assert done.problems_path == tmp_path / "p.csv" and done.out == tmp_path / "sa"
    manifest = json.loads((tmp_path / "sa" / "manifest.json").read_text(encoding="utf-8"))
    inputs = read_inputs(fw_path, data_path)
    assert manifest["command"] == "self-assess" and manifest["data"]["sha256"] == inputs.dataset.sha256
    assert manifest["self_assessment"]["unit"] == done.assessment.unit == "I11"
    scores = pd.read_csv(tmp_path / "sa" / "scores.csv")
    assert scores.loc[scores["code"] == made.framework.root, "rank"].iat[0] == done.rank
    assert done.completeness["total"] == len(made.framework.indicators)


def test_whatif_writes_gains_and_change_set(tiny_paths, tmp_path) -> None:
    fw_path, data_path = tiny_paths
    out = tmp_path / "whatif"
    found = wf.whatif(str(fw_path), str(data_path), "BBB", out, limit=100)
    assert [p.name for p in found.paths] == ["gains.csv", "change_set.csv", "profile.html", "manifest.json"]
    assert found.name == "Beta" and found.peer_label == ""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["whatif"]["unit"] == "BBB" and manifest["whatif"]["exact_limit"] == 100
    assert list(pd.read_csv(out / "change_set.csv").columns) == list(CHANGE_SET_COLUMNS)
