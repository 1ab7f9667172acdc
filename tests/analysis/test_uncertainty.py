"""Monte Carlo uncertainty analysis: every replication equals a plain build of its choices, intervals,
determinism whatever the chunking or workers, remove-one by hand, factor validation, the CLI."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pydantic
import pytest
import yaml

from openindex import FrameworkError, MethodError, parse_framework
from openindex.analysis.uncertainty import (
    evaluate,
    factor_frame,
    map_design,
    mean_abs_rank_shift,
    quantiles,
    rank_intervals,
    rank_summary,
    remove_one,
    remove_one_summary,
    replication_framework,
    replication_table,
    resolve_factors,
    run_uncertainty,
    sample_design,
    sobol_index,
)
from openindex.cli import main
from openindex.data.dataset import Dataset
from openindex.engine import build
from openindex.io import read_factors
from openindex.model.spec import UncertaintySpec
from tests.conftest import ROOT, TINY_CSV, TINY_YAML

# ---- a small framework exercising every factor kind ----------------------------------------
# 8 units, 6 indicators in 2 areas (weights 1, 2) under one theme; x2 and x5 lower-is-better;
# x1 and x5 normalised with goalposts, x3 with a target (when asked); one missing value (unit F, x4).
RAW = np.array([
    [1.0, 50.0, 3.0, 0.2, 30.0, 5.0],
    [2.0, 40.0, 9.0, 0.5, 10.0, 5.5],
    [4.0, 30.0, 6.0, 0.4, 20.0, 8.0],
    [7.0, 20.0, 6.5, 0.9, 50.0, 2.0],
    [11.0, 10.0, 1.0, 0.1, 40.0, 10.0],
    [5.0, 35.0, 4.0, np.nan, 25.0, 7.0],
    [3.0, 45.0, 8.0, 0.7, 15.0, 3.0],
    [9.0, 15.0, 2.0, 0.3, 45.0, 9.0],
])
UNITS = list("ABCDEFGH")


def golden_dict(target: bool = False, **build: object) -> dict:
    overrides = {"x1": {"method": "goalposts"}, "x5": {"method": "goalposts"}}
    if target:  # its worst unit scores 0: not for geometric means
        overrides["x3"] = {"method": "distance_to_target"}
    return {
        "name": "Golden UA", "levels": ["Indicator", "Area", "Theme"],
        "attributes": [{"code": "region", "name": "Region", "kind": "categorical"}],
        "aggregates": [{"code": "T", "name": "Theme"}, {"code": "a1", "name": "Area 1", "parent": "T"},
                       {"code": "a2", "name": "Area 2", "parent": "T", "weight": 2}],
        "indicators": [
            {"code": "x1", "name": "x1", "parent": "a1", "goalposts": [0, 12]},
            {"code": "x2", "name": "x2", "parent": "a1", "direction": -1, "weight": 2},
            {"code": "x3", "name": "x3", "parent": "a1", "target": 12},
            {"code": "x4", "name": "x4", "parent": "a2"},
            {"code": "x5", "name": "x5", "parent": "a2", "direction": -1, "goalposts": [0, 60]},
            {"code": "x6", "name": "x6", "parent": "a2", "weight": 3},
        ],
        "build": {"normalise": {"method": "minmax", "params": {"low": 1, "high": 100}, "overrides": overrides},
                  # goalposts are in raw units: never log-transform those indicators (treat factors keep this)
                  "treat": {"method": "none", "overrides": {c: {"method": "none"} for c in overrides}},
                  **build},
    }


def golden_fw(target: bool = False, **build: object):
    return parse_framework(golden_dict(target, **build))


@pytest.fixture(scope="module")
def data() -> Dataset:
    units = pd.DataFrame({"unit": UNITS, "name": UNITS, "edition": 2025, "region": list("NNSSNSSN")})
    return Dataset(units=units, values=RAW, indicators=("x1", "x2", "x3", "x4", "x5", "x6"))


def spec_of(factors: list, runs: int = 200, seed: int = 1) -> UncertaintySpec:
    return UncertaintySpec.model_validate({"runs": runs, "seed": seed, "factors": factors})


# geometric aggregation is safe: every normalised score is positive (no target here: its worst unit scores 0)
SPEC_A = [
    {"weights": {"level": 1, "noise": 0.3}},
    {"weights": {"level": 2, "dirichlet": 5}},
    {"normalise": [{"method": "minmax", "params": {"low": 1, "high": 100}},
                   {"method": "zscore", "params": {"mean": 10, "sd": 2}}]},
    {"aggregate": [{"method": "arithmetic"}, {"method": "geometric"}]},
    {"impute": [{"method": "none"}, {"method": "mean"}, {"method": "group_mean", "params": {"group": "region"}}]},
    {"treat": [{"method": "none"}, {"method": "winsorise", "params": {"skew": 0.1, "kurtosis": -9, "max_points": 1}}]},
    {"exclude": {"level": 1, "p_none": 0.25}},
    {"goalposts": {"x1": {"lo": [-5, 0], "hi": [12, 15]}, "x5": {"lo": [0, 5], "hi": [60, 70]}}},
]
SPEC_B = [
    {"weights": {"level": 1, "sets": [{"x1": 3, "x2": 0.5}, {}, {"x6": 4}], "probabilities": [0.5, 0.25, 0.25]}},
    {"weights": {"level": 2, "noise": 0.5}},
    {"normalise": {"alternatives": [{"method": "minmax"}, {"method": "rank", "p": 0.3}]}},
    {"aggregate": {"level": 2, "alternatives": [{"method": "arithmetic"},
                                                {"method": "power_mean", "params": {"p": 0.5}}]}},
    {"aggregate": {"level": "Theme", "alternatives": [{"method": "arithmetic"}, {"method": "median"}]}},
    {"exclude": {"level": 2, "p_none": 0.5}},
    {"target": {"x3": [12, 20]}},
]
SPEC_PCA = [
    {"weights": {"level": 1, "noise": 0.2}},
    {"exclude": {"level": 1}},
    {"aggregate": [{"method": "arithmetic"}, {"method": "geometric"}]},
    {"goalposts": {"x1": {"lo": [-2, 0], "hi": [12, 14]}}},
]


def check_replications(fw, ds, spec, rs):
    """Replications ``rs`` of the vectorised run equal plain builds of their frameworks."""
    design = sample_design(spec, fw)
    reps = evaluate(fw, ds, design, keep="all")
    nominal = build(fw, ds)
    changed = 0
    for r in rs:
        res = build(replication_framework(fw, design, r, ds), ds)
        for k, level in enumerate(reps.levels):
            np.testing.assert_allclose(reps.scores[k][r], res.scores[level - 1], rtol=1e-12, atol=1e-12,
                                       err_msg=f"replication {r}, level {level}: {design.choices(r)}")
            np.testing.assert_array_equal(reps.ranks[k][r], res.ranks[level - 1])
        changed += not np.allclose(res.scores[-1], nominal.scores[-1])
    assert changed >= len(rs) // 2  # the factors do change the index
    return design


def alternatives_seen(design, rs) -> dict[str, set]:
    return {f.name: {int(v[r]) for r in rs} for f, v in zip(design.factors, design.values, strict=True)
            if f.discrete or f.kind == "exclude"}


@pytest.mark.parametrize("factors, target, build_spec", [(SPEC_A, False, {}), (SPEC_B, True, {}),
                                                         (SPEC_PCA, False, {"weight": {"method": "pca"}})],
                         ids=["noise-dirichlet-steps-exclude-goalposts", "sets-levels-target", "pca-weights"])
def test_replication_equals_plain_build(data, factors, target, build_spec):
    fw = golden_fw(target, **build_spec)
    rs = list(range(0, 200, 5))
    design = check_replications(fw, data, spec_of(factors), rs)
    seen = alternatives_seen(design, rs)
    for f in design.factors:  # every alternative of every discrete factor was checked
        if f.discrete:
            assert seen[f.name] == set(range(len(f.probs))), f.name
        if f.kind == "exclude":
            assert len(seen[f.name]) == len(f.codes) + (f.spec.body.p_none > 0), f.name


def test_replication_equals_plain_build_on_the_demo_network():
    from openindex import read_dataset, read_framework

    fw = read_framework(ROOT / "indicators" / "opencities.yaml")
    ds = read_dataset(str(ROOT / "datasets" / "demo_network.csv"), fw)
    spec = spec_of([
        {"weights": {"level": 1, "noise": 0.25}},
        {"weights": {"level": 3, "sets": [{"internationalisation": 2}, {}]}},
        {"normalise": [{"method": "minmax", "params": {"low": 1, "high": 100}}, {"method": "percentile"}]},
        {"aggregate": [{"method": "arithmetic"}, {"method": "power_mean", "params": {"p": 2}}]},
        {"aggregate": {"level": "Index", "alternatives": [{"method": "arithmetic"}, {"method": "median"}]}},
        {"treat": [{"method": "winsorise"}, {"method": "none"}]},
        {"impute": [{"method": "none"}, {"method": "mean"}]},
        {"exclude": {"level": 2, "p_none": 0.2}},
        {"goalposts": {"press_freedom": {"lo": [0, 10], "hi": [90, 100]}}},
        {"target": {"broadband_coverage": [90, 100]}},
    ], runs=60, seed=5)
    check_replications(fw, ds, spec, range(0, 60, 4))


def test_no_uncertain_factor_collapses_every_interval(data):
    fw = golden_fw()
    nominal = build(fw, data)
    reps = evaluate(fw, data, sample_design(spec_of([], runs=50), fw))
    assert np.array_equal(reps.index_scores, np.broadcast_to(nominal.scores[-1][:, 0], (50, 8)))
    table = rank_intervals(reps, nominal)
    assert list(table.columns) == ["unit", "nominal_rank", "median_rank", "mean_rank", "p05", "p95"]
    for col in ("median_rank", "mean_rank", "p05", "p95"):
        assert (table[col] == table["nominal_rank"].astype(float)).all()
    assert table["nominal_rank"].tolist() == sorted(table["nominal_rank"].tolist())
    assert (mean_abs_rank_shift(reps.index_ranks, nominal.ranks[-1][:, 0]) == 0).all()


def test_replication_table_records_what_each_run_did(data):
    fw = golden_fw()
    design = sample_design(spec_of(SPEC_A, runs=40), fw)
    reps = evaluate(fw, data, design, keep="all")
    table = replication_table(reps, fw)
    assert len(table) == 40 * 8 and list(table.columns[:4]) == ["replication", "unit", "score", "rank"]
    assert list(table.columns[-4:]) == ["score:a1", "rank:a1", "score:a2", "rank:a2"]
    assert factor_frame(design, fw).shape[0] == 40
    for r in (0, 7, 19, 33):
        row = table[table["replication"] == r].set_index("unit")
        choices = design.choices(r)
        res = build(replication_framework(fw, design, r, data), data)
        np.testing.assert_allclose(row["score"].to_numpy(), res.scores[-1][:, 0], rtol=1e-12)
        np.testing.assert_allclose(row["score:a2"].to_numpy(), res.scores[1][:, 1], rtol=1e-12)
        first = row.iloc[0]
        for name in ("normalise", "aggregate", "impute", "treat"):
            assert first[name] == choices[name]["method"]
        assert first["exclude:1"] == choices["exclude:1"] or (choices["exclude:1"] is None and
                                                               pd.isna(first["exclude:1"]))
        assert [first["goalposts:x1:low"], first["goalposts:x1:high"]] == choices["goalposts"]["x1"]
        # the weights a replication used: those of the plain build of its framework, within each parent
        for level, codes in ((1, ["x1", "x2", "x3", "x4", "x5", "x6"]), (2, ["a1", "a2"])):
            used = res.weights[level - 1].sum(axis=0)
            np.testing.assert_allclose([first[f"weights:{level}:{c}"] for c in codes], used, rtol=1e-12)
    assert set(table["treat:params"].dropna()) == {"{}", '{"kurtosis": -9, "max_points": 1, "skew": 0.1}'}
    # data-dependent weights are not known before the build: the draws are recorded instead
    pca = golden_fw(weight={"method": "pca"})
    frame = factor_frame(sample_design(spec_of(SPEC_PCA, runs=10), pca), pca)
    assert "weights:1:x1:multiplier" in frame.columns and "weights:1:x1" not in frame.columns


def test_replication_table_keeps_factor_columns_apart(data):
    fw = golden_fw()
    spec = spec_of([{"name": "rank", "normalise": [{"method": "minmax"}, {"method": "rank"}]}], runs=5)
    table = replication_table(evaluate(fw, data, sample_design(spec, fw)), fw)
    assert list(table.columns) == ["replication", "unit", "score", "rank", "factor:rank"]


def test_same_seed_same_numbers_whatever_chunks_or_workers(data):
    fw = golden_fw()
    spec = spec_of(SPEC_A, runs=150)
    design = sample_design(spec, fw)
    again = sample_design(spec, fw)
    assert np.array_equal(design.u, again.u)
    assert np.array_equal(sample_design(spec, fw, runs=300).u[:150], design.u)  # draws are row by row
    base = evaluate(fw, data, design, keep="all")
    for kw in ({"chunk_size": 1}, {"chunk_size": 13}, {"chunk_size": 40, "workers": 2}):
        other = evaluate(fw, data, design, keep="all", **kw)
        for a, b in zip(base.scores + base.ranks, other.scores + other.ranks, strict=True):
            assert np.array_equal(a, b, equal_nan=True), kw


def test_design_mapping():
    fw = golden_fw()
    spec = spec_of([{"normalise": {"alternatives": [{"method": "minmax"}, {"method": "rank"}],
                                   "probabilities": [0.8, 0.2]}},
                    {"exclude": {"level": 1, "p_none": 0.5}},
                    {"weights": {"level": 2, "noise": 0.1}},
                    {"goalposts": {"x1": {"lo": 1, "hi": [12, 20]}}}], runs=4000)
    d = sample_design(spec, fw)
    assert abs((d.values[0] == 1).mean() - 0.2) < 0.03
    assert abs((d.values[1] == -1).mean() - 0.5) < 0.03 and set(d.values[1]) == {-1, 0, 1, 2, 3, 4, 5}
    assert d.values[2].min() >= 0.9 and d.values[2].max() <= 1.1 and d.values[2].shape == (4000, 2)
    assert (d.values[3][:, 0, 0] == 1).all() and d.values[3][:, 0, 1].min() >= 12
    assert d.problem()["groups"] == ["normalise", "exclude:1", "weights:2", "weights:2", "goalposts", "goalposts"]
    # the mapping of explicit hypercube points (as the Sobol' design uses it)
    u = np.array([[0.79, 0.49, 0.0, 1.0, 0.5, 0.5], [0.81, 0.5, 0.5, 0.5, 0.0, 1.0]])
    m = map_design(spec, fw, u)
    assert m.values[0].tolist() == [0, 1] and m.values[1].tolist() == [-1, 0]
    assert np.allclose(m.values[2], [[0.9, 1.1], [1.0, 1.0]]) and np.allclose(m.values[3][1, 0], [1, 20])
    with pytest.raises(MethodError, match=r"shape \(runs, 6\)"):
        map_design(spec, fw, np.zeros((2, 5)))


@pytest.mark.filterwarnings("ignore:All-NaN slice")
def test_quantiles_follow_numpys_linear_rule():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 30, size=(101, 7)).astype(float)
    assert np.allclose(quantiles(x, (0.05, 0.5, 0.95)), np.percentile(x, [5, 50, 95], axis=0))
    x[rng.random(x.shape) < 0.3] = np.nan
    x[:, 0] = np.nan
    assert np.allclose(quantiles(x, (0.05, 0.95)), np.nanpercentile(x, [5, 95], axis=0), equal_nan=True)


def test_rank_summary_top_k_and_overlaps(data):
    fw = golden_fw()
    nominal = build(fw, data)
    reps = evaluate(fw, data, sample_design(spec_of(SPEC_A, runs=300), fw))
    s = rank_summary(reps, nominal, top=(1, 3))
    r = reps.index_ranks
    first = s.iloc[0]
    j = reps.units.index(first["unit"])
    assert first["p_top_1"] == (r[:, j] <= 1).mean() and first["p_top_3"] == (r[:, j] <= 3).mean()
    assert first["p05"] <= first["median_rank"] <= first["p95"]
    for row in s.itertuples():
        for other in row.not_distinguishable_from.split(";") if row.not_distinguishable_from else []:
            o = s[s.unit == other].iloc[0]
            assert row.p05 <= o.p95 and o.p05 <= row.p95


def test_remove_one_by_hand():
    # goalposts [0, 10] turn the raw values into scores x * 10; equal weights; index = mean of three
    fw = parse_framework({
        "name": "Hand", "levels": ["Indicator", "Index"], "aggregates": [{"code": "I", "name": "Index"}],
        "indicators": [{"code": c, "name": c, "parent": "I", "goalposts": [0, 10]} for c in "xyz"],
        "build": {"normalise": {"method": "goalposts"}},
    })
    units = pd.DataFrame({"unit": list("ABC"), "name": list("ABC"), "edition": 2025})
    ds = Dataset(units=units, values=np.array([[10, 0, 5], [6, 6, 0], [0, 4, 10]], dtype=float),
                 indicators=("x", "y", "z"))
    # nominal: A 50, B 40, C 46.7 -> ranks A 1, C 2, B 3
    # without x: A 25, B 30, C 70 -> C 1, B 2, A 3; without y: A 75, B 30, C 50 -> unchanged;
    # without z: A 50, B 60, C 20 -> B 1, A 2, C 3
    table = remove_one(fw, ds)
    assert list(table.columns) == ["removed", "level", "unit", "nominal_rank", "rank", "shift", "nominal_score",
                                   "score"]
    scores = table.pivot(index="removed", columns="unit", values="score")
    assert scores.loc["x"].tolist() == pytest.approx([25, 30, 70])
    assert scores.loc["z"].tolist() == pytest.approx([50, 60, 20])
    assert table["nominal_score"].tolist()[:3] == pytest.approx([50, 40, 140 / 3])
    shift = table.pivot(index="removed", columns="unit", values="shift")
    assert shift.loc["x"].tolist() == [2, -1, -1]
    assert shift.loc["y"].tolist() == [0, 0, 0]
    assert shift.loc["z"].tolist() == [1, -2, 1]
    summary = remove_one_summary(table).set_index("removed")
    assert summary.loc["x", "mean_abs_shift"] == pytest.approx(4 / 3) and summary.loc["z", "max_abs_shift"] == 2


def test_remove_one_every_level(data):
    fw = golden_fw()
    table = remove_one(fw, data, None)
    assert table.groupby("level")["removed"].nunique().to_dict() == {1: 6, 2: 2}
    nominal = build(fw, data)
    # leaving out area a1 ranks the units by area a2 alone
    a2 = table[table.removed == "a1"].set_index("unit")["rank"]
    expect = pd.Series(nominal.ranks[1][:, 1], index=list(nominal.units))
    assert (a2.astype(float) == expect[a2.index]).all()


def test_sobol_index_table_and_an_inert_factor(data):
    fw = golden_fw()
    spec = spec_of([{"weights": {"level": 2, "noise": 0.5}},
                    {"treat": [{"method": "none"}, {"method": "none"}]},
                    {"aggregate": [{"method": "arithmetic"}, {"method": "geometric"}]}])
    table = sobol_index(fw, data, spec, 64, seed=3, num_resamples=50)
    assert list(table.columns) == ["factor", "target", "S1", "S1_conf", "ST", "ST_conf"]
    assert table["target"].unique().tolist() == ["mean_abs_rank_shift", *UNITS]
    assert len(table) == 3 * 9
    inert = table[table.factor == "treat"]
    assert (inert["ST"] == 0).all() and (inert["S1"].abs() < 1e-12).all()
    live = table[(table.factor == "weights:2") & (table.target != "mean_abs_rank_shift")]
    assert (live["ST"] > 0).all()


# ---- factor validation -------------------------------------------------------------------

BAD_FACTORS = [
    ({"weights": {"level": 7, "noise": 0.1}}, "unknown level 7; weights vary at levels 1 (Indicator), 2 (Area)"),
    ({"weights": {"level": 1, "sets": [{"nope": 1}]}}, "'nope' is not a node of level 1"),
    ({"weights": {"level": 2, "sets": [{"a1": 0, "a2": 0}]}}, "gives every child of 'T' weight 0"),
    ({"normalise": [{"method": "minmaxx"}]}, "Did you mean 'minmax'?"),
    ({"normalise": [{"method": "minmax", "params": {"lo": 1}}]}, "has no parameter 'lo'"),
    ({"aggregate": {"level": 1, "alternatives": [{"method": "arithmetic"}]}},
     "unknown level 1; aggregation levels are 2 (Area), 3 (Theme)"),
    ({"exclude": {"level": 1, "codes": ["x9"]}}, "'x9' is not a node of level 1"),
    ({"goalposts": {"x2": {"lo": 0, "hi": 100}}}, "no normalisation of 'x2' uses its goalposts"),
    ({"target": {"zz": [1, 2]}}, "unknown indicator 'zz'"),
]


@pytest.mark.parametrize("factor, message", BAD_FACTORS, ids=[m[:30] for _, m in BAD_FACTORS])
def test_bad_factor_references_are_named(factor, message):
    with pytest.raises(FrameworkError) as exc:
        resolve_factors(spec_of([factor]), golden_fw())
    assert message in str(exc.value)


def test_every_problem_is_reported_at_once():
    spec = spec_of([{"normalise": [{"method": "minmax"}]}, {"normalise": [{"method": "rank"}]},
                    {"target": {"zz": [1, 2]}}, {"weights": {"level": 9, "noise": 0.1}}])
    with pytest.raises(FrameworkError) as exc:
        resolve_factors(spec, golden_fw())
    assert len(exc.value.problems) == 3
    assert "the normalise method already varies in factor 1" in str(exc.value)


@pytest.mark.parametrize("factor, message", [
    ({"weights": {"level": 1, "noise": 0.1, "dirichlet": 2}}, "exactly one of `noise`, `dirichlet` or `sets`"),
    ({"weights": {"level": 1, "noise": 1.5}}, "less than 1"),
    ({"normalise": {"alternatives": [{"method": "minmax"}], "probabilities": [0.5]}}, "sum to 1"),
    ({"normalise": [{"method": "minmax", "p": 0.7}, {"method": "rank", "p": 0.7}]}, "sum to 1"),
    ({"goalposts": {"x1": {"lo": [0, 5], "hi": [4, 9]}}}, "every lo must stay below every hi"),
    ({"normalise": [{"method": "minmax"}], "weights": {"level": 1, "noise": 0.1}}, "exactly one of"),
    ({"normalise": {"level": 2, "alternatives": [{"method": "minmax"}]}}, "`level` is only for aggregate"),
    ({"exclude": {"level": 1, "oops": 1}}, "Extra inputs are not permitted"),
])
def test_bad_factor_fields(factor, message):
    with pytest.raises(pydantic.ValidationError, match=message):
        spec_of([factor])


def test_factors_file_errors_name_the_line(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("runs: 10\nfactors:\n  - weights: {level: 2, noise: 1.5}\n  - normalise: [{method: minmax}]\n")
    with pytest.raises(FrameworkError) as exc:
        read_factors(path)
    assert "factors[0].weights.noise (line 3)" in str(exc.value)
    path.write_text("uncertainty:\n  runs: 10\n  factors:\n    - normalise: [{method: zscore}]\n")
    spec, lines, prefix = read_factors(path)
    assert spec.runs == 10 and prefix == ("uncertainty",)


# ---- the CLI -----------------------------------------------------------------------------

TINY_FACTORS = """\
runs: 300
seed: 4
factors:
  - weights: {level: 1, noise: 0.25}
  - weights: {level: 2, noise: 0.25}
  - normalise: [{method: minmax, params: {low: 1, high: 100}}, {method: rank}]
  - exclude: {level: 1, p_none: 0.5}
