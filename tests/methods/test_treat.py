"""Outlier treatment: the JRC Winsorisation rule worked by hand, and the log fallback."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
from numpy.testing import assert_allclose, assert_array_equal

from openindex.errors import MethodError
from openindex.methods import registry_for
from openindex.methods import treat as tr
from openindex.methods.stats import skew_kurt

nan = np.nan


def hand_G1_G2(values: list[float]) -> tuple[float, float]:
    """Bias-corrected skewness and excess kurtosis written out from the textbook formulas."""
    n = len(values)
    m = sum(values) / n
    m2 = sum((v - m) ** 2 for v in values) / n
    m3 = sum((v - m) ** 3 for v in values) / n
    m4 = sum((v - m) ** 4 for v in values) / n
    g1, g2 = m3 / m2**1.5, m4 / m2**2 - 3
    G1 = math.sqrt(n * (n - 1)) / (n - 2) * g1
    G2 = (n - 1) / ((n - 2) * (n - 3)) * ((n + 1) * g2 + 6)
    return G1, G2


def passes(values: list[float]) -> bool:
    G1, G2 = hand_G1_G2(values)
    return abs(G1) < 2.0 or G2 < 3.5


def test_family_registered() -> None:
    assert registry_for("treat") is tr.TREATMENTS
    assert set(tr.TREATMENTS) == {"none", "winsorise", "log"}


def test_skew_kurt_matches_scipy_and_hand() -> None:
    v = [0.0, 1.0, 1.0, 2.0, 7.0, 3.0]
    G1, G2 = skew_kurt(np.array(v), axis=0)
    assert_allclose(G1, hand_G1_G2(v)[0])
    assert_allclose(G2, hand_G1_G2(v)[1])
    assert_allclose(G1, scipy.stats.skew(v, bias=False))
    assert_allclose(G2, scipy.stats.kurtosis(v, fisher=True, bias=False))


# The hand example: twenty ordinary values 0..19 and two outliers, 60 and 200.
BASE = [float(i) for i in range(20)]
X = BASE + [60.0, 200.0]


def test_winsorise_hand_two_steps() -> None:
    # start: G1 = 4.13, G2 = 17.97 -> fails, skew positive -> clamp the high side
    assert not passes(X) and hand_G1_G2(X)[0] > 0
    # step 1: the maximum 200 moves to the next distinct value 60 (1 point changed)
    step1 = BASE + [60.0, 60.0]
    # G1 = 2.38 >= 2 and G2 = 5.49 >= 3.5 -> still fails
    assert not passes(step1)
    # step 2: both values tied at 60 move to 19 (2 distinct points changed in all)
    step2 = BASE + [19.0, 19.0]
    assert passes(step2)  # G1 = -0.09
    out = tr.winsorise(np.array(X)[:, None])
    assert_array_equal(out.x[:, 0], step2)
    assert out.how.tolist() == [tr.WINSORISED]
    assert out.points.tolist() == [2]  # the 200 moved twice counts once


def test_winsorise_falls_back_to_log() -> None:
    # with max_points = 1 the rule stops after step 1 (1 point changed), which still fails:
    # the clamping is discarded and log(x - min + 0.01 * range) = log(x - 0 + 0.01 * 200)
    # is applied to the ORIGINAL values
    out = tr.winsorise(np.array(X)[:, None], max_points=1)
    assert_allclose(out.x[:, 0], np.log(np.array(X) + 2.0))
    assert out.how.tolist() == [tr.LOGGED]
    assert out.points.tolist() == [-1]


def test_tied_step_may_pass_the_limit() -> None:
    # two tied outliers: one step moves both (2 points > max_points = 1), then the test passes
    x = BASE + [100.0, 100.0]
    assert not passes(x) and passes(BASE + [19.0, 19.0])
    out = tr.winsorise(np.array(x)[:, None], max_points=1)
    assert_array_equal(out.x[:, 0], BASE + [19.0, 19.0])
    assert out.points.tolist() == [2]


def test_negative_skew_clamps_low_side() -> None:
    x = -np.array(X)  # mirror image: the outliers are at the bottom
    out = tr.winsorise(x[:, None])
    assert_array_equal(out.x[:, 0], -np.array(BASE + [19.0, 19.0]))
    assert out.points.tolist() == [2]


def test_winsorise_keeps_missing_and_skips_short_or_constant_columns() -> None:
    x = np.full((23, 3), nan)
    x[:22, 0] = X
    x[:3, 1] = [1.0, 2.0, 1000.0]  # only 3 present values: no G2, untreated
    x[:, 2] = 5.0  # constant: passes
    out = tr.winsorise(x)
    assert np.isnan(out.x[22, 0])
    assert_array_equal(out.x[:22, 0], BASE + [19.0, 19.0])
    assert_array_equal(out.x[:, 1:], x[:, 1:])
    assert out.how.tolist() == [1, 0, 0]
    assert out.points.tolist() == [2, 0, 0]


def test_passing_column_untreated() -> None:
    x = np.array(BASE)[:, None]
    out = tr.winsorise(x)
    assert_array_equal(out.x, x)
    assert out.how.tolist() == [0] and out.points.tolist() == [0]


def test_thresholds_are_params() -> None:
    # with a lenient kurtosis threshold the original column passes (G2 = 17.97 < 20)
    out = tr.winsorise(np.array(X)[:, None], kurtosis=20.0)
    assert out.how.tolist() == [0]
    with pytest.raises(MethodError):
        tr.winsorise(np.array(X)[:, None], max_points=-1)


def test_log_method() -> None:
    x = np.array([[1.0, 3.0], [11.0, 3.0], [nan, 3.0]])
    out = tr.log(x)
    # column 0: min 1, range 10: log(x - 1 + 0.1)
    assert_allclose(out.x[:, 0], [math.log(0.1), math.log(10.1), nan])
    assert_array_equal(out.x[:, 1], [3.0, 3.0, 3.0])  # constant: unchanged
    assert out.how.tolist() == [2, 0]
    assert out.points.tolist() == [-1, 0]


def test_none_and_batch_flags() -> None:
    x = np.stack([np.array(X)[:, None], np.array(BASE + [1.0, 2.0])[:, None]])
    out = tr.winsorise(x)
    assert out.how.shape == (2, 1)
    assert out.how.tolist() == [[1], [0]]
    n = tr.none(x)
    assert_array_equal(n.x, x) and n.x is not x
    assert n.how.shape == (2, 1) and not n.how.any()


def test_map_values_hand() -> None:
    """Goalposts and targets in raw units, mapped with the function the data received."""
    before = np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0], [11.0, 11.0, 11.0]])  # min 1, max 11, range 10
    after = np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0], [2.0, 2.0, 11.0]])  # column 1 capped at 2
    how = np.array([tr.LOGGED, tr.WINSORISED, tr.UNTREATED])
    # log: log(v - 1 + 0.1); winsorised high side: min(v, 2), the low side untouched; untreated: v
    out = tr.map_values(np.array([[0.95, -5.0, -5.0], [20.0, 20.0, 20.0]]), before, after, how)
    assert_allclose(out, [[np.log(0.05), -5.0, -5.0], [np.log(19.1), 2.0, 20.0]])
    # below min - 0.01 range = 0.9 the log is undefined: NaN (the engine refuses it)
    assert np.isnan(tr.map_values(np.array([0.8, 0.0, 0.0]), before, after, how)[0])
    # a value of the data maps to exactly its treated value
    logged = tr.log(before[:, :1]).x[:, 0]
    assert_array_equal(tr.map_values(before[:, :1], before[:, :1], logged[:, None], how[:1])[:, 0], logged)
    # low side capped (negative skew): max(v, bottom)
    low_after = np.array([[5.0], [5.0], [11.0]])
    assert_allclose(tr.map_values(np.array([[0.0], [20.0]]), before[:, :1], low_after, np.array([tr.WINSORISED])),
                    [[5.0], [20.0]])
