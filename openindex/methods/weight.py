"""Weighting: the weight of every child within its parent node.

Registry family ``"weight"``. Every method takes the framework's nominal weights
``nominal`` of shape ``(..., n_parent, n_child)`` (non-negative; 0 = not a child of
that parent) and returns an array of the same shape in which each row sums to 1 over
the parent's children. A row whose children all get weight 0 stays all 0 (aggregating
that node then gives a missing value).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from openindex.errors import DegenerateInputError, MethodError
from openindex.methods.registry import Registry

__all__ = ["WEIGHTERS", "explicit", "equal", "pca", "budget"]

WEIGHTERS = Registry("weight")


def _as_nominal(nominal: np.ndarray) -> np.ndarray:
    w = np.array(nominal, dtype=np.float64, copy=True)
    if w.ndim < 2:
        raise MethodError(f"Nominal weights must have shape (..., n_parent, n_child). Got {w.shape} instead.")
    if np.isnan(w).any() or (w < 0).any():
        raise MethodError("Nominal weights must be non-negative numbers (0 = not a child of that parent).")
    return w


def _members(w: np.ndarray, members: np.ndarray | None) -> np.ndarray:
    if members is None:
        return w > 0
    try:
        return np.broadcast_to(np.asarray(members, dtype=bool), w.shape)
    except ValueError:
        raise MethodError(
            f"The 'members' mask must have shape {w.shape[-2:]}. Got {np.shape(members)} instead."
        ) from None


def _normalise_rows(w: np.ndarray) -> np.ndarray:
    tot = w.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, w / np.where(tot > 0, tot, 1.0), 0.0)


@WEIGHTERS.register("explicit")
def explicit(nominal: np.ndarray) -> np.ndarray:
    """Use the framework's weights, normalised to sum to 1 within each node.

    Parameters
    ----------
    nominal : ndarray, shape (..., n_parent, n_child)
        Declared weights; 0 = not a child.

    Returns
    -------
    ndarray, shape (..., n_parent, n_child)

    Notes
    -----
    Formula: w_pc = nominal_pc / sum_c' nominal_pc'. A node whose weights are all 0 keeps 0.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.7.
    """
    return _normalise_rows(_as_nominal(nominal))


@WEIGHTERS.register("equal", needs=("members",))
def equal(nominal: np.ndarray, *, members: np.ndarray | None = None) -> np.ndarray:
    """Equal weights over the children of each node.

    Parameters
    ----------
    nominal : ndarray, shape (..., n_parent, n_child)
        Declared weights (only used for membership when ``members`` is None).
    members : ndarray of bool, shape (n_parent, n_child), optional (context)
        Framework membership. Preferred: a child declared with weight 0 is still a member
        and gets 1/k. When None, the members are the children with nominal > 0.

    Returns
    -------
    ndarray, shape (..., n_parent, n_child)

    Notes
    -----
    Formula: w_pc = 1 / k_p for the k_p members c of node p, 0 otherwise.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.7 (equal weighting).
    """
    w = _as_nominal(nominal)
    return _normalise_rows(_members(w, members).astype(np.float64))


def _pca_row(xs: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Squared first-PC loadings of the children ``xs`` (n_units, k), complete cases."""
    if xs.shape[1] == 1:
        return np.ones(1)
    cc = xs[~np.isnan(xs).any(axis=1)]
    if cc.shape[0] < 3:
        raise DegenerateInputError(
            "PCA weights need at least 3 units with every child present",
            columns=cols,
            hint="Impute the missing data first, or use explicit or equal weights for this node.",
        )
    sd = cc.std(axis=0)
    if not (sd > 0).all():
        raise DegenerateInputError(
            "PCA weights of a constant child (no correlation defined)",
            columns=cols[~(sd > 0)],
            hint="Drop the constant indicator or use explicit or equal weights for this node.",
        )
    corr = np.corrcoef(cc, rowvar=False)
    vals, vecs = np.linalg.eigh(corr)
    v = vecs[:, np.argmax(vals)]
    w: np.ndarray = v**2 / np.sum(v**2)
    return w


