"""``sup |eta_p|`` over the circle (d = 2) by one sorted sweep: O(n log n) time, O(n) memory, rigorous.

On the circle ``theta(t) = (cos t, sin t)`` row ``i`` is active on the open
half-circle between its two breakpoints ``x_i^perp``: it turns on at the
direction ``e_on = (x_i2, -x_i1)`` and off at ``e_off = -e_on`` (both exact
float vectors, no rounding).  Between consecutive breakpoints (an *arc*)
``eta = <theta, v_k> / n`` with ``v_k = sum_{active} p_i x_i``, and its
exact maximum over the arc is ``|v_k|`` when the direction of ``+-v_k`` lies
in the arc, else the larger endpoint value (``|cos(t - psi)|`` has no interior
maximum between ``psi`` and ``psi + pi``).

**The sweep.**

* Positions: every breakpoint vector ``(a, b)`` gets the *pseudo-angle*
  ``P(a, b) = k + num / (|a| + |b|)`` in ``[0, 4)`` (quadrant ``k``; ``num`` is
  ``|b|`` in quadrants 0, 2 and ``|a|`` in 1, 3), a strictly increasing
  function of the angle with ``dP/dt = 1 / (|cos t| + |sin t|)^2`` in
  ``[1/2, 1]``.  No trigonometric function is used (libm gives no accuracy
  guarantee); the float ``P^`` is off by at most ``eps_P = 4.01 u``
  (``u = 2**-53``: one rounding in ``|a| + |b|`` and one in the quotient, at
  most ``2.01 u`` on a value ``<= 1``, plus half an ulp of ``k + q <= 4``,
  ``2 u``).
* The 2n positions are sorted once; events at exactly equal positions
  (duplicated or antipodal samples, and any rows whose ``P^`` coincide) are
  applied together, so exactly coincident hyperplanes are merged and nothing
  else is: near-coincident breakpoints are ordered as the floats say.
* ``v_k`` is a running sum of the events ``+-p_i x_i`` (scaled data), started
  from the rows active on the wrap-around arc: blocked cumulative sums in
  ``np.longdouble`` (blocks of ``B`` terms summed sequentially, block offsets
  carried sequentially), then rounded to float64.
* The Hamming distance from the current pattern to each excluded pattern is
  carried along the sweep (an integer cumulative sum); arcs at distance 0 are
  the excluded computed arcs.

**Why the bound is rigorous** (scaled units, ``L = (1/n) sum |p_i| |x_i|``):

1. *Computed arrangement.*  Its breakpoints are the points
   ``t^ = P^{-1}(P^)`` of the circle; the float order of ``P^`` is their exact
   order.  Since ``|P^ - P| <= eps_P`` and ``dt/dP <= 2``, each computed
   breakpoint lies within ``delta = 2 eps_P < 8.1 u`` of the true one; we use
   :data:`BREAKPOINT_ERROR` ``= 16 u`` (1.8e-15 rad).
2. *No gap condition.*  At any ``t`` the computed activity of row ``i``
   differs from the true one only if ``t`` lies between a true breakpoint of
   row ``i`` and its computed image, so within ``delta`` of the true one,
   where ``|<theta, x_i>| <= |x_i| sin delta``.  Hence the computed piecewise
   linear function ``g`` (exact sums of the computed patterns) satisfies
   ``|g - eta| <= delta L`` everywhere, however small the gaps between
   breakpoints (gaps of ``pi / n^2`` are normal for uniform data).
3. *Summation.*  With ``u_L`` the unit roundoff of ``np.longdouble`` (2**-64
   on x86-64; read from ``np.finfo``, so the bound stays valid where it is
   float64), the terms ``p_i x_ia`` rounded once, the in-block prefix sums
   off by ``gamma_B(u_L)`` times the block's mass, the sequential offsets by
   ``gamma_nb(u_L)`` times the total mass (``nb`` blocks in all) and one more
   rounding when they are added and one to float64 (``u``), each component of
   every ``v^_k`` is within ``(2 gamma_B + 2 gamma_nb + 6 u_L + 2 u) M_a`` of
   the exact sum, ``M_a <= 3 sum_i |p_i x_ia|`` (a row enters at most three
   times).  At ``n = 1e6``, ``B = 1024``: about ``2e-15 L`` in ``eta``.
4. *Per arc.*  ``|v^|`` is rounded up (``(1 + 4u)`` and ``2**-530`` for
   underflow); whether ``+-v^`` points into the arc is decided on ``P^(v^)``
   with a slack of ``64 u`` in ``P`` (when in doubt ``|v^|`` is taken, which
   bounds every value on the arc).  Endpoint values are evaluated at the
   breakpoint vectors (within ``2 eps_P`` of ``t^``) with ``24 u |v^|`` to
   cover that shift and the rounding of ``<e, v^> / |e|``.
5. *Excluded cells.*  A point of a non-excluded true cell inside an excluded
   computed arc has a true pattern different from the arc's, so by 2 it lies
   within ``delta`` of one of the arc's ends; ``eta`` is ``L``-Lipschitz in
   the angle, so there ``|eta| <= |g(end)| + 2 delta L``: excluded arcs
   contribute their endpoint values plus ``delta L`` beyond the allowance of 2.
   A true excluded cell that does not appear as a computed arc only enlarges
   the set bounded.  Hence ``hi`` bounds ``sup |eta|`` over the closure of the
   non-excluded true cells, with an allowance that does not grow as gaps
   shrink (``safety``, about ``5e-15 L``).

``lo`` is ``|eta|`` evaluated directly (float64) at the best point of a
non-excluded computed arc (such a point is within ``delta`` of a non-excluded
true cell).  The float divisions by ``n`` and the sums of the allowances are
rounded up by a relative ``8 u``.

Memory: about :data:`BYTES_PER_SAMPLE` bytes per sample plus chunks of
:func:`blasso.memory.chunk_bytes`, checked by :func:`circle_sweep_bytes` before
anything is allocated.
"""

