"""Objectives: the BLASSO ``J``, the network loss ``F`` (L1 / L2 penalty), the dual ``D``.

Scalings (the mathematics page of the documentation):

``J(nu)     = 1/(2n) ||y - Phi nu||^2 + lam ||nu||_TV``
``F_L1(a,W) = 1/(2n) ||y - f(X; a, W)||^2 + lam sum_j |a_j| ||w_j||``      (paper eq. 4)
``F_L2(a,W) = 1/(2n) ||y - f(X; a, W)||^2 + lam/2 sum_j (a_j^2 + ||w_j||^2)`` (paper eq. 13)
``D(p)      = (lam/n) <y, p> - lam^2/(2n) ||p||^2``  (primal units; the paper's
dual is ``D / (lam n)``, same maximiser).

Weak duality: ``D(p) <= J(nu)`` whenever ``sup_theta |eta_p(theta)| <= 1``.
"""

from __future__ import annotations

import numpy as np

from .measure import Measure
from .validation import BlassoInputError, check_choice, check_lam, check_vector, check_X, check_y

__all__ = [
    "network_output",
    "datafit",
    "blasso_objective",
    "grid_objective",
    "network_objective",
    "dual_objective",
    "dual_from_residual",
    "duality_gap",
]


def network_output(a, W, X) -> np.ndarray:
    """``f(x_i; a, W) = sum_j a_j relu(<w_j, x_i>)``."""
    X = check_X(X)
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[1] != X.shape[1]:
        raise BlassoInputError(f"W must have shape (M, {X.shape[1]}); got {W.shape}")
    a = check_vector(a, W.shape[0], name="a")
    return np.maximum(X @ W.T, 0.0) @ a


def datafit(pred, y) -> float:
    """``1/(2n) ||y - pred||^2``."""
    y = np.asarray(y, dtype=np.float64)
    r = y - np.asarray(pred, dtype=np.float64)
    return float(r @ r / (2 * y.shape[0]))


def blasso_objective(nu: Measure, X, y, lam: float) -> float:
    """BLASSO objective ``J(nu)`` (paper eq. 8)."""
    X = check_X(X)
    y = check_y(y, X.shape[0])
    lam = check_lam(lam, allow_zero=True)
    return datafit(nu.evaluate(X), y) + lam * nu.tv


def grid_objective(A: np.ndarray, c, y, lam: float) -> float:
    """Grid LASSO objective ``1/(2n)||y - A c||^2 + lam ||c||_1`` with a dense ``A``."""
    c = np.asarray(c, dtype=np.float64)
    return datafit(A @ c, y) + float(lam) * float(np.abs(c).sum())


def network_objective(a, W, X, y, lam: float, penalty: str = "l1") -> float:
    """Network loss ``F(a, W)`` with the ``"l1"`` (eq. 4) or ``"l2"`` (eq. 13) penalty."""
    penalty = check_choice(penalty, ("l1", "l2"), name="penalty")
    X = check_X(X)
    y = check_y(y, X.shape[0])
    lam = check_lam(lam, allow_zero=True)
    a = np.asarray(a, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    fit = datafit(network_output(a, W, X), y)
    norms = np.linalg.norm(W, axis=1)
    if penalty == "l1":
        return fit + lam * float(np.sum(np.abs(a) * norms))
    return fit + 0.5 * lam * float(np.sum(a * a + norms * norms))


def dual_objective(p, y, lam: float) -> float:
    """``D(p) = (lam/n) <y, p> - lam^2/(2n) ||p||^2`` (primal units)."""
    y = np.asarray(y, dtype=np.float64)
    p = check_vector(p, y.shape[0], name="p")
    lam = check_lam(lam)
    n = y.shape[0]
    return float(lam / n * (y @ p) - lam * lam / (2 * n) * (p @ p))


def dual_from_residual(pred, y, lam: float) -> np.ndarray:
    """``p = (y - f(X; nu)) / lam``: the optimal dual when ``nu`` is primal optimal."""
    lam = check_lam(lam)
    return (np.asarray(y, dtype=np.float64) - np.asarray(pred, dtype=np.float64)) / lam


def duality_gap(primal: float, p, y, lam: float, sup_eta: float) -> dict:
    """Gap between a primal value and the dual value of the rescaled ``s p``.

    ``s = 1 / max(1, sup_eta)`` makes ``s p`` feasible for whatever set
    ``sup_eta`` was computed over (a grid gives the grid gap only; a rigorous
    sphere-wide upper bound gives a bound on the continuous problem).
    """
    if not np.isfinite(sup_eta) or sup_eta < 0:
        raise BlassoInputError(f"sup_eta must be finite and >= 0; got {sup_eta}")
    s = 1.0 / max(1.0, float(sup_eta))
    dual = dual_objective(s * np.asarray(p, dtype=np.float64), y, lam)
    gap = float(primal) - dual
    return {"primal": float(primal), "dual": dual, "scale": s, "gap": gap,
            "rel_gap": gap / max(abs(float(primal)), 1e-300)}
