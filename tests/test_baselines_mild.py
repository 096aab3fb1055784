"""mild-overparam baseline (Zhou, Ge, Jin 2021): gradients, the start, per-unit outcomes from inside the local region, the bisection."""

import numpy as np
import pytest

import blasso.solvers.baselines.mild_overparam as mo
from blasso.instance import make_teacher
from blasso.solvers.baselines._net import grads, loss


def _problem(kind="paper", m=3, d=5, n=1000, seed=0):
    rng = np.random.default_rng(seed)
    W, a = make_teacher(kind, m, d, rng)
    X = rng.standard_normal((n, d))
    return X, np.maximum(X @ W.T, 0) @ a, a, W


@pytest.mark.parametrize("teacher", ["mild-overparam", "abs-teacher"])
def test_two_layer_gradients_match_finite_differences(teacher):
    # the gradient of both layers that mild-overparam and abs-teacher train (blasso.solvers.baselines._net.grads)
    if teacher == "abs-teacher":
        from blasso.solvers.baselines.abs_teacher import abs_teacher, abs_teacher_output
        rng = np.random.default_rng(4)
        a_s, W_s = abs_teacher(3, 5, rng)
        X = rng.standard_normal((200, 5))
        y = abs_teacher_output(a_s, W_s, X)
    else:
        X, y, _, _ = _problem(n=200)
    rng = np.random.default_rng(1)
    a = rng.standard_normal(5)
    W = rng.standard_normal((5, 5))
    _, ga, gW = grads(a, W, X, y)
    h = 1e-6
    for _ in range(8):
        da, dW = rng.standard_normal(5), rng.standard_normal((5, 5))
        fd = (loss(a + h * da, W + h * dW, X, y) - loss(a - h * da, W - h * dW, X, y)) / (2 * h)
        assert fd == pytest.approx(float(ga @ da + np.sum(gW * dW)), rel=1e-6, abs=1e-10)


def test_start_loss_grows_like_delta_squared_and_extra_units_are_balanced():
    X, y, a_s, W_s = _problem()
    L = [loss(*mo.perturbed_start(a_s, W_s, 0, dl, 3), X, y) for dl in (1e-3, 2e-3)]
    assert L[1] / L[0] == pytest.approx(4.0, rel=0.02)
    a, W = mo.perturbed_start(a_s, W_s, 4, 0.04, 3)
    assert a.shape == (7,) and W.shape == (7, 5)
    np.testing.assert_allclose(np.abs(a[3:]), np.linalg.norm(W[3:], axis=1), rtol=1e-12)
    np.testing.assert_allclose(np.abs(a[3:]) * np.linalg.norm(W[3:], axis=1), 0.04, rtol=1e-12)


def test_inside_the_region_every_unit_ends_matched_or_vanished():
    X, y, a_s, W_s = _problem()
    r = mo.run_mild_gd(X, y, a_s, W_s, k=3, delta=0.05, rng=2, iters=15000, match_angle_deg=10.0)
    outcomes = [u["outcome"] for u in r.units]
    assert "stray" not in outcomes and r.success and r.recovered
    assert r.loss[-1] < 1e-4 * r.loss[0]
    # independent check of "matched": the matched units' weights add up to each teacher neuron's weight
    c_star = a_s * np.linalg.norm(W_s, axis=1)
    for j in range(3):
        tot = sum(u["weight"] for u in r.units if u["teacher"] == j)
        assert tot == pytest.approx(c_star[j], rel=0.1)
    f = np.maximum(X @ r.W.T, 0) @ r.a
    assert np.sqrt(np.mean((f - y) ** 2)) < 1e-2 * np.sqrt(np.mean(y ** 2))


def test_without_extra_units_the_loss_goes_to_zero_linearly():
    X, y, a_s, W_s = _problem()
    r = mo.run_mild_gd(X, y, a_s, W_s, k=0, delta=0.2, rng=0, iters=5000, record_every=1)
    assert r.status == "converged" and r.loss[-1] <= 1e-12
    assert all(u["outcome"] == "matched" and u["angle_deg"] < 1e-3 for u in r.units)


def test_classify_units_by_hand():
    W_s = np.eye(3)[:2]
    a_s = np.array([1.0, -1.0])
    th = np.radians(3.0)
    W = np.array([[np.cos(th), np.sin(th), 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]])
    a = np.array([0.9, 1.0, 0.01, -0.5])          # unit 1 has the wrong sign for teacher 1; unit 3 for teacher 0
    out = mo.classify_units(a, W, a_s, W_s, match_angle_deg=5.0, vanish_rtol=0.05)
    assert [u["outcome"] for u in out] == ["matched", "stray", "vanished", "stray"]
    assert out[0]["teacher"] == 0 and out[0]["angle_deg"] == pytest.approx(3.0)


def test_local_radius_bisection_finds_a_planted_threshold(monkeypatch):
    class R:
        def __init__(self, ok):
            self.success, self.loss = ok, [0.0]
    monkeypatch.setattr(mo, "run_mild_gd", lambda *a, delta, **k: R(delta <= 0.37))
    out = mo.local_radius(None, None, None, None, delta_max=2.0, steps=8)
    lo, hi = out["bracket"]
    assert lo <= 0.37 < hi and hi - lo == pytest.approx(2.0 / 2 ** 8)
    assert out["radius"] == lo and len(out["probes"]) == 9
    monkeypatch.setattr(mo, "run_mild_gd", lambda *a, delta, **k: R(True))
    assert mo.local_radius(None, None, None, None, delta_max=2.0)["bracket"] == [2.0, None]


def test_the_region_ends_for_a_correlated_teacher():
    # min-angle teacher, m = d: small perturbations succeed, delta = 2 does not (a real local minimum)
    X, y, a_s, W_s = _problem("min-angle", m=5, d=5, n=1000, seed=0)
    kw = dict(k=2, rng=1, iters=10000, match_angle_deg=10.0)
    assert mo.run_mild_gd(X, y, a_s, W_s, delta=0.05, **kw).success
    bad = mo.run_mild_gd(X, y, a_s, W_s, delta=2.0, **kw)
    assert not bad.success and bad.loss[-1] > 1e-3
