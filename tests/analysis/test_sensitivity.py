"""Sobol' design and estimators: analytic test functions and agreement with SALib (a test-only dependency)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from openindex.analysis.sensitivity import (
    analyze,
    group_names,
    ishigami,
    ishigami_indices,
    sample,
    sobol_g,
    sobol_g_indices,
)
from openindex.errors import MethodError

ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}


def test_ishigami_analytic_values():
    exact = ishigami_indices()
    assert np.allclose(exact["S1"], [0.3139, 0.4424, 0.0], atol=5e-5)
    assert np.allclose(exact["ST"], [0.5576, 0.4424, 0.2437], atol=5e-5)


def test_ishigami_indices_within_002_with_n_2_14():
    x = sample(ISHIGAMI, 2**14, seed=11)
    assert x.shape == (2**14 * 5, 3)
    s = analyze(ISHIGAMI, ishigami(x), num_resamples=100, seed=11)
    assert np.abs(s["S1"] - [0.314, 0.442, 0.000]).max() < 0.02
    assert np.abs(s["ST"] - [0.558, 0.442, 0.244]).max() < 0.02
    assert s["names"] == ["x1", "x2", "x3"]
    assert (s["S1_conf"] > 0).all() and (s["S1_conf"] < 0.05).all()


def test_sobol_g_function_analytic_indices():
    a = [0, 1, 4.5, 9, 99, 99]
    problem = {"num_vars": 6, "bounds": [[0, 1]] * 6}
    s = analyze(problem, sobol_g(sample(problem, 2**13, seed=2), a), num_resamples=50, seed=2)
    exact = sobol_g_indices(a)
    assert np.abs(s["S1"] - exact["S1"]).max() < 0.02
    assert np.abs(s["ST"] - exact["ST"]).max() < 0.02


def test_design_layout_a_ab_b():
    problem = {"num_vars": 3, "bounds": [[0, 1]] * 3}
    x = sample(problem, 8, seed=1).reshape(8, 5, 3)  # base point, row (A, AB1, AB2, AB3, B), input
    a, b = x[:, 0], x[:, 4]
    for j in range(3):
        expect = a.copy()
        expect[:, j] = b[:, j]
        assert np.array_equal(x[:, 1 + j], expect)


def test_bounds_scale_the_design():
    x = sample({"num_vars": 2, "bounds": [[-1, 1], [10, 20]]}, 64, seed=0)
    assert x[:, 0].min() >= -1 and x[:, 0].max() <= 1 and x[:, 1].min() >= 10 and x[:, 1].max() <= 20


def test_groups_resample_their_inputs_together():
    problem = {"num_vars": 3, "groups": ["g", "h", "g"], "bounds": [[0, 1]] * 3}
    assert group_names(problem)[0] == ["g", "h"]
    x = sample(problem, 4, seed=3).reshape(4, 4, 3)  # A, AB_g, AB_h, B
    a, b = x[:, 0], x[:, 3]
    assert np.array_equal(x[:, 1], np.column_stack([b[:, 0], a[:, 1], b[:, 2]]))
    assert np.array_equal(x[:, 2], np.column_stack([a[:, 0], b[:, 1], a[:, 2]]))


def test_several_outputs_at_once_equal_one_at_a_time():
    x = sample(ISHIGAMI, 256, seed=4)
    y1, y2 = ishigami(x), ishigami(x, a=2.0, b=0.3)
    both = analyze(ISHIGAMI, np.column_stack([y1, y2]), num_resamples=50, seed=4)
    for t, y in enumerate((y1, y2)):
        one = analyze(ISHIGAMI, y, num_resamples=50, seed=4)
        for key in ("S1", "S1_conf", "ST", "ST_conf"):
            assert np.array_equal(both[key][:, t], one[key])


def test_constant_output_gives_zero_and_missing_output_gives_nan():
    x = sample(ISHIGAMI, 64, seed=5)
    s = analyze(ISHIGAMI, np.column_stack([np.ones(len(x)), np.where(np.arange(len(x)) == 3, np.nan, 1.0)]),
                num_resamples=10, seed=5)
    assert (s["S1"][:, 0] == 0).all() and (s["ST"][:, 0] == 0).all()
    assert np.isnan(s["S1"][:, 1]).all()


def test_bad_inputs_are_named():
    with pytest.raises(MethodError, match="not a multiple of 5"):
        analyze(ISHIGAMI, np.zeros(11))
    with pytest.raises(MethodError, match="'groups' of a sensitivity problem"):
        sample({"num_vars": 2, "groups": ["a"]}, 4)
    with pytest.raises(MethodError, match="'bounds'"):
        sample({"num_vars": 1, "bounds": [[1, 0]]}, 4)


# ---- agreement with SALib ----------------------------------------------------------------

salib = pytest.importorskip("SALib")


@pytest.mark.parametrize("problem", [ISHIGAMI, dict(ISHIGAMI, groups=["a", "b", "a"])], ids=["inputs", "groups"])
@pytest.mark.parametrize("second", [False, True])
def test_design_and_indices_agree_with_salib(problem, second):
    from SALib.analyze import sobol as salib_analyze
    from SALib.sample import sobol as salib_sample

    x = sample(problem, 512, seed=7, calc_second_order=second)
    assert np.array_equal(x, salib_sample.sample(problem, 512, calc_second_order=second, seed=7))
    y = ishigami(x)
    ours = analyze(problem, y, calc_second_order=second, num_resamples=200, seed=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = salib_analyze.analyze(problem, y, calc_second_order=second, num_resamples=200, seed=7)
    keys = ("S1", "S1_conf", "ST", "ST_conf") + (("S2", "S2_conf") if second else ())
    for key in keys:
        assert np.allclose(ours[key], theirs[key], rtol=1e-12, atol=1e-14, equal_nan=True), key


def test_ishigami_2_14_agrees_with_salib_point_estimates():
    from SALib.analyze import sobol as salib_analyze

    x = sample(ISHIGAMI, 2**14, seed=11)
    y = ishigami(x)
    ours = analyze(ISHIGAMI, y, num_resamples=20, seed=1)
    theirs = salib_analyze.analyze(ISHIGAMI, y, calc_second_order=False, num_resamples=20, seed=1)
    assert np.allclose(ours["S1"], theirs["S1"], rtol=1e-12, atol=1e-15)
    assert np.allclose(ours["ST"], theirs["ST"], rtol=1e-12, atol=1e-15)
