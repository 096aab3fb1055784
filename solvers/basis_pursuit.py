"""Basis pursuit (the BLASSO at ``lam = 0``) over the continuum, by column generation over activation cells.

``BP* = min ||nu||_TV  subject to  Phi nu = y``, the limit of ``J_lam* / lam``
as ``lam -> 0``.  Its dual is ``max <y, q> / n`` subject to
``sup_theta |eta_q(theta)| <= 1``, and weak duality holds for *any* ``q``:

``BP* >= <y, q> / n / max(1, sup |eta_q|)``

(for feasible ``nu``: ``<y, q>/n = <Phi nu, q>/n = int eta_q dnu <= sup|eta_q| ||nu||_TV``),
so a rigorous upper bound of the sup over the sphere
(:func:`blasso.certificates.sup.sup_abs_eta`) makes any ``q`` a rigorous lower
bound.  :func:`solve_basis_pursuit`:

1. **Working set.**  The cells of a warm-started BLASSO path
   (:func:`blasso.solvers.colgen.lam_path`, default ``lam = 1e-3 .. 1e-6``),
   whose duals ``p_lam`` are also lower-bound candidates (``p_lam -> p_0``).
2. **Restricted problem.**  ``min sum_k ||v_k|| + ||w_k||`` over the working
   cells (cone constraints on their listed walls, lazily completed as in
   :mod:`blasso.solvers.colgen`) subject to ``Phi u = y``, written as
   ``S V^T u = U^T y`` with the thin SVD ``M = U S V^T`` of the working
   features (size independent of ``n``); the part of ``y`` outside the range
   of ``M`` is reported (``range_residual``).  Its dual ``q = n U zeta``
   (``zeta`` the multiplier of the equality) lies in the range of ``M``.
3. **Pricing.**  A batched ascent of ``|eta_q|`` finds violating cells, which
   join; when it finds none, the rigorous sup decides.
4. **Verification.**  ``lower = max over the candidates of <y, q>/n / max(1, hi)``;
   the primal is reported as ``tv = ||nu||_TV`` *with its residual*
   ``||y - Phi nu|| / ||y||``: it is an upper bound of ``BP*`` only up to that
   residual (the equality is met to the solver's tolerance, not exactly).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from blasso.measure import Measure
from blasso.progress import as_progress
from blasso.sphere import normalize
from blasso.validation import BlassoInputError, SolverError, check_rng, check_X, check_y

from .colgen import ColgenConfig, WorkingCells, _add_cell, _measure, _starts, _unit_rows, _violators, \
    _walls_per_cell, lam_path, solve_with_lazy_walls
from .lasso_cvxpy import solver_options

__all__ = ["BPConfig", "BPResult", "solve_basis_pursuit", "restricted_basis_pursuit", "dual_lower_bound"]


@dataclass(frozen=True)
class BPConfig:
    """Settings of :func:`solve_basis_pursuit`.

    Parameters
    ----------
    warm_lams : tuple of float
        The BLASSO path whose working set starts the column generation (and
        whose duals are lower-bound candidates); empty: start from ``start``.
    rel_width : float
        Stop when ``(tv - lower) / tv <= rel_width``.
    cg_tol : float
        A direction is violating when ``|eta_q| > 1 + cg_tol``.
    time_budget, sup_budget : float
        Seconds for the whole solve and for each rigorous sup.
    max_rounds, batch, n_starts : int
        Column-generation rounds, cells added per round, random ascent starts.
    solver : str
        CVXPY solver of the restricted problems.
    colgen : ColgenConfig, optional
        Settings of the warm path (default: ``ColgenConfig(check_unique=False)``).
    seed : int
    """

    warm_lams: tuple = (1e-3, 1e-4, 1e-5, 1e-6)
    rel_width: float = 1e-9
    cg_tol: float = 1e-12
    time_budget: float = 300.0
    sup_budget: float = 60.0
    max_rounds: int = 30
    batch: int = 30
    n_starts: int = 256
    solver: str = "CLARABEL"
    colgen: ColgenConfig | None = None
    seed: int = 0


@dataclass
class BPResult:
    """Outcome of :func:`solve_basis_pursuit`.

    Attributes
    ----------
    measure : Measure
        The primal of the last restricted problem (atoms below ``1e-9`` of the largest dropped).
    tv : float
        ``||measure||_TV``.
    residual : float
        ``||y - Phi measure|| / ||y||``: ``tv`` bounds ``BP*`` from above only up to it.
    lower : float
        A rigorous lower bound of ``BP*`` (``-inf`` when no candidate had a finished sup).
    lower_source : str
        Which dual gave it.
    sup : dict
        The rigorous sup bracket of ``|eta_q|`` for that dual.
    rel_gap : float
        ``(tv - lower) / tv``.
    range_residual : float
        ``||y - U U^T y|| / ||y||`` at the last restricted problem (0 when ``y`` is in the working range).
    rounds : list of dict
    cells : int
    stopped : str
    wall_s : float
    q : ndarray (n,)
        The dual of the last restricted problem.
    """

    measure: Measure
    tv: float
    residual: float
    lower: float
    lower_source: str
    sup: dict
    rel_gap: float
    range_residual: float
    rounds: list
    cells: int
    stopped: str
    wall_s: float
    q: np.ndarray = field(repr=False, default=None)

    def to_dict(self) -> dict:
        return {"tv": self.tv, "residual": self.residual, "lower": self.lower, "lower_source": self.lower_source,
                "sup": self.sup, "rel_gap": self.rel_gap, "range_residual": self.range_residual,
                "n_atoms": len(self.measure), "rounds": self.rounds, "cells": self.cells, "stopped": self.stopped,
                "wall_s": self.wall_s, "measure": self.measure.to_dict()}


def dual_lower_bound(q, X, y, *, sup_budget: float = 60.0, rng=0) -> tuple[float, dict]:
    """A rigorous lower bound of the basis-pursuit value from any dual vector ``q``.

    The bound is ``<y, q>/n / max(1, hi)`` with ``hi`` the rigorous upper end of ``sup |eta_q|``.

    Returns ``(bound, sup)``; the bound is ``-inf`` when the sup is not rigorous.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    >>> round(dual_lower_bound(np.zeros(3), X, np.ones(3))[0], 12)
    0.0
    """
    from blasso.certificates.sup import sup_abs_eta

    X = check_X(X)
    y = check_y(y, X.shape[0])
    q = np.asarray(q, dtype=float)
    br = sup_abs_eta(q, X, tol=1e-9, time_budget=sup_budget, rng=rng)
    info = {"lo": float(br.lo), "hi": float(br.hi), "method": br.method, "rigorous": bool(br.rigorous),
            "stopped": br.stopped}
    if not np.isfinite(br.hi):
        return -np.inf, info
    return float(y @ q) / X.shape[0] / max(1.0, float(br.hi)), info


def _bp_problem(X, y, cells: WorkingCells, solver: str):
    """The restricted basis pursuit in SVD form; ``(Vp, Vm, q, range_residual, status)``."""
    import cvxpy as cp
    import scipy.sparse as sp

    n, d = X.shape
    k = len(cells)
    M = (cells.patterns.T[:, :, None] * X[:, None, :]).reshape(n, k * d)
    U, S, Vt = np.linalg.svd(M, full_matrices=False)
    keep = S > max(float(S[0]) if S.size else 0.0, 1e-300) * 1e-12
    U, S, Vt = U[:, keep], S[keep], Vt[keep]
    b = U.T @ y
    ny = max(float(np.linalg.norm(y)), 1e-300)
    rres = float(np.linalg.norm(y - U @ b)) / ny
    rows, cols, vals, r = [], [], [], 0
    for j in range(k):
        w = cells.walls[j]
        G = np.where(cells.patterns[j, w], 1.0, -1.0)[:, None] * X[w]
        for g in G:
            rows.extend([r] * d)
            cols.extend(range(j * d, j * d + d))
            vals.extend(g)
            r += 1
    G = sp.csr_matrix((vals, (rows, cols)), shape=(max(r, 1), k * d))
    xp, xm = cp.Variable(k * d), cp.Variable(k * d)
    eq = (S[:, None] * Vt) @ (xp - xm) == b
    obj = cp.sum(cp.norm(cp.reshape(xp, (k, d), order="C"), 2, axis=1)) + \
        cp.sum(cp.norm(cp.reshape(xm, (k, d), order="C"), 2, axis=1))
    prob = cp.Problem(cp.Minimize(obj), [eq] + ([G @ xp >= 0, G @ xm >= 0] if r else []))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            prob.solve(solver=solver, **solver_options(solver, 1e-12))
    except Exception as err:  # cvxpy.SolverError and friends
        raise SolverError(f"restricted basis pursuit ({solver}, {k} cells): {err}") from err
    if prob.status not in ("optimal", "optimal_inaccurate") or xp.value is None:
        raise SolverError(f"restricted basis pursuit ({solver}, {k} cells): status {prob.status}")
    q = n * (U @ np.asarray(eq.dual_value, dtype=float))
    if float(y @ q) < 0:
        q = -q
    return xp.value.reshape(k, d), xm.value.reshape(k, d), q, rres, prob.status


def restricted_basis_pursuit(X, y, cells: WorkingCells, *, solver: str = "CLARABEL", wall_rounds: int = 30):
    """Basis pursuit over the working ``cells`` (walls completed lazily); ``(atoms, q, range_residual, status)``.

    ``atoms`` are ``(cell, sign, v)`` triples (:mod:`blasso.solvers.colgen`); ``q`` the dual in the range of
    the working features.
    """
    atoms, (q, rres, status) = solve_with_lazy_walls(X, cells, lambda: _bp_problem(X, y, cells, solver), rtol=1e-9,
                                                     wall_rounds=wall_rounds)
    return atoms, q, rres, status


def _warm_start(X, y, cfg: BPConfig, cells, start: Measure | None, say) -> tuple[WorkingCells, list, Measure]:
    """The working set, the lower-bound candidates ``(label, q, sup)`` and the measure of the warm BLASSO path."""
    n, d = X.shape
    cands = []
    if cfg.warm_lams:
        path = lam_path(X, y, list(cfg.warm_lams), config=cfg.colgen or ColgenConfig(check_unique=False),
                        progress=say)
        for lam, res in zip(cfg.warm_lams, path):
            cands.append((f"BLASSO dual p_lam at lam = {lam:g}", res.info["p"], res.sup))
        return path[-1].info["working_cells"], cands, path[-1].measure
    wc = cells if cells is not None else WorkingCells.empty(n)
    Xh = _unit_rows(X)
    nw = _walls_per_cell(ColgenConfig(), n, d)
    for th in ([] if start is None else start.theta):
        _add_cell(wc, X, Xh, th, nw)
    if len(wc) == 0:
        _add_cell(wc, X, Xh, normalize(X.T @ y), nw)
    return wc, cands, start if start is not None else Measure.empty(d)


def _cell_atoms(X, wc: WorkingCells, nu: Measure) -> list:
    """``(cell, sign, v)`` triples of ``nu``'s atoms whose cells are in the working set."""
    out = []
    for th, c in zip(nu.theta, nu.c):
        k = wc.index((X @ th) > 0)
        if k is not None:
            out.append((k, 1.0 if c > 0 else -1.0, abs(c) * th))
    return out


