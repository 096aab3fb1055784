"""The main paper's two predictions measured on an instance (Akiyama & Suzuki 2021).

* **Theorem 3.5, bound (9)**: as ``lam -> 0`` the BLASSO optimum ``nu*``
  has m atoms near the teacher's and the squared errors
  ``sum_j |r°_j - r*_j|^2`` and ``sum_j dist^2(theta*_j, theta°_j)`` are
  ``O(m lam^2)``.  :func:`theory_lam` computes the certified convex optimum
  (:func:`blasso.solvers.refine.convex_reference` with the rigorous sup oracle
  :func:`blasso.studies.compare.sphere_sup_oracle`) on a decreasing sequence
  of ``lam``, matches its atoms to the teacher's (Hungarian matching,
  :func:`blasso.studies.compare.match_atoms`) and fits log-log slopes.
* **Theorem 4.8**: Algorithm 1 converges in two phases, the second linear,
  ``J_k - J* <= C (1 - kappa_0)^(k - k0)``.  :func:`theory_gd_rate` runs
  Algorithm 1, takes ``J*`` from the certified bracket, finds the phase
  boundary ``k0`` and fits the per-iteration factor ``1 - kappa_0``.

Verdicts and their tolerances are stated in :func:`theory_lam` and
:func:`theory_gd_rate`; every verdict carries its reason.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ..instance import Instance
from ..measure import Measure
from ..progress import as_progress
from ..validation import BlassoInputError, check_lam, check_positive_int

__all__ = ["SlopeFit", "fit_loglog", "LamStudy", "theory_lam", "GDRateStudy", "theory_gd_rate",
           "LAM_VERDICTS", "GD_VERDICTS"]

LAM_VERDICTS = ("holds", "fails", "inconclusive")
GD_VERDICTS = ("linear", "stalled", "inconclusive")


# ------------------------------------------------------------------ slope fit
@dataclass
class SlopeFit:
    """Least-squares fit ``log10 y = slope log10 x + intercept``.

    Attributes
    ----------
    slope, intercept, r2 : float
        ``nan`` when the fit is impossible (fewer than 2 usable points).
    n : int
        Points used (positive finite ``x`` and ``y``).
    power_law : bool
        ``n >= min_points`` and ``r2 >= min_r2``: the data follow a power law.
    reason : str
        Why not, when ``power_law`` is False.
    """

    slope: float
    intercept: float
    r2: float
    n: int
    power_law: bool
    reason: str = ""

    @property
    def inconclusive(self) -> bool:
        return not self.power_law

    def to_dict(self) -> dict:
        return asdict(self)


def _linfit(u: np.ndarray, v: np.ndarray) -> tuple[float, float, float]:
    """Slope, intercept and R^2 of ``v ~ slope u + intercept``."""
    A = np.vstack([u, np.ones_like(u)]).T
    (s, b), *_ = np.linalg.lstsq(A, v, rcond=None)
    ss = float(np.sum((v - v.mean()) ** 2))
    res = float(np.sum((v - (s * u + b)) ** 2))
    r2 = 1.0 - res / ss if ss > 0 else (1.0 if res <= 1e-30 else 0.0)
    return float(s), float(b), float(r2)


def fit_loglog(x, y, *, min_points: int = 3, min_r2: float = 0.95) -> SlopeFit:
    """Fit a power law ``y = C x^slope`` in log-log coordinates.

    Parameters
    ----------
    x, y : array_like (k,)
        Points with ``x, y <= 0`` or non-finite are left out.
    min_points : int
        Fewer usable points: no power law (``inconclusive``).
    min_r2 : float
        Lower R^2: no power law (``inconclusive``).

    Returns
    -------
    SlopeFit
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise BlassoInputError(f"x and y must have the same length; got {x.size} and {y.size}")
    min_points = check_positive_int(min_points, name="min_points", minimum=2)
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    n = int(ok.sum())
    if n < 2:
        return SlopeFit(float("nan"), float("nan"), float("nan"), n, False,
                        f"{n} usable point(s) (positive and finite): no fit")
    s, b, r2 = _linfit(np.log10(x[ok]), np.log10(y[ok]))
    if n < min_points:
        return SlopeFit(s, b, r2, n, False, f"{n} usable points < {min_points}")
    if not r2 >= min_r2:
        return SlopeFit(s, b, r2, n, False, f"R^2 = {r2:.3f} < {min_r2:g}: no power law")
    return SlopeFit(s, b, r2, n, True, "")


