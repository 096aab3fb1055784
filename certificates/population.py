"""The population (n -> infinity) vanishing-derivative pre-certificate and its rigorous sup.

Inputs ``x`` uniform on ``S^{d-1}`` (Assumption 3.1).  Standard Gaussian inputs
give the same certificate up to a constant factor: ``g = |g| x`` with ``|g|``
independent of ``x`` and ``E|g|^2 = d``, and every feature is positively
homogeneous, so ``E_gauss[...] = d E_sphere[...]`` for the second moments below
(``k``, its gradient, ``M``); the Gram system and the right-hand sides scale
alike, hence ``alpha_gauss = alpha_sphere / d`` and ``eta_V`` is *identical*.

Closed forms (``u, v`` unit, ``phi = angle(u, v)``, ``J(phi) = sin phi + (pi - phi) cos phi``)
----------------------------------------------------------------------------------------------
Reduce to the plane ``P = span(u, v)``: for a standard Gaussian ``g`` the
in-plane part has uniform polar angle and ``E rho^2 = 2``, the orthogonal part
is independent of the indicators, and ``{<u,g> > 0, <v,g> > 0}`` is a wedge of
opening ``pi - phi`` bisected by ``w = (u + v)/|u + v|``.  Integrating
``e(psi) e(psi)^T`` over the wedge gives, with ``w' = (u - v)/|u - v|``,

* ``M(u, v) = E_sphere[x x^T 1{<u,x> > 0} 1{<v,x> > 0}]
  = [(pi - phi) I + sin(phi) (w w^T - w' w'^T)] / (2 pi d)``
  (equivalently ``(u v^T + v u^T - cos(phi)(u u^T + v v^T)) / sin(phi)`` for
  the bracket's second term); ``M(u, u) = I / (2d)``, ``M(u, -u) = 0``;
* ``k(u, v) = E[relu(<u,x>) relu(<v,x>)] = |u| |v| J(phi) / (2 pi d)``
  (the degree-1 arc-cosine kernel of Cho & Saul, divided by ``d``);
* ``grad_u k(u, v) = M(u, v) v = (|v| sin(phi) u/|u| + (pi - phi) v) / (2 pi d)``.

The population pre-certificate
------------------------------
The minimal-norm ``p`` in ``L^2`` with ``E[p(x) x 1{<theta_j,x> > 0}] = s_j theta_j``
(``s_j = sign c_j``) is the projection of 0 on an affine space whose
direction is orthogonal to the ``m d`` functions
``x -> <e, x> 1{<theta_k, x> > 0}``; so ``p(x) = sum_k <alpha_k, x> 1{<theta_k,x> > 0}``
with ``sum_k M(theta_j, theta_k) alpha_k = s_j theta_j`` (the ``(m d) x (m d)``
Gram system).  Then ``eta_V(theta) = E[p(x) relu(<theta,x>)]
= sum_k alpha_k^T M(theta_k, theta) theta``, i.e. for unit ``theta`` with
``phi_k = angle(theta_k, theta)``, ``a_k = <alpha_k, theta_k>``:

    eta_V(theta) = (1/(2 pi d)) sum_k [a_k sin(phi_k) + (pi - phi_k) <alpha_k, theta>].

Writing ``alpha_k = a_k theta_k + alpha_k^perp`` and ``e_k = <alpha_k^perp, theta>``,
each term is ``a_k J(phi_k) + (pi - phi_k) e_k``: smooth except at
``theta = +-theta_k``, where it is ``C^1`` with a kink in the second derivative.
The tangential gradient is
``(1/(2 pi d)) sum_k [(pi - phi_k)(alpha_k - <alpha_k,theta> theta) + e_k w_k]``,
``w_k = (theta_k - cos(phi_k) theta)/sin(phi_k)``.

Derivatives along a unit-speed great circle ``gamma``: with ``w = <theta_k, gamma'>/sin phi``,
``phi' = -w``, ``phi'' = cot(phi)(1 - w^2)``, ``phi''' = w(1 - w^2)(1 + 3 cot^2 phi)``,
``e'' = -e``, ``e''' = -e'``, so ``y = a J(phi) + (pi - phi) e`` has
``y'' = a(J'' w^2 + J' cot(phi)(1 - w^2)) - cot(phi)(1 - w^2) e + 2 w e' - (pi - phi) e`` and
``y''' = a(-J''' w^3 - 3 J'' w cot(phi)(1 - w^2) + J' w(1 - w^2)(1 + 3cot^2 phi))
- w(1 - w^2)(1 + 3 cot^2 phi) e - 3 cot(phi)(1 - w^2) e' - 3 w e - (pi - phi) e'``
(``J' = -(pi - phi) sin phi``, ``J'' = sin phi - (pi - phi) cos phi``,
``J''' = 2 cos phi + (pi - phi) sin phi``).  On the ray from ``theta_j`` in
the unit tangent direction ``tau`` the own term is explicit,
``a_j sin t + (pi - t)(a_j cos t + <alpha_j, tau> sin t)``, whose one-sided second
derivative at ``t = 0+`` is ``-pi a_j - 2 <alpha_j, tau>``: odd in ``tau``, the
kink.  Summing, the one-sided second derivative of ``h = s_j eta_V`` at the
atom is ``s_j (tau^T Q_j tau + l_j^T tau) / (2 pi d)`` (closed form, see
:meth:`PopulationPreCertificate.one_sided_form`).

What is rigorous, and why
-------------------------
All rigorous statements are about the *exact* population ``eta_V`` of the atoms
``u_j = theta_j / |theta_j|`` (exact normalisation of the float directions),
computed in python-flint ball arithmetic (FLINT guarantees that every ball
contains the exact result; ``acos`` is done as ``2 atan2(|u - v|, |u + v|)``):

1. ``alpha`` is enclosed by ``arb_mat.solve`` of the Gram system built in
   balls; its success proves the Gram matrix invertible.
2. Away from the atoms: the sphere is covered by radial projections of boxes
   on the faces of ``[-1, 1]^d``; a box with centre ``c`` and half-widths
   ``h`` lies in the cap of angular radius ``rho = asin(|h| / |c|)``.  Along any
   unit-speed great circle, ``t -> eta_V`` is ``C^1`` with an ``H``-Lipschitz
   derivative, ``H = 2 P_max E[r] / pi``: writing the circle's plane in polar
   coordinates, ``eta_V(gamma(t)) = int Q(omega) relu(cos(omega - t)) d omega``
   with ``|Q| <= P_max E[r] / (2 pi)`` (``r`` the radius of the planar
   projection of ``x``, independent of the uniform angle ``omega``;
   ``E r <= sqrt(2/d)``; ``P_max = max_S |sum_{k in S} alpha_k| >= sup |p|``),
   and ``t -> relu(cos t)`` has a derivative of total variation 4.  Hence on the
   cap ``|eta_V| <= |eta_V(c)| + rho |grad eta_V(c)| + H rho^2 / 2``, with the
   centre value and gradient evaluated in balls.  This holds across the kinks.
   Where it is too weak and the cap avoids every ``+-theta_k`` (there
   ``eta_V`` is smooth), a second-order bound is used instead:
   ``eta_V(c) + max_{s <= rho} (s G + s^2 mu / 2) + rho^3 H3 / 6`` (and its
   mirror for ``-eta_V``), with the tangential Hessian at ``c`` in closed form
   (sum of the ``y''`` quadratic forms), ``mu`` an upper bound of its top
   eigenvalue (``mu I - Hess + nu c c^T`` proven positive definite by a
   Cholesky factorisation in balls) and ``H3`` the interval evaluation of
   ``sum_k |y_k'''|`` over the cap's range of angles to each atom.  The
   branch and bound runs in stages of decreasing radius ``r`` (the margin
   curve's): a stage resolves every cap not inside some ``B(theta_j, r - 2e-9)``
   (decided on float angles, accurate to ~1e-15), so the curve's ``sup_hi(r)``
   is rigorous once its stage has completed, even if the budget ends later.
3. Inside the ball ``B(u_j, r_j)``: ``h(t) = s_j eta_V(cos t u_j + sin t tau)``
   has ``h(0) = 1`` and ``h'(0+) = 0`` exactly (the equations), so
   ``h(t) = 1 + int_0^t (t - s) h''(s) ds``.  ``max_tau h''(0+; tau) <= -kappa_j``
   is proven by the Lagrangian bound ``max_{|tau|=1} tau^T Q tau + l^T tau <=
   mu + l^T (mu I - Q)^{-1} l / 4`` with ``mu I - Q`` proven positive definite
   by a Cholesky factorisation in balls.  ``|h'''(t; tau)| <= H3_j`` for
   ``0 < t <= r_j`` and every ``tau`` (along the rays from ``u_j``; along other
   geodesics the own term's third derivative grows like ``1/distance``) is an
   interval evaluation of the ``y'''`` formula above over the ball's range of
   ``phi_k`` (``k != j``; the ball avoids ``+-theta_k``) plus
   ``(|a_j| + (3 + pi)|alpha_j|) / (2 pi d)`` for the own term.  With
   ``r_j <= kappa_j / (2 H3_j)``, ``h'' <= -kappa_j / 2`` on the whole ball, so
   ``h(t) <= 1 - kappa_j t^2 / 4 < 1`` for ``0 < t <= r_j``, and
   ``h >= 1 - H r_j^2 / 2 > -1``.
4. ``fails`` needs a direction where the ball enclosure of ``|eta_V|`` exceeds 1.
5. Symmetry: when the atoms are exactly standard basis vectors, the
   coordinate permutations among equal-sign atoms and among the other
   coordinates, and sign flips of the other coordinates, map the signed atom
   set onto itself and preserve the uniform law; the minimal-norm solution is
   unique, so ``eta_V`` is invariant and only a fundamental domain is searched
   (the group also permutes the atoms, so distances to the support, hence the
   margin curve, are invariant).  With ``canonical=True`` an orthonormal
   target (Assumption 3.2, to 1e-9) is replaced by ``e_1..e_m`` with the same
   weights: exact for the exactly orthonormal teacher, by rotation
   equivariance of the population ``eta_V``.

Not rigorous: the lower ends ``sup_lo`` of the margin curve (dense sampling
and projected-gradient ascent in float64: attained values, so lower bounds up
to float rounding), and the float pre-screen that decides which caps to send
to ball arithmetic (it only affects speed).  The face-box cover, the
``P_max`` subset maximum and ``sqrt(2/d)`` are computed in balls too.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field

import numpy as np

from blasso.measure import Measure
from blasso.validation import BlassoInputError, check_positive, check_positive_int, check_rng, check_tol

__all__ = [
    "arccos_kernel",
    "arccos_kernel_grad",
    "second_moment",
    "PopulationPreCertificate",
    "population_precertificate",
    "PopulationResult",
    "population_certificate",
    "POPULATION_RADII_DEG",
]

#: Radii (degrees) of the population margin curve.
POPULATION_RADII_DEG = (0.5, 1, 2, 5, 10, 20, 30, 45, 60)

#: Working precision (bits) of the ball computations.
_PREC = 128


# ----------------------------------------------------------------- closed forms
def _as_rows(U, name: str) -> np.ndarray:
    try:
        U = np.asarray(U, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise BlassoInputError(f"{name} cannot be converted to a float array: {exc}") from None
    U = np.atleast_2d(U)
    if U.ndim != 2 or U.shape[1] < 2:
        raise BlassoInputError(f"{name} must have shape (k, d) with d >= 2; got {U.shape}")
    if not np.all(np.isfinite(U)):
        raise BlassoInputError(f"{name} contains non-finite values (NaN or inf)")
    nrm = np.linalg.norm(U, axis=1)
    if np.any(nrm == 0):
        raise BlassoInputError(f"{name} has a zero row (the features need a direction)")
    return U


def _angle(Uh: np.ndarray, Vh: np.ndarray) -> np.ndarray:
    """``angle(u, v)`` for unit rows, ``(p, q)``: ``2 atan2(|u - v|, |u + v|)`` (accurate near 0 and pi).

    Chunked over the rows of ``Uh`` so that the ``(rows, q, d)`` temporaries stay below ~32 MB.
    """
    out = np.empty((Uh.shape[0], Vh.shape[0]))
    step = max(1, 4_000_000 // max(1, Vh.shape[0] * Vh.shape[1]))
    for i in range(0, Uh.shape[0], step):
        U = Uh[i:i + step, None, :]
        out[i:i + step] = 2.0 * np.arctan2(np.linalg.norm(U - Vh[None], axis=2), np.linalg.norm(U + Vh[None], axis=2))
    return out


def _J(phi):
    return np.sin(phi) + (np.pi - phi) * np.cos(phi)


def arccos_kernel(U, V) -> np.ndarray:
    """``k(u, v) = E[relu(<u,x>) relu(<v,x>)]``, ``x ~ Unif(S^{d-1})``, for all pairs of rows.

    ``k(u, v) = |u| |v| (sin phi + (pi - phi) cos phi) / (2 pi d)``, ``phi = angle(u, v)``
    (times ``d`` for standard Gaussian inputs).

    Parameters
    ----------
    U : array_like (p, d) or (d,)
    V : array_like (q, d) or (d,)
        Non-zero rows.

    Returns
    -------
    ndarray (p, q)
    """
    U, V = _as_rows(U, "U"), _as_rows(V, "V")
    if U.shape[1] != V.shape[1]:
        raise BlassoInputError(f"U has d = {U.shape[1]} but V has d = {V.shape[1]}")
    d = U.shape[1]
    nu, nv = np.linalg.norm(U, axis=1), np.linalg.norm(V, axis=1)
    phi = _angle(U / nu[:, None], V / nv[:, None])
    return nu[:, None] * nv[None, :] * _J(phi) / (2 * np.pi * d)


def arccos_kernel_grad(U, V) -> np.ndarray:
    """``grad_u k(u, v) = M(u, v) v = (|v| sin(phi) u/|u| + (pi - phi) v) / (2 pi d)``, shape ``(p, q, d)``.

    Derived from ``k = (sqrt(|u|^2 |v|^2 - <u,v>^2) + (pi - phi) <u,v>) / (2 pi d)``:
    the ``<u,v> grad phi`` terms cancel against the gradient of the square root.
    """
    U, V = _as_rows(U, "U"), _as_rows(V, "V")
    if U.shape[1] != V.shape[1]:
        raise BlassoInputError(f"U has d = {U.shape[1]} but V has d = {V.shape[1]}")
    d = U.shape[1]
    nu, nv = np.linalg.norm(U, axis=1), np.linalg.norm(V, axis=1)
    Uh = U / nu[:, None]
    phi = _angle(Uh, V / nv[:, None])
    g = (nv[None, :] * np.sin(phi))[:, :, None] * Uh[:, None, :] + (np.pi - phi)[:, :, None] * V[None, :, :]
    return g / (2 * np.pi * d)


def second_moment(u, v) -> np.ndarray:
    """``M(u, v) = E[x x^T 1{<u,x> > 0} 1{<v,x> > 0}]`` for ``x ~ Unif(S^{d-1})``, shape ``(d, d)``.

    ``[(pi - phi) I + sin(phi) (w w^T - w' w'^T)] / (2 pi d)`` with
    ``w = (u+v)/|u+v|``, ``w' = (u-v)/|u-v|`` (module docstring); 0-homogeneous in
    ``u`` and ``v``.
    """
    U, V = _as_rows(u, "u"), _as_rows(v, "v")
    if U.shape != V.shape or U.shape[0] != 1:
        raise BlassoInputError(f"u and v must be two vectors of the same dimension; got {U.shape}, {V.shape}")
    return _moment(U[0] / np.linalg.norm(U[0]), V[0] / np.linalg.norm(V[0]))


def _moment(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``M(u, v)`` for unit float vectors (no validation)."""
    d = u.shape[0]
    sp, sm = u + v, u - v
    np_, nm = np.linalg.norm(sp), np.linalg.norm(sm)
    phi = 2.0 * math.atan2(nm, np_)
    out = (np.pi - phi) * np.eye(d)
    if np_ > 0 and nm > 0:
        w, wp = sp / np_, sm / nm
        out += math.sin(phi) * (np.outer(w, w) - np.outer(wp, wp))
    return out / (2 * np.pi * d)


