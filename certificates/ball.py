"""Ball arithmetic (python-flint ``arb``) for the statements behind a verdict on ``p_V``.

A float ``p_V`` solves the vanishing-derivative equations only up to rounding,
so a bound on ``|eta|`` for it says nothing by itself about the exact
minimal-norm pre-certificate.  This module makes the link, in FLINT's ball
arithmetic (every operation returns a ball that contains the exact result;
outward rounding is FLINT's guarantee):

* :func:`exact_precertificate` encloses the exact ``p_V`` for the *exact unit*
  atom directions ``u_j = theta_j / |theta_j|``: with ``M`` the ``(m d) x n``
  matrix of the equations ``X^T D_j p = n s_j u_j``, the minimal-norm solution
  is ``p_V = M^T (M M^T)^{-1} n b`` when ``M`` has full row rank.  FLINT's
  ``arb_mat.solve`` succeeds only if it proves ``M M^T`` invertible, which
  proves full row rank, hence that the equations are *consistent* and that
  ``p_V`` is unique.  The balls of ``p_V`` then bound
  ``delta_L = (1/n) sum_i |p_V,i - p_i| |x_i|`` for the float ``p``, and
  ``|eta_{p_V} - eta_p| <= delta_L`` everywhere on the sphere.
* :func:`atoms_interior` proves ``<u_j, x_i> != 0`` for all samples (Assumption
  4.3), which with consistency gives ``eta_{p_V} = s_j cos angle(theta, u_j)``
  exactly on the cell of atom ``j``: the same-sign sup there is exactly 1, at
  the atom only.
* :func:`cone_bound` bounds ``sup <theta, v>`` over a cell by
  ``||v + sum_k mu_k s_k x_k||`` for a float ``mu >= 0`` (valid for any such
  ``mu``), evaluated in balls: used for the opposite sign on the atoms' cells.
* :func:`eta_ball` encloses ``eta_{p_V}(theta)`` for every ``q`` in the balls of
  ``p_V`` (for ``fails``).
* :func:`exact_rank_test` decides consistency exactly over the rationals
  (FLINT ``fmpq_mat``) when ``arb`` cannot prove full rank and the system is
  small: the only rigorous basis for ``fails`` by inconsistency other than two
  atoms sharing a cell.

At large n the O(n) parts are vectorised float computations with rigorous
a-priori error bounds instead of one ``arb`` per sample (a Python loop that
took 1.5 s at n = 1e5): the Gram matrix ``M M^T`` of the equations is summed
exactly (Dekker's error-free product of two floats, then ``math.fsum``, which
is correctly rounded: each entry is the rounded sum plus the rounded
remainder, a ball of radius ``u^2 |entry|``), only
the small ``(m d) x (m d)`` system is solved in ``arb``, and ``p_V = M^T z``,
``delta_L`` and ``eta`` are evaluated in float64 with the bounds of Higham
(``gamma_k``, any summation order) and ``math.fsum`` for the long sums whose
error would otherwise grow like ``n u``.  Data with entries outside
``[2**-400, 2**400]`` (where the error-free product could under- or
overflow) take the former ``arb`` path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .rounding import IV, U, gamma

__all__ = ["PREC", "ExactPV", "exact_precertificate", "atoms_interior", "cone_bound", "eta_ball",
           "exact_rank_test", "arb_less"]

#: Working precision (bits) of the ball computations.
PREC = 256


def _flint():
    import flint

    flint.ctx.prec = PREC
    return flint


def _upper(a) -> float:
    """A float >= every point of the ball ``a`` (rounded up by one ulp)."""
    return float(np.nextafter(float(a.upper()), np.inf))


def _lower(a) -> float:
    return float(np.nextafter(float(a.lower()), -np.inf))


def arb_less(terms: list, bound: float) -> bool:
    """True iff the exact sum of the floats/balls in ``terms`` is proven ``< bound`` in ball arithmetic."""
    fl = _flint()
    s = fl.arb(0)
    for t in terms:
        s = s + (t if isinstance(t, fl.arb) else fl.arb(float(t)))
    return bool(s < fl.arb(float(bound)))


@dataclass
class ExactPV:
    """Enclosure of the exact minimal-norm ``p_V``.

    Attributes
    ----------
    proven : bool
        Full row rank proven (the equations are consistent, ``p_V`` unique).
    mid, rad : ndarray (n,)
        Ball midpoints and radii of ``p_V`` (rounded outwards to floats).
    delta_L : float
        Upper bound of ``(1/n) sum_i |p_V,i - p_i| |x_i|`` for the float ``p`` given.
    reason : str
    """

    proven: bool
    mid: np.ndarray | None
    rad: np.ndarray | None
    delta_L: float
    reason: str


def _unit_rhs(fl, theta: np.ndarray, signs: np.ndarray, n: int) -> list:
    rows = []
    for th, s in zip(theta, signs):
        nrm = sum((fl.arb(float(t)) ** 2 for t in th), fl.arb(0)).sqrt()
        rows += [[fl.arb(float(s)) * fl.arb(n) * fl.arb(float(t)) / nrm] for t in th]
    return rows


def exact_precertificate(X: np.ndarray, theta: np.ndarray, signs: np.ndarray, patterns: np.ndarray,
                         p: np.ndarray) -> ExactPV:
    """Prove consistency of the vanishing-derivative equations and bound ``p_V - p`` (see module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.5]])
    >>> th = np.array([[1.0, 0.2]]) / np.hypot(1.0, 0.2)
    >>> pats = (th @ X.T) > 0
    >>> p = np.linalg.lstsq((X * pats[0][:, None]).T / 4, th[0], rcond=None)[0]
    >>> ex = exact_precertificate(X, th, np.ones(1), pats, p)
    >>> bool(ex.proven and ex.delta_L < 1e-14)
    True
    """
    n, d = X.shape
    m = theta.shape[0]
    if m * d > n:
        return ExactPV(False, None, None, np.inf, f"{m * d} equations in {n} unknowns: full row rank impossible")
    if not _products_exact(X):
        return _exact_precertificate_arb(X, theta, signs, patterns, p)
    fl = _flint()
    G = _gram_balls(fl, X, patterns)
    b = fl.arb_mat(_unit_rhs(fl, theta, signs, n))
    try:
        z = G.solve(b)
    except ZeroDivisionError:
        return ExactPV(False, None, None, np.inf, "ball arithmetic cannot prove the equations of full row rank")
    zmid = np.array([float(z[r, 0].mid()) for r in range(m * d)]).reshape(m, d)
    zrad = np.array([_upper(abs(z[r, 0] - fl.arb(float(zmid.flat[r])))) for r in range(m * d)]).reshape(m, d)
    mid, rad = _pv_balls(X, patterns, zmid, zrad)
    return ExactPV(True, mid, rad, _delta_L(X, mid, rad, p),
                   "full row rank proven in ball arithmetic (exact Gram sums, float p_V with a-priori bounds)")


def _products_exact(X: np.ndarray) -> bool:
    """Whether Dekker's product is error-free on ``X`` (non-zero entries within ``[2**-400, 2**400]``)."""
    a = np.abs(X[X != 0])
    return a.size == 0 or (float(a.min()) >= 2.0 ** -400 and float(a.max()) <= 2.0 ** 400)