from __future__ import annotations


import numpy as np

from blasso.memory import check_memory, chunk_bytes
from blasso.validation import BlassoInputError

from .rounding import U, Scaled, exact_scaling, gamma
from .sup import SupBracket, _as_patterns, _Deadline, _finish, _lip, _validated

__all__ = ["BREAKPOINT_ERROR", "BYTES_PER_SAMPLE", "LEAF_BINS", "pseudo_angle", "circle_sweep_bytes",
           "sup_circle_sweep"]

#: Bound (radians) on the distance between a computed breakpoint and the true one (2 eps_P < 8.1 u, doubled).
BREAKPOINT_ERROR = 16.0 * U
#: Persistent bytes per sample of the sweep (scaled copy, positions, order, masks), measured with margin.
BYTES_PER_SAMPLE = 160
#: Number of pseudo-angle bins the margin-curve leaves are grouped into (at most 1.2e-4 rad each).
LEAF_BINS = 65536
_EPS_P = 4.01 * U          # |P^ - P| for a float vector (see the module docstring)
_SLACK = 64.0 * U          # slack of the interior test, in pseudo-angle units
_END = 24.0 * U            # endpoint evaluation error, relative to |v^|
_TINY = 2.0 ** -530        # covers underflow in |v^| and in the endpoint values (scaled units)
_BLOCK = 1024              # terms per block of the cumulative sums
_ROUND_UP = 1.0 + 8.0 * U  # absorbs the roundings of the final few float operations