def _best_lower(X, y, cands: list) -> tuple[float, str, dict]:
    best = (-np.inf, "none", {})
    n = X.shape[0]
    for label, q, sup in cands:
        hi = float(sup.get("hi", np.inf)) if sup else np.inf
        if np.isfinite(hi):
            val = float(y @ q) / n / max(1.0, hi)
            if val > best[0]:
                best = (val, label, sup)
    return best


def solve_basis_pursuit(X, y, *, config: BPConfig | None = None, cells: WorkingCells | None = None,
                        start: Measure | None = None, duals: list | None = None, progress=None) -> BPResult:
    """``min ||nu||_TV`` subject to ``Phi nu = y`` over the sphere by column generation, with a rigorous lower bound.

    Parameters
    ----------
    X : array_like (n, d)
    y : array_like (n,)
    config : BPConfig, optional
    cells : WorkingCells, optional
        A working set to start from (used when ``config.warm_lams`` is empty).
    start : Measure, optional
        Atoms whose cells start the working set (idem), e.g. the optimum at the
        smallest ``lam`` of a path: before any column generation, basis pursuit
        on the cells of its largest atoms is tried (:func:`_sparsest`), which
        closes at once when the teacher is identifiable.
    duals : list of (label, q, sup), optional
        More lower-bound candidates, e.g. the duals ``p_lam`` of a BLASSO path
        with their rigorous sup dicts (``hi``): any ``q`` gives
        ``<y, q>/n / max(1, hi)``.
    progress : callable, optional

    Returns
    -------
    BPResult

    Examples
    --------
    >>> from blasso import make_instance
    >>> inst = make_instance(teacher="paper", n=40, d=2, m=1, seed=0)
    >>> bp = solve_basis_pursuit(inst.X, inst.y, config=BPConfig(warm_lams=(1e-3,)))
    >>> abs(bp.tv - 1.0) < 1e-7 and bp.lower > 1.0 - 1e-7 and bp.residual < 1e-7
    True
    """
    from blasso.certificates.sup import sup_abs_eta

    cfg = config or BPConfig()
    X = check_X(X)
    y = check_y(y, X.shape[0])
    if not np.any(y):
        raise BlassoInputError("y = 0: the basis pursuit solution is the zero measure")
    say = as_progress(progress)
    t0 = time.perf_counter()
    n, d = X.shape
    rng = check_rng(cfg.seed)
    Xh = _unit_rows(X)
    nw = _walls_per_cell(ColgenConfig(), n, d)
    wc, cands, warm = _warm_start(X, y, cfg, cells, start, say)
    cands = cands + list(duals or [])
    rounds, extra, stop, q, nu, rres = [], np.zeros((0, d)), "max_rounds", None, Measure.empty(d), np.nan
    quick, info = _sparsest(X, y, wc, _cell_atoms(X, wc, warm), warm, _best_lower(X, y, cands)[0], cfg.solver,
                            tol=cfg.rel_width)
    if info:   # the warm measure's largest cells already give a primal within the certified gap
        rounds.append(info)
        return _bp_result(X, y, quick, None, 0.0, cands, rounds, len(wc), "converged (sparsest warm cells)", t0, say)
    for rnd in range(cfg.max_rounds):
        atoms, q, rres, status = restricted_basis_pursuit(X, y, wc, solver=cfg.solver)
        nu = _measure(atoms, d)
        budget = max(0.5, min(cfg.sup_budget, t0 + cfg.time_budget - time.perf_counter()) * 0.25)
        V, vals = _violators(q, X, _starts(nu, extra, cfg.n_starts, rng), cfg.cg_tol, budget)
        row = {"round": rnd + 1, "cells": len(wc), "atoms": len(nu), "tv": nu.tv, "range_residual": rres,
               "ascent_max": float(vals.max(initial=-np.inf)), "status": status}
        if not V.shape[0]:
            left = max(1.0, min(cfg.sup_budget, t0 + cfg.time_budget - time.perf_counter()))
            br = sup_abs_eta(q, X, tol=min(1e-6, 0.1 * cfg.rel_width), time_budget=left, rng=rng,
                             extra_starts=nu.theta if len(nu) else None)
            sup = {"lo": float(br.lo), "hi": float(br.hi), "method": br.method, "stopped": br.stopped}
            cands.append((f"restricted basis-pursuit dual (round {rnd + 1})", q, sup))
            row.update(sup_lo=sup["lo"], sup_hi=sup["hi"])
            if br.lo > 1.0 + cfg.cg_tol and br.theta_lo is not None:
                V = br.theta_lo[None]
        lower = _best_lower(X, y, cands)[0]
        row["lower"] = None if not np.isfinite(lower) else lower
        rounds.append(row)
        say(f"basis pursuit round {rnd + 1}: {len(wc)} cells, {len(nu)} atoms, TV = {nu.tv:.12g}, "
            f"lower {lower:.12g}")
        if np.isfinite(lower) and (nu.tv - lower) <= cfg.rel_width * nu.tv:
            stop = "converged"
            break
        if time.perf_counter() - t0 > cfg.time_budget:
            stop = "time_budget"
            break
        if not V.shape[0]:
            stop = "sup not resolved within its budget"
            break
        before = len(wc)
        for th in V[:cfg.batch]:
            _add_cell(wc, X, Xh, th, nw)
        extra = V[:4 * cfg.batch]
        if len(wc) == before:
            stop = "violating cells already in the working set (restricted problem not solved to tolerance)"
            break
    nu, info = _sparsest(X, y, wc, atoms, nu, _best_lower(X, y, cands)[0], cfg.solver, tol=max(cfg.rel_width, 1e-9))
    if info:
        rounds.append(info)
    return _bp_result(X, y, nu, q, rres, cands, rounds, len(wc), stop, t0, say)


