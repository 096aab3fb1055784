"""Sparse signed measures on the sphere and their link to two-layer ReLU networks.

``nu = sum_k c_k delta_{theta_k}`` represents the network
``f(x; nu) = sum_k c_k relu(<theta_k, x>)``.  A network ``(a, W)`` maps to
``c_j = a_j ||w_j||``, ``theta_j = w_j / ||w_j||`` (positive homogeneity);
units with the same direction merge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .features import phi
from .sphere import geodesic_distance
from .validation import BlassoInputError, check_directions, check_nonneg, check_vector, check_weights, check_X

__all__ = ["Measure", "cluster_to_targets", "SUPPORT_RTOL", "support_threshold"]

#: Grid weights at most this fraction of the largest ``|c_g|`` are never reported as atoms.
SUPPORT_RTOL = 1e-6


def support_threshold(c, *, gap: float = 0.0, n: int = 1, col_norm_max: float = 1.0,
                      rtol: float = SUPPORT_RTOL) -> float:
    """The one threshold below which a grid weight is not reported as an atom.

    ``tau = max(rtol * max_g |c_g|, sqrt(2 n gap) / max_g ||a_g||)``; atoms
    with ``|c_g| <= tau`` are dropped by ``LassoResult.measure()`` and every
    atom count.

    The first term is relative to the solution's scale.  The second is the
    weight the certified accuracy cannot resolve: at a LASSO optimum the
    objective is flat to first order in each weight (``eta_p = sign(c_g)`` on
    the support), so removing an atom of weight ``w`` changes ``J`` by
    ``||a_g||^2 w^2 / (2n)``; when that is at most the certified grid duality
    gap ``gap`` (absolute, ``J(c) - D(s p)``), a solution without the atom is
    just as certified, so the atom is below the solver's accuracy.

    Parameters
    ----------
    c : array_like
        Grid weights.
    gap : float >= 0
        Certified absolute grid duality gap of ``c``.
    n : int
        Number of samples.
    col_norm_max : float > 0
        ``max_g ||a_g||`` over the grid (the largest feature column norm).
    rtol : float >= 0

    Returns
    -------
    float
        ``tau`` (0 for the zero vector with a zero gap).
    """
    c = np.asarray(c, dtype=np.float64)
    top = float(np.max(np.abs(c), initial=0.0))
    resolved = np.sqrt(2.0 * n * max(float(gap), 0.0)) / col_norm_max if col_norm_max > 0 else 0.0
    return max(float(rtol) * top, float(resolved))


@dataclass(frozen=True)
class Measure:
    """A finite signed measure ``sum_k c[k] delta_{theta[k]}`` on S^{d-1}.

    Parameters
    ----------
    theta : ndarray of shape (k, d)
        Unit directions of the atoms.
    c : ndarray of shape (k,)
        Signed weights.

    Examples
    --------
    >>> nu = Measure([[1.0, 0.0], [0.0, 1.0]], [1.0, -0.5])
    >>> nu, nu.tv
    (Measure(2 atoms, d=2, TV=1.5), 1.5)
    """

    theta: np.ndarray
    c: np.ndarray

    def __post_init__(self):
        theta = np.asarray(self.theta, dtype=np.float64)
        if theta.ndim != 2:
            raise BlassoInputError(f"measure directions must be 2-D (k, d); got shape {theta.shape}")
        theta = check_directions(theta, name="measure directions", tol=1e-6, allow_empty=True)
        c = check_weights(self.c, theta.shape[0], name="measure weights")
        if theta.shape[0]:
            theta = theta / np.linalg.norm(theta, axis=1, keepdims=True)
        object.__setattr__(self, "theta", theta)
        object.__setattr__(self, "c", c)

    def __repr__(self) -> str:
        """One line: ``Measure(5 atoms, d=5, TV=5.0)`` (``theta`` and ``c`` are attributes)."""
        k = len(self)
        return f"Measure({k} atom{'' if k == 1 else 's'}, d={self.d}, TV={float(f'{self.tv:.6g}')!r})"

    # ------------------------------------------------------------------ basics
    @property
    def d(self) -> int:
        return int(self.theta.shape[1])

    def __len__(self) -> int:
        return int(self.c.shape[0])

    @property
    def tv(self) -> float:
        """Total-variation norm ``sum_k |c_k|``."""
        return float(np.abs(self.c).sum())

    def evaluate(self, X) -> np.ndarray:
        """``f(x_i; nu)`` for every row of ``X``."""
        X = check_X(X)
        if X.shape[1] != self.d:
            raise BlassoInputError(f"X has d = {X.shape[1]} but the measure lives in d = {self.d}")
        return phi(X, self.theta, self.c)

    # --------------------------------------------------------- constructors
    @classmethod
    def empty(cls, d: int) -> "Measure":
        return cls(np.zeros((0, d)), np.zeros(0))

    @classmethod
    def from_grid(cls, grid_theta, c, *, tol: float = 0.0) -> "Measure":
        """Atoms of a grid solution whose weight exceeds ``tol`` in absolute value."""
        c = np.asarray(c, dtype=np.float64)
        keep = np.abs(c) > tol
        return cls(np.asarray(grid_theta)[keep], c[keep])

    @classmethod
    def from_network(cls, a, W, *, merge_exact: bool = True) -> "Measure":
        """Measure of the network ``sum_j a_j relu(<w_j, x>)``.

        Units with ``||w_j|| = 0`` or ``a_j = 0`` contribute nothing and are
        dropped; units with identical directions are merged when ``merge_exact``.
        """
        W = np.asarray(W, dtype=np.float64)
        if W.ndim != 2:
            raise BlassoInputError(f"W must be 2-D (M, d); got shape {W.shape}")
        a = check_vector(a, W.shape[0], name="a")
        if not np.all(np.isfinite(W)):
            raise BlassoInputError("W contains non-finite values")
        norms = np.linalg.norm(W, axis=1)
        keep = (norms > 0) & (a != 0)
        theta = W[keep] / norms[keep, None]
        nu = cls(theta, a[keep] * norms[keep])
        return nu.merge(0.0) if merge_exact else nu

    def to_network(self) -> tuple[np.ndarray, np.ndarray]:
        """A balanced network ``(a, W)`` with ``|a_j| = ||w_j||`` representing the measure."""
        s = np.sqrt(np.abs(self.c))
        return np.sign(self.c) * s, self.theta * s[:, None]

    # ------------------------------------------------------------ clean-up
    def prune(self, tol: float = 0.0) -> "Measure":
        """Drop atoms with ``|c_k| <= tol`` (``tol >= 0``)."""
        tol = check_nonneg(tol, "prune tolerance")
        keep = np.abs(self.c) > tol
        return Measure(self.theta[keep], self.c[keep])

    def merge(self, angle_tol: float) -> "Measure":
        """Merge atoms closer than ``angle_tol`` radians (single linkage).

        Weights add up; the merged direction is the ``|c|``-weighted mean direction.
        With ``angle_tol = 0`` only identical directions (to 1e-12) merge, which
        leaves ``f(.; nu)`` unchanged.
        """
        tol = max(check_nonneg(angle_tol, "merge angle (radians)"), 1e-12)
        k = len(self)
        if k <= 1:
            return self
        D = geodesic_distance(self.theta, self.theta)
        # union-find over the pairs below tolerance
        parent = np.arange(k)

        def find(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        ii, jj = np.nonzero(np.triu(D <= tol, 1))
        for i, j in zip(ii, jj):
            ri, rj = find(i), find(j)
            if ri != rj:
                parent[rj] = ri
        roots = np.array([find(i) for i in range(k)])
        labels, inv = np.unique(roots, return_inverse=True)
        c = np.zeros(labels.size)
        np.add.at(c, inv, self.c)
        w = np.abs(self.c)
        scale = np.zeros(labels.size)
        np.maximum.at(scale, inv, w)
        # weights relative to the cluster's largest one: no underflow for |c| ~ 1e-300
        rel = np.divide(w, scale[inv], out=np.ones_like(w), where=scale[inv] > 0)
        V = np.zeros((labels.size, self.d))
        np.add.at(V, inv, self.theta * rel[:, None])
        norms = np.linalg.norm(V, axis=1, keepdims=True)
        first = np.zeros(labels.size, dtype=int)
        first[inv[::-1]] = np.arange(k)[::-1]
        bad = norms[:, 0] == 0  # cannot happen for atoms within tol < pi; keep a member direction
        V[bad] = self.theta[first[bad]]
        norms[bad] = 1.0
        return Measure(V / norms, c)

    def sorted(self) -> "Measure":
        """Atoms in decreasing ``|c|`` order (for display)."""
        order = np.argsort(-np.abs(self.c), kind="stable")
        return Measure(self.theta[order], self.c[order])

    def to_dict(self) -> dict:
        return {"theta": self.theta.tolist(), "c": self.c.tolist(), "tv": self.tv}


def cluster_to_targets(nu: Measure, targets: Measure, *, max_angle: float) -> dict:
    """Assign every atom of ``nu`` to its nearest target atom (within ``max_angle``).

    Used to read a grid solution, whose mass spreads over the grid points
    around each true atom, against a teacher.  For each target ``j``:
    the summed weight of its atoms, their number, the ``|c|``-weighted mean angle
    to the target and the largest angle.  Atoms farther than ``max_angle``
    from every target are "unassigned".

    Returns
    -------
    dict with per-target arrays ``mass``, ``count``, ``mean_angle``,
    ``max_angle`` (radians, NaN when empty), and ``unassigned_mass`` (TV of the
    unassigned atoms), ``unassigned_count``.
    """
    m = len(targets)
    out = {"mass": np.zeros(m), "count": np.zeros(m, dtype=int), "mean_angle": np.full(m, np.nan),
           "max_angle": np.full(m, np.nan), "unassigned_mass": 0.0, "unassigned_count": 0}
    if len(nu) == 0 or m == 0:
        out["unassigned_mass"] = nu.tv
        out["unassigned_count"] = len(nu)
        return out
    D = geodesic_distance(nu.theta, targets.theta)
    nearest = np.argmin(D, axis=1)
    ang = D[np.arange(len(nu)), nearest]
    ok = ang <= max_angle
    for j in range(m):
        sel = ok & (nearest == j)
        if sel.any():
            w = np.abs(nu.c[sel])
            out["mass"][j] = float(nu.c[sel].sum())
            out["count"][j] = int(sel.sum())
            out["mean_angle"][j] = float((w * ang[sel]).sum() / max(w.sum(), 1e-300))
            out["max_angle"][j] = float(ang[sel].max())
    out["unassigned_mass"] = float(np.abs(nu.c[~ok]).sum())
    out["unassigned_count"] = int((~ok).sum())
    return out
