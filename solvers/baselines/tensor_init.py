"""Tensor initialization + gradient descent for ``y = sum_j relu(<w*_j, x>) + noise`` (Zhang, Yu, Wang, Gu 2019).

Reconstructed from Zhang, Yu, Wang, Gu, "Learning one-hidden-layer ReLU
networks via gradient descent" (AISTATS 2019)
and the initialization it builds on, Zhong, Song, Jain, Bartlett, Dhillon,
"Recovery guarantees for one-hidden-layer neural networks" (ICML 2017,
Algorithm 1).  The code is ours; the facts used are:

* Model: ``x ~ N(0, I_d)``, ``y = sum_{j<=K} relu(<w*_j, x>) + noise``, output
  weights fixed to 1 (Zhang et al.), ``K <= d``; the student has the same
  shape and only ``W`` is trained, by plain GD with a constant step on the
  unpenalized empirical loss ``L(W) = 1/(2n) sum_i (sum_j relu(<w_j, x_i>) - y_i)^2``.
* Hermite moments (Zhong et al., Definition 5.1): with ``w*_j = s_j wb_j``
  (``||wb_j|| = 1``) and ``m_l(s) = E[relu(s z) He_l(z)]``,
  ``M_l = E[y He_l(x)] = sum_j m_l(s_j) wb_j^{(x)l}``.  For ReLU,
  ``m_1 = s/2``, ``m_2 = s/sqrt(2 pi)``, ``m_3 = 0`` (``relu(z) = z/2 + |z|/2``
  and ``|z|`` is even) and ``m_4 = -s/sqrt(2 pi)``; so, as Zhong et al. do when
  ``m_3 = 0``, the third-order object is ``M_4`` contracted with a random unit
  vector ``alpha``: ``P3 = M_4(I, I, I, alpha) = sum_j m_4(s_j) <alpha, wb_j> wb_j^{(x)3}``,
  with ``He_4(x) = x^{(x)4} - sym(x (x) x (x) I) + sym(I (x) I)``.
* Algorithm: ``V`` = top-K eigenvectors of the empirical ``M_2`` (the span of
  the ``wb_j``); ``R3 = P3(V, V, V)`` (K x K x K, computed directly from the
  samples, never forming a d^4 tensor); decompose ``R3`` to get the directions;
  magnitudes by least squares from ``M_1 = sum_j (s_j/2) wb_j``.

Choices where the papers leave a detail to the implementer (each tested in
``tests/test_baselines_tensor.py``):

* **Decomposition of R3.**  Zhong et al. use a non-orthogonal decomposition
  (Kuleshov et al. 2015).  Because every output weight is +1, ``V^T M_2 V =
  sum_j (s_j/sqrt(2 pi)) u_j u_j^T`` is positive definite and whitens ``R3``
  into an orthogonally decomposable tensor; we contract the whitened tensor
  with ``n_contractions`` random vectors (random-contraction
  diagonalization, the idea of Kuleshov et al.), keep the contraction whose
  symmetric matrix has the largest smallest eigengap, and take its
  eigenvectors.  Signs (odd tensor) are fixed by the magnitudes: ``M_1``'s
  least-squares coefficients must be positive.
* **Step size.**  ``eta = step_scale / (K lambda_max(X^T X / n))``: ``K
  lambda_max(X^T X/n)`` bounds the Gauss-Newton curvature ``||J^T J / n||`` of
  the loss at every ``W`` (``J`` = Jacobian of the outputs), so GD is stable
  near the optimum for ``step_scale <= 1``.  The papers' step
  (``O(1/(K^2 kappa^? lambda))``) has unknown constants.
* **Rate.**  The paper: ``||W_t - W*|| <= q^t ||W_0 - W*|| + (statistical
  error)``.  With the teacher known, ``rate`` (:func:`error_rate`) is
  ``exp(slope)`` of a least-squares fit of ``log e_k`` (``e_k`` the relative
  parameter error) over the iterations from ``e_k <= 0.3 e_0`` (past the
  transient) until ``e_k`` first reaches ``10 e_T`` (``e_T``, its final value,
  is the statistical floor ``param_error_final``).  Without a teacher it is
  the fit of the step norms ``||W_{k+1} - W_k||_F`` (:func:`fit_linear_rate`).
  With noise GD does not settle exactly: a sample on a unit's activation
  boundary makes the empirical loss non-smooth at its minimiser and the step
  norms stall at a tiny scale while the error has long reached its floor, so
  the step norms are no rate estimate there.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from blasso.memory import check_memory, chunks
from blasso.progress import as_progress
from blasso.validation import (BlassoInputError, check_number, check_positive_int, check_rng, check_X, check_y)

from ._net import param_error

__all__ = ["RELU_HERMITE", "empirical_moments", "expected_moments", "tensor_initialization", "TensorGDResult",
           "loss_and_grad", "run_tensor_gd", "fit_linear_rate", "error_rate"]

_S2PI = np.sqrt(2.0 * np.pi)
#: ``m_l(s) / s`` for ReLU, l = 0..4 (Hermite coefficients ``E[relu(z) He_l(z)]``).
RELU_HERMITE = (1.0 / _S2PI, 0.5, 1.0 / _S2PI, 0.0, -1.0 / _S2PI)


def _he4_contracted(U: np.ndarray, s: np.ndarray, beta: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``sum_i y_i He_4(x_i)(V, V, V, alpha)`` for ``U = X V``, ``s = X alpha``, ``beta = V^T alpha``."""
    k = U.shape[1]
    I = np.eye(k)
    ys = y * s
    T = np.einsum("i,ia,ib,ic->abc", ys, U, U, U, optimize=True)
    g = ys @ U                                        # sum y s u
    T -= np.einsum("ab,c->abc", I, g) + np.einsum("ac,b->abc", I, g) + np.einsum("bc,a->abc", I, g)
    Q = np.einsum("i,ib,ic->bc", y, U, U, optimize=True)   # sum y u u^T
    T -= np.einsum("a,bc->abc", beta, Q) + np.einsum("b,ac->abc", beta, Q) + np.einsum("c,ab->abc", beta, Q)
    ysum = float(y.sum())
    T += ysum * (np.einsum("ab,c->abc", I, beta) + np.einsum("ac,b->abc", I, beta) + np.einsum("a,bc->abc", beta, I))
    return T


