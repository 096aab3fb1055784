"""The CVXPY grid LASSO against independent solvers, KKT conditions and a closed form."""

import numpy as np
import pytest
from scipy.optimize import minimize

from blasso import feature_matrix, make_grid, make_instance
from blasso.sphere import add_atoms
from blasso.validation import BlassoInputError, SolverError
from blasso.solvers import solve_lasso
from blasso.solvers.polish import equicorrelation_uniqueness

SOLVERS = ["ECOS", "CLARABEL", "SCS"]


def _objective(A, c, y, lam):
    n = A.shape[0]
    return 0.5 / n * np.sum((y - A @ c) ** 2) + lam * np.abs(c).sum()


def _lbfgsb_reference(A, y, lam):
    """Independent solver: the LASSO as a smooth bound-constrained problem in (u, v) >= 0, c = u - v."""
    n, G = A.shape

    def fun(z):
        u, v = z[:G], z[G:]
        r = A @ (u - v) - y
        g = A.T @ r / n
        return 0.5 / n * r @ r + lam * z.sum(), np.concatenate([g + lam, -g + lam])

    res = minimize(fun, np.zeros(2 * G), jac=True, method="L-BFGS-B", bounds=[(0, None)] * (2 * G),
                   options={"maxiter": 20000, "ftol": 1e-16, "gtol": 1e-12, "maxcor": 50})
    return res.x[:G] - res.x[G:]


@pytest.fixture(scope="module")
def problem():
    inst = make_instance(teacher="mixed-signs", n=40, d=3, m=2, seed=3, noise=0.05)
    grid = make_grid("fibonacci", 150, 3)
    return inst, grid, feature_matrix(inst.X, grid.theta)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("lam", [1e-3, 2e-2])
def test_objective_matches_independent_solvers(problem, solver, lam):
    from sklearn.linear_model import Lasso

    inst, grid, A = problem
    res = solve_lasso(inst.X, inst.y, lam, grid, solver=solver)
    sk = Lasso(alpha=lam, fit_intercept=False, tol=1e-14, max_iter=10**6).fit(A, inst.y)
    ref_sk = _objective(A, sk.coef_, inst.y, lam)
    ref_lb = _objective(A, _lbfgsb_reference(A, inst.y, lam), inst.y, lam)
    best = min(ref_sk, ref_lb)
    # the optimum is below both references (up to their own accuracy) and agrees to 1e-6 relative
    assert abs(res.objective - best) <= 1e-6 * best
    assert res.objective <= best * (1 + 1e-9)
    assert abs(res.objective - _objective(A, res.c, inst.y, lam)) <= 1e-14


@pytest.mark.parametrize("solver", SOLVERS)
def test_grid_kkt_and_gap(problem, solver):
    inst, grid, A = problem
    lam = 5e-3
    n = inst.n
    res = solve_lasso(inst.X, inst.y, lam, grid, solver=solver)
    eta = A.T @ res.p / n
    assert np.max(np.abs(eta)) <= 1 + 1e-7
    S = res.support
    assert S.size > 0
    np.testing.assert_allclose(eta[S], np.sign(res.c[S]), atol=1e-7)
    # gap J(c) - D(p) computed here from the formulas, not taken from the solver
    D = lam / n * inst.y @ res.p - lam ** 2 / (2 * n) * res.p @ res.p
    assert res.objective - D <= 1e-8 * res.objective
    assert res.objective - D >= -1e-10 * res.objective  # weak duality (p is grid-feasible up to 1e-7)


@pytest.mark.parametrize("solver", ["ECOS", "CLARABEL"])
def test_dual_from_residual_matches_multiplier(problem, solver):
    inst, grid, _ = problem
    res = solve_lasso(inst.X, inst.y, 1e-2, grid, solver=solver, polish=False)
    assert res.p_multiplier is not None
    np.testing.assert_allclose(res.p, res.p_multiplier, atol=1e-5 * max(1, np.abs(res.p).max()))
    assert res.p_mismatch < 1e-5


