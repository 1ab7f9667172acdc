"""Aggregators: hand-computed values and invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal

from openindex.errors import DegenerateInputError, MethodError
from openindex.methods import aggregate as ag
from openindex.methods import registry_for

nan = np.nan
EQ2 = np.array([[0.5, 0.5]])  # one parent, two children, equal weights


def test_family_registered() -> None:
    assert registry_for("aggregate") is ag.AGGREGATORS
    assert set(ag.AGGREGATORS) == {"arithmetic", "geometric", "harmonic", "power_mean", "median", "copeland"}


# ---------------------------------------------------------------- hand values
def test_pythagorean_means_hand() -> None:
    x = np.array([[1.0, 4.0]])
    assert_allclose(ag.arithmetic(x, EQ2), [[2.5]])
    assert_allclose(ag.geometric(x, EQ2), [[2.0]])  # sqrt(1 * 4)
    assert_allclose(ag.harmonic(x, EQ2), [[1.6]])  # 2 / (1 + 1/4)
    assert_allclose(ag.power_mean(x, EQ2, p=2.0), [[np.sqrt(8.5)]])  # sqrt((1 + 16) / 2)
    assert_allclose(ag.power_mean(x, EQ2, p=0.0), [[2.0]])
    assert_allclose(ag.power_mean(x, EQ2, p=-1.0), [[1.6]])


def test_weighted_means_hand() -> None:
    x = np.array([[2.0, 10.0]])
    w = np.array([[1.0, 3.0]])  # weights need not sum to 1
    assert_allclose(ag.arithmetic(x, w), [[(2 + 30) / 4]])
    assert_allclose(ag.geometric(x, w), [[2**0.25 * 10**0.75]])
    assert_allclose(ag.harmonic(x, w), [[4 / (1 / 2 + 3 / 10)]])


def test_missing_children_reweighted() -> None:
    # unit 0: child 1 missing -> mean of the others with weights 1 and 2: (3 + 2 * 6) / 3 = 5
    # unit 1: nothing present -> NaN
    x = np.array([[3.0, nan, 6.0], [nan, nan, nan]])
    w = np.array([[1.0, 5.0, 2.0]])
    assert_allclose(ag.arithmetic(x, w), [[5.0], [nan]])
    assert_allclose(ag.geometric(x, w), [[(3 * 6**2) ** (1 / 3)], [nan]])
    for name in ag.AGGREGATORS:
        assert np.isnan(ag.AGGREGATORS.get(name).func(x, w)[1, 0])


def test_several_parents_and_non_members() -> None:
    x = np.array([[1.0, 2.0, 3.0, 4.0]])
    w = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 3.0]])
    # parent 0: (1 + 2) / 2 = 1.5; parent 1: (3 + 12) / 4 = 3.75
    assert_allclose(ag.arithmetic(x, w), [[1.5, 3.75]])
    # a unit whose only present children are non-members gets NaN
    x2 = np.array([[nan, nan, 3.0, 4.0]])
    assert_allclose(ag.arithmetic(x2, w), [[nan, 3.75]])


def test_weighted_median_hand() -> None:
    x = np.array([[1.0, 2.0, 3.0, 4.0]])
    # equal weights: cumulative 1/4, 1/2 (exactly half at 2) -> mean of 2 and 3
    assert_allclose(ag.median(x, np.ones((1, 4))), [[2.5]])
    # weights 1, 1, 1, 3: cumulative 1/6, 2/6, 3/6 = 1/2 exactly at 3 -> (3 + 4) / 2
    assert_allclose(ag.median(x, np.array([[1.0, 1.0, 1.0, 3.0]])), [[3.5]])
    # weights 0.1..0.4 on values 4, 3, 2, 1: sorted 1 (0.4), 2 (0.3 -> 0.7) -> 2
    assert_allclose(ag.median(x[:, ::-1], np.array([[0.1, 0.2, 0.3, 0.4]])), [[2.0]])
    # odd count, equal weights: the middle value; missing child dropped
    assert_allclose(ag.median(np.array([[5.0, nan, 1.0, 9.0]]), np.ones((1, 4))), [[5.0]])


def test_copeland_toy_case() -> None:
    # children x1, x2, x3 (columns) of one node, four units (rows), equal weights
    x = np.column_stack([[1, 2, 3, 4], [3, 2, 1, 5], [2, 3, 1, 4]]).astype(float)
    # u1 vs u2: u2 better on x1 and x3 -> u2 wins; u1 vs u3: u1 better on x2, x3 -> u1 wins;
    # u2 vs u3: u2 better on x2, x3 -> u2 wins; u4 beats everyone.
    # scores: u1 = 1 - 2 = -1, u2 = 2 - 1 = +1, u3 = 0 - 3 = -3, u4 = +3
    assert_array_equal(ag.copeland(x, np.ones((1, 3))), [[-1], [1], [-3], [3]])


def test_copeland_weights_and_missing() -> None:
    x = np.array([[1.0, 5.0], [2.0, 1.0], [nan, 9.0], [nan, nan]])
    w = np.array([[3.0, 1.0]])
    # u0 vs u1: u1 better on child 0 (weight 3), u0 on child 1 (weight 1) -> u1 wins
    # u0 vs u2: only child 1 comparable: u2 wins; u1 vs u2: only child 1: u2 wins
    # u3 has no present child -> NaN; it ties with everyone
    assert_allclose(ag.copeland(x, w), [[-2], [0], [2], [nan]])
    # equal weights: u0 vs u1 is a tie (one child each)
    assert_allclose(ag.copeland(x, np.ones((1, 2))), [[-1], [-1], [2], [nan]])


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("method", [ag.geometric, ag.harmonic])
def test_zero_raises_with_positions(method) -> None:
    x = np.array([[1.0, 2.0, 3.0], [4.0, 0.0, 6.0], [7.0, 8.0, -1.0]])
    w = np.array([[1.0, 1.0, 1.0]])
    with pytest.raises(DegenerateInputError) as err:
        method(x, w)
    assert err.value.columns == (1, 2)
    assert err.value.units == (1, 2)


def test_zero_in_unweighted_child_is_fine() -> None:
    x = np.array([[1.0, 0.0, 4.0]])
    w = np.array([[1.0, 0.0, 1.0]])
    assert_allclose(ag.geometric(x, w), [[2.0]])


def test_power_mean_domain() -> None:
    x = np.array([[0.0, 4.0]])
    assert_allclose(ag.power_mean(x, EQ2, p=2.0), [[np.sqrt(8.0)]])  # zero fine for p > 0
    with pytest.raises(DegenerateInputError):
        ag.power_mean(x, EQ2, p=-2.0)
    with pytest.raises(DegenerateInputError):
        ag.power_mean(np.array([[-1.0, 4.0]]), EQ2, p=0.5)
    assert_allclose(ag.power_mean(np.array([[-1.0, 4.0]]), EQ2, p=1.0), [[1.5]])


def test_bad_weights_raise() -> None:
    with pytest.raises(MethodError):
        ag.arithmetic(np.ones((2, 2)), np.array([[1.0, -1.0]]))
    with pytest.raises(MethodError):
        ag.arithmetic(np.ones((2, 3)), np.array([[1.0, 1.0]]))


def test_batch_broadcasting() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(1, 10, size=(3, 5, 4))
    w = rng.uniform(0, 1, size=(2, 4))
    for name in ag.AGGREGATORS:
        f = ag.AGGREGATORS.get(name).func
        got = f(x, w)
        assert got.shape == (3, 5, 2)
        for r in range(3):
            assert_allclose(got[r], f(x[r], w), rtol=1e-12)
        wb = rng.uniform(0, 1, size=(3, 2, 4))
        got = f(x[0], wb)
        for r in range(3):
            assert_allclose(got[r], f(x[0], wb[r]), rtol=1e-12)


# ---------------------------------------------------------------- properties
pos = st.floats(0.1, 100.0)
weights = arrays(np.float64, (2, 4), elements=st.floats(0.01, 5.0))


@settings(max_examples=40, deadline=None)
@given(st.floats(0.1, 100.0), weights)
def test_constant_gives_constant(c: float, w: np.ndarray) -> None:
    x = np.full((3, 4), c)
    x[1, 2] = nan  # missing children do not change it
    for name in ag.AGGREGATORS:
        if name == "copeland":  # ordinal: a constant gives score 0 (all ties)
            assert_array_equal(ag.copeland(x, w), 0.0)
            continue
        out = ag.AGGREGATORS.get(name).func(x, w)
        assert_allclose(out, c, rtol=1e-12, err_msg=name)
    assert_allclose(ag.power_mean(x, w, p=-3.5), c, rtol=1e-10)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (5, 4), elements=pos), weights)
def test_am_gm_hm_inequality(x: np.ndarray, w: np.ndarray) -> None:
    am, gm, hm = ag.arithmetic(x, w), ag.geometric(x, w), ag.harmonic(x, w)
    tol = 1e-10 * am
    assert np.all(am >= gm - tol)
    assert np.all(gm >= hm - tol)
    assert np.all(ag.power_mean(x, w, p=2.0) >= am - tol)


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, (4, 4), elements=pos), weights, st.integers(0, 3), st.integers(0, 3), st.floats(0, 50)
)
def test_raising_a_child_never_lowers(x: np.ndarray, w: np.ndarray, u: int, c: int, delta: float) -> None:
    y = x.copy()
    y[u, c] += delta
    for f in (ag.arithmetic, ag.geometric, ag.harmonic, ag.median):
        assert np.all(f(y, w) >= f(x, w) * (1 - 1e-12)), f.__name__


@settings(max_examples=30, deadline=None)
@given(
    arrays(np.float64, (5, 3), elements=st.integers(0, 4).map(float)),
    arrays(np.float64, (1, 3), elements=st.floats(0.1, 2.0)),
)
def test_copeland_scores_sum_to_zero(x: np.ndarray, w: np.ndarray) -> None:
    s = ag.copeland(x, w)
    assert s.sum() == 0  # every win is someone's loss
    assert np.all(np.abs(s) <= 4)
