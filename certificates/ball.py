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
* :func:`eta_ball` evaluates ``eta_{p_V}(theta)`` in balls (for ``fails``).
* :func:`exact_rank_test` decides consistency exactly over the rationals
  (FLINT ``fmpq_mat``) when ``arb`` cannot prove full rank and the system is
  small: the only rigorous basis for ``fails`` by inconsistency other than two
  atoms sharing a cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
    """Prove consistency of the vanishing-derivative equations and bound ``p_V - p`` (see module docstring)."""
    fl = _flint()
    n, d = X.shape
    m = theta.shape[0]
    if m * d > n:
        return ExactPV(False, None, None, np.inf, f"{m * d} equations in {n} unknowns: full row rank impossible")
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
    """``[lo, hi]`` enclosing ``eta_q(theta / |theta|)`` for every ``q`` in the balls ``(mid, rad)``."""
    fl = _flint()
    n = X.shape[0]
    th = [fl.arb(float(t)) for t in theta]
    nrm = sum((t ** 2 for t in th), fl.arb(0)).sqrt()
    acc = fl.arb(0)
    for i in range(n):
        g = sum((t * fl.arb(float(x)) for t, x in zip(th, X[i])), fl.arb(0))
        if g > 0:
            acc += fl.arb(float(mid[i]), float(rad[i])) * g
        elif not g <= 0:  # the hyperplane passes through theta: relu(g) in [0, g.upper]
            acc += fl.arb(float(mid[i]), float(rad[i])) * fl.arb(0).union(g.nonnegative_part())
    e = acc / nrm / n
    return _lower(e), _upper(e)


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
