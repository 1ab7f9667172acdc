"""The shared NaN-aware statistics: ``ranks`` (NumPy) agrees with ``scipy.stats.rankdata``."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from numpy.testing import assert_array_equal

from openindex.errors import MethodError
from openindex.methods.stats import ranks

nan = np.nan
#: every tie rule ranks() offers; the package uses "min" (rank.py, normalise.py) and "average" (normalise.py)
METHODS = ("min", "average", "max", "dense", "ordinal")


def _scipy(x: np.ndarray, method: str, axis: int) -> np.ndarray:
    return np.asarray(scipy.stats.rankdata(x, method=method, axis=axis, nan_policy="omit"), dtype=np.float64)


def test_ranks_hand() -> None:
    x = np.array([[3.0], [1.0], [3.0], [nan], [2.0]])
    assert_array_equal(ranks(x, "min"), [[3.0], [1.0], [3.0], [nan], [2.0]])
    assert_array_equal(ranks(x, "max"), [[4.0], [1.0], [4.0], [nan], [2.0]])
    assert_array_equal(ranks(x, "average"), [[3.5], [1.0], [3.5], [nan], [2.0]])
    assert_array_equal(ranks(x, "dense"), [[3.0], [1.0], [3.0], [nan], [2.0]])
    assert_array_equal(ranks(x, "ordinal"), [[3.0], [1.0], [4.0], [nan], [2.0]])


def test_ranks_edge_cases() -> None:
    assert ranks(np.zeros((0, 3))).shape == (0, 3)
    assert_array_equal(ranks(np.full((3, 2), nan)), np.full((3, 2), nan))
    assert_array_equal(ranks(np.array([[-0.0], [0.0], [-np.inf], [np.inf]]), "min"), [[2.0], [2.0], [1.0], [4.0]])
    x = np.array([[2.0, 1.0], [1.0, 2.0]])
    before = x.copy()
    ranks(x)
    assert_array_equal(x, before)  # input not mutated
    with pytest.raises(MethodError, match="'method' parameter of ranks"):
        ranks(x, "first")


# values with many ties (a few distinct values, infinities) and missing values
VALUES = st.sampled_from([nan, nan, -np.inf, np.inf, -1.5, -0.0, 0.0, 1.0, 2.0, 2.0, 3.25])


@settings(max_examples=300, deadline=None)
@given(x=arrays(np.float64, array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=6), elements=VALUES),
       method=st.sampled_from(METHODS), data=st.data())
def test_ranks_equal_scipy_rankdata(x: np.ndarray, method: str, data: st.DataObject) -> None:
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1), label="axis")
    got = ranks(x, method, axis=axis)
    assert got.dtype == np.float64 and got.shape == x.shape
    assert_array_equal(got, _scipy(x, method, axis))


@settings(max_examples=100, deadline=None)
@given(x=arrays(np.float64, (3, 7, 4), elements=st.one_of(st.just(nan), st.floats(-100, 100, width=16))),
       method=st.sampled_from(METHODS))
def test_ranks_batch_axes_equal_stacked(x: np.ndarray, method: str) -> None:
    """Ranks of a batch (replications on a leading axis) equal each replication's ranks stacked."""
    assert_array_equal(ranks(x, method), np.stack([ranks(xi, method) for xi in x]))
    assert_array_equal(ranks(x, method), _scipy(x, method, -2))
