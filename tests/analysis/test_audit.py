"""The statistical audit: every statistic by hand (with missing values) and against scipy/numpy,
the tables over a built index, the flags' order, the figures, and the CLI end to end."""

from __future__ import annotations

import html as html_lib
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
import scipy.stats
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import openindex as oi
from openindex.analysis.audit import (
    FINDINGS,
    AuditRules,
    audit_flags,
    corr_test,
    correlation_ratio,
    correlations,
    coverage,
    cronbach,
    cronbach_alpha,
    external_correlations,
    fisher_ci,
    importance,
    item_rest,
    item_rest_corr,
    outliers,
    pairwise_cov,
    partial_corr,
    pca,
    pca_eigen,
    pca_summary,
    run_audit,
)
from openindex.cli import main
from openindex.engine import build
from openindex.errors import MethodError
from openindex.report import audit_page, correlation_heatmap, finding_messages, flags_frame, importance_chart
from openindex.report.render import CSP, esc
from tests.conftest import ROOT, TINY_YAML

DEMO_FW = ROOT / "indicators" / "opencities.yaml"
DEMO_DATA = ROOT / "datasets" / "demo_network.csv"
NAN = np.nan

# 4 units x 3 columns with two missing cells, used by several hand computations below.
#   a = [1, 2, 3, -]   b = [2, -, 4, 6]   c = [0, 1, 1, 4]
X4 = np.array([[1.0, 2.0, 0.0],
               [2.0, NAN, 1.0],
               [3.0, 4.0, 1.0],
               [NAN, 6.0, 4.0]])


# --------------------------------------------------------------------------------------
# Statistics over arrays
# --------------------------------------------------------------------------------------


def test_pairwise_cov_by_hand():
    # var(a) on rows 1-3: mean 2, SS 1 + 0 + 1 = 2, / (3 - 1) = 1
    # var(b) on rows 1,3,4: mean 4, SS 4 + 0 + 4 = 8, / 2 = 4
    # var(c) on rows 1-4: mean 1.5, SS 2.25 + .25 + .25 + 6.25 = 9, / 3 = 3
    # cov(a, b) on rows 1,3: a = [1, 3], b = [2, 4]: (-1)(-1) + (1)(1) = 2, / (2 - 1) = 2
    # cov(a, c) on rows 1-3: a dev [-1, 0, 1], c = [0, 1, 1] dev [-2/3, 1/3, 1/3]: 2/3 + 1/3 = 1, / 2 = 0.5
    # cov(b, c) on rows 1,3,4: b dev [-2, 0, 2], c = [0, 1, 4] dev [-5/3, -2/3, 7/3]: 10/3 + 14/3 = 8, / 2 = 4
    expected = np.array([[1.0, 2.0, 0.5], [2.0, 4.0, 4.0], [0.5, 4.0, 3.0]])
    cov, n = pairwise_cov(X4)
    np.testing.assert_allclose(cov, expected, atol=1e-12)
    np.testing.assert_array_equal(n, [[3, 2, 3], [2, 3, 3], [3, 3, 4]])
    np.testing.assert_allclose(cov, pd.DataFrame(X4).cov().to_numpy(), atol=1e-12)  # pandas: pairwise too


def test_pairwise_cov_is_shift_invariant_for_large_values():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 3))
    x[rng.random(x.shape) < 0.1] = NAN
    np.testing.assert_allclose(pairwise_cov(x + 1e7)[0], pairwise_cov(x)[0], rtol=1e-6)


def test_cronbach_alpha_by_hand_pairwise_and_complete():
    # pairwise: trace(C) = 1 + 4 + 3 = 8; sum(C) = 8 + 2 (2 + 0.5 + 4) = 21
    # alpha = 3/2 (1 - 8/21) = 13/14; n = smallest pair count = 2
    alpha, k, n = cronbach_alpha(X4)
    assert (k, n) == (3, 2) and alpha == pytest.approx(13 / 14, abs=1e-12)
    # complete cases: rows 1 and 3 only, a = [1, 3], b = [2, 4], c = [0, 1]
    # C = [[2, 2, 1], [2, 2, 1], [1, 1, .5]]: trace 4.5, sum 12.5; alpha = 3/2 (1 - 4.5/12.5) = 0.96
    alpha, k, n = cronbach_alpha(X4, use="complete")
    assert (k, n) == (3, 2) and alpha == pytest.approx(0.96, abs=1e-12)


def test_cronbach_alpha_negative_and_degenerate():
    # a = [1, 2, 3], b = [3, 1, 2]: var 1 and 1, cov ((-1)(1) + 0 + 0) / 2 = -0.5
    # sum(C) = 1 + 1 - 1 = 1, trace 2: alpha = 2 (1 - 2/1) = -2
    assert cronbach_alpha([[1, 3], [2, 1], [3, 2]])[0] == pytest.approx(-2.0)
    assert math.isnan(cronbach_alpha([[1, 3], [2, 2], [3, 1]])[0])      # sum(C) = 0
    assert math.isnan(cronbach_alpha([[1.0], [2.0], [3.0]])[0])          # k = 1
    with pytest.raises(MethodError, match="'use' parameter of cronbach_alpha must be one of"):
        cronbach_alpha(X4, use="listwise")


def test_cronbach_alpha_equals_the_variance_of_the_sum_form():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(25, 4)) + rng.normal(size=(25, 1))
    k = 4
    expected = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
    assert cronbach_alpha(x)[0] == pytest.approx(expected, rel=1e-12)


def test_corr_test_by_hand_with_missing_values():
    x = [1, 2, 3, NAN, 5]
    y = [2, 4, 5, 1, NAN]
    # complete pairs (1, 2), (2, 4), (3, 5): x dev [-1, 0, 1], y dev [-5/3, 1/3, 4/3]
    # sxy = 5/3 + 4/3 = 3; sxx = 2; syy = (25 + 1 + 16) / 9 = 14/3; r = 3 / sqrt(2 * 14/3)
    r, p, n = corr_test(x, y)
    assert n == 3 and r == pytest.approx(3 / math.sqrt(28 / 3), abs=1e-12)
    assert p == pytest.approx(scipy.stats.pearsonr([1, 2, 3], [2, 4, 5]).pvalue)
    rho, _, _ = corr_test(x, y, "spearman")   # the ranks agree exactly
    assert rho == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_corr_test_matches_scipy_on_complete_pairs(method):
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=40), rng.normal(size=40)
    y = 0.4 * x + y
    x[[3, 7]] = NAN
    y[[7, 11, 20]] = NAN
    ok = ~np.isnan(x) & ~np.isnan(y)
    ref = (scipy.stats.pearsonr if method == "pearson" else scipy.stats.spearmanr)(x[ok], y[ok])
    r, p, n = corr_test(x, y, method)
    assert n == 36 and r == pytest.approx(ref.statistic, abs=1e-12) and p == pytest.approx(ref.pvalue, rel=1e-9)


