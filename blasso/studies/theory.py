"""The main paper's two predictions measured on an instance (Akiyama & Suzuki 2021).

* **Theorem 3.5, bound (9)**: as ``lam -> 0`` the BLASSO optimum ``nu*``
  has m atoms near the teacher's and the squared errors
  ``sum_j |r°_j - r*_j|^2`` and ``sum_j dist^2(theta*_j, theta°_j)`` are
  ``O(m lam^2)``.  :func:`theory_lam` computes the certified convex optimum
  at every ``lam`` of a decreasing sequence
  (:func:`blasso.solvers.colgen.lam_path`: column generation over activation
  cells priced by the rigorous sup, each bracket reported) and at ``lam = 0``
  (:func:`blasso.solvers.basis_pursuit.solve_basis_pursuit`), matches its
  atoms to the teacher's (Hungarian matching,
  :func:`blasso.studies.compare.match_atoms`), fits log-log slopes, and reads
  the unmerged support against the teacher (:func:`cluster_structure`): three
  verdicts separate *support stability* (Theorem 3.5 as stated: exactly m
  atoms), *identifiability* (the teacher solves basis pursuit) and *cluster
  recovery* (the mass near each teacher atom tends to its weight), see
  :func:`support_verdicts` and the docs page ``near_field``.
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

__all__ = ["SlopeFit", "fit_loglog", "LamStudy", "theory_lam", "cluster_structure", "support_verdicts",
           "GDRateStudy", "theory_gd_rate", "LAM_VERDICTS", "GD_VERDICTS"]

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
        One per ``lam``: ``lam, J`` (``J_upper``), ``J_lower``, ``rel_width``
        (the certified bracket of :func:`blasso.solvers.colgen.lam_path`),
        ``n_atoms, n_matched, err_r2`` (sum of squared weight errors),
        ``err_theta2`` (sum of squared geodesic distances), ``spurious_mass``,
        ``tv`` (after merging atoms closer than ``merge_angle``: bound (9)'s
        reading), and the raw support's structure (no merging):
        ``support_atoms``, ``clusters`` (per teacher atom, :func:`cluster_structure`),
        ``outside_mass``, ``split``, ``flat_distance`` to the teacher, ``uniqueness``.
    slopes : dict
        ``err_r2``, ``err_theta2``, ``spurious_mass``: :class:`SlopeFit` dicts
        against ``lam`` over the rows where the support is exactly matched (all
        rows for the spurious mass); ``outside_mass``, ``extra_mass`` (cluster
        mass beyond each cluster's largest atom) and ``flat_distance`` against ``lam``.
    verdict : str
        Bound (9): ``holds``, ``fails`` or ``inconclusive`` (see :func:`theory_lam`).
    reason : str
    m : int
        Teacher width.
    tolerances : dict
    conditions : dict or None
        Verdict of conditions (10) for the teacher, when checked.
    basis_pursuit : dict or None
        The exact ``lam = 0`` problem (:func:`blasso.solvers.basis_pursuit.solve_basis_pursuit`):
        ``tv, lower, rel_gap, residual, teacher_tv`` and its clusters.
    verdicts : dict
        ``support_stability``, ``identifiability``, ``cluster_recovery``: each ``{status, reason}``
        (see :func:`support_verdicts`).
    """

    rows: list
    slopes: dict
    verdict: str
    reason: str
    m: int
    tolerances: dict
    conditions: dict | None = None
    lam_max: float | None = None
    basis_pursuit: dict | None = None
    verdicts: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        kinds = sorted({r.get("ground_truth", "exchange") for r in self.rows})
        return {"ground_truth": kinds[0] if len(kinds) == 1 else "mixed",
                "rows": self.rows, "slopes": self.slopes, "verdict": self.verdict, "reason": self.reason,
                "m": self.m, "tolerances": self.tolerances, "conditions": self.conditions, "lam_max": self.lam_max,
                "basis_pursuit": self.basis_pursuit, "verdicts": self.verdicts}


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


