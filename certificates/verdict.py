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
rigorously by :mod:`certificates.sup`.

Verdicts: ``certified`` only when the rigorous upper bound is ``< 1 - tol``;
``fails`` when the equations are inconsistent, or ``|eta_V(theta)| > 1 + tol`` at a
point found by the ascent and confirmed by direct evaluation (in float64 and
in extended precision); ``inconclusive`` otherwise, with the reason.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from blasso.features import eta as eta_direct
from blasso.instance import Instance
from blasso.measure import Measure
from blasso.objective import dual_objective
from blasso.sphere import Grid, make_grid, random_sphere
from blasso.validation import BlassoInputError, check_lam, check_rng, check_X

from .cells import cell_vector, project_onto_cell
from .dual import PreCertificate, basis_pursuit_certificate, vanishing_derivative_certificate
from .sup import SupBracket, sup_abs_eta, sup_branch_and_bound

__all__ = [
    "VERDICTS",
    "ConditionsResult",
    "check_conditions",
    "margin_curve",
    "eta_extended",
    "CertifyReport",
    "certify_instance",
    "DEFAULT_RADII",
]

VERDICTS = ("certified", "fails", "inconclusive")
#: Radii (radians) of the margin curve ``1 - max |eta|`` outside balls around the support.
DEFAULT_RADII = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8)


def eta_extended(p, X, theta) -> np.ndarray:
    """``eta_p(theta)`` in extended precision (``np.longdouble``): an independent re-evaluation."""
    P = np.asarray(p, dtype=np.longdouble)
    Xl = np.asarray(X, dtype=np.longdouble)
    T = np.atleast_2d(np.asarray(theta, dtype=np.longdouble))
    T = T / np.sqrt((T * T).sum(axis=1, keepdims=True))
    return (np.maximum(T @ Xl.T, 0) @ P / Xl.shape[0]).astype(np.float64)


