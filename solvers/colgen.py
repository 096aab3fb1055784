"""The certified BLASSO optimum in any dimension: column generation over activation cells.

The exact finite program (:mod:`blasso.solvers.exact`) is a group lasso with
one cone-constrained variable per cell of the arrangement ``{x_i^perp}`` and
sign; its dual constraint is ``sup_{theta in C} +-eta_p(theta) <= 1`` for every
cell ``C``, i.e. ``sup |eta_p| <= 1`` over the sphere.  Enumerating the cells
stops at a few thousand cells in d >= 4 (the Fig. 2 instance, n = 100 and
d = 5, has 7.9 million).  :func:`solve_certified` never enumerates:

1. **Working set.**  Cells are created on demand, from the atoms of a
   starting measure (a grid LASSO on the fast path, or a given measure such as
   a GD run's), and later from violating directions.  A cell is its
   activation pattern; its cone ``{theta : s_i <x_i, theta> >= 0}`` is
   imposed through a *lazy* list of walls (the nearest hyperplanes first; a
   wall an atom crosses joins its list and the problem is solved again), so
   the restricted problem never carries ``n`` constraints per cell.
2. **Restricted problem.**  The group lasso on the working cells, solved by
   CVXPY in Gram form (size independent of ``n``), then the active-set Newton
   polish of :func:`blasso.solvers.exact.polish_atoms` (exact stationarity on
   each atom's cell face; atoms on walls, the degenerate case, are handled
   by keeping those walls active).
3. **Pricing.**  At ``p = (y - f)/lam`` a batched ascent of ``|eta_p|``
   (:func:`blasso.certificates.sup.batch_ascent`) finds the violating cells
   (``|eta_p| > 1 + cg_tol``), which join with their cell maximiser as the
   first point.  When the ascent finds none, the rigorous sup
   (:func:`blasso.certificates.sup.sup_abs_eta`: the exact circle sweep in
   d = 2, the enumeration in d = 3, resolved branch and bound otherwise)
   either proves ``sup |eta_p| <= hi`` or returns a violating direction.
4. **Verification, as for the enumerating program.**  ``J_upper = J(nu)``
   is evaluated directly from the atoms; ``J_lower = D(s p)`` with
   ``s = 1/max(1, hi)`` and ``hi`` the rigorous upper end of the sup.  Nothing
   in steps 1-3 needs to be exact for the bracket to be valid: a missed cell
   can only leave ``hi`` above 1 and the bracket wide.

Each round's time and the working-set size are recorded and reported
through the progress hook; the whole solve stops at ``time_budget`` with the
bracket reached.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from blasso.measure import Measure
from blasso.memory import check_memory
from blasso.objective import blasso_objective, dual_objective
from blasso.progress import announce_estimate, as_progress
from blasso.sphere import normalize, random_sphere
from blasso.validation import (BlassoInputError, SolverError, check_lam, check_nonneg, check_positive_int, check_rng,
                               check_X, check_y)

from .exact import ExactResult, _measure, _repair_atoms, polish_atoms, uniqueness
from .lasso_cvxpy import solver_options
from .threads import blas_threads

__all__ = ["ColgenConfig", "WorkingCells", "solve_certified", "lam_path", "ALL_WALLS_N", "colgen_seconds"]

#: Up to this many samples every row's constraint is listed for every cell (the cone exactly);
#: above, the nearest hyperplanes first and the others lazily.
ALL_WALLS_N = 500


@dataclass(frozen=True)
class ColgenConfig:
    """Settings of :func:`solve_certified`.

    Parameters
    ----------
    rel_width : float
        Stop when ``(J_upper - J_lower) / J_upper <= rel_width``.
    cg_tol : float
        A direction is violating when ``|eta_p| > 1 + cg_tol``.
    time_budget : float
        Seconds for the whole solve (the last rigorous sup included).
    sup_budget : float
        Seconds for each rigorous sup.
    max_rounds : int
        Column-generation rounds.
    batch : int
        Most cells added per round.
    n_starts : int
        Random starts of the pricing ascent (plus the atoms and the previous violators).
    solver : str
        CVXPY solver of the restricted problem.
    initial_walls : int
        Walls listed for a new cell (its nearest hyperplanes; more join
        lazily); 0 = every row when ``n <= ALL_WALLS_N``, else ``4 d + 8``.
    check_unique : bool
        Run the uniqueness test at the end (one more rigorous sup).
    seed : int
        Seeds the random starts of the ascent.
    """

    rel_width: float = 1e-9
    cg_tol: float = 1e-12
    time_budget: float = 300.0
    sup_budget: float = 60.0
    max_rounds: int = 200
    batch: int = 30
    n_starts: int = 256
    solver: str = "CLARABEL"
    initial_walls: int = 0
    check_unique: bool = True
    seed: int = 0


@dataclass
class WorkingCells:
    """The working set: activation patterns and the lazily grown wall lists of their cones.

    Attributes
    ----------
    patterns : ndarray (k, n) of bool
        ``<x_i, theta> > 0`` on the cell.
    walls : list of int ndarray
        Rows whose constraint ``s_i <x_i, theta> >= 0`` is imposed (a superset
        of the cell's cone while incomplete; complete for every atom found feasible).
    """

    patterns: np.ndarray
    walls: list = field(default_factory=list)
    _keys: dict = field(default_factory=dict, repr=False)

    @classmethod
    def empty(cls, n: int) -> "WorkingCells":
        return cls(np.zeros((0, n), dtype=bool), [], {})

    def __len__(self) -> int:
        return self.patterns.shape[0]

    def index(self, pattern: np.ndarray) -> int | None:
        return self._keys.get(np.packbits(pattern).tobytes())

    def add(self, pattern: np.ndarray, walls: np.ndarray) -> int:
        """Add a cell (or return the index of the cell with that pattern)."""
        key = np.packbits(pattern).tobytes()
        if key in self._keys:
            return self._keys[key]
        self.patterns = np.vstack([self.patterns, pattern[None]])
        self.walls.append(np.unique(np.asarray(walls, dtype=np.int64)))
        self._keys[key] = len(self.walls) - 1
        return self._keys[key]

    def add_walls(self, cell: int, rows) -> None:
        self.walls[cell] = np.union1d(self.walls[cell], np.asarray(rows, dtype=np.int64))

    def keep(self, idx: np.ndarray) -> np.ndarray:
        """Keep only the cells ``idx``; returns the map old index -> new index (-1: dropped)."""
        idx = np.asarray(idx, dtype=np.int64)
        new = np.full(len(self), -1, dtype=np.int64)
        new[idx] = np.arange(idx.size)
        self.patterns = self.patterns[idx]
        self.walls = [self.walls[i] for i in idx]
        self._keys = {np.packbits(p).tobytes(): j for j, p in enumerate(self.patterns)}
        return new


def colgen_seconds(n: int, d: int) -> float:
    """Cost model of :func:`solve_certified` (seconds on the project's 2-core machine, a rough guide).

    Measured with the paper's teacher at lam = 1e-3: d = 5, n = 100 took
    20-33 s (9 rounds); d = 3, n = 60 took 2 s; d = 2 at n = 1e5 is
    dominated by the circle sweep and the restricted problem's Gram matrix.
    """
    if d <= 3:
        return 2.0 + n / 2e4
    return 30.0 * (n / 100.0) ** 1.5 * (d / 5.0) ** 2


# ------------------------------------------------------------------ cells
def _unit_rows(X: np.ndarray) -> np.ndarray:
    nr = np.linalg.norm(X, axis=1)
    return X / np.where(nr > 0, nr, 1.0)[:, None]


def _nearest_walls(Xh: np.ndarray, theta: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` rows whose hyperplanes are nearest to ``theta`` (smallest ``|<theta, x_i/|x_i|>|``)."""
    g = np.abs(Xh @ theta)
    g[~np.any(Xh != 0, axis=1)] = np.inf  # zero rows: no hyperplane
    k = min(k, g.size)
    return np.argpartition(g, k - 1)[:k] if k < g.size else np.arange(g.size)


def _add_cell(cells: WorkingCells, X, Xh, theta, n_walls: int) -> int:
    return cells.add((X @ theta) > 0, _nearest_walls(Xh, theta, n_walls))


def _walls_per_cell(cfg, n: int, d: int) -> int:
    if cfg.initial_walls:
        return int(cfg.initial_walls)
    return n if n <= ALL_WALLS_N else 4 * d + 8


def _infeasible_rows(X, cells: WorkingCells, cell: int, v: np.ndarray, tol: float = 1e-13) -> np.ndarray:
    """Rows whose cone constraint the atom ``v`` of ``cell`` violates (relative slack below ``-tol``)."""
    s = np.where(cells.patterns[cell], 1.0, -1.0)
    nx = np.linalg.norm(X, axis=1)
    slack = s * (X @ v) / (np.where(nx > 0, nx, 1.0) * max(float(np.linalg.norm(v)), 1e-300))
    return np.flatnonzero(slack < -tol)


# ---------------------------------------------------------- restricted problem
def _gram_factor(M: np.ndarray, n: int):
    """``R`` with ``R^T R = M^T M / n`` (eigen-factor, tiny negative eigenvalues clipped)."""
    Q = M.T @ M / n
    w, V = np.linalg.eigh(0.5 * (Q + Q.T))
    keep = w > max(float(w.max(initial=0.0)), 1e-300) * 1e-14
    return np.sqrt(w[keep])[:, None] * V[:, keep].T


def _restricted(X, y, lam, cells: WorkingCells, solver: str):
    """The group lasso on the working cells (both signs), in Gram form: arrays ``(Vp, Vm)`` (k, d)."""
    import cvxpy as cp
    import scipy.sparse as sp

    n, d = X.shape
    k = len(cells)
    M = (cells.patterns.T[:, :, None] * X[:, None, :]).reshape(n, k * d)  # (n, k d): blocks D_k X
    R = _gram_factor(M, n)
    b = M.T @ y / n
    rows, cols, vals, r = [], [], [], 0
    for j in range(k):
        w = cells.walls[j]
        G = np.where(cells.patterns[j, w], 1.0, -1.0)[:, None] * X[w]
        for q in range(w.size):
            rows.extend([r] * d)
            cols.extend(range(j * d, j * d + d))
            vals.extend(G[q])
            r += 1
    G = sp.csr_matrix((vals, (rows, cols)), shape=(max(r, 1), k * d))
    xp, xm = cp.Variable(k * d), cp.Variable(k * d)
    Vp, Vm = cp.reshape(xp, (k, d), order="C"), cp.reshape(xm, (k, d), order="C")
    u = xp - xm
    const = float(y @ y) / (2 * n)  # J itself, so that the relative gap tolerance is relative to J
    obj = (0.5 * cp.sum_squares(R @ u) - b @ u + const
           + lam * (cp.sum(cp.norm(Vp, 2, axis=1)) + cp.sum(cp.norm(Vm, 2, axis=1))))
    cons = [G @ xp >= 0, G @ xm >= 0] if r else []
    prob = cp.Problem(cp.Minimize(obj), cons)
    try:  # tight tolerances: the polish then starts from (nearly) the support, not from a cloud of tiny atoms
        with warnings.catch_warnings():  # "optimal_inaccurate" at 1e-12 is expected; the status is recorded
            warnings.simplefilter("ignore", UserWarning)
            prob.solve(solver=solver, **solver_options(solver, 1e-12))
    except Exception as err:  # cvxpy.SolverError and friends
        raise SolverError(f"restricted problem ({solver}, {k} cells): {err}") from err
    if prob.status not in ("optimal", "optimal_inaccurate") or xp.value is None:
        raise SolverError(f"restricted problem ({solver}, {k} cells): status {prob.status}")
    return xp.value.reshape(k, d), xm.value.reshape(k, d), prob.status


def _atoms(Vp: np.ndarray, Vm: np.ndarray, rtol: float = 1e-9) -> list:
    """Atoms ``(cell, sign, v)`` of the restricted solution with ``||v|| > rtol * max``."""
    norms = np.concatenate([np.linalg.norm(Vp, axis=1), np.linalg.norm(Vm, axis=1)])
    top = float(norms.max(initial=0.0))
    out = []
    if top <= 0:
        return out
    for j in range(Vp.shape[0]):
        for s, V in ((1.0, Vp), (-1.0, Vm)):
            if np.linalg.norm(V[j]) > rtol * top:
                out.append((j, s, V[j].copy()))
    return out


def _add_crossed_walls(X, cells: WorkingCells, atoms: list, *, tol: float) -> bool:
    """Give each atom's cell the walls the atom violates (relative slack below ``-tol``); were there any?"""
    crossed = False
    for cell, _, v in atoms:
        bad = _infeasible_rows(X, cells, cell, v, tol=tol)
        if bad.size:
            cells.add_walls(cell, bad)
            crossed = True
    return crossed


def _polish(X, y, lam, cells: WorkingCells, atoms: list, tries: int = 4):
    """Newton polish on the atoms' cell faces; walls an atom crosses join and the polish runs again."""
    info = {"polished": False, "reason": "no atoms"}
    for _ in range(tries):
        if not atoms:
            return atoms, info
        with blas_threads(1):  # many small dense solves: extra BLAS threads only contend
            out, info = polish_atoms(X, y, lam, cells, atoms, max_active_rounds=4, wall_tols=(1e-7, 0.0))
        if not _add_crossed_walls(X, cells, out, tol=1e-13):
            return out, info
        atoms = out
    return atoms, {**info, "polished": False, "reason": "atoms kept crossing unlisted walls"}


def _cell_duals(p, X, cells: WorkingCells) -> np.ndarray:
    """``sup_{theta in C} s eta_p(theta)`` for every working cell and sign (listed walls: an upper bound), (k, 2)."""
    from blasso.certificates.cells import project_onto_cell

    n = X.shape[0]
    V = (cells.patterns * p) @ X / n
    out = np.zeros((len(cells), 2))
    for j in range(len(cells)):
        for k, s in enumerate((1.0, -1.0)):
            out[j, k] = project_onto_cell(s * V[j], X, cells.patterns[j], walls=cells.walls[j]).value
    return out


def solve_with_lazy_walls(X, cells: WorkingCells, solve, *, rtol: float = 1e-9, wall_rounds: int = 30) -> tuple:
    """Re-solve a restricted program until no atom crosses a wall its cell does not carry yet.

    ``solve()`` returns ``(Vp, Vm, *rest)`` on the current ``cells``; after each
    solve the walls an atom ``v`` violates (``<x_i, v>`` on the wrong side by
    more than 1e-9) are added to its cell and the program is solved again, at
    most ``wall_rounds`` times.  Returns ``(atoms, rest)`` of the last solve,
    ``atoms`` as ``(cell, sign, v)`` triples (entries below ``rtol`` times the
    largest dropped).
    """
    for _ in range(wall_rounds):
        Vp, Vm, *rest = solve()
        atoms = _atoms(Vp, Vm, rtol=rtol)
        if not _add_crossed_walls(X, cells, atoms, tol=1e-9):
            break
    return atoms, rest


def _solve_restricted(X, y, lam, cells: WorkingCells, solver: str, tol: float, screen_tol: float = 1e-5,
                      wall_rounds: int = 30, repairs: int = 2, previous: list | None = None):
    """Restricted problem (lazy walls), support screen, polish and repairs; returns ``(atoms, status, info)``.

    Polish starts: the CVXPY atoms whose cell's dual is within ``screen_tol``
    of 1 (the others cannot be in the support) and the ``previous`` round's
    atoms (still feasible: the working set only grows around them), all the
    CVXPY atoms when neither polishes; while a working cell's dual exceeds
    ``1 + tol`` a small atom is added at its maximiser and the polish
    repeated.  The result with the smallest ``J`` is kept (the CVXPY atoms and
    the previous atoms included), so ``J`` never increases from round to round.
    """
    d = X.shape[1]
    full, (status,) = solve_with_lazy_walls(X, cells, lambda: _restricted(X, y, lam, cells, solver), rtol=1e-6,
                                            wall_rounds=wall_rounds)
    J = lambda at: blasso_objective(_measure(at, d), X, y, lam)  # noqa: E731
    p0 = (y - _measure(full, d).evaluate(X)) / lam
    duals0 = _cell_duals(p0, X, cells)
    cand = [a for a in full if duals0[a[0], 0 if a[1] > 0 else 1] >= 1.0 - screen_tol]
    best, best_J, info = full, J(full), {"polished": False, "reason": "the polish did not lower J"}
    if previous and J(previous) < best_J:
        best, best_J, info = previous, J(previous), {"polished": False, "reason": "the previous round's atoms"}
    starts = [cand] + ([previous] if previous else [])
    polished_any = False
    for start in starts + [full]:
        if start is full and (polished_any or len(cand) == len(full)):
            break
        atoms, ok = start, False
        for rep in range(repairs + 1):
            out, pinfo = _polish(X, y, lam, cells, atoms)
            if not pinfo.get("polished"):
                break
            ok = True
            Jo = J(out)
            if Jo < best_J:
                best, best_J, info = out, Jo, {**pinfo, "repairs": rep, "screened": start is cand}
            duals = _cell_duals((y - _measure(out, d).evaluate(X)) / lam, X, cells)
            if duals.max() <= 1.0 + tol:
                break
            atoms = _repair_atoms(X, y, lam, cells, out, duals, tol,
                                  max((float(np.linalg.norm(v)) for _, _, v in out), default=1.0))
        polished_any |= ok
    return best, status, info


# ------------------------------------------------------------------ pricing
def _violators(p, X, starts, cg_tol: float, time_budget: float):
    """Distinct directions (by cell) where the batched ascent ends with ``|eta_p| > 1 + cg_tol``, best first."""
    from blasso.certificates.sup import batch_ascent

    pts, vals = batch_ascent(p, X, starts, time_budget=time_budget)
    ok = np.isfinite(vals) & (vals > 1.0 + cg_tol)
    pts, vals = pts[ok], vals[ok]
    order = np.argsort(-vals)
    seen, out, best = set(), [], []
    for j in order:
        key = np.packbits((X @ pts[j]) > 0).tobytes()
        if key not in seen:
            seen.add(key)
            out.append(pts[j])
            best.append(vals[j])
    return np.array(out).reshape(-1, X.shape[1]), np.array(best)


def _cell_maximiser(p, X, theta):
    """The maximiser of ``|eta_p|`` over the closure of the cell of ``theta`` (exact cone projection)."""
    from blasso.certificates.cells import cell_vector, project_onto_cell

    pat = (X @ theta) > 0
    v = cell_vector(p, X, pat)
    s = 1.0 if float(theta @ v) >= 0 else -1.0
    pr = project_onto_cell(s * v, X, pat)
    return theta if pr.theta is None else pr.theta


def _starts(nu: Measure, extra: np.ndarray, n_random: int, rng: np.random.Generator) -> np.ndarray:
    d = nu.d
    parts = [random_sphere(n_random, d, rng)]
    if len(nu):
        jit = nu.theta[None] + 0.05 * rng.standard_normal((4, len(nu), d))
        parts += [nu.theta, normalize(jit.reshape(-1, d))]
    if extra is not None and len(extra):
        parts.append(extra)
    return np.vstack(parts)


# ------------------------------------------------------------------ main loop
def _start_measure(X, y, lam, grid_size: int) -> Measure:
    """Atoms of a grid LASSO on the fast path (``auto`` grid of about ``grid_size`` directions)."""
    from blasso.sphere import make_grid

    from . import solve_lasso

    try:
        res = solve_lasso(X, y, lam, make_grid("auto", grid_size, X.shape[1]), solver="FAST", allow_inaccurate=True)
        return res.measure()
    except SolverError:
        return Measure.empty(X.shape[1])


def _memory_check(n: int, d: int, cells: int) -> int:
    """Estimated bytes of a round, checked before allocating: the restricted problem's dense block matrix
    (n, cells d) three times over (the matrix, its Gram factor's input, the polish's blocks) and the ascent's
    (256, n) blocks; returns the estimate."""
    need = 8 * n * d * max(cells, 1) * 3 + 8 * 256 * n * 4
    check_memory(need, f"column generation (n = {n}, d = {d}, {cells} working cells)")
    return need


@dataclass
class _State:
    cells: WorkingCells
    atoms: list
    nu: Measure
    J: float
    p: np.ndarray
    extra: np.ndarray
    rounds: list = field(default_factory=list)
    polish: dict = field(default_factory=dict)
    status: str = ""
    slid: np.ndarray | None = None


def _slide(X, y, lam, nu: Measure, J: float, max_iter: int = 200) -> np.ndarray:
    """Directions of the atoms slid by L-BFGS on ``J`` (continuous across walls), when that lowers ``J``.

    The restricted problem keeps each atom in its cell, so an atom whose
    optimum lies many cells away would move one cell per round (in d = 2 at
    n = 1e5 the cells are 3e-5 rad wide); their cells join at once instead.
    """
    from .refine import refine_measure

    if not len(nu):
        return np.zeros((0, X.shape[1]))
    rr = refine_measure(nu, X, y, lam, rounds=1, max_iter=max_iter)
    return rr.measure.theta if rr.J < J - 1e-13 * abs(J) else np.zeros((0, X.shape[1]))


def _round(X, y, lam, st: _State, cfg: ColgenConfig, rng, deadline: float) -> tuple[np.ndarray, float]:
    """One round: restricted problem, polish, sliding, ascent pricing; returns the new violators and the best value."""
    n, d = X.shape
    st.atoms, st.status, st.polish = _solve_restricted(X, y, lam, st.cells, cfg.solver, cfg.cg_tol,
                                                       previous=st.atoms)
    st.nu = _measure(st.atoms, d)
    st.J = blasso_objective(st.nu, X, y, lam)
    st.p = (y - st.nu.evaluate(X)) / lam
    st.slid = _slide(X, y, lam, st.nu, st.J)
    budget = max(0.5, min(cfg.sup_budget, deadline - time.perf_counter()) * 0.1)
    starts = _starts(st.nu, st.extra, max(32, min(cfg.n_starts, int(2e7 / n))), rng)  # ~ fixed work per round
    V, vals = _violators(st.p, X, starts, cfg.cg_tol, budget)
    if d == 2:  # the exact circle sweep is cheaper than the ascent at large n and never misses the worst arc
        from blasso.certificates.sup import sup_abs_eta

        br = sup_abs_eta(st.p, X, time_budget=budget)
        if br.theta_lo is not None and br.lo > 1.0 + cfg.cg_tol:
            V, vals = np.vstack([br.theta_lo[None], V]), np.concatenate([[br.lo], vals])
    return V, float(vals.max(initial=-np.inf))


def _prune(st: _State, idle: np.ndarray, keep_idle: int = 3) -> np.ndarray:
    """Drop cells without an atom for ``keep_idle`` rounds (pricing brings them back if needed)."""
    used = {c for c, _, _ in st.atoms}
    idle = np.array([0 if j in used else idle[j] + 1 for j in range(len(st.cells))], dtype=np.int64)
    keep = np.flatnonzero(idle < keep_idle)
    if keep.size == len(st.cells):
        return idle
    new = st.cells.keep(keep)
    st.atoms = [(int(new[c]), s, v) for c, s, v in st.atoms]
    return idle[keep]


def _add_violators(X, Xh, p, st: _State, V: np.ndarray, cfg: ColgenConfig) -> int:
    """The cells of the violators (at their cell maximisers) and of the slid atoms join; returns how many are new."""
    nw = _walls_per_cell(cfg, *X.shape)
    added = 0
    for th in (st.slid if st.slid is not None else ()):
        before = len(st.cells)
        _add_cell(st.cells, X, Xh, th, nw)
        added += len(st.cells) > before
    for th in V[:cfg.batch]:
        top = _cell_maximiser(p, X, th)
        before = len(st.cells)
        _add_cell(st.cells, X, Xh, top, nw)
        added += len(st.cells) > before
    st.extra = V[:4 * cfg.batch]
    return added


def solve_certified(X, y, lam: float, *, config: ColgenConfig | None = None, start: Measure | None = None,
                    cells: WorkingCells | None = None, progress=None) -> ExactResult:
    """The continuous BLASSO optimum by column generation over activation cells, with a certified bracket.

    No enumeration and no cell budget: cells enter on demand (see the module
    docstring).  The bracket ``[J_lower, J_upper]`` is verified as for the
    enumerating program: ``J_upper = J(nu)`` evaluated directly and
    ``J_lower = D(s p)`` with the rigorous sup.

    Parameters
    ----------
    X : array_like (n, d)
    y : array_like (n,)
    lam : float > 0
    config : ColgenConfig, optional
    start : Measure, optional
        Atoms whose cells start the working set (e.g. a GD run's measure);
        default: a grid LASSO on the fast path.
    cells : WorkingCells, optional
        A working set to start from (warm start, e.g. the previous ``lam`` of
        a path; it is extended in place).
    progress : callable, optional
        A :mod:`blasso.progress` hook: one line per round (bracket, cells, atoms).

    Returns
    -------
    ExactResult
        ``cells`` reports the working set (``method = "column generation"``);
        ``info["working_cells"]`` is the :class:`WorkingCells` reached.

    Examples
    --------
    >>> from blasso import make_instance
    >>> from blasso.solvers.colgen import ColgenConfig, solve_certified
    >>> inst = make_instance(teacher="paper", n=60, d=3, m=2, seed=0)
    >>> res = solve_certified(inst.X, inst.y, 1e-3, config=ColgenConfig(check_unique=False))
    >>> res.rel_width < 1e-8
    True
    """
    cfg = config or ColgenConfig()
    X = check_X(X)
    y = check_y(y, X.shape[0])
    lam = check_lam(lam)
    check_nonneg(cfg.rel_width, "rel_width")
    check_positive_int(cfg.max_rounds, name="max_rounds")
    n, d = X.shape
    if start is not None and (not isinstance(start, Measure) or start.d != d):
        raise BlassoInputError(f"start must be a Measure in dimension d = {d}")
    _memory_check(n, d, 4 * cfg.batch)
    say = as_progress(progress)
    announce_estimate(say, f"column generation (n = {n}, d = {d})", min(colgen_seconds(n, d), cfg.time_budget),
                      "blasso.solvers.colgen.colgen_seconds, capped by the time budget")
    t0 = time.perf_counter()
    deadline = t0 + float(cfg.time_budget)
    rng = check_rng(cfg.seed)
    Xh = _unit_rows(X)
    wc = cells if cells is not None else WorkingCells.empty(n)
    nu0 = start if start is not None else _start_measure(X, y, lam, 4000 if d > 3 else int(np.clip(2e8 / n, 256, 2000)))
    nw = _walls_per_cell(cfg, n, d)
    for th in np.vstack([nu0.theta, _slide(X, y, lam, nu0, blasso_objective(nu0, X, y, lam), max_iter=500)]):
        _add_cell(wc, X, Xh, th, nw)
    if len(wc) == 0:
        _add_cell(wc, X, Xh, normalize(X.T @ y)[..., :] if np.any(X.T @ y) else random_sphere(1, d, rng)[0], nw)
    st = _State(wc, [], Measure.empty(d), np.inf, y / lam, np.zeros((0, d)))
    return _loop(X, y, lam, st, cfg, rng, Xh, t0, deadline, say)


def _loop(X, y, lam, st: _State, cfg: ColgenConfig, rng, Xh, t0: float, deadline: float, say) -> ExactResult:
    from blasso.certificates.sup import sup_abs_eta

    n, d = X.shape
    idle = np.zeros(len(st.cells), dtype=np.int64)
    J_lo, br, stop = -np.inf, None, "max_rounds"
    stall, J_prev = 0, np.inf
    for rnd in range(cfg.max_rounds):
        ta = time.perf_counter()
        mem = _memory_check(n, d, len(st.cells))
        V, best = _round(X, y, lam, st, cfg, rng, deadline)
        row = {"round": rnd + 1, "working_cells": len(st.cells), "atoms": len(st.atoms), "J": st.J,
               "ascent_max": best, "memory_estimate_bytes": mem}
        if not V.shape[0]:  # no violator found by the ascent: the rigorous sup decides
            left = deadline - time.perf_counter()
            br = sup_abs_eta(st.p, X, tol=min(1e-6, 0.1 * cfg.rel_width), time_budget=max(1.0, min(cfg.sup_budget, left)),
                             rng=rng, extra_starts=st.nu.theta if len(st.nu) else None)
            J_lo = max(J_lo, dual_objective(st.p / max(1.0, br.hi), y, lam))
            row.update({"sup_lo": br.lo, "sup_hi": br.hi, "J_lower": J_lo})
            if br.lo > 1.0 + cfg.cg_tol and br.theta_lo is not None:
                V = br.theta_lo[None]
        row["J_lower"] = None if not np.isfinite(J_lo) else J_lo
        width = (st.J - J_lo) / max(abs(st.J), 1e-300)
        row.update({"rel_width": width if np.isfinite(J_lo) else None, "wall_s": time.perf_counter() - ta})
        st.rounds.append(row)
        say(f"column generation round {rnd + 1}: {len(st.cells)} cells, {len(st.atoms)} atoms, J = {st.J:.12g}"
            + (f", J* in [{J_lo:.12g}, {st.J:.12g}] (rel. width {width:.1e})" if np.isfinite(J_lo) else
               f", ascent max |eta| = {best:.9f}"))
        say("column generation", rnd + 1, None)  # the number of rounds is not known in advance
        if np.isfinite(J_lo) and width <= cfg.rel_width:
            stop = "converged"
            break
        if time.perf_counter() > deadline:
            stop = "time_budget"
            break
        if not V.shape[0] and (st.slid is None or not len(st.slid)):
            stop = "sup not resolved within its budget"
            break
        idle = _prune(st, idle)
        added = _add_violators(X, Xh, st.p, st, V, cfg)
        idle = np.concatenate([idle, np.zeros(len(st.cells) - idle.size, dtype=np.int64)])
        if added == 0:  # the violations are inside the working set: the next round re-solves and repairs
            stall = stall + 1 if st.J >= J_prev - 1e-14 * abs(J_prev) else 0
            if stall >= 2:
                stop = "violating cells already in the working set, no progress in two rounds"
                break
        else:
            stall = 0
        J_prev = st.J
    return _finish(X, y, lam, st, cfg, br, J_lo, stop, t0, deadline, say)


def _leanest(nu: Measure, X, y, lam: float) -> Measure:
    """``nu``, or ``nu`` without its atoms below ``1e-9 max|c|``, or the zero measure: the smallest ``J`` (fewest atoms
    on ties).  At ``lam >= lam_max`` the optimum is the zero measure, which the polish only approaches (weights of
    4e-14 were reported)."""
    cands = [Measure.empty(X.shape[1]), nu]
    if len(nu):
        cands.insert(1, nu.prune(1e-9 * float(np.abs(nu.c).max())))
    vals = [blasso_objective(m, X, y, lam) for m in cands]
    best = min(vals)
    return next(m for m, v in zip(cands, vals) if v <= best)


def _finish(X, y, lam, st: _State, cfg: ColgenConfig, br, J_lo: float, stop: str, t0: float, deadline: float,
            say) -> ExactResult:
    from blasso.certificates.sup import sup_abs_eta

    from .exact import _sup_dict

    nu = _leanest(st.nu.merge(0.0).sorted(), X, y, lam)
    J_up = blasso_objective(nu, X, y, lam)
    p = (y - nu.evaluate(X)) / lam
    if br is None or not np.array_equal(p, st.p):
        left = max(1.0, min(cfg.sup_budget, deadline - time.perf_counter()))
        br = sup_abs_eta(p, X, tol=min(1e-6, 0.1 * cfg.rel_width), time_budget=left,
                         extra_starts=nu.theta if len(nu) else None)
    J_lo = dual_objective(p / max(1.0, br.hi), y, lam)
    width = J_up - J_lo
    uniq = None
    t2 = time.perf_counter()
    if cfg.check_unique and len(nu):
        uniq = uniqueness(X, y, lam, nu, J_lo, J_upper=J_up, sup_budget=cfg.sup_budget)
    total = time.perf_counter() - t0
    say(f"column generation: J* in [{J_lo:.12g}, {J_up:.12g}] (rel. width {width / max(abs(J_up), 1e-300):.1e}), "
        f"{len(nu)} atoms, {len(st.cells)} working cells, {len(st.rounds)} rounds, {total:.1f}s ({stop})")
    cells = {"method": "column generation", "n_cells": len(st.cells), "rounds": len(st.rounds), "stopped": stop,
             "walls_listed": int(sum(w.size for w in st.cells.walls))}
    return ExactResult(measure=nu, J_upper=J_up, J_lower=J_lo, width=width,
                       rel_width=width / max(abs(J_up), 1e-300), sup=_sup_dict(br), uniqueness=uniq, cells=cells,
                       rounds=st.rounds, polish=st.polish,
                       timings={"uniqueness_s": time.perf_counter() - t2, "total_s": total},
                       solver=f"column generation ({cfg.solver})",
                       info={"status": st.status, "p": p, "stopped": stop, "working_cells": st.cells})


def lam_path(X, y, lams, *, config: ColgenConfig | None = None, progress=None) -> list:
    """:func:`solve_certified` along decreasing ``lams``, each solve warm-started from the previous working set.

    A warm solve that ends before its tolerance (e.g. stalled on atoms
    carried over from the previous ``lam``) is repeated cold, from the grid
    LASSO's atoms, and the narrower of the two certified brackets is kept
    (``info["warm_retry"]`` records both widths).

    Returns
    -------
    list of ExactResult
        One per ``lam`` (in the order given).
    """
    cfg = config or ColgenConfig()
    lams = [check_lam(lam) for lam in lams]
    out, cells, start = [], None, None
    say = as_progress(progress)
    for k, lam in enumerate(lams):
        say(f"lam path: lam = {lam:g} ({k + 1}/{len(lams)})")
        res = solve_certified(X, y, lam, config=cfg, start=start, cells=cells, progress=progress)
        if cells is not None and not res.rel_width <= cfg.rel_width:
            say(f"lam path: the warm solve at lam = {lam:g} ended at rel. width {res.rel_width:.1e} "
                f"({res.info['stopped']}); solving cold")
            cold = solve_certified(X, y, lam, config=cfg, progress=progress)
            retry = {"warm_rel_width": res.rel_width, "cold_rel_width": cold.rel_width}
            if cold.rel_width < res.rel_width:
                res = cold
            res.info["warm_retry"] = retry
        cells, start = res.info["working_cells"], res.measure
        out.append(res)
    return out