def cluster_structure(nu: Measure, teacher: Measure, radius: float, *, min_mass: float = 0.0) -> dict:
    """The support of ``nu`` read against the teacher: one cluster per teacher atom, and the mass elsewhere.

    Each atom of ``nu`` with ``|c| > min_mass`` within ``radius`` (radians) of
    its nearest teacher atom joins that atom's cluster.  Per teacher atom ``j``:
    ``count``, ``mass`` (summed weights), ``c`` (the teacher's weight),
    ``mass_error = mass - c``, ``radius`` (largest angle of the cluster's atoms
    to ``theta_j``), ``main_angle`` and ``main_mass`` (its largest atom),
    ``extra_mass`` (the ``|c|`` of the others).  Overall: ``outside_mass`` and
    ``outside_count`` (atoms farther than ``radius`` from every teacher atom),
    ``dust_mass`` and ``dust_count`` (atoms with ``|c| <= min_mass``, anywhere:
    not counted, e.g. below what a certified bracket can tell from 0),
    ``split`` (a cluster with two atoms or more) and ``exactly_m`` (one atom
    per cluster, none outside).

    Examples
    --------
    >>> import numpy as np
    >>> T = Measure(np.eye(2), np.ones(2))
    >>> nu = Measure(np.array([[1.0, 0.0], [np.cos(1e-3), np.sin(1e-3)], [0.0, 1.0]]), np.array([0.9, 0.1, 1.0]))
    >>> cs = cluster_structure(nu, T, 0.01)
    >>> cs["split"], cs["clusters"][0]["count"], round(cs["clusters"][0]["extra_mass"], 12)
    (True, 2, 0.1)
    """
    from ..sphere import geodesic_distance

    m = len(teacher)
    heavy = np.abs(nu.c) > min_mass
    dust = float(np.abs(nu.c[~heavy]).sum()) if len(nu) else 0.0
    th, cc = nu.theta[heavy], nu.c[heavy]
    D = geodesic_distance(th, teacher.theta) if len(cc) else np.zeros((0, m))
    near = np.argmin(D, axis=1) if len(cc) else np.zeros(0, dtype=int)
    ang = D[np.arange(len(cc)), near] if len(cc) else np.zeros(0)
    inside = ang <= radius
    clusters = []
    for j in range(m):
        sel = np.flatnonzero(inside & (near == j))
        c = cc[sel]
        top = sel[np.argmax(np.abs(c))] if sel.size else None
        clusters.append({"count": int(sel.size), "mass": float(c.sum()), "c": float(teacher.c[j]),
                         "mass_error": float(c.sum() - teacher.c[j]),
                         "radius": float(ang[sel].max()) if sel.size else None,
                         "main_angle": None if top is None else float(ang[top]),
                         "main_mass": None if top is None else float(cc[top]),
                         "extra_mass": float(np.abs(c).sum() - (abs(cc[top]) if top is not None else 0.0))})
    out_mass = float(np.abs(cc[~inside]).sum()) if len(cc) else 0.0
    return {"radius_used": float(radius), "clusters": clusters, "outside_mass": out_mass,
            "outside_count": int((~inside).sum()), "dust_mass": dust, "dust_count": int((~heavy).sum()),
            "split": any(cl["count"] > 1 for cl in clusters),
            "exactly_m": all(cl["count"] == 1 for cl in clusters) and not (~inside).any()}


def _lam_list(X, y, lams, lam_min, factor, max_points, grid_size, d):
    from ..features import lam_max as _lam_max
    from ..sphere import make_grid

    if lams is None:
        lmax = float(_lam_max(X, y, make_grid("auto", grid_size, d).theta))
        if not lmax > 0:
            raise BlassoInputError("lam_max = 0: y is orthogonal to every feature")
        out, lam = [], lmax / 10
        while lam >= lam_min * (1 - 1e-12) and len(out) < max_points:
            out.append(lam)
            lam *= factor
        return out, lmax
    out = sorted((check_lam(v) for v in np.atleast_1d(np.asarray(lams, dtype=float))), reverse=True)
    if not out:
        raise BlassoInputError("lams is empty")
    return out, None


