"""``sup_theta |eta_p(theta)|`` over the whole sphere, as a bracket ``[lo, hi]``.

* ``lo`` (any d): ``|eta_p|`` *evaluated directly* (float64) at the best point
  found by a batched fixed-point ascent ``theta <- normalize(+-v(theta))``
  (float32, many starts at once; with ``atoms``, also from the maximisers of
  the cells across each atom's nearest walls), whose 8 best ends are polished
  by the cell-to-cell ascent (on a cell the best point is the projection of
  ``v_C`` onto the cell cone, see :mod:`blasso.certificates.cells`), or by the
  method computing ``hi``.  Excluded cells are never entered.  A point value
  is only ever a lower bound, so none of this needs rounding control.
* ``hi``, by one of:

  - ``branch-and-bound`` (any d; the rigorous method).  Boxes on the faces of
    the cube ``[-1, 1]^d`` (they cover the sphere by radial projection; a box
    is split in two halves that share the midpoint exactly, and hands its
    partition of the samples to them) are enclosed in caps, and every cap
    bound is computed in outward-rounded interval arithmetic or with stated
    a-priori allowances (:mod:`blasso.certificates.capbound`, :mod:`blasso.certificates.rounding`):
    ``hi`` is an upper bound of the exact supremum for the float data, with
    no assumption on the data (parallel, duplicated, antipodal or coplanar
    samples, clusters, any scale).
  - ``circle-sweep`` (d = 2, any n; :mod:`blasso.certificates.circle`): the 2n
    breakpoints ``+-x_i^perp`` split the circle into arcs where
    ``eta = <theta, v_arc>``; one sort by a trigonometry-free pseudo-angle,
    long-double running sums, the exact max per arc.  Rigorous by an a-priori
    analysis that needs no gap between breakpoints (each computed breakpoint
    is within 1.8e-15 rad of the true one, so the computed piecewise-linear
    function is within that times ``L`` of ``eta`` everywhere): ``rigorous``
    is true for it, and no data are routed elsewhere.
  - ``exact-sphere3`` (d = 3): enumeration of the
    arrangement.  On S^2 the max is at an interior
    critical point ``+-v_C/|v_C|`` of a cell or on a great circle ``x_i^perp``
    (a d = 2 problem).  Each circle is scanned in O(n log n) (cell vectors of
    its arcs by a cumulative sum of the flips), and a cell's interior
    critical point is tested (in batches) only when ``|v_C|`` exceeds the
    best value on the circles and it lies on the right side of the arc's three
    walls and of a fixed subset of 64 rows (necessary conditions); the full
    membership test uses ``v_C`` recomputed from the pattern.  Samples are first grouped by hyperplane (rows equal up
    to an exact power of two and sign share one; their bits on a circle are set
    from the sign relation, not from a rounded zero projection).  The method is
    exact for arrangements in *general position after grouping*: it checks
    that distinct hyperplanes are at least ``PARALLEL_SIN`` apart (sine of the
    angle) and that no two breakpoints on a circle are closer than the
    rounding of their positions allows to order; otherwise it reports
    ``degenerate`` and :func:`sup_abs_eta` routes the data to branch and bound,
    saying so in ``info["routed"]``.  Its ``hi`` carries the a-priori error
    allowance :func:`enumeration_error` (``safety``).

Scale: every method runs on data rescaled by exact powers of two
(:func:`blasso.certificates.rounding.exact_scaling`), so nothing overflows or
underflows for ``|p|`` from 1e-300 to 1e300; results are scaled back (a bound
that overflows float64 raises ``BlassoInputError`` naming the scale).
Tolerances (``tol``) are relative to ``L = (1/n) sum |p_i| ||x_i||``.

No masking: ``hi`` comes only from the method that computes it.  A point value
``lo`` above ``hi`` (beyond evaluation rounding) is a detected bug and raises
``RuntimeError``.

``time_budget`` bounds the whole call (ascent, enumeration, branch and bound).
An enumeration that runs out of time falls back to branch and bound with what
is left (``stopped="budget"``: the bracket reached, still rigorous).

Cells can be *excluded* (by activation pattern): the sup is then over the
closure of the other cells.  :mod:`blasso.certificates.verdict` uses that for the
cells of the target's atoms, where ``eta_V`` is known exactly.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import numpy as np

from blasso.features import eta as eta_direct
from blasso.sphere import normalize, random_sphere
from blasso.validation import BlassoInputError, check_choice, check_rng, check_vector, check_X

from .capbound import KMAX, CapBounder, Partition, box_caps
from .cells import activation_pattern, cell_vector, pattern_key, project_onto_cell
from .rounding import U, Scaled, exact_scaling, gamma

__all__ = [
    "PARALLEL_SIN",
    "SupBracket",
    "lipschitz_constant",
    "enumeration_error",
    "eval_error",
    "cell_ascent",
    "batch_ascent",
    "sup_exact_circle",
    "sup_exact_sphere3",
    "sup_branch_and_bound",
    "cap_upper_bounds",
    "sup_abs_eta",
]

#: Distinct hyperplanes closer than this (sine of the angle between normals) make
#: the exact enumerations report ``degenerate``.
PARALLEL_SIN = 1e-7
_TWO_PI = 2.0 * np.pi


@dataclass
class SupBracket:
    """A bracket ``lo <= sup |eta_p| <= hi`` (over the non-excluded cells).

    Attributes
    ----------
    lo, hi : float
        ``lo`` is ``|eta_p(theta_lo)|`` evaluated directly; ``hi`` is the
        method's upper bound (rounding allowance included).
    theta_lo : ndarray (d,) or None
    eta_lo : float
        Signed ``eta_p(theta_lo)``.
    method : str
        ``circle-sweep``, ``exact-sphere3``, ``branch-and-bound``.
    exact : bool
        True when ``hi`` comes from an exact enumeration.
    stopped : str
        ``exact``, ``converged``, ``below-threshold``, ``above-threshold``,
        ``budget`` or ``max-leaves``.
    safety : float
        Rounding allowance included in ``hi`` (0 for branch and bound, whose
        bounds are computed in outward rounding).
    wall_s : float
    info : dict
    leaves : dict or None
        Branch-and-bound leaves (``centre``, ``radius``, ``ub``, ``eta_centre``), or the
        circle sweep's arcs grouped into caps (``centre``, ``radius``, ``ub``, ``lo``).
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

    @property
    def rigorous(self) -> bool:
        """True when ``hi`` is proven: outward rounding (branch and bound) or the circle sweep's a-priori analysis."""
        return self.method in ("branch-and-bound", "circle-sweep")

    def to_dict(self) -> dict:
        return {"lo": self.lo, "hi": self.hi, "gap": self.gap, "theta_lo": self.theta_lo,
                "eta_lo": self.eta_lo, "method": self.method, "exact": self.exact,
                "stopped": self.stopped, "safety": self.safety, "wall_s": self.wall_s, **self.info}