def _sparsest(X, y, wc: WorkingCells, atoms: list, nu: Measure, lower: float, solver: str,
              tol: float = 1e-9, max_k: int = 12) -> tuple[Measure, dict]:
    """The primal on the fewest working cells (largest atoms first) that is still optimal within ``tol``.

    An interior-point primal spreads a little mass over the neighbouring cells
    of an atom (splitting an atom by an angle ``a`` costs TV only at order
    ``a^2``), so the restricted problem is re-solved on the cells of the ``K``
    largest atoms, ``K = 1, 2, ...``, and the first whose range residual and
    ``(tv - lower) / tv`` are below ``tol`` is kept.
    """
    if not np.isfinite(lower) or not atoms:
        return nu, {}
    order = sorted(range(len(atoms)), key=lambda i: -float(np.linalg.norm(atoms[i][2])))
    n, d = X.shape
    for K in range(1, min(len(atoms), max_k) + 1):
        sub = WorkingCells.empty(n)
        for i in order[:K]:
            c = atoms[i][0]
            sub.add(wc.patterns[c], wc.walls[c])
        try:
            at, _, rres, _ = restricted_basis_pursuit(X, y, sub, solver=solver)
        except SolverError:
            continue
        cand = _measure(at, d)
        res = float(np.linalg.norm(y - cand.evaluate(X))) / float(np.linalg.norm(y))
        if rres <= tol and res <= tol and cand.tv - lower <= tol * cand.tv:
            return cand, {"sparsest": K, "tv": cand.tv, "residual": res, "dropped_mass": nu.tv - cand.tv}
    return nu, {}


def _bp_result(X, y, nu, q, rres, cands, rounds, ncells, stop, t0, say) -> BPResult:
    nu = nu.merge(0.0).sorted() if len(nu) else nu
    if len(nu):
        keep = np.abs(nu.c) > 1e-9 * float(np.abs(nu.c).max())
        nu = Measure(nu.theta[keep], nu.c[keep])
    res = float(np.linalg.norm(y - nu.evaluate(X))) / float(np.linalg.norm(y))
    lower, source, sup = _best_lower(X, y, cands)
    gap = (nu.tv - lower) / max(nu.tv, 1e-300) if np.isfinite(lower) else np.inf
    wall = time.perf_counter() - t0
    say(f"basis pursuit: TV = {nu.tv:.12g} (residual {res:.1e}), lower bound {lower:.12g} ({source}), "
        f"relative gap {gap:.1e}, {len(nu)} atoms, {wall:.1f}s ({stop})")
    return BPResult(measure=nu, tv=nu.tv, residual=res, lower=lower, lower_source=source, sup=sup, rel_gap=gap,
                    range_residual=rres, rounds=rounds, cells=ncells, stopped=stop, wall_s=wall, q=q)