# ------------------------------------------------------------ Theorem 3.5
@dataclass
class LamStudy:
    """Outcome of :func:`theory_lam`.

    Attributes
    ----------
    rows : list of dict
        One per ``lam``: ``lam, J, J_lower, n_atoms, n_matched, err_r2`` (sum of
        squared weight errors), ``err_theta2`` (sum of squared geodesic
        distances), ``spurious_mass``, ``tv``.
    slopes : dict
        ``err_r2``, ``err_theta2``, ``spurious_mass``: :class:`SlopeFit` dicts
        against ``lam`` over the rows where the support is exactly matched (all
        rows for the spurious mass).
    verdict : str
        ``holds``, ``fails`` or ``inconclusive`` (see :func:`theory_lam`).
    reason : str
    m : int
        Teacher width.
    tolerances : dict
    conditions : dict or None
        Verdict of conditions (10) for the teacher, when checked.
    """

    rows: list
    slopes: dict
    verdict: str
    reason: str
    m: int
    tolerances: dict
    conditions: dict | None = None
    lam_max: float | None = None

    def to_dict(self) -> dict:
        kinds = sorted({r.get("ground_truth", "exchange") for r in self.rows})
        return {"ground_truth": kinds[0] if len(kinds) == 1 else "mixed",
                "rows": self.rows, "slopes": self.slopes, "verdict": self.verdict, "reason": self.reason,
                "m": self.m, "tolerances": self.tolerances, "conditions": self.conditions, "lam_max": self.lam_max}


def _certified_optimum(X, y, lam, grid, rounds, sup_budget, seed, say):
    """The ground truth (:func:`blasso.studies.ground_truth.ground_truth`): exact when affordable, else exchange."""
    from .compare import sphere_sup_oracle
    from .ground_truth import ground_truth

    oracle = sphere_sup_oracle(X, time_budget=sup_budget, rng=seed)
    return ground_truth(X, y, lam, grid, mode="auto", rounds=rounds, solver="FAST", sup_oracle=oracle,
                        sup_budget=max(sup_budget, 30.0), check_unique=False, progress=say)


def _errors(nu: Measure, teacher: Measure, match_angle: float, prune_rtol: float, merge_angle: float) -> dict:
    from ..sphere import geodesic_distance
    from .compare import match_atoms

    if len(nu):
        keep = np.abs(nu.c) > prune_rtol * float(np.abs(nu.c).max())
        nu = Measure(nu.theta[keep], nu.c[keep]).merge(merge_angle)
    m = match_atoms(nu, teacher, match_angle=match_angle)
    err_r2 = float(sum((a - b) ** 2 for a, b in zip(m["c_nu"], m["c_ref"])))
    err_t2 = float(sum(t ** 2 for t in m["angles"]))
    spur = 0.0
    if len(nu):
        D = geodesic_distance(nu.theta, teacher.theta)
        spur = float(np.abs(nu.c[D.min(axis=1) > match_angle]).sum())
    return {"n_atoms": len(nu), "n_matched": len(m["pairs"]), "err_r2": err_r2, "err_theta2": err_t2,
            "spurious_mass": spur, "tv": float(np.abs(nu.c).sum()), "measure": nu}


