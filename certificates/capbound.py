"""Rigorous upper bounds of ``|eta_p|`` on spherical caps, in outward rounding.

A cap is ``{theta : angle(theta, c) <= r}`` given by a float centre ``c`` (any
norm) and ``s = sin r`` with ``r < pi/2``; only ``s`` and
``cos r = sqrt(1 - s^2)`` enter (no transcendental function, see
:mod:`blasso.certificates.rounding`).  For a sample ``x`` with ``beta = angle(x, c)``:

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
  any ``mu >= 0`` (a cone-projection certificate, see
  :mod:`blasso.certificates.cells`; ``mu`` is the NNLS optimum, found for all pieces
  at once by solving the least-squares problem on every support of at most
  ``d`` walls, :meth:`CapBounder._cone_bounds_batch`).  Pieces whose full pattern is excluded are
  skipped (the pattern of the non-crossing samples is decided rigorously).

Partition reuse (the bounds are computed on the undecided rows only).  Branch
and bound splits a box into two halves; each box lies inside its own cap and
inside its parent's box, hence inside every ancestor's cap.  A row decided
active (or inactive) on an ancestor's cap is therefore active (inactive) on the
whole box: only the rows the parent left undecided are classified again,
against the child's own cap.  A :class:`Partition` carries, per box, the
enclosure ``V`` of ``sum p_i x_i`` over the rows decided active (an interval
vector, summed incrementally with the allowance of :func:`_segment_sum`: any
summation order of at most ``n`` terms), the undecided rows (``amb``) and, per
excluded pattern, whether every decided row agrees with it (``compat``).  The
bound of a box is then ``sup_cap`` of ``(V + sum_amb lam_i p_i x_i) / n``
plus the constants of the undecided rows, exactly the bound above with the
decided rows' coefficients 1 and 0: it bounds ``|eta|`` on the box (not on the
part of the child's cap outside the parent's box), which is all branch and
bound needs because the boxes cover the sphere.  A box is inside an excluded
cell iff no row is undecided and it is compatible with that pattern.  The
classification itself is computed per row exactly as before (an enclosure of
``cos beta`` from the dot product with its ``gamma_{d+2}`` allowance), so the
cost of a box is ``O(|amb| d)`` instead of ``O(n d)``; ``|amb|`` is about
``1.5 n sin r`` for uniform data in d = 5.

Float classification (per row, no interval arithmetic).  Centres are scaled
by a power of two (exact) to a largest entry in ``[1/2, 1)``; rows are at unit
scale (:func:`blasso.certificates.rounding.exact_scaling`).  With ``c^ = fl(c/|c|)``
and ``x^ = fl(x/|x|)`` (each within ``(d/2 + 2) u`` of the exact unit vector:
``d`` squares summed, a square root and a division), ``rho = fl(<c^, x^>)``
is within ``(2 d + 4) u + O(u^2)`` of ``cos beta`` (the two vector errors
plus ``gamma_d`` of the dot product).  ``eps = 8 (d + 2) u`` covers it with
room for the rounding of the comparisons, so ``rho - eps > s`` proves the row
active on the cap and ``rho + eps < -s`` inactive.  For an undecided row,
``cos r >= 1 - s^2 =: c_l`` and ``sin beta <= sqrt(1 - max(0, |rho| - eps)^2)``
(computed with ``8 u`` added under the root and ``4 u`` relative on top), and
``M <= |x| min(1, f(rho + eps) + s sin beta)``, ``m >= |x| max(-1, g(rho - eps)
- s sin beta)`` with ``f(t) = t`` for ``t >= 0``, ``t c_l`` otherwise, and
``g(t) = t`` for ``t < 0``, ``t c_l`` otherwise (``cos(beta -+ r) = cos beta
cos r +- sin beta sin r``); ``M = |x|`` when ``rho + eps >= c_l`` (the cap may
contain ``x``), ``m = -|x|`` when ``rho - eps <= -c_l``.  The four roundings
of each expression (magnitudes at most 2) are covered by ``16 u``; the products
with ``|x|`` (upper end) are rounded outwards.  The chord slope is
``min(1, fl(M / fl(M - m)) (1 + 4 u))`` (two roundings of relative ``u``).
Sums of products are enclosed by :meth:`CapBounder._segment_sum`.

Precise sums next to excluded cells.  ``V`` summed over up to ``n`` rows is
only known to ``gamma_n sum |p_i x_i|`` (about ``1e-11`` at n = 25600), while
next to an atom the sup off its cell is ``1 - O(1/n^2)``.  On a box whose
decided rows all agree with an excluded pattern ``e`` (``compat``), the rows
decided active are exactly ``e``'s active rows minus the undecided ones, so
``V = V_e - sum_{undecided, e_i} p_i x_i``, with ``V_e`` enclosed once to an
ulp by error-free transformations (Dekker's two-product and ``math.fsum``,
:meth:`CapBounder._exact_pattern_sums`); the two enclosures are intersected.

Every quantity is an interval (:class:`blasso.certificates.rounding.IV`) and the
returned bound is the upper end, so it is an upper bound of the exact
supremum for the float data given.  Float evaluations at cap centres are
returned for lower bounds only.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

from .cells import pattern_key, project_onto_cell
from .rounding import IV, U, _TINY, down, gamma, matmul_ivf, norm2_iv, sum_iv, up

__all__ = ["KMAX", "CapBounder", "Partition", "box_caps"]

#: Caps crossed by at most this many hyperplanes are bounded piece by piece (``2**KMAX`` sign patterns).
KMAX = 6


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


@dataclass
class Partition:
    """Rows decided on each box of a batch (see the module docstring).

    Attributes
    ----------
    Vlo, Vhi : ndarray (B, d)
        Enclosure of ``sum_i p_i x_i`` over the rows active on the whole box.
    amb : ndarray of object (B,)
        Int arrays: the rows that may cross the box's cap.
    compat : ndarray of bool (B, k)
        Every decided row agrees with excluded pattern ``e``.
    """

    Vlo: np.ndarray
    Vhi: np.ndarray
    amb: np.ndarray
    compat: np.ndarray

    @property
    def crossing(self) -> np.ndarray:
        return np.fromiter((a.size for a in self.amb), dtype=np.int64, count=self.amb.size)

    def take(self, idx) -> "Partition":
        return Partition(self.Vlo[idx], self.Vhi[idx], self.amb[idx], self.compat[idx])

    @staticmethod
    def concat(parts: list) -> "Partition":
        return Partition(np.concatenate([q.Vlo for q in parts]), np.concatenate([q.Vhi for q in parts]),
                         np.concatenate([q.amb for q in parts]), np.concatenate([q.compat for q in parts]))


def _objects(arrays: list) -> np.ndarray:
    out = np.empty(len(arrays), dtype=object)
    for i, a in enumerate(arrays):
        out[i] = a
    return out


class CapBounder:
    """Rigorous cap bounds for fixed scaled data (see the module docstring).

    Parameters
    ----------
    p : ndarray (n,)
    X : ndarray (n, d)
        Data at unit scale (:func:`blasso.certificates.rounding.exact_scaling`).
    excluded : bool array (k, n), set of bytes, or None
        Excluded activation patterns (a set of :func:`blasso.certificates.cells.pattern_key`
        keys is accepted when no pattern array is at hand; then ``compat`` is
        computed from the keys by full patterns at the centres, which is slower).
    kmax : int
        Enumerate sign patterns on caps crossed by at most ``kmax`` hyperplanes.
    """

    def __init__(self, p: np.ndarray, X: np.ndarray, excluded=None, kmax: int = KMAX, max_cone: int = 512):
        self.p, self.X, self.kmax, self.max_cone = p, X, kmax, max_cone
        self._patterns_cache: dict = {}
        self.n_cone_bounds = 0
        #: Best direct evaluation of ``|eta|`` at a piece's projection point (a lower bound) and where.
        self.best_point_value = -np.inf
        self.best_point: np.ndarray | None = None
        self.n, self.d = X.shape
        if isinstance(excluded, (set, frozenset)):
            raise TypeError("CapBounder needs the excluded patterns as a bool array (k, n)")
        E = np.zeros((0, self.n), dtype=bool) if excluded is None else np.atleast_2d(np.asarray(excluded, bool))
        if E.size:
            E = np.unique(E, axis=0)
        self.E = E
        self.keys = {pattern_key(e) for e in E}
        self.xn = norm2_iv(IV.point(X)).sqrt()
        self.zero = ~np.any(X != 0, axis=1)
        self.PX = IV.point(p[:, None]) * IV.point(X)  # p_i x_i, enclosed
        self.PXf = p[:, None] * X  # float products (relative error u)
        nrm = np.linalg.norm(X, axis=1)
        self.xnf = nrm
        self.XhT = np.ascontiguousarray((X / np.where(nrm > 0, nrm, 1.0)[:, None]).T)  # unit rows, by column
        self.PXT = np.ascontiguousarray(self.PXf.T)
        self.eps = 8.0 * (self.d + 2) * U
        crude = sum_iv(IV.point(np.abs(p)) * self.xn).hi
        self.crude = float(up(crude / self.n))  # >= sup |eta| over the whole sphere
        # rows that matter: non-zero rows; with no excluded pattern, rows with p_i = 0 change nothing
        live = ~self.zero if E.shape[0] else (~self.zero & (p != 0))
        self.root_rows = np.flatnonzero(live).astype(np.int64)
        # rows left out of the root are inactive everywhere (zero rows) or carry p_i = 0 (no pattern needed)
        self.root_compat = ~np.any(E[:, self.zero], axis=1) if E.shape[0] else np.zeros(0, dtype=bool)
        self.Ve = self._exact_pattern_sums(E)
        self.n_pattern_bounds = 0
        self.n_bounds = 0
        self.rows_classified = 0
        self.rows_undecided = 0

    def root(self, B: int) -> Partition:
        """The partition of ``B`` boxes about which nothing is decided yet."""
        return Partition(np.zeros((B, self.d)), np.zeros((B, self.d)), _objects([self.root_rows] * B),
                         np.tile(self.root_compat, (B, 1)))

    # ------------------------------------------------------------------ main
    def bounds(self, C: np.ndarray, s: np.ndarray, lb: float, parent: Partition | None = None,
               index: np.ndarray | None = None, gap: float = 0.0):
        """Upper bounds of ``|eta|`` on the boxes of the caps ``(C, s)`` and ``|eta|`` at the centres.

        ``parent`` (with ``index``, the parent of each box) is the partition of
        boxes that contain these ones; without it nothing is assumed.  Returns
        ``(ub, ec, part)``: ``ub`` rigorous (``-inf`` for a box inside excluded
        cells), ``ec`` a float evaluation at ``C/|C|`` (nan when the centre's
        cell is excluded), ``part`` the :class:`Partition` of these boxes
        (``part.crossing``: the number of possibly crossing hyperplanes).
        """
        B = C.shape[0]
        _, ex = np.frexp(np.max(np.abs(C), axis=1))
        C = np.ldexp(C, -ex[:, None])  # exact: largest entry in [1/2, 1), the direction is unchanged
        par = self.root(B) if parent is None else parent.take(np.asarray(index))
        self.n_bounds += B
        cn = norm2_iv(IV.point(C)).sqrt()
        ub = np.full(B, self.crude)
        ec = np.zeros(B)
        ok = np.flatnonzero(s < 1.0)
        part = par
        if ok.size:
            u, e, sub = self._linear_bounds(C[ok], cn[ok], s[ok], par.take(ok))
            ub[ok] = np.minimum(u, self.crude)
            ec[ok] = e
            part = Partition(par.Vlo.copy(), par.Vhi.copy(), par.amb.copy(), par.compat.copy())
            part.Vlo[ok], part.Vhi[ok], part.amb[ok], part.compat[ok] = sub.Vlo, sub.Vhi, sub.amb, sub.compat
        bad = np.setdiff1d(np.arange(B), ok)
        if bad.size:  # no valid cap: evaluate the centre directly (lower bounds only)
            G = C[bad] @ self.X.T
            ec[bad] = np.abs(np.maximum(G, 0.0) @ self.p) / self.n / np.linalg.norm(C[bad], axis=1)
        k = part.crossing
        if self.E.shape[0]:
            ec[self._centre_excluded(C, part)] = np.nan
        for b in ok[k[ok] <= self.kmax]:
            if ub[b] <= lb + gap and not part.compat[b].any():
                continue  # already decided, and not possibly inside an excluded cell
            pb = self._pattern_bound(C[b], cn[b], s[b], part.Vlo[b], part.Vhi[b], part.amb[b], part.compat[b], lb,
                                     gap)
            ub[b] = min(ub[b], pb)
        return ub, ec, part

    def _centre_excluded(self, C: np.ndarray, part: Partition) -> np.ndarray:
        """Whether the centre's full pattern is excluded: compatible decided rows and matching undecided bits."""
        out = np.zeros(C.shape[0], dtype=bool)
        for b in np.flatnonzero(part.compat.any(axis=1)):
            amb = part.amb[b]
            bits = (self.X[amb] @ C[b]) > 0
            for e in np.flatnonzero(part.compat[b]):
                if np.array_equal(bits, self.E[e, amb]):
                    out[b] = True
                    break
        return out

    def _linear_bounds(self, C: np.ndarray, cn: IV, s: np.ndarray, par: Partition):
        """Classify each box's undecided rows against its cap, then the linear bound (module docstring).

        Per row only float operations with a-priori allowances (see "Float
        classification" in the module docstring); per box the interval
        arithmetic of :class:`blasso.certificates.rounding.IV`.
        """
        B, d, n, p = C.shape[0], self.d, self.n, self.p
        lens = par.crossing
        idx = np.concatenate(list(par.amb)) if B else np.zeros(0, dtype=np.int64)
        seg = np.repeat(np.arange(B), lens)
        self.rows_classified += idx.size
        Ch = C / np.linalg.norm(C, axis=1, keepdims=True)
        rho = np.repeat(Ch[:, 0], lens) * self.XhT[0].take(idx)  # cos(beta) within eps
        for k in range(1, d):
            rho += np.repeat(Ch[:, k], lens) * self.XhT[k].take(idx)
        eps = self.eps
        sk = np.repeat(s, lens)
        act = rho - eps > sk
        off = rho + eps < -sk
        cross = ~(act | off)
        # rows newly decided active: add them to V
        ia = np.flatnonzero(act)
        iaa = idx[ia]
        Vadd = self._segment_sum([self.PXT[k].take(iaa) for k in range(d)], seg[ia], B, n)
        V = IV(par.Vlo, par.Vhi) + Vadd
        # compatibility with the excluded patterns of the rows decided now
        compat = par.compat.copy()
        if self.E.shape[0] and compat.any():
            live = compat.any(axis=1)
            dec = np.flatnonzero(~cross & live[seg])
            for e in np.flatnonzero(compat.any(axis=0)):
                bad = self.E[e].take(idx[dec]) != act[dec]
                compat[:, e] &= np.bincount(seg[dec], weights=bad, minlength=B) == 0
            V = self._near_pattern_sums(V, compat, idx, seg, cross, B)
        # the range [m, M] of <theta, x_i> on the cap and the chord slope, undecided rows only
        ic = np.flatnonzero(cross)
        ii, sc_ = idx[ic], seg[ic]
        self.rows_undecided += ic.size
        r_hi, r_lo = rho[ic] + eps, rho[ic] - eps
        sc2 = s[sc_]
        crl = self.crl_of(s)[sc_]
        a_lo = np.maximum(np.abs(rho[ic]) - eps, 0.0)
        sb = np.minimum(1.0, np.sqrt(np.maximum(0.0, 1.0 - a_lo * a_lo) + 8 * U) * (1.0 + 4 * U))  # >= sin(beta)
        q_hi = np.where(r_hi >= 0, r_hi, r_hi * crl) + sb * sc2 + 16 * U
        q_hi = np.where(r_hi >= crl, 1.0, np.minimum(q_hi, 1.0))
        q_lo = np.where(r_lo < 0, r_lo, r_lo * crl) - sb * sc2 - 16 * U
        q_lo = np.where(r_lo <= -crl, -1.0, np.maximum(q_lo, -1.0))
        xh = self.xn.hi[ii]
        M = np.maximum(up(xh * q_hi), 0.0)
        m = np.minimum(down(xh * q_lo), 0.0)
        den = M - m
        lam = np.where(den > 0, np.minimum(1.0, (M / np.where(den > 0, den, 1.0)) * (1.0 + 4 * U)), 0.0)
        Wc = self._segment_sum([lam * self.PXT[k].take(ii) for k in range(d)], sc_, B, n, extra=2)
        W = (V + Wc).div_pos(IV.point(float(n)))
        chat = IV.point(C).div_pos(cn[:, None])
        a = _dot_rows(W, chat)
        wn2 = norm2_iv(W)
        pc = p[ii]
        negm = -m
        gk = 1.0 + 2.0 * gamma(n + 4)
        cp = np.bincount(sc_, weights=lam * np.maximum(pc, 0.0) * negm, minlength=B)
        cm = np.bincount(sc_, weights=lam * np.maximum(-pc, 0.0) * negm, minlength=B)
        cp = up(up(cp * gk + (n + 4) * _TINY) / n)
        cm = up(up(cm * gk + (n + 4) * _TINY) / n)
        cr = (1.0 - IV.point(s).sq()).clip(0.0, 1.0).sqrt()
        ub = np.maximum(up(_capsup(a, wn2, cr, s) + cp), up(_capsup(-a, wn2, cr, s) + cm))
        # float value at the centre (lower bounds only)
        Vmid = 0.5 * (V.lo + V.hi)
        ecv = np.einsum("bd,bd->b", Ch, Vmid) + np.bincount(
            sc_, weights=pc * self.xnf[ii] * np.maximum(rho[ic], 0.0), minlength=B)
        ec = np.abs(ecv) / n
        # the rows still undecided, per box
        cuts = np.cumsum(np.bincount(sc_, minlength=B))[:-1]
        amb = _objects(np.split(ii, cuts))
        return up(ub), ec, Partition(V.lo, V.hi, amb, compat)

    def _segment_sum(self, T: list, seg: np.ndarray, B: int, n_terms: int, extra: int = 1) -> IV:
        """Enclosure of the exact per-segment sums of the exact products behind the float columns ``T`` (d x (K,)).

        Each entry of ``T`` is a float product of ``extra`` roundings (relative
        error at most ``gamma_extra``); the float sums (``np.bincount``:
        recursive summation of at most ``n_terms`` terms, Higham 2nd ed.
        section 4.2) add ``gamma_{n_terms}``.  The sums of the magnitudes bound
        both, with a factor 2 for their own rounding, plus the underflow
        allowance.
        """
        g = 2.0 * gamma(n_terms + extra + 2)
        lo = np.empty((B, self.d))
        hi = np.empty((B, self.d))
        for k in range(self.d):
            v = np.bincount(seg, weights=T[k], minlength=B)
            e = g * np.bincount(seg, weights=np.abs(T[k]), minlength=B) + (n_terms + extra + 2) * _TINY
            lo[:, k] = down(v - e)
            hi[:, k] = up(v + e)
        return IV(lo, hi)

    def _exact_pattern_sums(self, E: np.ndarray) -> IV:
        """Enclosures (width ~ 1 ulp) of ``sum_{i: e_i} p_i x_i`` per excluded pattern, by error-free sums.

        Each product ``p_i x_ik`` is split exactly into ``a + b`` (Dekker's
        two-product with Veltkamp's splitting, exact barring underflow) and
        ``math.fsum`` returns the correctly rounded sum of all ``2 n`` terms;
        one ulp each way plus ``2 n`` times the smallest subnormal (underflow
        in the products) encloses the exact sum.
        """
        import math

        k = E.shape[0]
        lo = np.zeros((k, self.d))
        hi = np.zeros((k, self.d))
        for e in range(k):
            rows = np.flatnonzero(E[e])
            pe = self.p[rows]
            for a in range(self.d):
                xa = self.X[rows, a]
                prod = pe * xa
                sp = 134217729.0 * pe
                ph = sp - (sp - pe)
                pl = pe - ph
                sx = 134217729.0 * xa
                xh = sx - (sx - xa)
                xl = xa - xh
                err = ((ph * xh - prod) + ph * xl + pl * xh) + pl * xl
                tot = math.fsum(np.concatenate([prod, err]).tolist())
                slack = (2 * rows.size + 2) * 2.0 ** -1074
                lo[e, a] = down(down(tot) - slack)
                hi[e, a] = up(up(tot) + slack)
        return IV(lo, hi)

    def _near_pattern_sums(self, V: IV, compat: np.ndarray, idx, seg, cross, B: int) -> IV:
        """On boxes whose decided rows all agree with an excluded pattern ``e``: ``V = V_e - sum`` (undecided rows of ``e``).

        The rows decided active are then exactly ``e``'s active rows minus the
        undecided ones, so ``V`` is the precise ``V_e`` (:meth:`_exact_pattern_sums`)
        minus a sum of the few undecided rows: near an atom the bounds are no
        longer limited by the ``gamma_n L`` width of a sum of ``n`` terms.
        """
        boxes = np.flatnonzero(compat.any(axis=1))
        if not boxes.size:
            return V
        e_of = np.argmax(compat, axis=1)
        ic = np.flatnonzero(cross)
        ii, ss = idx[ic], seg[ic]
        take = np.isin(ss, boxes)
        ii, ss = ii[take], ss[take]
        on = self.E[e_of[ss], ii]
        ii, ss = ii[on], ss[on]
        sub = self._segment_sum([self.PXT[k].take(ii) for k in range(self.d)], ss, B, self.n)
        prec = IV(self.Ve.lo[e_of], self.Ve.hi[e_of]) - sub
        lo, hi = V.lo.copy(), V.hi.copy()
        lo[boxes], hi[boxes] = np.maximum(lo[boxes], prec.lo[boxes]), np.minimum(hi[boxes], prec.hi[boxes])
        return IV(lo, hi)

    def crl_of(self, s: np.ndarray) -> np.ndarray:
        """A lower bound of ``cos r = sqrt(1 - s^2)``: ``1 - s^2`` (``<= sqrt(1 - s^2)``), rounded down."""
        return np.maximum(0.0, (1.0 - s * s) - 4 * U)

    # --------------------------------------------------------- few crossings
    def _sign_patterns(self, k: int) -> np.ndarray:
        """All ``2**k`` sign patterns of ``k`` crossing rows as a float 0/1 matrix (cached per ``k``)."""
        S = self._patterns_cache.get(k)
        if S is None:
            S = ((np.arange(2 ** k)[:, None] >> np.arange(k)[None, :]) & 1).astype(np.float64)
            self._patterns_cache[k] = S
        return S

    def _pattern_bound(self, c, cn: IV, s: float, Vlo, Vhi, cidx, compat, lb: float = -np.inf,
                       gap: float = 0.0) -> float:
        """Max over the allowed sign patterns of the crossing samples of the exact piece bounds.

        Every piece ``S`` (a sub-cell of the cap: the crossing rows with fixed
        signs) has ``eta = <theta, V_S>`` exactly; its sup over the cap is at
        most ``min(sup_cap <theta, V_S>, ||V_S + sum_k mu_k s_k x_k||)`` for any
        ``mu >= 0`` (the cone-projection bound).  All ``2**k`` enclosures
        ``V_S`` come from one interval matrix product; the cap bound is
        evaluated for all of them, and the cone bound (``mu`` from a float
        NNLS, the norm in interval arithmetic) only for the pieces whose cap
        bound exceeds ``lb + gap``: a stationary maximum inside a sub-cell is
        resolved to rounding level, whatever the radius of the cap.
        """
        self.n_pattern_bounds += 1
        n, k, d = self.n, cidx.size, self.d
        S = self._sign_patterns(k)
        Sb = S.astype(bool)
        allowed = np.ones(S.shape[0], dtype=bool)
        for e in np.flatnonzero(compat):
            allowed &= ~np.all(Sb == self.E[e, cidx][None], axis=1)
        if not allowed.any():
            return -np.inf
        js = np.flatnonzero(allowed)
        if k:
            PXc = self.PX[cidx]
            SV = matmul_ivf(IV(PXc.lo.T, PXc.hi.T), S[js].T)  # (d, K): exact sums of the chosen rows
            V = (IV(Vlo[:, None], Vhi[:, None]) + SV)
            V = IV(V.lo.T, V.hi.T).div_pos(IV.point(float(n)))
        else:
            V = IV(Vlo[None], Vhi[None]).div_pos(IV.point(float(n)))
        K = V.lo.shape[0]
        chat = IV.point(c[None]).div_pos(IV(cn.lo[None, None], cn.hi[None, None]))
        chat = IV(np.broadcast_to(chat.lo, V.lo.shape), np.broadcast_to(chat.hi, V.hi.shape))
        cr0 = (1.0 - IV.point(np.array([s])).sq()).clip(0.0, 1.0).sqrt()
        crr = IV(np.full(K, cr0.lo[0]), np.full(K, cr0.hi[0]))
        ss = np.full(K, s)
        a = _dot_rows(V, chat)
        wn2 = norm2_iv(V)
        cs = np.stack([_capsup(a, wn2, crr, ss), _capsup(-a, wn2, crr, ss)])  # (2, K): sign +1, -1
        if k:
            need = np.argwhere(cs > lb + gap)
            if need.shape[0] > self.max_cone:
                top = np.argsort(-cs[need[:, 0], need[:, 1]])[:self.max_cone]
                need = need[top]
            if need.shape[0]:
                sgn = np.where(need[:, 0] == 0, 1.0, -1.0)
                cb, pts = self._cone_bounds_nnls(V[need[:, 1]], sgn, Sb[js[need[:, 1]]], cidx)
                cs[need[:, 0], need[:, 1]] = np.minimum(cs[need[:, 0], need[:, 1]], cb)
                self._try_point(pts[int(np.argmax(cb))], lb)
        return float(cs.max())

    def _cone_bounds_nnls(self, V: IV, sgn: np.ndarray, S: np.ndarray, cidx: np.ndarray) -> np.ndarray:
        """``||sgn V_j + sum mu_k s_k x_k||`` (rounded up) with ``mu >= 0`` from a float NNLS per piece.

        Any ``mu >= 0`` gives a valid bound (module docstring); the NNLS
        optimum for the float midpoint gives the projection onto the piece's
        cone, i.e. the exact sup over the sub-cell up to rounding.
        """
        K, k = S.shape
        Y = np.where(S, 1.0, -1.0)[:, :, None] * self.X[cidx][None]  # (K, k, d): rows s_k x_k
        mid = sgn[:, None] * 0.5 * (V.lo + V.hi)
        mu = np.zeros((K, k))
        for j in range(K):
            mu[j] = np.maximum(nnls(-Y[j].T, mid[j], maxiter=50 * max(1, k))[0], 0.0)
        self.n_cone_bounds += K
        Vs = IV(np.where(sgn[:, None] > 0, V.lo, -V.hi), np.where(sgn[:, None] > 0, V.hi, -V.lo))
        terms = IV.point(mu[:, :, None]) * IV.point(Y)  # (K, k, d)
        proj = mid + np.einsum("jk,jkd->jd", mu, Y)  # the maximisers of the pieces' cones (float)
        return norm2_iv(Vs + sum_iv(terms, axis=1)).sqrt().hi, proj

    def _try_point(self, theta: np.ndarray, lb: float) -> None:
        """Evaluate ``|eta|`` directly at ``theta`` (a lower bound only) and keep it when it beats ``lb``.

        The projection of a piece's vector onto its cone is the piece's
        maximiser when it lies in the cap, so near a maximum the lower end
        rises to the value the piece bounds resolve.  Points in excluded
        cells are not kept.
        """
        nt = float(np.linalg.norm(theta))
        if not nt > 0:
            return
        th = theta / nt
        g = self.X @ th
        pat = g > 0
        if self.E.shape[0] and pattern_key(pat) in self.keys:
            return
        val = abs(float(np.maximum(g, 0.0) @ self.p)) / self.n
        if val > max(lb, self.best_point_value):
            self.best_point_value, self.best_point = val, th

    def _cone_bounds_batch(self, V: IV, sgn: np.ndarray, S: np.ndarray, cidx: np.ndarray) -> np.ndarray:
        """``||sgn V_j + sum mu_k s_k x_k||`` (rounded up) for many pieces, ``mu >= 0`` by active-set enumeration.

        Any ``mu >= 0`` gives a valid bound (module docstring).  The NNLS
        optimum has at most ``d`` positive entries and is the least-squares
        solution on its support, so the least-squares multipliers of every
        support of at most ``min(k, d)`` walls (clipped at 0) include it: the
        smallest float residual picks ``mu``, which is then evaluated in interval
        arithmetic.
        """
        K, k = S.shape
        d = self.d
        Y = np.where(S, 1.0, -1.0)[:, None, :] * self.X[cidx].T[None]  # (K, d, k): columns s_k x_k
        v = sgn[:, None] * 0.5 * (V.lo + V.hi)
        best = np.linalg.norm(v, axis=1)
        mu_best = np.zeros((K, k))
        for size in range(1, min(k, d) + 1):
            for A in itertools.combinations(range(k), size):
                YA = Y[:, :, A]
                G = np.einsum("kda,kdb->kab", YA, YA)
                rhs = -np.einsum("kda,kd->ka", YA, v)
                try:
                    mu = np.linalg.solve(G, rhs[:, :, None])[:, :, 0]
                except np.linalg.LinAlgError:
                    mu = np.einsum("kab,kb->ka", np.linalg.pinv(G), rhs)
                mu = np.maximum(np.nan_to_num(mu, nan=0.0, posinf=0.0, neginf=0.0), 0.0)
                val = np.linalg.norm(v + np.einsum("kda,ka->kd", YA, mu), axis=1)
                better = val < best
                if better.any():
                    best[better] = val[better]
                    mu_best[better] = 0.0
                    mu_best[np.ix_(np.flatnonzero(better), list(A))] = mu[better]
        Vs = IV(np.where(sgn[:, None] > 0, V.lo, -V.hi), np.where(sgn[:, None] > 0, V.hi, -V.lo))
        terms = IV.point(mu_best[:, :, None]) * IV.point(np.transpose(Y, (0, 2, 1)))  # (K, k, d)
        return norm2_iv(Vs + sum_iv(terms, axis=1)).sqrt().hi

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