"""


def test_cli_writes_every_output_byte_identical_with_workers_and_chunks(tiny_paths, tmp_path, capsys):
    fw, csv = tiny_paths
    factors = tmp_path / "factors.yaml"
    factors.write_text(TINY_FACTORS)
    outs = []
    for k, extra in enumerate((["--workers", "1"], ["--workers", "2", "--chunk-size", "7"],
                               ["--chunk-size", "1"])):
        out = tmp_path / f"out{k}"
        assert main(["uncertainty", str(fw), str(csv), "--out", str(out), "--factors", str(factors), "--sobol", "16",
                     "--keep-replications", *extra]) == 0
        outs.append(out)
    text = capsys.readouterr().out
    assert "300 replications over 4 factors" in text and "Sobol' indices of the mean absolute rank shift" in text
    names = ["rank_intervals.csv", "sensitivity.csv", "remove_one.csv", "replications.parquet", "manifest.json"]
    for name in names:
        for other in outs[1:]:
            assert (other / name).read_bytes() == (outs[0] / name).read_bytes(), name
    intervals = pd.read_csv(outs[0] / "rank_intervals.csv")
    assert list(intervals.columns) == ["unit", "nominal_rank", "median_rank", "mean_rank", "p05", "p95"]
    assert len(intervals) == 5
    sens = pd.read_csv(outs[0] / "sensitivity.csv")
    assert list(sens.columns) == ["factor", "target", "S1", "S1_conf", "ST", "ST_conf"]
    assert set(sens.factor) == {"weights:1", "weights:2", "normalise", "exclude:1"}
    reps = pd.read_parquet(outs[0] / "replications.parquet")
    indicators = ["gdp", "jobs", "firms", "crime", "trust", "strategy"]
    assert list(reps.columns) == [
        "replication", "unit", "score", "rank", *[f"weights:1:{c}" for c in indicators], "weights:2:econ",
        "weights:2:social", "normalise", "normalise:params", "exclude:1", "score:econ", "rank:econ", "score:social",
        "rank:social"]
    assert len(reps) == 300 * 5 and reps["replication"].tolist()[:6] == [0, 0, 0, 0, 0, 1]
    assert set(reps["normalise"]) == {"minmax", "rank"}
    assert set(reps.loc[reps["normalise"] == "minmax", "normalise:params"]) == {'{"high": 100, "low": 1}'}
    assert set(reps["exclude:1"].dropna()) <= set(indicators) and reps["exclude:1"].isna().any()
    within = reps[[f"weights:1:{c}" for c in indicators]].to_numpy()
    assert np.allclose(within[:, :3].sum(axis=1), 1) and np.allclose(within[:, 3:].sum(axis=1), 1)
    q = reps.groupby("unit", sort=True)["rank"].quantile([0.5, 0.05, 0.95]).unstack()  # the intervals again
    assert np.allclose(q.to_numpy(), intervals.set_index("unit").sort_index()[["median_rank", "p05", "p95"]])
    manifest = json.loads((outs[0] / "manifest.json").read_text())
    assert manifest["command"] == "uncertainty" and manifest["uncertainty"]["runs"] == 300
    assert manifest["uncertainty"]["sobol"]["runs"] == 16 * 6 and len(manifest["uncertainty"]["factors_sha256"]) == 64


def test_cli_reads_the_framework_section_and_set_overrides(tiny_paths, tmp_path, capsys):
    fw, csv = tiny_paths
    doc = yaml.safe_load(TINY_YAML)
    doc["uncertainty"] = {"runs": 50, "factors": [{"aggregate": [{"method": "arithmetic"}, {"method": "median"}]}]}
    path = tmp_path / "with_section.yaml"
    path.write_text(yaml.safe_dump(doc))
    out = tmp_path / "out"
    assert main(["uncertainty", str(path), str(csv), "--out", str(out), "--runs", "40", "--seed", "9",
                 "--set", "build.normalise.method=rank"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["uncertainty"]["runs"] == 40 and manifest["uncertainty"]["seed"] == 9
    assert manifest["build"]["normalise"]["method"] == "rank"
    assert not (out / "sensitivity.csv").exists()
    assert {"rank_intervals.csv", "remove_one.csv", "manifest.json"} <= {p.name for p in out.iterdir()}


@pytest.mark.parametrize("extra, factors, message", [
    ([], None, "has no `uncertainty:` section"),
    (["--runs", "0"], TINY_FACTORS, "--runs must be at least 1"),
    ([], "factors:\n  - normalise: [{method: minmaxx}]\n", "Did you mean 'minmax'?"),
    ([], "factors:\n  - weights: {level: 5, noise: 0.1}\n", "factors[0].weights.level (line 2)"),
    ([], "- just a list\n", "not an uncertainty factors file"),
])
def test_cli_bad_input_exits_2(tiny_paths, tmp_path, capsys, extra, factors, message):
    fw, csv = tiny_paths
    args = ["uncertainty", str(fw), str(csv), "--out", str(tmp_path / "o"), *extra]
    if factors is not None:
        (tmp_path / "f.yaml").write_text(factors)
        args += ["--factors", str(tmp_path / "f.yaml")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_run_uncertainty_api(data):
    fw = parse_framework({**golden_dict(), "uncertainty": {"runs": 100, "factors": copy.deepcopy(SPEC_A[:3])}})
    res = run_uncertainty(fw, data, remove_level=1)
    assert res.replications.runs == 100 and len(res.intervals) == 8 and res.sensitivity is None
    assert set(res.remove_one["level"]) == {1} and {"p_top_1", "width"} <= set(res.summary.columns)
    assert TINY_CSV  # the shared fixtures stay importable