def empirical_moments(X, y, alpha, V=None, *, reduce_variance: bool = True) -> dict:
    """Empirical ``M_1 = mean(y x)``, ``M_2 = mean(y (x x^T - I))`` and ``R3 = mean(y He_4(x))(V, V, V, alpha)``.

    With ``reduce_variance`` the fourth-order moment uses ``y - q(x)`` instead
    of ``y``, where ``q(x) = M_0 + <M_1, x> + <M_2, x x^T - I> / 2`` is the
    empirical degree-<=2 Hermite projection of ``y``.  ``He_4`` is orthogonal
    to every polynomial of degree <= 2 under ``N(0, I)``, so the expectation is
    unchanged (up to the O(1/n) error of the empirical coefficients), while the
    variance drops by about the fraction of ``E[y^2]`` that ``q`` explains
    (~98% for one ReLU).  Not in the papers: our choice, tested against the
    closed form (``tests/test_baselines_tensor.py``).

    Parameters
    ----------
    X : array_like (n, d)
        Inputs (standard Gaussian for the expectations to hold).
    y : array_like (n,)
    alpha : array_like (d,)
        Unit contraction vector of the fourth-order moment.
    V : array_like (d, k), optional
        Orthonormal columns; default: the top-k eigenvectors of ``M_2`` with
        ``k = d`` (then no subspace is taken).

    Returns
    -------
    dict
        ``M1`` (d,), ``M2`` (d, d), ``R3`` (k, k, k), ``V`` (d, k).
    """
    X = check_X(X)
    n, d = X.shape
    y = check_y(y, n)
    alpha = np.asarray(alpha, dtype=np.float64).reshape(-1)
    if alpha.shape != (d,) or not np.isclose(np.linalg.norm(alpha), 1.0):
        raise BlassoInputError(f"alpha must be a unit vector of length {d}")
    M1 = X.T @ y / n
    M2 = (X.T * y) @ X / n - float(y.mean()) * np.eye(d)
    if V is None:
        V = np.eye(d)
    V = np.asarray(V, dtype=np.float64)
    if V.ndim != 2 or V.shape[0] != d or not np.allclose(V.T @ V, np.eye(V.shape[1]), atol=1e-8):
        raise BlassoInputError(f"V must have orthonormal columns, shape (d={d}, k)")
    k = V.shape[1]
    beta = V.T @ alpha
    R3 = np.zeros((k, k, k))
    M0 = float(y.mean())
    for lo, hi in chunks(n, 8 * (k ** 3 + 3 * k + 2 * d + 4)):
        Xc, yc = X[lo:hi], y[lo:hi]
        if reduce_variance:
            yc = yc - (M0 + Xc @ M1 + 0.5 * (np.einsum("ia,ab,ib->i", Xc, M2, Xc) - np.trace(M2)))
        R3 += _he4_contracted(Xc @ V, Xc @ alpha, beta, yc)
    return {"M1": M1, "M2": M2, "R3": R3 / n, "V": V}


