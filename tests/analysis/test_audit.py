"""The statistical audit: every statistic by hand (with missing values) and against scipy/numpy,
the tables over a built index, the flags' order, the figures, and the CLI end to end."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats

import openindex as oi
from openindex.analysis.audit import (
    AuditRules,
    audit_flags,
    corr_test,
    correlation_ratio,
    correlations,
    coverage,
    cronbach,
    cronbach_alpha,
    importance,
    outliers,
    pairwise_cov,
    pca,
    pca_eigen,
    pca_summary,
    run_audit,
)
from openindex.cli import main
from openindex.engine import build
from openindex.errors import MethodError
from openindex.report import audit_page, correlation_heatmap, importance_chart

from tests.conftest import ROOT

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
    assert list(flags.columns) == ["severity", "finding", "node", "code", "value", "threshold", "message"]
    assert list(zip(flags["severity"], flags["finding"], flags["code"], strict=True)) == [
        ("high", "negative_alpha", "econ"),
        ("high", "negative_correlation", "jobs"),
        ("medium", "negative_correlation", "crime"),                 # negative but not significant
        ("medium", "redundancy", "gdp & firms"),                     # |r| = 0.97 before 0.93
        ("medium", "redundancy", "gdp & jobs"),
        ("medium", "multidimensional", "social"),
        ("medium", "importance_weight", "gdp"),                      # |log 0.3| > |log 2.4|
        ("medium", "importance_weight", "jobs"),
        ("low", "low_alpha", "social"),
        ("low", "insignificant_correlation", "gdp"),
        ("low", "outlier_after_treatment", "gdp"),
    ]
    first = flags.iloc[0]
    assert "Cronbach's alpha of econ (Economy) is -0.50" in first.message
    assert "Employment rate" in flags.iloc[1].message and "r = -0.95" in flags.iloc[1].message
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
    assert page.count("plotly.js v") == 1 and "<script src" not in page and "<link" not in page
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
    "flags.csv": ["severity", "finding", "node", "code", "value", "threshold", "message"],
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
