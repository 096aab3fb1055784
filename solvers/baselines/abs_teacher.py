"""The ``a^T |W* x|`` teacher: over-parameterized GD against the NTK and random-feature kernels (Li, Ma, Zhang 2020).

Reconstructed from Li, Ma, Zhang, "Learning over-parametrized two-layer ReLU
neural networks beyond NTK" (COLT 2020, arXiv 2007.04596).  The code
is ours; what we take from the paper:

* inputs ``x ~ N(0, I_d)``, teacher ``f*(x) = a^T |W* x| = sum_j a_j |<w*_j, x>|``
  with ``a >= 0`` and orthonormal ``W*``;
* the student is an over-parameterized two-layer ReLU network trained by
  gradient descent from random initialization; the paper proves it reaches
  population loss ``o(1/d)``, while every kernel method (the NTK included)
  with ``poly(d)`` samples stays at ``Omega(1/d)``.

Because ``|t| = relu(t) + relu(-t)``, the teacher is the nonnegative measure
with ``2m`` atoms ``+-w*_j`` of weight ``a_j`` (``blasso make-instance
--teacher abs``), so the convex BLASSO optimum of the same data is a natural
ground truth.

Choices (the paper's algorithm has two phases and specific constants that we
do not reproduce; tested in ``tests/test_baselines_abs.py``):

* **Teacher scale.**  ``a_j = 1/m`` (``m`` terms, default ``m = d``): then
  ``E f*^2 = O(1)`` and the part of ``f*`` beyond its mean has variance of
  order ``1/d``, the scale of the paper's ``Omega(1/d)`` vs ``o(1/d)``.
* **Student.**  ``M`` units (default 50), ``f(x) = sum_i a_i relu(<w_i, x>)``,
  small balanced random initialization ``w_i = tau u_i`` (``u_i`` uniform on
  the sphere), ``a_i = +-tau`` (random signs), ``tau = init_scale``; both
  layers trained by plain constant-step GD on the unpenalized empirical loss
  ``1/(2n) ||f(X) - y||^2``, ``eta = step_scale / (S lambda_max(X^T X / n))``
  with ``S = 2 sum_j a_j`` (the teacher's total variation).
* **Kernels.**  :mod:`blasso.solvers.baselines.kernels` (NTK and random ReLU
  features in closed form), ridge by 5-fold cross-validation.
* **Test loss.**  ``1/2 mean (f(x) - f*(x))^2`` over ``n_test`` fresh Gaussian
  inputs against the noiseless teacher (an estimate of the population excess
  loss); ``test_loss_const`` is the same for the best constant predictor.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from blasso.progress import as_progress
from blasso.validation import BlassoInputError, check_number, check_positive_int, check_rng, check_X, check_y

from ._net import forward, plain_gd

__all__ = ["abs_teacher", "abs_teacher_output", "AbsGDResult", "run_abs_gd", "test_loss"]


def abs_teacher(m: int, d: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """``(a (m,), W* (m, d))``: orthonormal random rows, ``a_j = 1/m``."""
    from blasso.instance import make_teacher

    W2, _ = make_teacher("abs", m, d, check_rng(rng))
    return np.full(m, 1.0 / m), W2[:m]


def abs_teacher_output(a, W_star, X) -> np.ndarray:
    """``f*(X) = |X W*^T| a``."""
    return np.abs(np.asarray(X, float) @ np.asarray(W_star, float).T) @ np.asarray(a, float)


def test_loss(pred, target) -> float:
    """``1/2 mean (pred - target)^2``."""
    r = np.asarray(pred, float) - np.asarray(target, float)
    return 0.5 * float(np.mean(r * r))


@dataclass
class AbsGDResult:
    """Outcome of :func:`run_abs_gd`: final ``a, W``, traces every ``record_every`` iterations."""

    a: np.ndarray
    W: np.ndarray
    iterations: int
    status: str
    eta: float
    train_loss: list
    test_loss: list
    trace_iter: list
    wall_s: float
    info: dict = field(default_factory=dict)


def run_abs_gd(X, y, *, M: int = 50, teacher_tv: float = 2.0, iters: int = 5000, init_scale: float = 0.1,
               step_scale: float = 0.5, rng=0, X_test=None, f_test=None, record_every: int = 50,
               loss_abs: float = 1e-12, progress=None) -> AbsGDResult:
    """Over-parameterized plain GD from a small random initialization (module docstring).

    Parameters
    ----------
    X, y : training data (raw Gaussian inputs).
    M : student width.
    teacher_tv : ``S = 2 sum_j a_j``, scales the step.
    iters : iteration cap.
    init_scale : ``tau``.
    step_scale : float in (0, 2).
    rng : seed of the initialization.
    X_test, f_test : optional held-out inputs and noiseless teacher values (traced test loss).
    record_every : trace period.
    loss_abs : stop when the training loss is below this.
    progress : a :mod:`blasso.progress` hook.
    """
    X = check_X(X)
    n, d = X.shape
    y = check_y(y, n)
    M = check_positive_int(M, name="M")
    iters = check_positive_int(iters, name="iters", minimum=0)
    record_every = check_positive_int(record_every, name="record_every")
    teacher_tv = check_number(teacher_tv, name="teacher_tv", minimum=0.0, strict_min=True)
    init_scale = check_number(init_scale, name="init_scale", minimum=0.0, strict_min=True)
    step_scale = check_number(step_scale, name="step_scale", minimum=0.0, maximum=2.0, strict_min=True,
                              strict_max=True)
    if (X_test is None) != (f_test is None):
        raise BlassoInputError("give X_test and f_test together")
    rng = check_rng(rng)
    U = rng.standard_normal((M, d))
    W = init_scale * U / np.linalg.norm(U, axis=1, keepdims=True)
    a = init_scale * rng.choice([-1.0, 1.0], size=M)
    eta = step_scale / (teacher_tv * float(np.linalg.eigvalsh(X.T @ X / n)[-1]))
    say = as_progress(progress)
    t0 = time.perf_counter()
    rec = None if X_test is None else (lambda a, W: test_loss(forward(a, W, X_test), f_test))
    g = plain_gd(a, W, X, y, eta=eta, iters=iters, record_every=record_every, loss_abs=loss_abs, say=say,
                 label="abs-teacher GD", on_record=rec)
    return AbsGDResult(a=g.a, W=g.W, iterations=g.iterations, status=g.status, eta=eta, train_loss=g.loss,
                       test_loss=g.recorded, trace_iter=g.loss_iter, wall_s=time.perf_counter() - t0)
