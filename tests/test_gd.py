"""Algorithm 1 (blasso.solvers.gd): gradients, step rule, invariances, dead units, L1 vs L2.

Independent checks: central finite differences of
``blasso.objective.network_objective`` (a separate implementation of F), the
step formula evaluated unit by unit in a Python loop, permutations, and the
BLASSO objective of the induced measure through ``blasso.objective``.
"""

import numpy as np
import pytest

from blasso.measure import Measure
from blasso.objective import blasso_objective, network_objective
from blasso.sphere import random_sphere
from blasso.validation import BlassoInputError
from blasso.solvers.gd import gradients, init_network, loss, run_gd, step_sizes, trace_schedule


def _data(n=40, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = random_sphere(n, d, rng)
    Wt = random_sphere(3, d, rng)
    y = np.maximum(X @ Wt.T, 0.0) @ np.array([1.0, -0.7, 0.5]) + 0.01 * rng.standard_normal(n)
    return X, y


def _params(M, d, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(M)
    W = rng.standard_normal((M, d))
    return a, W


def _fd_grad(a, W, X, y, lam, penalty, h=1e-6):
    """Central differences of the independent ``network_objective``."""
    def F(a_, W_):
        return network_objective(a_, W_, X, y, lam, penalty=penalty)
    ga = np.zeros_like(a)
    gW = np.zeros_like(W)
    for j in range(a.size):
        e = np.zeros_like(a)
        e[j] = h
        ga[j] = (F(a + e, W) - F(a - e, W)) / (2 * h)
    for idx in np.ndindex(W.shape):
        E = np.zeros_like(W)
        E[idx] = h
        gW[idx] = (F(a, W + E) - F(a, W - E)) / (2 * h)
    return ga, gW


@pytest.mark.parametrize("penalty", ["l1", "l2"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_gradients_match_finite_differences(penalty, seed):
    X, y = _data()
    a, W = _params(7, X.shape[1], seed)
    # away from ReLU kinks: every |<w_j, x_i>| is well above the FD step
    assert np.abs(X @ W.T).min() > 1e-4
    lam = 0.05
    g, h = gradients(a, W, X, y, lam, penalty=penalty)
    ga, gW = _fd_grad(a, W, X, y, lam, penalty)
    assert np.linalg.norm(g - ga) <= 1e-6 * np.linalg.norm(ga)
    assert np.linalg.norm(h - gW) <= 1e-6 * np.linalg.norm(gW)


def test_loss_matches_network_objective():
    X, y = _data()
    a, W = _params(6, X.shape[1], 4)
    for pen in ("l1", "l2"):
        assert loss(a, W, X, y, 0.1, pen) == pytest.approx(network_objective(a, W, X, y, 0.1, pen), rel=1e-13)


def test_step_rule_matches_formula_unit_by_unit():
    a, W = _params(9, 3, 5)
    a[2] = 0.0            # dead by a
    W[4] = 0.0            # dead by w
    eta = step_sizes(a, W, alpha=0.7)
    for j in range(a.size):
        nw = float(np.sqrt(sum(v * v for v in W[j])))
        den = a[j] ** 2 + nw ** 2
        expected = 0.7 * abs(a[j]) * nw / den if den > 0 else 0.0
        assert eta[j] == pytest.approx(expected, rel=1e-14, abs=1e-300)
    assert eta[2] == 0 and eta[4] == 0
    assert np.all(eta <= 0.7 / 2 + 1e-15)  # AM-GM: |a| ||w|| <= (a^2 + ||w||^2) / 2
    assert np.all(step_sizes(a, W, alpha=0.3, step="constant") == 0.3)


@pytest.mark.parametrize("penalty", ["l1", "l2"])
def test_one_iteration_is_algorithm_1(penalty):
    """One step of run_gd = (a, W) - eta * FD-gradient, eta from the scalar formula."""
    X, y = _data()
    a, W = _params(5, X.shape[1], 6)
    lam, alpha = 0.02, 0.4
    res = run_gd(X, y, lam, init=(a, W), penalty=penalty, alpha=alpha, max_iter=1)
    ga, gW = _fd_grad(a, W, X, y, lam, penalty)
    eta = np.array([alpha * abs(a[j]) * np.linalg.norm(W[j]) / (a[j] ** 2 + W[j] @ W[j]) for j in range(5)])
    np.testing.assert_allclose(res.a, a - eta * ga, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.W, W - eta[:, None] * gW, rtol=1e-8, atol=1e-10)
    plain = run_gd(X, y, lam, init=(a, W), penalty=penalty, step="constant", alpha=alpha, max_iter=1)
    np.testing.assert_allclose(plain.a, a - alpha * ga, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(plain.W, W - alpha * gW, rtol=1e-8, atol=1e-10)


def test_permuting_units_changes_nothing():
    X, y = _data()
    a, W = init_network(12, X.shape[1], 3)
    perm = np.random.default_rng(9).permutation(12)
    r1 = run_gd(X, y, 0.01, init=(a, W), alpha=1.0, max_iter=300)
    r2 = run_gd(X, y, 0.01, init=(a[perm], W[perm]), alpha=1.0, max_iter=300)
    np.testing.assert_allclose(r2.a, r1.a[perm], rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(r2.W, r1.W[perm], rtol=1e-9, atol=1e-13)
    assert r2.J == pytest.approx(r1.J, rel=1e-12)


def test_init_is_the_paper_initialisation():
    a, W = init_network(10, 4, 0)
    assert np.all(a[:5] == 0.2) and np.all(a[5:] == -0.2)
    np.testing.assert_allclose(np.linalg.norm(W, axis=1), 1.0, atol=1e-14)
    a2, W2 = init_network(10, 4, 0)
    assert np.array_equal(W, W2)                      # explicit seed reproduces
    assert not np.array_equal(W, init_network(10, 4, 1)[1])
    a5, _ = init_network(5, 3, 0)                     # odd M: 3 positive, 2 negative
    assert np.array_equal(np.sign(a5), [1, 1, 1, -1, -1])
    # directions uniform on the sphere: the mean of many is near 0
    _, Wbig = init_network(4000, 3, 1)
    assert np.linalg.norm(Wbig.mean(axis=0)) < 0.06


@pytest.mark.parametrize("penalty", ["l1", "l2"])
def test_dead_units_stay_dead_without_nan(penalty):
    """Units with w = 0 or a = 0 never move and do not change the others' dynamics."""
    X, y = _data()
    a, W = init_network(8, X.shape[1], 2)
    a_dead = np.concatenate([a, [0.3, 0.0]])
    W_dead = np.vstack([W, np.zeros(X.shape[1]), random_sphere(1, X.shape[1], 5)])
    r_dead = run_gd(X, y, 0.01, init=(a_dead, W_dead), penalty=penalty, alpha=1.0, max_iter=200)
    r_ref = run_gd(X, y, 0.01, init=(a, W), penalty=penalty, alpha=1.0, max_iter=200)
    assert np.all(np.isfinite(r_dead.a)) and np.all(np.isfinite(r_dead.W))
    assert r_dead.a[8] == 0.3 and np.all(r_dead.W[8] == 0.0) and r_dead.a[9] == 0.0
    np.testing.assert_allclose(r_dead.a[:8], r_ref.a, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(r_dead.W[:8], r_ref.W, rtol=1e-12, atol=1e-15)
    assert np.all(np.isfinite(r_dead.trace["F"]))


def test_l1_and_l2_agree_at_balanced_parameters():
    X, y = _data()
    rng = np.random.default_rng(11)
    nu = Measure(random_sphere(6, X.shape[1], rng), rng.standard_normal(6))
    a, W = nu.to_network()                       # |a_j| = ||w_j||
    lam = 0.03
    J = blasso_objective(nu, X, y, lam)
    assert loss(a, W, X, y, lam, "l1") == pytest.approx(J, rel=1e-12)
    assert loss(a, W, X, y, lam, "l2") == pytest.approx(J, rel=1e-12)
    g1, h1 = gradients(a, W, X, y, lam, "l1")
    g2, h2 = gradients(a, W, X, y, lam, "l2")
    np.testing.assert_allclose(g1, g2, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(h1, h2, rtol=1e-12, atol=1e-15)
    # unbalanced: L2 penalty is strictly larger (AM-GM), L1 equals J
    a2, W2 = 2 * a, W / 2
    assert loss(a2, W2, X, y, lam, "l1") == pytest.approx(J, rel=1e-12)
    assert loss(a2, W2, X, y, lam, "l2") > J + 0.1 * lam * nu.tv


def test_signs_preserved_and_objective_decreases():
    X, y = _data()
    res = run_gd(X, y, 0.01, 20, alpha=0.5, max_iter=3000, rng=1)
    a0, _ = init_network(20, X.shape[1], 1)
    assert np.all(np.sign(res.a) == np.sign(a0))      # norm-dependent step keeps signs
    F = res.trace["F"]
    assert F[-1] < 0.5 * F[0]
    # the trace's J is the BLASSO objective of the induced measure
    assert res.J == pytest.approx(blasso_objective(res.measure(), X, y, 0.01), rel=1e-10)
    assert res.trace["J"][-1] == pytest.approx(res.J, rel=1e-12)
    np.testing.assert_allclose(res.trace["tv"][-1], res.measure().tv, rtol=1e-10)


def test_trace_schedule_and_trajectory():
    X, y = _data()
    s = trace_schedule(1000, 20)
    assert s[0] == 0 and s[-1] == 1000 and np.all(np.diff(s) > 0)
    res = run_gd(X, y, 0.01, 6, max_iter=1000, rng=0, n_trace=20, record_units=True, check_every=100,
                 X_test=X[:10], y_test=y[:10])
    assert np.array_equal(res.trace["iter"], s)
    T = len(s)
    assert res.trajectory["a"].shape == (T, 6) and res.trajectory["W"].shape == (T, 6, X.shape[1])
    np.testing.assert_allclose(res.trajectory["W"][-1], res.W)
    assert res.trace["test_loss"].shape == (T,)


def test_stopping_rules():
    X, y = _data()
    r = run_gd(X, y, 0.01, 10, max_iter=100000, ftol=1e-6, check_every=100, rng=0)
    assert r.stop_reason == "ftol" and r.n_iter < 100000 and r.n_iter % 100 == 0
    r_t = run_gd(X, y, 0.01, 10, max_iter=100000, target=2 * r.J, check_every=10, rng=0)
    assert r_t.stop_reason == "target" and r_t.J <= 2 * r.J
    r_g = run_gd(X, y, 0.01, 10, max_iter=100000, gtol=1e-3, check_every=10, rng=0)
    assert r_g.stop_reason == "gtol" and r_g.trace["grad_norm"][-1] <= 1e-3
    calls = []
    r_c = run_gd(X, y, 0.01, 10, max_iter=1000, check_every=50, rng=0,
                 callback=lambda info: calls.append(info["iter"]) or info["iter"] >= 200)
    assert r_c.stop_reason == "callback" and r_c.n_iter == 200 and calls == [50, 100, 150, 200]


def test_bad_inputs():
    X, y = _data()
    with pytest.raises(BlassoInputError, match="alpha"):
        run_gd(X, y, 0.01, 4, alpha=0.0)
    with pytest.raises(BlassoInputError, match="penalty"):
        run_gd(X, y, 0.01, 4, penalty="l3")
    with pytest.raises(BlassoInputError, match="width M"):
        run_gd(X, y, 0.01)
    with pytest.raises(BlassoInputError, match="W must have shape"):
        gradients(np.ones(3), np.ones((3, 7)), X, y, 0.01)
    with pytest.raises(BlassoInputError, match="lam"):
        run_gd(X, y, -1.0, 4)
    with pytest.raises(BlassoInputError, match="diverged"):
        run_gd(X, 1e6 * y, 0.01, 4, step="constant", alpha=1e3, max_iter=2000)


def test_ftol_stops_an_oscillating_run():
    """Paper instance, M = 5, alpha = 2: the run stalls at J ~ 0.031 with F oscillating at ~1e-6
    (relative); the best-F criterion stops it, while the M = 100 run keeps improving."""
    from blasso.instance import paper_instance
    inst = paper_instance(0, 1e-3)
    r = run_gd(inst.X, inst.y, 1e-3, 5, alpha=2.0, max_iter=100000, ftol=1e-7, rng=0)
    assert r.stop_reason == "ftol" and r.n_iter <= 10000
    F = r.trace["F"]
    assert F[-1] >= F.min() * (1 - 1e-7)
