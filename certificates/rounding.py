"""Outward-rounded interval arithmetic in NumPy, with the error bounds it rests on.

Every rigorous upper bound of :mod:`blasso.certificates.sup` is computed with the
operations of this module, so that rounding can only make it larger.  The
argument, for exactly the operations used:

* IEEE 754 binary64 with round-to-nearest (NumPy's ``+ - * / sqrt`` on
  float64) returns the exact result rounded to a neighbouring float, with an
  error of at most half an ulp (or an absolute ``2**-1075`` in the subnormal
  range).  Moving the computed result one float outwards with
  :func:`numpy.nextafter` therefore gives an enclosure of the exact result of
  the operation applied to the endpoints.  :class:`IV` applies this to each
  operation (``+``, ``-``, ``*``, division by a positive interval, ``sqrt``,
  squaring), so an interval expression encloses the exact value of the
  expression for every real input in the input intervals.
* Dot products and matrix products go through BLAS, whose summation order
  (and use of FMA) is unknown.  For any order, ``|fl(sum_k a_k b_k) - sum_k a_k
  b_k| <= gamma_k sum_k |a_k b_k|`` with ``gamma_k = k u / (1 - k u)``,
  ``u = 2**-53`` (Higham, *Accuracy and Stability of Numerical Algorithms*,
  2nd ed., section 3.1; FMA only tightens it), plus ``k * 2**-1074`` for
  underflow.  :func:`matmul_iv` computes ``S = fl(|A| @ |B|)`` (whose exact
  value is at most ``S / (1 - gamma_k)``) and widens the product by
  ``2 * gamma_{k+2} * S + (k + 2) * 2**-1073``; the factor 2 over-covers the
  rounding of this error term itself.
* Transcendental functions (``arccos``, ``cos``) are never used in a rigorous
  bound: libm gives no correct-rounding guarantee.  Cap geometry is written with
  ``sin r`` and ``cos r = sqrt(1 - sin^2 r)`` instead.
* Scaling by powers of two is exact (:func:`exact_scaling`), so data can be
  brought to unit scale (largest entry of each row of ``X`` and of ``p`` in ``[1/2, 1)``)
  without moving a hyperplane or rounding a coefficient, except entries that
  underflow below ``2**-1022`` of the largest, whose loss is returned and added
  to the bounds.

Overflow cannot happen on scaled data (all magnitudes are at most ``n``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["U", "gamma", "up", "down", "IV", "matmul_iv", "matmul_ivf", "sum_iv", "norm2_iv", "exact_scaling", "Scaled"]

#: Unit roundoff of binary64.
U = 2.0 ** -53
_TINY = 2.0 ** -1073


def gamma(k) -> float:
    """``gamma_k = k u / (1 - k u)`` (valid for ``k u < 1``)."""
    k = float(k)
    if k * U >= 0.5:
        raise ValueError(f"gamma_{k:g} is not defined for this many terms")
    return k * U / (1.0 - k * U)


def up(x):
    """The next float towards +inf (an upper bound of a rounded-to-nearest result)."""
    return np.nextafter(x, np.inf)


def down(x):
    """The next float towards -inf."""
    return np.nextafter(x, -np.inf)


@dataclass
class IV:
    """Intervals ``[lo, hi]`` (arrays of the same shape) with outward rounding."""

    lo: np.ndarray
    hi: np.ndarray

    @staticmethod
    def point(x) -> "IV":
        x = np.asarray(x, dtype=np.float64)
        return IV(x, x)

    def __add__(self, o):
        o = _iv(o)
        return IV(down(self.lo + o.lo), up(self.hi + o.hi))

    __radd__ = __add__

    def __neg__(self):
        return IV(-self.hi, -self.lo)

    def __sub__(self, o):
        return self + (-_iv(o))

    def __rsub__(self, o):
        return _iv(o) + (-self)

    def __mul__(self, o):
        o = _iv(o)
        c = np.stack([self.lo * o.lo, self.lo * o.hi, self.hi * o.lo, self.hi * o.hi])
        return IV(down(c.min(axis=0)), up(c.max(axis=0)))

    __rmul__ = __mul__

    def div_pos(self, o) -> "IV":
        """``self / o`` for an interval ``o`` with ``o.lo > 0``."""
        o = _iv(o)
        c = np.stack([self.lo / o.lo, self.lo / o.hi, self.hi / o.lo, self.hi / o.hi])
        return IV(down(c.min(axis=0)), up(c.max(axis=0)))

    def sq(self) -> "IV":
        """``self ** 2`` (tight: 0 when the interval contains 0)."""
        a, b = self.lo * self.lo, self.hi * self.hi
        lo = np.where((self.lo <= 0) & (self.hi >= 0), 0.0, down(np.minimum(a, b)))
        return IV(np.maximum(lo, 0.0), up(np.maximum(a, b)))

    def sqrt(self) -> "IV":
        return IV(np.maximum(down(np.sqrt(np.maximum(self.lo, 0.0))), 0.0), up(np.sqrt(np.maximum(self.hi, 0.0))))

    def clip(self, a: float, b: float) -> "IV":
        """Intersect with ``[a, b]`` (sound when the exact value is known to lie in it)."""
        return IV(np.clip(self.lo, a, b), np.clip(self.hi, a, b))

    def __getitem__(self, k):
        return IV(self.lo[k], self.hi[k])


def _iv(x) -> IV:
    return x if isinstance(x, IV) else IV.point(x)


def matmul_iv(A: np.ndarray, B: np.ndarray) -> IV:
    """Enclosure of the exact product ``A @ B`` of float matrices (see the module docstring)."""
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    k = A.shape[-1]
    val = A @ B
    S = np.abs(A) @ np.abs(B)
    err = 2.0 * gamma(k + 2) * S + (k + 2) * _TINY
    return IV(down(val - err), up(val + err))


@dataclass(frozen=True)
class Scaled:
    """Data brought to unit scale by exact powers of two.

    ``eta_p(theta; X) = 2**exponent * eta_ps(theta; Xs)`` exactly up to
    ``abs_loss`` (in scaled units) from entries of ``ps`` that underflowed.
    Zero rows of ``X`` are kept (as zero rows, with ``ps_i = 0``); ``keep``
    is all True and kept for callers that restrict patterns.
    """

    ps: np.ndarray
    Xs: np.ndarray
    exponent: int
    abs_loss: float
    keep: np.ndarray
    n: int

    def unscale(self, v: float) -> float:
        """``2**exponent * v`` (raises if it overflows)."""
        if not np.isfinite(v):
            return v
        out = float(np.ldexp(v, self.exponent))
        if not np.isfinite(out):
            raise OverflowError(f"a bound of 2**{self.exponent} x {v:g} overflows float64")
        return out


def exact_scaling(p: np.ndarray, X: np.ndarray) -> Scaled:
    """Rescale each row of ``X`` and then ``p`` to a largest entry in ``[1/2, 1)``, exactly.

    Row ``i`` is multiplied by ``2**-k_i`` and ``p_i`` by ``2**k_i`` (so
    ``p_i x_i`` is unchanged, and so is every hyperplane), then ``p`` by a
    common ``2**-K``.  Entries of ``p`` more than ``2**-1022`` below the
    largest may round; their total effect on ``|eta|`` is bounded by
    ``abs_loss``.  The ``1/n`` of ``eta`` is kept: ``eta`` in scaled units is
    ``(1/n) sum_i ps_i relu(<theta, Xs_i>)``.
    """
    p = np.asarray(p, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    # row norms only to pick exponents: a wrong guess by one power of two is harmless
    _, kx = np.frexp(np.max(np.abs(X), axis=1))
    keep = np.ones(n, dtype=bool)  # zero rows stay (their pattern bit is always off)
    Xs = np.ldexp(X, -kx[:, None])
    inexact = np.any(np.ldexp(Xs, kx[:, None]) != X, axis=1)  # a subnormal entry would round
    if inexact.any():
        kx = np.where(inexact, 0, kx)
        Xs = np.ldexp(X, -kx[:, None])
    mant, kp = np.frexp(p)
    e = kp + kx  # |p_i 2**k_i| = |mant| 2**e
    nz = (mant != 0) & np.any(X != 0, axis=1)
    mant = np.where(nz, mant, 0.0)
    big = int(e[nz].max()) if nz.any() else 0
    ps = np.where(nz, np.ldexp(mant, np.where(nz, e - big, 0)), 0.0)  # exact unless e - big < -1021
    lost = nz & (e - big < -1021)
    # each rounded entry is off by < 2**-1074; relu(<theta, x>) <= |x| <= sqrt(d)
    abs_loss = float(lost.sum()) * 2.0 ** -1074 * np.sqrt(X.shape[1]) * 2.0
    return Scaled(ps, Xs, big, abs_loss, keep, n)


def matmul_ivf(A: IV, B: np.ndarray) -> IV:
    """Enclosure of ``A @ B`` for every matrix in the interval ``A`` (float ``B``)."""
    B = np.asarray(B, dtype=np.float64)
    mid = 0.5 * (A.lo + A.hi)
    rad = np.maximum(up(A.hi - mid), up(mid - A.lo))
    c = matmul_iv(mid, B)
    r = matmul_iv(rad, np.abs(B)).hi
    return IV(down(c.lo - r), up(c.hi + r))


def sum_iv(A: IV, axis: int = -1) -> IV:
    """Enclosure of the exact sum of interval entries along ``axis``."""
    k = A.lo.shape[axis]
    g = 2.0 * gamma(k + 2)
    lo = A.lo.sum(axis=axis)
    hi = A.hi.sum(axis=axis)
    elo = g * np.abs(A.lo).sum(axis=axis) + (k + 2) * _TINY
    ehi = g * np.abs(A.hi).sum(axis=axis) + (k + 2) * _TINY
    return IV(down(lo - elo), up(hi + ehi))


def norm2_iv(V: IV) -> IV:
    """Enclosure of ``||v||^2`` row-wise for every ``v`` in the interval rows ``V`` (..., d)."""
    return sum_iv(V.sq(), axis=-1)
