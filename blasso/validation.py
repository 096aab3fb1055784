"""Input checks shared by the Python API and the CLI.

Every public entry point funnels its arguments through these functions, so a
bad input fails early with a message that names the argument and the problem
(in the spirit of scikit-learn's ``check_array``).
"""

from __future__ import annotations

import hashlib
import numbers
import warnings
import zipfile
from pathlib import Path
from typing import IO, Iterable

import numpy as np

__all__ = [
    "BlassoInputError",
    "BlassoInputWarning",
    "SolverError",
    "check_input_norms",
    "check_number",
    "check_nonneg",
    "check_positive",
    "check_tol",
    "check_angle",
    "check_seed",
    "MAX_SEED",
    "read_npy_file",
    "read_npz_file",
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

#: Largest seed (instance files store it as int64).
MAX_SEED = 2**63 - 1

#: Matrices already warned about by :func:`check_input_norms` (fingerprints, bounded).
_WARNED: set = set()

#: Rows listed by name in a warning or an error before "..." (the count is always given).
_SHOW_ROWS = 5


class BlassoInputError(ValueError):
    """Raised when an input to the toolkit is malformed (shape, NaN, range...)."""


class BlassoInputWarning(UserWarning):
    """An input the toolkit accepts, but outside an assumption of the theory (e.g. ``||x_i|| > 1``)."""


class SolverError(RuntimeError):
    """Raised when a numerical solver fails or returns an unusable status."""


def _rows_text(idx: np.ndarray) -> str:
    shown = ", ".join(str(int(i)) for i in idx[:_SHOW_ROWS])
    return f"{idx.size} row(s) ({shown}{', ...' if idx.size > _SHOW_ROWS else ''})"


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


def check_input_norms(X: np.ndarray, *, name: str = "X", tol: float = 1e-9) -> None:
    """Warn (:class:`BlassoInputWarning`) about rows with ``||x_i|| > 1`` or ``x_i = 0``.

    Assumption 4.7 of the paper asks ``||x_i|| <= 1``; the BLASSO itself is well
    defined for any rows (Gaussian inputs are legitimate), so this warns and
    does not refuse.  A zero row contributes nothing to any feature.  The
    warning names the first rows and the largest norm.  Each distinct matrix
    is warned about once per process (an instance and the solver it feeds
    both check their ``X``; the user hears it once).

    Parameters
    ----------
    X : ndarray of shape (n, d)
        A validated data matrix (:func:`check_X`).
    name : str
        Name used in the message.
    tol : float
        Relative slack on the unit bound (rounding of normalised rows).
    """
    norms = np.sqrt(np.einsum("ij,ij->i", X, X))
    big = np.flatnonzero(norms > 1.0 + tol)
    zero = np.flatnonzero(norms == 0.0)
    if not (big.size or zero.size):
        return
    key = (name, X.shape, hashlib.blake2b(np.ascontiguousarray(X).tobytes(), digest_size=16).digest())
    if key in _WARNED:
        return
    if len(_WARNED) >= 256:
        _WARNED.clear()
    _WARNED.add(key)
    if big.size:
        warnings.warn(
            f"{name} has {_rows_text(big)} with norm > 1 (largest {norms[big].max():.6g}); Assumption 4.7 "
            "(||x_i|| <= 1) does not hold, the BLASSO is still well defined", BlassoInputWarning, stacklevel=3)
    if zero.size:
        warnings.warn(f"{name} has {_rows_text(zero)} equal to zero; they contribute nothing to any feature",
                      BlassoInputWarning, stacklevel=3)


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
        return np.random.default_rng(check_seed(rng))
    raise BlassoInputError(
        f"rng must be a numpy.random.Generator or a non-negative int seed; got {type(rng).__name__}"
    )


def check_seed(value, *, name: str = "seed") -> int:
    """Validate a seed: an integer in ``[0, MAX_SEED]`` (instance files store seeds as int64)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise BlassoInputError(f"{name} must be an integer; got {value!r}")
    value = int(value)
    if not 0 <= value <= MAX_SEED:
        raise BlassoInputError(f"{name} must be between 0 and 2**63 - 1 = {MAX_SEED}; got {value}")
    return value


def check_number(value, *, name: str, minimum: float | None = None, maximum: float | None = None,
                 strict_min: bool = False, strict_max: bool = False) -> float:
    """Validate a finite real number in a range; returns it as a float.

    Parameters
    ----------
    value : real
    name : str
        Name used in the message (``"tol"``, ``"--time-budget"``...).
    minimum, maximum : float, optional
        Bounds (inclusive unless ``strict_min`` / ``strict_max``).

    Raises
    ------
    BlassoInputError
        One line naming ``name``, the bound and the offending value.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise BlassoInputError(f"{name} must be a real number; got {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise BlassoInputError(f"{name} must be finite; got {v}")
    if minimum is not None and (v <= minimum if strict_min else v < minimum):
        raise BlassoInputError(f"{name} must be {'>' if strict_min else '>='} {minimum:g}; got {v:g}")
    if maximum is not None and (v >= maximum if strict_max else v > maximum):
        raise BlassoInputError(f"{name} must be {'<' if strict_max else '<='} {maximum:g}; got {v:g}")
    return v


def check_nonneg(value, name: str) -> float:
    """A finite number ``>= 0`` (tolerances that may be zero, budgets, angles, noise levels)."""
    return check_number(value, name=name, minimum=0.0)


def check_positive(value, name: str) -> float:
    """A finite number ``> 0`` (step sizes, time budgets that must allow some work)."""
    return check_number(value, name=name, minimum=0.0, strict_min=True)


def check_tol(value, name: str = "tol") -> float:
    """A relative tolerance in ``(0, 1)``."""
    return check_number(value, name=name, minimum=0.0, maximum=1.0, strict_min=True, strict_max=True)


def check_angle(value, name: str, *, unit: str = "deg") -> float:
    """An angle in ``[0, 180]`` degrees (``unit="deg"``) or ``[0, pi]`` radians (``unit="rad"``)."""
    top = {"deg": 180.0, "rad": float(np.pi)}.get(unit)
    if top is None:
        raise BlassoInputError(f"angle unit must be 'deg' or 'rad'; got {unit!r}")
    return check_number(value, name=f"{name} ({'degrees' if unit == 'deg' else 'radians'})",
                        minimum=0.0, maximum=top)


# ------------------------------------------------------------------ files
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_PROTOCOLS = tuple(bytes([0x80, v]) for v in range(2, 6))


def _describe_foreign(head: bytes) -> str:
    """What a file that is not the expected numpy format looks like, from its first bytes."""
    if not head:
        return "it is empty"
    if head.startswith(_PICKLE_PROTOCOLS):
        return "it is a Python pickle, which blasso never loads"
    if head.startswith(_ZIP_MAGIC):
        return "it is a zip archive (.npz), not a single .npy array"
    if head.startswith(_NPY_MAGIC):
        return "it is a single .npy array, not an .npz archive"
    return "it does not start with a numpy or zip header"


def _read_npy_stream(f: IO[bytes], what: str, max_bytes: int | None) -> np.ndarray:
    """One ``.npy`` array from an open stream, refusing object arrays and oversized headers first."""
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    except (ValueError, EOFError, OSError, SyntaxError) as exc:
        raise BlassoInputError(f"cannot read {what}: malformed .npy header ({exc})") from None
    if dtype.hasobject:
        raise BlassoInputError(f"cannot read {what}: it holds Python objects (dtype {dtype}); "
                               "blasso reads numeric arrays only and never unpickles")
    if dtype.kind not in "biufUS":   # numbers, and the strings an instance keeps its metadata in
        raise BlassoInputError(f"cannot read {what}: dtype {dtype}; a real numeric array is required")
    count = int(np.prod(shape, dtype=object)) if shape else 1
    nbytes = count * dtype.itemsize
    if max_bytes is not None and nbytes > max_bytes:
        raise BlassoInputError(f"cannot read {what}: it declares shape {shape} ({nbytes} bytes), more "
                               f"than the {max_bytes} bytes allowed here")
    from .memory import check_memory  # lazy: blasso.memory imports this module

    check_memory(nbytes, f"{what} (shape {shape}, dtype {dtype})")
    buf = bytearray(nbytes)
    view, got = memoryview(buf), 0
    while got < nbytes:
        k = f.readinto(view[got:])
        if not k:
            break
        got += k
    if got != nbytes:
        raise BlassoInputError(f"cannot read {what}: truncated, {got} of the {nbytes} data bytes its header declares")
    arr = np.frombuffer(buf, dtype=dtype)
    return arr.reshape(shape, order="F" if fortran else "C")


def _existing_file(path, what: str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise BlassoInputError(f"{what} does not exist" if not path.exists() else f"{what} is not a regular file")
    return path


def read_npy_file(path, *, what: str = "file", max_bytes: int | None = None) -> np.ndarray:
    """Read a numeric ``.npy`` array without ever unpickling, with one-line errors.

    Parameters
    ----------
    path : str or Path
    what : str
        How to name the file in messages (``"grid file 'g.npy'"``).
    max_bytes : int, optional
        Refuse arrays whose header declares more bytes (checked before reading).

    Raises
    ------
    BlassoInputError
        Missing file, a pickle, a zip, random bytes, object arrays, a truncated file.
    """
    path = _existing_file(path, what)
    with open(path, "rb") as f:
        head = f.read(8)
        if not head.startswith(_NPY_MAGIC):
            raise BlassoInputError(f"cannot read {what} as a .npy array: {_describe_foreign(head)}")
        f.seek(0)
        return _read_npy_stream(f, what, max_bytes)


def read_npz_file(path, *, what: str = "file", max_bytes: int | None = None) -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` archive without ever unpickling, with one-line errors.

    Returns a dict ``name -> array`` (names without ``.npy``).  Parameters and
    errors as in :func:`read_npy_file`; a member that is not a ``.npy`` array
    is refused.
    """
    path = _existing_file(path, what)
    with open(path, "rb") as f:
        head = f.read(8)
    if not head.startswith(_ZIP_MAGIC):
        raise BlassoInputError(f"cannot read {what} as .npz: {_describe_foreign(head)}")
    out: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if info.is_dir():
                    continue
                key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
                if max_bytes is not None and info.file_size > max_bytes + 4096:
                    raise BlassoInputError(f"cannot read {what}: member {key!r} has {info.file_size} bytes, "
                                           f"more than the {max_bytes} allowed here")
                with z.open(info) as m:
                    mhead = m.read(8)
                    if not mhead.startswith(_NPY_MAGIC):
                        raise BlassoInputError(f"cannot read {what}: member {key!r} is not a .npy array")
                with z.open(info) as m:
                    out[key] = _read_npy_stream(m, f"array {key!r} of {what}", max_bytes)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError) as exc:
        raise BlassoInputError(f"cannot read {what}: damaged zip archive ({exc})") from None
    return out