def expected_moments(W_star, alpha, V=None) -> dict:
    """Closed-form expectations of :func:`empirical_moments` for ``y = sum_j relu(<w*_j, x>)``, ``x ~ N(0, I)``.

    ``M1 = sum_j s_j/2 wb_j``, ``M2 = sum_j s_j/sqrt(2 pi) wb_j wb_j^T``,
    ``R3 = -sum_j s_j/sqrt(2 pi) <alpha, wb_j> (V^T wb_j)^{(x)3}`` (noise has mean 0).
    """
    W_star = np.asarray(W_star, dtype=np.float64)
    d = W_star.shape[1]
    s = np.linalg.norm(W_star, axis=1)
    Wb = W_star / s[:, None]
    V = np.eye(d) if V is None else np.asarray(V, dtype=np.float64)
    U = Wb @ V
    c4 = RELU_HERMITE[4] * s * (Wb @ np.asarray(alpha, dtype=np.float64))
    return {"M1": RELU_HERMITE[1] * (s @ Wb), "M2": RELU_HERMITE[2] * (Wb.T * s) @ Wb,
            "R3": np.einsum("j,ja,jb,jc->abc", c4, U, U, U)}


def _decompose(R3: np.ndarray, M2V: np.ndarray, rng: np.random.Generator, n_starts: int = 10,
               power_iters: int = 50) -> np.ndarray:
    """Directions ``u_j`` (rows, in the V coordinates, unit norm, sign undetermined) of ``R3``."""
    lam, Q = np.linalg.eigh(M2V)
    if lam.min() <= 0:
        raise BlassoInputError("V^T M2 V is not positive definite: too few samples (or not a sum of ReLUs with "
                               "positive output weights)")
    Wh = Q / np.sqrt(lam)                               # whitening: Wh^T M2V Wh = I
    Rw = np.einsum("abc,ai,bj,ck->ijk", R3, Wh, Wh, Wh)
    k = Rw.shape[0]
    E = np.zeros((k, k))
    T = Rw.copy()
    for j in range(k):                                  # robust tensor power method with deflation
        best, best_val = None, -1.0
        for _ in range(n_starts):
            v = rng.standard_normal(k)
            v -= E[:, :j] @ (E[:, :j].T @ v)
            v /= np.linalg.norm(v)
            for _ in range(power_iters):
                v = np.einsum("abc,b,c->a", T, v, v)
                v -= E[:, :j] @ (E[:, :j].T @ v)     # the whitened components are orthonormal
                nv = np.linalg.norm(v)
                if nv == 0:
                    break
                v /= nv
            val = abs(float(np.einsum("abc,a,b,c->", T, v, v, v)))
            if val > best_val:
                best, best_val = v, val
        lam_j = float(np.einsum("abc,a,b,c->", T, best, best, best))
        T = T - lam_j * np.einsum("a,b,c->abc", best, best, best)
        E[:, j] = best
    best = E
    U = (Q * np.sqrt(lam)) @ best                         # un-whiten: u_j ~ Q Lambda^{1/2} e_j
    U = U.T
    return U / np.linalg.norm(U, axis=1, keepdims=True)


