"""sup |eta_p| brackets: exact enumeration (d = 2, 3) and branch and bound (any d)
against brute-force dense evaluation and against each other."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blasso.features import eta
from blasso.sphere import equiangular_grid, fibonacci_grid, random_sphere
from blasso.validation import BlassoInputError
from blasso.certificates.cells import activation_pattern
from blasso.certificates.sup import (
    cap_upper_bounds,
    cell_ascent,
    lipschitz_constant,
    sup_abs_eta,
    sup_branch_and_bound,
    sup_exact_circle,
    sup_exact_sphere3,
)

N2 = 400000
DENSE2 = equiangular_grid(N2)
DENSE3 = fibonacci_grid(300000)
H3 = 0.006  # >= covering radius of the 300k Fibonacci lattice (about 3.6/sqrt(N) rad)


def _problem(d, n, seed):
    rng = np.random.default_rng(seed)
    X = random_sphere(n, d, rng)
    p = 3.0 * rng.standard_normal(n)
    return p, X


@pytest.mark.parametrize("d,seed", [(2, 0), (2, 1), (2, 2), (3, 0), (3, 1), (3, 2)])
def test_exact_sup_matches_dense_evaluation_and_branch_and_bound(d, seed):
    p, X = _problem(d, 40 if d == 2 else 25, seed)
    res = (sup_exact_circle if d == 2 else sup_exact_sphere3)(p, X)
    dense = np.abs(eta(p, X, DENSE2 if d == 2 else DENSE3)).max()
    L = lipschitz_constant(p, X)
    assert res.hi >= dense  # an upper bound
    assert res.hi - dense <= L * (np.pi / N2 if d == 2 else H3) + 2 * res.safety  # equal within the resolution
    assert res.lo >= dense - 1e-12  # the enumeration's point beats every dense point
    bb = sup_branch_and_bound(p, X, tol=1e-8, time_budget=20)
    assert bb.stopped == "converged"
    # two independent rigorous methods agree
    assert abs(bb.lo - res.lo) < 1e-7 and bb.hi >= res.lo and res.hi >= bb.lo


@pytest.mark.parametrize("d", [2, 3])
def test_excluded_cells_against_dense_restricted_evaluation(d):
    p, X = _problem(d, 20, 11 + d)
    rng = np.random.default_rng(5)
    excl = activation_pattern(X, random_sphere(3, d, rng))
    dense_pts = DENSE2 if d == 2 else DENSE3
    pats = activation_pattern(X, dense_pts)
    keep = ~np.any(np.all(pats[:, None, :] == excl[None], axis=2), axis=1)
    dense = np.abs(eta(p, X, dense_pts[keep])).max()
    res = (sup_exact_circle if d == 2 else sup_exact_sphere3)(p, X, exclude_patterns=excl)
    L = lipschitz_constant(p, X)
    assert res.hi >= dense
    assert res.hi - dense <= L * (np.pi / N2 if d == 2 else H3) + 2 * res.safety
    bb = sup_branch_and_bound(p, X, exclude_patterns=excl, tol=1e-7, time_budget=20)
    assert bb.hi >= dense and abs(bb.lo - res.lo) < 1e-6


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(d=st.integers(3, 5), n=st.integers(3, 12), seed=st.integers(0, 10**6))
def test_branch_and_bound_is_never_below_dense_random_evaluation(d, n, seed):
    p, X = _problem(d, n, seed)
    res = sup_branch_and_bound(p, X, tol=1e-4, time_budget=1.0)
    T = random_sphere(20000, d, np.random.default_rng(seed + 1))
    dense = np.abs(eta(p, X, T)).max()
    assert res.hi >= dense
    if res.stopped == "converged":  # tol 1e-4 relative to L
        assert res.hi - dense <= 1e-4 * lipschitz_constant(p, X) + 0.05 * lipschitz_constant(p, X)


def test_budget_zero_still_gives_a_valid_bracket():
    p, X = _problem(5, 40, 3)
    res = sup_branch_and_bound(p, X, time_budget=0.0)
    dense = np.abs(eta(p, X, random_sphere(50000, 5, np.random.default_rng(0)))).max()
    assert res.stopped == "budget" and res.hi >= dense


def test_ascent_reaches_the_exact_value_in_d2():
    p, X = _problem(2, 30, 9)
    exact = sup_exact_circle(p, X)
    best, th, e, pts, vals = cell_ascent(p, X, random_sphere(20, 2, np.random.default_rng(1)))
    assert abs(best - exact.lo) < 1e-12  # the local ascent reaches the global max here
    dense = np.abs(eta(p, X, DENSE2)).max()
    assert best >= dense - 1e-12


def test_dispatcher_and_bad_input():
    p, X = _problem(5, 10, 0)
    with pytest.raises(BlassoInputError, match="exact enumeration"):
        sup_abs_eta(p, X, method="exact")
    with pytest.raises(BlassoInputError, match="unknown method"):
        sup_abs_eta(p, X, method="grid")
    with pytest.raises(BlassoInputError, match="length"):
        sup_abs_eta(p[:-1], X)
    with pytest.raises(BlassoInputError, match="d = 2"):
        sup_exact_circle(p, X)


def _points_in_cap(u, r, k, rng):
    """k points of the cap (u, r): geodesic steps from u in random tangent directions."""
    d = u.size
    Z = rng.standard_normal((k, d))
    Z -= (Z @ u)[:, None] * u
    Z /= np.linalg.norm(Z, axis=1, keepdims=True)
    a = r * rng.uniform(0, 1, size=k) ** (1.0 / (d - 1))
    a[:20] = r  # include the rim, where the bound is tightest
    return np.cos(a)[:, None] * u + np.sin(a)[:, None] * Z


@settings(max_examples=40, deadline=None)
@given(d=st.integers(2, 5), n=st.integers(2, 15), seed=st.integers(0, 10**6),
       r=st.floats(1e-3, 2.0))
def test_cap_bound_dominates_eta_inside_the_cap(d, n, seed, r):
    p, X = _problem(d, n, seed)
    rng = np.random.default_rng(seed + 7)
    u = random_sphere(1, d, rng)[0]
    ub = cap_upper_bounds(p, X, u[None], [r])[0]
    pts = _points_in_cap(u, r, 3000, rng)
    assert ub >= np.abs(eta(p, X, pts)).max() - 1e-12


def test_budget_stopped_branch_and_bound_is_still_an_upper_bound():
    for seed in range(5):
        p, X = _problem(4, 30, seed)
        res = sup_branch_and_bound(p, X, tol=1e-9, time_budget=0.03)
        dense = np.abs(eta(p, X, random_sphere(40000, 4, np.random.default_rng(seed)))).max()
        assert res.hi >= dense