def _path_rows(inst, lam_list, cfg, T, match_angle, prune_rtol, merge_angle, radius, min_mass, say) -> tuple[list, list]:
    """One row per ``lam`` from the warm-started certified path (and the path's results)."""
    from blasso.solvers.colgen import lam_path

    from .compare import flat_distance

    path = lam_path(inst.X, inst.y, lam_list, config=cfg, progress=say)
    rows, prev = [], None
    for lam, res in zip(lam_list, path):
        e = _errors(res.measure, T, match_angle, prune_rtol, merge_angle)
        nu = e.pop("measure")
        cs = cluster_structure(res.measure, T, radius, min_mass=min_mass)
        row = {"lam": float(lam), "J": float(res.J_upper), "J_lower": float(res.J_lower),
               "rel_width": float(res.rel_width), "ground_truth": "colgen", **e,
               "support_atoms": len(res.measure) - cs["dust_count"], "raw_atoms": len(res.measure),
               "dust_mass": cs["dust_mass"], "clusters": cs["clusters"], "outside_mass": cs["outside_mass"],
               "outside_count": cs["outside_count"], "split": cs["split"], "exactly_m": cs["exactly_m"],
               "extra_mass": float(sum(c["extra_mass"] for c in cs["clusters"])),
               "flat_distance": float(flat_distance(res.measure, T)),
               "uniqueness": None if res.uniqueness is None else res.uniqueness.get("reason"),
               "wall_s": float(res.timings.get("total_s", 0.0)),
               "change": None if prev is None else flat_distance(nu, prev) / max(T.tv, 1e-300)}
        rows.append(row)
        prev = nu
    return rows, path


def _basis_pursuit_row(inst, path, lam_list, T, radius, min_mass, cfg, say) -> dict:
    """The exact ``lam = 0`` problem, warm-started from the path's last working set and duals."""
    from blasso.solvers.basis_pursuit import BPConfig, solve_basis_pursuit

    duals = [(f"BLASSO dual p_lam at lam = {lam:g}", r.info["p"], r.sup) for lam, r in zip(lam_list, path)]
    bp = solve_basis_pursuit(inst.X, inst.y, cells=path[-1].info["working_cells"], start=path[-1].measure,
                             duals=duals, progress=say,
                             config=BPConfig(warm_lams=(), sup_budget=cfg.sup_budget, time_budget=cfg.time_budget,
                                             seed=cfg.seed))
    cs = cluster_structure(bp.measure, T, radius, min_mass=min_mass)
    out = {k: v for k, v in bp.to_dict().items() if k not in ("rounds", "measure")}
    out.update({"teacher_tv": T.tv, "clusters": cs["clusters"], "outside_mass": cs["outside_mass"],
                "split": cs["split"], "exactly_m": cs["exactly_m"], "atoms": bp.measure.to_dict()})
    return out


