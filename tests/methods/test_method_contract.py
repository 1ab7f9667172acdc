"""The method contract, checked for every registered method of every family.

New methods are picked up automatically by iterating the registries; a method with a
context argument needs an entry in ``CONTEXT`` below (the test says so when it is missing).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from openindex.methods import STEPS, registry_for
from openindex.methods.treat import Treated
from openindex.model.framework import Indicator

FAMILIES = STEPS
CASES = [(fam, name) for fam in FAMILIES for name in registry_for(fam)]

N_UNITS, N_IND, N_CHILD = 9, 4, 6


def _data(seed: int) -> np.ndarray:
    """Positive data (units x indicators) with a skewed column, an outlier and some gaps."""
    rng = np.random.default_rng(seed)
    x = rng.lognormal(1.0, 0.5, size=(N_UNITS, N_IND)) + 0.5
    x[:, 1] = x[:, 1] ** 3
    x[seed % N_UNITS, 1] *= 30.0  # an outlier
    x[2, 0] = np.nan
    x[5, 3] = np.nan
    x[(seed + 1) % N_UNITS, 2] = np.nan
    return x


def _children(seed: int) -> np.ndarray:
    """Positive children scores (units x children); unit 3 misses the only child of node 2."""
    rng = np.random.default_rng(100 + seed)
    x = rng.uniform(1.0, 100.0, size=(N_UNITS, N_CHILD))
    x[3, 5] = np.nan
    x[0, 1] = np.nan
    x[7, 2] = np.nan
    return x


_rng = np.random.default_rng(7)
DENOMS = _rng.uniform(1.0, 50.0, size=(N_UNITS, N_IND))
DENOMS[:, 2] = np.nan  # indicator 2 declares no denominator
GROUPS = np.array([0, 0, 1, 1, 1, 2, -1, 2, 0])
PREVIOUS = _rng.uniform(1.0, 10.0, size=(N_UNITS, N_IND))
PREVIOUS[5, 3] = np.nan
GOALPOSTS = np.array([[0.0, 10.0], [0.0, 500.0], [-1.0, 8.0], [1.0, 5.0]])
TARGET = np.array([50.0, 5000.0, 50.0, 50.0])
SCALE = np.array([[0.0, 10.0], [0.0, 4.0], [1.0, 5.0], [0.0, 100.0]])

MEMBERS = np.zeros((3, N_CHILD), dtype=bool)
MEMBERS[0, [0, 1]] = True
MEMBERS[1, [2, 3, 4]] = True
MEMBERS[2, 5] = True
NOMINAL = np.where(MEMBERS, [[1.0, 2.0, 1.0, 0.0, 3.0, 1.0]], 0.0)  # child 3: member with weight 0
WEIGHT_X = np.random.default_rng(11).normal(size=(N_UNITS, N_CHILD))
CODES = ("a", "b", "c", "d", "e", "f")

# context name -> builder(permutation); the permutation is over units for the data
# families and over children for the weight family
CONTEXT: dict[tuple[str, str], Callable[[np.ndarray], Any]] = {
    ("denominate", "denominators"): lambda p: DENOMS[p],
    ("impute", "groups"): lambda p: GROUPS[p],
    ("impute", "previous"): lambda p: PREVIOUS[p],
    ("normalise", "goalposts"): lambda p: GOALPOSTS,
    ("normalise", "target"): lambda p: TARGET,
    ("normalise", "scale"): lambda p: SCALE,
    ("normalise", "direction"): lambda p: np.ones(4),
    ("weight", "members"): lambda p: MEMBERS[:, p],
    ("weight", "x"): lambda p: WEIGHT_X[:, p],
    ("weight", "codes"): lambda p: tuple(CODES[i] for i in p),
}

# non-default user parameters worth exercising in the contract
PARAMS: dict[tuple[str, str], dict[str, Any]] = {
    ("weight", "budget"): {"allocations": [{"a": 10.0, "b": 30.0, "c": 5.0}, {"a": 20.0, "e": 40.0}]},
    ("aggregate", "power_mean"): {"p": 0.5},
}


def _method(fam: str, name: str):
    return registry_for(fam).get(name)


def _optional_context(fam: str, name: str) -> set[str]:
    """Context names with a default (``reference``...): left out by the plain contract checks."""
    method = _method(fam, name)
    sig = inspect.signature(method.func).parameters
    return {c for c in method.needs if sig[c].default is not inspect.Parameter.empty}


def _context(fam: str, name: str, perm: np.ndarray) -> dict[str, Any]:
    ctx = {}
    optional = _optional_context(fam, name)
    for c in _method(fam, name).needs:
        if c in optional:
            continue
        if (fam, c) in CONTEXT:
            ctx[c] = CONTEXT[(fam, c)](perm)
        elif Indicator.per_indicator(c) is not None:
            ctx[c] = _per_indicator_value(c)
        else:
            pytest.fail(f"add a context fixture for {fam} context '{c}' (method '{name}') to CONTEXT")
    return ctx


def _per_indicator_value(name: str) -> np.ndarray:
    """A plausible value of a per-indicator framework field nobody wrote a fixture for, by its orientation.

    So a new method needing a new per-indicator field passes through this contract without editing it:
    an interval is [lo, hi] around the inputs' range, a value a positive number inside it, "none" +1.
    """
    orient = Indicator.per_indicator(name).orient
    if orient == "interval":
        return np.tile([-5.0, 5.0], (N_IND, 1))
    return np.full(N_IND, 1.5 if orient == "value" else 1.0)


def _arr(out: Any) -> np.ndarray:
    return out.x if isinstance(out, Treated) else out


def _run(fam: str, name: str, arr: np.ndarray, perm: np.ndarray | None = None, w: np.ndarray | None = None):
    """Call a method on ``arr`` with its context (permuted by ``perm``) and user params."""
    func = _method(fam, name).func
    params = PARAMS.get((fam, name), {})
    if fam == "aggregate":
        return func(arr, _weights() if w is None else w, **params)
    n = arr.shape[-1] if fam == "weight" else arr.shape[-2]
    perm = np.arange(n) if perm is None else perm
    return func(arr, **_context(fam, name, perm), **params)


def _weights() -> np.ndarray:
    return NOMINAL / NOMINAL.sum(axis=1, keepdims=True)


def _input(fam: str, seed: int = 0) -> np.ndarray:
    if fam == "weight":
        return NOMINAL * (1.0 + seed)
    if fam == "aggregate":
        return _children(seed)
    return _data(seed)


@pytest.mark.parametrize(("fam", "name"), CASES)
def test_output_shape(fam: str, name: str) -> None:
    a = _input(fam)
    out = _run(fam, name, a)
    if fam == "aggregate":
        assert out.shape == (N_UNITS, 3)
    else:
        assert _arr(out).shape == a.shape
    assert _arr(out).dtype == np.float64
    if fam == "treat":
        assert out.how.shape == out.points.shape == (N_IND,)
        assert np.issubdtype(out.how.dtype, np.integer)


@pytest.mark.parametrize(("fam", "name"), CASES)
def test_input_not_mutated(fam: str, name: str) -> None:
    a = _input(fam)
    before = a.copy()
    ctx = _context(fam, name, np.arange(a.shape[-1] if fam == "weight" else a.shape[-2]))
    ctx_before = {k: np.array(v, copy=True) for k, v in ctx.items()}
    w = _weights()
    w_before = w.copy()
    func = _method(fam, name).func
    params = PARAMS.get((fam, name), {})
    if fam == "aggregate":
        func(a, w, **params)
    else:
        func(a, **ctx, **params)
    assert_array_equal(a, before)
    assert_array_equal(w, w_before)
    for k, v in ctx.items():
        assert_array_equal(np.asarray(v), ctx_before[k])


@pytest.mark.parametrize(("fam", "name"), CASES)
def test_missing_values(fam: str, name: str) -> None:
    a = _input(fam)
    out = _arr(_run(fam, name, a))
    if fam == "impute":
        # imputers fill, but never create a gap nor change a present value
        present = ~np.isnan(a)
        assert not np.isnan(out[present]).any()
        assert_array_equal(out[present], a[present])
    elif fam == "weight":
        assert (out[~MEMBERS] == 0).all()
        assert_allclose(out.sum(axis=-1), 1.0)
        assert (out >= 0).all()
    elif fam == "aggregate":
        none_present = (~np.isnan(a)).astype(float) @ (_weights().T > 0).astype(float) == 0
        assert_array_equal(np.isnan(out), none_present)
    else:
        assert_array_equal(np.isnan(out), np.isnan(a))


@pytest.mark.parametrize(("fam", "name"), CASES)
def test_batched_equals_stacked(fam: str, name: str) -> None:
    a, b = _input(fam, 0), _input(fam, 1)
    batched = _run(fam, name, np.stack([a, b]))
    singles = [_run(fam, name, a), _run(fam, name, b)]
    assert_allclose(_arr(batched), np.stack([_arr(s) for s in singles]), rtol=1e-12, atol=1e-12)
    if fam == "treat":
        assert_array_equal(batched.how, np.stack([s.how for s in singles]))
        assert_array_equal(batched.points, np.stack([s.points for s in singles]))
    if fam == "aggregate":  # weights varying along the batch axis, data fixed
        w1, w2 = _weights(), np.where(MEMBERS, np.arange(1.0, N_CHILD + 1.0), 0.0)
        got = _run(fam, name, a, w=np.stack([w1, w2]))
        want = np.stack([_run(fam, name, a, w=w1), _run(fam, name, a, w=w2)])
        assert_allclose(got, want, rtol=1e-12, atol=1e-12)
        # two batch axes
        got2 = _run(fam, name, np.stack([a, b])[:, None], w=np.stack([w1, w2]))
        assert got2.shape == (2, 2, N_UNITS, 3)
        assert_allclose(got2[1, 0], _run(fam, name, b, w=w1), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("fam", "name"), CASES)
def test_permutation_equivariance(fam: str, name: str) -> None:
    a = _input(fam)
    base = _run(fam, name, a)
    if fam == "weight":  # permuting children permutes the weights
        perm = np.array([3, 5, 0, 2, 1, 4])
        out = _run(fam, name, a[:, perm], perm)
        assert_allclose(out, base[:, perm], rtol=1e-9, atol=1e-12)
        return
    perm = np.array([4, 8, 0, 2, 7, 1, 3, 6, 5])
    out = _run(fam, name, a[perm], perm)
    assert_allclose(_arr(out), _arr(base)[perm], rtol=1e-9, atol=1e-12)
    if fam == "treat":
        assert_array_equal(out.how, base.how)
        assert_array_equal(out.points, base.points)
    if fam == "aggregate":  # the order of the children does not matter either
        cperm = np.array([3, 5, 0, 2, 1, 4])
        out = _run(fam, name, a[:, cperm], w=_weights()[:, cperm])
        assert_allclose(out, base, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("fam", "name"), CASES)
def test_deterministic(fam: str, name: str) -> None:
    a = _input(fam)
    assert_array_equal(_arr(_run(fam, name, a)), _arr(_run(fam, name, a)))


@pytest.mark.parametrize(("fam", "name"), CASES)
def test_docstring_and_signature(fam: str, name: str) -> None:
    method = _method(fam, name)
    doc = inspect.getdoc(method.func) or ""
    summary = doc.splitlines()[0] if doc else ""
    assert summary.endswith(".") and len(summary) <= 100, summary
    for section in ("Parameters", "Returns", "Notes", "References"):
        assert f"\n{section}\n" in doc, f"{fam} '{name}' docstring lacks a {section} section"
    notes = doc.split("\nNotes\n", 1)[1].split("\nReferences\n", 1)[0]
    assert "=" in notes, f"{fam} '{name}' Notes state no formula"
    # every user parameter is keyword-only, typed, defaulted and validated from the signature
    for k, p in method.params.items():
        assert p.kind is inspect.Parameter.KEYWORD_ONLY
        assert p.annotation is not inspect.Parameter.empty, f"{name}.{k} has no type hint"
        assert k in doc, f"{fam} '{name}' docstring does not describe parameter '{k}'"
    assert registry_for(fam).validate_params(name, {}) == method.defaults()
    for c in method.needs:
        assert c in doc, f"{fam} '{name}' docstring does not describe context '{c}'"


# --------------------------------------------------------------------------------------
# Scoring against a reference (self-assessment): the optional context ``reference``
# --------------------------------------------------------------------------------------

#: every method whose result depends on the other units takes ``reference``
REFERENCE_EXPECTED = {
    ("impute", m) for m in ("mean", "median", "group_mean", "group_median", "regression")
} | {("treat", m) for m in ("winsorise", "log")} | {
    ("normalise", m) for m in ("minmax", "zscore", "rank", "percentile", "borda", "distance_to_target",
                               "distance_to_frontier", "index_to_mean")}
REFERENCE_CASES = [(fam, name) for fam, name in CASES if "reference" in _method(fam, name).needs]


def test_reference_methods_are_the_unit_dependent_ones() -> None:
    assert set(REFERENCE_CASES) == REFERENCE_EXPECTED
    for fam, name in REFERENCE_CASES:  # a context filled by the pipeline, not a user parameter
        assert "reference" not in _method(fam, name).params
        assert "reference" in _optional_context(fam, name)


def _reference_case(fam: str, seed: int = 0) -> np.ndarray:
    x = _data(seed)
    if fam == "treat":  # make the outlier column fall back to the log transform in one case
        x = x.copy()
        x[:, 3] = np.r_[1.0, 1.0, 1.0, 1.0, 1.0, np.nan, 1.0, 1.0, 500.0]
    return x


def _call_ref(fam: str, name: str, x: np.ndarray, rows: np.ndarray | None, reference: np.ndarray | None) -> Any:
    """Call with the context of units ``rows`` (all when None) and, if given, the whole of ``_data`` as reference."""
    rows = np.arange(x.shape[-2]) if rows is None else rows
    ctx = _context(fam, name, rows)
    if reference is not None:
        ctx["reference"] = reference
        if "reference_groups" in _method(fam, name).needs:
            ctx["reference_groups"] = GROUPS
    return _method(fam, name).func(x, **ctx, **PARAMS.get((fam, name), {}))


@pytest.mark.parametrize(("fam", "name"), REFERENCE_CASES)
def test_reference_of_itself_changes_nothing(fam: str, name: str) -> None:
    x = _reference_case(fam)
    plain, self_ref = _call_ref(fam, name, x, None, None), _call_ref(fam, name, x, None, x)
    assert_allclose(_arr(self_ref), _arr(plain), rtol=1e-12, atol=1e-12)
    if fam == "treat":
        assert_array_equal(self_ref.how, plain.how)
        assert_array_equal(self_ref.points, plain.points)


@pytest.mark.parametrize(("fam", "name"), REFERENCE_CASES)
def test_reference_scores_units_one_at_a_time(fam: str, name: str) -> None:
    """``f(x[i:i+1], reference=x) == f(x)[i:i+1]`` for every unit: the methods are unit-separable."""
    x = _reference_case(fam)
    full = _arr(_call_ref(fam, name, x, None, None))
    for i in range(N_UNITS):
        one = _call_ref(fam, name, x[i:i + 1], np.array([i]), x)
        assert_allclose(_arr(one), full[i:i + 1], rtol=1e-12, atol=1e-12, err_msg=f"unit {i}")
        if fam == "treat":
            assert_array_equal(one.how, _call_ref(fam, name, x, None, None).how)


@pytest.mark.parametrize(("fam", "name"), REFERENCE_CASES)
def test_reference_batched_equals_stacked(fam: str, name: str) -> None:
    a, b = _reference_case(fam, 0), _reference_case(fam, 1)
    new = a[[1, 4]] * 1.1
    got = _call_ref(fam, name, np.stack([new, new]), np.array([1, 4]), np.stack([a, b]))
    want = [_call_ref(fam, name, new, np.array([1, 4]), r) for r in (a, b)]
    assert_allclose(_arr(got), np.stack([_arr(w) for w in want]), rtol=1e-12, atol=1e-12)
    shared = _call_ref(fam, name, np.stack([new, new * 0.9]), np.array([1, 4]), a)  # one reference for the batch
    assert_allclose(_arr(shared)[1], _arr(_call_ref(fam, name, new * 0.9, np.array([1, 4]), a)), rtol=1e-12,
                    atol=1e-12)


def test_reference_bounds_are_fixed() -> None:
    """A unit beyond the reference's range scores beyond [low, high]; the reference decides the bounds."""
    from openindex.methods.normalise import minmax, percentile, rank

    ref = np.array([[0.0], [5.0], [10.0]])
    assert_allclose(minmax(np.array([[15.0], [5.0]]), reference=ref), [[150.0], [50.0]])
    assert_allclose(rank(np.array([[7.0], [5.0]]), reference=ref), [[3.0], [2.0]])
    assert_allclose(percentile(np.array([[7.0], [5.0], [-1.0]]), reference=ref), [[75.0], [50.0], [-25.0]])
