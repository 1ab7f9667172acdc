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
    assert set(ag.AGGREGATORS) == {"arithmetic", "geometric", "harmonic", "power_mean", "median", "minimum", "mpi",
                                   "ampi", "copeland", "bod"}
    assert {"copeland", "bod"} == ag.RELATIVE


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
        if name == "bod":  # relative: every unit is on the frontier
            assert_allclose(ag.bod(x, w), 100.0, rtol=1e-12)
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


# ---------------------------------------------------------------- minimum
def test_minimum_hand() -> None:
    x = np.array([[3.0, nan, 1.0, 7.0], [nan, nan, 2.0, nan], [5.0, 4.0, nan, nan]])
    w = np.array([[1.0, 1.0, 0.0, 9.0], [0.0, 0.0, 1.0, 1.0]])
    # node 0 = children 0, 1, 3 (child 2 has weight 0): unit 0 min(3, 7) = 3; unit 1 none -> NaN; unit 2 min(5, 4)
    # node 1 = children 2, 3: unit 0 min(1, 7) = 1; unit 1: 2; unit 2: none -> NaN
    assert_allclose(ag.minimum(x, w), [[3.0, 1.0], [nan, 2.0], [4.0, nan]])
    # the sizes of the weights do not matter, only membership
    assert_allclose(ag.minimum(x, w * np.array([[5.0, 0.1, 1.0, 2.0]])), ag.minimum(x, w))


def test_minimum_is_the_power_mean_limit() -> None:
    x = np.array([[2.0, 3.0, 9.0]])
    assert_allclose(ag.power_mean(x, np.ones((1, 3)), p=-200.0), ag.minimum(x, np.ones((1, 3))), rtol=1e-2)


# ---------------------------------------------------------------- Mazziotta-Pareto
def test_mpi_hand() -> None:
    # z = 100, 110, 90: M = 100, S^2 = (0 + 100 + 100) / 3 = 200/3, cv = S / M;
    # MPI- = M - S cv = 100 - (200/3) / 100 = 99.333..., MPI+ = 100.666...
    z = np.array([[100.0, 110.0, 90.0]])
    assert_allclose(ag.mpi(z, np.ones((1, 3))), [[100.0 - 2.0 / 3.0]])
    assert_allclose(ag.mpi(z, np.ones((1, 3)), penalty="add"), [[100.0 + 2.0 / 3.0]])
    # weighted (Mazziotta & Pareto 2022): weights 2, 1, 1 -> M = 400/4 = 100,
    # S^2 = (2*0 + 100 + 100) / 4 = 50 -> 100 - 50/100 = 99.5
    assert_allclose(ag.mpi(z, np.array([[2.0, 1.0, 1.0]])), [[99.5]])
    # a balanced unit is not penalised; an unbalanced one with the same mean is
    z2 = np.array([[105.0, 105.0], [95.0, 115.0]])
    assert_allclose(ag.mpi(z2, np.ones((1, 2))), [[105.0], [105.0 - 100.0 / 105.0]])


def test_mpi_compind_relation() -> None:
    """Compind's ci_mpi computes M (1 - cv^2) with the sample variance (m - 1): the same penalty times m/(m-1)."""
    rng = np.random.default_rng(3)
    z = rng.normal(100.0, 10.0, size=(6, 4))
    ours = ag.mpi(z, np.ones((1, 4)))[:, 0]
    m, s2 = z.mean(axis=1), z.var(axis=1, ddof=1)
    compind = m * (1 - s2 / m**2)
    assert_allclose((m - ours) * 4 / 3, m - compind, rtol=1e-12)


def test_mpi_missing_and_degenerate() -> None:
    z = np.array([[100.0, nan, 90.0], [nan, nan, nan]])
    # unit 0: children 100 and 90 -> M = 95, S^2 = 25 -> 95 - 25/95
    assert_allclose(ag.mpi(z, np.ones((1, 3))), [[95.0 - 25.0 / 95.0], [nan]])
    with pytest.raises(DegenerateInputError) as err:  # z-scores around 0: cv undefined
        ag.mpi(np.array([[1.0, 1.0], [-1.0, 0.5]]), np.ones((1, 2)))
    assert err.value.units == (1,) and err.value.columns == (0, 1)
    assert_allclose(ag.mpi(np.array([[-3.0, -3.0]]), np.ones((1, 2))), [[-3.0]])  # no spread, no penalty
    with pytest.raises(MethodError, match="one of 'subtract', 'add'"):
        ag.mpi(z, np.ones((1, 3)), penalty="minus")  # type: ignore[arg-type]


