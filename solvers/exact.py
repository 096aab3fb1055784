"""The exact finite convex program of the continuous BLASSO (Pilanci & Ergen 2020), verified.

On the closure of a cell ``C_k`` of the arrangement ``{x_i^perp}``
(:mod:`blasso.solvers.patterns`) the features are linear, ``relu(X theta) = D_k X theta``
(``D_k`` the cell's activation pattern).  An atom ``c delta_theta`` with
``theta`` in ``C_k`` and ``c > 0`` (``< 0``) is the vector ``v = c theta``
(``w = |c| theta``) in the cell's cone ``K_k = {(2 D_k - I) X v >= 0}``, with
``|c| = ||v||``.  Hence

``J* = min 1/(2n) ||y - sum_k D_k X (v_k - w_k)||^2 + lam sum_k (||v_k|| + ||w_k||)``
``     s.t. v_k, w_k in K_k``,

a group lasso with one cone-constrained variable per cell and sign.  Its dual
constraint is ``sup_{theta in C_k} +-eta_p(theta) <= 1`` for every cell and
sign, which :func:`blasso.certificates.cells.project_onto_cell` evaluates exactly.

:func:`solve_exact` solves it by cell-wise column generation: CVXPY (one
matrix variable per sign over a working set of cells, the cone constraints
only on each cell's walls) on the working set, an active-set Newton polish of
the recovered atoms, then the dual constraint of *every* cell is checked
exactly at ``p = (y - f)/lam`` and the violated cells join the working set.
When no cell is violated the working-set optimum is the optimum.  Then
**verified, not trusted**:

* ``J_upper = J(nu)`` evaluated directly (:func:`blasso.objective.blasso_objective`);
* ``J_lower = D(s p)``, ``s = 1/max(1, hi)`` with ``hi`` the rigorous upper
  bound of ``sup |eta_p|`` over the sphere (:func:`blasso.certificates.sup.sup_abs_eta`);
* uniqueness (:func:`uniqueness`): the continuous analogue of
  :func:`blasso.solvers.polish.equicorrelation_uniqueness`, stated only when proven.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from blasso.measure import Measure
from blasso.objective import blasso_objective, dual_objective
from blasso.progress import as_progress
from blasso.validation import (BlassoInputError, SolverError, check_lam, check_positive_int, check_X,
                               check_y)

from .patterns import DEFAULT_MAX_CELLS, LP_MAX_CELLS, Cells, cell_count_bound, enumerate_cells

__all__ = ["ExactConfig", "ExactResult", "exact_budget", "exact_affordable", "cell_duals", "solve_exact",
           "uniqueness", "measure_from_cell_weights"]


@dataclass(frozen=True)
class ExactConfig:
    """Settings of :func:`solve_exact`.

    Parameters
    ----------
    max_cells
        budget on the number of cells (closed form, checked first);
        default :data:`blasso.solvers.patterns.DEFAULT_MAX_CELLS` for d = 2, 3 and
        :data:`blasso.solvers.patterns.LP_MAX_CELLS` for d >= 4.
    cg_tol
        a cell joins the working set when its dual value exceeds ``1 + cg_tol``.
    screen_tol
        the polish starts from the atoms whose cell's dual (at the
        working-set solution) is at least ``1 - screen_tol`` (the others cannot be in the support).
    batch
        most cells added per round.
    max_rounds
        column-generation rounds.
    solver
        CVXPY solver of the working-set problem.
    sup_budget
        seconds for the rigorous sup of the verification (each call).
    polish
        run the active-set Newton polish.
    check_unique
        decide uniqueness (one more rigorous sup, with the support cells excluded).
    """

    max_cells: int | None = None
    cg_tol: float = 1e-11
    screen_tol: float = 1e-5
    batch: int = 40
    max_rounds: int = 60
    solver: str = "CLARABEL"
    sup_budget: float = 60.0
    polish: bool = True
    check_unique: bool = True


@dataclass
class ExactResult:
    """Output of :func:`solve_exact`.

    measure : the optimal measure found (atoms ``theta_k = v_k/||v_k||``, weights ``+-||v_k||``).
    J_upper : ``J(measure)`` evaluated directly.
    J_lower : ``D(s p)`` with the rigorous sup (a lower bound on the continuous J*).
    width, rel_width : ``J_upper - J_lower`` and its ratio to ``J_upper``.
    sup : the rigorous sup bracket of ``|eta_p|`` (dict).
    uniqueness : :func:`uniqueness` report (or None).
    cells : :meth:`blasso.solvers.patterns.Cells.to_dict`.
    rounds : list of per-round dicts (working-set size, J, largest violation).
    polish : what the polish did.
    timings : seconds per stage.
    """

    measure: Measure
    J_upper: float
    J_lower: float
    width: float
    rel_width: float
    sup: dict
    uniqueness: dict | None
    cells: dict
    rounds: list
    polish: dict
    timings: dict
    solver: str
    info: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"J_upper": self.J_upper, "J_lower": self.J_lower, "width": self.width, "rel_width": self.rel_width,
                "n_atoms": len(self.measure), "sup": self.sup, "uniqueness": self.uniqueness, "cells": self.cells,
                "rounds": self.rounds, "polish": self.polish, "timings": self.timings, "solver": self.solver,
                **self.info}


def exact_budget(d: int, max_cells: int | None = None) -> int:
    """The cell budget used for dimension ``d``."""
    if max_cells is not None:
        return check_positive_int(max_cells, name="max_cells")
    return DEFAULT_MAX_CELLS if d in (2, 3) else LP_MAX_CELLS


def exact_affordable(X, max_cells: int | None = None) -> tuple[bool, int, int]:
    """``(affordable, closed-form cell count, budget)`` before any enumeration."""
    X = check_X(X)
    bound = cell_count_bound(X)
    budget = exact_budget(X.shape[1], max_cells)
    return bound <= budget, bound, budget


# ------------------------------------------------------------- dual check
def _pad_walls(cells: Cells):
    """Walls as a padded (P, w) index array with a mask and the signs of the cone constraints."""
    wmax = max(w.size for w in cells.walls)
    idx = np.zeros((len(cells), wmax), dtype=int)
    mask = np.zeros((len(cells), wmax), dtype=bool)
    for k, w in enumerate(cells.walls):
        idx[k, :w.size] = w
        mask[k, :w.size] = True
    sgn = np.where(np.take_along_axis(cells.patterns, idx, axis=1), 1.0, -1.0)
    return idx, mask, sgn


def _arc_sup(Vf: np.ndarray, A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``sup <theta, v>`` over unit ``theta`` in the 2-D cone of unit rays ``a, b`` (row-wise)."""
    va, vb = np.sum(Vf * A, axis=1), np.sum(Vf * B, axis=1)
    g = np.sum(A * B, axis=1)
    det = 1.0 - g * g
    al, be = (va - g * vb) / det, (vb - g * va) / det
    inside = (al >= 0) & (be >= 0)
    proj = np.sqrt(np.maximum(al * va + be * vb, 0.0))
    return np.where(inside, proj, np.maximum(0.0, np.maximum(va, vb)))


