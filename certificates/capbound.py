"""Rigorous upper bounds of ``|eta_p|`` on spherical caps, in outward rounding.

A cap is ``{theta : angle(theta, c) <= r}`` given by a float centre ``c`` (any
norm) and ``s = sin r`` with ``r < pi/2``; only ``s`` and
``cos r = sqrt(1 - s^2)`` enter (no transcendental function, see
:mod:`certificates.rounding`).  For a sample ``x`` with ``beta = angle(x, c)``:

* ``cos beta > s``: ``<theta, x> > 0`` on the whole cap (``relu`` is linear);
  ``cos beta < -s``: ``relu = 0`` on the cap; otherwise the hyperplane may
  cross the cap, and ``t = <theta, x>`` lies in ``[m, M]`` with
  ``M = |x| cos(max(0, beta - r))``, ``m = |x| cos(min(pi, beta + r))``.
* On ``[m, M]`` (``m <= 0 <= M``) ``relu(t) <= lam (t - m)`` for any
  ``lam >= M / (M - m)``, and ``relu(t) >= lam t`` for any ``lam`` in
  ``[0, 1]``.  With ``lam = min(1, M/(M - m))`` rounded up, every term
  ``p_i relu(<theta, x_i>)`` is bounded above by a linear function of ``theta``
  plus a constant, so ``eta_p <= <theta, W> + C`` on the cap, and
  ``-eta_p <= <theta, -W> + C'``.
* ``sup_cap <theta, W> = |W|`` if ``angle(W, c) <= r``, else
  ``a cos r + sqrt(|W|^2 - a^2) sin r`` with ``a = <W, c/|c|>``.
* When at most ``kmax`` hyperplanes may cross the cap, each sign pattern ``S``
  of those samples is a piece on which ``eta = <theta, V_S>`` exactly; its
  sup is at most ``min(sup_cap <theta, V_S>, ||V_S + sum_k mu_k s_k x_k||)`` for
  any ``mu >= 0`` (a cone-projection certificate from NNLS, see
  :mod:`certificates.cells`).  Pieces whose full pattern is excluded are
  skipped (the pattern of the non-crossing samples is decided rigorously).

Every quantity is an interval (:class:`certificates.rounding.IV`) and the
returned bound is the upper end, so it is an upper bound of the exact
supremum for the float data given.  Float evaluations at cap centres are
returned for lower bounds only.
"""

from __future__ import annotations

import itertools

import numpy as np

from .cells import pattern_key, project_onto_cell
from .rounding import IV, down, matmul_iv, matmul_ivf, norm2_iv, sum_iv, up

__all__ = ["CapBounder", "box_caps"]


def box_caps(faces: np.ndarray, lo: np.ndarray, hi: np.ndarray, d: int, others: np.ndarray):
    """Caps enclosing the radial projections of boxes on the faces of ``[-1, 1]^d``.

    A box on face ``f`` (axis ``f // 2``, sign ``+`` for even ``f``) is
    ``{q : q_axis = sign, lo <= q_others <= hi}``.  Its centre ``c`` has
    ``|c| >= 1``; every ``q`` of the box has ``|q - c| <= h`` (rounded up), so
    ``sin angle(q, c) <= h / |c|`` and the angle is acute when ``h < |c|``.

    Returns
    -------
    C : ndarray (B, d)
        Float centres (not normalised).
    s : ndarray (B,)
        Upper bounds of ``sin r``; ``>= 1`` means no valid cap (use the crude bound).
    """
    B = faces.shape[0]
    axis, sign = faces // 2, np.where(faces % 2 == 0, 1.0, -1.0)
    C = np.empty((B, d))
    C[np.arange(B), axis] = sign
    mid = 0.5 * (lo + hi)
    C[np.arange(B)[:, None], others[axis]] = mid
    half = np.maximum(up(hi - mid), up(mid - lo))
    h = norm2_iv(IV(half, half)).sqrt().hi
    cn_lo = norm2_iv(IV.point(C)).sqrt().lo
    s = up(h / cn_lo)
    return C, np.where(s < 1.0, s, 1.0)


def _capsup(a: IV, wn2: IV, cr: IV, s: np.ndarray) -> np.ndarray:
    """Upper bound of ``sup_cap <theta, W>`` from ``a = <W, c/|c|>`` and ``wn2 = |W|^2``."""
    wn = wn2.sqrt()
    b = (wn2 - a.sq())
    b = IV(np.maximum(b.lo, 0.0), np.maximum(b.hi, 0.0)).sqrt()
    maybe_inside = a.hi >= (wn * cr).lo
    val = (a * cr + b * s).hi
    return np.where(maybe_inside, wn.hi, np.minimum(val, wn.hi))