def test_ampi_hand() -> None:
    # goalpost scores 50, 100, 0 on [0, 100] -> r = 100, 130, 70 on AMPI's scale:
    # M = 100, S^2 = (0 + 900 + 900) / 3 = 600 -> AMPI- = 100 - 600/100 = 94 -> (94 - 70) / 0.6 = 40
    x = np.array([[50.0, 100.0, 0.0]])
    assert_allclose(ag.ampi(x, np.ones((1, 3))), [[40.0]])
    # goalposts normalised onto [70, 130] directly: the published AMPI value itself
    assert_allclose(ag.ampi(70.0 + 0.6 * x, np.ones((1, 3)), low=70.0, high=130.0), [[94.0]])
    assert_allclose(ag.ampi(70.0 + 0.6 * x, np.ones((1, 3)), low=70.0, high=130.0, penalty="add"), [[106.0]])
    # at the reference everywhere: 100 on AMPI's scale, the middle of [low, high]
    assert_allclose(ag.ampi(np.full((1, 3), 50.0), np.ones((1, 3))), [[50.0]])
    with pytest.raises(MethodError, match="above 'low'"):
        ag.ampi(x, np.ones((1, 3)), low=1.0, high=1.0)


def test_ampi_is_comparable_over_time() -> None:
    """Fixed goalposts: a unit's AMPI does not depend on the other units (unlike MPI's z-scores)."""
    x = np.array([[20.0, 80.0], [60.0, 60.0], [90.0, 10.0]])
    w = np.ones((1, 2))
    assert_allclose(ag.ampi(x[:1], w), ag.ampi(x, w)[:1])
    # balanced beats unbalanced at the same mean
    a = ag.ampi(np.array([[50.0, 50.0], [30.0, 70.0]]), w)
    assert a[0, 0] == 50.0 and a[1, 0] < 50.0


# ---------------------------------------------------------------- benefit of the doubt
def test_bod_hand() -> None:
    # A = (2, 1), B = (1, 2), C = (1, 1). A and B are each best with some weights -> 100.
    # C: maximise v1 + v2 s.t. 2 v1 + v2 <= 1, v1 + 2 v2 <= 1 -> v1 = v2 = 1/3 -> 2/3.
    x = np.array([[2.0, 1.0], [1.0, 2.0], [1.0, 1.0]])
    assert_allclose(ag.bod(x, np.ones((1, 2))), [[100.0], [100.0], [200.0 / 3.0]], rtol=1e-9)
    assert_allclose(ag.bod(x, np.ones((1, 2)), high=1.0), [[1.0], [1.0], [2.0 / 3.0]], rtol=1e-9)


def test_bod_share_bounds_hand() -> None:
    # A = (4, 1), B = (1, 4), C = (2, 2). Free weights: A = B = 1, C: v1 = v2 = 1/5 -> 0.8.
    # Shares of A bounded to [0.4, 0.6]: child 0's share a at most 0.6, v1 = a CI / 4, v2 = (1 - a) CI;
    # B's constraint v1 + 4 v2 <= 1 gives CI <= 1 / (4 - 3.75 a) -> 1 / 1.75 = 4/7 at a = 0.6 (B alike).
    # C's shares are 1/2 at v1 = v2, inside the bounds: still 0.8.
    x = np.array([[4.0, 1.0], [1.0, 4.0], [2.0, 2.0]])
    w = np.ones((1, 2))
    assert_allclose(ag.bod(x, w), [[100.0], [100.0], [80.0]], rtol=1e-9)
    assert_allclose(ag.bod(x, w, min_share=0.4, max_share=0.6), [[400.0 / 7], [400.0 / 7], [80.0]], rtol=1e-9)
    # equal shares forced: CI_u = 1 / max_j sum_c (x_jc / x_uc) / 2 ... for A: max(1, (1/4 + 4)/2, (2/4 + 2)/2) = 2.125
    assert_allclose(ag.bod(x, w, min_share=0.5, max_share=0.5)[0, 0], 100.0 / 2.125, rtol=1e-9)