def test_oracle_grid_recovers_teacher_to_order_lam():
    """Noiseless paper teacher on an oracle grid: weights within O(lam), unique solution.

    Independent check: with the equicorrelation set E and signs s known, the LASSO
    solution is c_E = c°_E - n lam (A_E^T A_E)^{-1} s (noiseless y = A c°), exactly linear in lam.
    """
    inst = make_instance(teacher="paper", n=100, d=3, m=2, seed=1)
    grid = add_atoms(make_grid("fibonacci", 300, 3), inst.teacher_W)
    A = feature_matrix(inst.X, grid.theta)
    teacher_idx = np.arange(grid.size - 2, grid.size)
    c_true = np.zeros(grid.size)
    c_true[teacher_idx] = inst.teacher_a
    devs = []
    for lam in (1e-4, 5e-5):
        res = solve_lasso(inst.X, inst.y, lam, grid, solver="ECOS")
        u = equicorrelation_uniqueness(A, inst.y, lam, res.c)
        assert u["unique"], u
        E = u["support"]
        assert set(teacher_idx) <= set(E)
        s = np.sign(res.c[E])
        closed = c_true[E] - inst.n * lam * np.linalg.solve(A[:, E].T @ A[:, E], s)
        np.testing.assert_allclose(res.c[E], closed, atol=1e-9)
        dev = res.c - c_true
        devs.append(dev)
        # teacher weights within O(lam): here |dev| <= n lam ||(A_E^T A_E)^{-1} s||_inf
        bound = inst.n * lam * np.abs(np.linalg.solve(A[:, E].T @ A[:, E], s)).max()
        assert np.abs(dev[teacher_idx]).max() <= bound * (1 + 1e-6)
        assert np.abs(dev[teacher_idx]).max() < 100 * lam
    # linear in lam along the path while E is fixed
    np.testing.assert_allclose(devs[0], 2 * devs[1], atol=1e-9)


def test_solver_failures_are_errors(problem):
    inst, grid, _ = problem
    with pytest.raises(SolverError, match="user_limit"):
        solve_lasso(inst.X, inst.y, 1e-2, grid, solver="ECOS", solver_opts={"max_iters": 2})
    with pytest.raises(SolverError, match="does not verify"):
        solve_lasso(inst.X, inst.y, 1e-2, grid, solver="SCS", solver_opts={"max_iters": 5})
    res = solve_lasso(inst.X, inst.y, 1e-2, grid, solver="SCS", solver_opts={"max_iters": 5},
                      allow_inaccurate=True)
    assert res.inaccurate and res.grid_rel_gap > 1e-3


def test_bad_solver_inputs(problem):
    inst, grid, _ = problem
    with pytest.raises(BlassoInputError, match="unknown solver"):
        solve_lasso(inst.X, inst.y, 1e-2, grid, solver="GUROBI")
    with pytest.raises(BlassoInputError, match="dimension"):
        solve_lasso(inst.X[:, :2], inst.y, 1e-2, grid)
    with pytest.raises(BlassoInputError, match="lam"):
        solve_lasso(inst.X, inst.y, 0.0, grid)


def test_auto_chooses_by_estimated_cost():
    from blasso.solvers import AUTO_CVXPY_MAX_S, choose_solver, cvxpy_lasso_seconds

    # n = 1000 with a 4000-direction grid: ECOS took 158 s under load (the fast path 2.7 s)
    assert cvxpy_lasso_seconds(1000, 4000) > AUTO_CVXPY_MAX_S
    assert choose_solver("AUTO", 4000, n=1000) == "FAST"
    assert choose_solver("AUTO", 2000, n=100) == "ECOS"       # small problems stay with CVXPY
    assert choose_solver("AUTO", 30000) == "FAST"              # the grid size alone still decides above 20000
    assert choose_solver("ECOS", 4000, n=1000) == "ECOS"       # an explicit name is never overridden