def theory_lam(inst: Instance, lams=None, *, lam_min: float = 1e-6, factor: float = 10 ** -0.5,
               max_points: int = 12, stop_rtol: float = 1e-6, grid_size: int = 2000,
               sup_budget: float = 10.0, time_budget: float = 300.0, match_angle: float = 0.1,
               merge_angle: float = 0.02, prune_rtol: float = 1e-6, slope_tol: float = 0.3, min_r2: float = 0.95,
               check_conditions: bool = False, cluster_radius: float | None = None, basis_pursuit: bool = True,
               check_unique: bool = True, support_rtol: float = 1e-7, seed: int = 0, progress=None) -> LamStudy:
    """Theorem 3.5: the certified BLASSO optimum against the teacher as ``lam`` decreases, and at ``lam = 0``.

    Every ``lam`` is solved by :func:`blasso.solvers.colgen.lam_path` (column
    generation over activation cells priced by the rigorous sup, warm-started
    along the path; each bracket ``[J_lower, J_upper]`` is reported), and
    ``lam = 0`` by :func:`blasso.solvers.basis_pursuit.solve_basis_pursuit`.

    Parameters
    ----------
    inst : Instance
        With a teacher.
    lams : sequence of float, optional
        The ``lam`` values (sorted decreasing).  Default: from ``lam_max / 10``
        (``lam_max`` of the grid, :func:`blasso.features.lam_max`) times
        ``factor`` per step, down to ``lam_min`` or ``max_points`` values.
    stop_rtol : float
        Kept for compatibility: the ``change`` column (flat distance between
        consecutive optima over the teacher's TV) is reported, the path is not cut.
    grid_size : int
        Grid of ``lam_max`` only.
    sup_budget, time_budget : float
        Seconds of each rigorous sup, and of each solve.
    match_angle : float
        Radians: an atom of ``nu*`` farther than this from every teacher atom
        is spurious; matched pairs must be closer.
    merge_angle, prune_rtol : cleaning of ``nu*`` before matching (bound (9) only).
    slope_tol, min_r2 : float
        Verdict ``holds``: at the smallest ``lam`` the support is exactly m
        atoms, all matched, no spurious mass, and both squared errors fit a
        power law with ``R^2 >= min_r2`` and ``|slope - 2| <= slope_tol``.
        ``fails``: the support at the smallest ``lam`` is not m matched atoms,
        or the spurious mass persists (positive at the two smallest ``lam``,
        with a slope <= 1.3 when it fits a power law: it does not vanish faster
        than ``lam``).  ``inconclusive`` otherwise.  This reads the optimum after
        merging atoms closer than ``merge_angle``; the unmerged support is read
        by the three rows of :func:`support_verdicts`.
    check_conditions : bool
        Always decide conditions (10) for the teacher
        (:func:`blasso.certificates.verdict.check_conditions`) and cite it in the
        reason; when the prediction does not hold they are decided anyway, to
        explain the failure (Theorem 3.5 rests on them).
    cluster_radius : float, optional
        Radians of the clusters (default ``match_angle``).
    basis_pursuit : bool
        Solve ``lam = 0`` exactly (identifiability).
    check_unique : bool
        Run the uniqueness test of each solve (one more rigorous sup per ``lam``).
    support_rtol : float
        Atoms lighter than ``support_rtol * TV(teacher)`` are not counted in the
        support (reported as ``dust_mass``): the certified bracket cannot tell
        them from 0 (splitting an atom by an angle ``a`` moves ``J`` only at
        order ``a^2``) and the polish leaves some of that size.
    seed : int
    progress : callable, optional
        A :mod:`blasso.progress` hook.

    Returns
    -------
    LamStudy

    Examples
    --------
    >>> from blasso import make_instance
    >>> st = theory_lam(make_instance(teacher="paper", n=60, d=2, m=1, seed=0), lams=[1e-3, 1e-4])
    >>> [r["support_atoms"] for r in st.rows], st.verdicts["identifiability"]["status"]
    ([1, 1], 'holds')
    """
    from blasso.solvers.colgen import ColgenConfig

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
    radius = float(match_angle if cluster_radius is None else cluster_radius)
    lam_list, lmax = _lam_list(X, y, lams, lam_min, factor, max_points, grid_size, inst.d)
    cfg = ColgenConfig(sup_budget=sup_budget, time_budget=time_budget, check_unique=check_unique, seed=seed)
    say(f"theory lam: certified path over {len(lam_list)} values of lam ({lam_list[0]:.3e} .. {lam_list[-1]:.3e})")
    min_mass = float(support_rtol) * T.tv
    rows, path = _path_rows(inst, lam_list, cfg, T, match_angle, prune_rtol, merge_angle, radius, min_mass, say)
    bp = _basis_pursuit_row(inst, path, lam_list, T, radius, min_mass, cfg, say) if basis_pursuit else None
    exact = [r for r in rows if r["n_atoms"] == T.__len__() and r["n_matched"] == len(T) and r["spurious_mass"] == 0]
    lx = [r["lam"] for r in exact]
    slopes = {k: fit_loglog(lx, [r[k] for r in exact], min_r2=min_r2).to_dict() for k in ("err_r2", "err_theta2")}
    if len(exact) < 2:     # bound (9) compares atom to atom: only the lam with exactly the m teacher atoms count
        for k in ("err_r2", "err_theta2"):
            slopes[k]["reason"] = (f"{len(exact)} lam with exactly the m = {len(T)} teacher atoms matched and no "
                                   f"spurious mass (bound (9) compares atom to atom): no fit")
    for k in ("spurious_mass", "outside_mass", "extra_mass", "flat_distance"):
        slopes[k] = fit_loglog([r["lam"] for r in rows], [r[k] for r in rows], min_r2=min_r2).to_dict()
    cond = _conditions(X, T, sup_budget, seed, say) if check_conditions else None
    verdict, reason = _lam_verdict(rows, slopes, len(T), slope_tol, min_r2, cond)
    if verdict != "holds" and cond is None:  # explain a failed prediction by the assumption behind it
        cond = _conditions(X, T, sup_budget, seed, say)
        verdict, reason = _lam_verdict(rows, slopes, len(T), slope_tol, min_r2, cond)
    tol = {"slope_target": 2.0, "slope_tol": slope_tol, "min_r2": min_r2, "match_angle": match_angle,
           "merge_angle": merge_angle, "prune_rtol": prune_rtol, "stop_rtol": stop_rtol, "cluster_radius": radius,
           "support_rtol": support_rtol}
    return LamStudy(rows=rows, slopes=slopes, verdict=verdict, reason=reason, m=len(T), tolerances=tol,
                    conditions=cond, lam_max=lmax, basis_pursuit=bp,
                    verdicts=support_verdicts(rows, bp, T, n=inst.n, cond=cond))