def test_corr_test_degenerate_cases_are_nan():
    assert corr_test([1, 2, NAN], [1, NAN, 3])[2] == 1
    r, p, n = corr_test([1, 2], [2, 1])
    assert math.isnan(r) and math.isnan(p) and n == 2         # n < 3
    r, p, n = corr_test([1, 1, 1, 1], [1, 2, 3, 4])
    assert math.isnan(r) and math.isnan(p) and n == 4         # constant


def test_pca_eigen_by_hand():
    # x = [1, 2, 3, 4], y = [1, 3, 2, 4]: dev x [-1.5, -.5, .5, 1.5], y [-1.5, .5, -.5, 1.5]
    # sxy = 2.25 - .25 - .25 + 2.25 = 4, sxx = syy = 5: r = 0.8; eigenvalues 1 + r, 1 - r
    # first loadings: eigenvector (1, 1)/sqrt 2 times sqrt(1.8) = sqrt(0.9) each
    lam, load, n = pca_eigen([[1, 1], [2, 3], [3, 2], [4, 4], [5, NAN]])   # last row incomplete
    assert n == 4
    np.testing.assert_allclose(lam, [1.8, 0.2], atol=1e-12)
    np.testing.assert_allclose(load[:, 0], [math.sqrt(0.9)] * 2, atol=1e-12)


def test_pca_eigen_matches_numpy_complete_and_pairwise():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(30, 4)) @ rng.normal(size=(4, 4))
    x[rng.random(x.shape) < 0.1] = NAN
    complete = x[~np.isnan(x).any(axis=1)]
    lam, load, n = pca_eigen(x)
    assert n == len(complete)
    np.testing.assert_allclose(lam, np.sort(np.linalg.eigvalsh(np.corrcoef(complete.T)))[::-1], atol=1e-10)
    r = np.corrcoef(complete.T)
    np.testing.assert_allclose(load @ load.T, r, atol=1e-10)     # loadings reproduce R
    assert np.all(load.sum(axis=0) >= 0)                         # sign convention
    lam_p, _, n_p = pca_eigen(x, use="pairwise")
    pairwise_r = pd.DataFrame(x).corr().to_numpy()               # pandas: pairwise-complete Pearson
    np.testing.assert_allclose(lam_p, np.sort(np.linalg.eigvalsh(pairwise_r))[::-1], atol=1e-10)
    assert n_p == int(((~np.isnan(x)).astype(int).T @ (~np.isnan(x)).astype(int)).min())


def test_correlation_ratio_known_answers():
    x = np.linspace(-1, 1, 101)
    assert correlation_ratio(x, 3 * x + 1) == pytest.approx(1.0, abs=1e-9)      # y = f(x) linear: 1
    s2 = correlation_ratio(x, x**2)
    assert s2 > 0.95 and abs(corr_test(x, x**2)[0]) < 1e-9                     # nonlinear: high S, r = 0
    rng = np.random.default_rng(4)
    noise = [correlation_ratio(rng.normal(size=200), rng.normal(size=200)) for _ in range(10)]
    assert np.mean(noise) < 0.03                                                # independent: ~0
    u = rng.uniform(-1, 1, 200)
    v = u + rng.normal(0, 0.5, 200)                                             # linear: S ~ r^2
    assert correlation_ratio(u, v) == pytest.approx(corr_test(u, v)[0] ** 2, abs=0.03)


def test_correlation_ratio_groups_by_hand_with_missing_values():
    x = [0, 0, 1, 1, NAN, 2]
    y = [1, 3, 5, 7, 4, NAN]
    # pairs x = [0, 0, 1, 1], y = [1, 3, 5, 7]: group means 2 and 6 around 4
    # plug-in: between SS 2*4 + 2*4 = 16 over total SS 9 + 1 + 1 + 9 = 20 -> 0.8
    assert correlation_ratio(x, y, adjust=False) == pytest.approx(0.8)
    # adjusted (epsilon squared): 1 - (within SS 4 / (4 - 2)) / (20 / 3) = 0.7
    assert correlation_ratio(x, y) == pytest.approx(0.7)
    assert correlation_ratio([1, 1, 1], [1, 2, 3]) == 0.0
    assert math.isnan(correlation_ratio([1, 2, 3], [2, 2, 2]))


# --------------------------------------------------------------------------------------
# Tables over a built index (the tiny framework of conftest)
# --------------------------------------------------------------------------------------


@pytest.fixture
def tiny_result(tiny_paths):
    fw_path, data_path = tiny_paths
    fw = oi.read_framework(fw_path)
    return build(fw, oi.read_dataset(str(data_path), fw))


def test_correlations_rows_and_values(tiny_result):
    table = correlations(tiny_result)
    assert list(table.columns) == ["stage", "level", "x", "y", "method", "r", "p", "n"]
    # 6 indicators x (parent, INDEX) + 2 areas x INDEX + pairs: 1 in INDEX, 3 in econ, 3 in social
    assert len(table) == 2 * (12 + 2 + 7)
    assert set(table["method"]) == {"pearson", "spearman"}
    assert set(table.loc[table.level == 1, "stage"]) == {"normalised"}
    assert set(table.loc[table.level == 2, "stage"]) == {"aggregated"}
    row = table[(table.x == "gdp") & (table.y == "econ") & (table.method == "pearson")].iloc[0]
    gdp = tiny_result.stage_frame("normalised")["gdp"].to_numpy()
    econ = tiny_result.level_frame(2)["econ"].to_numpy()
    assert (row.r, row.p, row.n) == pytest.approx(corr_test(gdp, econ))
    jobs = table[(table.x == "gdp") & (table.y == "jobs")]
    assert set(jobs["n"]) == {4}                      # EEE has no jobs value: pairwise-complete
    agg = correlations(tiny_result, stage="aggregated")
    assert len(agg) == 2 * 3 and set(agg["level"]) == {2}


def test_correlations_at_the_treated_stage_are_oriented(tiny_result):
    table = correlations(tiny_result, stage="treated", methods=("spearman",))
    norm = correlations(tiny_result, methods=("spearman",))
    crime = (table.x == "crime") & (table.y == "social")
    # crime is lower-is-better: oriented raw values rank like the normalised ones
    assert table.loc[crime, "r"].iloc[0] == pytest.approx(norm.loc[crime, "r"].iloc[0])
    with pytest.raises(MethodError, match="'stage' parameter of audit must be one of .*Got 'scores'"):
        correlations(tiny_result, stage="scores")