def _atom_starts(theta: np.ndarray, rng: np.random.Generator, per: int = 12,
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
                 points: np.ndarray | None = None, atom_cell_bound: float = 1.0) -> list[dict]:
    """``1 - max |eta_p|`` outside the balls of angular radius ``r`` around ``atoms``.

    ``hi(r)`` (upper bound of the max, hence a lower bound of the margin) comes
    from branch-and-bound ``leaves`` (caps not inside a ball keep their bound)
    combined with ``cos(r)`` for the atom cells, where ``|eta| = cos(angle)``
    (and ``atom_cell_bound`` for the opposite sign); ``lo(r)`` is the largest
    ``|eta_p|`` evaluated at ``points`` outside the balls.
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
            hi = max(float(ub.max()) if ub.size else -np.inf, float(np.cos(r)), atom_cell_bound)
            row["max_eta_hi"] = hi
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
        The same in extended precision.
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
            "violating_eta_extended": self.violating_eta_ext,
            "p_V_residual": pre.residual, "p_V_rank": pre.rank, "p_V_equations": pre.n_equations,
            "p_V_consistent": pre.consistent, "p_V_norm": float(np.linalg.norm(pre.p)),
            "atom_residuals": pre.atom_residuals, "assumption_4_3_margins": pre.margins,
            "atoms_sharing_a_cell": pre.same_cell, "atom_cell_opposite_sup": self.atom_cell_opposite,
            "margin_curve": self.curve, "conditions_wall_s": self.wall_s, **self.info,
        }


def check_conditions(X, target: Measure, *, tol: float = 1e-9, res_tol: float = 1e-8,
                     time_budget: float = 60.0, rng=0, n_starts: int = 64,
                     radii=DEFAULT_RADII) -> ConditionsResult:
    """Decide conditions (10) for ``target`` rigorously over the whole sphere.

    Parameters
    ----------
    X : array_like (n, d)
    target : Measure
        Atoms ``theta_j`` (signs from ``c_j``).
    tol : float
        ``certified`` needs ``sup |eta_V| <= 1 - tol`` off the atom cells;
        ``fails`` needs a confirmed ``|eta_V| >= 1 + tol``.
    res_tol : float
        Largest residual of the vanishing-derivative equations counted as consistent.
    time_budget : float
        Seconds for the rigorous sup (branch and bound in d >= 4).
    rng : Generator or int
    radii : sequence of float
        Radii of the margin curve.
    """
    t0 = time.perf_counter()
    X = check_X(X)
    rng = check_rng(rng)
    pre = vanishing_derivative_certificate(X, target, tol=res_tol)
    m = len(target)
    xn = np.linalg.norm(X, axis=1)
    no = dict(sup=None, atom_cell_opposite=np.full(m, np.nan), margin=float("nan"), violating_theta=None,
              violating_eta=None, violating_eta_ext=None, curve=[])
    if np.any(pre.margins <= 1e-12 * max(1.0, float(xn.max()))):
        j = int(np.argmin(pre.margins))
        return ConditionsResult("inconclusive", f"atom {j} lies on a sample's hyperplane (Assumption 4.3 fails:"
                                f" margin {pre.margins[j]:.2e}); eta is not smooth there", pre,
                                wall_s=time.perf_counter() - t0, **no)
    if not pre.consistent:
        why = f"vanishing-derivative equations inconsistent (residual {pre.residual:.2e}, rank {pre.rank}" \
              f" of {pre.n_equations})"
        if pre.same_cell:
            why += f"; atoms sharing a cell: {pre.same_cell}"
        return ConditionsResult("fails", why + ": no certificate interpolates the signs with |eta| <= 1",
                                pre, wall_s=time.perf_counter() - t0, **no)
    p = pre.p
    # exact: the opposite sign on each atom cell
    opp = np.array([project_onto_cell(-pre.signs[j] * cell_vector(p, X, pre.patterns[j]), X,
                                      pre.patterns[j]).value for j in range(m)])
    starts = _atom_starts(pre.theta, rng)
    sup = sup_abs_eta(p, X, exclude_patterns=pre.patterns, tol=min(1e-6, tol * 10), time_budget=time_budget,
                      threshold=None, rng=rng, n_starts=n_starts, extra_starts=starts, keep_leaves=True)
    leaves = sup.leaves
    if leaves is None:  # exact method: a short branch and bound for the margin curve only
        bb = sup_branch_and_bound(p, X, exclude_patterns=pre.patterns, tol=1e-4,
                                  time_budget=max(1.0, 0.2 * time_budget), keep_leaves=True,
                                  lo_init=sup.lo, theta_init=sup.theta_lo)
        leaves = bb.leaves
    pts = np.vstack([starts, random_sphere(4000, X.shape[1], rng)] + ([sup.theta_lo[None]] if sup.theta_lo is not None else []))
    curve = margin_curve(p, X, pre.theta, radii, leaves=leaves, points=pts,
                         atom_cell_bound=float(opp.max(initial=0.0)))
    info = {"atom_cells_excluded": m}
    hi = max(sup.hi, float(opp.max(initial=-np.inf)))
    vth, veta, vext = None, None, None
    if sup.theta_lo is not None:
        vth = sup.theta_lo
        veta = float(eta_direct(p, X, vth[None])[0])
        vext = float(eta_extended(p, X, vth)[0])
    if vth is not None and min(abs(veta), abs(vext)) >= 1 + tol:
        verdict, margin = "fails", 1.0 - abs(veta)
        ang = np.degrees(np.min(np.arccos(np.clip(pre.theta @ vth, -1, 1))))
        reason = (f"|eta_V| = {abs(veta):.9f} > 1 at a direction {ang:.3g} deg from the nearest atom "
                  f"(confirmed in extended precision: {abs(vext):.9f}); eta_0 = eta_V would be needed for (10)")
    elif hi < 1.0 - tol:
        verdict, margin = "certified", 1.0 - hi
        reason = (f"rigorous sup |eta_V| off the atom cells <= {hi:.9f} < 1 ({sup.method}); "
                  f"equations consistent (residual {pre.residual:.1e})")
        vth = veta = vext = None
    else:
        verdict, margin = "inconclusive", 1.0 - hi
        reason = (f"bracket [{sup.lo:.9f}, {hi:.9f}] of sup |eta_V| contains 1 within tol {tol:g} "
                  f"(stopped: {sup.stopped})")
        vth = veta = vext = None
    return ConditionsResult(verdict, reason, pre, sup, opp, margin, vth, veta, vext, curve,
                            time.perf_counter() - t0, info)


# ------------------------------------------------------------------ instance level
@dataclass
class CertifyReport:
    """Everything ``blasso certify`` reports (see :meth:`to_dict`)."""

    verdict: str
    reason: str
    conditions: ConditionsResult
    lam: float
    target_kind: str
    target: Measure
    grid: Grid
    p_grid: np.ndarray
    sup_grid: SupBracket
    primal: float
    bracket_lo: float
    bracket_hi: float
    bracket_kind: str
    wall_s: float
    info: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        rel = (self.bracket_hi - self.bracket_lo) / max(abs(self.bracket_hi), 1e-300)
        out = {
            "verdict": self.verdict, "reason": self.reason, "lam": self.lam, "target": self.target_kind,
            "target_atoms": len(self.target), "target_theta": self.target.theta, "target_c": self.target.c,
            "grid_size": self.grid.size, "grid_kind": self.grid.kind, "oracle_grid": self.grid.oracle,
            "sup_eta_lo": self.sup_grid.lo, "sup_eta_hi": self.sup_grid.hi,
            "sup_eta_theta": self.sup_grid.theta_lo, "sup_eta": self.sup_grid.to_dict(),
            "bracket_kind": self.bracket_kind, "bracket_lo": self.bracket_lo, "bracket_hi": self.bracket_hi,
            "bracket_rel_width": rel, "primal": self.primal, "certify_wall_s": self.wall_s,
        }
        out.update({k: v for k, v in self.conditions.to_dict().items() if k not in ("verdict", "reason")})
        out.update(self.info)
        return out

    def table_rows(self) -> list[list]:
        """``[quantity, value]`` rows for a printed verdict table."""
        c = self.conditions
        f = (lambda v: "-" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:.9g}")
        rows = [
            ["verdict (conditions (10))", self.verdict],
            ["target", f"{self.target_kind} ({len(self.target)} atoms)"],
            ["p_V residual / rank", f"{c.pre.residual:.2e} / {c.pre.rank} of {c.pre.n_equations}"],
            ["min Assumption 4.3 margin", f(float(c.pre.margins.min()))],
            ["sup |eta_V| off atom cells", "-" if c.sup is None else f"[{c.sup.lo:.9f}, {c.sup.hi:.9f}]"],
            ["margin 1 - sup|eta_V|", f(c.margin)],
            ["violating |eta_V|", f(None if c.violating_eta is None else abs(c.violating_eta))],
            [f"sup |eta_p| of grid p ({'p_0' if self.lam == 0 else 'p_lam'})",
             f"[{self.sup_grid.lo:.9f}, {self.sup_grid.hi:.9f}]"],
            [f"certified bracket ({self.bracket_kind})", f"[{self.bracket_lo:.10g}, {self.bracket_hi:.10g}]"],
        ]
        return rows


def _target_measure(inst: Instance, target, grid_measure: Measure, merge_angle: float) -> tuple[str, Measure]:
    if isinstance(target, Measure):
        return "measure", target
    if target == "teacher":
        return "teacher", inst.teacher_measure()
    if target == "solution":
        return "solution", grid_measure.merge(merge_angle).prune(0.0)
    raise BlassoInputError(f"target must be 'teacher', 'solution' or a Measure; got {target!r}")


def certify_instance(inst: Instance, *, lam: float = 0.0, target="teacher", grid: Grid | None = None,
                     grid_size: int = 2000, time_budget: float = 60.0, tol: float = 1e-9, seed: int = 0,
                     solver: str = "CLARABEL", merge_angle: float = 0.1, radii=DEFAULT_RADII,
                     progress=None) -> CertifyReport:
    """Certify an instance: conditions (10) for a target, sup of the grid dual, bracket for J*.

    Parameters
    ----------
    inst : Instance
    lam : float
        0 for basis pursuit (``p_0`` on the grid; the bracket is for the
        basis-pursuit value ``min ||nu||_TV s.t. Phi nu = y``); ``> 0`` for the
        BLASSO (``p_lam`` from the grid LASSO; the bracket is for ``J*``).
    target : "teacher", "solution" or Measure
        Measure whose conditions (10) are checked (``solution`` = the grid
        solution with atoms closer than ``merge_angle`` radians merged).
    grid : Grid, optional
        Default: ``make_grid("auto", grid_size, d)``.
    time_budget : float
        Seconds: about 70% for the conditions, 30% for the grid dual's sup.
    tol : float
        Certification tolerance (see :func:`check_conditions`).
    seed : int
        Seeds every random start.
    solver : str
        CVXPY solver for the grid problems.
    progress : callable, optional
        Called with short progress messages.

    Returns
    -------
    CertifyReport
        ``to_dict()`` holds ``verdict, reason, sup_eta_lo, sup_eta_hi, eta_V_sup_lo,
        eta_V_sup_hi, margin, violating_theta, bracket_lo, bracket_hi`` and more.
    """
    t0 = time.perf_counter()
    say = progress or (lambda s: None)
    if not isinstance(inst, Instance):
        raise BlassoInputError(f"inst must be a blasso.instance.Instance; got {type(inst).__name__}")
    lam = check_lam(lam, allow_zero=True)
    X, y = inst.X, inst.y
    if grid is None:
        grid = make_grid("auto", grid_size, inst.d)
    if grid.d != inst.d:
        raise BlassoInputError(f"grid has dimension {grid.d}, data d = {inst.d}")
    if target == "teacher" and not inst.has_teacher:
        raise BlassoInputError("target 'teacher' needs an instance with a teacher (use target='solution')")
    rng = np.random.default_rng(seed)
    if lam == 0:
        say(f"basis-pursuit certificate p_0 on {grid.describe()} ...")
        bp = basis_pursuit_certificate(X, y, grid, solver=solver)
        p_grid, nu_grid = bp.p, bp.measure()
        primal, kind = float(np.abs(bp.c).sum()), "basis pursuit min TV"
        info = {"grid_value": bp.value, "grid_primal_residual": bp.info["primal_residual"],
                "grid_solver_status": bp.status}
    else:
        from solvers import solve_lasso

        say(f"grid LASSO (lam={lam:g}) on {grid.describe()} ...")
        res = solve_lasso(X, y, lam, grid, solver=solver)
        p_grid, nu_grid = res.p, res.measure()
        primal, kind = float(res.objective), "J*"
        info = {"grid_solver_status": res.status}
    kind_t, nu_t = _target_measure(inst, target, nu_grid, merge_angle)
    say(f"conditions (10) for the {kind_t} ({len(nu_t)} atoms) ...")
    cond = check_conditions(X, nu_t, tol=tol, time_budget=0.7 * time_budget, rng=rng, radii=radii)
    say("sup |eta| of the grid dual over the sphere ...")
    sup_g = sup_abs_eta(p_grid, X, tol=1e-6, time_budget=max(1.0, 0.3 * time_budget), rng=rng,
                        extra_starts=nu_grid.theta if len(nu_grid) else None)
    s = 1.0 / max(1.0, sup_g.hi)
    if lam == 0:
        lo = float(s * (y @ p_grid) / inst.n)
    else:
        lo = dual_objective(s * p_grid, y, lam)
    info.update({"dual_scale": s, "grid_atoms": len(nu_grid)})
    return CertifyReport(cond.verdict, cond.reason, cond, lam, kind_t, nu_t, grid, p_grid, sup_g, primal,
                         lo, primal, kind, time.perf_counter() - t0, info)
