"""The CLI end to end: run outputs, reproducibility, bad requests exit 2 with named culprits."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import openpyxl
import pandas as pd
import pytest

from openindex.cli import main
from tests.conftest import ROOT, TINY_CSV, TINY_YAML

DEMO_FW = ROOT / "indicators" / "opencities.yaml"
DEMO_DATA = ROOT / "datasets" / "demo_network.csv"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    assert main(["run", str(DEMO_FW), str(DEMO_DATA), "--out", str(out)]) == 0
    return out


def test_run_writes_every_output(demo_run, capsys):
    scores = pd.read_csv(demo_run / "scores.csv")
    assert list(scores.columns) == ["unit", "code", "level", "score", "rank"]
    assert scores["level"].max() == 4 and set(scores.loc[scores.level == 4, "code"]) == {"INDEX"}
    assert len(scores) == 40 * (1 + 3 + 11 + 53)
    index = scores[scores.level == 4].sort_values("rank")
    assert index["rank"].iloc[0] == 1 and index["score"].is_monotonic_decreasing
    peers = pd.read_csv(demo_run / "peers.csv")
    assert set(peers["peer_group"]) == {"size", "diversity", "region", "similar"}
    manifest = json.loads((demo_run / "manifest.json").read_text())
    assert manifest["data"]["synthetic"] is True and "Synthetic demonstration data" in manifest["data"]["notice"]
    assert len(manifest["framework"]["sha256"]) == 64 and manifest["build"]["normalise"]["method"] == "minmax"
    assert manifest["methods_used"]["normalise"]["intercultural_strategy"]["method"] == "points"
    wb = openpyxl.load_workbook(demo_run / "stages.xlsx", read_only=True)
    assert {"about", "raw", "denominated", "imputed", "treated", "normalised", "ranks", "flags", "weights",
            "treatment", "methods", "manifest"} <= set(wb.sheetnames)
    about = [r for r in wb["about"].iter_rows(values_only=True)]
    assert about[1][0] == "NOTICE" and "Synthetic" in about[1][1]


def test_run_is_byte_identical(demo_run, tmp_path):
    again = tmp_path / "again"
    assert main(["run", str(DEMO_FW), str(DEMO_DATA), "--out", str(again)]) == 0
    for name in ("scores.csv", "peers.csv", "stages.xlsx", "manifest.json"):
        assert (again / name).read_bytes() == (demo_run / name).read_bytes(), name


def test_scores_keep_full_precision(demo_run):
    text = (demo_run / "scores.csv").read_text().splitlines()[1]
    assert len(text.split(",")[3].split(".")[1]) >= 10


def test_set_overrides_build(tiny_paths, tmp_path):
    fw, data = tiny_paths
    out = tmp_path / "z"
    assert main(["run", str(fw), str(data), "--out", str(out), "--set", "build.normalise.method=zscore",
                 "--set", "build.normalise.params.sd=2"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["settings"] == {"build.normalise.method": "zscore", "build.normalise.params.sd": 2}
    level1 = pd.read_csv(out / "scores.csv").query("level == 1 and code == 'gdp'")["score"].to_numpy()
    assert np.std(level1, ddof=1) == pytest.approx(2.0)


def _tiny(tmp_path, csv=TINY_CSV, yaml_text=TINY_YAML):
    fw, data = tmp_path / "f.yaml", tmp_path / "d.csv"
    fw.write_text(yaml_text)
    data.write_text(csv)
    return [str(fw), str(data), "--out", str(tmp_path / "out")]


BAD_REQUESTS = [
    ("geometric mean over zeros", ["--set", "build.aggregate.method=geometric"],
     "aggregate method 'geometric' for econ, social: ",
     "in 6 cases; children: gdp, jobs, firms, crime, trust and 1 more; units: Gamma, Delta"),
    ("min-max of a constant", [], "minmax': min-max of a constant (or single-valued) indicator; indicator: trust",
     "trust"),
    ("unknown method", ["--set", "build.normalise.method=minimax"], "Unknown normalise method 'minimax'", ""),
    ("param of the wrong type", ["--set", "build.normalise.params.low=abc"],
     "The 'low' parameter of normalise method 'minmax' must be a number. Got 'abc' instead.", ""),
    ("group column that does not exist", ["--set", "build.impute.method=group_mean",
                                          "--set", "build.impute.params.group=continent"],
     "impute method 'group_mean': group column 'continent' does not exist", "region"),
    ("edition not in the data", ["--edition", "1999"], "edition 1999 is not in the data", "2025"),
    ("bad --set syntax", ["--set", "build.normalise.method"], "--set needs KEY=VALUE", ""),
]


@pytest.mark.parametrize("case", BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS])
def test_bad_requests_exit_2(case, tmp_path, capsys):
    name, extra, message, also = case
    csv = TINY_CSV.replace(",6,", ",5,").replace(",7,", ",5,").replace(",4,", ",5,").replace(",8,", ",5,") \
        if name == "min-max of a constant" else TINY_CSV
    code = main(["run", *_tiny(tmp_path, csv), *extra])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and message in err and also in err, err


def test_console_script_exit_code_and_no_traceback(tmp_path):
    args = _tiny(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "openindex.cli", "run", *args, "--set",
                           "build.aggregate.method=geometric"], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "geometric" in proc.stderr


def test_methods_lists_registries(capsys):
    assert main(["methods", "normalise"]) == 0
    out = capsys.readouterr().out
    assert "minmax(low=0.0, high=100.0)" in out and "goalposts(low=0.0, high=100.0, trunc=True)" in out


def test_schema_command(tmp_path):
    out = tmp_path / "schema.json"
    assert main(["schema", "--out", str(out)]) == 0
    schema = json.loads(out.read_text())
    assert "indicators" in schema["properties"] and schema["additionalProperties"] is False


HEAVY = ("pandas", "scipy", "plotly")


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["self-assess", "--help"], ["methods"]],
                         ids=["--help", "run --help", "self-assess --help", "methods"])
def test_help_and_methods_import_no_heavy_library(args):
    """`python -m openindex --help` (and a command's --help, and `methods`) stays fast: no pandas, scipy, plotly."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "openindex", *args], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "openindex.cli" in imported
    heavy = sorted(m for m in imported if m.split(".")[0] in HEAVY)
    assert not heavy, heavy


def test_python_m_openindex_runs_the_cli():
    proc = subprocess.run([sys.executable, "-m", "openindex", "methods", "aggregate"], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 0 and "arithmetic(" in proc.stdout


def test_set_refuses_a_number_only_python_reads(tiny_paths, tmp_path, capsys):
    """`--set ...weight=1_5` is not 15: YAML 1.2 reads it as text, and openindex refuses to guess."""
    fw, data = tiny_paths
    code = main(["run", str(fw), str(data), "--out", str(tmp_path / "o"), "--set", "indicators.gdp.weight=1_5"])
    assert code == 2
    assert "'1_5' is not a number in YAML 1.2" in capsys.readouterr().err
    assert main(["run", str(fw), str(data), "--out", str(tmp_path / "p"), "--set", "indicators.gdp.weight=15"]) == 0