def test_cronbach_pca_importance_tables(tiny_result):
    x = tiny_result.stage_frame("normalised")[["gdp", "jobs", "firms"]].to_numpy()
    alpha = cronbach(tiny_result)
    assert list(alpha.columns) == ["node", "alpha", "k", "n"]
    assert list(alpha["node"]) == ["INDEX", "econ", "social"]
    econ = alpha.set_index("node").loc["econ"]
    assert econ.alpha == pytest.approx(cronbach_alpha(x)[0]) and econ.k == 3 and econ.n == 4
    comp = pca(tiny_result)
    assert list(comp.columns) == ["node", "k", "n", "component", "eigenvalue", "share", "cumulative", "child",
                                  "loading"]
    econ_pca = comp[comp.node == "econ"].drop_duplicates("component")
    np.testing.assert_allclose(econ_pca["eigenvalue"], pca_eigen(x)[0])
    assert econ_pca["eigenvalue"].sum() == pytest.approx(3.0)
    summary = pca_summary(comp)
    assert set(summary["node"]) == {"INDEX", "econ", "social"}
    imp = importance(tiny_result)
    for _, g in imp.groupby("node"):
        assert g["weight"].sum() == pytest.approx(1.0)
        assert g["r2_share"].sum() == pytest.approx(1.0)
        assert g["S_share"].sum() == pytest.approx(1.0) or g["S"].isna().all()
    row = imp[(imp.node == "econ") & (imp.child == "gdp")].iloc[0]
    assert row.ratio_r2 == pytest.approx(row.r2_share / row.weight)


def test_coverage_and_outliers_by_hand(tiny_result):
    ind, units = coverage(tiny_result.input_dataset)
    assert ind.set_index("indicator").loc["jobs", "coverage"] == pytest.approx(4 / 5)
    assert units.set_index("unit").loc["EEE", "coverage"] == pytest.approx(5 / 6)
    table = outliers(tiny_result)
    s, k = scipy.stats.skew([30000, 25000, 40000, 20000, 35000], bias=False), \
        scipy.stats.kurtosis([30000, 25000, 40000, 20000, 35000], bias=False)
    gdp = table.set_index("indicator").loc["gdp"]
    assert gdp.skew_before == pytest.approx(s) and gdp.kurtosis_before == pytest.approx(k)
    assert not table["outlier_before"].any()


def test_outlier_rule_by_hand(tiny_dict, tmp_path):
    from tests.conftest import TINY_CSV

    # gdp = [c, c, c, c, c + d]: one value apart. With m_k the central moments (divisor n = 5),
    # g1 = m3 / m2^1.5 = (n - 2) / sqrt(n - 1) = 3/2 and g2 = m4 / m2^2 - 3 = (n^2 - 3n + 3) / (n - 1) - 3 = 1/4;
    # G1 = sqrt(n (n - 1)) / (n - 2) g1 = sqrt(20) / 2 = 2.236 > 2
    # G2 = (n - 1) / ((n - 2)(n - 3)) ((n + 1) g2 + 6) = 4/6 (1.5 + 6) = 5 > 3.5: an outlier
    lines = TINY_CSV.splitlines()
    head = lines[0].split(",")
    j = head.index("gdp")
    rows = [line.split(",") for line in lines[1:]]
    for i, row in enumerate(rows):
        row[j] = "30000" if i < 4 else "90000"
    data = tmp_path / "skewed.csv"
    data.write_text("\n".join([lines[0], *(",".join(r) for r in rows)]) + "\n", encoding="utf-8")
    fw = oi.parse_framework(tiny_dict)
    result = build(fw, oi.read_dataset(str(data), fw))
    gdp = outliers(result).set_index("indicator").loc["gdp"]
    assert gdp.skew_before == pytest.approx(math.sqrt(20) / 2) and gdp.kurtosis_before == pytest.approx(5.0)
    assert gdp.outlier_before and gdp.outlier_after                     # no treatment by default
    assert not outliers(result, kurtosis=5.5).set_index("indicator").loc["gdp", "outlier_before"]
    flags = run_audit(result).flags
    assert ("outlier_after_treatment", "gdp") in set(zip(flags["finding"], flags["code"], strict=True))


def test_coverage_per_edition_on_the_demo():
    fw = oi.read_framework(DEMO_FW)
    ind, units = coverage(oi.read_dataset(str(DEMO_DATA), fw))
    assert set(ind["edition"]) == {2024, 2025} and set(units["edition"]) == {2024, 2025}
    assert len(ind) == 2 * 53 and ind["coverage"].between(0, 1).all()


# --------------------------------------------------------------------------------------
# Flags
# --------------------------------------------------------------------------------------


def _flag_inputs(tiny_dict):
    fw = oi.parse_framework(tiny_dict)
    corr = pd.DataFrame([
        ("normalised", 1, "gdp", "econ", "pearson", 0.50, 0.20, 5),        # insignificant
        ("normalised", 1, "jobs", "econ", "pearson", -0.95, 0.01, 5),      # negative, significant
        ("normalised", 1, "crime", "social", "pearson", -0.10, 0.80, 5),   # negative, not significant
        ("normalised", 1, "trust", "social", "pearson", 0.99, 0.001, 5),
        ("normalised", 1, "gdp", "jobs", "pearson", 0.93, 0.02, 5),        # redundant
        ("normalised", 1, "gdp", "firms", "pearson", -0.97, 0.01, 5),      # redundant (|r|), more extreme
        ("normalised", 1, "gdp", "firms", "spearman", 0.10, 0.80, 5),      # other method: ignored
    ], columns=["stage", "level", "x", "y", "method", "r", "p", "n"])
    alpha = pd.DataFrame([("INDEX", 0.8, 2, 5), ("econ", -0.5, 3, 5), ("social", 0.6, 3, 5)],
                         columns=["node", "alpha", "k", "n"])
    summ = pd.DataFrame([("social", 3, 5, 1.6, 1.2, 0.53, 2, True, False)],
                        columns=["node", "k", "n", "eigenvalue_1", "eigenvalue_2", "share_1", "n_above_1",
                                 "multidimensional", "weak_first"])
    imp = pd.DataFrame([("econ", "gdp", 1, 5, 1 / 3, 0.5, 0.1, 0.05, 0.1, 0.3, 0.3),
                        ("econ", "jobs", 1, 5, 1 / 3, 0.9, 0.8, 0.9, 0.8, 2.4, 2.4)],
                       columns=["node", "child", "level", "n", "weight", "r", "r2_share", "S", "S_share",
                                "ratio_r2", "ratio_S"])
    out = pd.DataFrame([("gdp", 3.0, 9.0, True, 2.5, 5.0, True), ("jobs", 3.0, 9.0, True, 0.1, 0.0, False)],
                       columns=["indicator", "skew_before", "kurtosis_before", "outlier_before", "skew_after",
                                "kurtosis_after", "outlier_after"])
    return fw, corr, alpha, summ, imp, out