def _conditions(X, T, budget, seed, say) -> dict:
    """Conditions (10) for the teacher (Assumption 4.5 at lam -> 0, what Theorem 3.5 needs)."""
    from blasso.certificates.verdict import check_conditions as _cc

    res = _cc(X, T, time_budget=budget, rng=seed, progress=say)
    return {"verdict": res.verdict, "margin": float(res.margin), "reason": res.reason}


def support_verdicts(rows: list, bp: dict | None, teacher: Measure, *, n: int, cond: dict | None = None,
                     width_tol: float = 1e-8, id_tol: float = 1e-8, flat_tol: float = 1e-3) -> dict:
    """Three readings of the ``lam -> 0`` optimum, each ``{status, reason}`` (``holds``/``fails``/``inconclusive``).

    * ``support_stability`` (Theorem 3.5 as stated): at the two smallest
      ``lam`` the certified optimum has exactly m atoms, one within the cluster
      radius of each teacher atom.  ``fails`` when both have another support
      (a teacher atom split into a cluster, or atoms elsewhere); the atom
      counts are those of the computed optimum, whose bracket must be within
      ``width_tol`` (relative), not a proof that no other optimum exists.
    * ``identifiability``: the teacher solves basis pursuit.  ``holds`` when
      the rigorous lower bound of ``BP*`` is within ``id_tol`` (relative) of
      ``TV(teacher)`` (the teacher interpolates noiseless labels, so
      ``BP* <= TV(teacher)``): the teacher is a solution up to that gap.
      ``fails`` when the computed primal has a smaller TV by more than
      ``1e-6`` relative with a residual below ``1e-9``.
    * ``cluster_recovery``: the clusters' masses tend to the ``c_j`` and the
      flat distance to the teacher to 0 as ``lam -> 0``: at the smallest
      ``lam`` the flat distance is below ``flat_tol`` of ``TV(teacher)`` and
      it decreased along the path (fit slope >= 0.5 against ``lam``, or
      halved over the last decade), and the teacher is identifiable.

    Examples
    --------
    >>> import numpy as np
    >>> T = Measure(np.eye(2), np.ones(2))
    >>> cl = [{"count": 1, "mass": 1.0, "c": 1.0, "mass_error": 0.0, "radius": 0.0, "extra_mass": 0.0}] * 2
    >>> rows = [{"lam": l, "rel_width": 1e-12, "exactly_m": True, "split": False, "support_atoms": 2,
    ...          "clusters": cl, "outside_mass": 0.0, "flat_distance": l} for l in (1e-4, 1e-5, 1e-6)]
    >>> support_verdicts(rows, None, T, n=100)["support_stability"]["status"]
    'holds'
    """
    cite = "" if cond is None else f"; conditions (10) for the teacher: {cond['verdict']} ({cond.get('reason', '')})"
    out = {"support_stability": _stability(rows[-2:], teacher, n, width_tol, cite),
           "identifiability": _identifiability(bp, teacher, id_tol)}
    out["cluster_recovery"] = _cluster_recovery(rows, teacher, out["identifiability"], flat_tol, width_tol)
    return out


