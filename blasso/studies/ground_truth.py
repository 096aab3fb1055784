"""The convex ground truth: the exact finite program when affordable, else exchange rounds.

:func:`ground_truth` picks, for an instance and ``lam > 0``:

* ``"exact"`` -- :func:`blasso.solvers.exact.solve_exact` (the continuous optimum
  through the finite program over every activation pattern, verified by the
  rigorous sup, with a uniqueness test) when the closed-form number of cells
  ``2 sum_{k<d} C(h-1, k)`` is within the budget (:func:`blasso.solvers.exact.exact_affordable`);
* ``"exchange"`` -- :func:`blasso.solvers.refine.convex_reference` (grid LASSO,
  off-grid refinement and exchange rounds with the rigorous sup oracle)
  otherwise.

Both return the same fields (``measure``, ``J`` upper bound, ``J_lower``,
``J_grid`` the grid LASSO on the base grid, ``history``), plus
``ground_truth`` saying which, and ``reason``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..measure import Measure
from ..progress import as_progress
from ..validation import BlassoInputError, check_choice, check_lam, check_X, check_y

__all__ = ["GROUND_TRUTHS", "GroundTruth", "AUTO_MAX_CELLS_HIGH_D", "ground_truth"]

GROUND_TRUTHS = ("exact", "exchange")
#: ``auto`` uses the (LP-based, slower) enumeration for d >= 4 only up to this many cells.
AUTO_MAX_CELLS_HIGH_D = 1500


@dataclass
class GroundTruth:
    """The convex reference used by ``compare``, ``theory`` and ``solve --exact``.

    measure : Measure
    J : float (the J of ``measure``, an upper bound on the continuous J*)
    J_lower : float or None (a rigorous lower bound)
    J_grid : float or None (grid LASSO on the base grid)
    history : list of dict
    solver : str
    wall_s : float
    ground_truth : "exact" or "exchange"
    reason : str (why this one)
    exact : dict or None (:meth:`blasso.solvers.exact.ExactResult.to_dict` without ``p``)
    uniqueness : dict or None
    """

    measure: Measure
    J: float
    J_lower: float | None
    J_grid: float | None
    history: list
    solver: str
    wall_s: float
    ground_truth: str
    reason: str
    exact: dict | None = None
    uniqueness: dict | None = field(default=None)

    def summary(self) -> dict:
        """JSON-ready figures (no measure)."""
        width = None if self.J_lower is None else self.J - self.J_lower
        return {"ground_truth": self.ground_truth, "ground_truth_reason": self.reason, "J_upper": self.J,
                "J_lower": self.J_lower, "J_grid": self.J_grid,
                "rel_width": None if width is None else width / max(abs(self.J), 1e-300),
                "n_atoms": len(self.measure), "uniqueness": self.uniqueness, "wall_s": self.wall_s}


def _budget_for(d: int, max_cells):
    from blasso.solvers.exact import exact_budget

    if max_cells is not None:
        return exact_budget(d, max_cells)
    return exact_budget(d) if d in (2, 3) else AUTO_MAX_CELLS_HIGH_D


def ground_truth(X, y, lam: float, grid, *, mode: str = "auto", max_cells: int | None = None, rounds: int = 6,
                 solver: str = "FAST", sup_oracle=None, sup_budget: float = 30.0, check_unique: bool = True,
                 progress=None) -> GroundTruth:
    """The exact optimum when affordable (``mode="auto"``), else exchange rounds.

    Parameters
    ----------
    X, y, lam : the problem (``lam > 0``).
    grid : blasso.sphere.Grid
        Base grid of the exchange rounds (and of ``J_grid`` for the exact path).
    mode : {"auto", "exact", "exchange"}
        ``exact`` raises ``BlassoInputError`` when the cell count exceeds the budget.
    max_cells : int, optional
        Cell budget (default: :func:`blasso.solvers.exact.exact_budget` for d = 2, 3,
        :data:`AUTO_MAX_CELLS_HIGH_D` for d >= 4).
    rounds, solver, sup_oracle : passed to :func:`blasso.solvers.refine.convex_reference`.
    sup_budget : float
        Seconds of each rigorous sup of the exact path.
    check_unique : bool
        Run the uniqueness test of the exact path.
    progress : callable, optional

    Returns
    -------
    GroundTruth
    """
    from blasso.solvers import solve_lasso
    from blasso.solvers.exact import ExactConfig, exact_affordable, solve_exact
    from blasso.solvers.refine import convex_reference

    X = check_X(X)
    y = check_y(y, X.shape[0])
    lam = check_lam(lam)
    mode = check_choice(mode, ("auto", "exact", "exchange"), name="ground truth mode")
    say = as_progress(progress)
    d = X.shape[1]
    budget = _budget_for(d, max_cells)
    ok, bound, _ = exact_affordable(X, budget)
    if mode == "exact" and not ok:
        raise BlassoInputError(f"exact ground truth refused: up to {bound} activation patterns (cells) for "
                               f"n = {X.shape[0]}, d = {d}, over the budget of {budget}")
    if mode == "exchange" or not ok:
        reason = ("exchange rounds requested" if mode == "exchange" else
                  f"exact program not affordable: up to {bound} cells > budget {budget}")
        say(f"ground truth: exchange rounds ({reason})")
        cr = convex_reference(X, y, lam, grid, rounds=rounds, solver=solver, sup_oracle=sup_oracle, progress=say)
        return GroundTruth(measure=cr.measure, J=cr.J, J_lower=cr.J_lower, J_grid=cr.J_grid, history=cr.history,
                           solver=cr.solver, wall_s=cr.wall_s, ground_truth="exchange", reason=reason)
    t0 = time.perf_counter()
    say(f"ground truth: exact program ({bound} cells at most, budget {budget})")
    res = solve_exact(X, y, lam, config=ExactConfig(max_cells=budget, sup_budget=sup_budget,
                                                    check_unique=check_unique), progress=say)
    J_grid = None
    if grid is not None:
        J_grid = float(solve_lasso(X, y, lam, grid, solver=solver).objective)
    ex = res.to_dict()
    ex.pop("p", None)
    hist = [{"stage": "exact", "J": res.J_upper, "J_lower": res.J_lower, "atoms": len(res.measure),
             "cells": res.cells["n_cells"], "rounds": len(res.rounds)}]
    return GroundTruth(measure=res.measure, J=res.J_upper, J_lower=res.J_lower, J_grid=J_grid, history=hist,
                       solver=f"exact ({res.solver})", wall_s=time.perf_counter() - t0, ground_truth="exact",
                       reason=f"{res.cells['n_cells']} cells <= budget {budget}", exact=ex,
                       uniqueness=res.uniqueness)

