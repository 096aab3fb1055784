"""lam >= lam_max gives exactly the zero measure from every solver; just below it, the answer is nonzero and right."""

import numpy as np
import pytest
from sklearn.linear_model import Lasso

from blasso import make_grid, paper_instance
from blasso.cli import main
from blasso.features import lam_max
from blasso.measure import support_threshold
from blasso.solvers import solve_lasso

SOLVERS = ["ECOS", "CLARABEL", "SCS", "FAST"]


@pytest.fixture(scope="module")
def fig2():
    """The paper's Fig. 2 instance on the cube grid ``blasso solve --grid-size 6000`` uses (6,250 atoms)."""
    inst = paper_instance(0)
    return inst, make_grid("auto", 6000, inst.d)


def test_lam_max_is_max_correlation(fig2):
    inst, grid = fig2
    A = np.maximum(inst.X @ grid.theta.T, 0.0)
    assert lam_max(inst.X, inst.y, grid.theta, chunk_bytes=8 * inst.n * 7) == pytest.approx(
        np.max(np.abs(A.T @ inst.y)) / inst.n, rel=1e-14)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("factor", [1.0, 1.0 + 1e-9, 1e3])
def test_zero_measure_at_and_above_lam_max(fig2, solver, factor):
    inst, grid = fig2
    lmax = lam_max(inst.X, inst.y, grid.theta)
    res = solve_lasso(inst.X, inst.y, lmax * factor, grid, solver=solver)
    assert np.count_nonzero(res.c) == 0 and len(res.measure()) == 0
    assert res.status == "optimal"
    assert "lam_max" in res.info["zero_reason"]
    assert res.info["lam_max"] == pytest.approx(lmax, rel=1e-12)
    assert res.objective == pytest.approx(float(inst.y @ inst.y) / (2 * inst.n), rel=1e-15)
    assert abs(res.grid_rel_gap) < 1e-14


def test_cli_lam_1_reports_zero_atoms_with_the_reason(capsys):
    """The issue's command: ECOS used to report 6,248 atoms of total mass 1e-11 here."""
    for solver in ("ECOS", "SCS"):
        assert main(["solve", "--lam", "1", "--grid-size", "6000", "--solver", solver, "--quiet"]) == 0
        out = capsys.readouterr().out
        assert "atoms = 0" in out
        assert "lam_max" in out


@pytest.mark.parametrize("solver", SOLVERS)
def test_just_below_lam_max_matches_sklearn_and_kkt(solver):
    inst = paper_instance(1)
    grid = make_grid("random", 400, inst.d, rng=4)
    A = np.maximum(inst.X @ grid.theta.T, 0.0)
    n = inst.n
    lam = 0.9 * lam_max(inst.X, inst.y, grid.theta)
    res = solve_lasso(inst.X, inst.y, lam, grid, solver=solver)
    assert "zero_reason" not in res.info
    ref = Lasso(alpha=lam, fit_intercept=False, tol=1e-14, max_iter=1_000_000).fit(A, inst.y).coef_
    nu = res.measure()
    assert 0 < len(nu) == np.count_nonzero(ref)
    np.testing.assert_allclose(res.c, ref, atol=1e-7 * np.abs(ref).max())
    # KKT, from our own residual: |eta| <= 1 everywhere, eta = sign(c) on the reported support
    eta = A.T @ (inst.y - A @ res.c) / (n * lam)
    assert np.max(np.abs(eta)) <= 1 + 1e-7
    np.testing.assert_allclose(eta[res.support], np.sign(res.c[res.support]), atol=1e-7)


def test_support_threshold_rule():
    c = np.array([1.0, -0.5, 1e-7, 0.0, 2e-6])
    assert support_threshold(c) == pytest.approx(1e-6)
    # an atom of weight w changes J by ||a||^2 w^2 / (2n) at the optimum: below the gap, it is not resolved
    tau = support_threshold(c, gap=1e-10, n=50, col_norm_max=2.0)
    assert tau == pytest.approx(np.sqrt(2 * 50 * 1e-10) / 2.0)
    assert support_threshold(np.zeros(3)) == 0.0
