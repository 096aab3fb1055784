"""abs-teacher baseline (Li, Ma, Zhang 2020): kernels against Monte Carlo of their feature maps, kernel ridge vs n, the GD student."""

import sys

import numpy as np
import pytest

from blasso.solvers.baselines._net import forward
from blasso.solvers.baselines.abs_teacher import abs_teacher, abs_teacher_output, run_abs_gd, test_loss as half_mse
from blasso.solvers.baselines.kernels import arccos0, arccos1, kernel_ridge, ntk_kernel, rf_kernel


def _mc(X, M, seed):
    """Per-sample feature products of M random units: RF ``relu relu`` and NTK ``grad . grad``."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((M, X.shape[1]))
    a = rng.standard_normal(M)
    Z = X @ W.T
    H, D = np.maximum(Z, 0), (Z > 0).astype(float)
    n = X.shape[0]
    rf = np.einsum("im,jm->mij", H, H)
    ntk = rf + np.einsum("im,jm,m->mij", D, D, a ** 2) * (X @ X.T)[None]
    return rf.reshape(M, n * n), ntk.reshape(M, n * n)


def test_rf_and_ntk_kernels_against_monte_carlo_of_their_feature_maps():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5, 4)) * rng.uniform(0.3, 2.0, size=(5, 1))
    X[4] = -0.7 * X[0]                                   # an obtuse pair (phi = pi)
    rf, ntk = _mc(X, 200_000, 1)
    for samples, K in ((rf, rf_kernel(X, X)), (ntk, ntk_kernel(X, X))):
        mean = samples.mean(axis=0).reshape(5, 5)
        se = samples.std(axis=0).reshape(5, 5) / np.sqrt(samples.shape[0])
        # arccos near -1 loses ~sqrt(eps): the antipodal pair gets ~1e-9 instead of 0
        assert np.all(np.abs(mean - K) <= 5 * se + 1e-8 * np.abs(K).max()), np.abs(mean - K).max()
        assert np.abs(K).max() > 50 * se.max()


def test_arc_cosine_kernels_at_known_angles():
    x = np.array([[2.0, 0.0]])
    for phi, k0, k1 in ((0.0, 0.5, 0.5), (np.pi / 2, 0.25, 1 / (2 * np.pi)), (np.pi, 0.0, 0.0)):
        z = np.array([[np.cos(phi), np.sin(phi)]]) * 3.0
        assert arccos0(x, z)[0, 0] == pytest.approx(k0, abs=1e-12)
        assert arccos1(x, z)[0, 0] == pytest.approx(6.0 * k1, abs=1e-12)   # ||x|| ||z|| = 6


def test_kernel_ridge_test_loss_decreases_with_n():
    rng = np.random.default_rng(3)
    a, W = abs_teacher(3, 3, rng)
    Xt = rng.standard_normal((2000, 3))
    ft = abs_teacher_output(a, W, Xt)
    for kind in ("ntk", "rf"):
        losses = []
        for n in (40, 160, 640):
            X = rng.standard_normal((n, 3))
            fit = kernel_ridge(kind, X, abs_teacher_output(a, W, X), seed=0)
            losses.append(half_mse(fit.predict(Xt), ft))
        assert losses[0] > losses[1] > losses[2]
        assert losses[2] < 0.5 * losses[0]


def test_kernel_ridge_without_sklearn_names_the_extra(monkeypatch):
    from blasso.validation import BlassoInputError
    monkeypatch.setitem(sys.modules, "sklearn.kernel_ridge", None)
    X = np.random.default_rng(0).standard_normal((20, 3))
    with pytest.raises(BlassoInputError, match=r"blasso\[baselines\]"):
        kernel_ridge("ntk", X, X[:, 0])


def test_gd_student_learns_the_abs_teacher():
    rng = np.random.default_rng(5)
    a_s, W_s = abs_teacher(3, 3, rng)
    X = rng.standard_normal((400, 3))
    Xt = rng.standard_normal((2000, 3))
    ft = abs_teacher_output(a_s, W_s, Xt)
    r = run_abs_gd(X, abs_teacher_output(a_s, W_s, X), M=30, teacher_tv=2 * a_s.sum(), iters=4000, rng=0,
                   X_test=Xt, f_test=ft)
    const = 0.5 * np.var(ft)
    assert r.test_loss[0] > 0.5 * const                      # starts near the trivial predictor
    assert r.test_loss[-1] < 0.02 * const                    # ends far below it
    assert r.test_loss[-1] == pytest.approx(half_mse(forward(r.a, r.W, Xt), ft), rel=1e-12)
