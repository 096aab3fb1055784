"""ReLU features ``A[i, g] = relu(<theta_g, x_i>)``, computed in bounded chunks.

The forward map ``Phi`` sends weights on directions to predictions on the
samples; its adjoint ``Phi*`` sends a vector on the samples to a function of
the direction.  ``eta_p(theta) = (1/n) Phi* p`` is the dual certificate
(the paper's ``f*(p)``).  No function here ever materialises more than
``chunk_bytes`` bytes of the n x G feature matrix, unless asked for the dense
matrix explicitly.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from .validation import BlassoInputError, check_directions, check_vector, check_X

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "relu",
    "feature_matrix",
    "iter_feature_chunks",
    "phi",
    "phi_adjoint",
    "eta",
]

#: Default upper bound on the bytes of one block of features (64 MiB).
DEFAULT_CHUNK_BYTES = 64 * 2**20


def relu(z: np.ndarray) -> np.ndarray:
    """Elementwise ``max(z, 0)``."""
    return np.maximum(z, 0.0)


def _chunk_len(n: int, chunk_bytes: int) -> int:
    if chunk_bytes < 8 * n:
        raise BlassoInputError(f"chunk_bytes={chunk_bytes} is below one column of features ({8 * n} bytes)")
    return max(1, int(chunk_bytes // (8 * n)))


def iter_feature_chunks(
    X: np.ndarray, theta: np.ndarray, *, chunk_bytes: int = DEFAULT_CHUNK_BYTES
) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield ``(start, stop, A[:, start:stop])`` blocks of at most ``chunk_bytes``.

    Inputs are assumed validated (this is the inner loop of the other helpers).
    """
    n = X.shape[0]
    G = theta.shape[0]
    step = _chunk_len(n, chunk_bytes)
    for start in range(0, G, step):
        stop = min(G, start + step)
        yield start, stop, relu(X @ theta[start:stop].T)


def feature_matrix(X, theta, *, max_bytes: int | None = 2**31) -> np.ndarray:
    """Dense ``A = relu(X theta^T)`` of shape (n, G).

    Raises if the matrix would exceed ``max_bytes`` (use the chunked helpers).
    """
    X = check_X(X)
    theta = check_directions(theta, X.shape[1], name="theta")
    nbytes = 8 * X.shape[0] * theta.shape[0]
    if max_bytes is not None and nbytes > max_bytes:
        raise BlassoInputError(
            f"dense features would take {nbytes / 2**20:.0f} MiB > max_bytes; use the chunked routines"
        )
    return relu(X @ theta.T)


def phi(X, theta, c, *, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> np.ndarray:
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


def phi_adjoint(X, theta, r, *, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> np.ndarray:
    """``(Phi* r)(theta_g) = sum_i r_i relu(<theta_g, x_i>)`` for every direction."""
    X = check_X(X)
    theta = check_directions(theta, X.shape[1], name="theta")
    r = check_vector(r, X.shape[0], name="r")
    out = np.empty(theta.shape[0])
    for start, stop, block in iter_feature_chunks(X, theta, chunk_bytes=chunk_bytes):
        out[start:stop] = r @ block
    return out


def eta(p, X, theta, *, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> np.ndarray:
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