def cell_duals(p: np.ndarray, X: np.ndarray, cells: Cells, *, only_above: float = 1.0) -> np.ndarray:
    """``sup_{theta in C_k} s eta_p(theta)`` for every cell and sign ``s = +1, -1``: array (P, 2).

    On a cell ``eta_p = <theta, v_k>``; the sup over the cell's cone is
    ``||v_k||`` when ``s v_k`` lies in the cone, else the largest sup over the
    cone's 2-D faces (d = 2, 3, vectorised; a face is an arc of a great
    circle), or the exact projection of :func:`blasso.certificates.cells.project_onto_cell`
    (d >= 4; cells with ``||v_k|| <= only_above`` then get ``||v_k||``, an
    upper bound, enough to show they are not violated).
    """
    n, d = X.shape
    V = (cells.patterns * p) @ X / n
    vn = np.linalg.norm(V, axis=1)
    out = np.repeat(vn[:, None], 2, axis=1)
    if cells.facets is not None:
        fc, A, B = cells.facets
        idx, mask, sgn = _pad_walls(cells) if d == 3 else (None, None, None)
        for j, s in enumerate((1.0, -1.0)):
            face = np.zeros(len(cells))
            np.maximum.at(face, fc, _arc_sup(s * V[fc], A, B))
            if d == 3:
                G = np.einsum("kwd,kd->kw", X[idx], s * V) * sgn
                inside = np.all(np.where(mask, G >= 0, True), axis=1)
                out[:, j] = np.where(inside, vn, face)
            else:
                out[:, j] = face
        return out
    from blasso.certificates.cells import project_onto_cell

    for k in np.flatnonzero(vn > only_above):
        for j, s in enumerate((1.0, -1.0)):
            out[k, j] = project_onto_cell(s * V[k], X, cells.patterns[k], walls=cells.walls[k]).value
    return out


