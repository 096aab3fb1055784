"""Conditions (10) for a target measure, margins, verdicts and the certified bracket for J*.

Why ``eta_V`` decides conditions (10).  Let ``nu = sum_j c_j delta_{theta_j}`` with every
``theta_j`` in the interior of its cell ``C_j`` (Assumption 4.3).  On ``C_j``
``eta_p = <theta, v_{C_j}>``; if ``eta_p(theta_j) = sign(c_j)`` and ``|eta_p| <= 1``
near ``theta_j``, the tangential gradient vanishes, so ``v_{C_j} = sign(c_j) theta_j``:
every certificate solves the ``m d`` vanishing-derivative equations, and then
``eta_p = sign(c_j) cos(angle(theta, theta_j))`` on ``C_j`` (exact).  ``p_V`` is
the minimal-norm solution of these equations.  If ``|eta_V| < 1`` on the closure
of the non-atom cells, ``p_V`` is a certificate of minimal norm, so
``p_0 = p_V`` and (10) holds.  Conversely if (10) holds for ``eta_0``, then
``|eta_0| <= 1 - delta`` on that compact set, and ``p_0 + t (p_V - p_0)`` is
still a certificate for small ``t`` with a smaller norm unless ``p_0 = p_V``.
Hence (10) holds iff the equations are consistent and ``sup |eta_V| < 1`` off
the atom cells (plus ``-sign(c_j) eta_V < 1`` on ``C_j``) -- a finite check done
rigorously by :mod:`blasso.certificates.sup`.

What is rigorous, and how (each gap of the earlier float-only check closed):

* Assumption 4.3 is proven, not thresholded: ``<u_j, x_i> != 0`` in ball
  arithmetic (:func:`blasso.certificates.ball.atoms_interior`).
* The statement is about the *exact* ``p_V`` for the exact unit directions
  ``u_j``, not the float one: full row rank of the equations is proven in ball
  arithmetic (so they are consistent and ``p_V`` is unique), and the balls of
  ``p_V`` bound ``delta_L >= sup |eta_{p_V} - eta_p|`` for the float ``p`` used
  by the sup computation (:func:`blasso.certificates.ball.exact_precertificate`).
* Same sign on the atom cells: for the exact ``p_V``, ``eta = s_j cos angle``
  there, so its sup is exactly 1, at the atom only (no residual tolerance).
  Opposite sign: a cone-projection bound evaluated in balls.
* Off the atom cells: for d = 2 the circle sweep (:mod:`blasso.certificates.circle`,
  rigorous by an a-priori analysis that holds at any n, whatever the gaps
  between breakpoints), which also gives the margin curve from its arcs; in
  other dimensions branch and bound in outward-rounded interval arithmetic
  (:mod:`blasso.certificates.capbound`); an enumeration's bracket (d = 3) is
  re-checked by it before ``certified``.
* ``fails`` by a violating direction: ``|eta_{p_V}|`` there evaluated in balls
  around the exact ``p_V`` exceeds ``1 + tol L``.  ``fails`` by inconsistency:
  two atoms share an activation cell (an exact combinatorial fact), or an exact
  integer null-space computation proves ``b`` outside the range
  (:func:`blasso.certificates.ball.exact_rank_test`); otherwise ``inconclusive``.
* ``tol`` is relative to ``L = (1/n) sum |p_i| ||x_i||`` (the scale of eta).
* The final sums ``hi + delta_L < 1 - tol L`` are decided in ball arithmetic.

Verdicts: ``certified`` only when every step holds; ``fails`` as above;
``inconclusive`` otherwise, with the reason and what would decide it (a smaller ``tol``, more time).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from blasso.features import eta as eta_direct
from blasso.instance import Instance
from blasso.measure import Measure
from blasso.memory import check_memory
from blasso.objective import dual_objective
from blasso.progress import as_progress
from blasso.sphere import Grid, make_grid, random_sphere
from blasso.validation import (BlassoInputError, SolverError, check_choice, check_lam, check_nonneg, check_rng,
                               check_X)

from .ball import arb_less, atoms_interior, cone_bound, eta_ball, exact_precertificate, exact_rank_test, \
    unit_vector_balls
from .cells import project_onto_cell
from .circle import circle_sweep_bytes
from .dual import PreCertificate, basis_pursuit_certificate, vanishing_derivative_certificate
from .sup import SupBracket, lipschitz_constant, sup_abs_eta, sup_branch_and_bound

__all__ = [
    "VERDICTS",
    "CONDITIONS_TOL",
    "ConditionsResult",
    "check_conditions",
    "conditions_bytes",
    "margin_curve",
    "eta_extended",
    "near_field_reading",
    "CertifyReport",
    "certify_instance",
    "DEFAULT_RADII",
]

VERDICTS = ("certified", "fails", "inconclusive")
#: Once a violation above ``1 + 2 tol L`` is found (``fails``), the bracket is tightened (to 1% of the
#: violation) for at most ``max(FAILS_BRACKET_MIN_S, FAILS_BRACKET_SHARE x sup budget)`` seconds.
FAILS_BRACKET_SHARE = 0.02
FAILS_BRACKET_MIN_S = 5.0
#: Radii (radians) of the margin curve ``1 - max |eta|`` outside balls around the support.
DEFAULT_RADII = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8)


#: Default certification tolerance, relative to ``L = (1/n) sum |p_i| |x_i|``.  Not larger: off an
#: atom's cell the sup of ``eta_V`` is ``cos w`` with ``w`` the distance to the cell's nearest wall,
#: ``w ~ 1/(7.5 n)`` for the paper's teacher, i.e. ``1 - 1e-11`` at ``n = 25600``; a tolerance of
#: 1e-9 would make every verdict beyond ``n ~ 1e4`` inconclusive.
CONDITIONS_TOL = 1e-12


def eta_extended(p, X, theta) -> np.ndarray:
    """``eta_p(theta)`` in extended precision (``np.longdouble``): an independent re-evaluation."""
    P = np.asarray(p, dtype=np.longdouble)
    Xl = np.asarray(X, dtype=np.longdouble)
    T = np.atleast_2d(np.asarray(theta, dtype=np.longdouble))
    T = T / np.sqrt((T * T).sum(axis=1, keepdims=True))
    return (np.maximum(T @ Xl.T, 0) @ P / Xl.shape[0]).astype(np.float64)


def _atom_starts(theta: np.ndarray, rng: np.random.Generator, per: int = 6,
                 radii=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4)) -> np.ndarray:
    """Starting points around each atom at several angular distances."""
    out = []
    d = theta.shape[1]
    for th in theta:
        for rad in radii:
            Z = rng.standard_normal((per, d))
            Z -= (Z @ th)[:, None] * th
            Z /= np.linalg.norm(Z, axis=1, keepdims=True)
            out.append(np.cos(rad) * th + np.sin(rad) * Z)
    return np.vstack(out)


def margin_curve(p, X, atoms: np.ndarray, radii=DEFAULT_RADII, *, leaves: dict | None = None,
                 points: np.ndarray | None = None, atom_cell_bound: float = 1.0,
                 shift: float = 0.0) -> list[dict]:
    """``1 - max |eta_p|`` outside the balls of angular radius ``r`` around ``atoms``.

    ``hi(r)`` (upper bound of the max, hence a lower bound of the margin) comes
    from branch-and-bound ``leaves`` (caps not inside a ball keep their bound)
    combined with ``cos(r)`` for the atom cells, where ``|eta| = cos(angle)``
    (and ``atom_cell_bound`` for the opposite sign); ``lo(r)`` is the largest
    ``|eta_p|`` evaluated at ``points`` outside the balls, or a leaf's ``lo``
    (a proven lower bound of ``max |eta_p|`` on the leaf, from the circle
    sweep) for leaves entirely outside the balls.  ``shift`` is added to the
    leaves' upper bounds and subtracted from their lower bounds (``delta_L``
    carries the float ``p`` to the exact ``p_V``).
    """
    X = check_X(X)
    out = []
    vals = np.abs(eta_direct(p, X, points)) if points is not None and len(points) else np.zeros(0)
    for r in radii:
        row = {"r": float(r), "max_eta_lo": float("nan"), "max_eta_hi": float("nan")}
        if len(vals):
            outside = np.min(np.arccos(np.clip(points @ atoms.T, -1, 1)), axis=1) > r
            if outside.any():
                row["max_eta_lo"] = float(vals[outside].max())
        if leaves is not None:
            ang = np.min(np.arccos(np.clip(leaves["centre"] @ atoms.T, -1, 1)), axis=1)
            out_cap = ang + leaves["radius"] > r  # caps not entirely inside a ball
            ub = leaves["ub"][out_cap]
            ub = ub[np.isfinite(ub)]
            hi = max(float(ub.max()) + shift if ub.size else -np.inf, float(np.cos(r)), atom_cell_bound)
            row["max_eta_hi"] = hi
            if "lo" in leaves:
                lo_l = leaves["lo"][ang - leaves["radius"] > r]  # leaves entirely outside the balls
                lo_l = lo_l[np.isfinite(lo_l)]
                if lo_l.size:
                    best = float(lo_l.max()) - shift
                    row["max_eta_lo"] = best if np.isnan(row["max_eta_lo"]) else max(row["max_eta_lo"], best)
        row["margin_lo"] = 1.0 - row["max_eta_hi"]
        row["margin_hi"] = 1.0 - row["max_eta_lo"]
        out.append(row)
    return out


@dataclass
class ConditionsResult:
    """Conditions (10) for a target measure, decided through ``eta_V``.

    Attributes
    ----------
    verdict : {"certified", "fails", "inconclusive"}
    reason : str
    pre : PreCertificate
        ``p_V`` with residual, rank, patterns, Assumption 4.3 margins.
    sup : SupBracket or None
        Rigorous bracket of ``sup |eta_V|`` over the closure of the non-atom cells.
    atom_cell_opposite : ndarray (m,)
        Exact ``sup -sign(c_j) eta_V`` over the cell of atom j (must be < 1).
    margin : float
        ``1 - sup_hi`` (a rigorous lower bound of the margin when positive);
        ``1 - sup_lo`` when the verdict is ``fails``.
    violating_theta : ndarray (d,) or None
    violating_eta : float or None
        ``eta_V`` at ``violating_theta`` (float64, direct evaluation).
    violating_eta_ext : float or None
        A ball-arithmetic bound of ``|eta|`` there for the exact ``p_V`` (with its sign):
        ``|eta_{p_V}(theta)| >= |violating_eta_ext|``.
    curve : list of dict
        Margin curve (see :func:`margin_curve`).
    wall_s : float
    """

    verdict: str
    reason: str
    pre: PreCertificate
    sup: SupBracket | None
    atom_cell_opposite: np.ndarray
    margin: float
    violating_theta: np.ndarray | None
    violating_eta: float | None
    violating_eta_ext: float | None
    curve: list
    wall_s: float
    info: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        pre = self.pre
        return {
            "verdict": self.verdict, "reason": self.reason, "margin": self.margin,
            "eta_V_sup_lo": None if self.sup is None else self.sup.lo,
            "eta_V_sup_hi": None if self.sup is None else self.sup.hi,
            "eta_V_sup": None if self.sup is None else self.sup.to_dict(),
            "violating_theta": self.violating_theta, "violating_eta": self.violating_eta,
            "violating_eta_ball": self.violating_eta_ext,
            "p_V_residual": pre.residual, "p_V_rank": pre.rank, "p_V_equations": pre.n_equations,
            "p_V_consistent": pre.consistent, "p_V_norm": float(np.linalg.norm(pre.p)),
            "atom_residuals": pre.atom_residuals, "assumption_4_3_margins": pre.margins,
            "atoms_sharing_a_cell": pre.same_cell, "atom_cell_opposite_sup": self.atom_cell_opposite,
            "margin_curve": self.curve, "conditions_wall_s": self.wall_s, **self.info,
        }


def conditions_bytes(n: int, d: int, m: int) -> int:
    """Estimated peak bytes of :func:`check_conditions` beyond ``X`` (checked before any work).

    What stays (``p_V``, its balls, the patterns) plus the largest stage: the
    ``(m d) x n`` equations and their least squares (three copies), the exact
    Gram sums (error-free products and the ``fsum`` lists), or the circle sweep
    (d = 2, :func:`blasso.certificates.circle.circle_sweep_bytes`).  Measured at
    n = 1e6, d = m = 2: 210 MB above the interpreter; this gives 480 MB.

    Examples
    --------
    >>> conditions_bytes(10**8, 2, 2) > 10**10
    True
    """
    n, d, m = int(n), int(d), int(m)
    stages = [24 * m * d * n, n * (16 * d + 128)]
    if d == 2:
        stages.append(circle_sweep_bytes(n))
    return n * (16 * d + 24 + m) + max(stages)


def check_conditions(X, target: Measure, *, tol: float = CONDITIONS_TOL, res_tol: float = 1e-8,
                     time_budget: float = 60.0, rng=0, n_starts: int = 64,
                     radii=DEFAULT_RADII, progress=None) -> ConditionsResult:
    """Decide conditions (10) for ``target`` rigorously over the whole sphere.

    The statement is about the *exact* minimal-norm ``p_V`` for the exact unit
    atom directions (see the module docstring); each step below is rigorous:

    1. atoms strictly inside their cells, proven in ball arithmetic;
    2. the equations consistent: full row rank proven in ball arithmetic
       (:func:`blasso.certificates.ball.exact_precertificate`), which also bounds
       ``delta_L >= sup |eta_{p_V} - eta_p|`` for the float ``p``; or, when that
       fails, an exact rank test (``fails`` only if it proves inconsistency,
       or two atoms share a cell);
    3. the opposite sign on each atom cell bounded in ball arithmetic (the same
       sign is exactly ``cos angle <= 1`` there, equality at the atom only);
    4. ``sup |eta_p|`` off the atom cells bounded by the circle sweep (d = 2)
       or by branch and bound in outward rounding (when the enumeration of
       d = 3 computed the bracket, that bound is re-checked by branch and
       bound before a ``certified``);
    5. ``certified`` iff ``hi + delta_L < 1 - tol L`` and every opposite-sign
       bound is ``< 1 - tol L``, the sums evaluated in ball arithmetic;
       ``fails`` iff ``|eta_{p_V}(theta)| > 1 + tol L`` at a found direction,
       evaluated in balls around the exact ``p_V``.

    Parameters
    ----------
    X : array_like (n, d)
    target : Measure
        Atoms ``theta_j`` (signs from ``c_j``).
    tol : float
        Relative to ``L = (1/n) sum |p_i| ||x_i||`` (see step 5).  Next to an
        atom the sup off its cell is ``cos(w) ~ 1 - w^2 / 2`` with ``w`` the
        distance to the nearest wall, about ``1 / (7.5 n)`` for the paper's
        teacher at d = 5: ``1 - 1e-11`` at n = 25600, so a ``tol`` of 1e-9
        cannot certify there whatever the time; the cap bounds next to an atom
        are precise to about 1e-15 (:meth:`blasso.certificates.capbound.CapBounder._near_pattern_sums`),
        hence the default 1e-12.
    res_tol : float
        Residual of the float equations above which they are reported as
        numerically inconsistent (information; the verdict rests on step 2).
    time_budget : float
        Seconds for the whole check (sup, re-check, margin curve).
    rng : Generator or int
    radii : sequence of float
        Radii of the margin curve.
    progress : callable, optional
        ``progress(desc, done, total)`` (see :mod:`blasso.progress`).
    """
    t0 = time.perf_counter()
    X = check_X(X)
    tol = check_nonneg(tol, "tol")
    time_budget = check_nonneg(time_budget, "time_budget")
    rng = check_rng(rng)
    say = as_progress(progress)
    if isinstance(target, Measure):  # checked before anything of size n is allocated
        n, d = X.shape
        check_memory(conditions_bytes(n, d, len(target)),
                     f"conditions (10) on n = {n:,} samples in d = {d} with {len(target)} atoms")
    pre = vanishing_derivative_certificate(X, target, tol=res_tol)
    m = len(target)
    no = dict(sup=None, atom_cell_opposite=np.full(m, np.nan), margin=float("nan"), violating_theta=None,
              violating_eta=None, violating_eta_ext=None, curve=[])
    interior = atoms_interior(X, pre.theta)
    if not interior.all():
        j = int(np.flatnonzero(~interior)[0])
        return ConditionsResult("inconclusive", f"atom {j} lies on a sample's hyperplane (Assumption 4.3 fails,"
                                " proven in ball arithmetic); eta is not smooth there", pre,
                                wall_s=time.perf_counter() - t0, **no)
    conflict = [(j, k) for j, k in pre.same_cell
                if not np.array_equal(pre.signs[j] * pre.theta[j], pre.signs[k] * pre.theta[k])]
    if conflict:
        return ConditionsResult("fails", f"vanishing-derivative equations inconsistent: atoms {conflict} share an"
                                " activation cell, so v_C would equal two different vectors (exact): no certificate"
                                " interpolates the signs with |eta| <= 1", pre, wall_s=time.perf_counter() - t0, **no)
    say("conditions (10): exact p_V in ball arithmetic")
    steps = {"p_V_s": time.perf_counter() - t0}
    ex = exact_precertificate(X, pre.theta, pre.signs, pre.patterns, pre.p)
    steps["exact_p_V_s"] = time.perf_counter() - t0 - steps["p_V_s"]
    if not ex.proven:
        return _unproven_consistency(X, pre, ex, t0, no)
    L = lipschitz_constant(pre.p, X)
    tol_abs = tol * L
    opp = _opposite_sign_bounds(X, pre)
    circle = X.shape[1] == 2  # the circle sweep: exact, rigorous, and its arcs give the margin curve
    starts = _atom_starts(pre.theta, rng)
    if circle:  # no ascent runs; 4000 directions x n samples would cost more than the sweep itself
        far = best_far = np.zeros((0, 2))
    else:
        far = random_sphere(4000, X.shape[1], rng)  # the margin curve's points; the best 64 also start the ascent
        best_far = far[np.argsort(-np.abs(eta_direct(pre.p, X, far)))[:64]]
    left = lambda: max(0.0, time_budget - (time.perf_counter() - t0))  # noqa: E731
    say("conditions (10): sup |eta_V| off the atom cells")
    sup_budget = 0.5 * left()
    t_sup = time.perf_counter()
    sup = sup_abs_eta(pre.p, X, exclude_patterns=pre.patterns, tol=min(1e-6, tol * 10), time_budget=sup_budget,
                      rng=rng, n_starts=n_starts, extra_starts=np.vstack([best_far, starts]), keep_leaves=True,
                      progress=progress,
                      atoms=pre.theta, threshold=1.0 - tol_abs - ex.delta_L, threshold_hi=1.0 + 2.0 * tol_abs,
                      decided_budget=max(FAILS_BRACKET_MIN_S, FAILS_BRACKET_SHARE * sup_budget))
    steps["sup_s"] = time.perf_counter() - t_sup
    recheck = sup
    t_re = time.perf_counter()
    if not sup.rigorous and sup.hi + ex.delta_L < 1.0 - tol_abs:
        say("conditions (10): re-checking the enumeration by branch and bound")
        recheck = sup_branch_and_bound(pre.p, X, exclude_patterns=pre.patterns, tol=min(1e-6, tol * 10),
                                       time_budget=0.8 * left(), threshold=1.0 - tol_abs - ex.delta_L,
                                       lo_init=sup.lo, theta_init=sup.theta_lo, keep_leaves=True,
                                       progress=progress)
    leaves = recheck.leaves if recheck.leaves is not None else sup.leaves
    if leaves is None:
        leaves = sup_branch_and_bound(pre.p, X, exclude_patterns=pre.patterns, tol=1e-4,
                                      time_budget=max(0.5, 0.5 * left()), keep_leaves=True,
                                      lo_init=sup.lo, theta_init=sup.theta_lo).leaves
    steps["recheck_s"] = time.perf_counter() - t_re
    t_curve = time.perf_counter()
    pts = np.vstack(([] if circle else [starts, far]) + [np.zeros((0, X.shape[1]))] +
                    ([sup.theta_lo[None]] if sup.theta_lo is not None else []))
    curve = margin_curve(pre.p, X, pre.theta, radii, leaves=leaves, points=pts,
                         atom_cell_bound=float(opp.max(initial=0.0)), shift=ex.delta_L)
    info = {"atom_cells_excluded": m, "tol_abs": tol_abs, "lipschitz_L": L, "p_V_exact": ex.reason,
            "p_V_delta_L": ex.delta_L, "recheck": None if recheck is sup else recheck.to_dict(),
            "steps_s": {**steps, "curve_s": time.perf_counter() - t_curve}}
    verdict, reason, margin, viol = _decide(X, pre, ex, sup, recheck, opp, tol, tol_abs)
    vth, veta, vext = viol
    if verdict == "fails" and vth is not None:
        reading = near_field_reading(X.shape[0], pre.theta, vth, abs(veta), curve)
        if reading is not None:
            info["near_field"] = reading
            reason = f"{reading['text']}: {reason}"
    return ConditionsResult(verdict, reason, pre, sup, opp, margin, vth, veta, vext, curve,
                            time.perf_counter() - t0, info)


def near_field_reading(n: int, atoms: np.ndarray, theta: np.ndarray, eta_abs: float, curve: list) -> dict | None:
    """``fails`` read against the rigorous margin curve: a near-field violation with the far field certified.

    The violation at ``theta`` lies at angle ``r`` from the nearest atom; the
    far field is certified from radius ``R`` on when the curve's rigorous
    lower ends ``margin_lo`` are positive at ``R`` and at every larger radius,
    with ``R > r``.  Next to an atom the cells are ``O(1/n)`` wide and the
    violations ``O(1/n^2)`` (the near-field law, ``docs/near_field.rst``), so
    the reading gives ``r`` in units of ``1/n``.  ``None`` when the curve
    certifies no far field beyond the violation.

    Examples
    --------
    >>> import numpy as np
    >>> curve = [{"r": 0.01, "margin_lo": -1e-9}, {"r": 0.1, "margin_lo": 2e-3}, {"r": 0.5, "margin_lo": 0.1}]
    >>> near_field_reading(1000, np.array([[1.0, 0.0]]), np.array([np.cos(0.002), np.sin(0.002)]), 1 + 1e-7,
    ...                    curve)["text"]
    'near-field violation at r = 0.115 deg (2/n) from atom 0, |eta_V| = 1 + 1.0e-07 (0.1/n^2); far field certified (margin >= 2.0e-03 beyond 5.73 deg)'
    """
    ang = np.arccos(np.clip(atoms @ (np.asarray(theta) / np.linalg.norm(theta)), -1.0, 1.0))
    j, r = int(np.argmin(ang)), float(np.min(ang))
    rows = sorted((c for c in curve if np.isfinite(c.get("margin_lo", np.nan))), key=lambda c: c["r"])
    far = None
    for k in range(len(rows) - 1, -1, -1):          # the smallest radius from which every margin_lo > 0
        if rows[k]["margin_lo"] > 0:
            far = rows[k]
        else:
            break
    if far is None or not far["r"] > r:
        return None
    text = (f"near-field violation at r = {np.degrees(r):.3g} deg ({r * n:.3g}/n) from atom {j}, |eta_V| = 1 + "
            f"{eta_abs - 1.0:.1e} ({(eta_abs - 1.0) * n * n:.3g}/n^2); far field certified (margin >= "
            f"{far['margin_lo']:.1e} beyond {np.degrees(far['r']):.3g} deg)")
    return {"text": text, "atom": j, "angle_rad": r, "angle_n": r * n, "excess": float(eta_abs - 1.0),
            "far_radius_rad": float(far["r"]), "far_margin_lo": float(far["margin_lo"])}


def _unproven_consistency(X, pre, ex, t0, no) -> ConditionsResult:
    exact = exact_rank_test(X, pre.theta, pre.signs, pre.patterns)
    base = f"residual {pre.residual:.2e}, numerical rank {pre.rank} of {pre.n_equations}"
    if exact == "inconsistent":
        return ConditionsResult("fails", f"vanishing-derivative equations inconsistent (exact rank test; {base}):"
                                " no certificate interpolates the signs with |eta| <= 1", pre,
                                wall_s=time.perf_counter() - t0, **no)
    why = ("consistent but rank-deficient in exact arithmetic: p_V is not determined by this check"
           if exact == "consistent" else "the exact rank test was too large or undecided")
    return ConditionsResult("inconclusive", f"consistency of the vanishing-derivative equations not proven"
                            f" ({ex.reason}; {why}; {base})", pre, wall_s=time.perf_counter() - t0, **no)


def _opposite_sign_bounds(X, pre) -> np.ndarray:
    """Ball-arithmetic bounds of ``sup -s_j eta_{p_V}`` over each atom cell (``= sup <theta, -u_j>`` there)."""
    out = []
    for j in range(len(pre.signs)):
        pr = project_onto_cell(-pre.theta[j], X, pre.patterns[j])
        u = unit_vector_balls(pre.theta[j])
        out.append(cone_bound([-c for c in u], X, pre.patterns[j], pr.multipliers, pr.walls))
    return np.array(out)


def _near1(v: float) -> str:
    """``v`` with 9 decimals, or as ``1 +- x`` when within 1e-6 of 1 (where 9 decimals would print 1.000000000)."""
    v = float(v)
    if np.isfinite(v) and 0.0 < abs(v - 1.0) < 1e-6:
        return f"1 {'+' if v > 1 else '-'} {abs(v - 1.0):.6e}"
    return f"{v:.9f}"


def _decide(X, pre, ex, sup, recheck, opp, tol, tol_abs):
    """Verdict, reason, margin and the violating direction (see :func:`check_conditions`)."""
    none = (None, None, None)
    ball_lo = None  # |eta_{p_V}| >= ball_lo at sup.theta_lo, proven in balls
    if sup.theta_lo is not None:
        vth = sup.theta_lo
        lo_e, hi_e = eta_ball(ex.mid, ex.rad, X, vth)
        ball_lo = max(lo_e, -hi_e)
        if max(lo_e, -hi_e) > 1.0 + tol_abs:
            veta = float(eta_direct(pre.p, X, vth[None])[0])
            ang = np.degrees(np.min(np.arccos(np.clip(pre.theta @ vth, -1, 1))))
            val = lo_e if lo_e > 0 else -hi_e
            return ("fails", f"|eta_V| = {_near1(abs(veta))} > 1 at a direction {ang:.3g} deg from the nearest atom"
                    f" (exact p_V in ball arithmetic: |eta_V| >= {_near1(val)}); eta_0 = eta_V would be needed"
                    " for (10)",
                    1.0 - abs(veta), (vth, veta, val if veta > 0 else -val))
    hi = recheck.hi
    ok_off = recheck.rigorous and arb_less([hi, ex.delta_L], 1.0 - tol_abs)
    ok_opp = all(arb_less([o], 1.0 - tol_abs) for o in opp)
    if ok_off and ok_opp:
        how = ("the circle sweep, rigorous by a-priori analysis" if recheck.method == "circle-sweep" else
               "branch and bound in outward rounding")
        return ("certified", f"rigorous sup |eta_V| off the atom cells <= {_near1(hi + ex.delta_L)} < 1 - tol"
                f" ({how}{', re-checking ' + sup.method if recheck is not sup else ''};"
                f" exact p_V within {ex.delta_L:.1e}); opposite sign on the atom cells <= {opp.max():.6f}",
                1.0 - max(hi + ex.delta_L, float(opp.max())), none)
    if not ok_opp:
        return ("inconclusive", f"opposite-sign bound on an atom cell {_near1(opp.max())} not below 1 - tol",
                1.0 - float(opp.max()), none)
    why = (f"re-check by branch and bound stopped at [{_near1(recheck.lo)}, {_near1(recheck.hi)}] ({recheck.stopped})"
           if recheck is not sup else f"stopped: {sup.stopped}")
    return ("inconclusive", f"bracket [{_near1(sup.lo)}, {_near1(max(sup.hi, recheck.hi))}] of sup |eta_V|"
            f" (+ {ex.delta_L:.1e}"
            f" for the exact p_V) is not decided against 1 within tol {tol:g} L; {why}; "
            + _what_decides(recheck, ex.delta_L, ball_lo, tol, tol_abs), 1.0 - hi - ex.delta_L, none)


def _what_decides(br, delta_L: float, ball_lo: float | None, tol: float, tol_abs: float) -> str:
    """What would decide an ``inconclusive`` on ``sup |eta_V|`` (a smaller ``tol``, or more time)."""
    L = tol_abs / tol if tol > 0 else float("nan")
    up = br.hi + delta_L
    if br.stopped == "exact" or br.gap <= 2.0 * tol_abs:  # the bracket is tight: only the tolerance decides
        if up < 1.0 and np.isfinite(L):
            return (f"the sup is proven below 1 by {1.0 - up:.2e} = {(1.0 - up) / L:.2e} L, within the tolerance:"
                    f" certified with --tol below {(1.0 - up) / L:.2e} (|eta_V| = 1 - {1.0 - up:.1e} off the atoms"
                    " is too close to 1 at this tol)")
        if ball_lo is not None and ball_lo > 1.0 and np.isfinite(L):
            return (f"|eta_V| >= {ball_lo:.15f} > 1 is proven in balls, by {ball_lo - 1.0:.2e} = "
                    f"{(ball_lo - 1.0) / L:.2e} L, within the tolerance: fails with --tol below"
                    f" {(ball_lo - 1.0) / L:.2e}")
        width = up - (ball_lo if ball_lo is not None else br.lo)
        return (f"1 lies inside the rigorous bracket (width {width:.1e}, about the method's a-priori allowance):"
                f" the sup is within {width:.1e} of 1, so no --tol >= 0 decides it at this precision (certified needs"
                " sup < 1 - tol L, fails a point above 1 + tol L); only a bound tighter than that allowance could")
    return (f"a larger --time-budget would tighten the bracket (now {br.gap:.1e} wide, {br.gap / L:.1e} L)"
            if np.isfinite(L) else "a larger --time-budget would tighten the bracket")


# ------------------------------------------------------------------ instance level
def grid_problem_seconds(n: int, G: int, lam: float, solver: str) -> float:
    """Estimated seconds of the auxiliary grid problem of ``certify`` (a stated cost model).

    CVXPY basis pursuit (HiGHS LP + Clarabel minimal-norm QP) and CVXPY LASSO:
    ``13 s * (n G / 1.03e6) ** 1.3``, fitted on the paper teacher (d = 5,
    G = 2565: 2.1 s at n = 100, 13.3 s at n = 400; the LP alone took 12 s at
    n = 800 and 246 s at n = 1600).  The fast LASSO: ``2 s * n G / 1e8``.
    """
    if lam > 0 and solver.upper() in ("FAST", "AUTO") and (solver.upper() == "FAST" or G > 20_000):
        return 2.0 * n * G / 1e8
    return 13.0 * (n * G / 1.03e6) ** 1.3


#: Share of ``time_budget`` the auxiliary grid problem may take (by :func:`grid_problem_seconds`).
GRID_PROBLEM_SHARE = 0.3


def default_grid_size(n: int, d: int) -> int:
    """The grid rule of ``certify``: ``clip(4 n, 1000, 2000)`` directions in d <= 3, 2000 otherwise.

    The verdict rests on ``eta_V`` and never on the grid; the grid only serves
    the auxiliary bracket, whose CVXPY cost grows faster than ``n G`` (see
    :func:`grid_problem_seconds`), so the grid does not grow with ``n``.
    """
    return int(np.clip(4 * n, 1000, 2000)) if d <= 3 else 2000


@dataclass
class CertifyReport:
    """Everything ``blasso certify`` reports (see :meth:`to_dict`).

    ``p_grid``, ``sup_grid`` and the bracket are None when the auxiliary grid
    part was skipped or failed; ``parts`` says which and why.  The verdict
    (conditions (10)) never depends on them.
    """

    verdict: str
    reason: str
    conditions: ConditionsResult
    lam: float
    target_kind: str
    target: Measure
    grid: Grid
    p_grid: np.ndarray | None
    sup_grid: SupBracket | None
    primal: float | None
    bracket_lo: float | None
    bracket_hi: float | None
    bracket_kind: str
    wall_s: float
    parts: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        rel = None
        if self.bracket_lo is not None and self.bracket_hi is not None:
            rel = (self.bracket_hi - self.bracket_lo) / max(abs(self.bracket_hi), 1e-300)
        sg = self.sup_grid
        out = {
            "verdict": self.verdict, "reason": self.reason, "lam": self.lam, "target": self.target_kind,
            "target_atoms": len(self.target), "target_theta": self.target.theta, "target_c": self.target.c,
            "grid_size": self.grid.size, "grid_kind": self.grid.kind, "oracle_grid": self.grid.oracle,
            "sup_eta_lo": None if sg is None else sg.lo, "sup_eta_hi": None if sg is None else sg.hi,
            "sup_eta_theta": None if sg is None else sg.theta_lo, "sup_eta": None if sg is None else sg.to_dict(),
            "bracket_kind": self.bracket_kind, "bracket_lo": self.bracket_lo, "bracket_hi": self.bracket_hi,
            "bracket_rel_width": rel, "primal": self.primal, "certify_wall_s": self.wall_s, "parts": self.parts,
        }
        out.update({k: v for k, v in self.conditions.to_dict().items() if k not in ("verdict", "reason")})
        out.update(self.info)
        return out

    def table_rows(self) -> list[list]:
        """``[quantity, value]`` rows for a printed verdict table."""
        c = self.conditions
        f = (lambda v: "-" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:.9g}")
        sg = self.sup_grid
        grid_part = self.parts.get("grid", {})
        rows = [
            ["verdict (conditions (10))", self.verdict],
            ["target", f"{self.target_kind} ({len(self.target)} atoms)"],
            ["p_V residual / rank", f"{c.pre.residual:.2e} / {c.pre.rank} of {c.pre.n_equations}"],
            ["exact p_V (ball arithmetic)", c.info.get("p_V_exact", "-")],
            ["min Assumption 4.3 margin", f(float(c.pre.margins.min()))],
            ["sup |eta_V| off atom cells", "-" if c.sup is None else f"[{_near1(c.sup.lo)}, {_near1(c.sup.hi)}]"],
            ["margin 1 - sup|eta_V|", f(c.margin)],
            ["violating |eta_V|", "-" if c.violating_eta is None else _near1(abs(c.violating_eta))],
            [f"sup |eta_p| of grid p ({'p_0' if self.lam == 0 else 'p_lam'})",
             f"[{sg.lo:.9f}, {sg.hi:.9f}]" if sg is not None else grid_part.get("status", "-")],
            [f"certified bracket ({self.bracket_kind})",
             f"[{self.bracket_lo:.10g}, {self.bracket_hi:.10g}]" if self.bracket_lo is not None
             else f"{grid_part.get('status', '-')} (see parts)"],
        ]
        return rows


def _target_measure(inst: Instance, target, grid_measure: Measure | None, merge_angle: float):
    if isinstance(target, Measure):
        return "measure", target
    if target == "teacher":
        return "teacher", inst.teacher_measure()
    if target == "solution":
        return "solution", grid_measure.merge(merge_angle).prune(0.0)
    raise BlassoInputError(f"target must be 'teacher', 'solution' or a Measure; got {target!r}")


@dataclass
class _GridPart:
    p: np.ndarray | None = None
    measure: Measure | None = None
    primal: float | None = None
    status: dict = field(default_factory=dict)


def _grid_problem(inst: Instance, lam: float, grid: Grid, solver: str, say) -> _GridPart:
    """The grid basis pursuit (``lam = 0``) or grid LASSO; raises SolverError on failure."""
    X, y = inst.X, inst.y
    if lam == 0:
        say(f"basis-pursuit certificate p_0 on {grid.describe()} ...")
        bp = basis_pursuit_certificate(X, y, grid, solver="CLARABEL" if solver.upper() in ("AUTO", "FAST")
                                       else solver.upper())
        return _GridPart(bp.p, bp.measure(), float(np.abs(bp.c).sum()),
                         {"status": "ok", "grid_value": bp.value, "grid_primal_residual": bp.info["primal_residual"],
                          "grid_solver_status": bp.status, "wall_s": bp.wall_s})
    from blasso.solvers import solve_lasso

    say(f"grid LASSO (lam={lam:g}) on {grid.describe()} ...")
    res = solve_lasso(X, y, lam, grid, solver=solver)
    st = {"status": "ok", "grid_solver_status": res.status}
    if res.info.get("zero_reason"):
        st["zero_reason"] = res.info["zero_reason"]
    return _GridPart(res.p, res.measure(), float(res.objective), st)


def certify_instance(inst: Instance, *, lam: float = 0.0, target="teacher", grid: Grid | None = None,
                     grid_size: int | None = None, time_budget: float = 60.0, tol: float = CONDITIONS_TOL, seed: int = 0,
                     solver: str = "auto", merge_angle: float = 0.1, radii=DEFAULT_RADII,
                     ground_truth: str = "auto", progress=None) -> CertifyReport:
    """Certify an instance: conditions (10) for a target, then (auxiliary) the grid dual and a bracket.

    The verdict is that of :func:`check_conditions` and is computed first for
    ``target="teacher"``; the grid problem, the sphere-wide sup of its dual and
    the certified bracket are auxiliary parts: each that is skipped (estimated
    to take more than ``GRID_PROBLEM_SHARE * time_budget``, see
    :func:`grid_problem_seconds`) or fails (solver error) is reported in
    ``parts`` with the reason and never discards the verdict.

    Parameters
    ----------
    inst : Instance
    lam : float
        0 for basis pursuit (``p_0`` on the grid; the bracket is for the
        basis-pursuit value ``min ||nu||_TV s.t. Phi nu = y``); ``> 0`` for the
        BLASSO (``p_lam`` from the grid LASSO; the bracket is for ``J*``).
    target : "teacher", "solution" or Measure
        Measure whose conditions (10) are checked (``solution`` = the grid
        solution with atoms closer than ``merge_angle`` radians merged; the grid
        problem is then required).
    grid : Grid, optional
        Default: ``make_grid("auto", default_grid_size(n, d), d)``.  For
        ``target="teacher"`` and ``lam = 0`` the teacher's atoms are added, so
        that ``A c = y`` is feasible for noise-free labels.
    time_budget : float
        Seconds for the sup computations: about 70% for the conditions, the
        rest for the grid dual's sup.
    tol : float
        Certification tolerance, relative to ``L`` (see :func:`check_conditions`).
    seed : int
        Seeds every random start.
    solver : str
        Grid problem solver (``auto`` = :func:`blasso.solvers.choose_solver`; CVXPY
        names; the basis pursuit always uses HiGHS + a conic QP solver).
    ground_truth : {"auto", "colgen", "exact", "grid"}
        For ``lam > 0``: ``auto`` (= ``colgen``) computes the certified optimum
        by column generation over activation cells in every d
        (:func:`blasso.solvers.colgen.solve_certified`, at least 60 s of budget
        of its own); the bracket is then its verified one and
        ``target="solution"`` is that optimum ``nu*`` (not the grid solution);
        ``exact`` enumerates every cell instead
        (:func:`blasso.solvers.exact.solve_exact`, refused over its budget);
        ``grid`` computes neither.  ``parts["exact"]`` says what ran and why.
    progress : callable, optional
        ``progress(desc, done, total)`` (see :mod:`blasso.progress`).
    """
    t0 = time.perf_counter()
    say = as_progress(progress)
    if not isinstance(inst, Instance):
        raise BlassoInputError(f"inst must be a blasso.instance.Instance; got {type(inst).__name__}")
    lam = check_lam(lam, allow_zero=True)
    tol = check_nonneg(tol, "tol")
    time_budget = check_nonneg(time_budget, "time_budget")
    ground_truth = check_choice(ground_truth, ("auto", "colgen", "exact", "grid"), name="ground_truth")
    plan = _exact_plan(inst, lam, ground_truth)     # refused over budget before any work
    if grid is None:
        grid = make_grid("auto", default_grid_size(inst.n, inst.d) if grid_size is None else grid_size, inst.d)
    if grid.d != inst.d:
        raise BlassoInputError(f"grid has dimension {grid.d}, data d = {inst.d}")
    if target == "teacher" and not inst.has_teacher:
        raise BlassoInputError("target 'teacher' needs an instance with a teacher (use target='solution')")
    if target == "teacher" and lam == 0 and not grid.oracle:
        from blasso.sphere import add_atoms

        grid = add_atoms(grid, inst.teacher_measure().theta)
    rng = np.random.default_rng(seed)
    parts: dict = {}
    est = grid_problem_seconds(inst.n, grid.size, lam, solver)
    big = est > GRID_PROBLEM_SHARE * time_budget
    gp = _GridPart()
    if target == "solution" or (not big):
        try:
            gp = _grid_problem(inst, lam, grid, solver, say)
            parts["grid"] = gp.status
        except SolverError as exc:
            if target == "solution":
                raise
            parts["grid"] = {"status": "failed", "reason": str(exc)}
    else:
        parts["grid"] = {"status": "skipped", "reason": f"grid problem skipped: estimated {est:.0f} s for n G ="
                         f" {inst.n * grid.size:,} exceeds {GRID_PROBLEM_SHARE:g} x time budget {time_budget:g} s"
                         " (the verdict does not use it)"}
    if target == "solution" and len(gp.measure) == 0:
        why = parts["grid"].get("zero_reason", "the grid solution has no atoms")
        raise BlassoInputError(f"target 'solution' is the zero measure ({why}): nothing to certify;"
                               " use a smaller lam or target 'teacher'")
    ex = _exact_part(inst, lam, ground_truth, plan, time_budget, parts, say)
    if target == "solution" and ex is not None:
        kind_t, nu_t = "solution", ex.measure.merge(merge_angle).prune(0.0)
    else:
        kind_t, nu_t = _target_measure(inst, target, gp.measure, merge_angle)
    say(f"conditions (10) for the {kind_t} ({len(nu_t)} atoms) ...")
    share = 0.7 if gp.p is not None else 1.0
    cond = check_conditions(inst.X, nu_t, tol=tol, time_budget=share * time_budget, rng=rng, radii=radii,
                            progress=progress)
    sup_g, lo, kind = None, None, ("basis pursuit min TV" if lam == 0 else "J*")
    if gp.p is not None:
        say("sup |eta| of the grid dual over the sphere ...")
        left = max(1.0, time_budget - (time.perf_counter() - t0))
        sup_g = sup_abs_eta(gp.p, inst.X, tol=1e-6, time_budget=min(left, max(1.0, 0.3 * time_budget)), rng=rng,
                            extra_starts=gp.measure.theta if len(gp.measure) else None, progress=progress)
        s = 1.0 / max(1.0, sup_g.hi)
        lo = float(s * (inst.y @ gp.p) / inst.n) if lam == 0 else dual_objective(s * gp.p, inst.y, lam)
        parts["grid_sup"] = {"status": "ok", "method": sup_g.method, "stopped": sup_g.stopped,
                             "rigorous": sup_g.rigorous}
        parts["grid"]["dual_scale"] = s
        parts["grid"]["grid_atoms"] = len(gp.measure)
    flat = {k: v for k, v in parts.get("grid", {}).items() if k not in ("status", "reason", "wall_s")}
    hi = None if lo is None else gp.primal
    flat["ground_truth"] = "grid"
    if ex is not None:      # the exact program's verified bracket replaces the grid one
        lo, hi = ex.J_lower, ex.J_upper
        flat.update(ground_truth="exact" if ground_truth == "exact" else "colgen", exact_rel_width=ex.rel_width,
                    exact_n_atoms=len(ex.measure),
                    exact_unique=None if ex.uniqueness is None else ex.uniqueness.get("unique"),
                    exact_reason=None if ex.uniqueness is None else ex.uniqueness.get("reason"))
    return CertifyReport(cond.verdict, cond.reason, cond, lam, kind_t, nu_t, grid, gp.p, sup_g, gp.primal,
                         lo, hi, kind, time.perf_counter() - t0, parts, flat)


def _exact_plan(inst: Instance, lam: float, mode: str) -> tuple[bool, str]:
    """Whether a certified optimum is computed (see ``ground_truth`` of :func:`certify_instance`), and why (not).

    Decided before any work: ``mode="exact"`` (the enumeration) over its cell budget raises at once.
    """
    from blasso.solvers.exact import exact_affordable

    if lam == 0 or mode == "grid":
        return False, "lam = 0 (basis pursuit)" if lam == 0 else "ground truth 'grid' requested"
    if mode in ("auto", "colgen"):
        return True, "column generation over activation cells (any d, no enumeration)"
    ok, bound, budget = exact_affordable(inst.X)
    if not ok:
        raise BlassoInputError(f"exact ground truth refused: up to {bound} cells > budget {budget} (use 'auto':"
                               " column generation needs no enumeration)")
    return True, f"every cell enumerated ({bound} at most)"


def _exact_part(inst: Instance, lam: float, mode: str, plan: tuple[bool, str], time_budget: float, parts: dict,
                say):
    """The certified optimum for ``lam > 0`` when ``plan`` says so (:func:`_exact_plan`), or None."""
    from blasso.solvers.colgen import ColgenConfig, solve_certified
    from blasso.solvers.exact import ExactConfig, solve_exact

    run, why = plan
    if not run:
        parts["exact"] = {"status": "skipped", "reason": why}
        return None
    say(f"certified optimum: {why} ...")
    t = time.perf_counter()
    sup_budget = max(5.0, min(30.0, 0.5 * time_budget))
    try:
        if mode == "exact":
            ex = solve_exact(inst.X, inst.y, lam, config=ExactConfig(sup_budget=sup_budget), progress=say)
        else:
            ex = solve_certified(inst.X, inst.y, lam, progress=say,
                                 config=ColgenConfig(sup_budget=sup_budget, time_budget=max(60.0, time_budget)))
    except SolverError as exc:
        if mode in ("exact", "colgen"):
            raise
        parts["exact"] = {"status": "failed", "reason": str(exc)}
        return None
    parts["exact"] = {"status": "ok", "cells": ex.cells.get("n_cells"), "rel_width": ex.rel_width,
                      "n_atoms": len(ex.measure), "wall_s": time.perf_counter() - t}
    return ex
