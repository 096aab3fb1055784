"""Fast grid LASSO (blasso.solvers.lasso_fast, blasso.solvers.screening) against independent references.

References: CVXPY + ECOS (a conic interior-point solve of the same problem),
scikit-learn's coordinate descent ``Lasso(alpha=lam, fit_intercept=False)``,
the KKT conditions checked with a dense feature matrix built here, and a
full solve without screening for the safe-screening property.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blasso.instance import make_instance
from blasso.sphere import Grid, make_grid
from blasso.validation import BlassoInputError, SolverError
from blasso.solvers import solve_lasso
from blasso.solvers.lasso_cvxpy import solve_grid_lasso
from blasso.solvers.lasso_fast import active_set_lasso, lasso_path, solve_grid_lasso_fast
from blasso.solvers.screening import gap_safe_keep, residual_gap


def _dense(X, theta):
    """Features built independently of blasso.features."""
    return np.clip(np.einsum("id,gd->ig", X, theta), 0.0, None)


def _objective(A, c, y, lam):
    r = y - A @ c
    return float(r @ r) / (2 * y.size) + lam * float(np.abs(c).sum())


def _kkt_violation(A, c, y, lam):
    """Largest violation of the LASSO optimality conditions, relative to lam."""
    grad = A.T @ (A @ c - y) / y.size
    on = c != 0
    v_on = np.abs(grad[on] + lam * np.sign(c[on])).max(initial=0.0)
    v_off = np.maximum(np.abs(grad[~on]) - lam, 0.0).max(initial=0.0)
    return max(v_on, v_off) / lam


CASES = [  # teacher, n, d, m, seed, lam, grid kind, G
    ("paper", 100, 5, 5, 0, 1e-3, "random", 10_000),
    ("paper", 60, 4, 3, 1, 1e-2, "random", 2_000),
    ("mixed-signs", 50, 3, 3, 2, 3e-3, "random", 1_500),
    ("random", 80, 5, 4, 3, 1e-3, "random", 500),
    ("paper", 100, 5, 5, 4, 1e-3, "cube", 3_000),
    ("near-duplicate", 40, 3, 3, 5, 1e-3, "cube", 1_000),
]


@pytest.mark.parametrize("teacher,n,d,m,seed,lam,kind,G", CASES)
def test_matches_cvxpy_objective_and_support(teacher, n, d, m, seed, lam, kind, G):
    inst = make_instance(teacher=teacher, n=n, d=d, m=m, seed=seed)
    grid = make_grid(kind, G, d, rng=seed + 10)
    fast = solve_grid_lasso_fast(inst.X, inst.y, lam, grid)
    ref = solve_grid_lasso(inst.X, inst.y, lam, grid, solver="ECOS", tol=1e-10)
    assert fast.status == "optimal" and fast.solver == "FAST"
    assert abs(fast.objective - ref.objective) <= 1e-8 * ref.objective
    # the certified gap makes the fast path at least as good as ECOS, up to rounding
    assert fast.objective <= ref.objective * (1 + 1e-12)
    assert fast.info["rel_gap"] <= 1e-10
    big = 1e-4 * np.abs(ref.c).max()
    assert set(np.flatnonzero(np.abs(fast.c) > big)) == set(np.flatnonzero(np.abs(ref.c) > big))
    assert set(fast.support) <= set(np.flatnonzero(np.abs(ref.c) > 1e-9 * np.abs(ref.c).max()))
    assert np.abs(fast.c - ref.c).max() <= 1e-6 * np.abs(ref.c).max()
    # the dual vector (unique) agrees with CVXPY's, and with its multiplier to the ECOS tolerance
    assert np.abs(fast.p - ref.p).max() <= 1e-6 * np.abs(ref.p).max()
    assert np.abs(fast.p - ref.p_multiplier).max() <= 1e-4 * np.abs(ref.p).max()


def test_matches_scikit_learn_lasso():
    sklearn = pytest.importorskip("sklearn.linear_model")
    inst = make_instance(teacher="mixed-signs", n=40, d=3, m=3, seed=2)
    grid = make_grid("random", 500, 3, rng=2)
    lam = 3e-3
    A = _dense(inst.X, grid.theta)
    sk = sklearn.Lasso(alpha=lam, fit_intercept=False, tol=1e-14, max_iter=200_000).fit(A, inst.y)
    fast = solve_grid_lasso_fast(inst.X, inst.y, lam, grid)
    sk_obj = _objective(A, sk.coef_, inst.y, lam)
    assert abs(fast.objective - sk_obj) <= 1e-9 * sk_obj
    assert abs(_objective(A, fast.c, inst.y, lam) - fast.objective) <= 1e-13 * sk_obj
    assert np.abs(fast.c - sk.coef_).max() <= 1e-6 * np.abs(sk.coef_).max()


def test_kkt_on_the_full_grid_chunked():
    inst = make_instance(teacher="paper", n=100, d=5, m=5, seed=4)
    grid = make_grid("random", 40_000, 5, rng=4)
    lam = 1e-3
    res = solve_grid_lasso_fast(inst.X, inst.y, lam, grid, cache_bytes=0, chunk_bytes=2**20)
    assert res.info["dense"] is False
    A = _dense(inst.X, grid.theta)
    assert _kkt_violation(A, res.c, inst.y, lam) <= 1e-9
    assert abs(_objective(A, res.c, inst.y, lam) - res.objective) <= 1e-14
    # the reported gap is the gap of the returned point (dual point s * p, full-grid sup)
    sup = np.abs(A.T @ res.p).max() / inst.n
    assert abs(sup - res.info["sup_eta"]) <= 1e-12
    assert res.info["sup_eta"] <= 1 + 1e-9


def test_chunked_and_dense_identical():
    inst = make_instance(teacher="mixed-signs", n=70, d=4, m=3, seed=5)
    grid = make_grid("random", 3_000, 4, rng=5)
    lam = 2e-3
    A = _dense(inst.X, grid.theta)
    dense = solve_grid_lasso_fast(inst.X, inst.y, lam, grid, A=A)
    chunked = solve_grid_lasso_fast(inst.X, inst.y, lam, grid, cache_bytes=0, chunk_bytes=8 * inst.n * 7)
    assert dense.info["dense"] and not chunked.info["dense"]
    np.testing.assert_array_equal(dense.support, chunked.support)
    assert np.abs(dense.c - chunked.c).max() <= 1e-10 * np.abs(dense.c).max()
    assert abs(dense.objective - chunked.objective) <= 1e-14 * dense.objective
    np.testing.assert_allclose(dense.p, chunked.p, rtol=0, atol=1e-9 * np.abs(dense.p).max())


def _optimum(seed, G, lam):
    inst = make_instance(teacher="random", n=30, d=3, m=3, seed=seed)
    grid = make_grid("random", G, 3, rng=seed)
    A = _dense(inst.X, grid.theta)
    full = solve_grid_lasso_fast(inst.X, inst.y, lam, grid, screen=False, tol=1e-13)
    return inst, A, full


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), G=st.integers(20, 400), log_lam=st.floats(-3.5, -1.0),
       noise=st.floats(0.0, 1.0), kind=st.sampled_from(["perturbed", "zero", "shrunk"]))
def test_screening_never_discards_the_optimal_support(seed, G, log_lam, noise, kind):
    lam = 10.0 ** log_lam
    inst, A, full = _optimum(seed, G, lam)
    c_star = full.c
    # every atom with |eta_{p*}| = 1 (support or equicorrelation set) must survive
    eta_star = np.abs(A.T @ (inst.y - A @ c_star)) / (inst.n * lam)
    must_keep = (eta_star >= 1 - 1e-9) | (c_star != 0)
    rng = np.random.default_rng(seed)
    if kind == "zero":
        c = np.zeros(G)
    elif kind == "shrunk":
        c = (1 - noise) * c_star
    else:
        c = c_star + noise * np.abs(c_star).max(initial=1.0) * rng.standard_normal(G) * (rng.random(G) < 0.1)
    r = inst.y - A @ c
    corr = A.T @ r
    gap = residual_gap(r, float(np.abs(c).sum()), corr, inst.y, lam)
    keep = gap_safe_keep(corr, np.linalg.norm(A, axis=0), gap, inst.n, lam)
    assert keep[must_keep].all()
    # a solve with screening reaches the same optimum
    screened = solve_grid_lasso_fast(inst.X, inst.y, lam, make_grid("random", G, 3, rng=seed),
                                     warm_start=c, tol=1e-13)
    assert abs(screened.objective - full.objective) <= 1e-11 * full.objective


def test_screening_discards_near_the_optimum():
    """Not vacuous: close to the optimum the rule removes most atoms, all with |eta*| < 1."""
    lam = 1e-2
    inst, A, full = _optimum(7, 2_000, lam)
    rng = np.random.default_rng(0)
    c = full.c * (1 + 1e-4 * rng.standard_normal(full.c.size))
    r = inst.y - A @ c
    corr = A.T @ r
    gap = residual_gap(r, float(np.abs(c).sum()), corr, inst.y, lam)
    keep = gap_safe_keep(corr, np.linalg.norm(A, axis=0), gap, inst.n, lam)
    eta_star = np.abs(A.T @ full.p) / inst.n
    assert keep.mean() < 0.5
    assert eta_star[~keep].max() < 1.0
    # warm-started solve from that point screens and reports it
    res = solve_grid_lasso_fast(inst.X, inst.y, lam, make_grid("random", 2_000, 3, rng=7), warm_start=c)
    assert res.info["screened_fraction"] > 0.5
    assert abs(res.objective - full.objective) <= 1e-10 * full.objective


def _cvx_objective_of(B, y, lam):
    import cvxpy as cp
    n = B.shape[0]
    c = cp.Variable(B.shape[1])
    prob = cp.Problem(cp.Minimize(cp.sum_squares(y - B @ c) / (2 * n) + lam * cp.norm1(c)))
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11)
    return prob.value


@pytest.mark.parametrize("shape,duplicate", [((30, 80), False), ((20, 12), True), ((15, 40), True)])
def test_active_set_inner_solver(shape, duplicate):
    """Exact inner solver, including singular Gram matrices (repeated columns, m > n)."""
    rng = np.random.default_rng(shape[0])
    B = rng.standard_normal(shape)
    if duplicate:
        B = np.hstack([B, B[:, :5], -B[:, 5:8]])
    y = rng.standard_normal(shape[0])
    lam = 0.02
    c, steps = active_set_lasso(B, y, lam)
    assert steps > 0
    assert _kkt_violation(B, c, y, lam) <= 1e-10
    ref = _cvx_objective_of(B, y, lam)
    assert abs(_objective(B, c, y, lam) - ref) <= 1e-8 * ref


def test_lasso_path_warm_starts_match_sklearn():
    sklearn = pytest.importorskip("sklearn.linear_model")
    inst = make_instance(teacher="paper", n=50, d=4, m=3, seed=8)
    grid = make_grid("random", 800, 4, rng=8)
    lams = [5e-2, 2e-2, 1e-2]
    path = lasso_path(inst.X, inst.y, lams, grid)
    A = _dense(inst.X, grid.theta)
    for lam, res in zip(lams, path):
        sk = sklearn.Lasso(alpha=lam, fit_intercept=False, tol=1e-14, max_iter=200_000).fit(A, inst.y)
        sk_obj = _objective(A, sk.coef_, inst.y, lam)
        assert res.lam == lam and res.status == "optimal"
        assert abs(res.objective - sk_obj) <= 1e-9 * sk_obj
    cold = solve_grid_lasso_fast(inst.X, inst.y, lams[-1], grid)
    assert path[-1].info["iterations"] <= cold.info["iterations"]


def test_dispatcher_and_cvxpy_keywords():
    inst = make_instance(teacher="paper", n=40, d=3, m=2, seed=9)
    grid = make_grid("random", 300, 3, rng=9)
    res = solve_lasso(inst.X, inst.y, 1e-2, grid, solver="FAST", tol=1e-9, allow_inaccurate=False,
                      solver_opts={"max_iters": 5}, polish=True, gap_tol=1e-7)
    ref = solve_grid_lasso(inst.X, inst.y, 1e-2, grid)
    assert res.solver == "FAST" and res.p_multiplier is None and np.isnan(res.p_mismatch)
    assert abs(res.objective - ref.objective) <= 1e-8 * ref.objective


def test_max_iter_raises_or_flags():
    inst = make_instance(teacher="paper", n=100, d=5, m=5, seed=0)
    grid = make_grid("random", 5_000, 5, rng=0)
    with pytest.raises(SolverError, match="relative gap"):
        solve_grid_lasso_fast(inst.X, inst.y, 1e-3, grid, max_iter=1, ws_start=5)
    res = solve_grid_lasso_fast(inst.X, inst.y, 1e-3, grid, max_iter=1, ws_start=5, allow_inaccurate=True)
    assert res.status == "optimal_inaccurate" and res.inaccurate
    assert res.info["rel_gap"] > 1e-10


def test_bad_inputs():
    inst = make_instance(teacher="paper", n=20, d=3, m=2, seed=0)
    grid = make_grid("random", 50, 3, rng=0)
    X, y = inst.X, inst.y
    with pytest.raises(BlassoInputError, match="lam"):
        solve_grid_lasso_fast(X, y, 0.0, grid)
    with pytest.raises(BlassoInputError, match="dimension"):
        solve_grid_lasso_fast(X, y, 1e-2, make_grid("random", 50, 4, rng=0))
    with pytest.raises(BlassoInputError, match="Grid"):
        solve_grid_lasso_fast(X, y, 1e-2, grid.theta)
    with pytest.raises(BlassoInputError, match="warm_start"):
        solve_grid_lasso_fast(X, y, 1e-2, grid, warm_start=np.zeros(49))
    with pytest.raises(BlassoInputError, match="tol"):
        solve_grid_lasso_fast(X, y, 1e-2, grid, tol=0.0)
    with pytest.raises(BlassoInputError, match="A has shape"):
        solve_grid_lasso_fast(X, y, 1e-2, grid, A=np.zeros((20, 49)))
    with pytest.raises(BlassoInputError, match="chunk_bytes"):
        solve_grid_lasso_fast(X, y, 1e-2, grid, cache_bytes=0, chunk_bytes=8)
    with pytest.raises(BlassoInputError, match="unknown keyword"):
        solve_grid_lasso_fast(X, y, 1e-2, grid, solver_tol=1e-3)
    with pytest.raises(BlassoInputError, match="y"):
        solve_grid_lasso_fast(X, np.r_[y[:-1], np.nan], 1e-2, grid)
    with pytest.raises(BlassoInputError, match="lams"):
        lasso_path(X, y, [], grid)
    with pytest.raises(BlassoInputError, match="ws_growth"):
        solve_grid_lasso_fast(X, y, 1e-2, grid, ws_growth=0.5)
    assert isinstance(grid, Grid)
