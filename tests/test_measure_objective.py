import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from blasso.measure import Measure, cluster_to_targets
from blasso.objective import (blasso_objective, dual_objective, duality_gap, network_objective,
                              network_output)
from blasso.sphere import random_sphere
from blasso.validation import BlassoInputError


def _net_loop(a, W, X):
    """Independent evaluation of sum_j a_j relu(<w_j, x>) by explicit loops."""
    return np.array([sum(a[j] * max(0.0, W[j] @ x) for j in range(len(a))) for x in X])


@settings(max_examples=30, deadline=None)
@given(M=st.integers(1, 8), d=st.integers(2, 4), seed=st.integers(0, 10**6))
def test_network_measure_roundtrip_and_F_ge_J(M, d, seed):
    rng = np.random.default_rng(seed)
    X = random_sphere(15, d, rng)
    y = rng.standard_normal(15)
    a = rng.standard_normal(M)
    W = rng.standard_normal((M, d)) * rng.uniform(0.1, 3, (M, 1))
    lam = 0.1
    nu = Measure.from_network(a, W)
    # same function
    np.testing.assert_allclose(nu.evaluate(X), _net_loop(a, W, X), rtol=1e-10, atol=1e-12)
    # F_L1 equals J of the induced measure (sum |a_j| ||w_j|| = TV when no directions coincide)
    J = blasso_objective(nu, X, y, lam)
    F1 = network_objective(a, W, X, y, lam, "l1")
    F2 = network_objective(a, W, X, y, lam, "l2")
    assert F1 >= J - 1e-12 and F2 >= J - 1e-12
    assert abs(F1 - J) <= 1e-10 * max(1, J)
    # a balanced network of the measure: L1 = L2 = J
    ab, Wb = nu.to_network()
    np.testing.assert_allclose(np.abs(ab), np.linalg.norm(Wb, axis=1), rtol=1e-12)
    for pen in ("l1", "l2"):
        assert abs(network_objective(ab, Wb, X, y, lam, pen) - J) <= 1e-10 * max(1, J)
    back = Measure.from_network(ab, Wb)
    np.testing.assert_allclose(back.c, nu.c, rtol=1e-12)
    np.testing.assert_allclose(back.theta, nu.theta, atol=1e-12)


def test_F_strictly_above_J_when_merging_opposite_units():
    # two units with the same direction and opposite signs: F counts both, J their difference
    rng = np.random.default_rng(0)
    X = random_sphere(10, 3, rng)
    y = rng.standard_normal(10)
    w = np.array([1.0, 2.0, 0.5])
    a = np.array([1.0, -0.4])
    W = np.vstack([w, 2 * w])
    nu = Measure.from_network(a, W)
    assert len(nu) == 1
    assert abs(nu.c[0] - (1.0 - 0.8) * np.linalg.norm(w)) < 1e-12
    lam = 0.3
    gap = network_objective(a, W, X, y, lam) - blasso_objective(nu, X, y, lam)
    # closed form: lam * (|a1| ||w1|| + |a2| ||w2|| - |c|)
    expected = lam * (1.0 * np.linalg.norm(w) + 0.4 * 2 * np.linalg.norm(w) - abs(nu.c[0]))
    assert abs(gap - expected) < 1e-12


def test_merge_prune_and_cluster():
    t = np.array([[1.0, 0.0], [np.cos(0.01), np.sin(0.01)], [0.0, 1.0]])
    nu = Measure(t, np.array([1.0, 3.0, -2.0]))
    merged = nu.merge(0.05)
    assert len(merged) == 2
    np.testing.assert_allclose(sorted(merged.c), [-2.0, 4.0])
    # |c|-weighted mean angle: (1*0 + 3*0.01)/4
    k = int(np.argmax(merged.c))
    assert abs(np.arctan2(merged.theta[k, 1], merged.theta[k, 0]) - 0.0075) < 1e-6
    assert len(nu.prune(1.5)) == 2
    targets = Measure(np.array([[1.0, 0.0]]), np.array([1.0]))
    cl = cluster_to_targets(nu, targets, max_angle=0.1)
    assert cl["mass"][0] == pytest.approx(4.0) and cl["count"][0] == 2
    assert cl["unassigned_mass"] == pytest.approx(2.0)


def test_weak_duality_on_a_grid(rng):
    # D(s p) <= grid optimum for any p rescaled to grid feasibility; checked against the
    # value of an explicit primal point (any primal point's J bounds the optimum from above).
    X = random_sphere(30, 3, rng)
    theta = random_sphere(200, 3, rng)
    A = np.maximum(X @ theta.T, 0)
    y = rng.standard_normal(30)
    lam = 0.05
    for _ in range(20):
        p = rng.standard_normal(30) * 5
        sup = np.max(np.abs(A.T @ p)) / 30
        c = rng.standard_normal(200) * (rng.uniform(size=200) < 0.05)
        primal = 0.5 / 30 * np.sum((y - A @ c) ** 2) + lam * np.abs(c).sum()
        g = duality_gap(primal, p, y, lam, sup)
        assert g["gap"] >= -1e-12
        assert g["dual"] == pytest.approx(dual_objective(p / max(1, sup), y, lam))


def test_measure_errors():
    with pytest.raises(BlassoInputError, match="unit vector"):
        Measure(np.array([[2.0, 0.0]]), np.array([1.0]))
    with pytest.raises(BlassoInputError, match="length"):
        Measure(np.array([[1.0, 0.0]]), np.array([1.0, 2.0]))
    with pytest.raises(BlassoInputError, match="d = 3"):
        Measure(np.array([[1.0, 0.0]]), np.array([1.0])).evaluate(np.ones((2, 3)) / 2)
    with pytest.raises(BlassoInputError, match="shape"):
        network_output(np.ones(2), np.ones((2, 3)), np.ones((4, 2)) / 2)


def test_merge_survives_underflowing_weights():
    # GD's fading units carry |c| ~ 1e-250: merging must not divide by zero, and keeps the direction
    t = np.array([[1.0, 0.0], [np.cos(0.001), np.sin(0.001)]])
    merged = Measure(t, np.array([1e-300, 3e-300])).merge(0.01)
    assert len(merged) == 1
    assert merged.c[0] == pytest.approx(4e-300, rel=1e-12)
    assert abs(np.arctan2(merged.theta[0, 1], merged.theta[0, 0]) - 0.00075) < 1e-9


def test_covering_radius_probes_independent_of_same_seed_grid():
    from blasso.sphere import covering_radius, make_grid
    g = make_grid("random", 3000, 3, rng=0)
    r = covering_radius(g.theta, n_probe=3000, rng=0)["radius"]
    # a grid of 3000 points on S^2 cannot cover the sphere within 1 degree (cap area argument)
    assert r > np.radians(1.0)
