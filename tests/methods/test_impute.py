"""Imputers: hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal

from openindex.errors import MethodError
from openindex.methods import impute as im
from openindex.methods import registry_for

nan = np.nan

X = np.array(
    [
        [1.0, 10.0, nan],
        [nan, 20.0, nan],
        [3.0, nan, nan],
        [8.0, 40.0, nan],
    ]
)


def test_family_registered() -> None:
    assert registry_for("impute") is im.IMPUTERS
    assert set(im.IMPUTERS) == {
        "none",
        "mean",
        "median",
        "group_mean",
        "group_median",
        "regression",
        "carry_forward",
    }


def test_none_copies() -> None:
    out = im.none(X)
    assert_array_equal(out, X)
    assert out is not X


def test_mean_and_median_hand() -> None:
    # col 0: mean (1 + 3 + 8) / 3 = 4, median 3; col 1: mean 70 / 3, median 20
    # col 2 has no present value: stays missing
    assert_allclose(im.mean(X)[[1, 2]], [[4.0, 20.0, nan], [3.0, 70 / 3, nan]])
    assert_allclose(im.median(X)[[1, 2]], [[3.0, 20.0, nan], [3.0, 20.0, nan]])


def test_group_mean_hand() -> None:
    x = np.array(
        [
            [1.0, 5.0],  # group 0
            [3.0, nan],  # group 0
            [nan, 7.0],  # group 0
            [10.0, nan],  # group 1
            [nan, nan],  # group 1: nothing present for column 1 in group 1
            [nan, 9.0],  # no group (-1)
            [20.0, 1.0],  # group 2
        ]
    )
    groups = np.array([0, 0, 0, 1, 1, -1, 2])
    out = im.group_mean(x, groups=groups)
    # unit 1 col 1: group 0 mean of (5, 7) = 6; unit 2 col 0: group 0 mean of (1, 3) = 2
    # unit 3 col 1: group 1 has no present value -> overall mean (5 + 7 + 9 + 1) / 4 = 5.5
    # unit 4 col 0: group 1 mean of (10) = 10; col 1 overall 5.5
    # unit 5 col 0: no group -> overall mean (1 + 3 + 10 + 20) / 4 = 8.5
    want = x.copy()
    want[1, 1], want[2, 0], want[3, 1], want[4, 0], want[4, 1], want[5, 0] = 6, 2, 5.5, 10, 5.5, 8.5
    assert_allclose(out, want)
    # group_median: group 0 median of (1, 3) = 2; overall col-1 median of (1, 5, 7, 9) = 6
    med = im.group_median(x, groups=groups, group="region")
    assert_allclose(med[[1, 2, 3, 5], [1, 0, 1, 0]], [6.0, 2.0, 6.0, 6.5])


def test_group_codes_checked() -> None:
    with pytest.raises(MethodError):
        im.group_mean(X, groups=np.array([0, 1]))


def test_carry_forward_hand() -> None:
    prev = np.array([[0.0, 0.0, 1.0], [2.0, 0.0, nan], [nan, nan, 3.0], [0.0, 0.0, 4.0]])
    out = im.carry_forward(X, previous=prev)
    want = X.copy()
    want[1, 0] = 2.0  # previous edition value
    want[0, 2], want[2, 2], want[3, 2] = 1.0, 3.0, 4.0
    # unit 2 col 1 had no previous value: stays missing; unit 1 col 2 too
    assert_allclose(out, want)


def test_regression_recovers_linear_relation() -> None:
    # column 1 = 2 * column 0 + 1 exactly; the missing cell of unit 2 is 2 * 3 + 1 = 7
    x = np.array([[1.0, 3.0], [2.0, 5.0], [3.0, nan], [4.0, 9.0], [6.0, 13.0]])
    out = im.regression(x, alpha=0.0)
    assert_allclose(out[2, 1], 7.0, rtol=1e-9)
    # the small default ridge penalty shrinks a little towards the mean of column 1 (7.5)
    assert abs(im.regression(x)[2, 1] - 7.0) < 0.01


def test_regression_two_incomplete_columns() -> None:
    # c1 = c0 + 10 and c2 = 3 * c0 exactly; missing cells in both
    c0 = np.arange(1.0, 9.0)
    x = np.column_stack([c0, c0 + 10, 3 * c0])
    x[2, 1] = nan
    x[5, 2] = nan
    out = im.regression(x, alpha=0.0, tol=1e-12, max_iter=500)
    assert_allclose(out[2, 1], 13.0, rtol=1e-6)
    assert_allclose(out[5, 2], 18.0, rtol=1e-6)


def test_regression_leaves_empty_column_missing() -> None:
    out = im.regression(X)
    assert np.isnan(out[:, 2]).all()
    assert not np.isnan(out[:, :2]).any()
    with pytest.raises(MethodError):
        im.regression(X, tol=0.0)


@settings(max_examples=25, deadline=None)
@given(
    arrays(np.float64, (6, 3), elements=st.floats(-100, 100)),
    arrays(bool, (6, 3)),
)
def test_imputers_fill_only_gaps(x: np.ndarray, gaps: np.ndarray) -> None:
    x = np.where(gaps, nan, x)
    groups = np.array([0, 0, 1, 1, -1, 2])
    for name in ("mean", "median", "group_mean", "group_median", "regression"):
        f = im.IMPUTERS.get(name).func
        out = f(x, groups=groups) if name.startswith("group") else f(x)
        assert_array_equal(out[~gaps], x[~gaps])
        has_data = (~gaps).any(axis=0)
        assert not np.isnan(out[:, has_data]).any(), name
        assert np.isnan(out[:, ~has_data]).all(), name