# ------------------------------------------------------- working-set problem
def _working_problem(X, y, lam, cells: Cells, W: np.ndarray, solver: str):
    """Solve the group lasso on the cells ``W`` (both signs): (Vp, Vm) arrays (k, d)."""
    import cvxpy as cp
    import scipy.sparse as sp

    n, d = X.shape
    k = W.size
    Dm = cells.patterns[W].T.astype(np.float64)                       # (n, k)
    M = (Dm[:, :, None] * X[:, None, :]).reshape(n, k * d)
    rows, cols, vals, r = [], [], [], 0
    for j, cell in enumerate(W):
        walls = cells.walls[cell]
        s = np.where(cells.patterns[cell, walls], 1.0, -1.0)
        G = s[:, None] * X[walls]
        for q in range(walls.size):
            rows.extend([r] * d)
            cols.extend(range(j * d, j * d + d))
            vals.extend(G[q])
            r += 1
    G = sp.csr_matrix((vals, (rows, cols)), shape=(r, k * d))
    xp, xm = cp.Variable(k * d), cp.Variable(k * d)
    Vp, Vm = cp.reshape(xp, (k, d), order="C"), cp.reshape(xm, (k, d), order="C")
    obj = cp.sum_squares(y - M @ (xp - xm)) / (2 * n) + lam * (cp.sum(cp.norm(Vp, 2, axis=1))
                                                             + cp.sum(cp.norm(Vm, 2, axis=1)))
    prob = cp.Problem(cp.Minimize(obj), [G @ xp >= 0, G @ xm >= 0])
    try:
        prob.solve(solver=solver)
    except Exception as err:  # cvxpy.SolverError and friends
        raise SolverError(f"exact program ({solver}, {k} cells): {err}") from err
    if prob.status not in ("optimal", "optimal_inaccurate") or xp.value is None:
        raise SolverError(f"exact program ({solver}, {k} cells): status {prob.status}")
    return xp.value.reshape(k, d), xm.value.reshape(k, d), prob.status


def _atoms(cells: Cells, W: np.ndarray, Vp: np.ndarray, Vm: np.ndarray, rtol: float = 1e-9):
    """Atoms ``(cell, sign, v)`` with ``||v|| > rtol * max``."""
    norms = np.concatenate([np.linalg.norm(Vp, axis=1), np.linalg.norm(Vm, axis=1)])
    top = float(norms.max(initial=0.0))
    out = []
    for j in range(W.size):
        for s, V in ((1.0, Vp), (-1.0, Vm)):
            if np.linalg.norm(V[j]) > rtol * top and top > 0:
                out.append((int(W[j]), s, V[j].copy()))
    return out


def _measure(atoms, d: int) -> Measure:
    if not atoms:
        return Measure.empty(d)
    th = np.array([v / np.linalg.norm(v) for _, _, v in atoms])
    c = np.array([s * np.linalg.norm(v) for _, s, v in atoms])
    return Measure(th, c)


def measure_from_cell_weights(V, W, *, atol: float = 1e-12) -> Measure:
    """The measure of the convex program's weights: atoms ``v/||v||`` with ``+||v||``, ``w/||w||`` with ``-||w||``.

    ``V``, ``W`` (k, d): the positive and negative cell variables, e.g. the
    ``parameters`` of a pyscnn convex model reshaped; rows with norm at most
    ``atol`` carry no atom.
    """
    V, W = (np.atleast_2d(np.asarray(a, dtype=float)) for a in (V, W))
    th, c = [], []
    for M, s in ((V, 1.0), (W, -1.0)):
        nr = np.linalg.norm(M, axis=1)
        k = nr > atol
        th.append(M[k] / nr[k, None])
        c.append(s * nr[k])
    return Measure(np.vstack(th), np.concatenate(c))


