"""The engine on the real ASEM index (COINr's example; ../shared/datasets/asem)."""

from __future__ import annotations

import numpy as np
import pytest

from openindex import MethodError, read_dataset, read_framework, with_settings
from openindex.cli import main
from openindex.engine import build
from openindex.methods import registry_for

# normalisers that need metadata ASEM does not declare (goalposts, questionnaire options)
NEEDS_METADATA = {"goalposts": "goalposts: [lo, hi]", "points": "type: questionnaire"}
# ratio-scale normalisers: ASEM's lower-is-better CostImpEx, Tariff and Poverty have raw zeros
RATIO = {"distance_to_frontier", "index_to_mean"}
RATIO_CULPRITS = "indicators: CostImpEx, Tariff, Poverty"
# aggregators defined for any real-valued scores; the others need positive scores
ALWAYS_DEFINED = {"arithmetic", "median", "copeland", "power_mean"}


@pytest.fixture(scope="module")
def asem(tmp_path_factory):
    from tests.conftest import ASEM

    if not (ASEM / "iMeta.csv").exists():
        pytest.skip(f"the ASEM dataset is not available at {ASEM} (it lives in ../shared, beside the repository)")
    out = tmp_path_factory.mktemp("asem")
    assert main(["import-coinr", str(ASEM / "iMeta.csv"), str(ASEM / "iData.csv"), "--out", str(out)]) == 0
    fw = read_framework(out / "framework.yaml")
    return out, fw, read_dataset(str(out / "data.csv"), fw)


def test_every_normalisation_aggregation_pair(asem):
    _, fw, ds = asem
    completed, refused = [], []
    for norm in registry_for("normalise"):
        for agg in registry_for("aggregate"):
            settings = {"build.normalise.method": norm, "build.aggregate.method": agg}
            try:
                result = build(with_settings(fw, settings), ds)
            except MethodError as exc:
                refused.append((norm, agg, str(exc)))
                continue
            index = result.index()
            assert index.notna().all(), (norm, agg)
            completed.append((norm, agg))
    done = set(completed)
    for norm in registry_for("normalise"):
        if norm in NEEDS_METADATA or norm in RATIO:
            continue
        for agg in ALWAYS_DEFINED:
            assert (norm, agg) in done, f"{norm} x {agg} should be defined"
    assert {("rank", "geometric"), ("rank", "harmonic")} <= done
    for norm, agg, message in refused:
        if norm in NEEDS_METADATA:
            assert NEEDS_METADATA[norm] in message
        elif norm in RATIO:
            assert RATIO_CULPRITS in message, message
        else:
            # undefined pairs name the method and the culprit indicators or units
            assert agg in message or norm in message, message
            assert "indicator" in message or "units:" in message, message
    n_pairs = len(registry_for("normalise").names()) * len(registry_for("aggregate").names())
    assert len(completed) + len(refused) == n_pairs


def test_group_mean_imputation_and_winsorising(asem, capsys):
    out, fw, _ = asem
    code = main(["run", str(out / "framework.yaml"), str(out / "data.csv"), "--out", str(out / "run"),
                 "--set", "build.impute.method=group_mean", "--set", "build.impute.params.group=EurAsia_group",
                 "--set", "build.treat.method=winsorise"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "outlier treatment:" in printed and "winsorised, " in printed
    assert "65 values imputed" in printed  # 63 missing cells + 2 rates whose denominator (Energy) is missing
    import openpyxl

    wb = openpyxl.load_workbook(out / "run" / "stages.xlsx", read_only=True)
    rows = list(wb["treatment"].iter_rows(values_only=True))
    treated = [r for r in rows[1:] if r[2] != "untreated"]
    assert treated and all(r[3] >= 1 for r in treated if r[2] == "winsorised")


def test_asem_default_build_is_sensible(asem):
    _, fw, ds = asem
    result = build(fw, ds)
    index = result.index()
    assert len(index) == 51 and index.between(0, 100).all()
    # equal weights and arithmetic means: the index is the mean of its two sub-indexes
    np.testing.assert_allclose(index.to_numpy(), result.scores[2].mean(axis=1))