def theory_lam(inst: Instance, lams=None, *, lam_min: float = 1e-6, factor: float = 10 ** -0.5,
               max_points: int = 12, stop_rtol: float = 1e-6, grid_size: int = 2000, rounds: int = 6,
               sup_budget: float = 10.0, match_angle: float = 0.1, merge_angle: float = 0.02,
               prune_rtol: float = 1e-6, slope_tol: float = 0.3, min_r2: float = 0.95,
               check_conditions: bool = False, seed: int = 0, progress=None) -> LamStudy:
    """Theorem 3.5: the certified BLASSO optimum against the teacher as ``lam`` decreases.

    Parameters
    ----------
    inst : Instance
        With a teacher.
    lams : sequence of float, optional
        The ``lam`` values (sorted decreasing).  Default: from ``lam_max / 10``
        (``lam_max`` of the grid, :func:`blasso.features.lam_max`) times
        ``factor`` per step, down to ``lam_min`` or ``max_points`` values, or
        until the recovered measure stops changing: the flat distance between
        consecutive optima below ``stop_rtol`` times the teacher's TV.
    grid_size, rounds, sup_budget : the certified convex optimum
        (:func:`blasso.solvers.refine.convex_reference`, ``sup_budget`` seconds of
        branch and bound per exchange round in d >= 4).
    match_angle : float
        Radians: an atom of ``nu*`` farther than this from every teacher atom
        is spurious; matched pairs must be closer.
    merge_angle, prune_rtol : cleaning of ``nu*`` before matching.
    slope_tol, min_r2 : float
        Verdict ``holds``: at the smallest ``lam`` the support is exactly m
        atoms, all matched, no spurious mass, and both squared errors fit a
        power law with ``R^2 >= min_r2`` and ``|slope - 2| <= slope_tol``.
        ``fails``: the support at the smallest ``lam`` is not m matched atoms,
        or the spurious mass persists (positive at the two smallest ``lam``,
        with a slope <= 1.3 when it fits a power law: it does not vanish faster
        than ``lam``).  ``inconclusive`` otherwise.
    check_conditions : bool
        Always decide conditions (10) for the teacher
        (:func:`blasso.certificates.verdict.check_conditions`) and cite it in the
        reason; when the prediction does not hold they are decided anyway, to
        explain the failure (Theorem 3.5 rests on them).
    seed : int
    progress : callable, optional
        A :mod:`blasso.progress` hook (``"theory lam"`` bar over the ``lam`` values).

    Returns
    -------
    LamStudy
    """
    from ..features import lam_max as _lam_max
    from ..sphere import make_grid
    from .compare import flat_distance

    if not isinstance(inst, Instance):
        raise BlassoInputError(f"inst must be an Instance; got {type(inst).__name__}")
    if not inst.has_teacher:
        raise BlassoInputError("theory lam needs an instance with a teacher")
    lam_min = check_lam(lam_min)
    max_points = check_positive_int(max_points, name="max_points", minimum=2)
    if not 0 < factor < 1:
        raise BlassoInputError(f"factor must be in (0, 1); got {factor}")
    say = as_progress(progress)
    X, y = inst.X, inst.y
    T = inst.teacher_measure()
    grid = make_grid("auto", grid_size, inst.d)
    lmax = None
    if lams is None:
        lmax = float(_lam_max(X, y, grid.theta))
        if not lmax > 0:
            raise BlassoInputError("lam_max = 0: y is orthogonal to every feature")
        lam_list = []
        lam = lmax / 10
        while lam >= lam_min * (1 - 1e-12) and len(lam_list) < max_points:
            lam_list.append(lam)
            lam *= factor
        auto = True
    else:
        lam_list = sorted((check_lam(v) for v in np.atleast_1d(np.asarray(lams, dtype=float))), reverse=True)
        if not lam_list:
            raise BlassoInputError("lams is empty")
        auto = False
    rows, prev = [], None
    for i, lam in enumerate(lam_list):
        say(f"theory lam: certified optimum at lam = {lam:.3e}")
        cr = _certified_optimum(X, y, lam, grid, rounds, sup_budget, seed, say)
        e = _errors(cr.measure, T, match_angle, prune_rtol, merge_angle)
        nu = e.pop("measure")
        row = {"lam": float(lam), "J": float(cr.J), "J_lower": None if cr.J_lower is None else float(cr.J_lower),
               "ground_truth": cr.ground_truth, **e}
        change = None if prev is None else flat_distance(nu, prev) / max(T.tv, 1e-300)
        row["change"] = change
        rows.append(row)
        say("theory lam", i + 1, len(lam_list))
        prev = nu
        if auto and change is not None and change <= stop_rtol:
            break
    exact = [r for r in rows if r["n_atoms"] == T.__len__() and r["n_matched"] == len(T) and r["spurious_mass"] == 0]
    lx = [r["lam"] for r in exact]
    slopes = {k: fit_loglog(lx, [r[k] for r in exact], min_r2=min_r2).to_dict() for k in ("err_r2", "err_theta2")}
    slopes["spurious_mass"] = fit_loglog([r["lam"] for r in rows], [r["spurious_mass"] for r in rows],
                                         min_r2=min_r2).to_dict()
    cond = _conditions(X, T, sup_budget, seed, say) if check_conditions else None
    verdict, reason = _lam_verdict(rows, slopes, len(T), slope_tol, min_r2, cond)
    if verdict != "holds" and cond is None:  # explain a failed prediction by the assumption behind it
        cond = _conditions(X, T, sup_budget, seed, say)
        verdict, reason = _lam_verdict(rows, slopes, len(T), slope_tol, min_r2, cond)
    tol = {"slope_target": 2.0, "slope_tol": slope_tol, "min_r2": min_r2, "match_angle": match_angle,
           "merge_angle": merge_angle, "prune_rtol": prune_rtol, "stop_rtol": stop_rtol}
    return LamStudy(rows=rows, slopes=slopes, verdict=verdict, reason=reason, m=len(T), tolerances=tol,
                    conditions=cond, lam_max=lmax)


