"""Polishing a grid LASSO solution to machine precision, and a uniqueness test.

Interior-point solvers return accurate objectives but weights that are only
accurate to about the solver tolerance: neighbouring grid columns are almost
collinear, so the objective is flat along directions that move mass between
them, and many tiny spurious weights remain.  The LASSO optimum is however
determined by its equicorrelation set ``E = {g : |eta_p(theta_g)| = 1}`` and
the signs ``s_E`` there: if ``A_E`` has full column rank and the solution is
supported on ``E``,

``c_E = (A_E^T A_E)^{-1} (A_E^T y - n lam s_E)``.

:func:`polish` guesses ``E`` from the solver's dual vector, solves that
system, and accepts the result only if the full KKT conditions then hold on
the whole grid (``|A^T p / n| <= 1 + kkt_tol`` with ``p = (y - A c)/lam``,
``sign(c_E) = s_E``) and the objective did not increase.  Otherwise the raw
solution is kept and the reason is reported.
"""

from __future__ import annotations

import numpy as np

from blasso.objective import datafit

__all__ = ["polish", "equicorrelation_uniqueness"]


def _objective(A, c, y, lam):
    return datafit(A @ c, y) + lam * float(np.abs(c).sum())


def polish(A: np.ndarray, y: np.ndarray, lam: float, c: np.ndarray, *,
           eps_list=(1e-7, 1e-6, 1e-5, 1e-4), kkt_tol: float = 1e-9) -> tuple[np.ndarray, dict]:
    """Try to replace ``c`` by the exact LASSO solution on its equicorrelation set.

    Parameters
    ----------
    A : ndarray (n, G)
        Grid features.
    y : ndarray (n,)
    lam : float > 0
    c : ndarray (G,)
        Solver solution.
    eps_list : sequence of float
        Thresholds tried for ``|eta| >= 1 - eps`` when guessing ``E``.
    kkt_tol : float
        Allowed ``max |A^T p / n| - 1`` of the polished solution.

    Returns
    -------
    c_new : ndarray (G,)
        The polished weights, or ``c`` unchanged.
    info : dict
        ``polished`` (bool), ``reason``, ``kkt_violation``, ``eps``.
    """
    n = A.shape[0]
    obj_raw = _objective(A, c, y, lam)
    eta = A.T @ ((y - A @ c) / lam) / n
    reason = "no threshold gave a consistent equicorrelation set"
    for eps in eps_list:
        E = np.flatnonzero(np.abs(eta) >= 1 - eps)
        if E.size == 0:
            reason = f"empty equicorrelation set at eps={eps:g}"
            continue
        if E.size > n:
            reason = f"equicorrelation set larger than n at eps={eps:g}"
            break
        AE = A[:, E]
        s = np.sign(eta[E])
        gram = AE.T @ AE
        if np.linalg.matrix_rank(gram) < E.size:
            reason = f"A_E rank-deficient at eps={eps:g} (|E|={E.size})"
            continue
        cE = np.linalg.solve(gram, AE.T @ y - n * lam * s)
        if np.any(np.sign(cE) != s):
            reason = f"sign pattern inconsistent at eps={eps:g}"
            continue
        new = np.zeros_like(c)
        new[E] = cE
        p = (y - AE @ cE) / lam
        viol = float(np.max(np.abs(A.T @ p)) / n - 1.0)
        obj_new = _objective(A, new, y, lam)
        if viol <= kkt_tol and obj_new <= obj_raw + 1e-12 * max(1.0, abs(obj_raw)):
            return new, {"polished": True, "reason": f"exact KKT on |E|={E.size} atoms",
                         "kkt_violation": viol, "eps": eps}
        reason = f"KKT violated by {viol:.2e} after polishing at eps={eps:g}"
    return c, {"polished": False, "reason": reason, "kkt_violation": float("nan"), "eps": float("nan")}


def equicorrelation_uniqueness(A: np.ndarray, y: np.ndarray, lam: float, c: np.ndarray, *,
                               strict_tol: float = 1e-7) -> dict:
    """Sufficient test for uniqueness of a grid LASSO solution.

    If ``|eta_g| < 1 - strict_tol`` off the support ``S`` of ``c`` and ``A_S``
    has full column rank, the solution is unique (every solution is supported
    on the equicorrelation set, and the LASSO restricted to an independent
    ``A_S`` is strictly convex).

    Returns
    -------
    dict with ``unique`` (bool: the sufficient condition holds),
    ``support`` (indices), ``equicorrelation`` (indices with
    ``|eta| >= 1 - strict_tol``), ``rank`` and ``off_support_max`` (``max |eta|`` off ``S``).
    """
    n = A.shape[0]
    S = np.flatnonzero(c)
    eta = A.T @ ((y - A @ c) / lam) / n
    E = np.flatnonzero(np.abs(eta) >= 1 - strict_tol)
    off = np.setdiff1d(np.arange(A.shape[1]), S)
    off_max = float(np.max(np.abs(eta[off]))) if off.size else 0.0
    rank = int(np.linalg.matrix_rank(A[:, S])) if S.size else 0
    unique = bool(np.array_equal(np.sort(E), S) and rank == S.size)
    return {"unique": unique, "support": S, "equicorrelation": E, "rank": rank, "off_support_max": off_max}
