"""Variance-based (Sobol') sensitivity analysis: the Saltelli design and the first- and total-order estimators.

Plain functions over arrays, SALib-compatible::

    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
    X = sample(problem, 2**10, seed=1)        # (N * (D + 2), k) model inputs
    Y = ishigami(X)                           # evaluate the model, one output per row
    S = analyze(problem, Y, seed=1)           # {"S1", "S1_conf", "ST", "ST_conf", "names"}

``problem`` is SALib's problem dict: ``num_vars`` (k), ``names``, ``bounds`` (uniform
ranges) and optionally ``groups`` (one group name per input; the indices are then those of
the D groups, every input of a group being resampled together). The design is laid out as
SALib's ``SALib.sample.sobol.sample`` lays it out, with the same numbers for the same seed,
so ``SALib.analyze.sobol.analyze`` can analyse a ``Y`` computed on our design and the other
way round. For each of the N base points, in this order:

- row ``A``: the first k coordinates of a 2k-dimensional scrambled Sobol' point;
- rows ``AB_1 .. AB_D``: ``A`` with the inputs of group j taken from ``B``;
- rows ``BA_1 .. BA_D`` (only with ``calc_second_order``): ``B`` with group j from ``A``;
- row ``B``: the last k coordinates of the point.

That is N (D + 2) model runs (N (2D + 2) with second-order indices).

Estimators (Saltelli et al. 2010, Table 2), on the output standardised as SALib does,
y = (Y - mean(Y)) / sd(Y), with V = var([y_A, y_B]) (population variance over the 2N rows):

- first order (Saltelli et al. 2010, eq. (b)): S_j = mean(y_B * (y_ABj - y_A)) / V;
- total order (Jansen 1999): ST_j = mean((y_A - y_ABj)^2) / (2 V);
- second order (Saltelli 2002): S_jk = mean(y_BAj * y_ABk - y_A * y_B) / V - S_j - S_k.

Confidence intervals come from a bootstrap over the N base points (the same resample for
every group): ``S_conf = z * sd(S over resamples)`` with ``z`` the normal quantile of
``(1 + conf_level) / 2``, i.e. the half-width of a normal-approximation interval, as SALib
reports it. With the same ``seed`` the resamples are SALib's, so the intervals match too.

References
----------
Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M., Tarantola, S. (2010),
"Variance based sensitivity analysis of model output. Design and estimator for the total
sensitivity index", *Computer Physics Communications* 181(2):259-270,
doi:10.1016/j.cpc.2009.09.018.
Jansen, M. J. W. (1999), "Analysis of variance designs for model output", *Computer Physics
Communications* 117:35-43.
Saltelli, A. (2002), "Making best use of model evaluations to compute sensitivity indices",
*Computer Physics Communications* 145:280-297.
Sobol', I. M. (2001), *Mathematics and Computers in Simulation* 55:271-280.
Herman, J., Usher, W. (2017), "SALib: an open-source Python library for sensitivity
analysis", *Journal of Open Source Software* 2(9).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import norm, qmc

from openindex.errors import MethodError

__all__ = [
    "sample",
    "analyze",
    "group_names",
    "ishigami",
    "ishigami_indices",
    "sobol_g",
    "sobol_g_indices",
]


def group_names(problem: Mapping[str, Any]) -> tuple[list[str], np.ndarray]:
    """Groups of a problem: their names (order of first appearance) and each input's group index.

    Without ``groups`` every input is its own group, named by ``names``.
    """
    k = int(problem["num_vars"])
    groups = problem.get("groups")
    if groups is None:
        names = list(problem.get("names") or [f"x{i + 1}" for i in range(k)])
        return names, np.arange(k)
    if len(groups) != k:
        raise MethodError(f"The 'groups' of a sensitivity problem must name one group per input ({k}). "
                          f"Got {len(groups)} instead.")
    unique = list(dict.fromkeys(str(g) for g in groups))
    index = {g: i for i, g in enumerate(unique)}
    return unique, np.array([index[str(g)] for g in groups], dtype=int)


def _bounds(problem: Mapping[str, Any]) -> np.ndarray:
    k = int(problem["num_vars"])
    if problem.get("dists") is not None and any(d != "unif" for d in problem["dists"]):
        raise MethodError("Only uniform inputs ('unif') are supported; transform the inputs inside the model.")
    b = np.asarray(problem.get("bounds", [[0.0, 1.0]] * k), dtype=float)
    if b.shape != (k, 2) or not (b[:, 0] < b[:, 1]).all():
        raise MethodError(f"The 'bounds' of a sensitivity problem must be {k} pairs [low, high] with low < high. "
                          f"Got {b.tolist()} instead.")
    return b


def sample(problem: Mapping[str, Any], n: int, seed: int | np.random.Generator | None = None, *,
           calc_second_order: bool = False, scramble: bool = True) -> np.ndarray:
    """Saltelli's design on a scrambled Sobol' sequence (SALib's layout and numbers).

    Parameters
    ----------
    problem : dict
        ``num_vars`` (k), ``names``, ``bounds`` (k pairs; default [0, 1]) and optionally
        ``groups`` (k group names).
    n : int
        Number of base points N; a power of 2 keeps the balance properties of the
        Sobol' sequence (other values are accepted silently).
    seed : int or Generator, optional
        Seed of the scrambling (``scipy.stats.qmc.Sobol(rng=seed)``).
    calc_second_order : bool, default False
        Add the ``BA_j`` rows needed for second-order indices.
    scramble : bool, default True
        Owen (LMS + digital shift) scrambling of the sequence.

    Returns
    -------
    ndarray, shape (N * (D + 2), k), or (N * (2 D + 2), k) with ``calc_second_order``
        Inputs scaled to the bounds; D = number of groups. Row layout: see the module docstring.

    Examples
    --------
    >>> X = sample({"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 1]]}, 4, seed=1)
    >>> X.shape
    (16, 2)
    >>> bool((X[1, 0] == X[3, 0]) and (X[1, 1] == X[0, 1]))  # AB_1 takes a from B, b from A
    True
    """
    k = int(problem["num_vars"])
    if n < 1:
        raise MethodError(f"The number of base points n must be at least 1. Got {n} instead.")
    bounds = _bounds(problem)
    names, col_group = group_names(problem)
    d = len(names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "balance properties" when n is not a power of 2
        warnings.simplefilter("ignore", DeprecationWarning)  # `seed=`: kept so that the numbers are SALib's
        base = qmc.Sobol(d=2 * k, scramble=scramble, seed=seed).random(n)
    a, b = base[:, :k], base[:, k:]
    blocks = [a]
    for j in range(d):
        blocks.append(np.where(col_group == j, b, a))
    if calc_second_order:
        for j in range(d):
            blocks.append(np.where(col_group == j, a, b))
    blocks.append(b)
    out = np.stack(blocks, axis=1).reshape(-1, k)  # base point by base point: A, AB_1.., [BA_1..], B
    return out * (bounds[:, 1] - bounds[:, 0]) + bounds[:, 0]


def _ratio(num: np.ndarray, var: np.ndarray) -> np.ndarray:
    return np.divide(num, var, out=np.zeros_like(var), where=var > np.finfo(float).eps)


def _variance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """V = var([y_A, y_B]) along axis 0 (population variance over the 2N rows)."""
    return np.var(np.r_[a, b], axis=0)


def _first_order(a: np.ndarray, ab: np.ndarray, b: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Saltelli et al. (2010): mean(y_B (y_ABj - y_A)) / V, along axis 0."""
    return _ratio(np.mean(b * (ab - a), axis=0), var)


def _total_order(a: np.ndarray, ab: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Jansen (1999): mean((y_A - y_ABj)^2) / (2 V), along axis 0."""
    return _ratio(0.5 * np.mean((a - ab) ** 2, axis=0), var)


def _second_order(a: np.ndarray, abj: np.ndarray, abk: np.ndarray, baj: np.ndarray, b: np.ndarray,
                  var: np.ndarray) -> np.ndarray:
    """Saltelli (2002): mean(y_BAj y_ABk - y_A y_B) / V - S_j - S_k."""
    vjk = _ratio(np.mean(baj * abk - a * b, axis=0), var)
    return vjk - _first_order(a, abj, b, var) - _first_order(a, abk, b, var)


def analyze(problem: Mapping[str, Any], Y: np.ndarray, *, calc_second_order: bool = False,  # noqa: N803
            num_resamples: int = 1000, conf_level: float = 0.95,
            seed: int | None = None) -> dict[str, Any]:
    """First- and total-order Sobol' indices with bootstrap confidence intervals.

    Parameters
    ----------
    problem : dict
        As given to :func:`sample`.
    Y : ndarray, shape (n_runs,) or (n_runs, n_outputs)
        Model outputs on the rows of :func:`sample` (same order). Several outputs (columns)
        are analysed at once, each standardised on its own.
    calc_second_order : bool, default False
        Whether the design has the ``BA_j`` rows; also returns ``S2`` and ``S2_conf``.
    num_resamples : int, default 1000
        Bootstrap resamples of the N base points.
    conf_level : float, default 0.95
        Level of the intervals.
    seed : int, optional
        Seed of the bootstrap (``np.random.default_rng(seed)``); SALib's resamples for the same
        seed. None draws fresh entropy.

    Returns
    -------
    dict
        ``names`` (the D group names) and ``S1``, ``S1_conf``, ``ST``, ``ST_conf``, each of shape
        (D,) for a 1-D ``Y`` or (D, n_outputs); with second order also ``S2``, ``S2_conf`` (D, D[, n]),
        upper triangle. An output that is constant gives indices 0 (nothing to apportion); an
        output with a missing value (NaN) gives NaN.

    Notes
    -----
    Estimators and the bootstrap: see the module docstring (Saltelli et al. 2010 for S_j,
    Jansen 1999 for ST_j). The point estimates equal SALib's ``sobol.analyze`` on the same Y.

    Examples
    --------
    >>> problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
    >>> S = analyze(problem, ishigami(sample(problem, 2**12, seed=3)), seed=3)
    >>> [round(float(s), 1) for s in S["S1"]]
    [0.3, 0.4, 0.0]
    """
    names, _ = group_names(problem)
    d = len(names)
    y = np.asarray(Y, dtype=float)
    one = y.ndim == 1
    y2 = y.reshape(len(y), -1)
    step = 2 * d + 2 if calc_second_order else d + 2
    if len(y2) % step:
        form = "2D + 2" if calc_second_order else "D + 2"
        raise MethodError(f"Y has {len(y2)} rows, not a multiple of {step} (= {form} for D = {d} groups); was "
                          f"the design sampled with calc_second_order={not calc_second_order}?")
    if not 0 < conf_level < 1:
        raise MethodError(f"The 'conf_level' parameter of analyze must be in (0, 1). Got {conf_level!r} instead.")
    n = len(y2) // step
    z = norm.ppf(0.5 + conf_level / 2)
    r = np.random.default_rng(seed).integers(n, size=(n, num_resamples))
    n_out = y2.shape[1]
    keys = ["S1", "S1_conf", "ST", "ST_conf"]
    out: dict[str, Any] = {k: np.zeros((d, n_out)) for k in keys}
    if calc_second_order:
        out["S2"] = np.full((d, d, n_out), np.nan)
        out["S2_conf"] = np.full((d, d, n_out), np.nan)
    for t in range(n_out):
        col = y2[:, t]
        if np.isnan(col).any():
            for key in out:
                out[key][..., t] = np.nan
            continue
        sd = col.std()
        if not sd > 0:
            continue  # a constant output: every index 0
        col = (col - col.mean()) / sd
        blocks = col.reshape(n, step)
        a, b = blocks[:, 0], blocks[:, -1]
        ar, br = a[r], b[r]
        var, var_r = _variance(a, b), _variance(ar, br)
        spread = np.ptp(np.r_[ar, br]) != 0.0
        for j in range(d):
            ab = blocks[:, 1 + j]
            abr = ab[r]
            out["S1"][j, t] = _first_order(a, ab, b, var)
            out["ST"][j, t] = _total_order(a, ab, var)
            if spread:
                out["S1_conf"][j, t] = z * _first_order(ar, abr, br, var_r).std(ddof=1)
                out["ST_conf"][j, t] = z * _total_order(ar, abr, var_r).std(ddof=1)
        if calc_second_order:
            for j in range(d):
                for k in range(j + 1, d):
                    abj, abk, baj = blocks[:, 1 + j], blocks[:, 1 + k], blocks[:, 1 + d + j]
                    out["S2"][j, k, t] = _second_order(a, abj, abk, baj, b, var)
                    out["S2_conf"][j, k, t] = z * _second_order(ar, abj[r], abk[r], baj[r], br,
                                                                var_r).std(ddof=1)
    if one:
        out = {k: v[..., 0] for k, v in out.items()}
    out["names"] = names
    return out


# --------------------------------------------------------------------------------------
# Test functions with analytic indices
# --------------------------------------------------------------------------------------


def ishigami(X: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:  # noqa: N803
    """The Ishigami function f = sin x1 + a sin^2 x2 + b x3^4 sin x1, on x_i ~ U(-pi, pi).

    Parameters
    ----------
    X : ndarray, shape (n, 3)
    a, b : float, default 7 and 0.1

    Returns
    -------
    ndarray, shape (n,)

    References
    ----------
    Ishigami, T., Homma, T. (1990), *Proc. ISUMA '90*, 398-403; Saltelli et al. (2008),
    *Global Sensitivity Analysis. The Primer*, Wiley. Analytic indices: :func:`ishigami_indices`.
    """
    x = np.asarray(X, dtype=float)
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, np.ndarray]:
    """Analytic Sobol' indices of :func:`ishigami`.

    V = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2; V1 = (1 + b pi^4/5)^2 / 2; V2 = a^2/8;
    V13 = 8 b^2 pi^8 / 225; S = (V1, V2, 0) / V; ST = (V1 + V13, V2, V13) / V.
    For a = 7, b = 0.1: S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437).
    """
    pi = np.pi
    v = a**2 / 8 + b * pi**4 / 5 + b**2 * pi**8 / 18 + 0.5
    v1, v2, v13 = 0.5 * (1 + b * pi**4 / 5) ** 2, a**2 / 8, 8 * b**2 * pi**8 / 225
    return {"S1": np.array([v1, v2, 0.0]) / v, "ST": np.array([v1 + v13, v2, v13]) / v}


def sobol_g(X: np.ndarray, a: Sequence[float]) -> np.ndarray:  # noqa: N803
    """Sobol's G function f = prod_i (|4 x_i - 2| + a_i) / (1 + a_i), on x_i ~ U(0, 1).

    References
    ----------
    Saltelli et al. (2010), *Comput. Phys. Commun.* 181:259-270, section 4. Analytic indices:
    :func:`sobol_g_indices`.
    """
    x = np.asarray(X, dtype=float)
    av = np.asarray(a, dtype=float)
    return np.prod((np.abs(4 * x - 2) + av) / (1 + av), axis=1)


def sobol_g_indices(a: Sequence[float]) -> dict[str, np.ndarray]:
    """Analytic indices of :func:`sobol_g`: V_i = 1 / (3 (1 + a_i)^2), V = prod(1 + V_i) - 1,
    S_i = V_i / V, ST_i = V_i prod_{j != i} (1 + V_j) / V."""
    vi = 1.0 / (3.0 * (1.0 + np.asarray(a, dtype=float)) ** 2)
    v = np.prod(1 + vi) - 1
    return {"S1": vi / v, "ST": vi * np.prod(1 + vi) / (1 + vi) / v}