def _split_text(row: dict, n: int) -> str:
    parts = []
    for j, c in enumerate(row["clusters"]):
        if c["count"] != 1:
            rad = "-" if c["radius"] is None else f"{np.degrees(c['radius']):.3g} deg = {c['radius'] * n:.3g}/n"
            parts.append(f"teacher atom {j}: {c['count']} atoms within {rad}, extra mass {c['extra_mass']:.2e}")
    if row.get("outside_count"):
        parts.append(f"{row['outside_count']} atom(s) outside the clusters, mass {row['outside_mass']:.2e}")
    return "; ".join(parts)


def _stability(last: list, T: Measure, n: int, width_tol: float, cite: str) -> dict:
    m = len(T)
    wide = [r["lam"] for r in last if not r["rel_width"] <= width_tol]
    if wide:
        return {"status": "inconclusive", "reason": f"certified brackets wider than {width_tol:g} (relative) at "
                f"lam = {wide}: the atom count is not settled" + cite}
    lams = " and ".join(f"{r['lam']:.2e}" for r in last)
    if all(r["exactly_m"] for r in last):
        return {"status": "holds", "reason": f"at lam = {lams} the certified optimum has exactly m = {m} atoms, one "
                f"near each teacher atom (brackets <= {width_tol:g} relative)" + cite}
    if not any(r["exactly_m"] for r in last):
        return {"status": "fails", "reason": f"at lam = {lams} the certified optimum has "
                f"{' and '.join(str(r['support_atoms']) for r in last)} atoms, not m = {m}: "
                f"{_split_text(last[-1], n)} (atom counts of the computed optimum, bracket "
                f"{last[-1]['rel_width']:.1e} relative; uniqueness: {last[-1].get('uniqueness') or 'not tested'})"
                + cite}
    return {"status": "inconclusive", "reason": f"the support changes between lam = {lams}: "
            f"{[r['support_atoms'] for r in last]} atoms" + cite}


def _identifiability(bp: dict | None, T: Measure, id_tol: float) -> dict:
    if bp is None:
        return {"status": "inconclusive", "reason": "basis pursuit (lam = 0) not solved"}
    lo, tv, res = bp["lower"], bp["tv"], bp["residual"]
    if lo is not None and np.isfinite(lo) and T.tv - lo <= id_tol * T.tv:
        return {"status": "holds", "reason": f"BP* >= {lo:.12g} (rigorous: {bp['lower_source']}) and the teacher "
                f"interpolates y with TV {T.tv:.12g}: the teacher is a basis-pursuit solution up to "
                f"{max(0.0, T.tv - lo) / T.tv:.1e} (relative); the computed primal has {bp['n_atoms']} atoms "
                f"(residual {res:.1e}); uniqueness not proven"}
    if tv < T.tv * (1 - 1e-6) and res <= 1e-9:
        return {"status": "fails", "reason": f"a measure with TV {tv:.12g} < TV(teacher) = {T.tv:.12g} interpolates "
                f"y (computed primal, residual {res:.1e}; rigorous BP* >= {lo:.12g}): the teacher is not the "
                "basis-pursuit solution"}
    return {"status": "inconclusive", "reason": f"BP* in [{lo:.12g}, {tv:.12g}] (primal residual {res:.1e}) against "
            f"TV(teacher) = {T.tv:.12g}: the gap {bp['rel_gap']:.1e} does not decide"}