def _dot_rows(V: IV, Chat: IV) -> IV:
    """Row-wise ``<v_b, chat_b>`` for interval rows."""
    return sum_iv(V * Chat, axis=-1)


class CapBounder:
    """Rigorous cap bounds for fixed scaled data (see the module docstring).

    Parameters
    ----------
    p : ndarray (n,)
    X : ndarray (n, d)
        Data at unit scale (:func:`certificates.rounding.exact_scaling`).
    keys : set of bytes
        Excluded activation patterns (:func:`certificates.cells.pattern_key`).
    kmax : int
        Enumerate sign patterns on caps crossed by at most ``kmax`` hyperplanes.
    """

    def __init__(self, p: np.ndarray, X: np.ndarray, keys: set, kmax: int = 6):
        self.p, self.X, self.keys, self.kmax = p, X, keys, kmax
        self.n, self.d = X.shape
        self.xn = norm2_iv(IV.point(X)).sqrt()
        self.zero = ~np.any(X != 0, axis=1)
        self.PX = IV.point(p[:, None]) * IV.point(X)  # p_i x_i, enclosed
        crude = sum_iv(IV.point(np.abs(p)) * self.xn).hi
        self.crude = float(up(crude / self.n))  # >= sup |eta| over the whole sphere
        self.n_pattern_bounds = 0

    # ------------------------------------------------------------------ main
    def bounds(self, C: np.ndarray, s: np.ndarray, lb: float):
        """Upper bounds of ``|eta|`` on the caps ``(C, s)`` and ``|eta|`` at the centres.

        Returns ``(ub, ec, crossing)``: ``ub`` rigorous (``-inf`` for a cap inside
        excluded cells), ``ec`` a float evaluation at ``C/|C|`` (nan when the
        centre's cell is excluded), ``crossing`` the number of possibly
        crossing hyperplanes.
        """
        n = self.n
        B = C.shape[0]
        G = C @ self.X.T
        cn = norm2_iv(IV.point(C)).sqrt()
        ec = np.abs(np.maximum(G, 0.0) @ self.p) / n / np.linalg.norm(C, axis=1)
        ub = np.full(B, self.crude)
        ok = s < 1.0
        cross = np.ones((B, n), dtype=bool)
        act = np.zeros((B, n), dtype=bool)
        if ok.any():
            u, c, a = self._linear_bounds(C[ok], cn[ok], s[ok])
            ub[ok] = np.minimum(u, self.crude)
            cross[ok], act[ok] = c, a
        k = cross.sum(axis=1)
        if self.keys:
            cen = G > 0
            for b in range(B):
                if pattern_key(cen[b]) in self.keys:
                    ec[b] = np.nan
        for b in np.flatnonzero(ok & (k <= self.kmax)):
            if ub[b] <= lb and not self.keys:
                continue
            pb = self._pattern_bound(C[b], cn[b], s[b], act[b], np.flatnonzero(cross[b]), lb)
            ub[b] = min(ub[b], pb)
        return ub, ec, k

    def _classify(self, C: np.ndarray, cn: IV, s: np.ndarray):
        """Rigorous crossing classification and the range ``[m, M]`` of ``<theta, x_i>``."""
        g = matmul_iv(C, self.X.T)
        xlo = np.where(self.zero, 1.0, self.xn.lo)  # zero rows: any positive denominator, never active
        den = IV(down(cn.lo[:, None] * xlo[None]), up(cn.hi[:, None] * np.where(self.zero, 1.0, self.xn.hi)[None]))
        cb = g.div_pos(den).clip(-1.0, 1.0)
        s2 = s[:, None]
        act = (cb.lo > s2) & ~self.zero
        off = (cb.hi < -s2) | self.zero
        cross = ~(act | off)
        cr = (1.0 - IV.point(s2).sq()).clip(0.0, 1.0).sqrt()
        sb = (1.0 - cb.sq()).clip(0.0, 1.0).sqrt()
        hi_expr = (cb * cr + sb * s2).hi
        M = up(self.xn.hi[None] * np.where(cb.hi >= cr.lo, 1.0, np.minimum(1.0, hi_expr)))
        lo_expr = (IV(np.broadcast_to(self.xn.lo, cb.lo.shape), np.broadcast_to(self.xn.hi, cb.lo.shape))
                   * (cb * cr - sb * s2)).lo
        m = np.where(cb.lo <= -cr.lo, -up(self.xn.hi[None] + 0.0 * cb.lo), lo_expr)
        return act, cross, np.maximum(M, 0.0), np.minimum(m, 0.0), cr

    def _linear_bounds(self, C: np.ndarray, cn: IV, s: np.ndarray):
        act, cross, M, m, cr = self._classify(C, cn, s)
        p, n = self.p, self.n
        den = down(M - m)
        lam = np.where(cross & (den > 0), np.minimum(1.0, up(M / np.where(den > 0, den, 1.0))), 0.0)
        coef = np.where(act, 1.0, lam)  # exact floats
        A = IV.point(coef) * IV.point(p[None])
        W = matmul_ivf(A, self.X).div_pos(IV.point(float(n)))
        chat = IV.point(C).div_pos(cn[:, None])
        a = _dot_rows(W, chat)
        wn2 = norm2_iv(W)
        negm = -m  # >= 0, exact
        tpos = up(up(lam * np.maximum(p, 0.0)[None]) * negm)
        tneg = up(up(lam * np.maximum(-p, 0.0)[None]) * negm)
        cp = sum_iv(IV(tpos, tpos)).hi / n
        cm = sum_iv(IV(tneg, tneg)).hi / n
        crow = cr[:, 0]
        ub = np.maximum(up(_capsup(a, wn2, crow, s) + up(cp)), up(_capsup(-a, wn2, crow, s) + up(cm)))
        return up(ub), cross, act

    # --------------------------------------------------------- few crossings
    def _pattern_bound(self, c, cn: IV, s: float, act, cidx, lb: float) -> float:
        """Max over allowed sign patterns of the crossing samples (see the module docstring)."""
        self.n_pattern_bounds += 1
        n, k = self.n, cidx.size
        S = (np.array(list(itertools.product((False, True), repeat=k)), dtype=bool) if k
             else np.zeros((1, 0), dtype=bool))
        coef = np.zeros((S.shape[0], n))
        coef[:, act] = 1.0
        coef[:, cidx] = S
        V = sum_iv(IV(np.broadcast_to(self.PX.lo, (S.shape[0],) + self.PX.lo.shape) * coef[:, :, None],
                      np.broadcast_to(self.PX.hi, (S.shape[0],) + self.PX.hi.shape) * coef[:, :, None]),
                   axis=1).div_pos(IV.point(float(n)))
        chat = IV.point(c[None]).div_pos(IV(cn.lo[None, None], cn.hi[None, None]))
        cr = (1.0 - IV.point(np.array([s])).sq()).clip(0.0, 1.0).sqrt()
        a = _dot_rows(V, IV(np.broadcast_to(chat.lo, V.lo.shape), np.broadcast_to(chat.hi, V.hi.shape)))
        wn2 = norm2_iv(V)
        ss = np.full(S.shape[0], s)
        crr = IV(np.full(S.shape[0], cr.lo[0]), np.full(S.shape[0], cr.hi[0]))
        allowed = np.ones(S.shape[0], dtype=bool)
        if self.keys:
            for j in range(S.shape[0]):
                pat = act.copy()
                pat[cidx] = S[j]
                allowed[j] = pattern_key(pat) not in self.keys
        cand = []
        for sgn in (1.0, -1.0):
            cs = _capsup(a if sgn > 0 else -a, wn2, crr, ss)
            cand += [(cs[j], j, sgn) for j in range(S.shape[0]) if allowed[j]]
        cand.sort(key=lambda t: -t[0])
        running = -np.inf
        for cs, j, sgn in cand:
            if cs <= running:
                break
            val = cs
            if k:
                val = min(cs, self._cone_bound(V[j], sgn, S[j], cidx))
            running = max(running, val)
        return running

    def _cone_bound(self, Vj: IV, sgn: float, Sj: np.ndarray, cidx: np.ndarray) -> float:
        """``||sgn V + sum mu_k s_k x_k||`` (rounded up) with ``mu >= 0`` from NNLS on the float midpoint."""
        mid = sgn * 0.5 * (Vj.lo + Vj.hi)
        pat = np.zeros(self.n, dtype=bool)
        pat[cidx] = Sj
        pr = project_onto_cell(mid, self.X, pat, walls=cidx)
        mu = np.maximum(pr.multipliers, 0.0)
        sg = np.where(Sj, 1.0, -1.0)
        V = Vj if sgn > 0 else -Vj
        shift = sum_iv(IV.point((mu * sg)[:, None]) * IV.point(self.X[cidx]), axis=0)
        return float(norm2_iv(V + shift).sqrt().hi)
