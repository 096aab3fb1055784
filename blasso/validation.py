"""Input checks shared by the Python API and the CLI.

Every public entry point funnels its arguments through these functions, so a
bad input fails early with a message that names the argument and the problem
(in the spirit of scikit-learn's ``check_array``).
"""

from __future__ import annotations

import numbers
from typing import Iterable

import numpy as np

__all__ = [
    "BlassoInputError",
    "SolverError",
    "check_X",
    "check_y",
    "check_lam",
    "check_directions",
    "check_weights",
    "check_vector",
    "check_positive_int",
    "check_choice",
    "check_rng",
    "UNIT_TOL",
]

#: Tolerance on ``| ||theta|| - 1 |`` for a direction to count as a unit vector.
UNIT_TOL = 1e-8


class BlassoInputError(ValueError):
    """Raised when an input to the toolkit is malformed (shape, NaN, range...)."""


class SolverError(RuntimeError):
    """Raised when a numerical solver fails or returns an unusable status."""


def _as_float_array(value, name: str) -> np.ndarray:
    if value is None:
        raise BlassoInputError(f"{name} is None; an array is required")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise BlassoInputError(f"{name} cannot be converted to a float array: {exc}") from None
    return arr


def _check_finite(arr: np.ndarray, name: str) -> None:
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        kind = "NaN" if np.isnan(arr).any() else "infinite"
        raise BlassoInputError(f"{name} contains {bad} non-finite value(s) ({kind})")


def check_X(X, *, name: str = "X", max_norm: float | None = None) -> np.ndarray:
    """Validate a data matrix.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Inputs, one row per sample.
    name : str
        Name used in error messages.
    max_norm : float, optional
        If given, every row must satisfy ``||x_i|| <= max_norm`` (up to 1e-9
        relative); used for Assumption 4.7 (``max_norm=1``).

    Returns
    -------
    X : ndarray of shape (n, d), float64, C-contiguous
    """
    X = _as_float_array(X, name)
    if X.ndim != 2:
        raise BlassoInputError(f"{name} must be 2-D of shape (n, d); got shape {X.shape}")
    n, d = X.shape
    if n == 0:
        raise BlassoInputError(f"{name} is empty (n = 0 samples)")
    if d == 0:
        raise BlassoInputError(f"{name} has zero columns (d = 0)")
    _check_finite(X, name)
    if max_norm is not None:
        norms = np.linalg.norm(X, axis=1)
        worst = int(np.argmax(norms))
        if norms[worst] > max_norm * (1 + 1e-9):
            raise BlassoInputError(
                f"{name} row {worst} has norm {norms[worst]:.6g} > {max_norm} "
                "(Assumption 4.7 requires ||x_i|| <= 1)"
            )
    return np.ascontiguousarray(X)


def check_vector(v, n: int | None, *, name: str) -> np.ndarray:
    """Validate a finite 1-D float vector, optionally of length ``n``."""
    v = _as_float_array(v, name)
    if v.ndim != 1:
        raise BlassoInputError(f"{name} must be 1-D; got shape {v.shape}")
    if n is not None and v.shape[0] != n:
        raise BlassoInputError(f"{name} has length {v.shape[0]}, expected {n}")
    _check_finite(v, name)
    return np.ascontiguousarray(v)


def check_y(y, n: int, *, name: str = "y") -> np.ndarray:
    """Validate labels: finite, 1-D, length ``n`` (the number of rows of X)."""
    y = _as_float_array(y, name)
    if y.ndim == 2 and 1 in y.shape:
        raise BlassoInputError(f"{name} must be 1-D of length {n}; got shape {y.shape} (use y.ravel())")
    return check_vector(y, n, name=name)


def check_lam(lam, *, allow_zero: bool = False, name: str = "lam") -> float:
    """Validate the regularization parameter.

    ``lam > 0`` is required unless ``allow_zero`` (basis pursuit, ``lam = 0``).
    """
    if isinstance(lam, (bool, np.bool_)) or not isinstance(lam, numbers.Real):
        raise BlassoInputError(f"{name} must be a real number; got {type(lam).__name__}")
    lam = float(lam)
    if not np.isfinite(lam):
        raise BlassoInputError(f"{name} must be finite; got {lam}")
    if allow_zero:
        if lam < 0:
            raise BlassoInputError(f"{name} must be >= 0; got {lam}")
    elif lam <= 0:
        raise BlassoInputError(f"{name} must be > 0; got {lam} (use the basis-pursuit routines for lam = 0)")
    return lam


def check_directions(theta, d: int | None = None, *, name: str = "theta", tol: float = UNIT_TOL,
                     allow_empty: bool = False) -> np.ndarray:
    """Validate an array of unit vectors of shape (k, d).

    Raises if a row is not a unit vector to ``tol``, if the dimension differs
    from ``d`` or if the array is empty (unless ``allow_empty``).
    """
    theta = _as_float_array(theta, name)
    if theta.ndim == 1 and d is not None and theta.shape[0] == d:
        theta = theta[None, :]
    if theta.ndim != 2:
        raise BlassoInputError(f"{name} must be 2-D of shape (k, d); got shape {theta.shape}")
    if theta.shape[0] == 0 and not allow_empty:
        raise BlassoInputError(f"{name} is empty (no directions)")
    if d is not None and theta.shape[1] != d:
        raise BlassoInputError(f"{name} has dimension {theta.shape[1]}, but the data has d = {d}")
    _check_finite(theta, name)
    if theta.shape[0]:
        dev = np.abs(np.linalg.norm(theta, axis=1) - 1.0)
        worst = int(np.argmax(dev))
        if dev[worst] > tol:
            raise BlassoInputError(
                f"{name} row {worst} is not a unit vector (norm {np.linalg.norm(theta[worst]):.6g}); "
                "sphere directions must have norm 1"
            )
    return np.ascontiguousarray(theta)


def check_weights(c, k: int, *, name: str = "c") -> np.ndarray:
    """Validate signed weights of length ``k``."""
    return check_vector(c, k, name=name)


def check_positive_int(value, *, name: str, minimum: int = 1) -> int:
    """Validate an integer ``>= minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(value)
        else:
            raise BlassoInputError(f"{name} must be an integer; got {value!r}")
    value = int(value)
    if value < minimum:
        raise BlassoInputError(f"{name} must be >= {minimum}; got {value}")
    return value


def check_choice(value: str, choices: Iterable[str], *, name: str) -> str:
    """Validate a string option against the allowed choices (case-insensitive)."""
    choices = list(choices)
    if not isinstance(value, str):
        raise BlassoInputError(f"{name} must be a string, one of {choices}; got {value!r}")
    lowered = {c.lower(): c for c in choices}
    if value.lower() not in lowered:
        raise BlassoInputError(f"unknown {name} {value!r}; choose one of {choices}")
    return lowered[value.lower()]


def check_rng(rng) -> np.random.Generator:
    """Return a ``numpy.random.Generator``; accepts a Generator or an int seed.

    ``None`` is refused: every random choice in the toolkit is seeded explicitly.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (numbers.Integral,)) and not isinstance(rng, bool):
        if rng < 0:
            raise BlassoInputError(f"seed must be >= 0; got {rng}")
        return np.random.default_rng(int(rng))
    raise BlassoInputError(
        f"rng must be a numpy.random.Generator or a non-negative int seed; got {type(rng).__name__}"
    )