def test_flags_most_serious_first(tiny_dict):
    fw, corr, alpha, summ, imp, out = _flag_inputs(tiny_dict)
    flags = audit_flags(fw, correlations=corr, cronbach=alpha, pca_summary=summ, importance=imp, outliers=out)
    assert list(flags.columns) == ["severity", "finding", "node", "code", "value", "threshold", "params"]
    assert list(zip(flags["severity"], flags["finding"], flags["code"], strict=True)) == [
        ("high", "negative_alpha", "econ"),
        ("high", "negative_correlation", "jobs"),
        ("medium", "redundancy", "gdp & firms"),                     # |r| = 0.97 before 0.93
        ("medium", "redundancy", "gdp & jobs"),
        ("medium", "multidimensional", "social"),
        ("medium", "importance_weight", "gdp"),                      # |log 0.3| > |log 2.4|
        ("medium", "importance_weight", "jobs"),
        ("low", "low_alpha", "social"),
        ("low", "insignificant_correlation", "crime"),               # negative but not significant: p = 0.80
        ("low", "insignificant_correlation", "gdp"),                 # p = 0.20
        ("low", "outlier_after_treatment", "gdp"),
    ]
    # codes and parameters, no sentences (the report layer writes them)
    assert flags.iloc[0].params == {"k": 3, "n": 5} and flags.iloc[0].value == -0.5
    assert flags.iloc[1].params == {"method": "pearson", "r": -0.95, "p": 0.01, "n": 5}
    # stricter rules move findings
    strict = audit_flags(fw, correlations=corr, cronbach=alpha, pca_summary=summ, importance=imp, outliers=out,
                         rules=AuditRules(redundancy=0.95, importance_range=(0.2, 3), min_alpha=0.5))
    assert list(strict.loc[strict.finding == "redundancy", "code"]) == ["gdp & firms"]
    assert "importance_weight" not in set(strict["finding"]) and "low_alpha" not in set(strict["finding"])


def test_audit_rules_are_validated():
    with pytest.raises(MethodError, match="'redundancy' parameter of AuditRules must be in"):
        AuditRules(redundancy=1.5)
    with pytest.raises(MethodError, match="'cov_use' parameter of AuditRules must be one of"):
        AuditRules(cov_use="listwise")  # type: ignore[arg-type]
    with pytest.raises(MethodError, match="importance_range"):
        AuditRules(importance_range=(2, 3))


# --------------------------------------------------------------------------------------
# Figures and page
# --------------------------------------------------------------------------------------


def test_figures(tiny_result):
    table = correlations(tiny_result)
    fig = correlation_heatmap(table, "econ", names={"econ": "<Economy>"})
    heat = fig.data[0]
    assert list(heat.x) == ["gdp", "jobs", "firms", "econ"] and (heat.zmin, heat.zmax) == (-1, 1)
    z = np.array(heat.z, dtype=float)
    np.testing.assert_allclose(z, z.T)
    np.testing.assert_allclose(np.diag(z), 1.0)
    assert "&lt;Economy&gt;" in fig.layout.title.text                 # data text is escaped
    index = correlation_heatmap(table, "INDEX")                         # siblings, not grandchildren
    assert list(index.data[0].x) == ["econ", "social", "INDEX"]
    with pytest.raises(MethodError, match="no pearson correlations with 'nowhere'"):
        correlation_heatmap(table, "nowhere")
    chart = importance_chart(importance(tiny_result))
    assert [t.name for t in chart.data] == ["nominal weight", "share by squared correlation",
                                            "share by correlation ratio"]
    assert chart.layout.xaxis.title.text == "share within the node"


def test_audit_page_is_self_contained_and_escaped(tiny_dict, tmp_path):
    from tests.conftest import TINY_CSV

    tiny_dict["name"] = "Tiny <script>alert(1)</script> & co"
    tiny_dict["aggregates"][1]["name"] = "Econ <b>bold</b>"
    fw = oi.parse_framework(tiny_dict)
    data = tmp_path / "tiny.csv"
    data.write_text(TINY_CSV, encoding="utf-8")
    report = run_audit(build(fw, oi.read_dataset(str(data), fw)))
    page = audit_page(report, notice="Synthetic <data>")
    assert page.count("plotly.js v") == 1 and "<script src" not in page
    assert f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">' in page   # the report's policy
    head = page.split("<style>", 1)[0]
    assert re.findall(r"<link[^>]*>", head) == ['<link rel="icon" href="data:,">']     # no request
    assert "<script>alert(1)" not in page and "Tiny &lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page
    assert "Econ <b>bold</b>" not in page and "Synthetic &lt;data&gt;" in page
    assert audit_page(report, notice="Synthetic <data>") == page      # deterministic


# --------------------------------------------------------------------------------------
# CLI end to end
# --------------------------------------------------------------------------------------

FILES = {
    "correlations.csv": ["stage", "level", "x", "y", "method", "r", "p", "n"],
    "cronbach.csv": ["node", "alpha", "k", "n"],
    "pca.csv": ["node", "k", "n", "component", "eigenvalue", "share", "cumulative", "child", "loading"],
    "importance.csv": ["node", "child", "level", "n", "weight", "r", "r2_share", "S", "S_share", "ratio_r2",
                       "ratio_S"],
    "flags.csv": ["severity", "finding", "node", "code", "value", "threshold", "params", "message"],
    "item_rest.csv": ["stage", "level", "node", "child", "method", "r", "p", "n"],
}


def _check_outputs(out):
    tables = {}
    for name, columns in FILES.items():
        tables[name] = pd.read_csv(out / name)
        assert list(tables[name].columns) == columns, name
    page = (out / "audit.html").read_text(encoding="utf-8")
    assert page.count("plotly.js v") == 1 and "audit-importance" in page and "audit-corr-0" in page
    flags = tables["flags.csv"]
    order = {"high": 0, "medium": 1, "low": 2}
    assert flags["severity"].map(order).is_monotonic_increasing
    return tables