def pseudo_angle(a, b) -> np.ndarray:
    """Pseudo-angle in ``[0, 4)`` of the vectors ``(a, b)``: increasing with the angle, no trigonometry.

    ``P = k + num / (|a| + |b|)`` with ``k`` the quadrant (0: ``a >= 0, b >= 0``,
    1: ``a < 0 <= b``, 2: both ``< 0``, 3: ``b < 0 <= a``) and ``num = |b|``
    in quadrants 0 and 2, ``|a|`` in 1 and 3.  The float result is within
    ``4.01 u`` of the exact one, and ``dP/dt`` lies in ``[1/2, 1]``.  Zero
    vectors are not allowed (``nan``).

    Parameters
    ----------
    a, b : array_like
        Coordinates (float64).

    Returns
    -------
    ndarray
        ``P`` in ``[0, 4)`` (a computed 4 is mapped to 0, the same point).

    Examples
    --------
    >>> pseudo_angle([1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 0.0, -1.0]).tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    aa, ab = np.abs(a), np.abs(b)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where((a < 0) ^ (b < 0), aa, ab) / (aa + ab)
    k = np.where(b >= 0, np.where(a >= 0, 0.0, 1.0), np.where(a < 0, 2.0, 3.0))
    P = k + q
    return np.where(P >= 4.0, 0.0, P)


def circle_sweep_bytes(n: int) -> int:
    """Estimated peak bytes of :func:`sup_circle_sweep` on ``n`` samples (checked before allocating).

    Examples
    --------
    >>> circle_sweep_bytes(10**6) > 10**8
    True
    """
    return int(n) * BYTES_PER_SAMPLE + 4 * chunk_bytes()


def _check_circle_memory(n: int) -> None:
    check_memory(circle_sweep_bytes(n), f"the circle sweep of n = {n:,} samples "
                 f"(about {BYTES_PER_SAMPLE} bytes per sample)")


def sup_circle_sweep(p, X, *, exclude_patterns=None, keep_leaves: bool = False,
                     time_budget: float = np.inf) -> SupBracket:
    """Rigorous bracket of ``sup |eta_p|`` over the circle (d = 2), by one sorted sweep.

    See the module docstring for the method and the a-priori error analysis;
    the bracket's ``hi`` includes the allowance (``safety``), and
    ``SupBracket.rigorous`` is true for this method.

    Parameters
    ----------
    p : array_like (n,)
    X : array_like (n, 2)
    exclude_patterns : bool array (k, n), optional
        Activation patterns of cells left out: the sup is over the closure of
        the other cells.
    keep_leaves : bool
        Also return ``leaves`` for margin curves: the arcs grouped into at most
        :data:`LEAF_BINS` caps (``centre``, ``radius``, ``ub`` an upper bound of
        ``|eta|`` on the cap's non-excluded points, ``lo`` a lower bound of
        ``max |eta|`` on the cap).
    time_budget : float
        Only recorded (the sweep takes O(n log n); it is not interrupted).

    Returns
    -------
    SupBracket
        ``method="circle-sweep"``, ``exact=True``, ``stopped="exact"``.

    Raises
    ------
    BlassoInputError
        On bad input, ``d != 2``, or when the estimated memory
        (:func:`circle_sweep_bytes`) exceeds the limit.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> b = sup_circle_sweep(np.array([1.0, 1.0]), X)
    >>> bool(b.lo <= np.sqrt(2) / 2 <= b.hi < np.sqrt(2) / 2 + 1e-12)
    True
    """
    shape = np.shape(X)
    if len(shape) == 2 and shape[0] > 0:  # before anything is copied or allocated
        _check_circle_memory(shape[0])
    p, X = _validated(p, X, 2, "sup_circle_sweep")
    dl = _Deadline(time_budget)
    sc = exact_scaling(p, X)
    return sweep_scaled(sc, _as_patterns(exclude_patterns), dl, keep_leaves=keep_leaves)


# ----------------------------------------------------------------- the sweep
class _Events:
    """Sorted breakpoint events of the scaled data: event ``j`` turns row ``row(j)`` on (+1) or off (-1)."""

    def __init__(self, sc: Scaled):
        Xs = sc.Xs
        nz = np.any(Xs != 0, axis=1)
        self.rows = np.flatnonzero(nz)  # zero rows have no hyperplane and are never active
        m = self.rows.size
        a, b = Xs[self.rows, 1], -Xs[self.rows, 0]  # e_on = (x2, -x1): <theta, x> turns positive there
        P = np.concatenate([pseudo_angle(a, b), pseudo_angle(-a, -b)])
        self.wrap = self.rows[P[:m] > P[m:]]  # active on the arc that wraps through P = 0
        self.order = np.argsort(P)
        del a, b
        self.pos = P[self.order]
        del P
        self.m = m
        self.N = 2 * m
        self.Xs, self.ps = Xs, sc.ps

    def row_sign(self, idx: np.ndarray):
        o = self.order[idx]
        on = o < self.m
        return self.rows[np.where(on, o, o - self.m)], np.where(on, 1.0, -1.0)

    def next_pos(self, idx: np.ndarray) -> np.ndarray:
        """Position of the event after ``idx`` (after the last one: the first, plus a full turn 4)."""
        wrap = idx + 1 >= self.N
        return np.where(wrap, self.pos[0] + 4.0, self.pos[np.where(wrap, 0, idx + 1)])

    def vectors(self, idx: np.ndarray):
        """Breakpoint vectors ``s (x2, -x1)`` of events ``idx`` (exact) and their norms."""
        r, s = self.row_sign(idx)
        e1, e2 = s * self.Xs[r, 1], -s * self.Xs[r, 0]
        return e1, e2, np.sqrt(e1 * e1 + e2 * e2)


def _blocked_prefix(T: np.ndarray, carry: np.ndarray, B: int):
    """Prefix sums of ``T`` (c, 2) after ``carry``: in-block cumulative sums plus sequential block offsets."""
    c = T.shape[0]
    nb = -(-c // B)
    if nb * B != c:
        T = np.concatenate([T, np.zeros((nb * B - c, 2), dtype=T.dtype)])  # adding 0 is exact
    W = np.cumsum(T.reshape(nb, B, 2), axis=1)
    off = np.cumsum(np.concatenate([carry[None], W[:, -1, :]]), axis=0)  # carry, carry + T_1, ... in order
    return (off[:-1, None, :] + W).reshape(-1, 2)[:c], off[-1].copy(), nb


class _Sweep:
    """State carried along the sweep: the running sums, Hamming distances, maxima and leaf bins."""

    def __init__(self, sc: Scaled, ev: _Events, E: np.ndarray | None, keep_leaves: bool):
        self.sc, self.ev = sc, ev
        self.E = E if E is not None and E.shape[0] else None
        self.keep_leaves = keep_leaves
        self.carry = np.zeros(2, dtype=np.longdouble)
        self.blocks = 0
        self.best = {"ub": -np.inf, "ub_ex": -np.inf, "lo": -np.inf, "theta": None}
        self.min_gap = np.inf
        self.n_arcs = 0
        self.excluded_arcs = 0
        self.leaf_parts: list = []
        if self.E is not None:
            A0 = np.zeros(sc.n, dtype=bool)
            A0[ev.wrap] = True
            self.dist = np.count_nonzero(self.E != A0[None], axis=1).astype(np.int64)

    def wrap_sum(self, step: int) -> None:
        """The running sum starts from the rows active on the wrap-around arc (the first terms summed)."""
        w = self.ev.wrap
        for a in range(0, w.size, step):
            r = w[a:a + step]
            T = self.sc.ps[r, None].astype(np.longdouble) * self.sc.Xs[r].astype(np.longdouble)
            _, self.carry, nb = _blocked_prefix(T, self.carry, _BLOCK)
            self.blocks += nb

    def chunk(self, a: int, b: int) -> None:
        """Events ``a:b``: running sums, distances, and the bounds of the arcs that end in the chunk."""
        ev = self.ev
        r, s = ev.row_sign(np.arange(a, b))
        T = (s * self.sc.ps[r])[:, None].astype(np.longdouble) * self.sc.Xs[r].astype(np.longdouble)
        pre, self.carry, nb = _blocked_prefix(T, self.carry, _BLOCK)
        self.blocks += nb
        del T
        ends = np.flatnonzero(ev.pos[a:b] != ev.next_pos(np.arange(a, b)))  # last event at each position
        excl = np.zeros(ends.size, dtype=bool)
        if self.E is not None:
            step = np.where(self.E[:, r] == (s > 0)[None], -1, 1).astype(np.int64)
            dist = self.dist[:, None] + np.cumsum(step, axis=1)
            self.dist = dist[:, -1].copy()
            excl = np.any(dist[:, ends] == 0, axis=0)
            del step, dist
        V = pre[ends].astype(np.float64)
        del pre
        self._arcs(a + ends, V, excl)

    def _arcs(self, g: np.ndarray, V: np.ndarray, excl: np.ndarray) -> None:
        """Bounds of the arcs starting at events ``g`` with running sums ``V`` (see the module docstring, 4)."""
        ev = self.ev
        A, Bp = ev.pos[g], ev.next_pos(g)
        s1, s2, sn = ev.vectors(g)
        e1, e2, en = ev.vectors((g + 1) % ev.N)
        v1, v2 = V[:, 0], V[:, 1]
        nv = np.sqrt(v1 * v1 + v2 * v2)
        nv_up = nv * (1.0 + 4.0 * U) + _TINY
        ga = (s1 * v1 + s2 * v2) / sn
        gb = (e1 * v1 + e2 * v2) / en
        end_max = np.maximum(np.abs(ga), np.abs(gb))
        Qp, Qm = pseudo_angle(v1, v2), pseudo_angle(-v1, -v2)
        maybe = _maybe_in(Qp, A, Bp) | _maybe_in(Qm, A, Bp)
        ub = np.where(maybe & ~excl, nv_up, end_max + _END * nv_up + _TINY)
        inp, inm = _surely_in(Qp, A, Bp), _surely_in(Qm, A, Bp)
        lo = np.where(inp | inm, nv * (1.0 - 4.0 * U) - _TINY, end_max - _END * nv_up - _TINY)
        self.n_arcs += g.size
        self.excluded_arcs += int(excl.sum())
        if (~excl).any():
            self.best["ub"] = max(self.best["ub"], float(ub[~excl].max()))
            k = int(np.argmax(np.where(excl, -np.inf, lo)))
            if lo[k] > self.best["lo"]:
                self.best["lo"] = float(lo[k])
                if inp[k] or inm[k]:
                    self.best["theta"] = (1.0 if inp[k] else -1.0) * V[k] / max(nv[k], 1e-300)
                elif abs(ga[k]) >= abs(gb[k]):
                    self.best["theta"] = np.array([s1[k], s2[k]]) / sn[k]
                else:
                    self.best["theta"] = np.array([e1[k], e2[k]]) / en[k]
        if excl.any():
            self.best["ub_ex"] = max(self.best["ub_ex"], float(ub[excl].max()))
        sin_gap = np.abs(s1 * e2 - s2 * e1) / (sn * en)  # informative: the angle between consecutive breakpoints
        self.min_gap = min(self.min_gap, float(np.arcsin(np.minimum(sin_gap, 1.0)).min(initial=np.inf)))
        if self.keep_leaves:
            bins = np.minimum((A * (LEAF_BINS / 4.0)).astype(np.int64), LEAF_BINS - 1)
            st = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
            self.leaf_parts.append((bins[st], g[st], np.maximum.reduceat(g, st),
                                    np.maximum.reduceat(np.where(excl, -np.inf, ub), st),
                                    np.maximum.reduceat(np.where(excl, ub, -np.inf), st),
                                    np.maximum.reduceat(lo, st)))


def _maybe_in(Q, A, Bp):
    """``Q`` (or ``Q +- 4``) possibly in the arc ``[A, Bp]`` (the slack covers every rounding)."""
    lo_, hi_ = A - _SLACK, Bp + _SLACK
    return ((Q >= lo_) & (Q <= hi_)) | ((Q + 4.0 >= lo_) & (Q + 4.0 <= hi_)) | ((Q - 4.0 >= lo_) & (Q - 4.0 <= hi_))


def _surely_in(Q, A, Bp):
    """``Q`` (or ``Q + 4``) certainly inside the arc ``(A, Bp)``."""
    lo_, hi_ = A + _SLACK, Bp - _SLACK
    return ((Q >= lo_) & (Q <= hi_)) | ((Q + 4.0 >= lo_) & (Q + 4.0 <= hi_))


def _gamma_l(k: int, u: float) -> float:
    return k * u / (1.0 - k * u)


def _allowances(sc: Scaled, blocks: int) -> dict:
    """The a-priori allowances of the module docstring (scaled units, rounded up)."""
    n, ps, Xs = sc.n, sc.ps, sc.Xs
    L_up = _lip(sc) * (1.0 + 2.0 * gamma(n + 8)) + _TINY
    M = 3.0 * (np.abs(ps) @ np.abs(Xs)) * (1.0 + 2.0 * gamma(n + 2))  # M_a >= the mass of component a
    uL = float(np.finfo(np.longdouble).eps) / 2.0
    c_sum = 2.0 * _gamma_l(_BLOCK, uL) + 2.0 * _gamma_l(max(blocks, 1), uL) + 6.0 * uL + 2.0 * U
    summation = c_sum * float(M.sum()) / n * _ROUND_UP
    breakpoint = BREAKPOINT_ERROR * L_up * _ROUND_UP
    return {"breakpoint": breakpoint, "summation": summation, "base": (breakpoint + summation) * _ROUND_UP,
            "excluded_extra": breakpoint, "L_up": L_up, "longdouble_unit_roundoff": uL, "blocks": blocks}


def _eta_units(raw, n: int, base: float, extra: float = 0.0):
    """``raw / n`` rounded up plus the allowances (works on arrays; ``-inf`` stays ``-inf``)."""
    return (np.asarray(raw) / n * _ROUND_UP + (base + extra)) * _ROUND_UP


def sweep_scaled(sc: Scaled, E: np.ndarray | None, dl: _Deadline, *, keep_leaves: bool = False,
                 info: dict | None = None) -> SupBracket:
    """The sweep on exactly scaled data (see :func:`sup_circle_sweep`; memory checked by the caller)."""
    info = dict(info or {})
    if sc.Xs.shape[1] != 2:
        raise BlassoInputError(f"the circle sweep needs d = 2; got d = {sc.Xs.shape[1]}")
    ev = _Events(sc)
    if ev.N == 0:  # every row is zero: eta = 0 on the one cell (pattern all off)
        all_off = E is not None and bool(np.any(~E.any(axis=1)))
        return _finish(sc, -np.inf if all_off else 0.0, None if all_off else np.array([1.0, 0.0]),
                       "circle-sweep", True, "exact", 0.0, dl, {**info, "n_arcs": 1 if not all_off else 0})
    sw = _Sweep(sc, ev, E, keep_leaves)
    step = max(_BLOCK, chunk_bytes() // 512 // _BLOCK * _BLOCK)
    sw.wrap_sum(step)
    for a in range(0, ev.N, step):
        sw.chunk(a, min(ev.N, a + step))
    al = _allowances(sc, sw.blocks)
    n = sc.n
    cand = [float(_eta_units(sw.best["ub"], n, al["base"])),
            float(_eta_units(sw.best["ub_ex"], n, al["base"], al["excluded_extra"]))]
    hi_s = max(cand)
    info.update({"n_arcs": sw.n_arcs, "breakpoint_events": ev.N, "coincident_events_merged": ev.N - sw.n_arcs,
                 "excluded_arcs": sw.excluded_arcs, "min_breakpoint_gap_rad": sw.min_gap,
                 "breakpoint_error_rad": BREAKPOINT_ERROR,
                 "allowance": {k: (sc.unscale(v) if k in ("breakpoint", "summation", "base", "excluded_extra", "L_up")
                                   else v) for k, v in al.items()},
                 "rigorous_by": "a-priori analysis (certificates/circle.py)"})
    leaves = _leaves(sc, ev, sw, al) if keep_leaves else None
    if sw.best["theta"] is None:  # every arc excluded
        return _finish(sc, hi_s, None, "circle-sweep", True, "exact", al["base"], dl, info, leaves)
    return _finish(sc, hi_s, sw.best["theta"], "circle-sweep", True, "exact", al["base"], dl, info, leaves)


def _leaves(sc: Scaled, ev: _Events, sw: _Sweep, al: dict) -> dict:
    """Arcs grouped by pseudo-angle bin into caps (``centre``, ``radius``, ``ub``, ``lo``; unscaled)."""
    parts = [np.concatenate(c) for c in zip(*sw.leaf_parts)]
    bins, first, last, ub, ub_ex, lo = parts
    st = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])  # a bin split across two chunks is merged
    first = np.minimum.reduceat(first, st)
    last = np.maximum.reduceat(last, st)
    ub = np.maximum.reduceat(ub, st)
    ub_ex = np.maximum.reduceat(ub_ex, st)
    lo = np.maximum.reduceat(lo, st)
    n = sc.n
    hi = np.maximum(_eta_units(ub, n, al["base"]), _eta_units(ub_ex, n, al["base"], al["excluded_extra"]))
    lo_eta = (lo / n * (1.0 - 4.0 * U) - al["base"]) * (1.0 - 4.0 * U)
    s1, s2, _ = ev.vectors(first)
    e1, e2, _ = ev.vectors((last + 1) % ev.N)
    span = np.mod(np.arctan2(s1 * e2 - s2 * e1, s1 * e1 + s2 * e2), 2.0 * np.pi)
    mid = np.arctan2(s2, s1) + 0.5 * span
    scale = 2.0 ** sc.exponent
    return {"centre": np.column_stack([np.cos(mid), np.sin(mid)]),
            "radius": 0.5 * span * (1.0 + 1e-9) + 1e-12,
            "ub": hi * scale, "lo": np.where(np.isfinite(lo_eta), lo_eta * scale, -np.inf)}