@WEIGHTERS.register("pca", needs=("x", "members"))
def pca(nominal: np.ndarray, *, x: np.ndarray, members: np.ndarray | None = None) -> np.ndarray:
    """Weights from the first principal component of each node's children.

    Parameters
    ----------
    nominal : ndarray, shape (..., n_parent, n_child)
        Declared weights (only used for membership when ``members`` is None).
    x : ndarray, shape (n_units, n_child) (context)
        Normalised values of the children (NaN = missing); may carry the same leading
        batch axes as ``nominal``.
    members : ndarray of bool, shape (n_parent, n_child), optional (context)
        Framework membership; when None, the children with nominal > 0.

    Returns
    -------
    ndarray, shape (..., n_parent, n_child)

    Raises
    ------
    DegenerateInputError
        A node has fewer than 3 complete cases, or a constant child.

    Notes
    -----
    Rule, for each node p with children C_p: compute the correlation matrix R of
    x[:, C_p] over the units where every child is present (complete cases); take the
    eigenvector v of R with the largest eigenvalue; w_pc = v_c^2 / sum_c' v_c'^2
    (squared loadings, so the sign of v is irrelevant, as in Nicoletti et al.). A node
    with one child gives it weight 1. Unlike the full Handbook procedure (several
    varimax-rotated factors), only the first, unrotated component is used. Weights from
    PCA reward children that correlate with their siblings.

    References
    ----------
    Nicoletti, Scarpetta & Boylaud (2000), "Summary indicators of product market
    regulation...", OECD Economics Department WP 226; OECD/JRC (2008), *Handbook on
    Constructing Composite Indicators*, sections 1.7 and 6.1.
    """
    w = _as_nominal(nominal)
    mem = _members(w, members)
    xs = np.asarray(x, dtype=np.float64)
    if xs.ndim < 2 or xs.shape[-1] != w.shape[-1]:
        raise MethodError(
            f"The context 'x' of weight method 'pca' must have {w.shape[-1]} columns. Got {xs.shape}."
        )
    batch = np.broadcast_shapes(w.shape[:-2], xs.shape[:-2], mem.shape[:-2])
    mem_b: np.ndarray = np.broadcast_to(mem, batch + w.shape[-2:]).reshape(-1, *w.shape[-2:])
    xs_b = np.broadcast_to(xs, batch + xs.shape[-2:]).reshape(-1, *xs.shape[-2:])
    out: np.ndarray = np.zeros(mem_b.shape)
    for b in range(out.shape[0]):
        for p in range(out.shape[1]):
            cols = np.nonzero(mem_b[b, p])[0]
            if cols.size:
                out[b, p, cols] = _pca_row(xs_b[b][:, cols], cols)
    return out.reshape(batch + w.shape[-2:])


@WEIGHTERS.register("budget", needs=("codes", "members"))
def budget(
    nominal: np.ndarray,
    *,
    codes: Sequence[str],
    members: np.ndarray | None = None,
    allocations: Sequence[Mapping[str, float]] = (),
) -> np.ndarray:
    """Budget allocation: experts share points among the children; weights are the mean shares.

    Parameters
    ----------
    nominal : ndarray, shape (..., n_parent, n_child)
        Declared weights: membership (when ``members`` is None) and the fallback.
    codes : sequence of str, length n_child (context)
        Code of every child, to look up the allocations.
    members : ndarray of bool, shape (n_parent, n_child), optional (context)
        Framework membership; when None, the children with nominal > 0.
    allocations : list of dict, default []
        One dict per expert: child code -> budget points (>= 0). Codes not among ``codes``
        are ignored (they may belong to another level of the framework).

    Returns
    -------
    ndarray, shape (..., n_parent, n_child)

    Notes
    -----
    Formula: a_c = (1 / E) sum_e points_ec over the E experts (a code an expert leaves out
    counts as 0 for that expert); w_pc = a_c / sum_{c' in p} a_c' for the members of p.

    Conventions: a member nobody allocated gets 0. With no allocations at all, and for a
    node none of whose children received points, the explicit (nominal) weights are used.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.7 and 6.2
    (budget allocation process).
    """
    w = _as_nominal(nominal)
    if len(codes) != w.shape[-1]:
        raise MethodError(f"budget weights need {w.shape[-1]} child codes. Got {len(codes)}.")
    if not allocations:
        return _normalise_rows(w)
    pts = np.zeros(len(codes))
    index = {c: i for i, c in enumerate(codes)}
    for e, alloc in enumerate(allocations):
        for code, value in alloc.items():
            if not float(value) >= 0:
                raise MethodError(
                    f"The 'allocations' parameter of weight method 'budget' must hold points >= 0. "
                    f"Got {value!r} for '{code}' (expert {e + 1}) instead."
                )
            if code in index:
                pts[index[code]] += float(value)
    pts /= len(allocations)
    mem = _members(w, members)
    alloc_w = _normalise_rows(np.where(mem, pts, 0.0))
    fallback = alloc_w.sum(axis=-1, keepdims=True) == 0
    return np.where(fallback, _normalise_rows(w), alloc_w)