# ------------------------------------------------------------------ polish
def _newton(A_blocks, y, lam, u0, n, max_iter=80, drop_rtol=1e-10):
    """Minimise ``1/(2n)||y - sum A_k u_k||^2 + lam sum ||u_k||`` by damped Newton from ``u0``.

    Returns ``(blocks, drop)``: ``drop`` lists the blocks whose norm
    collapsed (those atoms leave the support), else None.
    """
    sizes = [A.shape[1] for A in A_blocks]
    A = np.hstack(A_blocks)
    offs = np.cumsum([0] + sizes)
    u = np.concatenate(u0)
    top = max(np.linalg.norm(b) for b in u0)

    def bnorms(u):
        return np.sqrt(np.add.reduceat(u * u, offs[:-1]))

    def val(u):
        r = y - A @ u
        return r @ r / (2 * n) + lam * float(bnorms(u).sum())

    f = val(u)
    H0 = A.T @ A / n
    for _ in range(max_iter):
        r = y - A @ u
        g = -A.T @ r / n
        H = H0.copy()
        norms = bnorms(u)
        if np.any(norms <= drop_rtol * top):
            return None, [int(i) for i in np.flatnonzero(norms <= drop_rtol * top)]
        for i in range(len(sizes)):
            ui = u[offs[i]:offs[i + 1]]
            nu = norms[i]
            e = ui / nu
            g[offs[i]:offs[i + 1]] += lam * e
            H[offs[i]:offs[i + 1], offs[i]:offs[i + 1]] += lam * (np.eye(sizes[i]) - np.outer(e, e)) / nu
        if not (np.all(np.isfinite(H)) and np.all(np.isfinite(g))):
            break  # overflow near a collapsing block: stop at the last finite iterate
        try:
            step = np.linalg.solve(H, g)
            ok = np.all(np.isfinite(step)) and np.linalg.norm(H @ step - g) <= 1e-10 * np.linalg.norm(g)
        except np.linalg.LinAlgError:
            ok = False
        if not ok:  # singular (e.g. two atoms on one shared wall): least squares
            step = np.linalg.lstsq(H, g, rcond=None)[0]
        As = A @ step
        big = 10.0 * max(float(np.linalg.norm(u)), 1e-300)
        t, fn = 1.0, np.inf
        while t > 1e-12:
            un = u - t * step
            # trial values from the updated residual (O(n)) unless the step is large, where its rounding would show
            fn = val(un) if t * float(np.linalg.norm(step)) > big else \
                float((r + t * As) @ (r + t * As)) / (2 * n) + lam * float(bnorms(un).sum())
            if fn <= f:
                break
            t *= 0.5
        if not fn <= f:
            break
        done = np.linalg.norm(t * step) <= 1e-15 * max(1.0, np.linalg.norm(u))
        u, f = un, fn
        if done:
            break
    return [u[offs[i]:offs[i + 1]] for i in range(len(sizes))], None


def _slack(X, cells: Cells, cell: int, v: np.ndarray):
    walls = cells.walls[cell]
    sg = np.where(cells.patterns[cell, walls], 1.0, -1.0)
    return walls, sg * (X[walls] @ v) / (np.linalg.norm(X[walls], axis=1) * max(np.linalg.norm(v), 1e-300))


def _polish_once(X, y, lam, cells: Cells, atoms: list, active: list, max_rounds: int):
    n, d = X.shape
    dropped = 0
    for _ in range(max_rounds + len(atoms)):
        blocks, u0, bases, pinned = [], [], [], None
        for i, ((cell, s, v), act) in enumerate(zip(atoms, active)):
            B = np.eye(d)
            if act.size:
                _, sv, Vt = np.linalg.svd(X[act], full_matrices=True)
                B = Vt[int(np.sum(sv > 1e-12 * sv[0])):].T
            if B.shape[1] == 0:
                pinned = [i]
                break
            bases.append(B)
            blocks.append(s * (cells.patterns[cell][:, None] * X) @ B)
            u0.append(B.T @ v)
        drop = pinned
        if drop is None:
            u, drop = _newton(blocks, y, lam, u0, n)
        if drop is not None:  # the atom's face is {0} or its weight collapsed: it leaves the support
            atoms = [a for i, a in enumerate(atoms) if i not in drop]
            active = [a for i, a in enumerate(active) if i not in drop]
            dropped += len(drop)
            if not atoms:
                return None, "every weight reached zero"
            continue
        new, crossed = [], False
        for i, ((cell, s, _), B) in enumerate(zip(atoms, bases)):
            v = B @ u[i]
            walls, sl = _slack(X, cells, cell, v)
            bad = np.setdiff1d(walls[sl < -1e-13], active[i])
            if bad.size:
                active[i] = np.union1d(active[i], bad)
                crossed = True
            new.append((cell, s, v))
        if not crossed:
            return new, {"active_walls": int(sum(a.size for a in active)), "dropped_atoms": dropped}
        atoms = new
    return None, "active set did not settle"