def tensor_initialization(X, y, K: int, *, rng=0, n_starts: int = 10) -> dict:
    """Zhong et al.'s moment (tensor) initialization for ``y = sum_{j<=K} relu(<w_j, x>)``.

    Parameters
    ----------
    X : array_like (n, d)
        Standard Gaussian inputs (not rescaled).
    y : array_like (n,)
    K : int
        Number of hidden units (``K <= d``).
    rng : Generator or int
        Draws ``alpha`` and the random contractions.
    n_starts : int
        Random starts of the tensor power method, per component.

    Returns
    -------
    dict
        ``W0`` (K, d) initial weights, ``directions`` (K, d), ``norms`` (K,),
        ``V`` (d, K), ``alpha`` (d,).
    """
    X = check_X(X)
    n, d = X.shape
    y = check_y(y, n)
    K = check_positive_int(K, name="K")
    if K > d:
        raise BlassoInputError(f"tensor initialization needs K <= d; got K = {K}, d = {d}")
    n_starts = check_positive_int(n_starts, name="n_starts")
    rng = check_rng(rng)
    alpha = rng.standard_normal(d)
    alpha /= np.linalg.norm(alpha)
    M2 = (X.T * y) @ X / n - float(y.mean()) * np.eye(d)
    ev, E = np.linalg.eigh(M2)
    V = E[:, np.argsort(-np.abs(ev))[:K]]
    mom = empirical_moments(X, y, alpha, V)
    U = _decompose(mom["R3"], V.T @ mom["M2"] @ V, rng, n_starts)
    Wb = U @ V.T                                          # unit directions in R^d (V orthonormal)
    z, *_ = np.linalg.lstsq(Wb.T, mom["M1"], rcond=None)  # M1 = sum_j (s_j / 2) wb_j
    Wb = Wb * np.where(z < 0, -1.0, 1.0)[:, None]
    s = np.abs(z) / RELU_HERMITE[1]
    return {"W0": Wb * s[:, None], "directions": Wb, "norms": s, "V": V, "alpha": alpha}


def loss_and_grad(W, X, y) -> tuple[float, np.ndarray]:
    """``L(W) = 1/(2n) ||relu(X W^T) 1 - y||^2`` and ``dL/dW = (1/n) sum_i r_i 1{X W^T > 0}_i x_i^T``."""
    Z = X @ W.T
    r = np.maximum(Z, 0.0).sum(axis=1) - y
    return 0.5 * float(r @ r) / X.shape[0], ((Z > 0) * r[:, None]).T @ X / X.shape[0]


