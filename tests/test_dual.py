"""p_0 (grid basis pursuit), the p_lam path and the pre-certificate p_V."""

import numpy as np
import pytest
import scipy.linalg
from scipy.optimize import linprog

from blasso.features import feature_matrix
from blasso.instance import make_instance
from blasso.measure import Measure
from blasso.sphere import make_grid
from blasso.validation import BlassoInputError
from blasso.certificates.dual import basis_pursuit_certificate, dual_path, vanishing_derivative_certificate


@pytest.fixture(scope="module")
def bp_case():
    inst = make_instance(teacher="paper", n=30, d=2, m=2, seed=4)
    grid = make_grid("equiangular", 120, 2, oracle_atoms=inst.teacher_measure().theta)
    return inst, grid, basis_pursuit_certificate(inst.X, inst.y, grid, slack_rel=1e-10)


def test_p0_satisfies_grid_kkt_of_basis_pursuit(bp_case):
    inst, grid, bp = bp_case
    A = feature_matrix(inst.X, grid.theta)
    n = inst.n
    eta_g = A.T @ bp.p / n
    assert np.abs(eta_g).max() <= 1 + 1e-7                      # dual feasibility
    assert np.abs(A @ bp.c - inst.y).max() < 1e-7               # primal feasibility
    big = np.abs(bp.c) > 1e-6 * np.abs(bp.c).max()
    np.testing.assert_allclose(eta_g[big], np.sign(bp.c[big]), atol=1e-6)  # complementary slackness
    # strong duality against an independent LP (HiGHS on the primal min ||c||_1, A c = y)
    G = grid.size
    ref = linprog(np.ones(2 * G), A_eq=np.hstack([A, -A]), b_eq=inst.y, bounds=(0, None), method="highs")
    assert ref.status == 0
    assert abs(bp.value - ref.fun) < 1e-6 * max(1, ref.fun)
    assert abs(inst.y @ bp.p / n - ref.fun) < 1e-5 * max(1, ref.fun)


def test_p_lam_converges_to_p0(bp_case):
    inst, grid, bp = bp_case
    # below lam ~ 1e-4 the solver's 1e-8 residual accuracy divided by lam dominates p_lam's error
    path = dual_path(inst.X, inst.y, grid, [1e-1, 3e-2, 1e-2, 3e-3, 1e-3], p0=bp.p)
    dist = path["dist_to_p0"]
    assert np.all(np.diff(dist) < 1e-9)  # non-increasing (p_lam = p_0 up to the QP slack once the support settles)
    assert dist[-1] < 1e-3 and dist[0] > 100 * dist[-1]
    # theory: <y, p_lam> - lam/2 |p_lam|^2 >= <y, p_0> - lam/2 |p_0|^2 and <y, p_lam> <= <y, p_0>
    # give |p_lam| <= |p_0| for every lam
    assert np.all(np.linalg.norm(path["p"], axis=1) <= np.linalg.norm(bp.p) * (1 + 1e-6))


def test_pV_solves_its_equations_with_minimal_norm():
    inst = make_instance(teacher="paper", n=60, d=3, m=2, seed=1)
    nu = inst.teacher_measure()
    pre = vanishing_derivative_certificate(inst.X, nu)
    X, n = inst.X, inst.n
    rows = []
    for j in range(len(nu)):  # independent loop over samples
        v = np.zeros(3)
        for i in range(n):
            if X[i] @ nu.theta[j] > 0:
                v += pre.p[i] * X[i] / n
        np.testing.assert_allclose(v, np.sign(nu.c[j]) * nu.theta[j], atol=1e-12)
        rows.append((X * (X @ nu.theta[j] > 0)[:, None]).T / n)
    M = np.vstack(rows)
    assert pre.consistent and pre.rank == 6 and pre.residual < 1e-12
    # minimal norm: p_V is orthogonal to the null space of the system
    N = scipy.linalg.null_space(M)
    assert np.abs(N.T @ pre.p).max() < 1e-9 * np.linalg.norm(pre.p)
    assert np.all(pre.margins > 0)


def test_pV_reports_inconsistency_for_two_atoms_in_one_cell():
    inst = make_instance(teacher="near-duplicate", n=20, d=3, m=2, seed=0, dup_angle=1e-3)
    nu = inst.teacher_measure()
    pre = vanishing_derivative_certificate(inst.X, nu)
    assert pre.same_cell == [(0, 1)]
    assert not pre.consistent and pre.residual > 1e-4


def test_bad_inputs():
    inst = make_instance(teacher="paper", n=10, d=3, m=2, seed=0)
    with pytest.raises(BlassoInputError, match="d = 2"):
        vanishing_derivative_certificate(inst.X, Measure(np.array([[1.0, 0.0]]), np.array([1.0])))
    with pytest.raises(BlassoInputError, match="zero weight"):
        vanishing_derivative_certificate(inst.X, Measure(np.eye(3)[:1], np.array([0.0])))
    with pytest.raises(BlassoInputError, match="positive"):
        dual_path(inst.X, inst.y, make_grid("fibonacci", 50, 3), [0.1, -1.0])
