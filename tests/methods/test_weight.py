"""Weighting methods: hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from openindex.errors import DegenerateInputError, MethodError
from openindex.methods import registry_for
from openindex.methods import weight as wt

nan = np.nan

# parent 0: children a, b; parent 1: children c, d (d declared with weight 0); parent 2: e
NOMINAL = np.array(
    [
        [1.0, 3.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 2.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, 5.0],
    ]
)
MEMBERS = np.array(
    [
        [True, True, False, False, False],
        [False, False, True, True, False],
        [False, False, False, False, True],
    ]
)
CODES = ("a", "b", "c", "d", "e")


def test_family_registered() -> None:
    assert registry_for("weight") is wt.WEIGHTERS
    assert set(wt.WEIGHTERS) == {"explicit", "equal", "pca", "budget"}


def test_explicit_hand() -> None:
    assert_allclose(
        wt.explicit(NOMINAL),
        [[0.25, 0.75, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 1]],
    )
    # a node with only zero weights keeps zeros (its aggregate will be missing)
    assert_allclose(wt.explicit(np.zeros((1, 2))), [[0.0, 0.0]])
    with pytest.raises(MethodError):
        wt.explicit(-NOMINAL)


def test_equal_uses_members_mask() -> None:
    # with the mask, d (nominal 0) is still a member of parent 1 -> 1/2 each
    assert_allclose(
        wt.equal(NOMINAL, members=MEMBERS),
        [[0.5, 0.5, 0, 0, 0], [0, 0, 0.5, 0.5, 0], [0, 0, 0, 0, 1]],
    )
    # without it, members are the children with positive nominal weight
    assert_allclose(wt.equal(NOMINAL)[1], [0, 0, 1, 0, 0])


def test_pca_hand() -> None:
    # orthogonal zero-mean patterns of equal length
    u = np.array([1.0, 1.0, -1.0, -1.0])
    v = np.array([1.0, -1.0, 1.0, -1.0])
    t = np.array([1.0, -1.0, -1.0, 1.0])
    # corr(x1, x2) = 0.8, x3 uncorrelated with both: R = [[1, .8, 0], [.8, 1, 0], [0, 0, 1]]
    # eigenvalues 1.8 (vector (1, 1, 0)/sqrt 2), 1.0 and 0.2 -> squared loadings (.5, .5, 0)
    x = np.column_stack([u, 0.8 * u + 0.6 * v, t, 5 * u + 2])
    nominal = np.array([[1.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    out = wt.pca(nominal, x=x)
    assert_allclose(out, [[0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]], atol=1e-12)


def test_pca_unequal_hand() -> None:
    # two children with correlation r: first PC is (1, 1)/sqrt 2 whatever r > 0 -> (.5, .5);
    # three children where x3 = x1 and x2 orthogonal: R = [[1,0,1],[0,1,0],[1,0,1]],
    # first eigenvector (1, 0, 1)/sqrt 2 (eigenvalue 2) -> (.5, 0, .5)
    u = np.array([1.0, 1.0, -1.0, -1.0])
    v = np.array([1.0, -1.0, 1.0, -1.0])
    out = wt.pca(np.ones((1, 3)), x=np.column_stack([u, v, 3 * u]))
    assert_allclose(out, [[0.5, 0.0, 0.5]], atol=1e-12)


def test_pca_degenerate() -> None:
    x = np.array([[1.0, 2.0], [2.0, 2.0], [3.0, 2.0], [4.0, 2.0]])
    with pytest.raises(DegenerateInputError) as err:
        wt.pca(np.ones((1, 2)), x=x)
    assert err.value.columns == (1,)
    x2 = np.array([[1.0, 2.0], [2.0, nan], [3.0, 1.0], [nan, 2.0]])
    with pytest.raises(DegenerateInputError, match="every child present"):
        wt.pca(np.ones((1, 2)), x=x2)


def test_budget_hand() -> None:
    experts = [{"a": 60.0, "b": 40.0}, {"a": 20.0, "b": 20.0, "c": 60.0, "zz": 5.0}]
    # mean points: a = 40, b = 30, c = 30, d = 0, e = 0 (zz is not a child here: ignored)
    out = wt.budget(NOMINAL, codes=CODES, members=MEMBERS, allocations=experts)
    # parent 0: 40/70, 30/70; parent 1: c 30 -> 1, d 0; parent 2: nobody allocated -> explicit
    assert_allclose(out, [[4 / 7, 3 / 7, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 1]])
    # no allocations: the explicit weights
    assert_allclose(wt.budget(NOMINAL, codes=CODES), wt.explicit(NOMINAL))
    with pytest.raises(MethodError):
        wt.budget(NOMINAL, codes=CODES, allocations=[{"a": -1.0}])


def test_budget_params_validate_from_yaml_shape() -> None:
    params = wt.WEIGHTERS.validate_params("budget", {"allocations": [{"a": "10", "b": 5}]})
    assert [dict(a) for a in params["allocations"]] == [{"a": 10.0, "b": 5.0}]
    with pytest.raises(MethodError, match="allocations"):
        wt.WEIGHTERS.validate_params("budget", {"allocations": [{"a": "ten"}]})


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, (2, 3, 4), elements=st.floats(0.0, 10.0)))
def test_rows_sum_to_one(nominal: np.ndarray) -> None:
    for f in (wt.explicit, wt.equal):
        out = f(nominal)
        sums = out.sum(axis=-1)
        has = (nominal > 0).any(axis=-1)
        assert_allclose(sums[has], 1.0)
        assert_allclose(sums[~has], 0.0)
        assert np.all(out[nominal == 0] == 0)