def fit_linear_rate(dist: np.ndarray, lo: float = 1e-10, hi: float = 1e-1) -> float | None:
    """``exp(slope)`` of ``log dist_k`` over the iterations with ``lo <= dist_k / dist_0 <= hi``.

    When fewer than 10 iterations qualify (a slow run that never got below
    ``hi``), the second half of the run with ``dist_k / dist_0 >= lo`` is used;
    None when fewer than 3 points remain.
    """
    dist = np.asarray(dist, dtype=np.float64)
    if dist.size < 3 or not dist[0] > 0:
        return None
    rel = dist / dist[0]
    k = np.nonzero((rel >= lo) & (rel <= hi))[0]
    if k.size < 10:
        k = np.arange(dist.size // 2, dist.size)
        k = k[rel[k] >= lo]
    if k.size < 3:
        return None
    slope = np.polyfit(k.astype(float), np.log(dist[k]), 1)[0]
    return float(np.exp(slope))


def error_rate(err, *, start: float = 0.3, above_floor: float = 10.0) -> float | None:
    """Linear rate of a parameter error ``e_k`` that decays to a floor ``e_T`` (its last value).

    ``exp(slope)`` of a least-squares fit of ``log e_k`` over the iterations
    before ``e_k`` first drops to ``above_floor * e_T``, once ``e_k <= start
    * e_0`` (past the initial transient); None with fewer than 3 such points.
    """
    e = np.asarray(err, dtype=np.float64)
    if e.size < 3 or not e[0] > 0:
        return None
    low = np.nonzero(e <= above_floor * e[-1])[0]
    end = int(low[0]) if low.size else e.size
    k = np.arange(end)
    k = k[(e[k] <= start * e[0]) & (e[k] > 0)]
    if k.size < 3:
        return None
    return float(np.exp(np.polyfit(k.astype(float), np.log(e[k]), 1)[0]))


@dataclass
class TensorGDResult:
    """Outcome of :func:`run_tensor_gd`.

    Attributes
    ----------
    W, W0 : final and initial weights (K, d).
    eta : step size used.
    iterations : int
    status : ``converged`` (gradient norm below ``gtol``), ``max_iter`` or ``diverged``.
    train_loss : list of float, one per iterate (``W0`` first).
    param_error : list of float or None (when no teacher was given), one per iterate.
    rate : float or None (see the module docstring).
    wall_s : float
    """

    W: np.ndarray
    W0: np.ndarray
    eta: float
    iterations: int
    status: str
    train_loss: list
    param_error: list | None
    rate: float | None
    wall_s: float
    info: dict = field(default_factory=dict)


def run_tensor_gd(X, y, W0, *, iters: int = 2000, step_scale: float = 1.0, gtol: float = 1e-10,
                  W_star=None, progress=None) -> TensorGDResult:
    """Plain GD on ``L(W)`` (output weights 1) from ``W0``, constant step (module docstring).

    Parameters
    ----------
    X, y : the data (raw Gaussian inputs).
    W0 : array_like (K, d)
        Start, e.g. :func:`tensor_initialization`'s ``W0``.
    iters : int
        Iteration cap.
    step_scale : float in (0, 2)
        ``eta = step_scale / (K lambda_max(X^T X / n))``.
    gtol : float
        Stop when ``||dL/dW||_F <= gtol * max(1, ||W||_F)``.
    W_star : array_like (K, d), optional
        Teacher weights: the parameter error is recorded at every iterate.
    progress : callable, optional
        A :mod:`blasso.progress` hook.
    """
    X = check_X(X)
    n, d = X.shape
    y = check_y(y, n)
    W = np.array(W0, dtype=np.float64, copy=True)
    if W.ndim != 2 or W.shape[1] != d or not np.all(np.isfinite(W)):
        raise BlassoInputError(f"W0 must be a finite array of shape (K, {d}); got {W.shape}")
    iters = check_positive_int(iters, name="iters", minimum=0)
    step_scale = check_number(step_scale, name="step_scale", minimum=0.0, maximum=2.0, strict_min=True,
                              strict_max=True)
    gtol = check_number(gtol, name="gtol", minimum=0.0)
    if W_star is not None:
        W_star = np.asarray(W_star, dtype=np.float64)
        if W_star.shape[1] != d or W_star.shape[0] > W.shape[0]:
            raise BlassoInputError(f"W_star must have shape (K' <= {W.shape[0]}, {d}); got {W_star.shape}")
    check_memory(8 * (iters + 1) * W.size, f"the GD trajectory ({iters + 1} iterates of {W.shape})")
    say = as_progress(progress)
    K = W.shape[0]
    eta = step_scale / (K * float(np.linalg.eigvalsh(X.T @ X / n)[-1]))
    t0 = time.perf_counter()
    traj = [W.copy()]
    losses, perr = [], ([] if W_star is not None else None)
    status = "max_iter"
    k = 0
    for k in range(iters + 1):
        L, G = loss_and_grad(W, X, y)
        losses.append(L)
        if perr is not None:
            perr.append(param_error(W, W_star))
        if not np.isfinite(L):
            status = "diverged"
            break
        if np.linalg.norm(G) <= gtol * max(1.0, np.linalg.norm(W)):
            status = "converged"
            break
        if k == iters:
            break
        W = W - eta * G
        traj.append(W.copy())
        if k % 200 == 0:
            say("tensor-init GD", k, iters)
    T = np.array(traj[:len(losses)])
    steps = np.linalg.norm(np.diff(T, axis=0).reshape(len(T) - 1, -1), axis=1)
    rate = None
    if status != "diverged":
        if perr is not None:        # the paper's statement: linear decay of the error down to its floor
            rate = error_rate(perr)
        else:
            rate = fit_linear_rate(steps)
    return TensorGDResult(W=W, W0=np.asarray(W0, dtype=np.float64), eta=eta, iterations=len(losses) - 1,
                          status=status, train_loss=losses, param_error=perr, rate=rate,
                          wall_s=time.perf_counter() - t0, info={"step_norms": steps.tolist()})
