"""Dual vectors: ``p_0`` (basis pursuit on a grid), the ``p_lam`` path, and ``p_V``.

* ``p_0``: the minimal-norm maximiser of the basis-pursuit dual on a grid,
  ``max <y, p>/n  s.t.  ||A^T p / n||_inf <= 1`` (the mathematics page): an LP
  for the value, then a QP for the minimal-norm point of the (slightly relaxed)
  optimal face, both through CVXPY with status checks.  The LP multipliers give
  a primal basis-pursuit solution ``c`` (``A c = y``), reported for KKT checks.
* ``p_lam = (y - A c_lam) / lam`` from grid LASSO solves along a decreasing
  path; ``p_lam -> p_0`` as ``lam -> 0``.
* ``p_V``: the minimal-norm solution of the ``m d`` vanishing-derivative
  equations ``(1/n) X^T D_j p = sign(c_j) theta_j`` (``D_j`` the activation
  pattern of atom ``j``), with residual and rank reported: the system can be
  inconsistent (e.g. two atoms in the same cell) or rank-deficient.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from blasso.features import feature_matrix
from blasso.measure import Measure
from blasso.sphere import Grid
from blasso.validation import BlassoInputError, SolverError, check_choice, check_X, check_y

from .cells import activation_pattern, cell_vector

__all__ = [
    "BasisPursuitCertificate",
    "basis_pursuit_certificate",
    "dual_path",
    "PreCertificate",
    "vanishing_derivative_certificate",
]

_CONIC = ("CLARABEL", "ECOS", "SCS")
_LP = ("SCIPY",) + _CONIC


@dataclass
class BasisPursuitCertificate:
    """Minimal-norm basis-pursuit dual certificate on a grid.

    Attributes
    ----------
    p : ndarray (n,)
        ``p_0`` (scaled like ``p_lam``: ``eta = A^T p / n``).
    value : float
        Basis-pursuit value on the grid ``max <y, p>/n = min ||c||_1 s.t. A c = y``.
    c : ndarray (G,)
        A basis-pursuit solution from the LP multipliers.
    eta_grid : ndarray (G,)
        ``A^T p / n`` on the grid.
    status : dict
        CVXPY statuses of the LP and the QP.
    slack : float
        Relaxation of the optimal face used by the QP (``<y, p>/n >= value - slack``).
    wall_s : float
    grid : Grid
    """

    p: np.ndarray
    value: float
    c: np.ndarray
    eta_grid: np.ndarray
    status: dict
    slack: float
    wall_s: float
    grid: Grid
    info: dict = field(default_factory=dict)

    def measure(self, rel_tol: float = 1e-6) -> Measure:
        """The grid basis-pursuit solution (atoms above ``rel_tol * max|c|``)."""
        tol = rel_tol * max(1e-300, float(np.abs(self.c).max(initial=0.0)))
        return Measure.from_grid(self.grid.theta, self.c, tol=tol)


def _solve(problem, solvers: tuple, what: str, tol: float) -> str:
    """Solve with the first solver that returns ``optimal``; raise with every status otherwise."""
    import cvxpy as cp

    from blasso.solvers.lasso_cvxpy import solver_options

    seen = []
    for solver in solvers:
        opts = {"scipy_options": {"method": "highs"}} if solver == "SCIPY" else solver_options(solver, tol)
        try:
            problem.solve(solver=solver, **opts)
        except cp.error.SolverError as exc:
            seen.append(f"{solver}: {exc}")
            continue
        if problem.status == "optimal":
            return f"{problem.status} ({solver})"
        seen.append(f"{solver}: status {problem.status!r}")
    raise SolverError(f"no solver solved the {what}: " + "; ".join(seen))


def basis_pursuit_certificate(X, y, grid: Grid, *, solver: str = "CLARABEL", lp_solver: str = "SCIPY",
                              tol: float = 1e-8,
                              slack_rel: float = 1e-7, A: np.ndarray | None = None) -> BasisPursuitCertificate:
    """``p_0`` on a grid: LP for the basis-pursuit dual value, then QP for its minimal-norm maximiser.

    Parameters
    ----------
    X, y : data
    grid : Grid
    solver : {"CLARABEL", "ECOS", "SCS"}
        CVXPY solver of the minimal-norm QP (the others are tried if it is
        not ``optimal``).
    lp_solver : {"SCIPY", "CLARABEL", "ECOS", "SCS"}
        CVXPY solver of the LP (``SCIPY`` = HiGHS through CVXPY; the conic
        solvers are tried next).
    tol : float
        Solver tolerance.
    slack_rel : float
        The QP keeps ``<y, p>/n >= value - slack_rel * max(1, |value|)`` (an exact
        optimal face is numerically empty-interior; the slack is reported).

    Raises
    ------
    SolverError
        On any status other than ``optimal`` (e.g. an infeasible ``A c = y``
        makes the dual unbounded).
    """
    import cvxpy as cp

    X = check_X(X)
    n = X.shape[0]
    y = check_y(y, n)
    if not isinstance(grid, Grid) or grid.d != X.shape[1]:
        raise BlassoInputError("grid must be a blasso.sphere.Grid with the data's dimension")
    solver = check_choice(solver, _CONIC, name="solver")
    lp_solver = check_choice(lp_solver, _LP, name="lp_solver")
    lp_order = (lp_solver,) + tuple(s for s in _LP if s != lp_solver)
    qp_order = (solver,) + tuple(s for s in _CONIC if s != solver)
    if A is None:
        A = feature_matrix(X, grid.theta)
    t0 = time.perf_counter()
    p = cp.Variable(n)
    up = A.T @ p / n <= 1
    dn = -A.T @ p / n <= 1
    lp = cp.Problem(cp.Maximize(y @ p / n), [up, dn])
    st_lp = _solve(lp, lp_order, "basis-pursuit dual LP (is A c = y feasible on this grid?)", tol)
    value = float(lp.value)
    c = np.asarray(up.dual_value, dtype=float) - np.asarray(dn.dual_value, dtype=float)
    slack = slack_rel * max(1.0, abs(value))
    q = cp.Variable(n)
    qp = cp.Problem(cp.Minimize(cp.sum_squares(q)), [A.T @ q / n <= 1, -A.T @ q / n <= 1,
                                                     y @ q / n >= value - slack])
    st_qp = _solve(qp, qp_order, "minimal-norm QP", tol)
    p0 = np.asarray(q.value, dtype=float)
    return BasisPursuitCertificate(
        p=p0, value=value, c=c, eta_grid=A.T @ p0 / n, status={"lp": st_lp, "qp": st_qp},
        slack=slack, wall_s=time.perf_counter() - t0, grid=grid,
        info={"primal_residual": float(np.max(np.abs(A @ c - y))), "tv": float(np.abs(c).sum())})


def dual_path(X, y, grid: Grid, lams, *, solver: str = "CLARABEL", p0: np.ndarray | None = None) -> dict:
    """``p_lam`` along a path of ``lam`` (grid LASSO solves), with ``||p_lam - p_0||`` if ``p0`` is given.

    Returns
    -------
    dict with ``lam`` (decreasing), ``p`` (len(lam), n), ``objective``, and
    ``dist_to_p0`` (relative, ``||p_lam - p0|| / ||p0||``) when ``p0`` is given.
    """
    from blasso.solvers import solve_lasso

    lams = np.sort(np.asarray(lams, dtype=float))[::-1]
    if lams.size == 0 or np.any(lams <= 0):
        raise BlassoInputError("lams must be a non-empty list of positive values")
    P, obj = [], []
    for lam in lams:
        res = solve_lasso(X, y, float(lam), grid, solver=solver)
        P.append(res.p)
        obj.append(res.objective)
    out = {"lam": lams, "p": np.array(P), "objective": np.array(obj)}
    if p0 is not None:
        out["dist_to_p0"] = np.linalg.norm(out["p"] - p0, axis=1) / max(1e-300, np.linalg.norm(p0))
    return out


@dataclass
class PreCertificate:
    """Vanishing-derivative pre-certificate ``p_V`` for a target measure.

    Attributes
    ----------
    p : ndarray (n,)
        Minimal-norm (least-squares) solution of the ``m d`` equations.
    residual : float
        ``max_j ||v_{C_j} - sign(c_j) theta_j||_inf`` (0 up to rounding when consistent).
    atom_residuals : ndarray (m,)
        Per-atom ``||v_{C_j} - sign(c_j) theta_j||_2``.
    consistent : bool
        ``residual <= tol``.
    rank : int
        Numerical rank of the ``(m d) x n`` system.
    n_equations : int
    patterns : ndarray (m, n) of bool
        Activation patterns of the atoms (their cells).
    margins : ndarray (m,)
        Assumption 4.3 margins ``min_i |<x_i, theta_j>|``.
    same_cell : list of (j, k)
        Pairs of atoms sharing a cell (their equations conflict unless equal).
    """

    p: np.ndarray
    residual: float
    atom_residuals: np.ndarray
    consistent: bool
    rank: int
    n_equations: int
    patterns: np.ndarray
    margins: np.ndarray
    same_cell: list
    signs: np.ndarray
    theta: np.ndarray


def vanishing_derivative_certificate(X, target: Measure, *, tol: float = 1e-8) -> PreCertificate:
    """``p_V``: minimal-norm solution of ``(1/n) X^T D_j p = sign(c_j) theta_j``, j = 1..m.

    Parameters
    ----------
    X : array_like (n, d)
    target : Measure
        Atoms ``theta_j`` with weights ``c_j`` (only the signs matter).
    tol : float
        Residual (max-abs, relative to 1) above which the system is reported
        inconsistent.
    """
    X = check_X(X)
    if not isinstance(target, Measure):
        raise BlassoInputError(f"target must be a blasso.measure.Measure; got {type(target).__name__}")
    if len(target) == 0:
        raise BlassoInputError("target measure has no atoms")
    if target.d != X.shape[1]:
        raise BlassoInputError(f"target lives in d = {target.d}, data in d = {X.shape[1]}")
    if np.any(target.c == 0):
        raise BlassoInputError("target has an atom with zero weight (no sign to interpolate)")
    n, d = X.shape
    th, sg = target.theta, np.sign(target.c)
    pats = activation_pattern(X, th)  # (m, n)
    M = np.concatenate([(X * pats[j][:, None]).T / n for j in range(len(target))])  # (m d, n)
    b = (sg[:, None] * th).ravel()
    p, _, rank, _ = np.linalg.lstsq(M, b, rcond=None)
    V = cell_vector(p, X, pats)
    res = V - sg[:, None] * th
    resid = float(np.max(np.abs(res)))
    same = [(j, k) for j in range(len(target)) for k in range(j + 1, len(target)) if np.array_equal(pats[j], pats[k])]
    margins = np.min(np.abs(th @ X.T), axis=1)
    return PreCertificate(p=p, residual=resid, atom_residuals=np.linalg.norm(res, axis=1),
                          consistent=resid <= tol, rank=int(rank), n_equations=int(M.shape[0]),
                          patterns=pats, margins=margins, same_cell=same, signs=sg, theta=th)
