"""Cells of the arrangement: the exact cone projection against an independent QP."""

import cvxpy as cp
import numpy as np
import pytest

from blasso.features import eta
from blasso.sphere import random_sphere
from blasso.validation import BlassoInputError
from blasso.certificates.cells import activation_pattern, cell_sup, cell_vector, pattern_key, project_onto_cell


@pytest.mark.parametrize("d", [2, 3, 5])
def test_eta_is_linear_on_a_cell(d):
    rng = np.random.default_rng(d)
    X = random_sphere(30, d, rng)
    p = rng.standard_normal(30)
    T = random_sphere(200, d, rng)
    V = cell_vector(p, X, activation_pattern(X, T))
    # eta = <theta, v_C(theta)>, against the direct feature evaluation
    np.testing.assert_allclose(np.einsum("ij,ij->i", T, V), eta(p, X, T), rtol=0, atol=1e-13)


@pytest.mark.parametrize("seed", range(4))
def test_projection_matches_cvxpy_qp(seed):
    rng = np.random.default_rng(seed)
    d, n = 4, 25
    X = random_sphere(n, d, rng)
    pat = activation_pattern(X, random_sphere(1, d, rng)[0])
    v = rng.standard_normal(d)
    pr = project_onto_cell(v, X, pat)
    s = np.where(pat, 1.0, -1.0)
    th = cp.Variable(d)
    cp.Problem(cp.Minimize(cp.sum_squares(th - v)), [cp.multiply(s, X @ th) >= 0]).solve(solver="CLARABEL")
    ref = np.asarray(th.value)
    assert abs(pr.value - np.linalg.norm(ref)) < 1e-7
    if pr.theta is not None:
        np.testing.assert_allclose(pr.value * pr.theta, ref, atol=1e-6)
        # the maximiser is in the closed cell
        assert np.all(s * (X @ pr.theta) >= -1e-10)


def test_cell_sup_bounds_sampled_points_of_the_cell():
    rng = np.random.default_rng(7)
    X = random_sphere(12, 3, rng)
    p = rng.standard_normal(12)
    T = random_sphere(200000, 3, rng)
    pats = activation_pattern(X, T)
    pat = pats[0]
    inside = np.all(pats == pat, axis=1)
    vals = eta(p, X, T[inside])
    up = cell_sup(p, X, pat, sign=1.0).value
    dn = cell_sup(p, X, pat, sign=-1.0).value
    assert vals.max() <= up + 1e-12 and -vals.min() <= dn + 1e-12
    # dense sampling gets close to the exact value (or both are <= 0)
    assert up - max(vals.max(), 0.0) < 0.02


def test_pattern_key_and_bad_input():
    a = np.array([True, False, True])
    assert pattern_key(a) == pattern_key(a.copy()) != pattern_key(~a)
    with pytest.raises(BlassoInputError, match="pattern has length"):
        cell_vector(np.ones(4), np.eye(4), np.ones(3, dtype=bool))