def polish_atoms(X, y, lam, cells: Cells, atoms: list, *, max_active_rounds: int = 8,
                 wall_tols=(1e-7, 1e-5, 0.0)):
    """Active-set Newton on the recovered atoms: exact stationarity on each atom's cell face.

    Every atom ``(cell, sign, v)`` moves in the subspace of its cell's cone where
    its active walls stay active; walls it crosses become active and Newton
    restarts; an atom whose face shrinks to ``{0}`` or whose weight collapses is
    dropped.  The initial active walls are those with a relative slack below
    each of ``wall_tols`` in turn; the attempt with the smallest J is kept.
    Returns ``(atoms, info)``.
    """
    d = X.shape[1]
    best, best_J, best_info, reasons = None, np.inf, None, []
    for tol in wall_tols:
        active = []
        for cell, _, v in atoms:
            walls, sl = _slack(X, cells, cell, v)
            active.append(walls[sl <= tol] if tol > 0 else np.zeros(0, dtype=int))
        out, info = _polish_once(X, y, lam, cells, list(atoms), active, max_active_rounds)
        if out is None:
            reasons.append(f"wall tol {tol:g}: {info}")
            continue
        J = blasso_objective(_measure(out, d), X, y, lam)
        if J < best_J:
            best, best_J, best_info = out, J, {**info, "wall_tol": tol}
    if best is None:
        return atoms, {"polished": False, "reason": "; ".join(reasons)}
    return best, {"polished": True, "reason": "stationary on every atom's cell face", **best_info}


def _repair_atoms(X, y, lam, cells: Cells, atoms: list, duals: np.ndarray, tol: float, top: float,
                  max_new: int = 6) -> list:
    """Atoms plus a small atom at the maximiser of the ``max_new`` most violated (cell, sign)."""
    from blasso.certificates.cells import project_onto_cell

    n = X.shape[0]
    p = (y - _measure(atoms, X.shape[1]).evaluate(X)) / lam
    have = {(c, s): i for i, (c, s, _) in enumerate(atoms)}
    atoms, extra = list(atoms), []
    kk, jj = np.nonzero(duals > 1.0 + tol)
    order = np.argsort(-duals[kk, jj])[:max_new]          # the most violated few only
    for k, j in zip(kk[order], jj[order]):
        s = 1.0 if j == 0 else -1.0
        v = s * (cells.patterns[k] * p) @ X / n
        pr = project_onto_cell(v, X, cells.patterns[k], walls=cells.walls[k])
        if pr.theta is None:
            continue
        push = 1e-4 * top * pr.theta
        i = have.get((int(k), s))
        if i is None:
            extra.append((int(k), s, push))
        else:  # the atom is there but stuck on a wall: push it towards the cell's maximiser
            atoms[i] = (atoms[i][0], s, atoms[i][2] + push)
    return atoms + extra


def _polish_and_repair(X, y, lam, cells: Cells, raw: list, raw_duals: np.ndarray, cand: list, tol: float,
                       repairs: int = 3):
    """Polish ``cand``; while some cell's dual exceeds ``1 + tol``, add (or push) a small atom at its
    maximiser and polish again.  Every candidate is scored by the width of its bracket
    ``J(nu) - D(p / max(1, max dual))`` (the exact cell duals); the narrowest is kept (``raw`` included).

    Returns the atoms, their duals and the polish report.
    """
    d = X.shape[1]

    def scored(at):
        nu = _measure(at, d)
        p = (y - nu.evaluate(X)) / lam
        dl = cell_duals(p, X, cells)
        return blasso_objective(nu, X, y, lam) - dual_objective(p / max(1.0, float(dl.max())), y, lam), dl

    best = raw
    best_w, best_duals = scored(raw)
    top = max(np.linalg.norm(v) for _, _, v in raw)
    pol = {"polished": False, "reason": "the polish did not narrow the bracket"}
    atoms = cand
    for rep in range(repairs + 1):
        out, info = polish_atoms(X, y, lam, cells, atoms)
        if not info["polished"]:
            if rep == 0:
                pol = info
            break
        w, dl = scored(out)
        if w < best_w:
            best, best_w, best_duals, pol = out, w, dl, {**info, "repairs": rep}
        if dl.max() <= 1.0 + tol:
            break
        atoms = _repair_atoms(X, y, lam, cells, out, dl, tol, top)
    pol["bracket_estimate"] = float(best_w)
    return best, best_duals, pol


