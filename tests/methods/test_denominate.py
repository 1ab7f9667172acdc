"""Denomination: hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from openindex.errors import DegenerateInputError, MethodError
from openindex.methods import denominate as dn
from openindex.methods import registry_for

nan = np.nan


def test_family_registered() -> None:
    assert registry_for("denominate") is dn.DENOMINATORS
    assert set(dn.DENOMINATORS) == {"none", "by_column"}


def test_none_copies() -> None:
    x = np.array([[1.0, nan]])
    out = dn.none(x)
    assert_array_equal(out, x)
    assert out is not x


def test_by_column_hand() -> None:
    x = np.array([[10.0, 5.0, 3.0], [20.0, 7.0, nan]])
    d = np.array([[2.0, nan, 100.0], [4.0, nan, 50.0]])
    # col 0: 10 / 2 * 1000 = 5000, 20 / 4 * 1000 = 5000; col 1 has no denominator: unchanged
    # col 2: 3 / 100 * 1000 = 30; the missing value stays missing
    out = dn.by_column(x, denominators=d, scale=1000.0)
    assert_allclose(out, [[5000.0, 5.0, 30.0], [5000.0, 7.0, nan]])


def test_missing_denominator_makes_value_missing() -> None:
    x = np.array([[10.0], [20.0]])
    d = np.array([[2.0], [nan]])
    assert_allclose(dn.by_column(x, denominators=d), [[5.0], [nan]])


def test_zero_or_negative_denominator_raises() -> None:
    x = np.ones((3, 3))
    d = np.array([[1.0, nan, 2.0], [0.0, nan, 2.0], [1.0, nan, -5.0]])
    with pytest.raises(DegenerateInputError) as err:
        dn.by_column(x, denominators=d)
    assert err.value.columns == (0, 2)
    assert err.value.units == (1, 2)


def test_batch_and_shape_check() -> None:
    x = np.stack([np.ones((2, 2)), 2 * np.ones((2, 2))])
    d = np.array([[2.0, nan], [4.0, nan]])
    out = dn.by_column(x, denominators=d)
    assert_allclose(out[1], [[1.0, 2.0], [0.5, 2.0]])
    with pytest.raises(MethodError):
        dn.by_column(x, denominators=np.ones((3, 2)))