def _conditions(X, T, budget, seed, say) -> dict:
    """Conditions (10) for the teacher (Assumption 4.5 at lam -> 0, what Theorem 3.5 needs)."""
    from blasso.certificates.verdict import check_conditions as _cc

    res = _cc(X, T, time_budget=budget, rng=seed, progress=say)
    return {"verdict": res.verdict, "margin": float(res.margin), "reason": res.reason}


def _lam_verdict(rows, slopes, m, slope_tol, min_r2, cond) -> tuple[str, str]:
    last = rows[-1]
    cite = ""
    if cond is not None:
        cite = f"; conditions (10) for the teacher: {cond['verdict']} (margin {cond['margin']:.2e})"
    if last["n_atoms"] != m or last["n_matched"] != m:
        return "fails", (f"at the smallest lam = {last['lam']:.2e} nu* has {last['n_atoms']} atoms, "
                         f"{last['n_matched']} matched to the m = {m} teacher atoms" + cite)
    sp = slopes["spurious_mass"]
    if len(rows) >= 2 and rows[-1]["spurious_mass"] > 0 and rows[-2]["spurious_mass"] > 0 and \
            (not sp["power_law"] or sp["slope"] <= 1.3):
        return "fails", (f"spurious mass persists: {rows[-1]['spurious_mass']:.2e} at lam = {last['lam']:.2e}"
                         + (f" (slope {sp['slope']:.2f})" if sp["power_law"] else "") + cite)
    if last["spurious_mass"] > 0:
        return "inconclusive", f"spurious mass {last['spurious_mass']:.2e} at the smallest lam" + cite
    bad = []
    for k, name in (("err_r2", "sum |r°-r*|^2"), ("err_theta2", "sum dist^2")):
        s = slopes[k]
        if not s["power_law"]:
            bad.append(f"{name}: {s['reason']}")
        elif abs(s["slope"] - 2.0) > slope_tol:
            bad.append(f"{name}: slope {s['slope']:.2f}, not 2 +- {slope_tol:g}")
    if bad:
        return "inconclusive", "; ".join(bad) + cite
    return "holds", (f"at lam = {last['lam']:.2e} nu* has the m = {m} teacher atoms (no spurious mass); slopes "
                     f"{slopes['err_r2']['slope']:.3f} (weights) and {slopes['err_theta2']['slope']:.3f} (directions) "
                     f"= 2 +- {slope_tol:g} with R^2 >= {min_r2:g}" + cite)


