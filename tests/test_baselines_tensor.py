"""tensor-init baseline (Zhang, Yu, Wang, Gu 2019): Hermite moments against their closed forms, the tensor initialization, GD and its rate."""

import numpy as np
import pytest

from blasso.instance import make_teacher
from blasso.solvers.baselines._net import match_directions, param_error
from blasso.solvers.baselines.tensor_init import (RELU_HERMITE, empirical_moments, error_rate, expected_moments,
                                           fit_linear_rate, loss_and_grad, run_tensor_gd, tensor_initialization)


def _teacher(K, d, seed):
    rng = np.random.default_rng(seed)
    Wd, _ = make_teacher("min-angle", K, d, rng, min_angle=np.pi / 3)
    return Wd * rng.uniform(0.5, 1.5, size=K)[:, None], rng


def _data(W, n, rng, noise=0.0):
    X = rng.standard_normal((n, W.shape[1]))
    return X, np.maximum(X @ W.T, 0).sum(axis=1) + noise * rng.standard_normal(n)


def test_relu_hermite_coefficients_by_quadrature():
    # E[relu(z) He_l(z)] = int_0^inf z He_l(z) phi(z) dz by adaptive quadrature, independent of the closed forms
    from scipy.integrate import quad
    he = [lambda z: 1.0, lambda z: z, lambda z: z ** 2 - 1, lambda z: z ** 3 - 3 * z,
          lambda z: z ** 4 - 6 * z ** 2 + 3]
    for l in range(5):
        val, _ = quad(lambda z: z * he[l](z) * np.exp(-z * z / 2) / np.sqrt(2 * np.pi), 0, np.inf)
        assert val == pytest.approx(RELU_HERMITE[l], abs=1e-10)


def test_gradient_matches_finite_differences():
    W_star, rng = _teacher(3, 5, 0)
    X, y = _data(W_star, 300, rng, noise=0.1)
    W = W_star + 0.3 * rng.standard_normal(W_star.shape)
    L, G = loss_and_grad(W, X, y)
    h = 1e-6
    for _ in range(10):
        E = rng.standard_normal(W.shape)
        fd = (loss_and_grad(W + h * E, X, y)[0] - loss_and_grad(W - h * E, X, y)[0]) / (2 * h)
        assert fd == pytest.approx(float(np.sum(G * E)), rel=1e-6, abs=1e-10)


@pytest.mark.parametrize("reduce_variance", [False, True])
def test_moment_estimators_against_closed_form_expectations(reduce_variance):
    W_star, rng = _teacher(2, 4, 1)
    X, y = _data(W_star, 400_000, rng)
    alpha = rng.standard_normal(4)
    alpha /= np.linalg.norm(alpha)
    V = np.linalg.qr(rng.standard_normal((4, 3)))[0]
    exp = expected_moments(W_star, alpha, V)
    # batch means give an independent standard error for each entry
    B = 20
    parts = [empirical_moments(X[i::B], y[i::B], alpha, V, reduce_variance=reduce_variance) for i in range(B)]
    full = empirical_moments(X, y, alpha, V, reduce_variance=reduce_variance)
    for key in ("M1", "M2", "R3"):
        se = np.std([p[key] for p in parts], axis=0, ddof=1) / np.sqrt(B)
        err = np.abs(full[key] - exp[key])
        assert np.all(err <= 5 * se + 1e-3 * np.abs(exp[key]).max()), (key, err.max(), se.max())
        assert np.abs(exp[key]).max() > 8 * se.max()           # the check has teeth
    if reduce_variance:                                        # the variance reduction is real
        plain = [empirical_moments(X[i::B], y[i::B], alpha, V, reduce_variance=False)["R3"] for i in range(B)]
        assert np.std(plain, axis=0).max() > 3 * np.std([p["R3"] for p in parts], axis=0).max()


