"""The population (n -> infinity) pre-certificate: closed forms, eta_V, second-order check, verdicts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from blasso.features import eta as eta_sample
from blasso.instance import make_instance
from blasso.measure import Measure
from blasso.sphere import random_sphere
from blasso.validation import BlassoInputError
from blasso.certificates.dual import vanishing_derivative_certificate
from blasso.certificates.population import (POPULATION_RADII_DEG, arccos_kernel, arccos_kernel_grad,
                                     population_certificate, population_precertificate, second_moment)


def _unit(v):
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


def _J(phi):
    return np.sin(phi) + (np.pi - phi) * np.cos(phi)


@pytest.fixture(scope="module")
def sphere_samples():
    return random_sphere(1_000_000, 4, np.random.default_rng(123))


def _pairs(d, rng):
    """Pairs (u, v) at about 25, 100 and 170 degrees."""
    out = []
    for deg in (25.0, 100.0, 170.0):
        u = _unit(rng.standard_normal(d))
        z = rng.standard_normal(d)
        z = _unit(z - (z @ u) * u)
        a = np.radians(deg)
        out.append((u, np.cos(a) * u + np.sin(a) * z))
    return out


# ------------------------------------------------------------------ closed forms
def test_closed_forms_match_monte_carlo(sphere_samples):
    X = sphere_samples
    n, d = X.shape
    for u, v in _pairs(d, np.random.default_rng(0)):
        ru, rv = np.maximum(X @ u, 0), np.maximum(X @ v, 0)
        both = (ru > 0) & (rv > 0)
        prod = ru * rv
        k_mc, k_se = prod.mean(), prod.std() / np.sqrt(n)
        assert abs(arccos_kernel(u, v)[0, 0] - k_mc) < 5 * k_se + 1e-12
        outer = X[:, :, None] * X[:, None, :] * both[:, None, None]
        M_mc, M_se = outer.mean(axis=0), outer.std(axis=0) / np.sqrt(n)
        assert np.all(np.abs(second_moment(u, v) - M_mc) < 5 * M_se + 1e-12)
        g = X * (X @ u > 0)[:, None] * rv[:, None]
        assert np.all(np.abs(arccos_kernel_grad(u, v)[0, 0] - g.mean(axis=0)) < 5 * g.std(axis=0) / np.sqrt(n) + 1e-12)


def test_gaussian_inputs_scale_by_d():
    d, n = 4, 1_000_000
    G = np.random.default_rng(5).standard_normal((n, d))
    u, v = _pairs(d, np.random.default_rng(1))[1]
    prod = np.maximum(G @ u, 0) * np.maximum(G @ v, 0)
    assert abs(d * arccos_kernel(u, v)[0, 0] - prod.mean()) < 5 * prod.std() / np.sqrt(n)


def test_kernel_gradient_matches_finite_differences():
    rng = np.random.default_rng(2)
    for _ in range(5):
        u, v = 1.7 * rng.standard_normal(5), 0.6 * rng.standard_normal(5)   # not unit: homogeneity included
        g = arccos_kernel_grad(u, v)[0, 0]
        h = 1e-7
        fd = np.array([(arccos_kernel(u + h * e, v)[0, 0] - arccos_kernel(u - h * e, v)[0, 0]) / (2 * h)
                       for e in np.eye(5)])
        assert np.allclose(fd, g, rtol=1e-6, atol=1e-9)
        M = second_moment(u, v)
        assert np.allclose(M @ (v / np.linalg.norm(v)) * np.linalg.norm(v), g, atol=1e-14)
        assert np.allclose(M, M.T)


def test_second_moment_limits_and_trace():
    d = 6
    u = _unit(np.arange(1.0, d + 1))
    assert np.allclose(second_moment(u, u), np.eye(d) / (2 * d), atol=1e-15)
    assert np.allclose(second_moment(u, -u), 0, atol=1e-15)
    for u, v in _pairs(d, np.random.default_rng(3)):
        phi = np.arccos(u @ v)
        assert np.isclose(np.trace(second_moment(u, v)), (np.pi - phi) / (2 * np.pi))  # P(both active)
        assert np.linalg.eigvalsh(second_moment(u, v)).min() > -1e-15
    eps = 1e-9   # continuity at phi = 0 (no cancellation in the stable form)
    v = _unit(u + eps * _unit(np.ones(d) - d * u))
    assert np.allclose(second_moment(u, v), np.eye(d) / (2 * d), atol=1e-8)


# -------------------------------------------------------------- the pre-certificate
def test_single_atom_eta_is_the_normalised_kernel():
    th = np.array([[0.0, 0.6, 0.8]])
    pre = population_precertificate(Measure(th, np.array([2.5])))
    T = random_sphere(500, 3, np.random.default_rng(4))
    phi = np.arccos(np.clip(T @ th[0], -1, 1))
    assert np.allclose(pre.eta(T), _J(phi) / np.pi, atol=1e-12)
    assert np.allclose(pre.alpha, 2 * 3 * th)
    assert np.isclose(pre.eta(th)[0], 1.0, atol=1e-14)


def test_eta_at_atoms_and_vanishing_gradient():
    nu = make_instance(teacher="mixed-signs", n=50, d=4, m=3, seed=1).teacher_measure()
    pre = population_precertificate(nu)
    assert np.allclose(pre.eta(nu.theta), np.sign(nu.c), atol=1e-12)
    assert np.allclose(pre.gradient(nu.theta), 0, atol=1e-12)


def test_gradient_matches_finite_differences():
    pre = population_precertificate(make_instance(teacher="paper", n=50, d=5, m=5, seed=0).teacher_measure())
    rng = np.random.default_rng(6)
    T = random_sphere(10, 5, rng)
    G = pre.gradient(T)
    assert np.allclose(np.einsum("nd,nd->n", G, T), 0, atol=1e-13)   # tangential
    for t, g in zip(T, G):
        z = rng.standard_normal(5)
        z = _unit(z - (z @ t) * t)
        h = 1e-6
        f = lambda s: pre.eta((np.cos(s) * t + np.sin(s) * z)[None])[0]
        assert abs((f(h) - f(-h)) / (2 * h) - g @ z) < 1e-8


def test_population_eta_is_the_limit_of_the_finite_sample_one():
    nu = Measure(np.array([[1.0, 0, 0], [0, 0.6, 0.8]]), np.array([1.0, -2.0]))
    pre = population_precertificate(nu)
    rng = np.random.default_rng(7)
    dirs = random_sphere(6, 3, rng)
    reps = np.array([eta_sample(vanishing_derivative_certificate(X, nu).p, X, dirs)
                     for X in (random_sphere(20000, 3, rng) for _ in range(8))])
    se = reps.std(axis=0, ddof=1) / np.sqrt(len(reps))
    assert np.all(se < 0.01)
    assert np.all(np.abs(reps.mean(axis=0) - pre.eta(dirs)) < 5 * se)
    other = population_precertificate(Measure(nu.theta, np.array([1.0, 1.0])))   # the test can fail
    assert np.max(np.abs(reps.mean(axis=0) - other.eta(dirs)) / se) > 20


def test_population_certificate_is_rotation_invariant():
    nus = [make_instance(teacher="paper", n=20, d=5, m=5, seed=s).teacher_measure() for s in (0, 1)]
    pres = [population_precertificate(nu) for nu in nus]
    R = nus[1].theta.T @ nus[0].theta           # maps the atoms of seed 0 onto those of seed 1
    assert np.allclose(R @ nus[0].theta.T, nus[1].theta.T, atol=1e-12)
    T = random_sphere(200, 5, np.random.default_rng(8))
    assert np.allclose(pres[0].eta(T), pres[1].eta(T @ R.T), atol=1e-12)


# ------------------------------------------------------------- second order
def _one_sided_fd(f, h=1e-3):
    """Second-order accurate one-sided second derivative at 0 from f(0), f(h), f(2h), f(3h)."""
    return (2 * f(0) - 5 * f(h) + 4 * f(2 * h) - f(3 * h)) / h ** 2


def test_single_atom_one_sided_second_derivatives_are_minus_one():
    d = 4
    u = _unit([1.0, 2.0, -1.0, 0.5])
    pre = population_precertificate(Measure(u[None], np.array([-0.7])))
    rng = np.random.default_rng(9)
    taus = rng.standard_normal((20, d))
    taus = np.array([_unit(t - (t @ u) * u) for t in taus])
    h2 = pre.one_sided_second_derivative(0, taus)
    assert np.allclose(h2, -1.0, atol=1e-12)
    for tau in taus[:5]:
        f = lambda t: -pre.eta((np.cos(t) * u + np.sin(t) * tau)[None])[0]
        assert abs(f(0) - 1) < 1e-14
        assert abs(_one_sided_fd(f) + 1.0) < 1e-5


def test_one_sided_second_derivatives_have_a_kink_and_match_finite_differences():
    nu = make_instance(teacher="paper", n=20, d=5, m=5, seed=0).teacher_measure()
    pre = population_precertificate(nu)
    rng = np.random.default_rng(10)
    u = pre.theta[0]
    for _ in range(5):
        tau = rng.standard_normal(5)
        tau = _unit(tau - (tau @ u) * u)
        plus, minus = (pre.one_sided_second_derivative(0, s * tau)[0] for s in (1, -1))
        for s, val in ((1, plus), (-1, minus)):
            f = lambda t: pre.eta((np.cos(t) * u + s * np.sin(t) * tau)[None])[0]
            assert abs(_one_sided_fd(f) - val) < 1e-5
        Q, ell = pre.one_sided_form(0)
        assert abs((plus - minus) - 2 * ell @ tau) < 1e-12      # the odd part: the kink
        assert plus < 0 and minus < 0


# ------------------------------------------------------------------ verdicts
def test_single_atom_is_certified_and_the_curve_brackets_the_truth():
    u = np.array([[0.0, 0.0, 1.0]])
    res = population_certificate(Measure(u, np.array([1.0])), 3, time_budget=30)
    assert res.verdict == "certified", res.reason
    assert res.second_order_margin == pytest.approx(1.0, abs=1e-6)
    for r_deg, lo, hi in res.margin_curve:
        truth = _J(np.radians(r_deg)) / np.pi      # eta decreases with the angle: sup at distance r
        assert lo <= truth + 1e-12 <= hi + 2e-12 and hi < 1
        assert truth - lo < 1e-3


def test_orthonormal_teacher_in_d3_is_certified_and_dense_sampling_agrees():
    nu = make_instance(teacher="paper", n=20, d=3, m=3, seed=2).teacher_measure()
    res = population_certificate(nu, 3, time_budget=40)
    assert res.verdict == "certified", res.reason
    pre = population_precertificate(nu)
    T = random_sphere(200_000, 3, np.random.default_rng(11))
    val = np.abs(pre.eta(T))
    dist = np.min(np.arccos(np.clip(T @ nu.theta.T, -1, 1)), axis=1)
    for r_deg, lo, hi in res.margin_curve:
        out = dist >= np.radians(r_deg)
        assert val[out].max() <= hi
        assert lo <= hi
    a = res.second_order[0]
    t = np.linspace(1e-4, a["ball_radius"], 50)[:, None]     # the ball statement itself
    for tau in random_sphere(20, 3, np.random.default_rng(12)):
        tau = _unit(tau - (tau @ nu.theta[0]) * nu.theta[0])
        h = pre.eta(np.cos(t) * nu.theta[0] + np.sin(t) * tau)
        assert np.all(h <= 1 - a["kappa_lo"] * t[:, 0] ** 2 / 4 + 1e-13)


def test_lipschitz_constant_of_the_derivative_holds_along_great_circles():
    nu = make_instance(teacher="paper", n=20, d=5, m=5, seed=0).teacher_measure()
    res = population_certificate(nu, 5, time_budget=0.5)
    assert res.verdict == "inconclusive"
    pre = population_precertificate(nu)
    rng = np.random.default_rng(13)
    worst = 0.0
    for c in random_sphere(30, 5, rng):
        z = rng.standard_normal(5)
        z = _unit(z - (z @ c) * c)
        t = np.linspace(0, 2 * np.pi, 2001)
        G = np.cos(t)[:, None] * c + np.sin(t)[:, None] * z
        dG = -np.sin(t)[:, None] * c + np.cos(t)[:, None] * z
        der = np.einsum("nd,nd->n", pre.gradient(G), dG)
        worst = max(worst, np.max(np.abs(np.diff(der)) / np.diff(t)))
    assert worst <= res.lipschitz_H
    assert worst > 0.05 * res.lipschitz_H          # and H is not absurdly loose
    a = res.second_order[0]                         # |h'''| <= H3 along the rays of the atom ball
    u, r = pre.theta[0], a["ball_radius"]
    for w in random_sphere(10, 5, rng):
        w = _unit(w - (w @ u) * u)
        t = np.linspace(r / 100, r, 401)
        G = np.cos(t)[:, None] * u + np.sin(t)[:, None] * w
        dG = -np.sin(t)[:, None] * u + np.cos(t)[:, None] * w
        der = np.einsum("nd,nd->n", pre.gradient(G), dG)
        third = np.diff(der, 2) / np.diff(t)[0] ** 2
        assert np.max(np.abs(third)) <= a["H3"]


def test_planted_population_violation_is_found():
    a = np.radians(60)
    th = np.array([[1.0, 0, 0], [np.cos(a), np.sin(a), 0], [np.cos(2 * a), np.sin(2 * a), 0]])
    nu = Measure(th, np.array([1.0, -1.0, 1.0]))
    pre = population_precertificate(nu)
    dense = np.abs(pre.eta(random_sphere(200_000, 3, np.random.default_rng(14))))
    assert dense.max() > 1.5                       # the violation is real (dense sampling)
    res = population_certificate(nu, 3, time_budget=20)
    assert res.verdict == "fails", res.reason
    lo, hi = res.violating_eta_ball
    assert 1 < lo <= hi
    assert abs(abs(pre.eta(np.array(res.violating_theta)[None])[0]) - lo) < 1e-9
    assert lo >= dense.max() - 1e-3


def test_to_dict_is_json_and_has_the_contract():
    res = population_certificate(Measure(np.array([[1.0, 0.0]]), np.array([1.0])), 2, time_budget=10)
    out = json.loads(json.dumps(res.to_dict()))
    assert out["verdict"] == "certified"
    assert [row[0] for row in out["margin_curve"]] == [float(r) for r in POPULATION_RADII_DEG]
    assert all(len(row) == 3 for row in out["margin_curve"])
    assert out["second_order_margin"] > 0.99
    for key in ("reason", "lipschitz_H", "second_order", "n_leaves", "wall_s"):
        assert key in out


# ------------------------------------------------------------------ bad input
def test_bad_inputs_raise_clear_errors():
    good = Measure(np.array([[1.0, 0, 0]]), np.array([1.0]))
    with pytest.raises(BlassoInputError, match="zero weight"):
        population_certificate(Measure(np.array([[1.0, 0, 0], [0, 1.0, 0]]), np.array([1.0, 0.0])), 3)
    with pytest.raises(BlassoInputError, match="d = 3"):
        population_certificate(good, 4)
    with pytest.raises(BlassoInputError, match="non-finite"):
        Measure(np.array([[np.nan, 0, 1.0]]), np.array([1.0]))
    with pytest.raises(BlassoInputError, match="non-finite"):
        arccos_kernel([np.nan, 1.0, 0.0], [1.0, 0.0, 0.0])
    with pytest.raises(BlassoInputError, match="zero row"):
        second_moment([0.0, 0.0, 0.0], [1.0, 0.0, 0.0])
    with pytest.raises(BlassoInputError, match="Measure"):
        population_certificate(np.eye(3), 3)
    with pytest.raises(BlassoInputError, match="time_budget"):
        population_certificate(good, 3, time_budget=0)
    with pytest.raises(BlassoInputError, match="radii_deg"):
        population_certificate(good, 3, radii_deg=[-1.0])
    with pytest.raises(BlassoInputError, match="singular"):
        population_precertificate(Measure(np.array([[1.0, 0, 0], [1.0, 0, 0]]), np.array([1.0, 2.0])))


def test_cap_bounds_enclose_the_cap_maximum():
    from blasso.certificates import population as P

    nu = make_instance(teacher="paper", n=20, d=5, m=5, seed=0).teacher_measure()
    pre = population_precertificate(nu)
    rng = np.random.default_rng(15)
    with P._Flint() as ops:
        bp = P._ball_precertificate(ops, pre)
        H = P._lipschitz_H(ops, bp)
        for x in random_sphere(4, 5, rng):
            for rho in (0.05, 0.2):
                val, g = P._ball_value_grad(ops, bp, x)
                rb = ops.arb(rho)
                first = P._up(abs(val) + rb * g + H * rb * rb / 2)
                second = P._ball_second_order(ops, pre, bp, x, rb, val, g)
                Z = rng.standard_normal((20000, 5))
                Z -= (Z @ x)[:, None] * x
                Z /= np.linalg.norm(Z, axis=1, keepdims=True)
                t = rho * np.sqrt(rng.random(20000))
                t[:200] = rho                                   # the rim, where the max usually is
                top = np.abs(pre.eta(np.cos(t)[:, None] * x + np.sin(t)[:, None] * Z)).max()
                assert top <= second <= first + 1e-12 or top <= first <= second
                assert second is not None and second - top < 0.5 * (first - top)   # second order is tighter


def test_third_derivative_interval_bound_holds_for_one_term():
    from blasso.certificates import population as P

    rng = np.random.default_rng(16)
    with P._Flint() as ops:
        for _ in range(20):
            d = 4
            u = _unit(rng.standard_normal(d))
            al = rng.standard_normal(d)
            a, ap = al @ u, al - (al @ u) * u
            x = _unit(rng.standard_normal(d))
            z = _unit(rng.standard_normal(d) - 0 * x)
            z = _unit(z - (z @ x) * x)

            def y(t):
                g = np.cos(t) * x + np.sin(t) * z
                phi = np.arccos(np.clip(g @ u, -1, 1))
                return a * _J(phi) + (np.pi - phi) * (ap @ g)

            h = 1e-3
            fd3 = (y(2 * h) - 2 * y(h) + 2 * y(-h) - y(-2 * h)) / (2 * h ** 3)
            phi = ops.arb(float(np.arccos(x @ u))) + ops.arb(0, 3 * h)
            bound = P._y3_ball(ops, ops.arb(float(a)), ops.arb(float(np.linalg.norm(ap))), phi)
            assert bound is not None and abs(fd3) <= P._up(bound)


def test_symmetry_domain_and_canonical_teacher_keep_the_bounds_valid():
    from blasso.certificates.population import _symmetry_normals

    e = np.eye(5)
    assert _symmetry_normals(population_precertificate(Measure(e, np.ones(5)))).shape == (4, 5)
    mixed = population_precertificate(Measure(e[:3], np.array([1.0, 2.0, -1.0])))
    assert _symmetry_normals(mixed).shape == (4, 5)          # x0 >= x1; x3 >= x4; x3, x4 >= 0
    rotated = make_instance(teacher="paper", n=20, d=4, m=4, seed=3).teacher_measure()
    assert _symmetry_normals(population_precertificate(rotated)).shape == (0, 4)
    res = population_certificate(rotated, 4, time_budget=40, canonical=True)
    assert res.verdict == "certified", res.reason
    assert res.info["canonical"]["applied"] and res.info["n_symmetric_caps"] > 0
    pre = population_precertificate(rotated)                 # the rotated teacher's own eta_V
    T = random_sphere(200_000, 4, np.random.default_rng(17))
    val = np.abs(pre.eta(T))
    dist = np.min(np.arccos(np.clip(T @ rotated.theta.T, -1, 1)), axis=1)
    for r_deg, lo, hi in res.margin_curve:
        assert val[dist >= np.radians(r_deg)].max() <= hi
        assert val[dist >= np.radians(r_deg)].max() >= lo - 2e-3     # same function up to the rotation