# ----------------------------------------------------------------- helpers
def lipschitz_constant(p: np.ndarray, X: np.ndarray) -> float:
    """``L = (1/n) sum_i |p_i| ||x_i||``: bounds ``|eta_p|`` and its Lipschitz constant."""
    sc = exact_scaling(np.asarray(p, dtype=np.float64), np.asarray(X, dtype=np.float64))
    return sc.unscale(_lip(sc))


def _lip(sc: Scaled) -> float:
    return float(np.abs(sc.ps) @ np.linalg.norm(sc.Xs, axis=1) / sc.n) if sc.ps.size else 0.0


def eval_error(n: int, d: int, L: float) -> float:
    """Bound on the rounding error of a float evaluation of ``eta_p`` (``gamma_{n+d+2} L``, doubled)."""
    return 2.0 * gamma(n + d + 2) * L + 1e-300


def enumeration_error(n: int, d: int, L: float, sin_min: float) -> float:
    """A-priori rounding allowance of the exact enumerations (scaled units).

    Candidate values are norms of cell vectors (sums of ``n`` products:
    ``gamma_n L``), their in-plane projections (an orthonormal basis off by
    ``O(d u)``: ``L`` times that angle) and point evaluations at computed
    breakpoints.  A breakpoint of circle ``i`` from sample ``j`` is off by at
    most ``~8 u / sin angle(x_i, x_j)`` radians, so its value by ``L`` times
    that.  On S^2 the arcs' cell vectors are a cumulative sum along the
    circle: the first arc's ``n`` terms plus two flips per sample, at most
    ``3 n`` terms of total magnitude ``3 L``, off by ``gamma_{3n} 3 L``; the
    ``16 gamma_{3 n + 8}`` term covers it twice.  The sum, with factors of 2
    to spare, is returned.
    """
    return L * (8.0 * gamma(n + d + 8) + 16.0 * gamma(3 * n + 8) + 64.0 * U / max(sin_min, 1e-300)
                + 64.0 * d * U)


class _Deadline:
    def __init__(self, budget: float):
        self.t0 = time.perf_counter()
        self.end = self.t0 + max(0.0, float(budget))

    def left(self) -> float:
        return self.end - time.perf_counter()

    def over(self) -> bool:
        return time.perf_counter() > self.end


def _as_keys(exclude_patterns, keep: np.ndarray | None = None) -> set:
    if exclude_patterns is None:
        return set()
    pats = np.atleast_2d(np.asarray(exclude_patterns, dtype=bool))
    if keep is not None:
        pats = pats[:, keep]
    return {pattern_key(r) for r in pats}


def _as_patterns(exclude_patterns) -> np.ndarray | None:
    """Excluded patterns as a bool array (k, n) (scaling keeps every row, so no column is dropped)."""
    if exclude_patterns is None:
        return None
    return np.atleast_2d(np.asarray(exclude_patterns, dtype=bool))


def _excluded(keys: set, pattern: np.ndarray) -> bool:
    return bool(keys) and pattern_key(pattern) in keys


def _validated(p, X, d: int | None = None, who: str = ""):
    X = check_X(X)
    if d is not None and X.shape[1] != d:
        raise BlassoInputError(f"{who} needs d = {d}; got d = {X.shape[1]}")
    p = check_vector(p, X.shape[0], name="p")
    return p, X


def _point_value(sc: Scaled, theta) -> tuple[float, float]:
    """``(|eta|, eta)`` at ``theta`` on scaled data (float)."""
    e = float(eta_direct(sc.ps, sc.Xs, np.asarray(theta, dtype=float)[None])[0]) * sc.Xs.shape[0] / sc.n \
        if sc.ps.size else 0.0
    return abs(e), e


def _finish(sc: Scaled, hi_s: float, theta, method: str, exact: bool, stopped: str, safety_s: float,
            dl: _Deadline, info: dict, leaves=None, extra_lo=None) -> SupBracket:
    """Scale back, evaluate ``lo`` directly, and refuse ``lo > hi`` (a bug, never masked)."""
    lo_s, e_s = (-np.inf, float("nan")) if theta is None else _point_value(sc, theta)
    if extra_lo is not None and extra_lo[0] is not None:
        lo2, e2 = _point_value(sc, extra_lo[0])
        if lo2 > lo_s:
            lo_s, e_s, theta = lo2, e2, extra_lo[0]
    n, d = sc.n, sc.Xs.shape[1]
    if np.isfinite(hi_s):
        hi_s = hi_s + sc.abs_loss  # entries of p that underflowed in the scaling
    if np.isfinite(lo_s) and lo_s - eval_error(n, d, _lip(sc)) > hi_s:
        raise RuntimeError(f"{method}: a point value {lo_s!r} exceeds the upper bound {hi_s!r} "
                           "(scaled units): the bound is wrong; please report this input")
    try:
        hi = sc.unscale(hi_s) if np.isfinite(hi_s) else hi_s
        lo = sc.unscale(lo_s) if np.isfinite(lo_s) else lo_s
        e = sc.unscale(e_s) if np.isfinite(e_s) else e_s
        saf = sc.unscale(safety_s)
    except OverflowError as exc:
        raise BlassoInputError(f"sup |eta_p| is out of float64 range at this scale of p (2**{sc.exponent}):"
                               f" {exc}; rescale p") from None
    info = {**info, "scale_exponent": sc.exponent, "budget_left_s": dl.left()}
    return SupBracket(lo, hi, None if theta is None else np.asarray(theta, dtype=float), e, method, exact,
                      stopped, saf, time.perf_counter() - dl.t0, info, leaves)


# --------------------------------------------------------------- lower bound
def _ascent(sc: Scaled, starts: np.ndarray, keys: set, dl: _Deadline, max_iter: int = 60,
            max_subset: int = 3):
    """Multi-start cell-to-cell ascent on scaled data; returns end points (k, d)."""
    p, X = sc.ps, sc.Xs
    ends = []
    e0s = eta_direct(p, X, starts) if len(starts) else np.zeros(0)
    for th0, e0 in zip(starts, e0s):
        if dl.over():
            break
        s = 1.0 if e0 >= 0 else -1.0
        pat = activation_pattern(X, th0)
        if _excluded(keys, pat):
            continue
        theta = th0
        for _ in range(max_iter):
            pr = project_onto_cell(s * cell_vector(p, X, pat), X, pat)
            if pr.theta is None:
                break
            theta, val, act = pr.theta, pr.value, pr.active
            if act.size == 0:
                break
            subsets = ([c for k in range(1, act.size + 1) for c in itertools.combinations(act, k)]
                       if act.size <= max_subset else [(i,) for i in act])
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
    return np.array(ends) if ends else np.zeros((0, X.shape[1]))


