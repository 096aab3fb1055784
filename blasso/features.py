"""ReLU features ``A[i, g] = relu(<theta_g, x_i>)``, computed in bounded chunks.

The forward map ``Phi`` sends weights on directions to predictions on the
samples; its adjoint ``Phi*`` sends a vector on the samples to a function of
the direction.  ``eta_p(theta) = (1/n) Phi* p`` is the dual certificate
(the paper's ``f*(p)``).  No function here ever materialises more than
``chunk_bytes`` bytes of the n x G feature matrix (default: the shared budget
:func:`blasso.memory.chunk_bytes`), unless asked for the dense matrix
explicitly; outputs of length G are checked against the available memory
first (:func:`blasso.memory.check_memory`).

:func:`lam_max` is the smallest ``lam`` for which the zero measure solves the
grid LASSO: ``c = 0`` is optimal iff ``|a_g^T y| / n <= lam`` for every atom
(the subgradient condition at 0), i.e. iff ``lam >= max_g |a_g^T y| / n``.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from .memory import DEFAULT_CHUNK_BYTES, check_memory, chunks, format_bytes
from .validation import BlassoInputError, check_directions, check_vector, check_X, check_y

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "relu",
    "feature_matrix",
    "iter_feature_chunks",
    "phi",
    "phi_adjoint",
    "eta",
    "lam_max",
]


def relu(z: np.ndarray) -> np.ndarray:
    """Elementwise ``max(z, 0)``."""
    return np.maximum(z, 0.0)


def iter_feature_chunks(
    X: np.ndarray, theta: np.ndarray, *, chunk_bytes: int | None = None
) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield ``(start, stop, A[:, start:stop])`` blocks of at most ``chunk_bytes``.

    Inputs are assumed validated (this is the inner loop of the other helpers).
    ``chunk_bytes`` defaults to :func:`blasso.memory.chunk_bytes`; below one
    feature column (``8 n`` bytes) it raises.
    """
    for start, stop in chunks(theta.shape[0], 8 * X.shape[0], chunk_bytes):
        block = X @ theta[start:stop].T
        yield start, stop, np.maximum(block, 0.0, out=block)


def feature_matrix(X, theta, *, max_bytes: int | None = 2**31) -> np.ndarray:
    """Dense ``A = relu(X theta^T)`` of shape (n, G).

    Raises if the matrix would exceed ``max_bytes`` (use the chunked helpers).
    """
    X = check_X(X)
    theta = check_directions(theta, X.shape[1], name="theta")
    nbytes = 8 * X.shape[0] * theta.shape[0]
    if max_bytes is not None and nbytes > max_bytes:
        raise BlassoInputError(
            f"dense features would take {format_bytes(nbytes)} > max_bytes = {format_bytes(max_bytes)}; "
            "use the chunked routines")
    check_memory(nbytes, f"the dense {X.shape[0]} x {theta.shape[0]:,} feature matrix")
    A = X @ theta.T
    return np.maximum(A, 0.0, out=A)


def phi(X, theta, c, *, chunk_bytes: int | None = None) -> np.ndarray:
    """Predictions ``f(x_i; nu) = sum_g c_g relu(<theta_g, x_i>)`` for all samples.

    Zero weights are skipped, so a sparse ``c`` on a large grid is cheap.
    """
    X = check_X(X)
    theta = check_directions(theta, X.shape[1], name="theta", allow_empty=True)
    c = check_vector(c, theta.shape[0], name="c")
    nz = np.flatnonzero(c)
    out = np.zeros(X.shape[0])
    if nz.size == 0:
        return out
    th, cc = theta[nz], c[nz]
    for start, stop, block in iter_feature_chunks(X, th, chunk_bytes=chunk_bytes):
        out += block @ cc[start:stop]
    return out


def phi_adjoint(X, theta, r, *, chunk_bytes: int | None = None) -> np.ndarray:
    """``(Phi* r)(theta_g) = sum_i r_i relu(<theta_g, x_i>)`` for every direction."""
    X = check_X(X)
    theta = check_directions(theta, X.shape[1], name="theta")
    r = check_vector(r, X.shape[0], name="r")
    check_memory(8 * theta.shape[0], f"a function on {theta.shape[0]:,} directions")
    return _adjoint(X, theta, r, chunk_bytes)


def _adjoint(X: np.ndarray, theta: np.ndarray, r: np.ndarray, chunk_bytes: int | None) -> np.ndarray:
    out = np.empty(theta.shape[0])
    for start, stop, block in iter_feature_chunks(X, theta, chunk_bytes=chunk_bytes):
        out[start:stop] = r @ block
    return out


def eta(p, X, theta, *, chunk_bytes: int | None = None) -> np.ndarray:
    """Dual certificate ``eta_p(theta) = (1/n) sum_i p_i relu(<theta, x_i>)``.

    Parameters
    ----------
    p : array_like of shape (n,)
        Dual vector.
    X : array_like of shape (n, d)
    theta : array_like of shape (G, d)
        Unit directions (a grid, a random sample, atoms...).

    Returns
    -------
    ndarray of shape (G,)
    """
    X = check_X(X)
    return phi_adjoint(X, theta, p, chunk_bytes=chunk_bytes) / X.shape[0]


def lam_max(X, y, theta, *, chunk_bytes: int | None = None) -> float:
    """``max_g |a_g^T y| / n``: for ``lam >= lam_max`` the zero measure solves the grid LASSO.

    Parameters
    ----------
    X : array_like (n, d)
    y : array_like (n,)
    theta : array_like (G, d)
        Grid directions.

    Returns
    -------
    float
        ``0`` when every feature is orthogonal to ``y``.
    """
    X = check_X(X)
    y = check_y(y, X.shape[0])
    theta = check_directions(theta, X.shape[1], name="theta")
    best = 0.0
    for _, _, block in iter_feature_chunks(X, theta, chunk_bytes=chunk_bytes):
        best = max(best, float(np.max(np.abs(y @ block))))
    return best / X.shape[0]