def test_tensor_initialization_recovers_directions_and_the_angle_shrinks_with_n():
    W_star, _ = _teacher(3, 5, 2)
    worst = {}
    for n in (20_000, 500_000):
        angles = []
        for seed in range(3):
            rng = np.random.default_rng(100 + seed)
            X, y = _data(W_star, n, rng)
            ti = tensor_initialization(X, y, 3, rng=seed)
            _, ang = match_directions(ti["W0"], W_star)
            angles.append(ang.max())
        worst[n] = float(np.mean(angles))
    assert worst[500_000] < 4.0                     # stated angle at n = 5e5 (degrees, mean of 3 seeds)
    assert worst[20_000] < 25.0
    assert worst[500_000] < 0.5 * worst[20_000]      # and it shrinks as n grows


def test_gd_from_the_initialization_converges_linearly_to_the_teacher_without_noise():
    W_star, rng = _teacher(3, 5, 3)
    X, y = _data(W_star, 6000, rng)
    ti = tensor_initialization(X, y, 3, rng=0)
    res = run_tensor_gd(X, y, ti["W0"], iters=6000, gtol=1e-12, W_star=W_star)
    assert res.status == "converged"
    assert res.param_error[0] > 0.05 and res.param_error[-1] < 1e-8
    assert np.all(np.diff(res.train_loss) <= 1e-15)          # the step rule (eta = 1/(K lambda_max)) is monotone
    assert res.rate is not None and 0.9 < res.rate < 1.0
    # the fitted rate predicts the contraction of the step norms (an independent quantity)
    steps = np.array(res.info["step_norms"])
    k = np.nonzero(steps < 1e-3 * steps[0])[0][0]
    assert steps[k + 300] / steps[k] == pytest.approx(res.rate ** 300, rel=0.3)


def test_statistical_floor_shrinks_with_n():
    W_star, _ = _teacher(2, 3, 4)
    floors = []
    for n in (1000, 9000):
        err = []
        for seed in range(4):
            rng = np.random.default_rng(seed)
            X, y = _data(W_star, n, rng, noise=0.5)
            res = run_tensor_gd(X, y, W_star, iters=600, gtol=1e-9)     # start at W*: only the floor moves it
            err.append(param_error(res.W, W_star))
        floors.append(np.mean(err))
    assert 1.8 < floors[0] / floors[1] < 5.0                 # ~ sqrt(9) = 3 for a 1/sqrt(n) floor


def test_error_rate_on_a_geometric_decay_to_a_floor():
    k = np.arange(3000)
    e = 0.5 * 0.97 ** k + 1e-3 * (1 - 0.5 ** k)          # linear phase, then the floor
    assert error_rate(e) == pytest.approx(0.97, abs=2e-3)
    assert error_rate(np.full(10, 0.2)) is None


def test_fit_linear_rate_on_a_known_geometric_sequence():
    assert fit_linear_rate(0.97 ** np.arange(2000)) == pytest.approx(0.97, rel=1e-12)
    assert fit_linear_rate(np.ones(2)) is None
    assert fit_linear_rate(0.999 ** np.arange(500)) == pytest.approx(0.999, rel=1e-12)   # never below 1e-1


def test_param_error_is_permutation_invariant():
    W_star, rng = _teacher(3, 5, 5)
    W = W_star[[2, 0, 1]] + 1e-3 * rng.standard_normal((3, 5))
    assert param_error(W, W_star) == pytest.approx(np.linalg.norm(W[[1, 2, 0]] - W_star) / np.linalg.norm(W_star))


def test_bad_inputs_are_named():
    from blasso.validation import BlassoInputError
    X = np.random.default_rng(0).standard_normal((50, 3))
    with pytest.raises(BlassoInputError, match="K <= d"):
        tensor_initialization(X, X[:, 0], 4)
    with pytest.raises(BlassoInputError, match="step_scale"):
        run_tensor_gd(X, X[:, 0], np.ones((2, 3)), step_scale=3.0)