def test_cli_audit_demo(tmp_path, capsys):
    out = tmp_path / "audit"
    assert main(["audit", str(DEMO_FW), str(DEMO_DATA), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Synthetic demonstration data" in text and "findings:" in text and "audit.html" in text
    tables = _check_outputs(out)
    corr = tables["correlations.csv"]
    assert set(corr["stage"]) == {"normalised", "aggregated"} and set(corr["method"]) == {"pearson", "spearman"}
    assert len(tables["cronbach.csv"]) == 1 + 3 + 11
    assert main(["audit", str(DEMO_FW), str(DEMO_DATA), "--out", str(tmp_path / "agg"), "--stage", "aggregated",
                 "--edition", "2024", "--set", "build.normalise.method=rank"]) == 0
    agg = pd.read_csv(tmp_path / "agg" / "correlations.csv")
    assert set(agg["stage"]) == {"aggregated"} and set(agg["level"]) == {2, 3}
    assert len(pd.read_csv(tmp_path / "agg" / "cronbach.csv")) == 1 + 3      # nodes over aggregates only


@pytest.mark.parametrize("argv, text", [
    (["audit", "missing.yaml", str(DEMO_DATA), "--out", "x"], "not found"),
    (["audit", str(DEMO_FW), str(DEMO_DATA), "--out", "x", "--edition", "1999"], "edition 1999 is not in the data"),
    (["audit", str(DEMO_FW), str(DEMO_DATA), "--out", "x", "--set", "build.normalise.method=nope"], "nope"),
])
def test_cli_audit_bad_input_exits_2(argv, text, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert text in err and "Traceback" not in err


def test_cli_audit_asem(asem_dir, tmp_path, capsys):
    imported = tmp_path / "asem"
    assert main(["import-coinr", str(asem_dir / "iMeta.csv"), str(asem_dir / "iData.csv"), "--out",
                 str(imported)]) == 0
    out = tmp_path / "audit"
    spec = ["--set", "build.normalise.method=minmax", "--set", "build.normalise.params.low=0",
            "--set", "build.normalise.params.high=100", "--set", "build.aggregate.method=arithmetic"]
    assert main(["audit", str(imported / "framework.yaml"), str(imported / "data.csv"), "--out", str(out),
                 *spec]) == 0
    assert "findings:" in capsys.readouterr().out
    tables = _check_outputs(out)
    flags = tables["flags.csv"]
    negative_alpha = set(flags.loc[flags.finding == "negative_alpha", "node"])
    assert {"Sust", "SusEcFin"} <= negative_alpha
    negative = flags[(flags.finding == "negative_correlation") & (flags.severity == "high")]
    assert ("TBTs", "Instit") in set(zip(negative["code"], negative["node"], strict=True))
    assert len(tables["cronbach.csv"]) == 1 + 2 + 8


# --------------------------------------------------------------------------------------
# Significance, corrected item-total correlations, confidence intervals, partial correlations
# --------------------------------------------------------------------------------------


def test_a_correlation_that_is_not_significant_is_never_medium(tiny_dict):
    fw = oi.parse_framework(tiny_dict)
    corr = pd.DataFrame([
        ("normalised", 1, "crime", "social", "pearson", -0.05, 0.75, 40),     # the demo's case: no longer medium
        ("normalised", 1, "jobs", "econ", "pearson", -0.60, 0.001, 40),       # significant: still high
        ("normalised", 1, "gdp", "jobs", "pearson", 0.95, 0.20, 3),           # redundant, but n = 3: low
        ("normalised", 1, "gdp", "firms", "pearson", 0.95, 0.01, 6),          # redundant and significant
    ], columns=["stage", "level", "x", "y", "method", "r", "p", "n"])
    empty = {"cronbach": pd.DataFrame(columns=["node", "alpha", "k", "n"]),
             "pca_summary": pd.DataFrame(columns=["node", "multidimensional", "weak_first"]),
             "importance": pd.DataFrame(columns=["node", "child", "ratio_S"]),
             "outliers": pd.DataFrame({"indicator": [], "outlier_after": pd.Series([], dtype=bool)})}
    flags = audit_flags(fw, correlations=corr, **empty)
    got = {(f, c): s for s, f, c in zip(flags["severity"], flags["finding"], flags["code"], strict=True)}
    assert got == {("insignificant_correlation", "crime"): "low", ("negative_correlation", "jobs"): "high",
                   ("redundancy", "gdp & jobs"): "low", ("redundancy", "gdp & firms"): "medium"}


@given(st.lists(st.tuples(st.sampled_from(["gdp", "jobs", "firms"]), st.floats(-1, 1), st.floats(0, 1),
                          st.integers(3, 60)), min_size=1, max_size=8),
       st.floats(0.01, 0.2))
@settings(max_examples=60, deadline=None)
def test_property_severity_of_insignificant_findings_is_low(rows, p_value):
    fw = oi.parse_framework(yaml.safe_load(TINY_YAML))
    corr = pd.DataFrame([("normalised", 1, x, "econ", "pearson", r, p, n) for x, r, p, n in rows]
                        + [("normalised", 1, "gdp", "jobs", "pearson", r, p, n) for _, r, p, n in rows],
                        columns=["stage", "level", "x", "y", "method", "r", "p", "n"])
    rest = pd.DataFrame([("normalised", 1, "econ", x, "pearson", r, p, n) for x, r, p, n in rows],
                        columns=["stage", "level", "node", "child", "method", "r", "p", "n"])
    flags = audit_flags(fw, correlations=corr, item_rest=rest,
                        cronbach=pd.DataFrame(columns=["node", "alpha", "k", "n"]),
                        pca_summary=pd.DataFrame(columns=["node", "multidimensional", "weak_first"]),
                        importance=pd.DataFrame(columns=["node", "child", "ratio_S"]),
                        outliers=pd.DataFrame({"indicator": [], "outlier_after": pd.Series([], dtype=bool)}),
                        rules=AuditRules(p_value=p_value, redundancy=0.5))
    for severity, finding, params in zip(flags["severity"], flags["finding"], flags["params"], strict=True):
        assert severity == ("low" if params["p"] >= p_value else FINDINGS[finding])


def test_demo_audit_no_medium_finding_without_significance():
    fw = oi.read_framework(DEMO_FW)
    found = run_audit(build(fw, oi.read_dataset(str(DEMO_DATA), fw)))
    flags = found.flags
    serious = flags[flags["severity"] != "low"]
    assert all(p.get("p", 0.0) < 0.05 for p in serious["params"])
    # today's r = -0.05, p = 0.75 of standard_of_living in managing_diversity: low, and said so
    row = flags[(flags["code"] == "standard_of_living") & (flags["node"] == "managing_diversity")
                & (flags["finding"] == "insignificant_correlation")].iloc[0]
    assert row.severity == "low" and row.params["r"] == pytest.approx(-0.0512, abs=1e-3)
    text = dict(zip(flags.index, finding_messages(found), strict=True))[row.name]
    assert text.startswith("Standard of living is slightly negatively correlated with Managing diversity, but not "
                           "significantly (Pearson r = \u22120.05, p = 0.754, n = 40; p not below 0.05)")
    # ... and the corrected item-total correlation shows what the part-whole r hid: it pulls against the rest
    rest = flags[(flags["finding"] == "negative_item_rest") & (flags["code"] == "standard_of_living")]
    assert list(rest["severity"]) == ["high"] and rest.iloc[0].params["p"] < 0.01


def test_item_rest_corr_by_hand_with_missing_values():
    # a = [1, 2, 3, 4], b = [2, -, 4, 3], c = [1, 2, -, 5]
    x = np.array([[1, 2, 1], [2, NAN, 2], [3, 4, NAN], [4, 3, 5]], dtype=float)
    # rest of a: mean of present b, c per unit = [1.5, 2, 4, 4]: a dev [-1.5, -.5, .5, 1.5], rest mean 2.875
    # rest dev [-1.375, -.875, 1.125, 1.125]: sxy = 2.0625 + .4375 + .5625 + 1.6875 = 4.75
    # sxx = 5, syy = 1.890625 + .765625 + 1.265625 * 2 = 5.1875 -> r = 4.75 / sqrt(25.9375)
    r, p, n = item_rest_corr(x)[0]
    assert n == 4 and r == pytest.approx(4.75 / math.sqrt(25.9375), abs=1e-12)
    assert p == pytest.approx(scipy.stats.pearsonr([1, 2, 3, 4], [1.5, 2, 4, 4]).pvalue)
    # b: rest = mean(a, c) on its present rows 1, 3, 4 = [1, 3, 4.5], b = [2, 4, 3]
    r_b, _, n_b = item_rest_corr(x)[1]
    assert n_b == 3 and r_b == pytest.approx(scipy.stats.pearsonr([2, 4, 3], [1, 3, 4.5]).statistic)
    # two columns: each against the other
    two = item_rest_corr(x[:, :2], "spearman")
    assert two[0][:2] == pytest.approx(corr_test(x[:, 0], x[:, 1], "spearman")[:2])
    with pytest.raises(MethodError, match="at least 2 columns"):
        item_rest_corr(x[:, :1])


@given(st.integers(5, 30), st.integers(2, 6), st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_property_item_rest_is_the_corrected_item_total_without_missing_values(n, k, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, k)) + rng.normal(size=(n, 1))
    for j, (r, _, m) in enumerate(item_rest_corr(x)):
        rest_sum = x.sum(axis=1) - x[:, j]                   # the textbook form: the sum of the others
        assert m == n and r == pytest.approx(np.corrcoef(x[:, j], rest_sum)[0, 1], abs=1e-9)


def test_item_rest_table(tiny_result):
    table = item_rest(tiny_result)
    assert list(table.columns) == ["stage", "level", "node", "child", "method", "r", "p", "n"]
    assert list(pd.unique(table["node"])) == ["INDEX", "econ", "social"]
    x = tiny_result.stage_frame("normalised")[["gdp", "jobs", "firms"]].to_numpy()
    row = table.query("node == 'econ' and child == 'jobs' and method == 'pearson'").iloc[0]
    assert (row.r, row.p, row.n) == pytest.approx(item_rest_corr(x)[1]) and row.stage == "normalised"
    top = table.query("node == 'INDEX' and method == 'pearson'")
    areas = tiny_result.level_frame(2)[["econ", "social"]].to_numpy()
    assert top["r"].tolist() == pytest.approx([corr_test(areas[:, 0], areas[:, 1])[0]] * 2)   # k = 2
    assert set(top["stage"]) == {"aggregated"} and set(top["level"]) == {2}


def test_fisher_ci_by_hand_and_against_scipy():
    # n = 28: se = 1/5; z = atanh(0.5) = 0.549306; q = 1.959964: tanh(0.549306 -/+ 0.391993)
    low, high = fisher_ci(0.5, 28)
    assert (low, high) == pytest.approx((math.tanh(0.549306 - 0.391993), math.tanh(0.549306 + 0.391993)), abs=1e-6)
    rng = np.random.default_rng(5)
    x = rng.normal(size=30)
    y = 0.5 * x + rng.normal(size=30)
    ref = scipy.stats.pearsonr(x, y).confidence_interval(0.9)
    assert fisher_ci(scipy.stats.pearsonr(x, y).statistic, 30, level=0.9) == pytest.approx((ref.low, ref.high))
    # Spearman: variance 1.06 / (n - 3); a partial correlation loses one more degree of freedom
    s_low, _ = fisher_ci(0.5, 28, method="spearman")
    assert s_low == pytest.approx(math.tanh(math.atanh(0.5) - 1.959964 * math.sqrt(1.06 / 25)), abs=1e-6)
    p_low, _ = fisher_ci(0.5, 29, controls=1)
    assert p_low == pytest.approx(low)
    assert fisher_ci(1.0, 10) == (1.0, 1.0)
    assert all(math.isnan(v) for v in (*fisher_ci(0.5, 3), *fisher_ci(NAN, 30), *fisher_ci(0.5, 4, controls=1)))


@given(st.floats(-0.99, 0.99), st.integers(4, 500), st.floats(0.5, 0.99))
@settings(max_examples=60, deadline=None)
def test_property_fisher_ci_contains_r_and_widens_with_level(r, n, level):
    low, high = fisher_ci(r, n, level=level)
    wide = fisher_ci(r, n, level=min(level + 0.005, 0.999))
    assert -1 <= low <= r <= high <= 1 and wide[0] <= low and high <= wide[1]


def test_partial_corr_by_hand():
    # z = [1, 1, 2, 2] is a group: residuals of x = [1, 2, 3, 4] are [-.5, .5, -.5, .5],
    # of y = [2, 1, 3, 5] are [.5, -.5, -1, 1]: sxy = .5, sxx = 1, syy = 2.5 -> r = 1/sqrt(10)
    r, p, n = partial_corr([1, 2, 3, 4, NAN], [2, 1, 3, 5, 7], [1, 1, 2, 2, 3])
    assert n == 4 and r == pytest.approx(1 / math.sqrt(10))
    # t = r sqrt(1 / (1 - r^2)) = 1/3 with 1 degree of freedom (Cauchy): p = 1 - 2/pi atan(1/3)
    assert p == pytest.approx(1 - 2 / math.pi * math.atan(1 / 3))
    assert math.isnan(partial_corr([1, 2, 3, 4], [2, 1, 3, 5], [2, 4, 6, 8])[0])     # x linear in z
    assert math.isnan(partial_corr([1, 2, 3], [2, 1, 3], [1, 2, 2])[0])              # n < 4


@given(st.integers(6, 40), st.integers(0, 2**32 - 1), st.sampled_from(["pearson", "spearman"]))
@settings(max_examples=40, deadline=None)
def test_property_partial_corr_is_the_correlation_of_residuals(n, seed, method):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    x, y = z + rng.normal(size=n), -z + rng.normal(size=n)
    a = np.column_stack([x, y, z])
    if method == "spearman":
        a = np.column_stack([scipy.stats.rankdata(c) for c in a.T])
    design = np.column_stack([np.ones(n), a[:, 2]])
    res = [a[:, j] - design @ np.linalg.lstsq(design, a[:, j], rcond=None)[0] for j in (0, 1)]
    r, p, m = partial_corr(x, y, z, method)
    if max(abs(np.corrcoef(a[:, j], a[:, 2])[0, 1]) for j in (0, 1)) > 1 - 1e-9:
        assert math.isnan(r) and m == n          # x or y is z up to a line (for ranks: the same order)
        return
    assert m == n and r == pytest.approx(np.corrcoef(*res)[0, 1], abs=1e-9)
    t = r * math.sqrt((n - 3) / (1 - r**2))
    assert p == pytest.approx(2 * scipy.stats.t.sf(abs(t), n - 3), rel=1e-9, abs=1e-300)


# --------------------------------------------------------------------------------------
# Outside variables
# --------------------------------------------------------------------------------------


def test_external_correlations_by_hand(tiny_result):
    outside = pd.DataFrame({"gdp_head": [1.0, 2.0, 3.0, 4.0, NAN], "rain": [5.0, 3.0, 4.0, 1.0, 2.0]},
                           index=pd.Index(["AAA", "BBB", "CCC", "DDD", "ZZZ"], name="unit"))  # EEE absent, ZZZ extra
    table, size = external_correlations(tiny_result, outside)
    assert list(table.columns) == ["node", "level", "variable", "method", "n", "r", "p", "ci_low", "ci_high",
                                   "control", "partial_n", "partial_r", "partial_p", "partial_ci_low",
                                   "partial_ci_high"]
    assert size.status == "used" and size.variable == "log(population)"
    assert list(pd.unique(table["node"]))[:3] == ["INDEX", "econ", "social"] and "gdp" in set(table["node"])
    assert list(pd.unique(table["variable"])) == ["gdp_head", "rain", "log(population)"]
    index = tiny_result.level_frame(3)["INDEX"].to_numpy()
    gdp_head = np.array([1, 2, 3, 4, NAN])            # aligned to the result's units AAA..EEE
    log_pop = np.log([100000, 250000, 50000, 500000, 80000])
    row = table.query("node == 'INDEX' and variable == 'gdp_head' and method == 'pearson'").iloc[0]
    assert (row.r, row.p, row.n) == pytest.approx(corr_test(index, gdp_head))
    assert (row.ci_low, row.ci_high) == pytest.approx(fisher_ci(row.r, 4))
    assert row.control == "log(population)" and row.partial_n == 4
    assert (row.partial_r, row.partial_p) == pytest.approx(partial_corr(index, gdp_head, log_pop)[:2])
    assert math.isnan(row.partial_ci_low)                 # n - 4 = 0 degrees of freedom left: no interval
    size_row = table.query("node == 'INDEX' and variable == 'log(population)' and method == 'spearman'").iloc[0]
    assert size_row.r == pytest.approx(corr_test(index, log_pop, "spearman")[0]) and size_row.control == ""
    assert math.isnan(size_row.partial_r)


def test_external_without_population_says_so(tiny_result):
    outside = pd.DataFrame({"v": [1.0, 2.0, 3.0, 5.0, 4.0]}, index=list(tiny_result.units))
    found = run_audit(tiny_result, external=outside, population="inhabitants")   # no such attribute
    assert found.size is not None and found.size.status == "absent"
    assert found.external is not None and set(found.external["variable"]) == {"v"}
    assert found.external["partial_r"].isna().all() and set(found.external["control"]) == {""}
    assert "The framework declares no numeric population attribute" in audit_page(found)
    assert "size_correlation" not in set(found.flags["finding"])
    with pytest.raises(MethodError, match="called 'log\\(population\\)'"):
        run_audit(tiny_result, external=outside.rename(columns={"v": "log(population)"}))


def test_size_flag_of_the_index(tiny_result):
    units = list(tiny_result.units)
    index = tiny_result.level_frame(3)["INDEX"]
    r_size = corr_test(index.to_numpy(), np.log([100000, 250000, 50000, 500000, 80000]))[0]
    found = run_audit(tiny_result, external=pd.DataFrame({"v": index.to_numpy()}, index=units),
                      rules=AuditRules(max_size_r=min(abs(r_size) - 0.01, 1.0), p_value=0.99))
    size = found.flags[found.flags["finding"] == "size_correlation"]
    assert list(size["node"]) == ["INDEX"] and size.iloc[0].value == pytest.approx(r_size)
    assert size.iloc[0].severity == "medium"
    text = finding_messages(found)[size.index[0]]
    assert text.startswith("Tiny index is correlated with the logarithm of population (Pearson r = ")
    assert "OECD/JRC Handbook, step 9" in text
    quiet = run_audit(tiny_result, external=pd.DataFrame({"v": index.to_numpy()}, index=units),
                      rules=AuditRules(max_size_r=min(abs(r_size) + 0.01, 1.0)))
    assert "size_correlation" not in set(quiet.flags["finding"])


# --------------------------------------------------------------------------------------
# One rendering: the standalone page, the report tab, flags.csv and the console say the same
# --------------------------------------------------------------------------------------


def _messages(html_text):
    return [html_lib.unescape(m) for m in re.findall(r'<td class="msg">(.*?)</td>', html_text)]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_page_and_report_tab_show_the_same_findings(tiny_paths, lang):
    from openindex.report import ReportOptions, build_report, render_report

    fw_path, data_path = tiny_paths
    fw = oi.read_framework(fw_path)
    ds = oi.read_dataset(str(data_path), fw)
    data = build_report(fw, ds, options=ReportOptions(lang=lang))
    assert data.audit is not None
    tab = render_report(data).split('<section id="audit"', 1)[1].split("</section>", 1)[0]
    page = audit_page(run_audit(data.result), lang=lang)
    assert _messages(page) == _messages(tab) == finding_messages(data.audit, lang)
    assert len(_messages(page)) == len(data.audit.flags) > 0
    labels = re.findall(r'<td><span class="sev sev-\w+">[^<]+</span></td><td>([^<]+)</td>', page)
    assert labels == re.findall(r'<td><span class="sev sev-\w+">[^<]+</span></td><td>([^<]+)</td>', tab)
    assert "insignificant_correlation" not in page.split("<body>", 1)[1].split('<script type="application/json"')[0]
    assert 'id="audit-flags"' in page and 'id="audit-nodes"' in page and 'data-panels="audit-panel"' in page


def test_flags_csv_params_and_messages(tiny_result):
    found = run_audit(tiny_result)
    table = flags_frame(found)
    assert list(table.columns) == ["severity", "finding", "node", "code", "value", "threshold", "params", "message"]
    assert [json.loads(p) for p in table["params"]] == [
        {k: (None if isinstance(v, float) and v != v else v) for k, v in p.items()} for p in found.flags["params"]]
    assert list(table["message"]) == finding_messages(found)
    assert found.summary(2, list(table["message"])).splitlines()[1] == (f"  [{table.severity[0]}] "
                                                                       f"{table.message[0]}")


# --------------------------------------------------------------------------------------
# Outside variables from a file: `audit --external`, `report --external`, bad files
# --------------------------------------------------------------------------------------


def _demo_units():
    return oi.read_dataset(str(DEMO_DATA), oi.read_framework(DEMO_FW)).for_edition().unit_codes


def _outside_csv(path, units, **columns):
    pd.DataFrame({"unit": units, **columns}).to_csv(path, index=False)
    return path


def test_cli_audit_external(tmp_path, capsys):
    units = _demo_units()
    rng = np.random.default_rng(3)
    ext = _outside_csv(tmp_path / "outside.csv", units, gdp_head=rng.normal(40000, 5000, len(units)).round(),
                       satisfaction=rng.normal(6.5, 1, len(units)).round(1))
    out = tmp_path / "audit"
    assert main(["audit", str(DEMO_FW), str(DEMO_DATA), "--out", str(out), "--external", str(ext)]) == 0
    assert "external.csv" in capsys.readouterr().out
    table = pd.read_csv(out / "external.csv", keep_default_na=False, na_values=[""])
    assert list(pd.unique(table["variable"])) == ["gdp_head", "satisfaction", "log(population)"]
    assert table.loc[0, "node"] == "INDEX" and len(table) == 3 * 2 * (1 + 3 + 11 + 53)
    flags = pd.read_csv(out / "flags.csv")
    size = flags[flags["finding"] == "size_correlation"]
    r_size = table.query("node == 'INDEX' and variable == 'log(population)' and method == 'pearson'")["r"].iloc[0]
    assert len(size) == (abs(r_size) > 0.5) and "logarithm of population" in size["message"].iloc[0]
    page = (out / "audit.html").read_text(encoding="utf-8")
    assert 'id="audit-external"' in page and "gdp_head" in page and "Logarithm of population" in page


def test_cli_report_external_shows_in_the_audit_tab(tmp_path):
    from tests.conftest import TINY_CSV

    fw_path, data_path = tmp_path / "tiny.yaml", tmp_path / "tiny.csv"
    fw_path.write_text(TINY_YAML, encoding="utf-8")
    data_path.write_text(TINY_CSV, encoding="utf-8")
    ext = _outside_csv(tmp_path / "outside.csv", ["AAA", "BBB", "CCC", "DDD", "EEE"], v=[3, 1, 4, 1, 5])
    assert main(["report", str(fw_path), str(data_path), "--out", str(tmp_path / "rep"), "--external",
                 str(ext)]) == 0
    tab = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8").split('<section id="audit"', 1)[1]
    assert 'id="audit-external"' in tab.split("</section>", 1)[0]
    manifest = json.loads((tmp_path / "rep" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["audit_external"]["file"] == "outside.csv" and len(manifest["audit_external"]["sha256"]) == 64
    assert main(["audit", str(fw_path), str(data_path), "--out", str(tmp_path / "aud"), "--external",
                 str(ext)]) == 0
    page = (tmp_path / "aud" / "audit.html").read_text(encoding="utf-8")
    table = re.compile(r'<table id="audit-external".*?</table>', re.S)
    assert table.search(page).group(0) == table.search(tab).group(0)      # one rendering


@pytest.mark.parametrize("text, code, message", [
    ("unit,v\nAVL,1\nAVX,2\n", "unknown_unit", "unit 'AVX' is not in the data. Did you mean 'AVL'?"),
    ("unit,v\nAVL,1\nAVL,2\n", "duplicate_unit", "unit 'AVL' appears twice (first at line 2)"),
    ("unit,v\nAVL,1\n,2\n", "empty_unit_code", "the unit code is empty"),
    ("unit,v\nAVL,1\nBRH,abc\n", "not_a_number", "'abc' is not a finite number (variable 'v')"),
    ("unit,v\nAVL,1\nBRH,inf\n", "not_a_number", "'inf' is not a finite number (variable 'v')"),
    ("unit,v,region\nAVL,1,North\nBRH,2,South\n", "not_a_number",
     "column 'region' holds no number ('North', 'South'): outside variables must be numeric"),
    ("city,v\nAVL,1\n", "missing_column", "no 'unit' column"),
    ("unit,name\nAVL,Avelmoor\n", "missing_column", "no variable column"),
    ("unit,v\n", "no_data_rows", "no rows"),
    ("unit,edition,v\nAVL,2025,1\nAVL,twenty,2\n", "invalid_edition", "the edition must be a whole number"),
])
def test_bad_external_files(tmp_path, capsys, text, code, message):
    from openindex.data.external import read_external
    from openindex.errors import DataError

    path = tmp_path / "outside.csv"
    path.write_text(text, encoding="utf-8")
    fw = oi.read_framework(DEMO_FW)
    with pytest.raises(DataError) as err:
        read_external(str(path), fw, _demo_units(), edition=2025)
    assert [p.code for p in err.value.problems] == [code] and message in str(err.value)
    assert main(["audit", str(DEMO_FW), str(DEMO_DATA), "--out", str(tmp_path / "out"), "--external",
                 str(path)]) == 2
    err_text = capsys.readouterr().err
    assert message in err_text and "Traceback" not in err_text
    assert not (tmp_path / "out" / "flags.csv").exists()


def test_external_file_edition_column_and_names(tmp_path):
    from openindex.data.external import read_external

    path = tmp_path / "outside.xlsx"
    pd.DataFrame({"unit": ["AVL", "AVL", "BRH"], "name": ["Avelmoor"] * 2 + ["Brisk Harbour"],
                  "edition": [2024, 2025, 2025], "v": [1.0, 2.0, None]}).to_excel(path, index=False)
    frame = read_external(str(path), oi.read_framework(DEMO_FW), _demo_units(), edition=2025)
    assert list(frame.columns) == ["v"] and list(frame.index) == ["AVL", "BRH"]
    assert frame.loc["AVL", "v"] == 2.0 and math.isnan(frame.loc["BRH", "v"])
