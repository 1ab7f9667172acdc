"""Denomination: turn counts into rates (per capita, per 1,000 inhabitants, per km2...).

Registry family ``"denominate"``. Every method takes data ``x`` of shape
``(..., n_units, n_ind)`` and returns a new array of the same shape; the input is
never mutated and a missing value (NaN) stays missing.
"""

from __future__ import annotations

import numpy as np

from openindex.errors import DegenerateInputError, MethodError
from openindex.methods.registry import Registry
from openindex.methods.stats import as_data

__all__ = ["DENOMINATORS", "none", "by_column"]

DENOMINATORS = Registry("denominate")


@DENOMINATORS.register("none")
def none(x: np.ndarray) -> np.ndarray:
    """Leave the data as they are (no denomination).

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_ind)
        Raw data; NaN = missing.

    Returns
    -------
    ndarray, shape (..., n_units, n_ind)
        A copy of ``x``.

    Notes
    -----
    Formula: y = x.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.3 (denomination).
    """
    return as_data(x)


@DENOMINATORS.register("by_column", needs=("denominators",))
def by_column(x: np.ndarray, *, denominators: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Divide each indicator by its own denominator (population, area, GDP...), times ``scale``.

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_ind)
        Raw data; NaN = missing.
    denominators : ndarray, shape (n_units, n_ind) (context)
        The denominator of each cell, broadcast against ``x``. A column that is NaN for
        every unit belongs to an indicator that declares no denominator and is left unchanged.
    scale : float, default 1.0
        Multiplier, e.g. 1000 for "per 1,000 inhabitants".

    Returns
    -------
    ndarray, shape (..., n_units, n_ind)

    Raises
    ------
    DegenerateInputError
        A present denominator is zero or negative in a denominated column (``columns`` and
        ``units`` give the positions). Checked on ``denominators`` alone, so the answer does
        not depend on the data or the batch.

    Notes
    -----
    Formula, for a denominated column j: y_ij = x_ij / d_ij * scale.

    Conventions: a column is *denominated* when at least one of its denominators is present.
    In a denominated column a missing denominator makes the value missing (a rate cannot be
    computed); a missing value stays missing.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.3;
    Becker et al. (2024), COINr ``Denominate()``.
    """
    out = as_data(x)
    try:
        d = np.broadcast_to(np.asarray(denominators, dtype=np.float64), out.shape)
    except ValueError:
        raise MethodError(
            f"The 'denominators' of denominate method 'by_column' must have shape {out.shape[-2:]}. "
            f"Got {np.shape(denominators)} instead."
        ) from None
    d3 = d.reshape(-1, *out.shape[-2:])
    used = ~np.all(np.isnan(d3), axis=(0, 1))  # (n_ind,)
    bad = ((d3 <= 0) & used).any(axis=0)  # NaN <= 0 is False
    if bad.any():
        units, cols = np.nonzero(bad)
        raise DegenerateInputError(
            "zero or negative denominator",
            columns=np.unique(cols),
            units=np.unique(units),
            hint="Check the denominator data (a population or area must be positive), "
            "or remove the denominator from these indicators.",
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = out / d * scale
    return np.where(used, rate, out)
