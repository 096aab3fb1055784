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
        ``AUTO`` (FAST above ``blasso.solvers.AUTO_FAST_THRESHOLD`` atoms or when CVXPY's estimated time
        exceeds ``blasso.solvers.AUTO_CVXPY_MAX_S``, ECOS otherwise),
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
    name = choose_solver(solver, grid.size, n=inst.n)
    say(f"{grid.describe()}; n={inst.n}, lam={lam:g}; solving with {name} ...")
    res = solve_lasso(inst.X, inst.y, lam, grid, solver=name, allow_inaccurate=allow_inaccurate)
    say(f"{res.solver} status {res.status} in {res.wall_s:.2f}s; covering radius from {n_probe} probes ...")
    cov = covering_radius(grid.theta, n_probe=n_probe, rng=0)
    return {"result": res, "measure": res.measure().sorted(), "covering": cov, "solver": name}


def exact_solution(inst: Instance, lam: float, *, method: str = "auto", max_cells: int | None = None,
                   sup_budget: float = 60.0, time_budget: float = 300.0, start=None, progress=None):
    """The continuous optimum with a certified bracket for J*.

    ``method="auto"`` (or ``"colgen"``): :func:`blasso.solvers.colgen.solve_certified`,
    column generation over activation cells priced by the rigorous sup (any
    d, no enumeration), seeded with the atoms of ``start`` (e.g. the grid
    solution); ``"exact"``: :func:`blasso.solvers.exact.solve_exact`, every cell
    enumerated, refused with ``BlassoInputError`` (before any work) when the
    closed-form number of activation patterns exceeds the budget.

    Returns
    -------
    blasso.solvers.exact.ExactResult
    """
    from blasso.solvers.colgen import ColgenConfig, solve_certified
    from blasso.solvers.exact import ExactConfig, exact_affordable, solve_exact

    from ..validation import BlassoInputError, check_choice

    method = check_choice(method, ("auto", "colgen", "exact"), name="method")
    if method != "exact":
        return solve_certified(inst.X, inst.y, lam, start=start, progress=progress,
                               config=ColgenConfig(sup_budget=sup_budget, time_budget=time_budget))
    ok, bound, budget = exact_affordable(inst.X, max_cells)
    if not ok:
        raise BlassoInputError(f"--ground-truth exact refused: up to {bound:,} activation patterns (cells) for "
                               f"n = {inst.n}, d = {inst.d}, over the budget of {budget:,} (raise --max-cells, or use"
                               " the column generation, which needs no enumeration)")
    return solve_exact(inst.X, inst.y, lam, config=ExactConfig(max_cells=budget, sup_budget=sup_budget),
                       progress=progress)
