"""Input checks shared by the grid LASSO solvers (CVXPY and the fast path)."""

from __future__ import annotations

import numpy as np

from blasso.sphere import Grid
from blasso.validation import BlassoInputError, check_input_norms, check_lam, check_X, check_y

__all__ = ["check_grid", "check_lasso_problem"]


def check_grid(grid, d: int) -> None:
    """Raise unless ``grid`` is a :class:`~blasso.sphere.Grid` in dimension ``d``."""
    if not isinstance(grid, Grid):
        raise BlassoInputError(f"grid must be a blasso.sphere.Grid; got {type(grid).__name__}")
    if grid.d != d:
        raise BlassoInputError(f"grid has dimension {grid.d}, but the data has d = {d}")


def check_lasso_problem(X, y, lam, grid) -> tuple[np.ndarray, np.ndarray, float]:
    """Validated ``(X, y, lam)`` of a grid LASSO; ``lam > 0`` and the grid matches ``d``.

    Rows of ``X`` outside the unit ball or equal to zero get a
    :class:`~blasso.validation.BlassoInputWarning` (the problem is still well defined).
    """
    X = check_X(X)
    check_input_norms(X)
    y = check_y(y, X.shape[0])
    lam = check_lam(lam)
    check_grid(grid, X.shape[1])
    return X, y, lam