def test_bod_missing_values_and_members() -> None:
    # node 0 = children 0, 1; child 2 is not a member (weight 0)
    x = np.array([[2.0, nan, 50.0], [1.0, 2.0, 0.0], [1.0, 1.0, 0.0], [nan, nan, 1.0]])
    w = np.array([[1.0, 3.0, 0.0]])
    # unit 0 only has child 0: max 2 v1 s.t. 2 v1 <= 1, v1 <= 1 -> 1.
    # unit 1: v1 + 2 v2 s.t. 2 v1 <= 1 (unit 0: child 1 missing counts 0), v1 + 2 v2 <= 1, v1 + v2 <= 1 -> 1
    # unit 2: v1 + v2 s.t. 2 v1 <= 1, v1 + 2 v2 <= 1 -> v1 = 1/2, v2 = 1/4 -> 3/4. unit 3: no present child.
    assert_allclose(ag.bod(x, w), [[100.0], [100.0], [75.0], [nan]], rtol=1e-9)


def test_bod_invariants() -> None:
    rng = np.random.default_rng(5)
    x = rng.uniform(1.0, 10.0, size=(8, 3))
    w = np.ones((1, 3))
    s = ag.bod(x, w)[:, 0]
    assert np.all(s <= 100.0 + 1e-9) and np.isclose(s.max(), 100.0)
    # units invariance: rescaling a child changes nothing
    assert_allclose(ag.bod(x * np.array([10.0, 0.01, 3.0]), w)[:, 0], s, rtol=1e-8)
    # the unit best on a single child is on the frontier
    for c in range(3):
        assert np.isclose(s[np.argmax(x[:, c])], 100.0)
    # most favourable: no fixed weighting gives a unit a better relative score
    for v in rng.dirichlet(np.ones(3), size=200):
        ratio = 100.0 * (x @ v) / (x @ v).max()
        assert np.all(s >= ratio - 1e-7)
    # weights varying along a batch axis with the same members give the same scores
    assert_allclose(ag.bod(x, np.stack([w, 5 * w]))[1], ag.bod(x, w), rtol=1e-12)


def test_bod_errors() -> None:
    w = np.ones((1, 2))
    with pytest.raises(DegenerateInputError) as err:
        ag.bod(np.array([[1.0, 2.0], [-1.0, 2.0]]), w)
    assert err.value.units == (1,) and err.value.columns == (0,)
    with pytest.raises(DegenerateInputError, match="k \\* min_share <= 1 <= k \\* max_share") as err2:
        ag.bod(np.array([[1.0, 2.0], [3.0, nan]]), w, max_share=0.6)  # one child cannot hold 100 % <= 60 %
    assert err2.value.units == (1,)
    with pytest.raises(MethodError, match="0 <= min_share <= max_share <= 1"):
        ag.bod(np.ones((2, 2)), w, min_share=0.7, max_share=0.6)
    with pytest.raises(MethodError, match="positive number"):
        ag.bod(np.ones((2, 2)), w, high=0.0)
    assert_allclose(ag.bod(np.zeros((3, 2)), w), 0.0)  # nobody scores: every weighted sum is 0



def _bod_plain(x: np.ndarray, min_share: float = 0.0, max_share: float = 1.0) -> np.ndarray:
    """Reference: one linear programme per unit, every unit's constraint, no shortcut (one node, all members)."""
    from scipy.optimize import linprog

    xz = np.nan_to_num(x)
    out = np.full(len(x), nan)
    for u in range(len(x)):
        use = ~np.isnan(x[u])
        if not use.any():
            continue
        yu, k = x[u, use], int(use.sum())
        rows = [xz[:, use]]
        rhs = [np.ones(len(x))]
        for c in range(k):
            e = np.zeros(k)
            e[c] = yu[c]
            rows += [e - max_share * yu, min_share * yu - e]
            rhs += [np.zeros(1), np.zeros(1)]
        res = linprog(-yu, A_ub=np.vstack([np.atleast_2d(r) for r in rows]), b_ub=np.concatenate(rhs),
                      bounds=(0, None), method="highs")
        out[u] = -res.fun
    return 100.0 * out


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (7, 3), elements=st.floats(0.0, 10.0)), st.floats(0.0, 0.3), st.floats(0.5, 1.0),
       st.integers(0, 20))
def test_bod_equals_one_programme_per_unit(x: np.ndarray, lo: float, hi: float, gap: int) -> None:
    """Grouping the units in one programme and dropping dominated constraints change nothing."""
    x = x.copy()
    if gap < 7:
        x[gap, gap % 3] = nan  # a missing child: another pattern of present children
    got = ag.bod(x, np.ones((1, 3)), min_share=lo, max_share=hi)[:, 0]
    assert_allclose(got, _bod_plain(x, lo, hi), rtol=1e-7, atol=1e-7)
