"""The convex ground truth: one certified optimum for every command, in every dimension.

:func:`ground_truth` returns, for an instance and ``lam > 0``:

* ``"colgen"`` (what ``mode="auto"`` picks, in every d) --
  :func:`blasso.solvers.colgen.solve_certified`: the continuous optimum by
  column generation over activation cells priced by the rigorous sup, with a
  verified bracket ``[J_lower, J_upper]`` and the uniqueness test; no cell
  budget;
* ``"exact"`` -- :func:`blasso.solvers.exact.solve_exact`, the same program with
  every cell enumerated (refused over its cell budget): the independent
  cross-check for small instances;
* ``"exchange"`` -- :func:`blasso.solvers.refine.convex_reference` (grid LASSO,
  off-grid refinement and exchange rounds), kept for comparison.

All return the same fields (``measure``, ``J`` upper bound, ``J_lower``,
``J_grid`` the grid LASSO on the base grid, ``history``), plus
``ground_truth`` saying which, and ``reason``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..measure import Measure
from ..progress import as_progress
from ..validation import BlassoInputError, check_choice, check_lam, check_X, check_y

__all__ = ["GROUND_TRUTHS", "GROUND_TRUTH_MODES", "GroundTruth", "AUTO_MAX_CELLS_HIGH_D", "ground_truth",
           "exact_summary"]

GROUND_TRUTHS = ("colgen", "exact", "exchange")
#: What ``--ground-truth`` accepts: ``auto`` is ``colgen``.
GROUND_TRUTH_MODES = ("auto",) + GROUND_TRUTHS
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
    ground_truth : "colgen", "exact" or "exchange"
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


def exact_summary(res) -> dict:
    """:meth:`blasso.solvers.exact.ExactResult.to_dict` without the arrays and objects a report cannot hold."""
    ex = res.to_dict()
    for key in ("p", "working_cells"):
        ex.pop(key, None)
    return ex


def ground_truth(X, y, lam: float, grid=None, *, mode: str = "auto", max_cells: int | None = None, rounds: int = 6,
                 solver: str = "FAST", sup_oracle=None, sup_budget: float = 30.0, time_budget: float = 300.0,
                 check_unique: bool = True, start: Measure | None = None, progress=None) -> GroundTruth:
    """The certified optimum (``mode="auto"``: column generation, any d), or the enumeration / exchange rounds.

    Parameters
    ----------
    X, y, lam : the problem (``lam > 0``).
    grid : blasso.sphere.Grid, optional
        Base grid of the exchange rounds; for ``colgen`` and ``exact`` only
        ``J_grid`` (its grid LASSO on the fast path) is computed on it.
    mode : {"auto", "colgen", "exact", "exchange"}
        ``exact`` raises ``BlassoInputError`` when the cell count exceeds the budget.
    max_cells : int, optional
        Cell budget of ``exact`` (default :func:`blasso.solvers.exact.exact_budget`).
    rounds, solver, sup_oracle : passed to :func:`blasso.solvers.refine.convex_reference` (``exchange``).
    sup_budget : float
        Seconds of each rigorous sup (``colgen``, ``exact``).
    time_budget : float
        Seconds for the column generation.
    check_unique : bool
        Run the uniqueness test.
    start : Measure, optional
        Atoms that seed the column generation's working set (e.g. a GD run's).
    progress : callable, optional

    Returns
    -------
    GroundTruth

    Examples
    --------
    >>> from blasso import make_instance
    >>> from blasso.studies.ground_truth import ground_truth
    >>> inst = make_instance(teacher="paper", n=40, d=3, m=2, seed=0)
    >>> gt = ground_truth(inst.X, inst.y, 1e-3, check_unique=False)
    >>> gt.ground_truth, gt.summary()["rel_width"] < 1e-8
    ('colgen', True)
    """
    from blasso.solvers.exact import exact_affordable

    X = check_X(X)
    y = check_y(y, X.shape[0])
    lam = check_lam(lam)
    mode = check_choice(mode, GROUND_TRUTH_MODES, name="ground truth mode")
    mode = "colgen" if mode == "auto" else mode
    say = as_progress(progress)
    d = X.shape[1]
    if mode == "exact":
        budget = _budget_for(d, max_cells)
        ok, bound, _ = exact_affordable(X, budget)
        if not ok:
            raise BlassoInputError(f"exact ground truth refused: up to {bound} activation patterns (cells) for "
                                   f"n = {X.shape[0]}, d = {d}, over the budget of {budget} (use 'auto': column "
                                   "generation needs no enumeration)")
    if mode == "exchange":
        from blasso.solvers.refine import convex_reference

        if grid is None:
            raise BlassoInputError("the exchange rounds need a base grid")
        say("ground truth: exchange rounds (requested)")
        cr = convex_reference(X, y, lam, grid, rounds=rounds, solver=solver, sup_oracle=sup_oracle, progress=say)
        return GroundTruth(measure=cr.measure, J=cr.J, J_lower=cr.J_lower, J_grid=cr.J_grid, history=cr.history,
                           solver=cr.solver, wall_s=cr.wall_s, ground_truth="exchange", reason="exchange rounds requested")
    return _certified(X, y, lam, grid, mode, max_cells, sup_budget, time_budget, check_unique, start, say)


def _certified(X, y, lam, grid, mode, max_cells, sup_budget, time_budget, check_unique, start, say) -> GroundTruth:
    """``colgen`` or ``exact`` (see :func:`ground_truth`)."""
    from blasso.solvers import solve_lasso
    from blasso.solvers.colgen import ColgenConfig, solve_certified
    from blasso.solvers.exact import ExactConfig, solve_exact

    t0 = time.perf_counter()
    if mode == "exact":
        budget = _budget_for(X.shape[1], max_cells)
        say(f"ground truth: exact program over every cell (budget {budget})")
        res = solve_exact(X, y, lam, config=ExactConfig(max_cells=budget, sup_budget=sup_budget,
                                                        check_unique=check_unique), progress=say)
        reason = f"{res.cells['n_cells']} cells enumerated (<= budget {budget})"
    else:
        say("ground truth: column generation over activation cells (certified bracket, any d)")
        res = solve_certified(X, y, lam, start=start, progress=say,
                              config=ColgenConfig(sup_budget=sup_budget, time_budget=time_budget,
                                                  check_unique=check_unique))
        reason = (f"column generation: {res.cells['n_cells']} working cells, {res.cells['rounds']} rounds, "
                  f"{res.cells['stopped']}")
    J_grid = None
    if grid is not None:
        J_grid = float(solve_lasso(X, y, lam, grid, solver="FAST").objective)
    hist = [{"stage": mode, "J": res.J_upper, "J_lower": res.J_lower, "atoms": len(res.measure),
             "cells": res.cells["n_cells"], "rounds": len(res.rounds)}]
    return GroundTruth(measure=res.measure, J=res.J_upper, J_lower=res.J_lower, J_grid=J_grid, history=hist,
                       solver=res.solver, wall_s=time.perf_counter() - t0, ground_truth=mode, reason=reason,
                       exact=exact_summary(res), uniqueness=res.uniqueness)
