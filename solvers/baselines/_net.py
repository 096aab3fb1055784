"""Shared pieces of the baselines: the two-layer ReLU network, its squared loss and gradients, matching.

``f(x; a, W) = sum_j a_j relu(<w_j, x>)`` on raw (not rescaled) inputs, loss
``L(a, W) = 1/(2n) ||f(X) - y||^2`` without penalty (every baseline paper trains
the unpenalized empirical loss).  With ``r = f(X) - y`` and
``D = 1{X W^T > 0}``:

``dL/da_j = (1/n) sum_i r_i relu(<w_j, x_i>)``,
``dL/dw_j = (1/n) sum_i r_i a_j 1{<w_j, x_i> > 0} x_i``.

Teacher matching: the Hungarian assignment on angles between unit directions
(:func:`match_directions`) and the permutation-invariant parameter error
``min_P ||W - P W*||_F / ||W*||_F`` (:func:`param_error`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["forward", "loss", "grads", "param_error", "match_directions", "angles_deg", "gaussian_inputs",
           "PlainGD", "plain_gd"]


def forward(a: np.ndarray, W: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``f(X; a, W)``, shape (n,)."""
    return np.maximum(X @ W.T, 0.0) @ a


def loss(a: np.ndarray, W: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """``1/(2n) ||f(X) - y||^2``."""
    r = forward(a, W, X) - y
    return 0.5 * float(r @ r) / X.shape[0]


def grads(a: np.ndarray, W: np.ndarray, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Loss and its gradients ``(L, dL/da (M,), dL/dW (M, d))`` (ReLU'(0) taken as 0)."""
    Z = X @ W.T
    H = np.maximum(Z, 0.0)
    r = H @ a - y
    n = X.shape[0]
    ga = H.T @ r / n
    gW = ((Z > 0) * r[:, None]).T @ X * (a[:, None] / n)
    return 0.5 * float(r @ r) / n, ga, gW


def angles_deg(U: np.ndarray, V: np.ndarray) -> np.ndarray:
    """Pairwise angles (degrees) between the rows of U and V (any nonzero norms)."""
    Un = U / np.linalg.norm(U, axis=1, keepdims=True)
    Vn = V / np.linalg.norm(V, axis=1, keepdims=True)
    return np.degrees(np.arccos(np.clip(Un @ Vn.T, -1.0, 1.0)))


def match_directions(W: np.ndarray, W_star: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hungarian assignment of teacher rows to student rows on angles.

    Returns ``(idx, ang)``: teacher ``j`` is matched to student ``idx[j]`` at
    ``ang[j]`` degrees (needs ``len(W) >= len(W_star)``).
    """
    from scipy.optimize import linear_sum_assignment

    A = angles_deg(W_star, W)
    rows, cols = linear_sum_assignment(A)
    idx = np.empty(W_star.shape[0], dtype=int)
    idx[rows] = cols
    return idx, A[np.arange(W_star.shape[0]), idx]


def param_error(W: np.ndarray, W_star: np.ndarray) -> float:
    """``min over permutations ||W - P W*||_F / ||W*||_F`` (Hungarian on squared row distances)."""
    from scipy.optimize import linear_sum_assignment

    C = ((W_star[:, None, :] - W[None, :, :]) ** 2).sum(axis=2)
    rows, cols = linear_sum_assignment(C)
    return float(np.sqrt(C[rows, cols].sum()) / np.linalg.norm(W_star))


def gaussian_inputs(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """Standard Gaussian inputs ``N(0, I_d)``, shape (n, d) (the baseline papers' input law, not rescaled)."""
    return rng.standard_normal((n, d))


@dataclass
class PlainGD:
    """Outcome of :func:`plain_gd`: final ``a, W``, the loss every ``record_every`` iterations (and the last)."""

    a: np.ndarray
    W: np.ndarray
    iterations: int
    status: str
    loss: list
    loss_iter: list
    recorded: list = field(default_factory=list)


def plain_gd(a, W, X, y, *, eta: float, iters: int, record_every: int, loss_abs: float, say, label: str,
             on_record=None) -> PlainGD:
    """Constant-step GD on both layers of ``L(a, W)`` (inputs trusted: the public entry points check them).

    Stops at ``iters`` (``max_iter``), when ``L <= loss_abs`` (``converged``) or
    at a non-finite loss (``diverged``).  ``on_record(a, W)``, if given, is
    called at every recorded iteration and its values are kept in ``recorded``.
    """
    out = PlainGD(a=a, W=W, iterations=0, status="max_iter", loss=[], loss_iter=[])

    def record(it, L, a, W):
        out.loss.append(L)
        out.loss_iter.append(it)
        if on_record is not None:
            out.recorded.append(on_record(a, W))

    it, L = 0, np.inf
    for it in range(iters + 1):
        L, ga, gW = grads(a, W, X, y)
        if it % record_every == 0 or it == iters:
            record(it, L, a, W)
        if not np.isfinite(L):
            out.status = "diverged"
            break
        if L <= loss_abs:
            out.status = "converged"
            break
        if it == iters:
            break
        a = a - eta * ga
        W = W - eta * gW
        if it % 500 == 0:
            say(label, it, iters)
    if out.loss_iter[-1] != it:
        record(it, L, a, W)
    out.a, out.W, out.iterations = a, W, it
    return out