def _two_product(a: np.ndarray, b: np.ndarray):
    """``a b = hi + lo`` exactly (Dekker/Veltkamp splitting, no FMA; no over/underflow on the allowed range)."""
    hi = a * b
    c = 134217729.0 * a  # 2**27 + 1
    ah = c - (c - a)
    al = a - ah
    c = 134217729.0 * b
    bh = c - (c - b)
    bl = b - bh
    lo = ((ah * bh - hi) + ah * bl + al * bh) + al * bl
    return hi, lo


def _exact_dot(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """``sum_i a_i b_i = s + r + err`` with ``|err| <= u |r|`` (error-free products, ``math.fsum`` twice).

    ``s`` is the correctly rounded sum, ``r`` the correctly rounded remainder.
    """
    hi, lo = _two_product(a, b)
    parts = np.concatenate([hi, lo]).tolist()
    s = math.fsum(parts)
    parts.append(-s)
    return s, math.fsum(parts)


def _gram_balls(fl, X: np.ndarray, patterns: np.ndarray):
    """``M M^T`` as an ``arb_mat``: balls ``s + r`` of radius ``u |r|`` around the exact sums (double-double)."""
    m, d = patterns.shape[0], X.shape[1]
    k = m * d
    rows = [[None] * k for _ in range(k)]
    for j in range(m):
        for jj in range(j, m):
            Xm = X[patterns[j] & patterns[jj]]
            for a in range(d):
                for b in (range(d) if jj > j else range(a, d)):
                    s, r = _exact_dot(Xm[:, a], Xm[:, b])
                    ball = fl.arb(s) + fl.arb(r, float(np.nextafter(abs(r) * U * (1 + 4 * U), np.inf)) + 2.0 ** -1070)
                    rows[j * d + a][jj * d + b] = ball
                    rows[jj * d + b][j * d + a] = ball
    return fl.arb_mat(rows)


def _pv_balls(X: np.ndarray, patterns: np.ndarray, zmid: np.ndarray, zrad: np.ndarray):
    """Balls of ``p_V = M^T z`` for ``z`` in ``zmid +- zrad``.

    The ``m d`` products per sample are summed in ``np.longdouble`` (unit
    roundoff ``u_L`` from ``np.finfo``; Higham's ``gamma_{md+1}(u_L)`` bound),
    then rounded to float64; the radius adds ``|X| zrad``, the long-double
    error bound and the exact rounding difference (``mid_L - mid`` has at most
    11 significant bits, so it is exact in long double).
    """
    m, d = zmid.shape
    uL = float(np.finfo(np.longdouble).eps) / 2.0
    k = m * d + 1
    gL = k * uL / (1.0 - k * uL)
    absX = np.abs(X)
    acc = np.zeros(X.shape[0], dtype=np.longdouble)
    err = np.zeros(X.shape[0])
    for j in range(m):
        for a in range(d):
            acc += np.where(patterns[j], X[:, a].astype(np.longdouble) * np.longdouble(zmid[j, a]), 0)
        err += patterns[j] * (absX @ (2.0 * gL * np.abs(zmid[j]) + zrad[j]))
    mid = acc.astype(np.float64)
    diff = np.abs((acc - mid.astype(np.longdouble)).astype(np.float64))
    rad = np.nextafter((err * (1.0 + 2.0 * gamma(m * d + 4)) + diff) * (1.0 + 4.0 * U) + 2.0 ** -1070, np.inf)
    return mid, rad


def _delta_L(X: np.ndarray, mid: np.ndarray, rad: np.ndarray, p: np.ndarray) -> float:
    """Upper bound of ``(1/n) sum_i |p_V,i - p_i| |x_i|`` (positive terms: a relative bound suffices)."""
    n, d = X.shape
    t = (np.abs(mid - p) + rad) * np.sqrt(np.einsum("ij,ij->i", X, X))
    s = math.fsum(t.tolist()) * (1.0 + 2.0 * gamma(d + 8)) + n * 2.0 ** -1070
    return float(np.nextafter(s / n * (1.0 + 4.0 * U), np.inf))


def _exact_precertificate_arb(X: np.ndarray, theta: np.ndarray, signs: np.ndarray, patterns: np.ndarray,
                              p: np.ndarray) -> ExactPV:
    """One ``arb`` per entry (slow, any float data): the path for entries beyond ``2**+-400``."""
    fl = _flint()
    n, d = X.shape
    m = theta.shape[0]
    Mrows = []
    for j in range(m):
        Dj = X * patterns[j][:, None]
        Mrows += Dj.T.tolist()
    M = fl.arb_mat(Mrows)
    G = M * M.transpose()
    b = fl.arb_mat(_unit_rhs(fl, theta, signs, n))
    try:
        z = G.solve(b)
    except ZeroDivisionError:
        return ExactPV(False, None, None, np.inf, "ball arithmetic cannot prove the equations of full row rank")
    P = M.transpose() * z
    xn = [sum((fl.arb(float(v)) ** 2 for v in row), fl.arb(0)).sqrt() for row in X]
    mid = np.empty(n)
    rad = np.empty(n)
    dl = fl.arb(0)
    for i in range(n):
        e = P[i, 0]
        mid[i] = float(e.mid())
        rad[i] = _upper(abs(e - fl.arb(mid[i])))
        dl += abs(e - fl.arb(float(p[i]))) * xn[i]
    return ExactPV(True, mid, rad, _upper(dl / n), "full row rank proven in ball arithmetic")


def atoms_interior(X: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """``True`` for atoms proven strictly inside their cell (``<theta_j, x_i> != 0`` for every non-zero ``x_i``)."""
    fl = _flint()
    out = np.ones(theta.shape[0], dtype=bool)
    G = theta @ X.T  # float screen; only near-zero products are decided in balls
    scale = np.linalg.norm(theta, axis=1)[:, None] * np.linalg.norm(X, axis=1)[None]
    for j, i in zip(*np.nonzero(np.abs(G) <= 1e-12 * scale)):
        if not np.any(X[i] != 0):
            continue
        s = sum((fl.arb(float(a)) * fl.arb(float(b)) for a, b in zip(theta[j], X[i])), fl.arb(0))
        if s.contains(0):
            out[j] = False
    return out


def cone_bound(v: list, X: np.ndarray, pattern: np.ndarray, mu: np.ndarray, walls: np.ndarray) -> float:
    """Upper bound of ``||v + sum_k mu_k s_k x_k||`` with ``v`` given as balls (``mu >= 0`` floats)."""
    fl = _flint()
    w = list(v)
    for k, mk in zip(walls, mu):
        if mk <= 0:
            continue
        s = 1.0 if pattern[k] else -1.0
        for a in range(X.shape[1]):
            w[a] = w[a] + fl.arb(float(mk)) * fl.arb(s * float(X[k, a]))
    return _upper(sum((c ** 2 for c in w), fl.arb(0)).sqrt())


def unit_vector_balls(theta: np.ndarray) -> list:
    """Balls of ``theta / |theta|`` (the exact unit vector)."""
    fl = _flint()
    nrm = sum((fl.arb(float(t)) ** 2 for t in theta), fl.arb(0)).sqrt()
    return [fl.arb(float(t)) / nrm for t in theta]


def eta_ball(mid: np.ndarray, rad: np.ndarray, X: np.ndarray, theta: np.ndarray) -> tuple[float, float]:
    """``[lo, hi]`` enclosing ``eta_q(theta / |theta|)`` for every ``q`` in the balls ``(mid, rad)``.

    Float64 with rigorous bounds: ``g_i = <theta, x_i>`` is off by at most
    ``e_i = 2 gamma_{d+2} sum_a |theta_a x_ia|``; rows with ``|g_i| <= e_i``
    (the hyperplane may pass through ``theta``) contribute ``[0, 2 e_i]`` times
    their ball.  The active terms ``mid_i g_i`` are summed by ``math.fsum``
    (correctly rounded); the per-term errors (``rad_i``, ``e_i``, the product's
    rounding) are summed as positive floats with a relative allowance.

    Examples
    --------
    >>> import numpy as np
    >>> lo, hi = eta_ball(np.array([2.0, 1.0]), np.zeros(2), np.array([[1.0, 0.0], [-1.0, 0.0]]), np.array([1.0, 0.0]))
    >>> bool(lo <= 1.0 <= hi and hi - lo < 1e-14)
    True
    """
    X = np.asarray(X, dtype=np.float64)
    th = np.asarray(theta, dtype=np.float64)
    mid = np.asarray(mid, dtype=np.float64)
    rad = np.asarray(rad, dtype=np.float64)
    n, d = X.shape
    g = X @ th
    e = 2.0 * gamma(d + 2) * (np.abs(X) @ np.abs(th)) + 2.0 ** -1070
    act = g > e
    amb = ~act & (g >= -e)
    c = np.where(act, mid * g, 0.0)
    am = np.abs(mid)
    err = np.where(act, am * e + rad * (np.abs(g) + e) + U * np.abs(c) + 2.0 ** -1070, 0.0)
    err = err + np.where(amb, (am + rad) * 2.0 * e, 0.0)
    S = math.fsum(c.tolist())
    E = math.fsum(err.tolist()) * (1.0 + 16.0 * U) + abs(S) * 2.0 * U + 2.0 ** -1070
    tot = IV(np.array([S]), np.array([S])) + IV(np.array([-E]), np.array([E]))
    nrm2 = math.fsum((th * th).tolist())  # |theta|^2 within u relative after the products' rounding (d terms)
    nl = np.sqrt(nrm2 * (1.0 - gamma(d + 2))) * (1.0 - 2.0 * U)
    nh = np.sqrt(nrm2 * (1.0 + gamma(d + 2))) * (1.0 + 2.0 * U)
    den = IV.point(float(n)) * IV(np.array([nl]), np.array([nh]))
    out = tot.div_pos(den)
    return float(np.nextafter(out.lo[0], -np.inf)), float(np.nextafter(out.hi[0], np.inf))


def exact_rank_test(X: np.ndarray, theta: np.ndarray, signs: np.ndarray, patterns: np.ndarray,
                    max_entries: int = 60_000) -> str | None:
    """Decide consistency of ``X^T D_j p = n s_j u_j`` exactly: ``"inconsistent"``, ``"consistent"`` or None.

    The left null space of ``M`` is computed exactly over the integers (FLINT
    ``fmpz_mat.nullspace`` on ``M^T`` with each row scaled by a power of two,
    which does not change it); the system is consistent iff ``<z, b> = 0`` for
    every null vector ``z``.  ``b`` holds the irrational unit vectors, so
    ``<z, b>`` is evaluated in balls: a ball excluding 0 proves
    inconsistency; one containing 0 leaves the question open (None).  None
    also when ``m d n`` exceeds ``max_entries``.
    """
    fl = _flint()
    n, d = X.shape
    m = theta.shape[0]
    if m * d * n > max_entries:
        return None
    rows = []
    for i in range(n):
        fr = [float(X[i, a] if patterns[j][i] else 0.0).as_integer_ratio() for j in range(m) for a in range(d)]
        den = max(b for _, b in fr)  # denominators are powers of two: the max is their lcm
        rows.append([a * (den // b) for a, b in fr])
    N, nullity = fl.fmpz_mat(rows).nullspace()
    if nullity == 0:
        return "consistent"
    b = [r[0] for r in _unit_rhs(fl, theta, signs, n)]
    undecided = False
    for k in range(nullity):
        s = sum((fl.arb(int(N[l, k])) * b[l] for l in range(m * d)), fl.arb(0))
        if not s.contains(0):
            return "inconsistent"
        undecided = True
    return None if undecided else "consistent"
