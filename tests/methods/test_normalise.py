"""Normalisers: hand-computed values and invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal

from openindex.errors import DegenerateInputError
from openindex.methods import normalise as nz
from openindex.methods import registry_for

nan = np.nan


def col(*values: float) -> np.ndarray:
    """A single-indicator data array (n_units, 1)."""
    return np.array(values, dtype=float)[:, None]


def test_family_registered() -> None:
    reg = registry_for("normalise")
    assert reg is nz.NORMALISERS
    assert set(reg.names()) == {
        "minmax",
        "zscore",
        "rank",
        "percentile",
        "goalposts",
        "distance_to_target",
        "distance_to_frontier",
        "index_to_mean",
        "borda",
        "points",
    }


# ---------------------------------------------------------------- hand values
def test_minmax_hand() -> None:
    # min 2, max 6: (4 - 2) / 4 = 0.5 -> 50; NaN stays NaN
    assert_allclose(nz.minmax(col(2, 4, nan, 6)), col(0, 50, nan, 100))
    # onto [1, 10]: 1 + 0.5 * 9 = 5.5
    assert_allclose(nz.minmax(col(2, 4, 6), low=1, high=10), col(1, 5.5, 10))


def test_zscore_hand() -> None:
    # mean 4, sample sd of (2, 4, 6) = sqrt((4 + 0 + 4) / 2) = 2
    assert_allclose(nz.zscore(col(2, 4, 6)), col(-1, 0, 1))
    assert_allclose(nz.zscore(col(2, 4, nan, 6), mean=100, sd=10), col(90, 100, nan, 110))


def test_rank_hand_min_ties() -> None:
    # 10 (twice) is lowest -> 1, 1; 20 -> 3; 30 -> 4
    assert_array_equal(nz.rank(col(10, 20, 10, nan, 30)), col(1, 3, 1, nan, 4))


def test_percentile_hand() -> None:
    # average ranks 1, 2.5, 2.5, 4; n = 4: (r - 1) / 3 * 100
    assert_allclose(nz.percentile(col(10, 20, 20, 40)), col(0, 50, 50, 100))
    # same via the definition: unit 2 has 1 unit below and 1 tie: (1 + 0.5) / 3 = 0.5
    assert_allclose(nz.percentile(col(7.0)), col(50.0))  # single value -> 50
    assert_allclose(nz.percentile(col(3, 3, nan)), col(50, 50, nan))


def test_borda_hand() -> None:
    # 10 beats none; each 20 beats 10 and ties the other 20 (half); 40 beats 3
    assert_allclose(nz.borda(col(10, 20, 20, nan, 40)), col(0, 1.5, 1.5, nan, 3))


def test_goalposts_hand() -> None:
    gp = np.array([[0.0, 50.0]])
    # (x - 0) / 50 * 100: -10 -> -20, 25 -> 50, 60 -> 120
    assert_allclose(nz.goalposts(col(-10, 25, 60), goalposts=gp, trunc=False), col(-20, 50, 120))
    assert_allclose(nz.goalposts(col(-10, 25, 60, nan), goalposts=gp), col(0, 50, 100, nan))
    assert_allclose(nz.goalposts(col(25.0), goalposts=gp, high=1.0), col(0.5))


def test_goalposts_output_range_hand() -> None:
    gp = np.array([[0.0, 50.0]])
    # low + (x - 0) / 50 * (high - low) with [1, 100]: 0 -> 1, 25 -> 1 + 0.5 * 99 = 50.5, 50 -> 100
    assert_allclose(nz.goalposts(col(0, 25, 50), goalposts=gp, low=1.0), col(1, 50.5, 100))
    # truncation to [low, high]: -10 -> 1 (not 0), 60 -> 100
    assert_allclose(nz.goalposts(col(-10, 60), goalposts=gp, low=1.0), col(1, 100))
    # without truncation: -10 -> 1 + (-0.2) * 99 = -18.8; 60 -> 1 + 1.2 * 99 = 119.8
    assert_allclose(nz.goalposts(col(-10, 60), goalposts=gp, low=1.0, trunc=False), col(-18.8, 119.8))
    # a reversed range [10, 0]: the lower goalpost scores 10, the upper 0; truncation still to [0, 10]
    assert_allclose(nz.goalposts(col(0, 25, 60), goalposts=gp, low=10.0, high=0.0), col(10, 5, 0))


def test_goalposts_lower_is_better() -> None:
    # raw values 10 and 30 of a lower-is-better indicator with raw goalposts [0, 40]:
    # the pipeline passes x = (-10, -30) and goalposts [-40, -0]
    # (-10 + 40) / 40 = 0.75, (-30 + 40) / 40 = 0.25
    out = nz.goalposts(col(-10, -30), goalposts=np.array([[-40.0, -0.0]]))
    assert_allclose(out, col(75, 25))


def test_goalposts_missing_and_bad() -> None:
    x = np.array([[1.0, 1.0], [2.0, 2.0]])
    out = nz.goalposts(x, goalposts=np.array([[0.0, 4.0], [nan, nan]]))
    assert_allclose(out, [[25, nan], [50, nan]])
    with pytest.raises(DegenerateInputError) as err:
        nz.goalposts(x, goalposts=np.array([[0.0, 4.0], [3.0, 3.0]]))
    assert err.value.columns == (1,)


def test_distance_to_target_hand() -> None:
    # min 2, target 10: (x - 2) / 8 * 100
    t = np.array([10.0])
    assert_allclose(nz.distance_to_target(col(2, 4, 6, nan), target=t), col(0, 25, 50, nan))
    # 12 is beyond the target: 125, or 100 with cap
    assert_allclose(nz.distance_to_target(col(2, 12), target=t), col(0, 125))
    assert_allclose(nz.distance_to_target(col(2, 12), target=t, cap=True), col(0, 100))
    with pytest.raises(DegenerateInputError):
        nz.distance_to_target(col(2, 12), target=np.array([2.0]))


def test_distance_to_target_output_range_hand() -> None:
    # min 2, target 10, [1, 100]: 1 + 99 * (x - 2) / 8: 2 -> 1, 4 -> 25.75, 10 -> 100, 12 -> 124.75
    t = np.array([10.0])
    assert_allclose(nz.distance_to_target(col(2, 4, 10, 12), target=t, low=1.0), col(1, 25.75, 100, 124.75))
    # cap at high (not at 100): [0, 10] -> 12 scores 10
    assert_allclose(nz.distance_to_target(col(2, 6, 12), target=t, high=10.0, cap=True), col(0, 5, 10))
    # lower is better, raw (2, 6, 10) with target 2 arrive negated: worst -10, target -2
    # 1 + 99 * (x + 10) / 8: -10 -> 1, -6 -> 50.5, -2 -> 100
    assert_allclose(nz.distance_to_target(col(-10, -6, -2), target=np.array([-2.0]), low=1.0), col(1, 50.5, 100))


def test_batched_contexts() -> None:
    """Goalposts, targets and scales may carry the batch axes of x (one value per replication)."""
    x = np.stack([col(0, 5, 10), col(0, 5, 10)])  # (2, 3, 1)
    gp = np.array([[[0.0, 10.0]], [[0.0, 20.0]]])  # (2, 1, 2)
    assert_allclose(nz.goalposts(x, goalposts=gp), [col(0, 50, 100), col(0, 25, 50)])
    assert_allclose(nz.points(x, scale=gp), [col(0, 50, 100), col(0, 25, 50)])
    t = np.array([[10.0], [20.0]])  # (2, 1)
    assert_allclose(nz.distance_to_target(x, target=t), [col(0, 50, 100), col(0, 25, 50)])
    with pytest.raises(DegenerateInputError) as err:
        nz.goalposts(x, goalposts=np.array([[[0.0, 10.0]], [[3.0, 3.0]]]))
    assert err.value.columns == (0,)


UP, DOWN = np.array([1.0]), np.array([-1.0])


def test_distance_to_frontier_hand() -> None:
    # leader 8: 2 / 8 = 25 %, 4 / 8 = 50 %
    assert_allclose(nz.distance_to_frontier(col(2, 4, nan, 8), direction=UP), col(25, 50, nan, 100))
    # lower is better, raw (2, 4, 8) arrive negated; the leader is 2: 100 * 2 / v = 100, 50, 25
    assert_allclose(nz.distance_to_frontier(col(-2, -4, nan, -8), direction=DOWN), col(100, 50, nan, 25))
    with pytest.raises(DegenerateInputError, match="ratio to the best value"):
        nz.distance_to_frontier(col(-2, -4), direction=UP)  # no positive leader
    with pytest.raises(DegenerateInputError, match="ratio to the best value"):
        nz.distance_to_frontier(col(0, -4), direction=DOWN)  # raw 0 for a lower-is-better indicator


def test_index_to_mean_hand() -> None:
    # mean of (1, 2, 3) = 2
    assert_allclose(nz.index_to_mean(col(1, 2, nan, 3), direction=UP), col(50, 100, nan, 150))
    # lower is better, raw (1, 2, 4) with mean 7/3: 100 * (7/3) / v
    assert_allclose(nz.index_to_mean(col(-1, -2, -4), direction=DOWN), col(700 / 3, 350 / 3, 175 / 3))
    with pytest.raises(DegenerateInputError, match="ratio to the mean") as err:
        nz.index_to_mean(np.array([[1.0, -1.0], [2.0, -3.0]]), direction=np.array([1.0, 1.0]))
    assert err.value.columns == (1,)


def test_points_hand() -> None:
    sc = np.array([[0.0, 4.0], [1.0, 5.0]])
    x = np.array([[0.0, 1.0], [1.0, 3.0], [4.0, nan]])
    # col 0: x / 4 * 100; col 1: (x - 1) / 4 * 100
    assert_allclose(nz.points(x, scale=sc), [[0, 0], [25, 50], [100, nan]])
    assert_allclose(nz.points(x, scale=sc, high=10), [[0, 0], [2.5, 5], [10, nan]])
    # [1, 100]: 1 + x / 4 * 99 and 1 + (x - 1) / 4 * 99; the weakest answer scores 1, not 0
    assert_allclose(nz.points(x, scale=sc, low=1), [[1, 1], [25.75, 50.5], [100, nan]])


@pytest.mark.parametrize("method", [nz.minmax, nz.zscore])
def test_constant_column_raises(method) -> None:
    x = np.array([[1.0, 5.0, 2.0], [2.0, 5.0, nan], [3.0, 5.0, nan]])  # col 1 constant, col 2 single
    with pytest.raises(DegenerateInputError) as err:
        method(x)
    assert err.value.columns == (1, 2)
    assert err.value.units == ()
    assert "goalposts" in str(err.value)


def test_all_missing_column_gives_missing() -> None:
    x = np.array([[1.0, nan], [2.0, nan]])
    assert_allclose(nz.minmax(x), [[0, nan], [100, nan]])


def test_rank_methods_on_constant() -> None:
    x = col(4, 4, 4)
    assert_array_equal(nz.rank(x), col(1, 1, 1))
    assert_array_equal(nz.percentile(x), col(50, 50, 50))
    assert_array_equal(nz.borda(x), col(1, 1, 1))


# ---------------------------------------------------------------- properties
finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


def _spread(x: np.ndarray) -> bool:
    return bool(np.all(np.ptp(x, axis=0) > 1e-3 * (1 + np.abs(x).max())))


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (7, 3), elements=finite), finite, st.floats(1, 100))
def test_minmax_hits_bounds(x: np.ndarray, low: float, width: float) -> None:
    if not _spread(x):
        return
    y = nz.minmax(x, low=low, high=low + width)
    assert_allclose(y.min(axis=0), low, atol=1e-9 * (1 + abs(low)))
    assert_allclose(y.max(axis=0), low + width, rtol=1e-9, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (6, 2), elements=finite), st.floats(-50, 50), st.floats(0.1, 20))
def test_zscore_mean_and_sd(x: np.ndarray, mean: float, sd: float) -> None:
    if not _spread(x):
        return
    y = nz.zscore(x, mean=mean, sd=sd)
    assert_allclose(y.mean(axis=0), mean, atol=1e-8 * (1 + sd))
    assert_allclose(y.std(axis=0, ddof=1), sd, rtol=1e-8)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (8, 2), elements=st.integers(-20, 20).map(float)))
def test_ordinal_methods_unchanged_by_monotone_transforms(x: np.ndarray) -> None:
    y = np.exp(x / 5.0) * 3.0 + 1.0  # strictly increasing
    for method in (nz.rank, nz.percentile, nz.borda):
        assert_allclose(method(y), method(x))


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, (6, 2), elements=finite))
def test_borda_sums_and_rank_order(x: np.ndarray) -> None:
    b = nz.borda(x)
    assert_allclose(b.sum(axis=0), 6 * 5 / 2)  # n (n - 1) / 2 points shared
    r = nz.rank(x)
    # a strictly higher value gets a strictly higher rank and Borda score
    i, j = np.argmax(x[:, 0]), np.argmin(x[:, 0])
    if x[i, 0] > x[j, 0]:
        assert r[i, 0] > r[j, 0] and b[i, 0] > b[j, 0]


def test_ordinal_methods_tie_rounding_noise() -> None:
    # both are 100 per 1,000 by hand; 0.3 / 3 * 1000 is 99.99999999999999 in floats
    a, b = 0.3 / 3 * 1000, 0.1 * 1000
    assert a != b
    x = col(a, b, 1.0)
    assert_array_equal(nz.rank(x), col(2, 2, 1))
    assert_allclose(nz.percentile(x), col(75, 75, 0))
    assert_allclose(nz.borda(x), col(1.5, 1.5, 0))
