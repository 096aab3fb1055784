"""Duality gap from a residual, and the gap-safe sphere screening rule, for the grid LASSO.

For ``P(c) = 1/(2n) ||y - A c||^2 + lam ||c||_1`` and the dual
``D(p) = (lam/n) <y, p> - lam^2/(2n) ||p||^2`` under ``|a_g^T p| / n <= 1``
(the mathematics page of the documentation):

* any residual ``r = y - A c`` gives the feasible dual point
  ``theta = s r / lam``, ``s = 1 / max(1, max_g |a_g^T r| / (n lam))``, hence
  the exact gap ``P(c) - D(theta) >= P(c) - P*``;
* ``D`` is ``lam^2 / n``-strongly concave, so the dual optimum ``p*`` lies in
  the ball of centre ``theta`` and radius ``R = sqrt(2 n gap) / lam``;
* an atom with ``|a_g^T theta| / n + R ||a_g|| / n < 1`` therefore has
  ``|a_g^T p*| / n < 1`` and weight zero in EVERY solution (Fermat's rule):
  it can be removed without changing the optimal value (gap-safe rule,
  Ndiaye, Fercoq, Gramfort & Salmon, JMLR 2017).
"""

from __future__ import annotations

import numpy as np

from blasso.objective import duality_gap

__all__ = ["residual_gap", "gap_safe_keep"]


def residual_gap(r: np.ndarray, c_l1: float, corr: np.ndarray, y: np.ndarray, lam: float) -> dict:
    """Exact duality gap of a primal point given its residual and correlations.

    Parameters
    ----------
    r : ndarray (n,)
        Residual ``y - A c``.
    c_l1 : float
        ``||c||_1``.
    corr : ndarray (k,)
        ``a_g^T r`` for the atoms over which dual feasibility is enforced
        (the whole grid, or the atoms that survived safe screening).
    y : ndarray (n,)
    lam : float > 0

    Returns
    -------
    dict
        :func:`blasso.objective.duality_gap`'s keys (``primal``, ``dual``,
        ``scale``, ``gap``, ``rel_gap``) plus ``sup_eta = max |a_g^T r| / (n lam)``.
    """
    n = r.shape[0]
    primal = float(r @ r) / (2 * n) + lam * float(c_l1)
    sup = float(np.max(np.abs(corr), initial=0.0)) / (n * lam)
    return duality_gap(primal, r / lam, y, lam, sup) | {"sup_eta": sup}


def gap_safe_keep(corr: np.ndarray, norms: np.ndarray, gap: dict, n: int, lam: float, *,
                  margin: float = 1e-12) -> np.ndarray:
    """Atoms that the gap-safe sphere test cannot rule out of the support.

    Parameters
    ----------
    corr : ndarray (k,)
        ``a_g^T r`` for the candidate atoms.
    norms : ndarray (k,)
        ``||a_g||``.
    gap : dict
        Output of :func:`residual_gap` for the same residual (its ``scale``
        and ``gap`` define the safe ball).
    n : int
        Number of samples.
    lam : float > 0
    margin : float
        Safety margin on the ``eta`` scale against rounding (keeps more atoms).

    Returns
    -------
    ndarray of bool (k,)
        False where the atom provably has weight zero in every solution.
    """
    radius = np.sqrt(2.0 * n * max(gap["gap"], 0.0)) / lam
    upper = gap["scale"] * np.abs(corr) / (n * lam) + radius * norms / n
    return upper >= 1.0 - margin
