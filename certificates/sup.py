"""``sup_theta |eta_p(theta)|`` over the whole sphere, as a bracket ``[lo, hi]``.

* ``lo`` (valid for any d): the largest ``|eta_p|`` *evaluated directly* at
  points found by a multi-start ascent over arrangement cells (on a cell the
  best point is the projection of ``v_C`` onto the cell cone, see
  :mod:`certificates.cells`; the ascent then crosses the walls the projection
  lands on while that increases the value).
* ``hi`` (rigorous):

  - d = 2: exact enumeration of the 2n breakpoints on the circle: on each arc
    ``eta = <theta, v_arc>``, whose max over the arc is ``||v_arc||`` when the
    direction of ``v_arc`` lies in the arc, else an endpoint value;
  - d = 3: exact enumeration of the arrangement of great circles: the max of
    ``|eta|`` is either at an interior critical point ``+-v_C/||v_C||`` of a
    cell ``C`` (checked for membership in ``C``), or on a great circle
    ``x_i^perp``, where ``eta`` is a d = 2 problem solved exactly as above.  Every
    cell is found as a side of an arc of some circle;
  - any d: branch and bound over spherical caps covering the sphere (boxes on
    the faces of the cube ``[-1, 1]^d`` projected radially, each enclosed in a cap
    with centre ``u`` and angular radius ``r``).  A sample whose hyperplane misses
    the cap contributes an exact linear term; a crossing sample's ``relu`` is
    bounded above by its chord (``p_i > 0``) or below by the line of the same
    slope (``p_i < 0``), giving one linear function plus a constant, whose sup
    over the cap is closed-form: ``||w|| cos(max(0, angle(u, w) - r))``.  When at
    most ``kmax`` hyperplanes cross a cap, the sign patterns of the crossing
    samples are enumerated, and on each the bound is
    ``min(cap sup of <theta, v>, ||Proj_K(v)||)`` with ``K`` the cone of that
    pattern (exact on the cells, and able to exclude given cells).

Floating point: every computed ``hi`` has a safety margin
``SAFETY_REL * L + 1e-15`` added, ``L = (1/n) sum |p_i| ||x_i||`` the Lipschitz
constant of ``eta_p`` and the scale of its values; cap radii are inflated by a
relative ``1e-12``; membership tests are loose in the safe direction.  The
exact d = 2, 3 methods assume general position (no two breakpoints on a circle
within 1e-11 rad); otherwise they report ``degenerate`` and the dispatcher
falls back to branch and bound.

Cells can be *excluded* (by activation pattern): the sup is then taken over the
closure of the other cells.  :mod:`certificates.verdict` uses that to remove
the cells of the target's atoms, where ``eta`` is handled exactly.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import numpy as np

from blasso.features import eta as eta_direct
from blasso.sphere import normalize, random_sphere
from blasso.validation import BlassoInputError, check_choice, check_rng, check_vector, check_X

from .cells import activation_pattern, cell_vector, pattern_key, project_onto_cell

__all__ = [
    "SAFETY_REL",
    "SupBracket",
    "lipschitz_constant",
    "safety_margin",
    "cell_ascent",
    "sup_exact_circle",
    "sup_exact_sphere3",
    "sup_branch_and_bound",
    "cap_upper_bounds",
    "sup_abs_eta",
]

#: Relative safety margin added to every rigorous upper bound (times L).
SAFETY_REL = 1e-9
_TWO_PI = 2.0 * np.pi


@dataclass
class SupBracket:
    """A bracket ``lo <= sup |eta_p| <= hi`` (over the non-excluded cells).

    Attributes
    ----------
    lo, hi : float
        ``lo`` is ``|eta_p(theta_lo)|`` evaluated directly; ``hi`` is rigorous
        (safety margin included).
    theta_lo : ndarray (d,) or None
        Where ``lo`` is attained.
    eta_lo : float
        Signed ``eta_p(theta_lo)``.
    method : str
        ``exact-circle``, ``exact-sphere3``, ``branch-and-bound``.
    exact : bool
        True when ``hi`` comes from an exact enumeration.
    stopped : str
        ``exact``, ``converged``, ``below-threshold``, ``above-threshold``,
        ``budget`` or ``max-leaves``.
    safety : float
        The safety margin included in ``hi``.
    wall_s : float
    info : dict
        Method details (nodes, degenerate flag, ...).
    leaves : dict or None
        Branch and bound leaves (``centre``, ``radius``, ``ub``, ``eta_centre``)
        for margin curves.
    """

    lo: float
    hi: float
    theta_lo: np.ndarray | None
    eta_lo: float
    method: str
    exact: bool
    stopped: str
    safety: float
    wall_s: float
    info: dict = field(default_factory=dict)
    leaves: dict | None = None

    @property
    def gap(self) -> float:
        return self.hi - self.lo

    def to_dict(self) -> dict:
        return {"lo": self.lo, "hi": self.hi, "gap": self.gap, "theta_lo": self.theta_lo,
                "eta_lo": self.eta_lo, "method": self.method, "exact": self.exact,
                "stopped": self.stopped, "safety": self.safety, "wall_s": self.wall_s, **self.info}


def lipschitz_constant(p: np.ndarray, X: np.ndarray) -> float:
    """``L = (1/n) sum_i |p_i| ||x_i||``: bounds ``|eta_p|`` and its Lipschitz constant."""
    return float(np.abs(p) @ np.linalg.norm(X, axis=1) / X.shape[0])


def safety_margin(p: np.ndarray, X: np.ndarray) -> float:
    """Margin added to rigorous upper bounds for floating-point rounding."""
    return SAFETY_REL * lipschitz_constant(p, X) + 1e-15


def _excluded(keys: set | None, pattern: np.ndarray) -> bool:
    return bool(keys) and pattern_key(pattern) in keys


def _as_keys(exclude_patterns) -> set:
    if exclude_patterns is None:
        return set()
    pats = np.atleast_2d(np.asarray(exclude_patterns, dtype=bool))
    return {pattern_key(r) for r in pats}


# --------------------------------------------------------------- lower bound
def cell_ascent(p, X, starts, *, exclude_patterns=None, max_iter: int = 60,
                max_subset: int = 3) -> tuple[float, np.ndarray | None, float, np.ndarray, np.ndarray]:
    """Multi-start local ascent of ``|eta_p|`` over arrangement cells.

    From each start (sign chosen by ``eta`` there) the best point of the current
    cell is the projection of ``+-v_C`` onto the cell cone; the walls it lands on
    are crossed (singly, or in subsets when at most ``max_subset`` are active)
    while that increases the value.  Excluded cells are never entered.

    Returns
    -------
    best : float
        Largest ``|eta_p|`` evaluated directly at an end point.
    theta : ndarray (d,) or None
    eta_signed : float
    points : ndarray (k, d)
        All end points.
    values : ndarray (k,)
        ``|eta_p|`` at them (direct evaluation).
    """
    X = check_X(X)
    p = check_vector(p, X.shape[0], name="p")
    starts = normalize(np.atleast_2d(np.asarray(starts, dtype=np.float64)))
    keys = _as_keys(exclude_patterns)
    ends = []
    e0s = eta_direct(p, X, starts) if len(starts) else np.zeros(0)
    for th0, e0 in zip(starts, e0s):
        s = 1.0 if e0 >= 0 else -1.0
        pat = activation_pattern(X, th0)
        if _excluded(keys, pat):
            continue
        theta = th0
        for _ in range(max_iter):
            pr = project_onto_cell(s * cell_vector(p, X, pat), X, pat)
            if pr.theta is None:
                break
            theta, val = pr.theta, pr.value
            act = pr.active
            if act.size == 0:
                break
            if act.size <= max_subset:
                subsets = [c for k in range(1, act.size + 1) for c in itertools.combinations(act, k)]
            else:
                subsets = [(i,) for i in act]
            best_nb = None
            for sub in subsets:
                pat2 = pat.copy()
                pat2[list(sub)] ^= True
                if _excluded(keys, pat2):
                    continue
                pr2 = project_onto_cell(s * cell_vector(p, X, pat2), X, pat2)
                if pr2.theta is not None and pr2.value > val + 1e-13 * (1 + val):
                    val, best_nb = pr2.value, (pat2, pr2)
            if best_nb is None:
                break
            pat, pr = best_nb
            theta = pr.theta
        ends.append(theta)
    if not ends:
        return -np.inf, None, float("nan"), np.zeros((0, X.shape[1])), np.zeros(0)
    pts = np.array(ends)
    pts /= np.linalg.norm(pts, axis=1, keepdims=True)
    vals = eta_direct(p, X, pts)
    k = int(np.argmax(np.abs(vals)))
    return float(abs(vals[k])), pts[k], float(vals[k]), pts, np.abs(vals)


def _default_starts(d: int, rng: np.random.Generator, n_starts: int, extra) -> np.ndarray:
    S = random_sphere(max(1, n_starts), d, rng)
    if extra is not None and len(extra):
        S = np.vstack([np.atleast_2d(extra), S])
    return S


# --------------------------------------------------------------- d = 2 exact
def _circle_scan(p, X, E, keys, skip: int | None):
    """Exact ``sup |eta|`` over the great circle ``{E (cos t, sin t)}``.

    Returns ``(best, theta, arc_patterns, degenerate)``; ``arc_patterns`` are the
    activation patterns on the arcs (``skip``'s entry False), used by the d = 3
    enumeration.  With ``skip`` set, an arc is kept when either side of the
    circle (sample ``skip`` on / off) is a non-excluded cell.
    """
    Xp = X @ E
    if skip is not None:
        Xp[skip] = 0.0
    nr = np.linalg.norm(Xp, axis=1)
    use = np.flatnonzero(nr > 0)
    phi = np.arctan2(Xp[use, 1], Xp[use, 0])
    b = np.sort(np.mod(np.concatenate([phi + np.pi / 2, phi - np.pi / 2]), _TWO_PI))
    if b.size == 0:
        b = np.array([0.0])
    ends = np.append(b[1:], b[0] + _TWO_PI)
    length = ends - b
    degenerate = bool(b.size > 1 and np.min(length) < 1e-11)
    mid = 0.5 * (b + ends)
    Tm = np.column_stack([np.cos(mid), np.sin(mid)]) @ E.T
    pats = (Tm @ X.T) > 0
    if skip is not None:
        pats[:, skip] = False
    # which arcs lie in the closure of a non-excluded cell
    keep = np.ones(b.size, dtype=bool)
    if keys:
        for k in range(b.size):
            if skip is None:
                keep[k] = pattern_key(pats[k]) not in keys
            else:
                on = pats[k].copy()
                on[skip] = True
                keep[k] = pattern_key(pats[k]) not in keys or pattern_key(on) not in keys
    best, arg = -np.inf, None
    if keep.any():
        V = cell_vector(p, X, pats[keep])
        W = V @ E  # in-plane coordinates: eta(E u) = <u, E^T v>
        wn = np.linalg.norm(W, axis=1)
        ang = np.arctan2(W[:, 1], W[:, 0])
        for sgn in (0.0, np.pi):
            rel = np.mod(ang + sgn - b[keep], _TWO_PI)
            inside = (rel <= length[keep] + 1e-12) | (rel >= _TWO_PI - 1e-12)
            if inside.any():
                j = int(np.argmax(np.where(inside, wn, -np.inf)))
                if wn[j] > best:
                    t = ang[j] + sgn
                    best, arg = float(wn[j]), E @ np.array([np.cos(t), np.sin(t)])
        # vertices next to a kept arc
        vk = keep | np.roll(keep, 1)
        Tb = np.column_stack([np.cos(b[vk]), np.sin(b[vk])]) @ E.T
        ev = np.abs(eta_direct(p, X, Tb))
        j = int(np.argmax(ev))
        if ev[j] > best:
            best, arg = float(ev[j]), Tb[j]
    return best, arg, pats, degenerate


def _checked(p, X, d: int, who: str):
    X = check_X(X)
    if X.shape[1] != d:
        raise BlassoInputError(f"{who} needs d = {d}; got d = {X.shape[1]}")
    return check_vector(p, X.shape[0], name="p"), X


def sup_exact_circle(p, X, *, exclude_patterns=None) -> SupBracket:
    """Exact ``sup |eta_p|`` over the circle (d = 2) by sorting the 2n breakpoints."""
    t0 = time.perf_counter()
    p, X = _checked(p, X, 2, "sup_exact_circle")
    best, arg, _, degenerate = _circle_scan(p, X, np.eye(2), _as_keys(exclude_patterns), None)
    return _exact_result(p, X, best, arg, "exact-circle", degenerate, t0)


def _exact_result(p, X, best, arg, method, degenerate, t0, info=None) -> SupBracket:
    saf = safety_margin(p, X)
    if arg is None:  # every cell excluded
        return SupBracket(-np.inf, -np.inf, None, float("nan"), method, True, "exact", saf,
                          time.perf_counter() - t0, {"degenerate": degenerate, **(info or {})})
    e = float(eta_direct(p, X, arg[None])[0])
    return SupBracket(abs(e), max(best, abs(e)) + saf, arg, e, method, True, "exact", saf,
                      time.perf_counter() - t0, {"degenerate": degenerate, **(info or {})})


# --------------------------------------------------------------- d = 3 exact
def _plane_basis(x: np.ndarray) -> np.ndarray:
    """Orthonormal basis (3, 2) of ``x^perp``."""
    u = x / np.linalg.norm(x)
    Q, _ = np.linalg.qr(np.column_stack([u, np.eye(3)]))
    return Q[:, 1:3]


def sup_exact_sphere3(p, X, *, exclude_patterns=None) -> SupBracket:
    """Exact ``sup |eta_p|`` over S^2 by enumerating the arrangement of great circles."""
    t0 = time.perf_counter()
    p, X = _checked(p, X, 3, "sup_exact_sphere3")
    keys = _as_keys(exclude_patterns)
    n = X.shape[0]
    xn = np.linalg.norm(X, axis=1)
    best, arg, degenerate = -np.inf, None, False
    seen: set = set()
    n_cells = 0
    for i in range(n):
        if xn[i] == 0:
            continue
        E = _plane_basis(X[i])
        b_i, a_i, pats, deg = _circle_scan(p, X, E, keys, i)
        degenerate |= deg
        if b_i > best:
            best, arg = b_i, a_i
        # the two cells on either side of each arc
        both = np.concatenate([pats, pats])
        both[pats.shape[0]:, i] = True
        packed = np.packbits(both, axis=1)
        new = []
        for k in range(both.shape[0]):
            key = packed[k].tobytes()
            if key not in seen:
                seen.add(key)
                if key not in keys:
                    new.append(k)
        if not new:
            continue
        P = both[new]
        n_cells += P.shape[0]
        V = cell_vector(p, X, P)
        vn = np.linalg.norm(V, axis=1)
        ok = vn > 0
        P, V, vn = P[ok], V[ok], vn[ok]
        S = np.where(P, 1.0, -1.0)
        tol = 1e-12 * xn
        for sgn in (1.0, -1.0):
            T = sgn * V / vn[:, None]
            member = np.all(S * (T @ X.T) >= -tol, axis=1)  # loose: safe for the upper bound
            if member.any():
                j = int(np.argmax(np.where(member, vn, -np.inf)))
                if vn[j] > best:
                    best, arg = float(vn[j]), T[j]
    return _exact_result(p, X, best, arg, "exact-sphere3", degenerate, t0, {"n_cells": n_cells})


# ------------------------------------------------------- branch and bound, any d
def _initial_boxes(d: int, split: int):
    """Boxes ``[lo, hi]^(d-1)`` on the 2d faces of the cube, ``split`` per axis."""
    ticks = np.linspace(-1.0, 1.0, split + 1)
    cells = list(itertools.product(range(split), repeat=d - 1))
    lo = np.array([[ticks[c] for c in cell] for cell in cells])
    hi = lo + 2.0 / split
    faces = np.repeat(np.arange(2 * d), len(cells))
    return faces, np.tile(lo, (2 * d, 1)), np.tile(hi, (2 * d, 1))


def _caps(faces, lo, hi, d, others):
    """Enclosing caps (unit centre, angular radius) of face boxes."""
    B = faces.shape[0]
    axis, sign = faces // 2, np.where(faces % 2 == 0, 1.0, -1.0)
    c = np.empty((B, d))
    c[np.arange(B), axis] = sign
    c[np.arange(B)[:, None], others[axis]] = 0.5 * (lo + hi)
    cn = np.linalg.norm(c, axis=1)
    h = 0.5 * np.linalg.norm(hi - lo, axis=1)
    ratio = h / cn
    # |q - c| <= h < |c|  =>  sin(angle(q, c)) <= h/|c| and the angle is acute
    r = np.where(ratio < 1.0, np.arcsin(np.minimum(ratio, 1.0)), np.pi)
    r = np.minimum(np.pi, r * (1 + 1e-12) + 1e-15)
    return c / cn[:, None], r


def _capsup(U, W, r):
    """``sup_{theta in cap(u, r)} <theta, w>`` row-wise (closed form)."""
    wn = np.linalg.norm(W, axis=1)
    cosang = np.einsum("ij,ij->i", U, W) / np.where(wn > 0, wn, 1.0)
    ang = np.arccos(np.clip(cosang, -1.0, 1.0))
    return wn * np.cos(np.maximum(0.0, ang - r))


class _BnB:
    """State of the cap branch and bound (see :func:`sup_branch_and_bound`)."""

    def __init__(self, p, X, keys, kmax):
        self.p, self.X, self.keys, self.kmax = p, X, keys, kmax
        self.n, self.d = X.shape
        self.xn = np.linalg.norm(X, axis=1)
        self.others = np.array([[a for a in range(self.d) if a != ax] for ax in range(self.d)], dtype=int)
        self.n_pattern_bounds = 0

    def bounds(self, U, r, lb):
        """Upper bounds of ``|eta|`` on caps, ``|eta|`` at the centres (nan if excluded)."""
        p, X, n = self.p, self.X, self.n
        G = U @ X.T
        sr = np.where(r >= np.pi / 2, np.inf, np.sin(np.minimum(r, np.pi / 2)))
        cross = np.abs(G) <= self.xn * sr[:, None]
        ncact = (G > 0) & ~cross
        beta = np.arccos(np.clip(G / np.where(self.xn > 0, self.xn, 1.0), -1.0, 1.0))
        hi_ = self.xn * np.cos(np.maximum(0.0, beta - r[:, None]))
        lo_ = self.xn * np.cos(np.minimum(np.pi, beta + r[:, None]))
        den = hi_ - lo_
        lam = np.where(cross & (den > 0), hi_ / np.where(den > 0, den, 1.0), 0.0)
        W = ((ncact * p) + (cross * lam * p)) @ X / n
        cp_ = (cross * lam * (-lo_)) @ np.maximum(p, 0.0) / n
        cm_ = (cross * lam * (-lo_)) @ np.maximum(-p, 0.0) / n
        ub = np.maximum(_capsup(U, W, r) + cp_, _capsup(U, -W, r) + cm_)
        ec = np.abs(np.maximum(G, 0.0) @ p / n)
        k = cross.sum(axis=1)
        for b in np.flatnonzero(k <= self.kmax):
            centre_pat = G[b] > 0
            if self.keys and pattern_key(centre_pat) in self.keys:
                ec[b] = np.nan
            if ub[b] <= lb and not self.keys:
                continue
            ub[b] = min(ub[b], self._pattern_bound(U[b], r[b], ncact[b], np.flatnonzero(cross[b]), lb))
        if self.keys:
            for b in np.flatnonzero(k > self.kmax):
                if pattern_key(G[b] > 0) in self.keys:
                    ec[b] = np.nan
        return ub, ec

    def _pattern_bound(self, u, r, ncact, cidx, lb):
        """Bound on a cap crossed by few hyperplanes: enumerate their sign patterns."""
        p, X, n = self.p, self.X, self.n
        self.n_pattern_bounds += 1
        w0 = (ncact * p) @ X / n
        k = cidx.size
        S = (np.array(list(itertools.product((False, True), repeat=k)), dtype=bool) if k
             else np.zeros((1, 0), dtype=bool))
        V = w0 + (S * p[cidx]) @ X[cidx] / n
        allowed = np.ones(S.shape[0], dtype=bool)
        if self.keys:
            for j in range(S.shape[0]):
                pat = ncact.copy()
                pat[cidx] = S[j]
                allowed[j] = pattern_key(pat) not in self.keys
        cand = []
        Uu = np.broadcast_to(u, V.shape)
        rr = np.full(V.shape[0], r)
        for sgn in (1.0, -1.0):
            cs = _capsup(Uu, sgn * V, rr)
            cand += [(cs[j], j, sgn) for j in range(S.shape[0]) if allowed[j]]
        cand.sort(key=lambda t: -t[0])
        running = -np.inf
        for cs, j, sgn in cand:
            if cs <= running:
                break
            val = cs
            if k:
                pat = np.zeros(n, dtype=bool)
                pat[cidx] = S[j]
                val = min(cs, project_onto_cell(sgn * V[j], X, pat, walls=cidx).value)
            running = max(running, val)
        return running


def cap_upper_bounds(p, X, centres, radii, *, exclude_patterns=None, kmax: int = 6) -> np.ndarray:
    """Rigorous upper bounds of ``sup |eta_p|`` on spherical caps (the branch-and-bound bound).

    Parameters
    ----------
    p : array_like (n,)
    X : array_like (n, d)
    centres : array_like (B, d)
        Unit centres of the caps.
    radii : array_like (B,)
        Angular radii in [0, pi].
    exclude_patterns : bool array (k, n), optional
        Cells left out (``-inf`` for a cap inside them).

    Returns
    -------
    ndarray (B,)
        Bounds without the safety margin (add :func:`safety_margin`).
    """
    X = check_X(X)
    p = check_vector(p, X.shape[0], name="p")
    U = normalize(np.atleast_2d(np.asarray(centres, dtype=np.float64)))
    r = np.asarray(radii, dtype=np.float64).reshape(-1)
    if r.shape[0] != U.shape[0] or np.any(~np.isfinite(r)) or np.any(r < 0):
        raise BlassoInputError("radii must be finite, >= 0, one per centre")
    r = np.minimum(np.pi, r * (1 + 1e-12) + 1e-15)
    ub, _ = _BnB(p, X, _as_keys(exclude_patterns), kmax).bounds(U, r, -np.inf)
    return ub


def sup_branch_and_bound(p, X, *, exclude_patterns=None, tol: float = 1e-6, time_budget: float = 30.0,
                         threshold: float | None = None, lo_init: float = -np.inf,
                         theta_init: np.ndarray | None = None, kmax: int = 6, batch: int = 128,
                         max_leaves: int = 2_000_000, keep_leaves: bool = False,
                         initial_split: int = 2) -> SupBracket:
    """Rigorous ``sup |eta_p|`` bracket by branch and bound over spherical caps (any d).

    Parameters
    ----------
    p : array_like (n,)
    X : array_like (n, d)
    exclude_patterns : bool array (k, n), optional
        Cells left out (the sup is over the closure of the others).
    tol : float
        Stop when ``hi - lo <= tol`` (absolute).
    time_budget : float
        Seconds; on expiry the current bracket is returned (``stopped="budget"``).
    threshold : float, optional
        Stop as soon as ``hi < threshold`` or ``lo > threshold`` (a decision).
    lo_init, theta_init :
        A known lower bound and where it is attained (from an ascent).
    kmax : int
        Enumerate sign patterns on caps crossed by at most this many hyperplanes.
    keep_leaves : bool
        Return the leaves (for margin curves).
    """
    t0 = time.perf_counter()
    X = check_X(X)
    p = check_vector(p, X.shape[0], name="p")
    n, d = X.shape
    keys = _as_keys(exclude_patterns)
    st = _BnB(p, X, keys, kmax)
    saf = safety_margin(p, X)
    faces, blo, bhi = _initial_boxes(d, initial_split)
    U, r = _caps(faces, blo, bhi, d, st.others)
    lb, th = float(lo_init), (None if theta_init is None else np.asarray(theta_init, dtype=float))
    ub, ec = st.bounds(U, r, lb)
    ret = {"U": [], "r": [], "ub": [], "ec": []}

    def take_lb(Uc, ecc):
        nonlocal lb, th
        if np.any(np.isfinite(ecc)):
            j = int(np.nanargmax(ecc))
            if ecc[j] > lb:
                lb, th = float(ecc[j]), Uc[j].copy()

    take_lb(U, ec)
    stopped, iters = "converged", 0
    while True:
        fin = np.isfinite(ub)
        if not fin.all():  # caps inside excluded cells: nothing to bound
            ret["U"].append(U[~fin]); ret["r"].append(r[~fin]); ret["ub"].append(ub[~fin]); ret["ec"].append(ec[~fin])
            faces, blo, bhi, U, r, ub, ec = (a[fin] for a in (faces, blo, bhi, U, r, ub, ec))
        # retire leaves that can never matter again
        done = ub <= lb + tol
        if done.any():
            ret["U"].append(U[done]); ret["r"].append(r[done]); ret["ub"].append(ub[done]); ret["ec"].append(ec[done])
            faces, blo, bhi, U, r, ub, ec = (a[~done] for a in (faces, blo, bhi, U, r, ub, ec))
        if ub.size == 0:
            stopped = "converged"
            break
        UB = float(ub.max())
        if threshold is not None and UB + saf < threshold:
            stopped = "below-threshold"
            break
        if threshold is not None and lb > threshold:
            stopped = "above-threshold"
            break
        if time.perf_counter() - t0 > time_budget:
            stopped = "budget"
            break
        if ub.size > max_leaves:
            stopped = "max-leaves"
            break
        iters += 1
        kb = min(batch, ub.size)
        sel = np.argpartition(-ub, kb - 1)[:kb]
        keep = np.ones(ub.size, dtype=bool)
        keep[sel] = False
        f_s, lo_s, hi_s = faces[sel], blo[sel], bhi[sel]
        ax = np.argmax(hi_s - lo_s, axis=1)
        midv = 0.5 * (lo_s[np.arange(kb), ax] + hi_s[np.arange(kb), ax])
        lo2, hi1 = lo_s.copy(), hi_s.copy()
        hi1[np.arange(kb), ax] = midv
        lo2[np.arange(kb), ax] = midv
        cf = np.concatenate([f_s, f_s])
        clo = np.concatenate([lo_s, lo2])
        chi = np.concatenate([hi1, hi_s])
        cU, cr = _caps(cf, clo, chi, d, st.others)
        cub, cec = st.bounds(cU, cr, lb)
        take_lb(cU, cec)
        faces = np.concatenate([faces[keep], cf])
        blo = np.concatenate([blo[keep], clo])
        bhi = np.concatenate([bhi[keep], chi])
        U = np.concatenate([U[keep], cU])
        r = np.concatenate([r[keep], cr])
        ub = np.concatenate([ub[keep], cub])
        ec = np.concatenate([ec[keep], cec])
    allub = np.concatenate(ret["ub"] + [ub]) if ret["ub"] or ub.size else np.zeros(0)
    finite = allub[np.isfinite(allub)]
    hi = (float(finite.max()) if finite.size else -np.inf)
    hi = max(hi, lb) + saf if np.isfinite(hi) or np.isfinite(lb) else -np.inf
    eta_lo = float("nan")
    if th is not None:
        eta_lo = float(eta_direct(p, X, th[None])[0])
        lb = abs(eta_lo)
    leaves = None
    if keep_leaves:
        leaves = {"centre": np.concatenate(ret["U"] + [U]), "radius": np.concatenate(ret["r"] + [r]),
                  "ub": np.concatenate(ret["ub"] + [ub]), "eta_centre": np.concatenate(ret["ec"] + [ec])}
    info = {"iterations": iters, "active_leaves": int(ub.size), "pattern_bounds": st.n_pattern_bounds,
            "kmax": kmax}
    return SupBracket(lb, hi, th, eta_lo, "branch-and-bound", False, stopped, saf,
                      time.perf_counter() - t0, info, leaves)


# ------------------------------------------------------------------ dispatcher
def sup_abs_eta(p, X, *, exclude_patterns=None, method: str = "auto", tol: float = 1e-6,
                time_budget: float = 30.0, threshold: float | None = None, rng=0, n_starts: int = 64,
                extra_starts=None, keep_leaves: bool = False, kmax: int = 6) -> SupBracket:
    """Bracket ``[lo, hi]`` of ``sup |eta_p|`` over the sphere (minus excluded cells).

    Parameters
    ----------
    p : array_like (n,)
    X : array_like (n, d)
    exclude_patterns : bool array (k, n), optional
        Cells (activation patterns) to leave out; the sup is over the closure of
        the remaining cells.
    method : {"auto", "exact", "bnb"}
        ``auto``: exact enumeration for d = 2, 3 (branch and bound if the data
        are degenerate), branch and bound otherwise.
    tol, time_budget, threshold, kmax, keep_leaves :
        See :func:`sup_branch_and_bound`.
    rng : Generator or int
        Seeds the random starts of the ascent.
    n_starts : int
        Random starts of the ascent; ``extra_starts`` are added first.

    Returns
    -------
    SupBracket
        ``lo`` is evaluated directly at ``theta_lo``; ``hi`` is rigorous.
    """
    X = check_X(X)
    p = check_vector(p, X.shape[0], name="p")
    method = check_choice(method, ("auto", "exact", "bnb"), name="method")
    rng = check_rng(rng)
    d = X.shape[1]
    t0 = time.perf_counter()
    starts = _default_starts(d, rng, n_starts, extra_starts)
    lo, th, e, _, _ = cell_ascent(p, X, starts, exclude_patterns=exclude_patterns)
    t_ascent = time.perf_counter() - t0
    res = None
    if method in ("auto", "exact") and d in (2, 3):
        f = sup_exact_circle if d == 2 else sup_exact_sphere3
        res = f(p, X, exclude_patterns=exclude_patterns)
        if res.info.get("degenerate") and method == "auto":
            res = None
    elif method == "exact":
        raise BlassoInputError(f"exact enumeration is implemented for d = 2 and 3; got d = {d} (use 'bnb')")
    if res is None:
        res = sup_branch_and_bound(p, X, exclude_patterns=exclude_patterns, tol=tol,
                                   time_budget=max(0.0, time_budget - t_ascent), threshold=threshold,
                                   lo_init=lo, theta_init=th, keep_leaves=keep_leaves, kmax=kmax)
    if th is not None and lo > res.lo:
        res.lo, res.theta_lo, res.eta_lo = lo, th, e
        res.hi = max(res.hi, lo)
    res.info["ascent_s"] = t_ascent
    res.wall_s = time.perf_counter() - t0
    return res