# ------------------------------------------------------------ main entry
def _rigorous_sup(p, X, budget, exclude=None):
    from blasso.certificates.sup import sup_abs_eta

    return sup_abs_eta(p, X, exclude_patterns=exclude, time_budget=budget)


def _initial_set(X, y, lam, cells: Cells, batch: int) -> np.ndarray:
    """Working set to start from: the cells of a grid LASSO on one interior direction per cell,
    plus the ``batch`` most violated cells at its dual."""
    from blasso.sphere import Grid

    from . import solve_lasso

    try:
        res = solve_lasso(X, y, lam, Grid(cells.interior, kind="cells"), solver="FAST", allow_inaccurate=True)
        nu = res.measure()
        start = np.flatnonzero(np.abs(np.asarray(res.c)) > 0)
    except SolverError:
        nu, start = Measure.empty(X.shape[1]), np.zeros(0, dtype=int)
    duals = cell_duals((y - nu.evaluate(X)) / lam, X, cells).max(axis=1)
    duals[start] = -np.inf
    order = np.argsort(-duals)[:max(1, batch)]
    return np.union1d(start, order[duals[order] > 1.0])


def solve_exact(X, y, lam: float, *, config: ExactConfig | None = None, cells: Cells | None = None,
                progress=None) -> ExactResult:
    """The continuous BLASSO optimum through the exact finite program, verified.

    Parameters
    ----------
    X : array_like (n, d)
    y : array_like (n,)
    lam : float > 0
    config : ExactConfig, optional
    cells : Cells, optional
        A precomputed enumeration of ``X`` (else :func:`blasso.solvers.patterns.enumerate_cells`).
    progress : callable, optional
        A :mod:`blasso.progress` hook.

    Returns
    -------
    ExactResult

    Raises
    ------
    BlassoInputError
        When the closed-form number of cells exceeds the budget (before enumerating).
    SolverError
        When CVXPY fails or column generation does not converge in ``max_rounds``.
    """
    cfg = config or ExactConfig()
    X = check_X(X)
    y = check_y(y, X.shape[0])
    lam = check_lam(lam)
    n, d = X.shape
    say = as_progress(progress)
    t0 = time.perf_counter()
    ok, bound, budget = exact_affordable(X, cfg.max_cells)
    if not ok:
        raise BlassoInputError(f"exact program refused: up to {bound} activation patterns (cells) for n = {n}, "
                               f"d = {d}, over the budget of {budget}; use the exchange rounds instead")
    if cells is None:
        say(f"exact: enumerating up to {bound} cells ...")
        cells = enumerate_cells(X, max_cells=budget)
    t_enum = time.perf_counter() - t0
    say(f"exact: {len(cells)} cells ({cells.method}, closed form {cells.closed_form}) in {t_enum:.2f}s")
    W = _initial_set(X, y, lam, cells, cfg.batch)
    if W.size == 0:
        W = np.array([0])
    rounds, atoms, pol, status = [], [], {"polished": False, "reason": "not run"}, ""
    t_solve = t_check = 0.0
    for rnd in range(cfg.max_rounds):
        ta = time.perf_counter()
        Vp, Vm, status = _working_problem(X, y, lam, cells, W, cfg.solver)
        atoms = _atoms(cells, W, Vp, Vm)
        nu = _measure(atoms, d)
        duals = cell_duals((y - nu.evaluate(X)) / lam, X, cells)
        if cfg.polish and atoms:
            full = _atoms(cells, W, Vp, Vm, rtol=1e-6)
            cand = [a for a in full  # support screen: dual ~ 1 on the atom's cell
                    if duals[a[0], 0 if a[1] > 0 else 1] >= 1.0 - cfg.screen_tol]
            raw, raw_duals = atoms, duals
            atoms, duals, pol = _polish_and_repair(X, y, lam, cells, raw, raw_duals, cand or full, cfg.cg_tol)
            if duals.max() > 1.0 + cfg.cg_tol and len(cand) < len(full):  # the screen may have cut an atom
                a2, d2, p2 = _polish_and_repair(X, y, lam, cells, raw, raw_duals, full, cfg.cg_tol)
                if p2.get("bracket_estimate", np.inf) < pol.get("bracket_estimate", np.inf):
                    atoms, duals, pol = a2, d2, {**p2, "unscreened": True}
        tb = time.perf_counter()
        nu = _measure(atoms, d)
        tc = time.perf_counter()
        t_solve += tb - ta
        t_check += tc - tb
        inW = np.zeros(len(cells), dtype=bool)
        inW[W] = True
        viol = duals.max(axis=1)
        out_viol = np.where(inW, -np.inf, viol)
        J = blasso_objective(nu, X, y, lam)
        rounds.append({"round": rnd + 1, "working_cells": int(W.size), "atoms": len(atoms), "J": J,
                       "max_dual_outside": float(out_viol.max(initial=-np.inf)),
                       "max_dual": float(viol.max()), "status": status})
        say(f"exact round {rnd + 1}: {W.size} cells, {len(atoms)} atoms, J = {J:.12g}, "
            f"max dual outside = {rounds[-1]['max_dual_outside']:.9f}")
        add = np.flatnonzero(out_viol > 1.0 + cfg.cg_tol)
        if add.size == 0:
            break
        add = add[np.argsort(-out_viol[add])][:cfg.batch]
        W = np.union1d(W, add)
    else:
        raise SolverError(f"exact program: column generation not converged in {cfg.max_rounds} rounds")
    nu = _measure(atoms, d).merge(0.0).sorted()  # atoms of adjacent cells on a shared wall coincide
    J_up = blasso_objective(nu, X, y, lam)
    p = (y - nu.evaluate(X)) / lam
    t1 = time.perf_counter()
    br = _rigorous_sup(p, X, cfg.sup_budget)
    J_lo = dual_objective(p / max(1.0, br.hi), y, lam)
    t_sup = time.perf_counter() - t1
    width = J_up - J_lo
    uniq = None
    t2 = time.perf_counter()
    if cfg.check_unique:
        uniq = uniqueness(X, y, lam, nu, J_lo, J_upper=J_up, sup_budget=cfg.sup_budget)
    t_uniq = time.perf_counter() - t2
    timings = {"enumerate_s": t_enum, "solve_s": t_solve, "check_s": t_check, "sup_s": t_sup,
               "uniqueness_s": t_uniq, "total_s": time.perf_counter() - t0}
    say(f"exact: J* in [{J_lo:.12g}, {J_up:.12g}] (width {width:.2e}), {len(nu)} atoms, "
        f"{timings['total_s']:.2f}s")
    return ExactResult(measure=nu, J_upper=J_up, J_lower=J_lo, width=width,
                       rel_width=width / max(abs(J_up), 1e-300), sup=_sup_dict(br), uniqueness=uniq,
                       cells=cells.to_dict(), rounds=rounds, polish=pol, timings=timings, solver=cfg.solver,
                       info={"status": status, "p": p})