# ------------------------------------------------------------ Theorem 4.8
@dataclass
class GDRateStudy:
    """Outcome of :func:`theory_gd_rate`.

    Attributes
    ----------
    verdict : {"linear", "stalled", "inconclusive"}
    reason : str
    k0 : int or None
        Phase boundary: first iteration of the linear phase.
    k_end : int or None
        Last iteration used in the fit.
    rate : float or None
        Fitted per-iteration factor ``1 - kappa_0`` of ``J_k - J*``.
    r2 : float or None
        R^2 of the linear fit of ``log10(J_k - J*)`` over ``[k0, k_end]``.
    decades : float
        ``log10`` of the decrease of ``J_k - J*`` over ``[k0, k_end]``.
    J_star : list of float
        The certified bracket ``[J_lower, J_upper]``.
    iterations : int
    J_final : float
    gap_final : float
        ``J_final - J_upper`` (relative: ``gap_final_rel``).
    floor : float
        Gaps below this are not resolved by the bracket (not used in the fit).
    history : dict
        ``iter`` and ``gap`` (``J_k - J_lower``) at the checks.
    alpha : float
    stop_reason : str
    """

    verdict: str
    reason: str
    k0: int | None
    k_end: int | None
    rate: float | None
    r2: float | None
    decades: float
    J_star: list
    iterations: int
    J_final: float
    gap_final: float
    gap_final_rel: float
    floor: float
    alpha: float
    stop_reason: str
    lam: float
    M: int
    history: dict = field(default_factory=dict)
    ground_truth: str = "exchange"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["history"] = {k: [float(v) for v in vs] for k, vs in self.history.items()}
        return d


def _phase_fit(k: np.ndarray, g: np.ndarray, min_r2: float, min_points: int, resid_tol: float):
    """Earliest start ``k0`` from which ``log10 g`` is linear in k to the end.

    Linear: R^2 >= ``min_r2``, negative slope, and every residual within
    ``resid_tol`` decades of the line (R^2 alone accepts a curved steep decay).
    """
    lg = np.log10(g)
    n = k.size
    for i in range(0, n - min_points + 1):
        u = k[i:].astype(float)
        s, b, r2 = _linfit(u, lg[i:])
        if r2 >= min_r2 and s < 0 and float(np.max(np.abs(lg[i:] - (s * u + b)))) <= resid_tol:
            return i, s, b, r2
    return None


def _support_explanation(nu, M: int) -> str:
    """Why M sign-preserving units may not reach the optimum: its atoms per sign (Assumption 4.1's m*)."""
    pos, neg = int(np.sum(nu.c > 0)), int(np.sum(nu.c < 0))
    half = M // 2
    if pos > M - half or neg > half:
        return (f"the certified optimum has {pos} positive and {neg} negative atoms, but Algorithm 1 keeps the "
                f"signs of its {M - half} + {half} units: it cannot represent nu* (Theorem 4.8 needs M >> m*)")
    return (f"the certified optimum has {pos} positive and {neg} negative atoms, within the {M - half} + {half}"
            " units: GD is stuck in a non-global configuration (see blasso assumptions for 4.1, 4.3-4.5)")


