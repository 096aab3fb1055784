"""Grid LASSO through CVXPY, with explicit solver-status handling.

Solves ``min_c 1/(2n) ||y - A c||^2 + lam ||c||_1`` with
``A[i, g] = relu(<theta_g, x_i>)`` (the mathematics page), written with an
explicit residual variable ``z = y - A c`` so that the multiplier of that
constraint gives an independent dual vector: stationarity in ``z`` reads
``z / n + mu = 0``, hence ``p = z / lam = -n mu / lam`` (CVXPY's sign
convention).  The result carries ``p`` from the residual and from the
multiplier; they must agree.

A status other than ``optimal`` is never returned silently: ``infeasible``,
``unbounded`` and solver crashes raise :class:`~blasso.validation.SolverError`.
Every result carries the exact grid duality gap ``J(c) - D(s p)`` with
``s = 1/max(1, ||A^T p||_inf / n)``, computed by us, not by the solver.  An
``optimal_inaccurate`` status is accepted only when that gap proves the
solution to ``gap_tol`` relative (the result keeps the status and says
``gap_verified``); otherwise it raises, unless ``allow_inaccurate=True``, in
which case the result is returned flagged ``inaccurate``.

Zero measure: when ``lam >= lam_max = max_g |a_g^T y| / n`` the zero vector
is optimal (``0`` is in the subdifferential at ``c = 0``), and every solver
returns exactly ``c = 0`` without calling a conic solver, with the reason in
``info["zero_reason"]`` (:func:`zero_result`).  Otherwise the weights at or
below :func:`blasso.measure.support_threshold` (relative to ``max|c|`` and to
the certified gap) are not reported as atoms (``info["support"]``).

Memory: the dense ``n x G`` features and CVXPY's copies of them take about
:data:`CVXPY_BYTES_PER_FEATURE` bytes per entry; a larger request is refused
before anything is built (:func:`blasso.memory.check_memory`).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from blasso.features import feature_matrix
from blasso.measure import Measure, support_threshold
from blasso.memory import check_memory
from blasso.objective import datafit, duality_gap
from blasso.sphere import Grid
from blasso.validation import BlassoInputError, SolverError, check_choice, check_tol
from blasso.solvers._checks import check_lasso_problem
from blasso.solvers.polish import polish as polish_solution

__all__ = ["SOLVERS", "DEFAULT_SOLVER", "LassoResult", "solve_grid_lasso", "solver_options", "zero_result",
           "support_info", "cvxpy_memory"]

#: Peak bytes per entry of the n x G features in a CVXPY solve (dense A, CVXPY's sparse
#: copies, the conic solver's matrices; measured about 20-26 with ECOS, Clarabel and SCS).
CVXPY_BYTES_PER_FEATURE = 8 * 32
#: Fixed part of a CVXPY solve's peak (the cvxpy import and the solver libraries).
CVXPY_BASE_BYTES = 256 * 2**20

#: Conic solvers usable for the grid LASSO (names as CVXPY spells them).
SOLVERS = ("ECOS", "CLARABEL", "SCS")
DEFAULT_SOLVER = "ECOS"


def solver_options(solver: str, tol: float = 1e-8) -> dict:
    """Tight default tolerances for each solver (the toolkit wants 1e-8 objectives)."""
    if solver == "ECOS":
        return {"abstol": tol, "reltol": tol, "feastol": tol, "max_iters": 500}
    if solver == "CLARABEL":
        return {"tol_gap_abs": tol, "tol_gap_rel": tol, "tol_feas": tol, "max_iter": 500}
    if solver == "SCS":
        return {"eps_abs": tol, "eps_rel": tol, "max_iters": 200000}
    return {}


@dataclass
class LassoResult:
    """Solution of a grid LASSO.

    Attributes
    ----------
    c : ndarray (G,)
        Weights on the grid.
    objective : float
        ``1/(2n)||y - A c||^2 + lam ||c||_1`` recomputed from ``c``.
    solver_objective : float
        The value the solver reported.
    p : ndarray (n,)
        Dual vector from the residual, ``(y - A c) / lam``.
    p_multiplier : ndarray (n,) or None
        Dual vector from CVXPY's multiplier (None for solvers without one).
    p_mismatch : float
        ``max|p - p_multiplier| / max(1, max|p|)``.
    status : str
        CVXPY status (``optimal`` or, if allowed, ``optimal_inaccurate``).
    solver : str
    wall_s : float
    grid : Grid
    lam : float
    support_tol : float
        Weights with ``|c_g| <= support_tol`` are not reported as atoms
        (:func:`blasso.measure.support_threshold`: relative to ``max|c|`` and
        to the certified gap).
    info : dict
        Solver details; ``zero_reason`` when ``lam >= lam_max`` made the zero
        measure the answer, ``support`` (threshold, atoms and TV dropped).
    """

    c: np.ndarray
    objective: float
    solver_objective: float
    p: np.ndarray
    p_multiplier: np.ndarray | None
    p_mismatch: float
    status: str
    solver: str
    wall_s: float
    grid: Grid
    lam: float
    support_tol: float
    grid_rel_gap: float = float("nan")
    info: dict = field(default_factory=dict)

    @property
    def inaccurate(self) -> bool:
        """True unless the solver said optimal or the grid duality gap verified the solution."""
        return self.status != "optimal" and not self.info.get("gap_verified", False)

    @property
    def support(self) -> np.ndarray:
        """Indices of the grid atoms with ``|c_g| > support_tol``."""
        return np.flatnonzero(np.abs(self.c) > self.support_tol)

    def measure(self) -> Measure:
        """The recovered measure (atoms above ``support_tol``)."""
        s = self.support
        return Measure(self.grid.theta[s], self.c[s])

    def __repr__(self) -> str:
        """One line: solver, status, objective, atoms, grid (not the arrays)."""
        return (f"LassoResult({self.solver} {self.status}, J={self.objective:.10g}, {self.support.size} atoms, "
                f"G={self.grid.size}, lam={self.lam:g})")


def cvxpy_memory(n: int, G: int) -> int:
    """Estimated peak bytes of a CVXPY grid LASSO with ``n`` samples and ``G`` atoms."""
    return CVXPY_BYTES_PER_FEATURE * int(n) * int(G) + CVXPY_BASE_BYTES


def support_info(c: np.ndarray, gap: float, n: int, col_norm_max: float) -> tuple[float, dict]:
    """The reporting threshold of a grid solution (:func:`blasso.measure.support_threshold`) and its effect."""
    tau = support_threshold(c, gap=gap, n=n, col_norm_max=col_norm_max)
    small = (np.abs(c) <= tau) & (c != 0)
    return tau, {"threshold": tau, "dropped_atoms": int(small.sum()), "dropped_tv": float(np.abs(c[small]).sum()),
                 "rule": "|c_g| <= max(1e-6 max|c|, sqrt(2 n gap) / max||a_g||) is below the solver's accuracy"}


def zero_result(y: np.ndarray, lam: float, grid: Grid, lam_max: float, solver: str, wall_s: float) -> LassoResult:
    """The exact solution ``c = 0`` for ``lam >= lam_max`` (validated inputs), with the reason in ``info``.

    ``p = y / lam``; its grid constraint ``max|A^T p| / n = lam_max / lam <= 1``
    holds, and ``J(0) = D(p) = ||y||^2 / (2n)``: the gap is zero up to rounding.
    """
    n = y.shape[0]
    obj = float(y @ y) / (2 * n)
    p = y / lam
    gap = duality_gap(obj, p, y, lam, lam_max / lam)
    reason = (f"lam = {lam:.6g} >= lam_max = max|A^T y|/n = {lam_max:.6g}: the zero measure is optimal "
              "(0 is in the subdifferential at c = 0)")
    return LassoResult(
        c=np.zeros(grid.size), objective=obj, solver_objective=obj, p=p, p_multiplier=None,
        p_mismatch=float("nan"), status="optimal", solver=solver, wall_s=wall_s, grid=grid, lam=lam,
        support_tol=0.0, grid_rel_gap=gap["rel_gap"],
        info={"zero_reason": reason, "lam_max": lam_max, "gap_verified": True, "gap": gap["gap"],
              "polish": {"polished": False, "reason": "zero measure (lam >= lam_max)"}},
    )


def solve_grid_lasso(X, y, lam: float, grid: Grid, *, solver: str = DEFAULT_SOLVER,
                     tol: float = 1e-8, gap_tol: float = 1e-7, allow_inaccurate: bool = False,
                     polish: bool = True,
                     solver_opts: dict | None = None, A: np.ndarray | None = None) -> LassoResult:
    """Solve the grid LASSO with CVXPY.

    Parameters
    ----------
    X : array_like (n, d)
    y : array_like (n,)
    lam : float > 0
    grid : Grid
    solver : {"ECOS", "CLARABEL", "SCS"}
    tol : float
        Solver tolerance passed through :func:`solver_options`.
    gap_tol : float
        Relative grid duality gap that verifies an ``optimal_inaccurate`` solve.
    allow_inaccurate : bool
        Return an unverified ``optimal_inaccurate`` result (flagged) instead of raising.
    polish : bool
        Replace the solver's weights by the exact solution on the equicorrelation
        set when that passes the full KKT check (:func:`blasso.solvers.polish.polish`).
    solver_opts : dict, optional
        Extra keyword arguments for the solver (override the defaults).
    A : ndarray (n, G), optional
        Precomputed features (must equal ``relu(X grid.theta^T)``).

    Returns
    -------
    LassoResult

    Raises
    ------
    BlassoInputError
        On malformed input.
    SolverError
        If the solver fails or returns a status other than optimal.
    """
    import cvxpy as cp

    X, y, lam = check_lasso_problem(X, y, lam, grid)
    tol, gap_tol = check_tol(tol, "tol"), check_tol(gap_tol, "gap_tol")
    n = X.shape[0]
    solver = check_choice(solver, SOLVERS, name="solver")
    if solver not in cp.installed_solvers():
        raise SolverError(f"solver {solver} is not installed (CVXPY sees {cp.installed_solvers()})")
    check_memory(cvxpy_memory(n, grid.size), f"a CVXPY grid LASSO with n = {n} and G = {grid.size:,} "
                 "(use the FAST solver on large grids)")
    if A is None:
        A = feature_matrix(X, grid.theta, max_bytes=None)
    elif A.shape != (n, grid.size):
        raise BlassoInputError(f"A has shape {A.shape}, expected {(n, grid.size)}")

    t0 = time.perf_counter()
    lmax = float(np.max(np.abs(y @ A))) / n
    if lam >= lmax:
        return zero_result(y, lam, grid, lmax, solver, time.perf_counter() - t0)
    c = cp.Variable(grid.size)
    z = cp.Variable(n)
    residual = z == y - A @ c
    problem = cp.Problem(cp.Minimize(cp.sum_squares(z) / (2 * n) + lam * cp.norm1(c)), [residual])
    opts = solver_options(solver, tol)
    opts.update(solver_opts or {})
    try:
        with warnings.catch_warnings():  # the status is handled explicitly below
            warnings.filterwarnings("ignore", message="Solution may be inaccurate")
            problem.solve(solver=solver, **opts)
    except cp.error.SolverError as exc:
        raise SolverError(f"{solver} failed on the grid LASSO (G={grid.size}, n={n}): {exc}") from None
    wall = time.perf_counter() - t0

    status = problem.status
    if status not in ("optimal", "optimal_inaccurate"):
        raise SolverError(f"{solver} returned status {status!r} on the grid LASSO; no solution")
    if c.value is None:
        raise SolverError(f"{solver} reported {status!r} but returned no primal values")

    cval = np.asarray(c.value, dtype=np.float64)
    pinfo = {"polished": False, "reason": "polishing disabled"}
    if polish:
        cval, pinfo = polish_solution(A, y, lam, cval)
    pred = A @ cval
    obj = datafit(pred, y) + lam * float(np.abs(cval).sum())
    p = (y - pred) / lam
    gap = duality_gap(obj, p, y, lam, float(np.max(np.abs(p @ A))) / n)
    verified = gap["rel_gap"] <= gap_tol
    if status == "optimal_inaccurate" and not verified and not allow_inaccurate:
        raise SolverError(
            f"{solver} returned 'optimal_inaccurate' on the grid LASSO (G={grid.size}) and the grid "
            f"duality gap {gap['rel_gap']:.2e} (relative) does not verify it; pass allow_inaccurate=True "
            "to inspect it, or try another solver")
    p_mult = None
    mismatch = float("nan")
    if residual.dual_value is not None:
        p_mult = -n * np.asarray(residual.dual_value, dtype=np.float64) / lam
        mismatch = float(np.max(np.abs(p - p_mult)) / max(1.0, float(np.max(np.abs(p)))))
    tau, sinfo = support_info(cval, gap["gap"], n, float(np.sqrt(np.max(np.einsum("ij,ij->j", A, A)))))
    return LassoResult(
        c=cval, objective=obj, solver_objective=float(problem.value), p=p, p_multiplier=p_mult,
        p_mismatch=mismatch, status=status, solver=solver, wall_s=wall, grid=grid, lam=lam,
        support_tol=tau, grid_rel_gap=gap["rel_gap"],
        info={"solver_stats_s": getattr(problem.solver_stats, "solve_time", None), "gap_verified": verified,
              "polish": pinfo, "gap": gap["gap"], "lam_max": lmax, "support": sinfo},
    )