# ------------------------------------------------------------ the pre-certificate
def _phi_sin_cos(T: np.ndarray, th: np.ndarray):
    """Angles between unit rows ``T`` (N, d) and atoms ``th`` (m, d), with their sines and cosines."""
    phi = _angle(T, th)
    return phi, np.sin(phi), np.cos(phi)


@dataclass
class PopulationPreCertificate:
    """The population vanishing-derivative pre-certificate of a target measure.

    ``p(x) = sum_k <alpha_k, x> 1{<theta_k, x> > 0}`` (minimal ``L^2`` norm) and
    ``eta_V(theta) = (1/(2 pi d)) sum_k [a_k sin phi_k + (pi - phi_k) <alpha_k, theta>]``.

    Attributes
    ----------
    theta : ndarray (m, d)
        Unit atom directions.
    signs : ndarray (m,)
        ``sign(c_j)``.
    alpha : ndarray (m, d)
        Solution of the Gram system ``sum_k M(theta_j, theta_k) alpha_k = s_j theta_j``.
    gram : ndarray (m d, m d)
        The Gram matrix (blocks ``M(theta_j, theta_k)``).
    cond : float
        Its 2-norm condition number.
    residual : float
        ``max |gram alpha - b|`` of the float solve.
    """

    theta: np.ndarray
    signs: np.ndarray
    alpha: np.ndarray
    gram: np.ndarray
    cond: float
    residual: float

    @property
    def d(self) -> int:
        return int(self.theta.shape[1])

    @property
    def m(self) -> int:
        return int(self.theta.shape[0])

    @property
    def a(self) -> np.ndarray:
        """``a_k = <alpha_k, theta_k>``."""
        return np.einsum("kd,kd->k", self.alpha, self.theta)

    def _unit(self, T) -> np.ndarray:
        T = _as_rows(T, "theta")
        if T.shape[1] != self.d:
            raise BlassoInputError(f"directions have d = {T.shape[1]}, the certificate lives in d = {self.d}")
        return T / np.linalg.norm(T, axis=1, keepdims=True)

    def eta(self, T) -> np.ndarray:
        """``eta_V`` at the directions of the rows of ``T`` (normalised), shape ``(N,)``."""
        T = self._unit(T)
        phi, S, _ = _phi_sin_cos(T, self.theta)
        b = T @ self.alpha.T
        return (self.a * S + (np.pi - phi) * b).sum(axis=1) / (2 * np.pi * self.d)

    def gradient(self, T) -> np.ndarray:
        """Tangential (Riemannian) gradient of ``eta_V`` at the rows of ``T`` (normalised), ``(N, d)``.

        ``(1/(2 pi d)) sum_k [(pi - phi_k)(alpha_k - b_k theta) + e_k w_k]`` with
        ``b_k = <alpha_k, theta>``, ``e_k = b_k - a_k cos phi_k``,
        ``w_k = (theta_k - cos(phi_k) theta) / sin(phi_k)`` (``e_k w_k = 0`` at the atom).
        """
        T = self._unit(T)
        phi, S, C = _phi_sin_cos(T, self.theta)
        b = T @ self.alpha.T
        e = b - self.a * C
        coef = np.divide(e, S, out=np.zeros_like(e), where=S > 0)
        g = (np.pi - phi) @ self.alpha - ((np.pi - phi) * b).sum(axis=1)[:, None] * T
        g += coef @ self.theta - (coef * C).sum(axis=1)[:, None] * T
        return g / (2 * np.pi * self.d)

    def one_sided_form(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        """``(Q, l)`` with ``h''(0+; tau) = s_j (tau^T Q tau + l^T tau)`` at atom ``j``.

        ``h(t) = s_j eta_V(cos t theta_j + sin t tau)`` for unit ``tau`` orthogonal to
        ``theta_j``.  ``Q = [-pi a_j P + sum_{k != j} Q_k] / (2 pi d)``,
        ``l = -2 P alpha_j / (2 pi d)``, ``P = I - theta_j theta_j^T`` and
        ``Q_k = (a J'' - a J' cot + e cot) t t^T / S^2 + (a J' cot - e cot - (pi - phi) e) P
        + (t f^T + f t^T) / S`` with ``phi = angle(theta_j, theta_k)``, ``S = sin phi``,
        ``t = P theta_k``, ``f = P alpha_k^perp``, ``e = <alpha_k^perp, theta_j>``
        (the ``y''`` formula of the module docstring as a quadratic form in ``tau``).
        """
        return _one_sided_form(_FloatOps, self.theta, self.alpha, j)

    def one_sided_second_derivative(self, j: int, tau) -> np.ndarray:
        """``h''(0+; tau)`` at atom ``j`` for the rows of ``tau`` (projected on the tangent space, normalised)."""
        tau = np.atleast_2d(np.asarray(tau, dtype=np.float64))
        u = self.theta[j]
        tau = tau - (tau @ u)[:, None] * u
        nrm = np.linalg.norm(tau, axis=1)
        if np.any(nrm < 1e-12):
            raise BlassoInputError("tau must have a non-zero component orthogonal to the atom")
        tau = tau / nrm[:, None]
        Q, ell = self.one_sided_form(j)
        return self.signs[j] * (np.einsum("ni,ij,nj->n", tau, Q, tau) + tau @ ell)


def population_precertificate(target: Measure) -> PopulationPreCertificate:
    """Solve the ``(m d) x (m d)`` Gram system of the population pre-certificate.

    Parameters
    ----------
    target : Measure
        Atoms ``theta_j`` and weights ``c_j`` (only the signs matter; none may be 0).

    Raises
    ------
    BlassoInputError
        Not a Measure, no atoms, a zero weight, ``d < 2``, or a singular Gram
        matrix (e.g. a repeated direction).
    """
    _check_target(target)
    return _precertificate(target)


def _check_target(target) -> None:
    if not isinstance(target, Measure):
        raise BlassoInputError(f"target must be a blasso.measure.Measure; got {type(target).__name__}")
    if len(target) == 0:
        raise BlassoInputError("target measure has no atoms")
    if target.d < 2:
        raise BlassoInputError(f"the population certificate needs d >= 2; got d = {target.d}")
    if np.any(target.c == 0):
        bad = np.flatnonzero(target.c == 0).tolist()
        raise BlassoInputError(f"target atom(s) {bad} have zero weight (no sign to interpolate)")


def _precertificate(target: Measure) -> PopulationPreCertificate:
    th = target.theta / np.linalg.norm(target.theta, axis=1, keepdims=True)
    sg = np.sign(target.c)
    m, d = th.shape
    G = np.block([[_moment(th[j], th[k]) for k in range(m)] for j in range(m)])
    b = (sg[:, None] * th).ravel()
    cond = float(np.linalg.cond(G))
    if not np.isfinite(cond) or cond > 1e12:
        raise BlassoInputError(f"the population Gram matrix is singular (condition number {cond:.3g}): "
                               "are two atoms equal?")
    al = np.linalg.solve(G, b)
    return PopulationPreCertificate(theta=th, signs=sg, alpha=al.reshape(m, d), gram=G, cond=cond,
                                    residual=float(np.max(np.abs(G @ al - b))))


# ------------------------------------------------- arithmetic shared by float and balls
class _FloatOps:
    """Scalar operations in float64."""

    pi = math.pi
    atan2 = staticmethod(math.atan2)
    sin = staticmethod(math.sin)
    cos = staticmethod(math.cos)

    @staticmethod
    def sqrt(x):
        return math.sqrt(max(x, 0.0))

    @staticmethod
    def vec(x):
        return np.asarray(x, dtype=np.float64)

    @staticmethod
    def eye(d: int):
        return np.eye(d)


class _ArbOps:
    """Scalar operations in python-flint balls (object arrays of ``arb``)."""

    def __init__(self):
        import flint

        self.arb = flint.arb
        self.pi = flint.arb.pi()
        self._eye: dict = {}

    def atan2(self, y, x):
        return self.arb.atan2(y, x)

    def sin(self, x):
        return x.sin()

    def cos(self, x):
        return x.cos()

    def sqrt(self, x):
        return abs(x).sqrt()   # only applied to non-negative quantities: abs keeps the enclosure

    def eye(self, d: int):
        if d not in self._eye:
            self._eye[d] = self.vec(np.eye(d))
        return self._eye[d]

    def vec(self, x):
        x = np.asarray(x, dtype=object)
        arb = self.arb
        out = np.empty(x.shape, dtype=object)
        out.ravel()[:] = [v if isinstance(v, arb) else arb(float(v)) for v in x.ravel()]
        return out


def _norm(ops, v):
    return ops.sqrt((v * v).sum())


def _pair(ops, u, v):
    """``(phi, sin phi, cos phi)`` for unit vectors: ``acos`` of the inner product when it is
    provably inside ``(-1, 1)`` in balls, else ``2 atan2(|u - v|, |u + v|)`` (accurate near 0 and pi)."""
    if ops is not _FloatOps:
        c = (u * v).sum()
        if _up(abs(c)) < 0.999:
            return c.acos(), ((1 - c) * (1 + c)).sqrt(), c
    phi = 2 * ops.atan2(_norm(ops, u - v), _norm(ops, u + v))
    return phi, ops.sin(phi), ops.cos(phi)


def _hessian_terms(ops, x, th, al, a, skip: int | None = None):
    """``sum_{k != skip} Q_k(x)`` (unscaled): the ``y''`` formula as a quadratic form at the unit point ``x``.

    ``tau^T Q_k tau`` is ``y_k''`` along the great circle through ``x`` with unit
    tangent ``tau`` (``2 pi d`` times the second derivative of term ``k``); needs
    ``x != +-theta_k``.
    """
    d = th.shape[1]
    P = ops.eye(d) - np.outer(x, x)
    Q, TF, c2 = 0 * P, 0 * P, 0
    for k in range(th.shape[0]):
        if k == skip:
            continue
        phi, S, c = _pair(ops, x, th[k])
        aperp = al[k] - a[k] * th[k]
        e = (aperp * x).sum()
        t, f = th[k] - c * x, aperp - e * x          # P theta_k, P alpha_k^perp
        J1, J2, cot = -(ops.pi - phi) * S, S - (ops.pi - phi) * c, c / S
        Q = Q + np.outer(((a[k] * J2 - a[k] * J1 * cot + e * cot) / (S * S)) * t, t)
        TF = TF + np.outer(t, f / S)
        c2 = c2 + a[k] * J1 * cot - e * cot - (ops.pi - phi) * e
    return Q + TF + TF.T + c2 * P, P


def _one_sided_form(ops, th, al, j: int):
    """``(Q, l)`` of :meth:`PopulationPreCertificate.one_sided_form` in the arithmetic ``ops``."""
    d = th.shape[1]
    a = [(al[k] * th[k]).sum() for k in range(th.shape[0])]
    Q, P = _hessian_terms(ops, th[j], th, al, a, skip=j)
    Q = Q - ops.pi * a[j] * P
    scale = 2 * ops.pi * d
    return Q / scale, (-2 * (P @ al[j])) / scale


# ------------------------------------------------------------- ball enclosures
class _Flint:
    """Sets the working precision of python-flint for a block and restores it."""

    def __enter__(self):
        import flint

        self._flint, self._old = flint, flint.ctx.prec
        flint.ctx.prec = _PREC
        return _ArbOps()

    def __exit__(self, *exc):
        self._flint.ctx.prec = self._old
        return False


def _up(x) -> float:
    """A float >= every point of the ball ``x`` (``inf`` for NaN balls)."""
    v = float(x.upper())
    return math.nextafter(v, math.inf) if math.isfinite(v) else math.inf


def _lo(x) -> float:
    v = float(x.lower())
    return math.nextafter(v, -math.inf) if math.isfinite(v) else -math.inf


@dataclass
class _BallPre:
    """Ball enclosures of the exact unit atoms ``u``, ``alpha`` and ``a`` (object arrays of ``arb``)."""

    u: np.ndarray
    alpha: np.ndarray
    a: list
    aperp_norm: list
    alpha_norm: list
    d: int


def _ball_precertificate(ops, pre: PopulationPreCertificate) -> _BallPre | None:
    """Enclose the exact ``alpha`` of the exact unit atoms; ``None`` if the Gram matrix is not proven invertible."""
    import flint

    m, d = pre.m, pre.d
    u = ops.vec(pre.theta)
    u = np.array([row / _norm(ops, row) for row in u], dtype=object)
    rows = [[None] * m for _ in range(m)]
    for j in range(m):
        for k in range(m):
            rows[j][k] = ops.eye(d) / (2 * d) if j == k else _ball_moment(ops, u[j], u[k])
    G = flint.arb_mat([[rows[j][k][r][c] for k in range(m) for c in range(d)] for j in range(m) for r in range(d)])
    b = flint.arb_mat([[pre.signs[j] * u[j][r]] for j in range(m) for r in range(d)])
    try:
        x = G.solve(b)
    except (ZeroDivisionError, ValueError):
        return None
    al = np.array([[x[j * d + r, 0] for r in range(d)] for j in range(m)], dtype=object)
    a = [(al[k] * u[k]).sum() for k in range(m)]
    aperp = [_norm(ops, al[k] - a[k] * u[k]) for k in range(m)]
    return _BallPre(u=u, alpha=al, a=a, aperp_norm=aperp, alpha_norm=[_norm(ops, al[k]) for k in range(m)], d=d)


def _ball_moment(ops, u, v):
    """``M(u, v)`` in balls for unit ball vectors (the formula of :func:`second_moment`)."""
    d = len(u)
    sp, sm = u + v, u - v
    np_, nm = _norm(ops, sp), _norm(ops, sm)
    phi = 2 * ops.atan2(nm, np_)
    out = (ops.pi - phi) * ops.eye(d)
    if _lo(np_) > 0 and _lo(nm) > 0:
        w, wp = sp / np_, sm / nm
        out = out + ops.sin(phi) * (np.outer(w, w) - np.outer(wp, wp))
    elif not (_up(np_) == 0 or _up(nm) == 0):
        out = out + ops.arb(0, 1) * ops.sin(phi) * 2 * ops.vec(np.ones((d, d)))  # crude: |w w^T - w' w'^T| <= 1
    return out / (2 * ops.pi * d)


def _ball_value_grad(ops, bp: _BallPre, c: np.ndarray):
    """Balls of ``eta_V(c/|c|)`` and an upper bound of ``|grad eta_V|`` there."""
    th = ops.vec(c)
    th = th / _norm(ops, th)
    d = bp.d
    eta, g, extra = 0, ops.vec(np.zeros(d)), 0
    for k in range(len(bp.a)):
        phi, S, C = _pair(ops, th, bp.u[k])
        b = (bp.alpha[k] * th).sum()
        eta = eta + bp.a[k] * S + (ops.pi - phi) * b
        g = g + (ops.pi - phi) * (bp.alpha[k] - b * th)
        e = b - bp.a[k] * C
        if _lo(S) > 0:
            g = g + (e / S) * (bp.u[k] - C * th)
        else:
            extra = extra + abs(e)        # |e w_k| = |e|, w_k a unit vector
    scale = 2 * ops.pi * d
    return eta / scale, (_norm(ops, g) + extra) / scale


def _ball_cap_radius(ops, c: np.ndarray, half: np.ndarray):
    """``asin(|h| / |c|)`` in balls (``inf`` when the box is not in an acute cap)."""
    ratio = _norm(ops, ops.vec(half)) / _norm(ops, ops.vec(c))
    if _up(ratio) >= 1:
        return None
    return ratio.asin()


def _lipschitz_H(ops, bp: _BallPre):
    """``H = 2 P_max sqrt(2/d) / pi``: Lipschitz constant of the derivative along unit-speed great circles.

    ``P_max = max_S |sum_{k in S} alpha_k|`` over non-empty subsets ``S`` (``sup |p|``; for
    m > 12 atoms the cruder ``sum_k |alpha_k|``).
    """
    m = len(bp.a)
    if m <= 12:
        best = None
        for size in range(1, m + 1):
            for S in itertools.combinations(range(m), size):
                v = _norm(ops, sum(bp.alpha[k] for k in S))
                best = v if best is None else best.max(v)
    else:
        best = sum(bp.alpha_norm)
    return 2 * best * (ops.arb(2) / bp.d).sqrt() / ops.pi


def _y3_ball(ops, a, aperp_norm, phi):
    """Ball bounding ``|y'\'\'|`` of one term along any unit-speed geodesic whose angle to ``theta_k`` is in ``phi``."""
    pi, arb = ops.pi, ops.arb
    S, C = ops.sin(phi), ops.cos(phi)
    if _lo(phi) <= 0 or _up(phi) >= math.pi or _lo(S) <= 0:
        return None
    W1, W2 = arb(0, 1), arb(0.5, 0.5)            # w in [-1, 1], w^2 in [0, 1]
    cot = C / S
    q = 1 + 3 * cot * cot
    e, e1 = aperp_norm * S * W1, aperp_norm * W1
    J1, J2, J3 = -(pi - phi) * S, S - (pi - phi) * C, 2 * C + (pi - phi) * S
    one_w2 = 1 - W2
    y3 = a * (-J3 * W1 - 3 * J2 * W1 * cot * one_w2 + J1 * W1 * one_w2 * q) \
        - W1 * one_w2 * q * e - 3 * cot * one_w2 * e1 - 3 * W1 * e - (pi - phi) * e1
    return abs(y3)


def _third_derivative_bound(ops, bp: _BallPre, j: int, r: float):
    """Ball bounding ``|h'\'\'|`` on the rays of length ``r`` from ``u_j`` (``None`` if the ball touches ``+-u_k``).

    The own term is explicit on the rays; the other terms are bounded along any
    geodesic of the ball by the interval evaluation of ``y'\'\'``.
    """
    total = abs(bp.a[j]) + (3 + ops.pi) * bp.alpha_norm[j]
    for k in range(len(bp.a)):
        if k != j:
            y3 = _y3_ball(ops, bp.a[k], bp.aperp_norm[k], _pair(ops, bp.u[j], bp.u[k])[0] + ops.arb(0, r))
            if y3 is None:
                return None
            total = total + y3
    return total / (2 * ops.pi * bp.d)


def _cholesky_pd(B) -> bool:
    """``True`` if the ball matrix ``B`` (list of lists of ``arb``) is proven positive definite."""
    n = len(B)
    L = [[None] * n for _ in range(n)]
    for i in range(n):
        for k in range(i + 1):
            s = B[i][k] - sum((L[i][t] * L[k][t] for t in range(k)), 0 * B[i][k])
            if i == k:
                if _lo(s) <= 0:
                    return False
                L[i][i] = s.sqrt()
            else:
                L[i][k] = s / L[k][k]
    return True


def _trust_region_mu(Q: np.ndarray, ell: np.ndarray, u: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Float ``mu`` minimising ``mu + l^T (mu - Q)^{-1} l / 4`` on the tangent space, the max, and its maximiser."""
    d = Q.shape[0]
    B = np.linalg.svd(np.eye(d) - np.outer(u, u))[0][:, : d - 1]
    lam, V = np.linalg.eigh(B.T @ Q @ B)
    li = V.T @ (B.T @ ell)
    top = lam[-1]
    f = lambda mu: np.sum(li ** 2 / (4 * (mu - lam) ** 2)) - 1.0
    lo, hi = top + 1e-300, top + np.linalg.norm(li) / 2 + 1e-15
    if np.linalg.norm(li) < 1e-14 or f(lo + 1e-14 * (1 + abs(top))) <= 0:
        mu = top + 1e-12 * (1 + abs(top))
    else:
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if f(mid) > 0 else (lo, mid)
        mu = hi
    z = li / (2 * (mu - lam))
    if np.linalg.norm(z) < 1.0:       # hard case: complete with the top eigenvector
        z = z + V[:, -1] * math.sqrt(max(0.0, 1 - float(z @ z)))
    tau = B @ V @ z
    tau /= np.linalg.norm(tau)
    val = mu + float(np.sum(li ** 2 / (4 * (mu - lam))))
    return float(mu * (1 + 1e-9) + 1e-12 if mu > 0 else mu * (1 - 1e-9) + 1e-12), val, tau


def _atom_ball(ops, pre: PopulationPreCertificate, bp: _BallPre, j: int, r_max: float, H: float) -> dict:
    """Second-order check at atom ``j``: rigorous ``kappa_j`` and ball radius ``r_j`` (module docstring, item 3)."""
    import flint

    s, d, u = pre.signs[j], pre.d, pre.theta[j]
    Q, ell = pre.one_sided_form(j)
    mu, val, tau = _trust_region_mu(s * Q, s * ell, u)
    out = {"atom": j, "max_second_derivative": val, "worst_tau": tau, "kappa_lo": None, "ball_radius": 0.0,
           "H3": None, "reason": ""}
    if not val < 0:
        out["reason"] = f"one-sided second derivative {val:.3g} >= 0 in a tangent direction (degenerate atom)"
        return out
    Qb, lb = _one_sided_form(ops, bp.u, bp.alpha, j)
    ub = bp.u[j]
    B = mu * ops.eye(d) - s * Qb + (abs(mu) + 1) * np.outer(ub, ub)
    if not _cholesky_pd(B.tolist()):
        out["reason"] = "mu I - Q not proven positive definite in ball arithmetic"
        return out
    v = flint.arb_mat(B.tolist()).solve(flint.arb_mat([[s * x] for x in lb]))
    kappa = -_up(mu + sum(s * lb[i] * v[i, 0] for i in range(d)) / 4)
    if not kappa > 0:
        out["reason"] = "the rigorous bound of the one-sided second derivatives is not negative"
        return out
    out["kappa_lo"] = kappa
    H3 = _third_derivative_bound(ops, bp, j, r_max)
    if H3 is None:
        out["reason"] = "the ball reaches the antipode of another atom"
        return out
    h3 = _up(H3)
    r = min(r_max, kappa / (2 * h3) * (1 - 1e-12), math.sqrt(2.0 / H) * 0.99)
    out.update(H3=h3, ball_radius=float(r))
    return out


def _ball_limit(pre: PopulationPreCertificate, j: int, ball_max: float) -> float:
    """Largest ball radius considered at atom ``j``: ``ball_max`` and half the angle to every ``+-theta_k``."""
    if pre.m == 1:
        return ball_max
    ang = _angle(pre.theta[j:j + 1], np.delete(pre.theta, j, axis=0))[0]
    return float(min(ball_max, 0.5 * np.min(np.minimum(ang, np.pi - ang))))


# ------------------------------------------------------- float search (lower bounds)
def _great_circle_points(pre: PopulationPreCertificate, per: int = 97) -> np.ndarray:
    """Points on the arcs between every pair of atoms and between each atom and the other's antipode."""
    out = []
    t = np.linspace(0.0, 1.0, per)[1:-1]
    for j, k in itertools.combinations(range(pre.m), 2):
        for v in (pre.theta[k], -pre.theta[k]):
            P = (1 - t)[:, None] * pre.theta[j] + t[:, None] * v
            nrm = np.linalg.norm(P, axis=1)
            out.append(P[nrm > 1e-9] / nrm[nrm > 1e-9, None])
    return np.vstack(out) if out else np.zeros((0, pre.d))


def _near_atom_points(pre: PopulationPreCertificate, taus: list, radii: np.ndarray, rng, per: int = 8) -> np.ndarray:
    """Points at each radius around each atom, along the worst tangent direction and random ones."""
    out = []
    for j in range(pre.m):
        u = pre.theta[j]
        Z = rng.standard_normal((per, pre.d))
        if taus[j] is not None:
            Z = np.vstack([taus[j], -taus[j], Z])
        Z = Z - (Z @ u)[:, None] * u
        Z /= np.linalg.norm(Z, axis=1, keepdims=True)
        for r in radii:
            out.append(np.cos(r) * u + np.sin(r) * Z)
    return np.vstack(out)


def _ascent(pre: PopulationPreCertificate, P: np.ndarray, iters: int = 80) -> np.ndarray:
    """Projected gradient ascent of ``|eta_V|`` from the rows of ``P`` (per-point adaptive steps)."""
    P = P.copy()
    val = np.abs(pre.eta(P))
    step = np.full(P.shape[0], 0.05)
    for _ in range(iters):
        g = pre.gradient(P) * np.sign(pre.eta(P))[:, None]
        Qn = P + step[:, None] * g
        Qn /= np.linalg.norm(Qn, axis=1, keepdims=True)
        nv = np.abs(pre.eta(Qn))
        better = nv > val
        P[better], val[better] = Qn[better], nv[better]
        step = np.where(better, step * 1.5, step * 0.5)
        if np.all(step < 1e-12):
            break
    return P


# ------------------------------------------------------------- branch and bound
@dataclass
class _Boxes:
    """Boxes ``{q : q[axis] = sign, lo <= q[others] <= hi}`` on the faces of ``[-1, 1]^d``."""

    face: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    def __len__(self) -> int:
        return int(self.face.shape[0])

    def take(self, mask: np.ndarray) -> "_Boxes":
        return _Boxes(self.face[mask], self.lo[mask], self.hi[mask])

    def centres(self, d: int) -> np.ndarray:
        C = np.empty((len(self), d))
        axis, sign = self.face // 2, np.where(self.face % 2 == 0, 1.0, -1.0)
        others = np.array([[i for i in range(d) if i != a] for a in range(d)])
        C[np.arange(len(self)), axis] = sign
        C[np.arange(len(self))[:, None], others[axis]] = 0.5 * (self.lo + self.hi)
        return C

    def half(self) -> np.ndarray:
        return 0.5 * (self.hi - self.lo)

    def split(self) -> "_Boxes":
        ax = np.argmax(self.hi - self.lo, axis=1)
        mid = 0.5 * (self.lo + self.hi)[np.arange(len(self)), ax]
        lo2, hi1 = self.lo.copy(), self.hi.copy()
        lo2[np.arange(len(self)), ax] = mid
        hi1[np.arange(len(self)), ax] = mid
        return _Boxes(np.concatenate([self.face, self.face]), np.vstack([self.lo, lo2]), np.vstack([hi1, self.hi]))


def _initial_boxes(d: int) -> _Boxes:
    k = max(1, math.ceil(math.sqrt(d - 1) / 0.8))
    edges = np.linspace(-1.0, 1.0, k + 1)
    cells = np.array(list(itertools.product(range(k), repeat=d - 1)))
    lo, hi = edges[cells], edges[cells + 1]
    nf = 2 * d
    return _Boxes(np.repeat(np.arange(nf), len(cells)), np.tile(lo, (nf, 1)), np.tile(hi, (nf, 1)))


@dataclass
class _Search:
    """State of the branch and bound: leaves with rigorous bounds, unresolved boxes, the best point."""

    leaf_c: list = field(default_factory=list)
    leaf_rho: list = field(default_factory=list)
    leaf_ub: list = field(default_factory=list)
    unresolved_c: list = field(default_factory=list)
    unresolved_rho: list = field(default_factory=list)
    violation: tuple | None = None
    n_boxes: int = 0
    n_ball: int = 0
    n_symmetric: int = 0
    completed: list = field(default_factory=list)
    stopped: str = ""


def _hessian_float(pre: PopulationPreCertificate, X: np.ndarray, phi, S, C):
    """Extreme eigenvalues ``(lam_max, lam_min)`` of the tangential Hessian of ``eta_V`` at unit rows ``X``."""
    a, th = pre.a, pre.theta
    aperp = pre.alpha - a[:, None] * th
    with np.errstate(divide="ignore", invalid="ignore"):
        t = th[None] - C[..., None] * X[:, None, :]
        e = X @ aperp.T
        f = aperp[None] - e[..., None] * X[:, None, :]
        J1, J2, cot = -(np.pi - phi) * S, S - (np.pi - phi) * C, C / S
        c1 = (a * J2 - a * J1 * cot + e * cot) / S ** 2
        c2 = (a * J1 * cot - e * cot - (np.pi - phi) * e).sum(axis=1)
        TF = np.einsum("nki,nkj->nij", t / S[..., None], f)
        Hm = np.einsum("nk,nki,nkj->nij", c1, t, t) + TF + np.transpose(TF, (0, 2, 1))
    P = np.eye(pre.d)[None] - X[:, :, None] * X[:, None, :]
    Hm = Hm + c2[:, None, None] * P
    Hm = Hm / (2 * np.pi * pre.d)
    ok = np.all(np.isfinite(Hm), axis=(1, 2))
    Hm[~ok] = 0.0
    nu = 1e3 * (1 + np.abs(Hm).max(axis=(1, 2)))[:, None, None] * X[:, :, None] * X[:, None, :]
    lmax = np.linalg.eigvalsh(Hm - nu)[:, -1]
    lmin = np.linalg.eigvalsh(Hm + nu)[:, 0]
    lmax[~ok], lmin[~ok] = np.inf, -np.inf
    return lmax, lmin


def _h3_float(pre: PopulationPreCertificate, phi: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Approximate ``sup |(eta o gamma)'\'\'|`` over caps (float screen only; inf if a cap reaches ``+-theta_k``)."""
    lo, hi = phi - rho[:, None], phi + rho[:, None]
    bad = np.any((lo <= 0) | (hi >= np.pi), axis=1)
    lo, hi = np.clip(lo, 1e-300, np.pi), np.clip(hi, 0, np.pi - 1e-16)
    smin = np.minimum(np.sin(lo), np.sin(hi))
    smax = np.where((lo <= np.pi / 2) & (hi >= np.pi / 2), 1.0, np.maximum(np.sin(lo), np.sin(hi)))
    with np.errstate(divide="ignore", invalid="ignore"):
        cot = np.maximum(np.abs(np.cos(lo)), np.abs(np.cos(hi))) / smin
        a, ap = np.abs(pre.a), np.linalg.norm(pre.alpha - pre.a[:, None] * pre.theta, axis=1)
        w = np.pi - lo
        y3 = a * (2 + w * smax + 3 * (smax + w) * cot + w * (smax + 3 / smin)) \
            + ap * (smax + 3 / smin + 3 * cot + 3 * smax + np.pi)
    out = y3.sum(axis=1) / (2 * np.pi * pre.d)
    out[bad | ~np.isfinite(out)] = np.inf
    return out


def _quad_max(G, lam, rho):
    """``max_{0 <= s <= rho} s G + s^2 lam / 2`` (float arrays, ``G >= 0``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        interior = (lam < 0) & (G < -lam * rho)
        return np.where(interior, G ** 2 / (2 * np.abs(lam)), rho * G + rho ** 2 * lam / 2)


def _second_order_float(val, G, lmax, lmin, h3, rho):
    """Float screen of the second-order cap bound of ``|eta_V|``."""
    tail = rho ** 3 * h3 / 6
    return np.maximum(val + _quad_max(G, lmax, rho), -val + _quad_max(G, -lmin, rho)) + tail


def _ball_second_order(ops, pre: PopulationPreCertificate, bp: _BallPre, c: np.ndarray, rho, val, G,
                       H=None, thr: float = -math.inf):
    """Rigorous second-order cap bound: ``eta(c) + max_s (s G + s^2 mu / 2) + rho^3 H3 / 6`` and its mirror.

    ``mu`` bounds the tangential Hessian's top eigenvalue (``mu I - Hess + nu x x^T``
    proven positive definite by a ball Cholesky), ``H3`` is the interval
    bound of the third derivative along every geodesic of the cap (the cap must
    avoid ``+-theta_k``).  A side (``eta`` or ``-eta``) whose first-order bound
    (with the Lipschitz constant ``H``) is already below ``thr`` keeps it.
    Returns a float or ``None``.
    """
    x = ops.vec(c)
    x = x / _norm(ops, x)
    Q, _ = _hessian_terms(ops, x, bp.u, bp.alpha, bp.a)
    Hb = Q / (2 * ops.pi * bp.d)
    Hf = np.array([[float(v.mid()) for v in row] for row in Hb])
    xf = c / np.linalg.norm(c)
    if not np.all(np.isfinite(Hf)):
        return None
    h3 = 0
    for k in range(len(bp.a)):
        y3 = _y3_ball(ops, bp.a[k], bp.aperp_norm[k], _pair(ops, x, bp.u[k])[0] + ops.arb(0, _up(rho)))
        if y3 is None:
            return None
        h3 = h3 + y3
    h3 = _up(h3 / (2 * ops.pi * bp.d))
    out = []
    for sign in (1, -1):
        if H is not None:
            first = _up(sign * val + rho * G + H * rho * rho / 2)
            if first < thr:
                out.append(first)
                continue
        Hs = sign * Hf
        lam = np.linalg.eigvalsh(Hs - 1e3 * (1 + np.abs(Hs).max()) * np.outer(xf, xf))[-1]
        mu = float(lam + 1e-9 * (1 + abs(lam)))
        B = mu * ops.eye(bp.d) - sign * Hb + (abs(mu) + 1) * np.outer(x, x)
        if not _cholesky_pd(B.tolist()):
            return None
        g, r = _up(G), _up(rho)
        if mu < 0 and g < -mu * r:
            quad = ops.arb(g) * g / (2 * ops.arb(-mu))
        else:
            quad = ops.arb(r) * g + ops.arb(r) * r * mu / 2
        out.append(_up(sign * val + quad + ops.arb(r) ** 3 * h3 / 6))
    return max(out)


def _inside_ball_arb(ops, bp: _BallPre, c: np.ndarray, rho, balls: list) -> bool:
    th = ops.vec(c)
    th = th / _norm(ops, th)
    for j, r in enumerate(balls):
        if r > 0:
            phi = _pair(ops, th, bp.u[j])[0]
            if _up(phi + rho) <= r:
                return True
    return False


def _verify_leaf(ops, pre, bp: _BallPre, c, half, H, thr: float):
    """Rigorous cap bound (a float) and ``rho`` (ball), or ``(None, None)``.

    First order ``|eta(c)| + rho |grad| + H rho^2 / 2``; if that is not below
    ``thr``, the second-order bound of :func:`_ball_second_order`.
    """
    rho = _ball_cap_radius(ops, c, half)
    if rho is None:
        return None, None
    val, g = _ball_value_grad(ops, bp, c)
    ub = _up(abs(val) + rho * g + H * rho * rho / 2)
    if ub >= thr:
        second = _ball_second_order(ops, pre, bp, c, rho, val, g, H, thr)
        if second is not None:
            ub = min(ub, second)
    return ub, rho


def _symmetry_normals(pre: PopulationPreCertificate) -> np.ndarray:
    """Unit normals ``v`` of a fundamental domain ``{x : <v, x> >= 0}`` of the target's exact symmetries.

    Detected only when every atom is exactly a standard basis vector ``e_i``:
    then permuting the coordinates of equal-sign atoms, permuting the other
    coordinates and flipping their signs map the signed atom set onto itself
    and preserve the uniform law, so (by uniqueness of the minimal-norm
    solution) ``eta_V`` is invariant and its sup over the sphere is its sup over
    ``{x_a >= x_b`` along each group, ``x_j >= 0`` off the atoms``}``.  Otherwise
    no normal (the whole sphere is searched).
    """
    d, idx = pre.d, []
    for row in pre.theta:
        nz = np.flatnonzero(row)
        if nz.size != 1 or row[nz[0]] != 1.0:
            return np.zeros((0, d))
        idx.append(int(nz[0]))
    if len(set(idx)) != len(idx):
        return np.zeros((0, d))
    free = [j for j in range(d) if j not in idx]
    groups = [[i for i, s in zip(idx, pre.signs) if s > 0], [i for i, s in zip(idx, pre.signs) if s < 0], free]
    E = np.eye(d)
    out = [(E[a] - E[b]) / math.sqrt(2) for g in groups for a, b in zip(sorted(g), sorted(g)[1:])]
    out += [E[j] for j in free]
    return np.array(out).reshape(-1, d)


def _bnb_level(ops, pre, bp, boxes: _Boxes, H, Hf, balls, tol, slack, st: _Search,
               r_defer: float, normals: np.ndarray) -> tuple[_Boxes, _Boxes]:
    """Classify every box (symmetric copy, ball, leaf, violation, deferred, split); returns ``(to_split, deferred)``.

    A box is deferred to a later stage when its cap lies in ``B(theta_j, r_defer - 2e-9)``
    for some ``j`` (float angles, error ~1e-15): it holds no point at distance ``>= r_defer``.
    A box is dropped when its cap lies outside the fundamental domain of
    :func:`_symmetry_normals` (``<c, v> < -sin(rho) - 1e-9``; float dot products
    of unit vectors, error ~1e-15).
    """
    if len(normals):
        C0 = boxes.centres(pre.d)
        n0 = np.linalg.norm(C0, axis=1)
        s0 = np.minimum(1.0, np.linalg.norm(boxes.half(), axis=1) / n0)
        out = np.any((C0 / n0[:, None]) @ normals.T < -s0[:, None] - 1e-9, axis=1) & (s0 < 1)
        st.n_symmetric += int(out.sum())
        boxes = boxes.take(~out)
        if not len(boxes):
            return boxes, boxes
    C = boxes.centres(pre.d)
    Ch = C / np.linalg.norm(C, axis=1, keepdims=True)
    hn = np.linalg.norm(boxes.half(), axis=1)
    rho = np.arcsin(np.minimum(1.0, hn / np.linalg.norm(C, axis=1))) * (1 + 1e-9)
    rho[hn >= np.linalg.norm(C, axis=1)] = np.pi
    phi = _angle(Ch, pre.theta)
    val = np.abs(pre.eta(Ch))
    G = np.linalg.norm(pre.gradient(Ch), axis=1)
    bound = val + rho * G + Hf * rho ** 2 / 2
    S, Cs = np.sin(phi), np.cos(phi)
    lmax, lmin = _hessian_float(pre, Ch, phi, S, Cs)
    second = _second_order_float(pre.eta(Ch), G, lmax, lmin, _h3_float(pre, phi, rho), rho)
    bound = np.minimum(bound, np.where(np.isfinite(second), second, np.inf))
    inside = np.any(phi + rho[:, None] <= np.asarray(balls)[None, :] - 1e-12, axis=1)
    defer = ~inside & (np.min(phi + rho[:, None], axis=1) <= r_defer - 2e-9)
    thr = np.minimum(1 - tol, val + slack * (1 - val))
    keep = np.zeros(len(boxes), dtype=bool)
    half = boxes.half()
    for i in np.flatnonzero(inside):
        rb = _ball_cap_radius(ops, C[i], half[i])
        if rb is not None and _inside_ball_arb(ops, bp, C[i], rb, balls):
            st.n_ball += 1
        else:
            keep[i] = True
    for i in np.flatnonzero(~inside & (val > 1 + tol)):
        v, _ = _ball_value_grad(ops, bp, C[i])
        if _lo(abs(v)) > 1:
            st.violation = (Ch[i], _lo(abs(v)), _up(abs(v)))
            return boxes.take(np.zeros(len(boxes), dtype=bool)), boxes.take(np.zeros(len(boxes), dtype=bool))
        keep[i] = True
    for i in np.flatnonzero(~inside & (val <= 1 + tol)):
        if bound[i] < thr[i] - 1e-12:
            ub, rb = _verify_leaf(ops, pre, bp, C[i], half[i], H, thr[i])
            if ub is not None and ub < 1 - tol:
                st.leaf_c.append(Ch[i]), st.leaf_rho.append(_up(rb)), st.leaf_ub.append(ub)
                continue
        keep[i] = True
    return boxes.take(keep & ~defer), boxes.take(keep & defer)


def _concat(parts: list, d: int) -> _Boxes:
    if not parts:
        return _Boxes(np.zeros(0, dtype=int), np.zeros((0, d - 1)), np.zeros((0, d - 1)))
    return _Boxes(np.concatenate([b.face for b in parts]), np.vstack([b.lo for b in parts]),
                  np.vstack([b.hi for b in parts]))


def _branch_and_bound(ops, pre, bp, H, balls, tol, slack, deadline, stages=(), max_boxes: int = 3_000_000,
                      use_symmetry: bool = True) -> _Search:
    """Cover the sphere minus the atom balls by caps with rigorous bounds ``< 1 - tol``.

    Runs in stages of decreasing radius (``stages``, radians, then 0): a stage
    resolves every cap not inside ``B(theta_j, r)``, deferring the others, so
    that at a deadline the margin curve is rigorous for the radii completed.
    """
    st = _Search()
    Hf = float(_up(H))
    boxes, later = _initial_boxes(pre.d), []
    normals = _symmetry_normals(pre) if use_symmetry else np.zeros((0, pre.d))
    for r_stage in sorted(set(stages) | {0.0}, reverse=True):
        boxes, later = _concat([boxes] + later, pre.d), []
        while len(boxes):
            st.n_boxes += len(boxes)
            todo = []
            for start in range(0, len(boxes), 4096):
                if time.perf_counter() > deadline or st.n_boxes > max_boxes:
                    st.stopped = "time budget" if time.perf_counter() > deadline else "box limit"
                    todo.append(boxes.take(np.arange(len(boxes)) >= start))
                    break
                split, deferred = _bnb_level(ops, pre, bp, boxes.take(slice(start, start + 4096)), H, Hf, balls,
                                             tol, slack, st, r_stage, normals)
                todo.append(split), later.append(deferred)
                if st.violation is not None:
                    return st
            rest = _concat(todo, pre.d)
            if not st.stopped and np.any(np.linalg.norm(rest.half(), axis=1) < 1e-9):
                st.stopped = "caps below 1e-9 rad could not be resolved"
            if st.stopped:
                _record_unresolved(pre, _concat([rest] + later, pre.d), st)
                return st
            boxes = rest.split()
        st.completed.append(r_stage)
    return st


def _record_unresolved(pre, boxes: _Boxes, st: _Search) -> None:
    C = boxes.centres(pre.d)
    nrm = np.linalg.norm(C, axis=1)
    st.unresolved_c = list(C / nrm[:, None])
    ratio = np.linalg.norm(boxes.half(), axis=1) / nrm
    st.unresolved_rho = list(np.where(ratio < 1, np.arcsin(np.minimum(ratio, 1.0)), np.pi))


# ------------------------------------------------------------------ the verdict
@dataclass
class PopulationResult:
    """Conditions (10) for the population (n -> infinity) pre-certificate of a target.

    Attributes
    ----------
    verdict : {"certified", "fails", "inconclusive"}
    reason : str
    margin_curve : list of [r_deg, sup_lo, sup_hi]
        ``sup |eta_V|`` at geodesic distance ``>= r`` from the support: ``sup_lo``
        attained (float evaluation), ``sup_hi`` a rigorous upper bound (``None``
        where the branch and bound left caps unresolved there).
    second_order_margin : float or None
        Rigorous ``min_j kappa_j``: every one-sided second derivative of
        ``s_j eta_V`` at every atom is ``<= -kappa_j``.
    second_order : list of dict
        Per atom: float ``max_second_derivative`` over unit tangent directions,
        ``worst_tau``, rigorous ``kappa_lo``, ``H3`` and ``ball_radius`` (radians).
    sup_lo : float
        Largest ``|eta_V|`` found outside the atom balls (float).
    violating_theta : list or None
        A direction where ``|eta_V| > 1`` is proven; ``violating_eta_ball`` its enclosure ``[lo, hi]``.
    """

    verdict: str
    reason: str
    margin_curve: list
    second_order_margin: float | None
    second_order: list
    sup_lo: float
    violating_theta: list | None
    violating_eta_ball: list | None
    lipschitz_H: float
    n_leaves: int
    n_unresolved: int
    gram_cond: float
    alpha: np.ndarray
    wall_s: float
    info: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-friendly (floats, lists, ``None``)."""
        so = [{k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in row.items()} for row in self.second_order]
        return {"verdict": self.verdict, "reason": self.reason, "margin_curve": self.margin_curve,
                "second_order_margin": self.second_order_margin, "second_order": so, "sup_lo": self.sup_lo,
                "violating_theta": self.violating_theta, "violating_eta_ball": self.violating_eta_ball,
                "lipschitz_H": self.lipschitz_H, "n_leaves": self.n_leaves, "n_unresolved": self.n_unresolved,
                "gram_cond": self.gram_cond, "alpha": self.alpha.tolist(), "wall_s": self.wall_s,
                **{k: v for k, v in self.info.items()}}


def _check_radii(radii_deg) -> tuple:
    try:
        r = np.asarray(radii_deg, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise BlassoInputError(f"radii_deg must be a list of angles in degrees; got {radii_deg!r}") from None
    if r.size == 0 or not np.all(np.isfinite(r)) or np.any(r < 0) or np.any(r > 180):
        raise BlassoInputError(f"radii_deg must be non-empty angles in [0, 180] degrees; got {radii_deg!r}")
    return tuple(float(x) for x in r)


def _curve(pre, radii_deg, pts, vals, st: _Search, atoms: list) -> list:
    """``[r_deg, sup_lo, sup_hi]`` rows (see :class:`PopulationResult`)."""
    dmin = np.min(_angle(pts, pre.theta), axis=1) if len(pts) else np.zeros(0)
    lc = np.array(st.leaf_c).reshape(-1, pre.d)
    lmin = np.min(_angle(lc, pre.theta) + np.array(st.leaf_rho)[:, None], axis=1) if len(lc) else np.zeros(0)
    uc = np.array(st.unresolved_c).reshape(-1, pre.d)
    umin = np.min(_angle(uc, pre.theta) + np.array(st.unresolved_rho)[:, None], axis=1) if len(uc) else np.zeros(0)
    lub = np.array(st.leaf_ub)
    rows = []
    for rd in radii_deg:
        r = math.radians(rd)
        out = dmin >= r
        lo = float(vals[out].max()) if out.any() else None
        hi = None
        if st.violation is None and all(a["kappa_lo"] is not None for a in atoms) and not np.any(umin > r - 1e-9):
            parts = [float(lub[lmin > r - 1e-9].max())] if np.any(lmin > r - 1e-9) else []
            parts += [1.0 - a["kappa_lo"] * r * r / 4 for a in atoms if r <= a["ball_radius"]]
            hi = max(parts) if parts else None
        rows.append([float(rd), lo, hi])
    return rows


def population_certificate(target: Measure, d: int, *, radii_deg=POPULATION_RADII_DEG, time_budget: float = 60.0,
                           tol: float = 1e-6, ball_max_deg: float = 10.0, curve_slack: float = 0.5,
                           n_random: int = 20000, rng=0, use_symmetry: bool = True,
                           canonical: bool = False) -> PopulationResult:
    """Decide conditions (10) for the population ``eta_V`` of ``target`` (inputs uniform on ``S^{d-1}``).

    Steps (what is rigorous is stated in the module docstring):

    1. the Gram system solved in float and enclosed in balls;
    2. at each atom, the one-sided second derivatives bounded by ``-kappa_j < 0`` over
       all tangent directions and the ball ``B(theta_j, r_j)`` on which ``h'' <= -kappa_j/2``;
    3. float search for large ``|eta_V|``: random directions, arcs between atoms,
       points around the atoms, projected-gradient ascent; a value ``> 1`` is
       re-evaluated in balls (``fails`` if proven);
    4. branch and bound over caps outside the balls until every cap bound is ``< 1 - tol``.

    Parameters
    ----------
    target : Measure
        Atoms and weights (signs only); no zero weight.
    d : int
        Input dimension (must equal ``target.d``).
    radii_deg : sequence of float
        Radii (degrees) of the margin curve.
    time_budget : float > 0
        Seconds for the whole check; the branch and bound stops at the deadline
        (then ``inconclusive`` unless a violation was proven).
    tol : float in (0, 1)
        Cap bounds must be ``< 1 - tol``, ``kappa_j >= tol``, violations ``> 1``
        proven and ``> 1 + tol`` in float.
    ball_max_deg : float
        Largest atom-ball radius (degrees).
    curve_slack : float in (0, 1)
        A cap is a leaf once its bound is ``< |eta(c)| + curve_slack (1 - |eta(c)|)``
        (smaller = a tighter ``sup_hi`` curve, more caps).
    n_random : int
        Random directions of the float search.
    rng : Generator or int
    use_symmetry : bool
        Search only a fundamental domain when the atoms are exactly standard
        basis vectors (:func:`_symmetry_normals`; exact, so still rigorous).
    canonical : bool
        If the atoms are orthonormal to ``1e-9`` (Assumption 3.2), certify the
        teacher with atoms ``e_1, ..., e_m`` and the same weights instead: the
        population ``eta_V`` is rotation equivariant (``x`` uniform), so this
        is the certificate of the *exactly* orthonormal teacher the float atoms
        approximate (not of the float atoms themselves); ``info["canonical"]``
        records it and the Gram deviation.

    Returns
    -------
    PopulationResult
    """
    t0 = time.perf_counter()
    _check_target(target)
    d = check_positive_int(d, name="d", minimum=2)
    if d != target.d:
        raise BlassoInputError(f"target lives in d = {target.d}, but d = {d} was given")
    radii_deg = _check_radii(radii_deg)
    time_budget = check_positive(time_budget, "time_budget")
    tol = check_tol(tol, "tol")
    ball_max = math.radians(check_positive(ball_max_deg, "ball_max_deg"))
    curve_slack = check_tol(curve_slack, "curve_slack")
    n_random = check_positive_int(n_random, name="n_random", minimum=1)
    rng = check_rng(rng)
    target, canon = _canonical(target) if canonical else (target, None)
    pre = _precertificate(target)
    with _Flint() as ops:
        res = _decide(ops, pre, radii_deg, t0 + time_budget, tol, ball_max, curve_slack, n_random, rng, t0,
                      bool(use_symmetry))
    res.info["canonical"] = canon
    return res


def _canonical(target: Measure) -> tuple[Measure, dict]:
    """``(e_1..e_m, c)`` when the atoms are orthonormal to 1e-9, with a record of the deviation."""
    m, d = target.theta.shape
    dev = float(np.max(np.abs(target.theta @ target.theta.T - np.eye(m))))
    if m > d or dev > 1e-9:
        return target, {"applied": False, "max_gram_deviation": dev}
    return Measure(np.eye(d)[:m], target.c), {"applied": True, "max_gram_deviation": dev}


def _decide(ops, pre, radii_deg, deadline, tol, ball_max, slack, n_random, rng, t0, use_symmetry) -> PopulationResult:
    bp = _ball_precertificate(ops, pre)
    if bp is None:
        return _result("inconclusive", "the Gram matrix is not proven invertible in ball arithmetic", pre, radii_deg,
                       [], st=_Search(), atoms=[], H=math.inf, t0=t0, pts=np.zeros((0, pre.d)), vals=np.zeros(0))
    H = _lipschitz_H(ops, bp)
    atoms = [_atom_ball(ops, pre, bp, j, _ball_limit(pre, j, ball_max), _up(H)) for j in range(pre.m)]
    pts, vals, viol = _float_search(ops, pre, bp, atoms, radii_deg, n_random, rng, tol)
    st = _Search()
    if viol is not None:
        st.violation = viol
    elif all(a["kappa_lo"] is not None and a["kappa_lo"] >= tol and a["ball_radius"] > 0 for a in atoms):
        st = _branch_and_bound(ops, pre, bp, H, [a["ball_radius"] for a in atoms], tol, slack, deadline,
                               stages=[math.radians(r) for r in radii_deg], use_symmetry=use_symmetry)
    verdict, reason = _verdict(st, atoms, tol)
    return _result(verdict, reason, pre, radii_deg, atoms, st=st, H=_up(H), t0=t0, pts=pts, vals=vals)


def _float_search(ops, pre, bp, atoms, radii_deg, n_random, rng, tol):
    """Float search for ``max |eta_V|``; returns the points, ``|eta_V|`` there, and a proven violation or ``None``."""
    T = rng.standard_normal((n_random, pre.d))
    T /= np.linalg.norm(T, axis=1, keepdims=True)
    rr = np.radians(np.unique(np.concatenate([radii_deg, np.asarray(radii_deg) * 1.5, [0.05, 0.2, 0.5]])))
    near = _near_atom_points(pre, [a["worst_tau"] for a in atoms], rr[rr > 0], rng)
    P = np.vstack([T, _great_circle_points(pre), near])
    v = np.abs(pre.eta(P))
    top = np.argsort(-v)[: min(len(P), 400)]
    A = _ascent(pre, P[top])
    P = np.vstack([P, A])
    v = np.abs(pre.eta(P))
    for j, a in enumerate(atoms):          # a degenerate atom: look along its worst direction
        if a["max_second_derivative"] > 0:
            t = np.geomspace(1e-6, 0.5, 60)[:, None]
            R = np.cos(t) * pre.theta[j] + np.sin(t) * a["worst_tau"]
            P, v = np.vstack([P, R]), np.concatenate([v, np.abs(pre.eta(R))])
    for i in np.argsort(-v)[:20]:
        if v[i] <= 1 + tol:
            break
        val, _ = _ball_value_grad(ops, bp, P[i])
        if _lo(abs(val)) > 1:
            return P, v, (P[i], _lo(abs(val)), _up(abs(val)))
    return P, v, None


def _verdict(st: _Search, atoms: list, tol: float) -> tuple[str, str]:
    if st.violation is not None:
        th, lo, hi = st.violation
        return "fails", f"|eta_V| in [{lo:.9g}, {hi:.9g}] > 1 (ball arithmetic) at theta = {np.round(th, 6).tolist()}"
    bad = [a for a in atoms if a["kappa_lo"] is None or a["kappa_lo"] < tol or a["ball_radius"] <= 0]
    if bad:
        a = bad[0]
        why = a["reason"] or f"second-order margin {a['kappa_lo']} below tol {tol:g}"
        return "inconclusive", f"atom {a['atom']}: {why}"
    if st.stopped:
        return "inconclusive", (f"branch and bound stopped ({st.stopped}) with {len(st.unresolved_c)} caps unresolved "
                                f"after {st.n_boxes} boxes")
    kap = min(a["kappa_lo"] for a in atoms)
    return "certified", (f"every cap bound < 1 - {tol:g} ({len(st.leaf_ub)} caps, max {max(st.leaf_ub, default=0):.6g}); "
                         f"one-sided second derivatives <= -{kap:.4g} at every atom, on balls of radius >= "
                         f"{math.degrees(min(a['ball_radius'] for a in atoms)):.3g} deg")


def _result(verdict, reason, pre, radii_deg, atoms, *, st, H, t0, pts, vals) -> PopulationResult:
    curve = _curve(pre, radii_deg, pts, vals, st, atoms) if atoms else [[float(r), None, None] for r in radii_deg]
    rb = np.array([a["ball_radius"] for a in atoms]) if atoms else np.zeros(0)
    outside = np.all(_angle(pts, pre.theta) > rb[None, :], axis=1) if len(pts) and atoms else np.zeros(0, bool)
    kap = [a["kappa_lo"] for a in atoms]
    viol = st.violation
    return PopulationResult(
        verdict=verdict, reason=reason, margin_curve=curve,
        second_order_margin=(min(kap) if kap and all(k is not None for k in kap) else None), second_order=atoms,
        sup_lo=float(vals[outside].max()) if outside.any() else float("nan"),
        violating_theta=None if viol is None else [float(x) for x in viol[0]],
        violating_eta_ball=None if viol is None else [viol[1], viol[2]], lipschitz_H=float(H),
        n_leaves=len(st.leaf_ub), n_unresolved=len(st.unresolved_c), gram_cond=pre.cond, alpha=pre.alpha,
        wall_s=time.perf_counter() - t0,
        info={"n_boxes": st.n_boxes, "n_ball_caps": st.n_ball, "n_symmetric_caps": st.n_symmetric,
              "stopped": st.stopped, "d": pre.d, "m": pre.m,
              "stages_completed_deg": [math.degrees(r) for r in st.completed]})