def theory_gd_rate(inst: Instance, lam: float, M: int, *, max_iter: int = 300_000, alpha: float | str = "auto",
                   check_every: int = 20, grid_size: int = 2000, rounds: int = 6, sup_budget: float = 10.0,
                   stall_rtol: float = 1e-6, stall_window: int = 20_000, min_r2: float = 0.99, resid_tol: float = 0.1,
                   min_decades: float = 2.0, seed: int = 0, progress=None) -> GDRateStudy:
    """Theorem 4.8: the local phase of Algorithm 1 and its linear rate ``1 - kappa_0``.

    ``J*`` is bracketed by the certified convex optimum ``[J_lower, J_upper]``
    (exchange rounds with the rigorous sup oracle).  Algorithm 1 (from the
    paper's initialisation, seed ``seed``) runs until ``J_k - J_lower`` is
    below the resolvable floor ``max(10 (J_upper - J_lower), 1e-12 J_upper)``,
    until it stops improving (relative change of J below ``1e-12`` over
    ``stall_window`` iterations), or ``max_iter``.  ``J_k`` is recorded every
    ``check_every`` iterations; on the gaps above the floor, ``k0`` is the
    earliest check from which ``log10(J_k - J_lower)`` is linear in k to the
    end with ``R^2 >= min_r2`` and every residual within ``resid_tol``
    decades of the line; the slope gives ``rate = 10^slope``.

    Verdict: ``stalled`` when ``J_final - J_upper > stall_rtol J_upper`` and
    GD stopped improving (the reason says by how much); ``linear`` when
    GD ends within the bracket and the fitted phase spans at least
    ``min_decades`` decades of ``J_k - J*``; ``inconclusive`` otherwise (e.g.
    still improving above the bracket at ``max_iter``; a bracket too wide to
    resolve two decades).  The run stops early once ``J_k - J_lower`` is
    below the floor and ``J_k - J_upper <= stall_rtol J_upper``.

    Parameters
    ----------
    inst : Instance
    lam : float > 0
    M : int
        Width of the network.
    max_iter, check_every : int
    alpha : float or "auto"
        ``"auto"``: :func:`blasso.solvers.gd.choose_alpha` (a large stable step).
    grid_size, rounds, sup_budget : the certified convex optimum.
    stall_rtol, stall_window, min_r2, resid_tol, min_decades : see above.
    seed : int
    progress : callable, optional
        A :mod:`blasso.progress` hook.

    Returns
    -------
    GDRateStudy
    """
    from blasso.solvers.gd import choose_alpha, init_network, run_gd

    from ..sphere import make_grid

    if not isinstance(inst, Instance):
        raise BlassoInputError(f"inst must be an Instance; got {type(inst).__name__}")
    lam = check_lam(lam)
    M = check_positive_int(M, name="M")
    max_iter = check_positive_int(max_iter, name="max_iter")
    check_every = check_positive_int(check_every, name="check_every")
    stall_window = check_positive_int(stall_window, name="stall_window")
    say = as_progress(progress)
    X, y = inst.X, inst.y
    grid = make_grid("auto", grid_size, inst.d)
    say(f"theory gd-rate: certified convex optimum at lam = {lam:.3e}")
    cr = _certified_optimum(X, y, lam, grid, rounds, sup_budget, seed, say)
    J_up = float(cr.J)
    J_lo = float(cr.J_lower) if cr.J_lower is not None else J_up
    floor = max(10.0 * (J_up - J_lo), 1e-12 * abs(J_up))
    init = init_network(M, inst.d, seed)
    if isinstance(alpha, str):
        if alpha != "auto":
            raise BlassoInputError(f"alpha must be a positive number or 'auto'; got {alpha!r}")
        alpha = float(choose_alpha(X, y, lam, init=init)["alpha"])
    hist_k, hist_J = [0], [None]
    lag = max(1, stall_window // check_every)

    def cb(info):
        hist_k.append(int(info["iter"]))
        hist_J.append(float(info["J"]))
        if info["J"] - J_lo <= floor and info["J"] - J_up <= stall_rtol * abs(J_up):
            return True
        if len(hist_J) > lag + 1 and hist_J[-lag - 1] - info["J"] <= 1e-12 * abs(info["J"]):
            return True
        return False

    say(f"theory gd-rate: Algorithm 1, M = {M}, alpha = {alpha:g}, up to {max_iter} iterations")
    res = run_gd(X, y, lam, init=init, alpha=alpha, max_iter=max_iter, check_every=check_every, callback=cb,
                 progress=say)
    hist_J[0] = float(res.trace["J"][0])
    k = np.asarray(hist_k, dtype=np.int64)
    J = np.asarray(hist_J, dtype=float)
    gap = J - J_lo
    J_final = float(res.J)
    gap_final = J_final - J_up
    gap_rel = gap_final / max(abs(J_up), 1e-300)
    stopped = len(J) > lag + 1 and J[-lag - 1] - J[-1] <= 1e-12 * abs(J[-1])
    common = dict(J_star=[J_lo, J_up], iterations=int(res.n_iter), J_final=J_final, gap_final=gap_final,
                  gap_final_rel=gap_rel, floor=floor, alpha=float(alpha), stop_reason=res.stop_reason,
                  lam=lam, M=M, history={"iter": k.tolist(), "gap": gap.tolist()}, ground_truth=cr.ground_truth)
    width = (J_up - J_lo) / max(abs(J_up), 1e-300)
    if gap_rel > stall_rtol and stopped:
        return GDRateStudy(verdict="stalled", reason=(
            f"GD stopped improving (relative change < 1e-12 over the last {stall_window} iterations) at "
            f"J = {J_final:.8e}, {gap_final:.3e} ({gap_rel:.2e} relative) above the certified J* <= {J_up:.8e} "
            f"(bracket width {width:.1e} relative): the local phase of Theorem 4.8 is not reached; "
            + _support_explanation(cr.measure, M)),
            k0=None, k_end=None, rate=None, r2=None, decades=0.0, **common)
    if gap_rel > stall_rtol:
        return GDRateStudy(verdict="inconclusive", reason=(
            f"GD is still improving at max_iter = {max_iter} but ends {gap_final:.3e} ({gap_rel:.2e} relative) "
            f"above the certified J* <= {J_up:.8e} (bracket width {width:.1e} relative): give more iterations"),
            k0=None, k_end=None, rate=None, r2=None, decades=0.0, **common)
    use = np.isfinite(gap) & (gap > floor)
    ku, gu = k[use], gap[use]
    fit = _phase_fit(ku, gu, min_r2, 5, resid_tol) if ku.size >= 5 else None
    if fit is None:
        return GDRateStudy(verdict="inconclusive", reason=(
            f"GD reaches the bracket (final gap {gap_final:.2e}) but no linear stretch of log(J_k - J*) with "
            f"R^2 >= {min_r2:g} (residuals <= {resid_tol:g} decades) over >= 5 checks above the floor {floor:.1e} (checks every {check_every} iterations)"),
            k0=None, k_end=None, rate=None, r2=None, decades=0.0, **common)
    i0, s, _, r2 = fit
    decades = float(np.log10(gu[i0] / gu[-1]))
    k0, k_end, rate = int(ku[i0]), int(ku[-1]), float(10.0 ** s)
    common.update(k0=k0, k_end=k_end, rate=rate, r2=float(r2), decades=decades)
    if decades >= min_decades:
        return GDRateStudy(verdict="linear", reason=(
            f"J_k - J* decreases linearly from k0 = {k0} to {k_end}: factor {rate:.6f} per iteration "
            f"(kappa_0 = {1 - rate:.2e}), R^2 = {r2:.4f}, over {decades:.1f} decades >= {min_decades:g}"), **common)
    return GDRateStudy(verdict="inconclusive", reason=(
        f"linear stretch from k0 = {k0} spans only {decades:.1f} decades < {min_decades:g} above the floor "
        f"{floor:.1e}"), **common)
