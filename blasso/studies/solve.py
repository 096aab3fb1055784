"""One grid LASSO solve with its diagnostics (what ``blasso solve`` reports)."""

from __future__ import annotations

from ..instance import Instance
from ..progress import as_progress
from ..sphere import Grid, covering_radius

__all__ = ["solve_on_grid", "exact_solution"]


def solve_on_grid(inst: Instance, lam: float, grid: Grid, *, solver: str = "AUTO", allow_inaccurate: bool = False,
                  n_probe: int = 5000, progress=None) -> dict:
    """Solve the grid LASSO on ``grid`` and estimate the grid's covering radius.

    Parameters
    ----------
    inst : Instance
    lam : float
        Regularisation (> 0).
    grid : Grid
    solver : str
        ``AUTO`` (FAST above ``blasso.solvers.AUTO_FAST_THRESHOLD`` atoms, ECOS below),
        ``ECOS``, ``CLARABEL``, ``SCS`` or ``FAST``.
    allow_inaccurate : bool
        Return an unverified ``optimal_inaccurate`` solve (flagged) instead of failing.
    n_probe : int
        Random probes of the covering-radius estimate.
    progress : callable, optional
        A :mod:`blasso.progress` hook.

    Returns
    -------
    dict
        ``result`` (:class:`blasso.solvers.LassoResult`), ``measure`` (sorted atoms),
        ``covering`` (:func:`blasso.sphere.covering_radius`), ``solver`` (the name used).
    """
    from blasso.solvers import choose_solver, solve_lasso

    say = as_progress(progress)
    name = choose_solver(solver, grid.size)
    say(f"{grid.describe()}; n={inst.n}, lam={lam:g}; solving with {name} ...")
    res = solve_lasso(inst.X, inst.y, lam, grid, solver=name, allow_inaccurate=allow_inaccurate)
    say(f"{res.solver} status {res.status} in {res.wall_s:.2f}s; covering radius from {n_probe} probes ...")
    cov = covering_radius(grid.theta, n_probe=n_probe, rng=0)
    return {"result": res, "measure": res.measure().sorted(), "covering": cov, "solver": name}


def exact_solution(inst: Instance, lam: float, *, max_cells: int | None = None, sup_budget: float = 60.0,
                   progress=None):
    """The continuous optimum by the exact finite program (:func:`blasso.solvers.exact.solve_exact`).

    Refused with ``BlassoInputError`` (before any work) when the closed-form
    number of activation patterns exceeds the budget.

    Returns
    -------
    blasso.solvers.exact.ExactResult
    """
    from blasso.solvers.exact import ExactConfig, exact_affordable, solve_exact

    ok, bound, budget = exact_affordable(inst.X, max_cells)
    if not ok:
        from ..validation import BlassoInputError
        raise BlassoInputError(f"--exact refused: up to {bound:,} activation patterns (cells) for n = {inst.n}, "
                               f"d = {inst.d}, over the budget of {budget:,} (raise --max-cells, or use the grid / "
                               "exchange rounds)")
    return solve_exact(inst.X, inst.y, lam, config=ExactConfig(max_cells=budget, sup_budget=sup_budget),
                       progress=progress)
