"""Solvers: grid LASSO (CVXPY and a fast path), GD (Algorithm 1), refinement, baselines.

:func:`solve_lasso` is the single entry point that commands use to pick a grid
LASSO solver by name.
"""

from __future__ import annotations

import numpy as np

from blasso.validation import check_choice

from .lasso_cvxpy import DEFAULT_SOLVER, SOLVERS, LassoResult, solve_grid_lasso

__all__ = ["LASSO_SOLVERS", "LassoResult", "solve_lasso", "solve_grid_lasso", "choose_solver", "lasso_memory",
           "cvxpy_lasso_seconds"]

#: Every name accepted by :func:`solve_lasso`.
LASSO_SOLVERS = SOLVERS + ("FAST", "AUTO")

#: Above this many grid atoms ``AUTO`` picks the fast path instead of CVXPY.
AUTO_FAST_THRESHOLD = 20000
#: ``AUTO`` picks the fast path when CVXPY is estimated (:func:`cvxpy_lasso_seconds`) to take longer than this.
AUTO_CVXPY_MAX_S = 5.0


def cvxpy_lasso_seconds(n: int, G: int) -> float:
    """Cost model of a CVXPY (ECOS) grid LASSO: ``13 s (n G / 1.03e6)^1.3`` on the project's 2-core machine.

    Fitted on CVXPY grid problems of the paper's teacher (2.1 s at n G = 2.6e5,
    13.3 s at 1.0e6); it predicts 78 s at n = 1000, G = 4000, where ECOS took
    158 s under load (the fast path: under 3 s).
    """
    return 13.0 * (float(n) * float(G) / 1.03e6) ** 1.3


def choose_solver(solver: str, grid_size: int, n: int | None = None) -> str:
    """Resolve ``AUTO`` to a concrete solver name for a grid of ``grid_size`` atoms and ``n`` samples.

    ``AUTO`` is the fast path above :data:`AUTO_FAST_THRESHOLD` atoms or when
    CVXPY is estimated to take more than :data:`AUTO_CVXPY_MAX_S` seconds
    (:func:`cvxpy_lasso_seconds`; needs ``n``), ECOS otherwise.
    """
    solver = check_choice(solver, LASSO_SOLVERS, name="solver")
    if solver != "AUTO":
        return solver
    if grid_size > AUTO_FAST_THRESHOLD or (n is not None and cvxpy_lasso_seconds(n, grid_size) > AUTO_CVXPY_MAX_S):
        try:
            from . import lasso_fast  # noqa: F401
            return "FAST"
        except ImportError:
            return DEFAULT_SOLVER
    return DEFAULT_SOLVER


def solve_lasso(X, y, lam, grid, *, solver: str = "AUTO", **kw) -> LassoResult:
    """Solve the grid LASSO with the named solver (``AUTO``, ``FAST``, ``ECOS``, ``CLARABEL``, ``SCS``).

    ``AUTO`` (the default, as on the command line) is :func:`choose_solver`'s
    policy: the fast path above :data:`AUTO_FAST_THRESHOLD` atoms or when
    CVXPY is estimated to take over :data:`AUTO_CVXPY_MAX_S` seconds, ECOS
    otherwise.  ``**kw`` goes to the solver (``allow_inaccurate``, ``tol``, ...).

    Examples
    --------
    >>> import blasso
    >>> inst = blasso.make_instance(teacher="paper", n=30, d=2, m=2, seed=0)
    >>> res = solve_lasso(inst.X, inst.y, 1e-3, blasso.make_grid("equiangular", 360, 2))
    >>> res.solver, res.status
    ('ECOS', 'optimal')
    """
    name = choose_solver(solver, getattr(grid, "size", 0), n=np.shape(X)[0])
    if name == "FAST":
        from .lasso_fast import solve_grid_lasso_fast
        return solve_grid_lasso_fast(X, y, lam, grid, **kw)
    return solve_grid_lasso(X, y, lam, grid, solver=name, **kw)


def lasso_memory(n: int, G: int, solver: str = "AUTO") -> int:
    """Estimated peak bytes of a grid LASSO solve beyond the grid (``AUTO`` resolved as :func:`solve_lasso` does).

    Lets a caller check a whole request with :func:`blasso.memory.check_memory`
    before building the grid; the solvers also check it themselves.
    """
    name = choose_solver(solver, int(G), n=int(n))
    if name == "FAST":
        from .lasso_fast import fast_memory
        return fast_memory(n, G)
    from .lasso_cvxpy import cvxpy_memory
    return cvxpy_memory(n, G)