def _sup_dict(br) -> dict:
    return {"lo": float(br.lo), "hi": float(br.hi), "method": br.method, "exact": bool(br.exact),
            "stopped": br.stopped, "safety": float(br.safety)}


# -------------------------------------------------------------- uniqueness
def uniqueness(X, y, lam: float, nu: Measure, J_lower: float, *, J_upper: float | None = None,
               sup_budget: float = 60.0, interior_rtol: float = 1e-9) -> dict:
    """Sufficient test that the continuous optimum is unique with exactly ``len(nu)`` atoms.

    With ``w = J(nu) - J_lower`` (``J_lower`` a rigorous lower bound on J*),
    strong convexity of the data fit in ``f`` gives ``||f - f*||^2 <= 2 n w``,
    so ``sup |eta_p - eta_p*| <= delta = sqrt(2 w) max||x_i|| / lam``
    (``p*`` the optimal dual, the same for every optimal measure).  Then:

    1. *off the support cells*: ``hi + delta < 1`` with ``hi`` the rigorous sup of
       ``|eta_p|`` over the closure of every cell not holding an atom, so every
       optimal measure is carried by the atoms' cells;
    2. *on an atom's cell* ``eta_p* = <theta, v*>`` is linear and the cell is a
       pointed cone (``rank X = d``), so ``|eta_p*| = 1`` at one point ``t*_k``
       at most (the atoms must lie strictly inside their cells);
    3. the features ``relu(X t*_k)`` are linearly independent:
       ``sigma_min(Phi_S) > E = ||X||_2 sqrt(sum_k eps_k^2)``, with
       ``eps_k = 2 delta / ||v_k|| + ||theta_k - v_k/||v_k|| ||`` bounding the
       distance of ``t*_k`` to the atom ``theta_k``; then ``Phi* c = f*`` has one solution;
    4. *exactly m atoms*: ``min |c_k| > (sqrt(2 n w) + E ||c||) / (sigma_min - E)``
       bounds ``||c - c*||`` from below, so every weight of ``nu*`` is non-zero
       (and has the sign of ``c_k``).

    Returns
    -------
    dict
        ``unique`` (bool: 1-3 hold), ``exactly_m`` (bool: 1-4 hold), ``m``,
        the margins, ``atom_displacement`` (``eps_k``: the optimum's atom ``t*_k``
        is within this angle of ``theta_k``, once steps 1-2 hold) and the
        ``reason`` when a step fails.  Floating-point
        rounding of the SVD is not counted (margins are reported).
    """
    X = check_X(X)
    y = check_y(y, X.shape[0])
    n, d = X.shape
    m = len(nu)
    J_up = blasso_objective(nu, X, y, lam) if J_upper is None else float(J_upper)
    w = max(0.0, J_up - float(J_lower))
    xmax = float(np.linalg.norm(X, axis=1).max())
    delta = np.sqrt(2 * w) * xmax / lam
    out = {"m": m, "unique": False, "exactly_m": False, "delta": float(delta), "width": w}
    if m == 0:
        out["reason"] = "empty measure"
        return out
    if np.linalg.matrix_rank(X) < d:
        out["reason"] = f"rank X < d = {d}: the cells are not pointed cones"
        return out
    p = (y - nu.evaluate(X)) / lam
    G = X @ nu.theta.T
    margin_wall = float(np.min(np.abs(G) / np.linalg.norm(X, axis=1)[:, None]))
    out["atom_wall_margin"] = margin_wall
    if margin_wall <= interior_rtol:
        out["reason"] = (f"an atom lies on a wall of its cell (relative distance {margin_wall:.1e} <= "
                         f"{interior_rtol:g}): its neighbour cell reaches |eta| = 1 too; not proven")
        return out
    pats = G.T > 0
    br = _rigorous_sup(p, X, sup_budget, exclude=pats)
    out["off_support_sup"] = _sup_dict(br)
    out["off_support_margin"] = float(1.0 - br.hi - delta)
    if not br.hi + delta < 1.0:
        out["reason"] = (f"sup |eta_p| off the atoms' cells is <= {br.hi:.9f}, plus delta {delta:.2e}, "
                         "not below 1: degenerate or not proven")
        return out
    V = (pats * p) @ X / n * np.sign(nu.c)[:, None]
    vn = np.linalg.norm(V, axis=1)
    eps = 2 * delta / vn + np.linalg.norm(nu.theta - V / vn[:, None], axis=1)
    Phi = np.maximum(X @ nu.theta.T, 0.0)
    smin = float(np.linalg.svd(Phi, compute_uv=False).min())
    E = float(np.linalg.norm(X, 2)) * float(np.sqrt(np.sum(eps ** 2)))
    out.update({"sigma_min": smin, "feature_perturbation": E, "atom_displacement": eps.tolist()})
    if not smin > E:
        out["reason"] = f"support features not proven independent: sigma_min {smin:.3e} <= {E:.3e}"
        return out
    out["unique"] = True
    bound = (np.sqrt(2 * n * w) + E * float(np.linalg.norm(nu.c))) / (smin - E)
    out["weight_error_bound"] = float(bound)
    out["min_abs_weight"] = float(np.abs(nu.c).min())
    out["exactly_m"] = bool(np.abs(nu.c).min() > bound)
    out["reason"] = (f"unique; exactly {m} atoms" if out["exactly_m"] else
                     f"unique, at most {m} atoms (a weight below the error bound {bound:.2e})")
    return out
