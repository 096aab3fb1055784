import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from blasso.features import eta, feature_matrix, phi, phi_adjoint
from blasso.sphere import random_sphere
from blasso.validation import BlassoInputError


def _loop_eta(p, X, theta):
    """Independent evaluation: explicit double loop of (1/n) sum_i p_i relu(<theta, x_i>)."""
    n = X.shape[0]
    out = np.zeros(theta.shape[0])
    for g in range(theta.shape[0]):
        s = 0.0
        for i in range(n):
            s += p[i] * max(0.0, float(np.dot(theta[g], X[i])))
        out[g] = s / n
    return out


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 12), d=st.integers(2, 5), G=st.integers(1, 30), seed=st.integers(0, 10**6))
def test_eta_matches_loop(n, d, G, seed):
    rng = np.random.default_rng(seed)
    X = random_sphere(n, d, rng) * rng.uniform(0, 1, (n, 1))
    theta = random_sphere(G, d, rng)
    p = rng.standard_normal(n)
    np.testing.assert_allclose(eta(p, X, theta), _loop_eta(p, X, theta), rtol=1e-12, atol=1e-13)


def test_chunked_equals_dense(rng):
    n, d, G = 37, 4, 1001
    X = random_sphere(n, d, rng)
    theta = random_sphere(G, d, rng)
    A = np.maximum(X @ theta.T, 0)
    c = rng.standard_normal(G) * (rng.uniform(size=G) < 0.3)
    r = rng.standard_normal(n)
    tiny = 8 * n * 7  # seven columns per chunk: many chunks with a ragged last one
    np.testing.assert_allclose(phi(X, theta, c, chunk_bytes=tiny), A @ c, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(phi_adjoint(X, theta, r, chunk_bytes=tiny), A.T @ r, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(feature_matrix(X, theta), A, rtol=0, atol=0)


def test_chunk_too_small_and_dense_cap(rng):
    X = random_sphere(10, 3, rng)
    theta = random_sphere(5, 3, rng)
    with pytest.raises(BlassoInputError, match="chunk_bytes"):
        phi_adjoint(X, theta, np.ones(10), chunk_bytes=8)
    with pytest.raises(BlassoInputError, match="max_bytes"):
        feature_matrix(X, theta, max_bytes=16)