def _cluster_recovery(rows: list, T: Measure, ident: dict, flat_tol: float, width_tol: float) -> dict:
    last = rows[-1]
    if not last["rel_width"] <= width_tol:
        return {"status": "inconclusive", "reason": f"bracket {last['rel_width']:.1e} at the smallest lam"}
    fl = np.array([r["flat_distance"] for r in rows], dtype=float)
    lam = np.array([r["lam"] for r in rows], dtype=float)
    fit = fit_loglog(lam, fl, min_r2=0.9)
    dec = len(rows) >= 2 and fl[-1] <= 0.5 * fl[np.argmin(np.abs(np.log10(lam) - np.log10(lam[-1] * 10)))]
    shrinking = (fit.power_law and fit.slope >= 0.5) or dec or fl[-1] == 0.0
    mass = max(abs(c["mass_error"]) / abs(c["c"]) for c in last["clusters"])
    rad = max((c["radius"] or 0.0) for c in last["clusters"])
    text = (f"at lam = {last['lam']:.2e}: cluster masses within {mass:.1e} (relative) of c_j, largest cluster radius "
            f"{np.degrees(rad):.3g} deg, mass outside the clusters {last['outside_mass']:.1e}, flat distance to the "
            f"teacher {fl[-1]:.2e} ({fl[-1] / T.tv:.1e} of its TV)"
            + (f", ~ lam^{fit.slope:.2f} (R^2 {fit.r2:.3f})" if fit.power_law else ""))
    if ident["status"] == "fails":
        return {"status": "fails", "reason": text + "; but the lam -> 0 limit is not the teacher (identifiability fails)"}
    if shrinking and fl[-1] <= flat_tol * T.tv and ident["status"] == "holds":
        return {"status": "holds", "reason": text + "; the teacher is the basis-pursuit solution"}
    if not shrinking and fl[-1] > flat_tol * T.tv:
        return {"status": "fails", "reason": text + ": the flat distance does not decrease with lam"}
    return {"status": "inconclusive", "reason": text + f"; identifiability {ident['status']}"}


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
    ground_truth: str = "colgen"
    J_rel_width: float | None = None

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
                   check_every: int = 20, sup_budget: float = 10.0,
                   time_budget: float = 300.0, stall_rtol: float = 1e-6, stall_window: int = 20_000, min_r2: float = 0.99, resid_tol: float = 0.1,
                   min_decades: float = 2.0, seed: int = 0, progress=None) -> GDRateStudy:
    """Theorem 4.8: the local phase of Algorithm 1 and its linear rate ``1 - kappa_0``.

    ``J*`` is bracketed by the certified convex optimum ``[J_lower, J_upper]``
    of :func:`blasso.solvers.colgen.solve_certified` (column generation over
    activation cells priced by the rigorous sup; its relative width is
    reported as ``J_rel_width``).  Algorithm 1 (from the
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
    sup_budget, time_budget : float
        Seconds of each rigorous sup and of the whole certified solve.
    stall_rtol, stall_window, min_r2, resid_tol, min_decades : see above.
    seed : int
    progress : callable, optional
        A :mod:`blasso.progress` hook.

    Returns
    -------
    GDRateStudy
    """
    from blasso.solvers.colgen import ColgenConfig, solve_certified
    from blasso.solvers.gd import choose_alpha, init_network, run_gd

    if not isinstance(inst, Instance):
        raise BlassoInputError(f"inst must be an Instance; got {type(inst).__name__}")
    lam = check_lam(lam)
    M = check_positive_int(M, name="M")
    max_iter = check_positive_int(max_iter, name="max_iter")
    check_every = check_positive_int(check_every, name="check_every")
    stall_window = check_positive_int(stall_window, name="stall_window")
    say = as_progress(progress)
    X, y = inst.X, inst.y
    say(f"theory gd-rate: certified convex optimum at lam = {lam:.3e} (column generation)")
    cr = solve_certified(X, y, lam, progress=say,
                         config=ColgenConfig(sup_budget=sup_budget, time_budget=time_budget, check_unique=False,
                                             seed=seed))
    J_up = float(cr.J_upper)
    J_lo = float(cr.J_lower) if np.isfinite(cr.J_lower) else J_up
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
                  lam=lam, M=M, history={"iter": k.tolist(), "gap": gap.tolist()}, ground_truth="colgen",
                  J_rel_width=float(cr.rel_width))
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