def _in_excluded(A: np.ndarray, E: np.ndarray | None, probe: np.ndarray | None = None) -> np.ndarray:
    """Rows of the patterns ``A`` (S, n) equal to one of the excluded patterns ``E`` (k, n).

    ``probe``: rows checked first; only patterns matching an excluded one there are compared in full.
    """
    out = np.zeros(A.shape[0], dtype=bool)
    if E is None or not E.shape[0]:
        return out
    cand = np.arange(A.shape[0])
    if probe is not None:
        cand = np.flatnonzero(np.any(np.all(A[:, probe][:, None, :] == E[:, probe][None], axis=2), axis=1))
        if not cand.size:
            return out
    Af = A[cand].astype(np.float32)
    Ef = E.astype(np.float32)
    mism = Af @ (1.0 - Ef).T + (1.0 - Af) @ Ef.T  # exact small integers in float32 (n < 2**24)
    out[cand] = np.any(mism == 0, axis=1)
    return out


def _batch_ascent(sc: Scaled, starts: np.ndarray, E: np.ndarray | None, dl: _Deadline, iters: int = 40,
                  chunk: int = 256):
    """Batched fixed-point ascent ``theta <- normalize(+-v(theta))`` (a lower-bound heuristic).

    On a cell ``eta = <theta, v_C>`` is largest at ``v_C / |v_C|``; each start
    moves there (half-steps when that does not increase ``|eta|``) and stops
    when no step helps.  Points in excluded cells are never accepted.  The
    iterations run in float32 (a heuristic); the end points' values and cells
    are evaluated again in float64.  Returns the end points (k, d), ``|eta|``
    there (-inf inside an excluded cell) and the flop count of the products.
    """
    p, X = sc.ps, sc.Xs
    n, d = sc.n, X.shape[1]
    X32, p32 = X.astype(np.float32), p.astype(np.float32)
    probe = np.arange(0, n, max(1, n // 64))
    ends = []
    flops = 0
    for a in range(0, len(starts), chunk):
        T = starts[a:a + chunk].astype(np.float32)
        G = T @ X32.T
        A = G > 0
        e = (np.maximum(G, 0.0) @ p32) / n
        sg = np.where(e >= 0, 1.0, -1.0).astype(np.float32)
        val = np.where(_in_excluded(A, E, probe), -np.inf, np.abs(e))
        step = np.ones(len(T), dtype=np.float32)
        alive = np.isfinite(val)
        for _ in range(iters):
            if not alive.any() or dl.over():
                break
            ix = np.flatnonzero(alive)
            flops += ix.size * n * (6 * d + 4)  # two (k, n) x (n, d) products, relu, masks
            V = (A[ix] * p32) @ X32 / n
            tgt = sg[ix, None] * V
            nt = np.linalg.norm(tgt, axis=1, keepdims=True)
            tgt = np.where(nt > 0, tgt / np.where(nt > 0, nt, 1.0), T[ix])
            Tn = T[ix] + step[ix, None] * (tgt - T[ix])
            Tn /= np.maximum(np.linalg.norm(Tn, axis=1, keepdims=True), 1e-30)
            Gn = Tn @ X32.T
            An = Gn > 0
            en = sg[ix] * (np.maximum(Gn, 0.0) @ p32) / n
            better = (en > val[ix] * (1 + 1e-6)) & ~_in_excluded(An, E, probe)
            jb = ix[better]
            T[jb], A[jb], val[jb] = Tn[better], An[better], en[better]
            step[jb] = np.minimum(1.0, 2.0 * step[jb])
            jw = ix[~better]
            step[jw] *= 0.5
            alive[jw[step[jw] < 1e-3]] = False
        ends.append(T.astype(np.float64))
    if not ends:
        return np.zeros((0, d)), np.zeros(0), 0
    pts = np.vstack(ends)
    pts /= np.linalg.norm(pts, axis=1, keepdims=True)
    G = pts @ X.T
    vals = np.abs(np.maximum(G, 0.0) @ p) / n
    vals[_in_excluded(G > 0, E, probe)] = -np.inf
    return pts, vals, flops


def _near_atom_starts(sc: Scaled, E: np.ndarray | None, atoms: np.ndarray | None, k: int = 16) -> np.ndarray:
    """Maximisers of the cells across each atom's nearest walls: ``normalize(u_j -+ p_i x_i / n)``.

    Crossing wall ``i`` changes ``v`` by ``+-p_i x_i / n``; when that wall is
    closer to the atom than about ``|p_i| / (2 n)`` the neighbour cell rises
    above 1 (the finite-sample hair violations), at ``u_j +- p_i x_i / n``.
    """
    if atoms is None or not len(atoms):
        return np.zeros((0, sc.Xs.shape[1]))
    X, p, n = sc.Xs, sc.ps, sc.n
    out = []
    for u in np.atleast_2d(atoms):
        g = X @ u
        near = np.argsort(np.abs(g) / np.maximum(np.linalg.norm(X, axis=1), 1e-300))[:k]
        for i in near:
            sgn = -1.0 if g[i] > 0 else 1.0  # crossing: active rows become inactive and vice versa
            for t in (1.0, 0.5):
                out.append(u + t * sgn * np.ldexp(p[i] / n, sc.exponent) * X[i])  # v is u_j 2**-exponent in scaled units
    V = np.array(out)
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    return V


def _best_point(sc: Scaled, pts: np.ndarray):
    if len(pts) == 0 or sc.ps.size == 0:
        return None, -np.inf
    pts = pts / np.linalg.norm(pts, axis=1, keepdims=True)
    vals = np.abs(eta_direct(sc.ps, sc.Xs, pts))
    k = int(np.argmax(vals))
    return pts[k], float(vals[k])


def cell_ascent(p, X, starts, *, exclude_patterns=None, max_iter: int = 60, max_subset: int = 3,
                time_budget: float = np.inf):
    """Multi-start local ascent of ``|eta_p|`` over arrangement cells (a lower bound).

    From each start (sign chosen by ``eta`` there) the best point of the current
    cell is the projection of ``+-v_C`` onto the cell cone; the walls it lands on
    are crossed (singly, or in subsets when at most ``max_subset`` are active)
    while that increases the value.  Excluded cells are never entered.

    Returns
    -------
    best, theta, eta_signed, points, values
        Largest ``|eta_p|`` evaluated directly at an end point, where, its
        signed value, all end points and ``|eta_p|`` there.
    """
    p, X = _validated(p, X)
    starts = normalize(np.atleast_2d(np.asarray(starts, dtype=np.float64)))
    sc = exact_scaling(p, X)
    keys = _as_keys(exclude_patterns, sc.keep)
    pts = _ascent(sc, starts, keys, _Deadline(time_budget), max_iter, max_subset)
    if len(pts) == 0:
        return -np.inf, None, float("nan"), pts, np.zeros(0)
    pts = pts / np.linalg.norm(pts, axis=1, keepdims=True)
    vals = eta_direct(p, X, pts)
    k = int(np.argmax(np.abs(vals)))
    return float(abs(vals[k])), pts[k], float(vals[k]), pts, np.abs(vals)


def batch_ascent(p, X, starts, *, exclude_patterns=None, time_budget: float = np.inf):
    """Batched fixed-point ascent of ``|eta_p|`` from many starts (a lower bound, fast).

    The vectorised heuristic that :func:`sup_abs_eta` uses for its lower bound:
    each start moves towards its cell's maximiser ``+-v_C / |v_C|`` (half-steps
    when that does not help), all starts in one matrix product per step, within
    ``time_budget`` seconds.  Much faster than :func:`cell_ascent` for many
    starts at large n (one product per step for all starts instead of one cone
    projection per start and wall), but it does not cross walls in subsets.

    Returns
    -------
    points, values
        The end points (k, d) and ``|eta_p|`` evaluated directly there
        (``-inf`` for a point inside an excluded cell).
    """
    p, X = _validated(p, X)
    starts = normalize(np.atleast_2d(np.asarray(starts, dtype=np.float64)))
    sc = exact_scaling(p, X)
    pts, vals, _ = _batch_ascent(sc, starts, _as_patterns(exclude_patterns), _Deadline(time_budget))
    if len(pts):
        finite = np.isfinite(vals)
        vals = np.where(finite, np.abs(eta_direct(p, X, pts)), -np.inf)
    return pts, vals


# ----------------------------------------------------------- hyperplane groups
def _hyperplane_groups(Xs: np.ndarray):
    """Group rows by hyperplane exactly: rows equal up to sign (after power-of-two scaling).

    Returns ``(rep, group, rel, sin_min)``: representative row indices, each
    row's group, its sign relation (+1 same direction, -1 antipodal) and the
    smallest sine of the angle between distinct representatives.
    """
    nz = np.flatnonzero(np.any(Xs != 0, axis=1))  # zero rows: no hyperplane (group -1)
    first = np.argmax(Xs[nz] != 0, axis=1)
    sgn = np.sign(Xs[nz, first])
    canon = Xs[nz] * sgn[:, None]
    _, rep_l, group_l = np.unique(canon, axis=0, return_index=True, return_inverse=True)
    group_l = group_l.reshape(-1)
    rep = nz[rep_l]
    group = np.full(Xs.shape[0], -1)
    group[nz] = group_l
    rel = np.zeros(Xs.shape[0])
    rel[nz] = sgn * sgn[rep_l[group_l]]
    R = Xs[rep] / np.linalg.norm(Xs[rep], axis=1, keepdims=True)
    return rep, group, rel, _min_sine(R)


def _min_sine(R: np.ndarray) -> float:
    """A lower bound of the smallest sine of the angle between two of the unit rows ``R`` taken up to sign.

    The closest pair among ``R`` and ``-R`` (a k-d tree, O(k log k) in low d)
    by chord length ``c``; ``sin = c sqrt(1 - c^2 / 4)``.  The chord of two
    close unit vectors is computed from their coordinate differences, accurate
    to a few units of the last place absolutely (where ``sqrt(1 - cos^2)`` loses
    everything below 1e-8), and the result is lowered by ``1e-12`` relative
    plus ``8 U`` to cover that.
    """
    from scipy.spatial import cKDTree

    k = len(R)
    if k < 2:
        return 1.0
    dist, idx = cKDTree(np.vstack([R, -R])).query(R, k=3)
    own = idx == np.arange(k)[:, None]                   # each row finds itself at distance 0
    c = float(np.min(np.where(own, np.inf, dist)))
    if not np.isfinite(c):
        return 1.0
    c = min(c, np.sqrt(2.0))                              # up to sign the angle is at most 90 degrees
    return max(0.0, c * np.sqrt(max(0.0, 1.0 - c * c / 4.0)) * (1.0 - 1e-12) - 8.0 * U)


def _grouped(X: np.ndarray):
    """Hyperplane groups and the near-parallel test shared by both enumerations."""
    rep, group, rel, sin_min = _hyperplane_groups(X)
    info = {"hyperplanes": int(len(rep)), "min_sin_between_hyperplanes": sin_min,
            "degenerate": bool(sin_min < PARALLEL_SIN)}
    if info["degenerate"]:
        info["degenerate_reason"] = f"distinct hyperplanes {sin_min:.1e} apart (sine), below {PARALLEL_SIN:g}"
    return rep, group, rel, sin_min, info


def _on(pats, on_circle, rel):
    on = pats.copy()
    on[:, on_circle] = rel[None, :] > 0
    return on


# --------------------------------------------------------------- d = 2 exact
def sup_exact_circle(p, X, *, exclude_patterns=None, time_budget: float = np.inf) -> SupBracket:
    """Exact ``sup |eta_p|`` over the circle (d = 2): the circle sweep, at any n.

    Kept for callers of the former enumeration; it is
    :func:`blasso.certificates.circle.sup_circle_sweep` (``method="circle-sweep"``,
    rigorous by a-priori analysis, no degenerate cases).

    Examples
    --------
    >>> import numpy as np
    >>> sup_exact_circle(np.array([1.0]), np.array([[1.0, 0.0]])).method
    'circle-sweep'
    """
    from .circle import sup_circle_sweep

    return sup_circle_sweep(p, X, exclude_patterns=exclude_patterns, time_budget=time_budget)


def _exact_bracket(sc: Scaled, out, method: str, dl: _Deadline) -> SupBracket:
    res, err, info = out
    if res is None:
        raise BlassoInputError(f"{method}: {info.get('degenerate_reason', 'not finished in the time budget')}"
                               " (use sup_abs_eta, which routes such data to branch and bound)")
    best, arg, _ = res
    if arg is None:  # every cell excluded (or p = 0)
        return _finish(sc, -np.inf if sc.ps.size else 0.0, None, method, True, "exact", 0.0, dl, info)
    return _finish(sc, best + err, arg, method, True, "exact", err, dl, info)


# --------------------------------------------------------------- d = 3 exact
def _plane_basis(x: np.ndarray) -> np.ndarray:
    """Orthonormal basis (3, 2) of ``x^perp``."""
    u = x / np.linalg.norm(x)
    Q, _ = np.linalg.qr(np.column_stack([u, np.eye(3)]))
    return Q[:, 1:3]


def _circle_arcs(p, X, E, members, rel, arc_min, Ex):
    """The arcs of the great circle ``x_i^perp`` (basis ``E``) in O(n log n): sorted breakpoints and cumulative cell vectors.

    Moving along ``E (cos t, sin t)`` row ``j`` (not parallel to the circle's
    normal) turns on at ``phi_j - pi/2`` and off at ``phi_j + pi/2``; the
    pattern of the first arc is evaluated at its midpoint (the circle's own
    rows set from their sign relation, "off" side), the others by applying
    the flips in order, so the cell vectors are ``V_0`` plus a cumulative sum
    of ``+-p_j x_j / n`` (allowance in :func:`enumeration_error`).  The
    Hamming distance to each excluded pattern is tracked the same way.

    Returns None when two breakpoints are closer than ``arc_min``, else a dict
    with ``b`` (starts), ``length``, ``mid``, ``V`` (off-side cell vectors,
    (B, 3)), ``D`` (on side minus off side), ``ex_off`` / ``ex_on`` (the arc's
    side is an excluded cell).
    """
    n = X.shape[0]
    Xp = X @ E
    Xp[members] = 0.0  # exactly parallel to the circle's normal: no breakpoint
    nr = np.linalg.norm(Xp, axis=1)
    use = np.flatnonzero(nr > 0)
    phi = np.arctan2(Xp[use, 1], Xp[use, 0])
    t_on = np.mod(phi - np.pi / 2, _TWO_PI)
    t_off = np.mod(phi + np.pi / 2, _TWO_PI)
    b = np.unique(np.concatenate([t_off, t_on]))
    if b.size == 0:
        b = np.array([0.0, np.pi])
    ends = np.append(b[1:], b[0] + _TWO_PI)
    length = ends - b
    if b.size > 1 and np.min(length) < arc_min:
        return None
    mid = 0.5 * (b + ends)
    pat0 = (X @ (E @ np.array([np.cos(mid[0]), np.sin(mid[0])]))) > 0
    pat0[members] = rel < 0
    V0 = (pat0 * p) @ X / n
    k_on = np.searchsorted(b, t_on)
    k_off = np.searchsorted(b, t_off)
    B = b.size
    ev_k = np.concatenate([k_on, k_off])
    ev_j = np.concatenate([use, use])
    ev_s = np.concatenate([np.ones(use.size), -np.ones(use.size)])
    # one row flipping at each breakpoint, and its side on the arc that starts / ends there
    j_at = np.zeros(B, dtype=np.int64)
    s_at = np.zeros(B)
    j_at[ev_k] = ev_j
    s_at[ev_k] = ev_s  # +1: on after b[k] (so on in arc k, off in arc k - 1)
    walls = (j_at, s_at, np.roll(j_at, -1), -np.roll(s_at, -1))
    live = ev_k >= 1  # flips at b[0] are already in the first arc's pattern
    ev_k, ev_j, ev_s = ev_k[live], ev_j[live], ev_s[live]
    delta = np.zeros((B, 3))
    w = ev_s * p[ev_j] / n
    for a in range(3):
        delta[:, a] = np.bincount(ev_k, weights=w * X[ev_j, a], minlength=B)
    V = V0[None] + np.cumsum(delta, axis=0)
    on0 = _on(pat0[None], members, rel)[0]  # the "on" side: the circle's own rows from their sign relation
    on_bits = on0[members]
    D = ((on0.astype(float) - pat0.astype(float)) * p) @ X / n
    ex_off = np.zeros(B, dtype=bool)
    ex_on = np.zeros(B, dtype=bool)
    for e in Ex:
        d0 = int(np.count_nonzero(pat0 != e))
        step = np.where(e[ev_j] == (ev_s > 0), -1, 1)  # a flip towards e's bit lowers the distance
        dist = d0 + np.cumsum(np.bincount(ev_k, weights=step, minlength=B))
        off_m = np.count_nonzero((rel < 0) != e[members])
        on_m = np.count_nonzero(on_bits != e[members])
        ex_off |= dist == 0
        ex_on |= dist - off_m + on_m == 0
    return {"b": b, "length": length, "mid": mid, "V": V, "D": D, "ex_off": ex_off, "ex_on": ex_on,
            "walls": walls}


def _arc_pattern(X, E, t, members, rel, on_side: bool) -> np.ndarray:
    pat = (X @ (E @ np.array([np.cos(t), np.sin(t)]))) > 0
    pat[members] = rel > 0 if on_side else rel < 0
    return pat


def _exact_sphere3(sc: Scaled, keys: set, dl: _Deadline, Ex: np.ndarray | None = None):
    """Exact sup over S^2: every great circle scanned in O(n log n), then the cells' interior critical points.

    On a cell ``C`` the interior critical point ``+-v_C / |v_C|`` has value
    ``|v_C|``; only cells with ``|v_C|`` above the best value on all the
    circles can raise the sup, and only those are tested for membership
    (pattern recomputed at the arc's midpoint, ``v_C`` recomputed directly).
    """
    p, X = sc.ps, sc.Xs
    n = sc.n
    rep, group, rel, sin_min, info = _grouped(X)
    if info["degenerate"]:
        return None, None, info
    if Ex is None:
        Ex = np.zeros((0, n), dtype=bool)
    arc_min = max(1e-11, 1e3 * U / sin_min)
    best, arg = -np.inf, None
    cand = []  # arrays (|v|, circle, side, arc midpoint, sign) per circle and side
    n_arcs = 0
    xn = np.linalg.norm(X, axis=1)
    bases = {}
    for gi, i in enumerate(rep):
        if dl.over():
            return None, None, {**info, "degenerate": False, "degenerate_reason": "time budget spent",
                                "circles_done": gi}
        members = np.flatnonzero(group == gi)
        E = _plane_basis(X[i])
        r = _circle_arcs(p, X, E, members, rel[members], arc_min, Ex)
        if r is None:
            return None, None, {**info, "degenerate": True, "degenerate_reason":
                                f"two breakpoints on a circle closer than {arc_min:.1e} rad (three or more "
                                "hyperplanes through a point, or near it)"}
        bases[gi] = (E, members)
        b, length, V = r["b"], r["length"], r["V"]
        n_arcs += b.size
        keep = ~(r["ex_off"] & r["ex_on"])
        if not keep.any():
            continue
        W = V @ E  # in-plane coordinates: eta(E u) = <u, E^T v>
        wn = np.linalg.norm(W, axis=1)
        ang = np.arctan2(W[:, 1], W[:, 0])
        kk = np.flatnonzero(keep)
        for sgn in (0.0, np.pi):
            rel_ang = np.mod(ang[kk] + sgn - b[kk], _TWO_PI)
            inside = (rel_ang <= length[kk] + 1e-12) | (rel_ang >= _TWO_PI - 1e-12)
            if inside.any():
                j = int(np.argmax(np.where(inside, wn[kk], -np.inf)))
                if wn[kk[j]] > best:
                    t = ang[kk[j]] + sgn
                    best, arg = float(wn[kk[j]]), E @ np.array([np.cos(t), np.sin(t)])
        vk = np.flatnonzero(keep | np.roll(keep, 1))  # breakpoints next to a kept arc
        ev = np.abs(np.einsum("kd,kd->k", W[vk], np.column_stack([np.cos(b[vk]), np.sin(b[vk])])))
        j = int(np.argmax(ev))
        if ev[j] > best:
            best, arg = float(ev[j]), E @ np.array([np.cos(b[vk[j]]), np.sin(b[vk[j]])])
        js, ss, je, se = r["walls"]
        xi = X[i] / np.linalg.norm(X[i])
        for side, Vs, ex in ((False, V, r["ex_off"]), (True, V + r["D"][None], r["ex_on"])):
            vn = np.linalg.norm(Vs, axis=1)
            hit = np.flatnonzero(~ex & (vn > best))
            if not hit.size:
                continue
            for sg in (1.0, -1.0):
                T = sg * Vs[hit] / vn[hit, None]
                # necessary for T inside the cell: the right side of this circle and of the arc's end walls
                ok = ((T @ xi) * (1.0 if side else -1.0) >= -1e-9)
                ok &= ss[hit] * np.einsum("kd,kd->k", T, X[js[hit]]) >= -1e-9 * xn[js[hit]]
                ok &= se[hit] * np.einsum("kd,kd->k", T, X[je[hit]]) >= -1e-9 * xn[je[hit]]
                h = hit[ok]
                cand.append((vn[h], np.full(h.size, gi), np.full(h.size, side), r["mid"][h], np.full(h.size, sg),
                             T[ok]))
    # interior critical points of the cells that could beat the circles, best first, in batches
    tested = 0
    if cand:
        vn_c, gi_c, side_c, t_c, sg_c, T_c = (np.concatenate(a) for a in zip(*cand))
        probe = np.arange(0, n, max(1, n // 64))
        order = np.argsort(-vn_c)
        order = order[vn_c[order] > best]
        tol_x = 1e-12 * xn
        for a0 in range(0, order.size, 1024):
            o = order[a0:a0 + 1024]
            if vn_c[o[0]] <= best * (1 - 1e-9):
                break
            Tm = np.einsum("kij,kj->ki", np.stack([bases[g][0] for g in gi_c[o]]),
                           np.column_stack([np.cos(t_c[o]), np.sin(t_c[o])]))
            # screen on a fixed subset of rows (a wrong sign there rules the candidate out), then on all rows
            Xq = X[probe]
            Ps = (Tm @ Xq.T) > 0
            Ps = np.where(group[probe][None, :] == gi_c[o][:, None],
                          np.where(side_c[o][:, None], rel[probe][None, :] > 0, rel[probe][None, :] < 0), Ps)
            keep_c = np.all(np.where(Ps, 1.0, -1.0) * (T_c[o] @ Xq.T) >= -1e-9 * xn[probe][None], axis=1)
            o, Tm = o[keep_c], Tm[keep_c]
            if not o.size:
                continue
            tested += o.size
            P = (Tm @ X.T) > 0
            P = np.where(group[None, :] == gi_c[o][:, None], rel[None, :] < 0, P)  # "off" side
            for g in np.unique(gi_c[o][side_c[o]]):
                rows = np.flatnonzero(side_c[o] & (gi_c[o] == g))
                mem = bases[g][1]
                P[rows] = _on(P[rows], mem, rel[mem])
            if Ex.shape[0]:
                excl = np.any(np.all(P[:, None, :] == Ex[None], axis=2), axis=1)
            else:
                excl = np.zeros(o.size, dtype=bool)
            Vd = (P * p) @ X / n
            vd = np.linalg.norm(Vd, axis=1)
            T = sg_c[o][:, None] * Vd / np.where(vd > 0, vd, 1.0)[:, None]
            S = np.where(P, 1.0, -1.0)
            member = np.all(S * (T @ X.T) >= -tol_x[None], axis=1) & ~excl & (vd > 0)  # loose: only raises hi
            if member.any():
                j = int(np.argmax(np.where(member, vd, -np.inf)))
                if vd[j] > best:
                    best, arg = float(vd[j]), T[j]
    info.update({"degenerate": False, "n_arcs": n_arcs, "cells_tested": tested, "n_cells": n_arcs})
    return (best, arg, info), enumeration_error(sc.n, 3, _lip(sc), sin_min), info


def sup_exact_sphere3(p, X, *, exclude_patterns=None, time_budget: float = np.inf) -> SupBracket:
    """Exact ``sup |eta_p|`` over S^2 by enumerating the arrangement of great circles.

    Raises ``BlassoInputError`` when the data are degenerate for the method or
    the budget runs out (see the module docstring); :func:`sup_abs_eta` routes
    such data to branch and bound.
    """
    p, X = _validated(p, X, 3, "sup_exact_sphere3")
    dl = _Deadline(time_budget)
    sc = exact_scaling(p, X)
    return _exact_bracket(sc, _exact_sphere3(sc, _as_keys(exclude_patterns, sc.keep), dl, _as_patterns(exclude_patterns)),
                          "exact-sphere3", dl)


# ------------------------------------------------------- branch and bound, any d
def _initial_boxes(d: int, split: int):
    """Boxes ``[lo, hi]^(d-1)`` on the 2d faces of the cube, ``split`` per axis."""
    ticks = np.linspace(-1.0, 1.0, split + 1)
    cells = list(itertools.product(range(split), repeat=d - 1))
    lo = np.array([[ticks[c] for c in cell] for cell in cells])
    hi = np.array([[ticks[c + 1] for c in cell] for cell in cells])
    faces = np.repeat(np.arange(2 * d), len(cells))
    return faces, np.tile(lo, (2 * d, 1)), np.tile(hi, (2 * d, 1))


def _others(d: int) -> np.ndarray:
    return np.array([[a for a in range(d) if a != ax] for ax in range(d)], dtype=int)


def cap_upper_bounds(p, X, centres, radii, *, exclude_patterns=None, kmax: int = KMAX) -> np.ndarray:
    """Rigorous upper bounds of ``sup |eta_p|`` on spherical caps (outward rounding).

    Parameters
    ----------
    p : array_like (n,)
    X : array_like (n, d)
    centres : array_like (B, d)
        Cap centres (any non-zero norm).
    radii : array_like (B,)
        Angular radii in [0, pi]; ``sin r`` is rounded up by 4 ulps (libm's
        ``sin`` is accurate to 1 ulp), radii ``>= pi/2`` get the global bound.
    exclude_patterns : bool array (k, n), optional
        Cells left out (``-inf`` for a cap inside them).
    """
    p, X = _validated(p, X)
    C = np.atleast_2d(np.asarray(centres, dtype=np.float64))
    r = np.asarray(radii, dtype=np.float64).reshape(-1)
    if r.shape[0] != C.shape[0] or np.any(~np.isfinite(r)) or np.any(r < 0) or np.any(r > np.pi):
        raise BlassoInputError("radii must be finite, in [0, pi], one per centre")
    if C.shape[1] != X.shape[1] or np.any(np.linalg.norm(C, axis=1) == 0):
        raise BlassoInputError("centres must be non-zero vectors of the data's dimension")
    sc = exact_scaling(p, X)
    s = np.where(r < np.pi / 2, np.sin(r) * (1 + 8 * U) + 1e-300, 1.0)
    ub, _, _ = CapBounder(sc.ps, sc.Xs, _as_patterns(exclude_patterns), kmax).bounds(C, s, -np.inf)
    return np.array([sc.unscale(u) if np.isfinite(u) else u for u in ub])


def sup_branch_and_bound(p, X, *, exclude_patterns=None, tol: float = 1e-6, time_budget: float = 30.0,
                         threshold: float | None = None, lo_init: float = -np.inf,
                         theta_init: np.ndarray | None = None, kmax: int = KMAX, batch: int = 128,
                         max_leaves: int = 2_000_000, keep_leaves: bool = False,
                         initial_split: int = 2, progress=None) -> SupBracket:
    """Rigorous ``sup |eta_p|`` bracket by branch and bound over spherical caps (any d).

    Parameters
    ----------
    p : array_like (n,)
    X : array_like (n, d)
    exclude_patterns : bool array (k, n), optional
        Cells left out (the sup is over the closure of the others).
    tol : float
        Stop when ``hi - lo <= tol * L`` (relative to the scale ``L``).
    time_budget : float
        Seconds; on expiry the current (rigorous) bracket is returned (``stopped="budget"``).
    threshold : float, optional
        Stop as soon as ``hi < threshold`` or ``lo > threshold`` (a decision).
    lo_init, theta_init :
        A known lower bound and where it is attained (from an ascent).
    kmax : int
        Enumerate sign patterns on caps crossed by at most this many hyperplanes.
    keep_leaves : bool
        Return the leaves (for margin curves).
    progress : callable, optional
        ``progress(desc, done, total)`` with the relative gap closed so far.
    """
    p, X = _validated(p, X)
    sc = exact_scaling(p, X)
    dl = _Deadline(time_budget)
    thr = None if threshold is None else float(threshold) * 2.0 ** -sc.exponent
    lo_s = -np.inf if not np.isfinite(lo_init) else _point_value(sc, theta_init)[0] if theta_init is not None \
        else -np.inf
    return _bnb(sc, _as_patterns(exclude_patterns), dl, tol=tol, thr=thr, lo=lo_s, th=theta_init, kmax=kmax,
                batch=batch, max_leaves=max_leaves, keep_leaves=keep_leaves, split=initial_split, progress=progress)


def _bnb(sc: Scaled, excl, dl: _Deadline, *, tol, thr, lo, th, kmax, batch=128, max_leaves=2_000_000,
         keep_leaves=False, split=2, progress=None, info=None, thr_hi=None, decided_budget=None,
         decided_rel=0.01) -> SupBracket:
    """Best-first branch and bound over boxes; each box's partition is passed on to its halves.

    ``thr`` (with ``thr_hi``, default ``thr``): stop when every bound is below
    ``thr`` or, ``decided_budget`` seconds (default 0) after the incumbent
    rose above ``thr_hi``; from then on the bracket is closed only to
    ``max(tol, decided_rel (lo - thr_hi))`` (the size of the violation to 1%).  The batch grows to about
    ``2e5`` undecided rows per call (at least ``batch`` boxes, at most 4096).
    """
    d = sc.Xs.shape[1]
    if sc.ps.size == 0:
        return _finish(sc, 0.0, None, "branch-and-bound", False, "converged", 0.0, dl, dict(info or {}))
    st = CapBounder(sc.ps, sc.Xs, excl, kmax)
    others = _others(d)
    tol_s = tol * _lip(sc)
    thr_hi = thr if thr_hi is None else thr_hi
    faces, blo, bhi = _initial_boxes(d, split)
    C, s = box_caps(faces, blo, bhi, d, others)
    lb, thb = float(lo), th
    ub, ec, part = st.bounds(C, s, lb, gap=tol_s)
    kc = part.crossing
    ret = {"C": [], "s": [], "ub": [], "ec": []}

    def take_lb(Cc, ecc):
        nonlocal lb, thb
        if np.any(np.isfinite(ecc)):
            j = int(np.nanargmax(ecc))
            if ecc[j] > lb:
                lb, thb = float(ecc[j]), Cc[j] / np.linalg.norm(Cc[j])
        if st.best_point_value > lb:  # a piece's maximiser, evaluated directly by the cap bounder
            lb, thb = float(st.best_point_value), st.best_point

    take_lb(C, ec)
    stopped, iters, decided_at = "converged", 0, None
    while True:
        gap_s = tol_s if decided_at is None else max(tol_s, decided_rel * (lb - thr_hi))
        done = ~np.isfinite(ub) | (ub <= lb + gap_s)
        if done.any():
            ret["C"].append(C[done]); ret["s"].append(s[done]); ret["ub"].append(ub[done]); ret["ec"].append(ec[done])
            keep = ~done
            faces, blo, bhi, C, s, ub, ec, kc = (a[keep] for a in (faces, blo, bhi, C, s, ub, ec, kc))
            part = part.take(keep)
        if ub.size == 0:
            break
        UB = float(ub.max())
        if progress is not None:
            progress("branch and bound", iters, None)
        if thr is not None and UB < thr:
            stopped = "below-threshold"
            break
        if thr_hi is not None and lb > thr_hi and decided_at is None:
            decided_at = time.perf_counter()
        if decided_at is not None and time.perf_counter() - decided_at >= (decided_budget or 0.0):
            stopped = "above-threshold"
            break
        if dl.over():
            stopped = "budget"
            break
        if ub.size > max_leaves:
            stopped = "max-leaves"
            break
        iters += 1
        kb = int(np.clip(2e5 / max(1.0, float(kc.mean())), batch, 4096))
        kb = min(kb, ub.size)
        sel = np.argpartition(-ub, kb - 1)[:kb] if kb < ub.size else np.arange(ub.size)
        keep = np.ones(ub.size, dtype=bool)
        keep[sel] = False
        f_s, lo_s, hi_s = faces[sel], blo[sel], bhi[sel]
        ax = np.argmax(hi_s - lo_s, axis=1)
        midv = 0.5 * (lo_s[np.arange(kb), ax] + hi_s[np.arange(kb), ax])
        lo2, hi1 = lo_s.copy(), hi_s.copy()
        hi1[np.arange(kb), ax] = midv
        lo2[np.arange(kb), ax] = midv
        cf, clo, chi = np.concatenate([f_s, f_s]), np.concatenate([lo_s, lo2]), np.concatenate([hi1, hi_s])
        cC, cs = box_caps(cf, clo, chi, d, others)
        parents = np.concatenate([np.arange(kb), np.arange(kb)])
        cub, cec, cpart = st.bounds(cC, cs, lb, part.take(sel), parents, gap=gap_s)
        take_lb(cC, cec)
        faces, blo, bhi = np.concatenate([faces[keep], cf]), np.concatenate([blo[keep], clo]), np.concatenate([bhi[keep], chi])
        C, s = np.concatenate([C[keep], cC]), np.concatenate([s[keep], cs])
        ub, ec = np.concatenate([ub[keep], cub]), np.concatenate([ec[keep], cec])
        kc = np.concatenate([kc[keep], cpart.crossing])
        part = Partition.concat([part.take(keep), cpart])
    allub = np.concatenate(ret["ub"] + [ub])
    finite = allub[np.isfinite(allub)]
    hi = float(finite.max()) if finite.size else -np.inf
    leaves = None
    if keep_leaves:
        Cs = np.concatenate(ret["C"] + [C])
        ss = np.concatenate(ret["s"] + [s])
        leaves = {"centre": Cs / np.linalg.norm(Cs, axis=1, keepdims=True),
                  "radius": np.arcsin(np.minimum(ss, 1.0)) * (1 + 1e-12),
                  "ub": np.array([sc.unscale(u) if np.isfinite(u) else u for u in allub]),
                  "eta_centre": np.concatenate(ret["ec"] + [ec]) * 2.0 ** sc.exponent}
    # flop estimate of the cap bounds: a d-term dot product and ~6 operations per classified row, about
    # 4 d + 40 per undecided row (its range, chord slope and the interval sums)
    flops = st.rows_classified * (2 * d + 6) + st.rows_undecided * (4 * d + 40)
    inf = {**(info or {}), "iterations": iters, "active_leaves": int(ub.size), "caps_bounded": st.n_bounds,
           "rows_classified": st.rows_classified, "rows_undecided": st.rows_undecided, "bnb_flops": flops,
           "pattern_bounds": st.n_pattern_bounds, "cone_bounds": st.n_cone_bounds, "kmax": kmax,
           "outward_rounding": True}
    return _finish(sc, hi, thb, "branch-and-bound", False, stopped, 0.0, dl, inf, leaves)


# ------------------------------------------------------------------ dispatcher
def sup_abs_eta(p, X, *, exclude_patterns=None, method: str = "auto", tol: float = 1e-6,
                time_budget: float = 30.0, threshold: float | None = None, rng=0, n_starts: int = 64,
                extra_starts=None, keep_leaves: bool = False, kmax: int = KMAX, progress=None,
                atoms=None, threshold_hi: float | None = None, decided_budget: float | None = None) -> SupBracket:
    """Bracket ``[lo, hi]`` of ``sup |eta_p|`` over the sphere (minus excluded cells).

    Parameters
    ----------
    p : array_like (n,)
    X : array_like (n, d)
    exclude_patterns : bool array (k, n), optional
        Cells (activation patterns) to leave out; the sup is over the closure of
        the remaining cells.
    method : {"auto", "exact", "bnb"}
        ``auto``: for d = 2 the circle sweep at any n (no ascent, nothing
        routed; :mod:`blasso.certificates.circle`); for d = 3 the exact
        enumeration (routed to branch and bound, with the reason in
        ``info["routed"]``, when the data are degenerate for it or its share of
        the budget runs out); branch and bound otherwise.  ``exact`` raises
        instead of routing.
    tol : float
        Relative to ``L`` (see :func:`sup_branch_and_bound`).
    time_budget : float
        Seconds for the whole call: ascent (a batched fixed-point ascent for at
        most 15%, then at most 10% polishing the 8 best ends cell by cell),
        enumeration, branch and bound.
    threshold, kmax, keep_leaves, progress :
        See :func:`sup_branch_and_bound`.
    threshold_hi : float, optional
        With ``threshold``: branch and bound stops when every bound is below
        ``threshold`` or a point value above ``threshold_hi`` (two-sided decision);
        after the latter it goes on tightening the bracket for at most
        ``decided_budget`` seconds (default 0).
    atoms : array_like (m, d), optional
        Directions whose cells are excluded (the target's atoms): the ascent
        also starts at the maximisers of the cells across their nearest walls.
    rng : Generator or int
        Seeds the random starts of the ascent.
    n_starts : int
        Random starts of the ascent; ``extra_starts`` are added first.

    Returns
    -------
    SupBracket
        ``lo`` is evaluated directly at ``theta_lo``; ``hi`` is an upper bound
        (``rigorous`` for branch and bound; with a stated rounding allowance
        for the enumerations).
    """
    p, X = _validated(p, X)
    method = check_choice(method, ("auto", "exact", "bnb"), name="method")
    rng = check_rng(rng)
    d = X.shape[1]
    if method == "exact" and d not in (2, 3):
        raise BlassoInputError(f"exact enumeration is implemented for d = 2 and 3; got d = {d} (use 'bnb')")
    dl = _Deadline(time_budget)
    if d == 2 and method in ("auto", "exact"):  # the sweep's max is exact: no ascent needed
        from .circle import _check_circle_memory, sweep_scaled

        _check_circle_memory(X.shape[0])
        return sweep_scaled(exact_scaling(p, X), _as_patterns(exclude_patterns), dl, keep_leaves=keep_leaves)
    sc = exact_scaling(p, X)
    keys = _as_keys(exclude_patterns, sc.keep)
    E = _as_patterns(exclude_patterns)
    S = random_sphere(max(1, n_starts), d, rng)
    if extra_starts is not None and len(extra_starts):
        S = np.vstack([normalize(np.atleast_2d(np.asarray(extra_starts, dtype=float))), S])
    if atoms is not None:
        S = np.vstack([_near_atom_starts(sc, E, normalize(np.atleast_2d(np.asarray(atoms, dtype=float)))), S])
    pts, vals, flops = _batch_ascent(sc, S, E, _Deadline(0.15 * max(0.0, time_budget)))
    order = np.argsort(-vals)[:8]
    order = order[np.isfinite(vals[order])]
    polished = _ascent(sc, pts[order], keys, _Deadline(0.1 * max(0.0, time_budget)), max_iter=30)
    cand = np.vstack([pts[np.isfinite(vals)], polished])
    th, lo = _best_point(sc, cand)
    t_ascent = time.perf_counter() - dl.t0
    info = {"ascent_s": t_ascent, "ascent_points": int(len(cand)), "ascent_flops": flops}
    if method in ("auto", "exact") and d == 3:
        out = _exact_sphere3(sc, keys, dl, E)
        name = "exact-sphere3"
        if out[0] is not None or method == "exact":
            res = _exact_bracket(sc, out, name, dl)
            _take_better_lo(res, sc, th)
            res.info.update(info)
            return res
        info["routed"] = f"{name} -> branch-and-bound: {out[2].get('degenerate_reason')}"
    thr = None if threshold is None else float(threshold) * 2.0 ** -sc.exponent
    thr_hi = None if threshold_hi is None else float(threshold_hi) * 2.0 ** -sc.exponent
    return _bnb(sc, E, dl, tol=tol, thr=thr, thr_hi=thr_hi, lo=lo, th=th, kmax=kmax, keep_leaves=keep_leaves,
                progress=progress, info=info, decided_budget=decided_budget)


def _take_better_lo(res: SupBracket, sc: Scaled, th) -> None:
    """Use the ascent's point for ``lo`` when it is better (``hi`` is untouched)."""
    if th is None:
        return
    lo_s, e_s = _point_value(sc, th)
    lo = sc.unscale(lo_s)
    if lo > res.lo:
        if lo - sc.unscale(eval_error(sc.n, sc.Xs.shape[1], _lip(sc))) > res.hi:
            raise RuntimeError(f"{res.method}: the ascent found |eta| = {lo!r} above the bound {res.hi!r}:"
                               " the bound is wrong; please report this input")
        res.lo, res.theta_lo, res.eta_lo = lo, np.asarray(th, dtype=float), sc.unscale(e_s)
