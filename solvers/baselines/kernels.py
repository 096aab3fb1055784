"""Closed-form kernels of the two-layer ReLU network and kernel ridge regression with them (the kernel side of Li, Ma, Zhang 2020).

With ``w ~ N(0, I_d)``, ``a ~ N(0, 1)`` and ``phi`` the angle between ``x`` and ``x'``
(Cho and Saul 2009, "Kernel methods for deep learning": the arc-cosine kernels):

``k0(x, x') = E[1{<w,x> > 0} 1{<w,x'> > 0}] = (pi - phi) / (2 pi)``                        (degree 0)
``k1(x, x') = E[relu(<w,x>) relu(<w,x'>)] = ||x|| ||x'|| (sin phi + (pi - phi) cos phi) / (2 pi)``  (degree 1)

* Random ReLU features (only the output layer of ``f(x) = M^{-1/2} sum_i a_i
  relu(<w_i, x>)`` trained, ``M -> infinity``): ``K_RF = k1``.
* Neural tangent kernel of the same network, both layers trained (Jacot et
  al. 2018; the gradient inner product ``<grad_theta f(x), grad_theta f(x')>``
  at initialization, ``M -> infinity``):
  ``K_NTK = k1 + <x, x'> k0`` (the ``a`` part gives ``k1``, the ``w`` part
  ``E[a^2] <x, x'> k0``).

:func:`kernel_ridge` fits scikit-learn's ``KernelRidge(kernel="precomputed")``
with the ridge chosen by cross-validation (``GridSearchCV``, K-fold,
negative mean squared error).  scikit-learn is the optional extra
``blasso[baselines]``; without it a clear :class:`BlassoInputError` names the
extra.
"""

from __future__ import annotations

import numpy as np

from blasso.validation import BlassoInputError, check_choice, check_positive_int, check_X, check_y

__all__ = ["KERNELS", "arccos0", "arccos1", "ntk_kernel", "rf_kernel", "kernel_matrix", "kernel_ridge",
           "KernelFit"]

KERNELS = ("ntk", "rf")


def _cos_and_norms(X: np.ndarray, Z: np.ndarray):
    nx = np.linalg.norm(X, axis=1)
    nz = np.linalg.norm(Z, axis=1)
    G = X @ Z.T
    den = np.outer(nx, nz)
    cos = np.divide(G, den, out=np.zeros_like(G), where=den > 0)
    return np.clip(cos, -1.0, 1.0), G, den


def arccos0(X, Z) -> np.ndarray:
    """Degree-0 arc-cosine kernel ``(pi - phi) / (2 pi)`` between the rows of X and Z."""
    cos, _, _ = _cos_and_norms(np.asarray(X, float), np.asarray(Z, float))
    return (np.pi - np.arccos(cos)) / (2 * np.pi)


def arccos1(X, Z) -> np.ndarray:
    """Degree-1 arc-cosine kernel ``||x|| ||z|| (sin phi + (pi - phi) cos phi) / (2 pi)``."""
    cos, _, den = _cos_and_norms(np.asarray(X, float), np.asarray(Z, float))
    phi = np.arccos(cos)
    # >= 0 mathematically; near phi = pi the two terms cancel to a rounding residual of either sign
    return np.maximum(den * (np.sqrt(np.maximum(1.0 - cos ** 2, 0.0)) + (np.pi - phi) * cos) / (2 * np.pi), 0.0)


def rf_kernel(X, Z) -> np.ndarray:
    """Random-ReLU-feature kernel ``k1``."""
    return arccos1(X, Z)


def ntk_kernel(X, Z) -> np.ndarray:
    """NTK of the two-layer ReLU network (both layers): ``k1 + <x, z> k0``."""
    X = np.asarray(X, float)
    Z = np.asarray(Z, float)
    return arccos1(X, Z) + (X @ Z.T) * arccos0(X, Z)


def kernel_matrix(kind: str, X, Z) -> np.ndarray:
    """``ntk`` or ``rf`` kernel matrix between the rows of X and Z."""
    kind = check_choice(kind, KERNELS, name="kernel")
    return ntk_kernel(X, Z) if kind == "ntk" else rf_kernel(X, Z)


class KernelFit:
    """A fitted kernel ridge regression: ``predict(Z)``, ``alpha`` (CV-chosen ridge), ``cv_scores``."""

    def __init__(self, kind: str, X: np.ndarray, model, alpha: float, cv_scores: list):
        self.kind, self.X, self.model, self.alpha, self.cv_scores = kind, X, model, alpha, cv_scores

    def predict(self, Z) -> np.ndarray:
        Z = check_X(Z, name="Z")
        return self.model.predict(kernel_matrix(self.kind, Z, self.X))


def kernel_ridge(kind: str, X, y, *, alphas=None, folds: int = 5, seed: int = 0,
                 blas_threads: int | None = 1) -> KernelFit:
    """Kernel ridge regression with the ``kind`` kernel, ridge by ``folds``-fold cross-validation.

    Parameters
    ----------
    kind : {"ntk", "rf"}
    X, y : training data.
    alphas : array_like, optional
        Ridge values tried (default ``logspace(-8, 1, 10)`` times the mean
        diagonal of the kernel matrix, so the grid follows the kernel's scale).
    folds : int
        Cross-validation folds (shuffled with ``seed``).
    blas_threads : int or None
        BLAS threads during the fits (``threadpoolctl``; None leaves the
        default).  One thread: on this 2-core shared machine a 320 x 320
        fit took 0.04 s with one thread and 0.95 s with the default pool.

    Returns
    -------
    KernelFit
    """
    try:
        from sklearn.kernel_ridge import KernelRidge
        from sklearn.model_selection import GridSearchCV, KFold
    except ImportError:  # pragma: no cover - depends on the environment
        raise BlassoInputError("the kernel baselines need scikit-learn: pip install 'blasso[baselines]'") from None
    X = check_X(X)
    y = check_y(y, X.shape[0])
    folds = check_positive_int(folds, name="folds", minimum=2)
    if X.shape[0] < 2 * folds:
        raise BlassoInputError(f"kernel ridge with {folds}-fold cross-validation needs n >= {2 * folds}; got {X.shape[0]}")
    K = kernel_matrix(kind, X, X)
    if alphas is None:
        alphas = np.logspace(-8, 1, 10) * float(np.mean(np.diag(K)))
    alphas = np.asarray(alphas, dtype=np.float64).reshape(-1)
    if alphas.size == 0 or np.any(~np.isfinite(alphas)) or np.any(alphas <= 0):
        raise BlassoInputError("alphas must be finite positive numbers")
    cv = KFold(n_splits=folds, shuffle=True, random_state=seed)
    search = GridSearchCV(KernelRidge(kernel="precomputed"), {"alpha": list(alphas)}, cv=cv,
                          scoring="neg_mean_squared_error")
    from blasso.solvers.threads import blas_threads as limit_blas

    with limit_blas(blas_threads):
        search.fit(K, y)
    scores = [float(s) for s in search.cv_results_["mean_test_score"]]
    return KernelFit(kind, X, search.best_estimator_, float(search.best_params_["alpha"]), scores)
