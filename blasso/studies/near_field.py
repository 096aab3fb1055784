"""The near-field law of ``eta_V`` next to the teacher's atoms at finite n, derived and measured.

The identity everything rests on.  Let ``p_V`` solve the vanishing-derivative
equations for the target ``sum_j c_j delta_{theta_j}`` (signs ``s_j``).  For
any direction ``theta`` and any atom ``j``,

``eta_V(theta) = s_j cos angle(theta, theta_j) + (1/n) sum_{i in S_j(theta)} p_i |<theta, x_i>|``

where ``S_j(theta)`` are the samples whose activation differs between ``theta``
and ``theta_j`` (the walls crossed on the way): ``v_C`` gains ``+p_i x_i / n``
when ``x_i`` turns on and loses it when it turns off, and either way ``eta``
gains ``p_i |<theta, x_i>| / n``.  The sign of the effect is the sign of
``p_i``, not of the crossing.

**The limit field.**  Write ``theta = exp_{theta_j}(z / n)`` with ``z`` in the
tangent space ``R^{d-1}``.  A sample near the great sphere ``theta_j^perp`` is
``x = nu + (h / n) theta_j`` (``nu`` unit, tangent); its wall is crossed
between ``theta_j`` and ``z`` iff ``h`` and ``h + <z, nu>`` differ in sign,
and then contributes ``p(x) |h + <z, nu>| / n^2``.  For inputs uniform on the
sphere the points ``(h, nu)`` form, as ``n -> infinity``, a Poisson process of
intensity ``c_d dh x sigma(d nu)`` (``c_d = Gamma(d/2) / (sqrt(pi)
Gamma((d-1)/2))`` the density of ``<theta, x>`` at 0, ``sigma`` uniform on
``S^{d-2}``), with marks ``p(x) -> p(nu, side)`` from the population
pre-certificate (:mod:`blasso.certificates.population`; ``side`` = whether
``x`` is active at ``theta_j``).  Hence

``n^2 (s_j eta_V(theta) - 1) -> F_j(z) = -|z|^2 / 2 + sum_{walls crossed} p_i |h_i + <z, nu_i>|``

in law, a random field whose law **does not depend on n**.  Consequences:

* the probability that ``eta_V`` exceeds 1 next to atom ``j`` tends to a
  constant ``q = P(sup F_j > 0)``; the margin is ``-max_j sup F_j / n^2`` (when
  the far field does not bind) and the worst point lies at ``|z*| / n``;
* ``E F_j(s tau) = -kappa(tau) s^2 / 2`` with ``kappa(tau) = 1 - c_d
  E_nu[p(nu, <tau, nu> < 0) <tau, nu>^2]``: the walk's drift is the population
  curvature (the one-sided second derivative of
  :meth:`blasso.certificates.population.PopulationPreCertificate.one_sided_second_derivative`),
  and its fluctuation has variance ``sigma^2(tau) s^3`` with
  ``sigma^2 = c_d E_nu[p^2 |<tau, nu>|^3] / 3``; the Gaussian crossover is at
  ``s* = 4 sigma^2 / kappa^2`` (in units of ``1/n``);
* for m = 1 the marks vanish in the limit (``p(x) = a relu(<theta_1, x>)``),
  but at finite n they are ``<alpha_hat^perp, nu> = O(n^{-1/2})`` (the
  empirical ``alpha``): a violation needs a wall of the atom's cell at
  distance below ``p/2``, which happens with probability ``C_d / sqrt(n)``,
  ``C_d = (c_d / 4) E|nu_1| E|alpha_hat^perp| sqrt(n)`` with
  ``Var(alpha_hat^perp_k) = 8 d^3 / ((d + 2) n)`` (:func:`m1_violation_constant`).

:func:`local_law` computes these constants and simulates the limit field
(exactly along rays from the atom: on a ray ``F`` is piecewise quadratic; in
d = 2 the two rays are the whole neighbourhood, in d >= 3 the sup over
finitely many rays is a lower bound of the field's).  :func:`near_field_study`
measures the law with the rigorous :func:`blasso.certificates.verdict.check_conditions`
on the paper's teacher (m orthonormal positive atoms, inputs uniform on the
sphere) over seeds and n, reading a sweep store (:mod:`blasso.studies.sweep`)
when given one, and fits log-log slopes with bootstrap intervals.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from ..measure import Measure
from ..progress import announce_estimate, as_progress
from ..validation import BlassoInputError, check_positive_int, check_rng

__all__ = ["NEAR_FIELD_KIND", "FAR_RADIUS_DEG", "RADII_DEG", "crossing_density", "m1_violation_constant",
           "LocalLaw", "local_law", "simulate_limit_field", "near_field_task", "NearFieldRow", "NearFieldStudy",
           "near_field_study", "seed_records", "summarise", "bootstrap_slope", "near_field_seconds",
           "geodesic_profile", "plot_fraction", "plot_margin", "plot_zoom", "study_from_dict"]

#: The sweep task kind of one seed (:func:`near_field_task`).
NEAR_FIELD_KIND = "blasso.studies.near_field:near_field_task"
#: Radii (degrees) of the margin curve, those of the sweep's certify task (so both read alike).
RADII_DEG = (0.5, 1, 2, 5, 10, 20, 30, 45, 60)
#: The far field: directions at least this many degrees from every atom.
FAR_RADIUS_DEG = 10.0
#: A slope needs at least this many near-field n values (fewer: no fit drawn, the law's check inconclusive).
MIN_FIT_POINTS = 3


# ------------------------------------------------------------------ constants of the law

def crossing_density(d: int) -> float:
    """``c_d``: the density at 0 of ``<theta, x>`` for ``x`` uniform on ``S^{d-1}``.

    A random hyperplane ``x^perp`` separates two directions at angle ``t`` with
    probability ``t / pi`` in every d; ``c_d`` is the density of its offset
    ``h`` in the rescaled tangent picture.

    Examples
    --------
    >>> round(crossing_density(2) * math.pi, 12), round(crossing_density(3), 12)
    (1.0, 0.5)
    """
    d = check_positive_int(d, name="d", minimum=2)
    return math.exp(math.lgamma(d / 2) - math.lgamma((d - 1) / 2)) / math.sqrt(math.pi)


def _mean_abs_coordinate(k: int) -> float:
    """``E|nu_1|`` for ``nu`` uniform on ``S^{k-1}`` (k = 1: the two points +-1)."""
    return 1.0 if k == 1 else math.exp(math.lgamma(k / 2) - math.lgamma((k + 1) / 2)) / math.sqrt(math.pi)


def m1_violation_constant(d: int) -> float:
    """``C_d`` with ``P(conditions (10) fail next to the atom) ~ C_d / sqrt(n)`` for one atom (m = 1).

    ``C_d = (c_d / 4) E|nu_1| E|g|`` where ``g`` is the tangential part of
    ``sqrt(n) (alpha_hat - 2 d theta)``, Gaussian with covariance
    ``8 d^3 / (d + 2) I_{d-1}`` (``alpha_hat = n (X^T D X)^{-1} theta``, the
    empirical Gram matrix tends to ``I / (2d)``, ``E[x_1^2 x_k^2] = 1/(d(d+2))``).

    Examples
    --------
    >>> round(m1_violation_constant(2), 4)
    0.254
    """
    d = check_positive_int(d, name="d", minimum=2)
    v = 8.0 * d ** 3 / (d + 2)
    chi = math.sqrt(2.0) * math.exp(math.lgamma(d / 2) - math.lgamma((d - 1) / 2))   # E|N(0, I_{d-1})|
    return crossing_density(d) / 4.0 * _mean_abs_coordinate(d - 1) * math.sqrt(v) * chi


def _canonical_precertificate(d: int, m: int):
    from blasso.certificates.population import population_precertificate

    if not 1 <= m <= d:
        raise BlassoInputError(f"the paper's teacher needs 1 <= m <= d; got m = {m}, d = {d}")
    return population_precertificate(Measure(np.eye(d)[:m], np.ones(m)))


def _marks(pre, nu: np.ndarray, active: np.ndarray, j: int = 0) -> np.ndarray:
    """Population ``p(x)`` at ``x = nu`` (tangent to atom ``j``) on the side ``active`` of ``theta_j``."""
    act = (nu @ pre.theta.T) > 0
    act[:, j] = active
    return ((nu @ pre.alpha.T) * act).sum(axis=1)


def _tangent_units(k: int, d: int, rng: np.random.Generator, j_axis: int = 0) -> np.ndarray:
    """``k`` unit vectors uniform on the great sphere orthogonal to ``e_{j_axis}`` (d = 2: +-e_2)."""
    if d == 2:
        out = np.zeros((k, 2))
        out[:, 1] = rng.choice([-1.0, 1.0], size=k)
        return out
    Z = rng.standard_normal((k, d))
    Z[:, j_axis] = 0.0
    return Z / np.linalg.norm(Z, axis=1, keepdims=True)


def _nu_quadrature(d: int, rng: np.random.Generator, k: int = 1_000_000) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of ``E_nu`` over the tangent sphere (exact for d = 2, 3; Monte Carlo above)."""
    if d == 2:
        return np.array([[0.0, 1.0], [0.0, -1.0]]), np.array([0.5, 0.5])
    if d == 3:
        a = (np.arange(4096) + 0.5) * 2 * np.pi / 4096
        return np.column_stack([np.zeros_like(a), np.cos(a), np.sin(a)]), np.full(a.size, 1.0 / a.size)
    nu = _tangent_units(k, d, rng)
    return nu, np.full(k, 1.0 / k)


def _ray_moments(pre, tau: np.ndarray, nodes: np.ndarray, w: np.ndarray, cd: float) -> tuple[float, float]:
    """``kappa(tau)`` from the Poisson marks and ``sigma^2(tau)`` (see the module docstring)."""
    g = nodes @ tau
    p = _marks(pre, nodes, g < 0)
    kappa = 1.0 - cd * float(np.sum(w * p * g * g))
    sigma2 = cd * float(np.sum(w * p * p * np.abs(g) ** 3)) / 3.0
    return kappa, sigma2


@dataclass
class LocalLaw:
    """The constants of the near-field law at one atom of the paper's teacher (m orthonormal positive atoms).

    Attributes
    ----------
    d, m : int
    c_d : float
        Density of wall offsets (:func:`crossing_density`); ``n / pi`` walls per radian along any ray.
    kappa_min, kappa_max : float
        Smallest and largest population curvature ``kappa(tau) = -h''(0+; tau)`` over tangent directions.
    kappa_min_poisson : float
        ``kappa`` at the same direction from the Poisson marks, ``1 - c_d E[p <tau, nu>^2]``: must equal
        ``kappa_min`` (the walk's drift is the population curvature).
    tau_min : list of float
        The direction of ``kappa_min``.
    sigma2 : float
        Variance rate of the walk at ``tau_min``: ``Var F(s tau) = sigma2 s^3``.
    s_star : float
        ``4 sigma2 / kappa_min^2``: the Gaussian crossover, in units of ``1/n`` radians.
    margin_scale : float
        ``sigma2^2 / kappa_min^3``: the order of ``n^2 |margin|`` in the Gaussian regime.
    m1_constant : float
        For m = 1: ``P(violation) ~ m1_constant / sqrt(n)`` (:func:`m1_violation_constant`).
    simulation : dict
        Monte Carlo of the limit field (see :func:`simulate_limit_field`): ``samples``, ``R``, ``rays``,
        ``exact`` (True in d = 2), ``q_atom`` (one atom), ``q`` (any of the m atoms), quantiles
        ``n2_margin_q10/q50/q90`` of ``n^2 margin`` and ``n_angle_q10/q50/q90`` of ``n`` times the
        worst point's angle (radians).
    """

    d: int
    m: int
    c_d: float
    kappa_min: float
    kappa_max: float
    kappa_min_poisson: float
    tau_min: list
    sigma2: float
    s_star: float
    margin_scale: float
    m1_constant: float
    simulation: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    def predicted_fraction(self, n: int) -> float | None:
        """The predicted fraction of seeds violating (10) at ``n`` (``C_d / sqrt(n)`` for m = 1, ``q`` else)."""
        if self.m == 1:
            return float(min(1.0, self.m1_constant / math.sqrt(n)))
        q = self.simulation.get("q")
        return None if q is None else float(q)


def _curvatures(pre, rng: np.random.Generator, k: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Tangent directions at atom 0 and their population curvatures ``kappa = -h''(0+; tau)``."""
    d = pre.d
    taus = np.array([[0.0, 1.0], [0.0, -1.0]]) if d == 2 else _tangent_units(k, d, rng)
    return taus, -pre.one_sided_second_derivative(0, taus)


def local_law(d: int, m: int, *, samples: int = 2000, rays: int | None = None, rng=0,
              radius_factor: float = 9.0, max_walls: int = 40_000, progress=None) -> LocalLaw:
    """Constants of the near-field law and a Monte Carlo of its limit field, for ``m`` atoms in dimension ``d``.

    Parameters
    ----------
    d, m : int
        The paper's teacher: ``e_1, ..., e_m`` with weight 1 (every orthonormal
        positive teacher gives the same law, by rotation invariance).
    samples : int
        Limit fields simulated per atom (0: constants only).
    rays : int, optional
        Rays from the atom in d >= 3 (default 360 in d = 3, 256 above; d = 2 uses
        the two rays, which are exact).
    rng : Generator or int
    radius_factor : float
        The field is simulated within ``radius_factor * s_star`` (at least 50)
        of the atom, in units of ``1/n``; beyond, the mean decay exceeds three
        standard deviations of the walk.
    max_walls : int
        Cap on the expected number of walls per field (the radius shrinks to fit).
    progress : callable, optional

    Returns
    -------
    LocalLaw

    Examples
    --------
    >>> law = local_law(2, 2, samples=0)
    >>> round(law.kappa_min, 4), round(law.kappa_min_poisson, 4)
    (0.222, 0.222)
    """
    rng = check_rng(rng)
    samples = int(samples)
    pre = _canonical_precertificate(d, m)
    cd = crossing_density(d)
    taus, kap = _curvatures(pre, rng)
    i = int(np.argmin(kap))
    nodes, w = _nu_quadrature(d, rng)
    kp, s2 = _ray_moments(pre, taus[i], nodes, w, cd)
    kmin = float(kap[i])
    s_star = 4.0 * s2 / kmin ** 2
    law = LocalLaw(d=d, m=m, c_d=cd, kappa_min=kmin, kappa_max=float(kap.max()), kappa_min_poisson=kp,
                   tau_min=taus[i].tolist(), sigma2=s2, s_star=s_star, margin_scale=s2 ** 2 / kmin ** 3,
                   m1_constant=m1_violation_constant(d))
    if samples > 0:
        R = min(max(50.0, radius_factor * s_star), max_walls / (2.0 * cd))
        K = 2 if d == 2 else (rays or (360 if d == 3 else 256))
        law.simulation = simulate_limit_field(pre, samples, R=R, rays=K, rng=rng, progress=progress)
    return law


def _ray_directions(d: int, K: int, rng: np.random.Generator) -> np.ndarray:
    if d == 2:
        return np.array([[0.0, 1.0], [0.0, -1.0]])
    if d == 3:
        a = np.arange(K) * 2 * np.pi / K
        return np.column_stack([np.zeros(K), np.cos(a), np.sin(a)])
    return _tangent_units(K, d, rng)


def _field_sup(h: np.ndarray, nu: np.ndarray, p: np.ndarray, taus: np.ndarray, R: float) -> tuple[float, float]:
    """Exact ``sup_{s >= s_1} F(s tau)`` over each ray (piecewise quadratic), the best ray's value and ``s``."""
    G = taus @ nu.T
    with np.errstate(divide="ignore", invalid="ignore"):
        S = -h[None, :] / G
    ok = np.isfinite(S) & (S > 0) & (S <= R)
    S = np.where(ok, S, R * 2.0 + 1.0)
    W = np.where(ok, p[None, :] * np.abs(G), 0.0)
    o = np.argsort(S, axis=1)
    S = np.take_along_axis(S, o, axis=1)
    W = np.take_along_axis(W, o, axis=1)
    A, B = np.cumsum(W, axis=1), np.cumsum(W * S, axis=1)
    hi = np.minimum(np.concatenate([S[:, 1:], np.full((S.shape[0], 1), R)], axis=1), R)
    s = np.clip(A, S, np.maximum(hi, S))
    F = np.where(S <= R, -0.5 * s * s + A * s - B, -np.inf)
    k = np.unravel_index(int(np.argmax(F)), F.shape)
    return float(F[k]), float(s[k])


def simulate_limit_field(pre, samples: int, *, R: float, rays: int, rng=0, progress=None) -> dict:
    """Monte Carlo of ``sup F`` next to atom 0 of ``pre`` (population pre-certificate) and of m atoms.

    Each field: ``N ~ Poisson(2 R c_d)`` walls with offsets ``h ~ U(-R, R)``,
    normals ``nu`` uniform on the tangent sphere and marks ``p(nu, h > 0)``;
    on every ray ``F`` is piecewise quadratic and its sup over ``[s_1, R]``
    (outside the atom's own cell) is exact.  In d = 2 the two rays are the
    whole neighbourhood (exact law); in d >= 3 the sup over the rays is a
    lower bound of the field's.  The m atoms of the teacher are equivalent and
    their fields asymptotically independent: ``m`` fields are combined by their max.

    Returns
    -------
    dict
        ``samples, R, rays, exact, q_atom, q`` and the quantiles of
        ``n^2 margin = -max_j sup F_j`` and of ``n`` times the worst point's angle.
    """
    rng = check_rng(rng)
    say = as_progress(progress)
    d, m = pre.d, pre.m
    cd = crossing_density(d)
    taus = _ray_directions(d, rays, rng)
    V = np.empty(samples * m)
    Z = np.empty(samples * m)
    for t in range(samples * m):
        N = int(rng.poisson(2.0 * R * cd))
        h = rng.uniform(-R, R, N)
        nu = _tangent_units(N, d, rng)
        V[t], Z[t] = _field_sup(h, nu, _marks(pre, nu, h > 0), taus, R)
        if t % 200 == 0:
            say("limit-field samples", t + 1, samples * m)
    Vm, Zm = V.reshape(samples, m), Z.reshape(samples, m)
    j = np.argmax(Vm, axis=1)
    top, zt = Vm.max(axis=1), Zm[np.arange(samples), j]
    q = lambda a, v: float(np.quantile(a, v))  # noqa: E731
    return {"samples": samples, "R": float(R), "rays": int(taus.shape[0]), "exact": d == 2,
            "q_atom": float(np.mean(V > 0)), "q": float(np.mean(top > 0)),
            "n2_margin_q10": q(-top, 0.1), "n2_margin_q50": q(-top, 0.5), "n2_margin_q90": q(-top, 0.9),
            "n_angle_q10": q(zt, 0.1), "n_angle_q50": q(zt, 0.5), "n_angle_q90": q(zt, 0.9)}


# ------------------------------------------------------------------ one seed
def _angle_to_atoms(theta, atoms: np.ndarray) -> float | None:
    if theta is None:
        return None
    t = np.asarray(theta, dtype=float)
    t = t / np.linalg.norm(t)
    return float(np.min(np.arccos(np.clip(atoms @ t, -1.0, 1.0))))


def near_field_task(inst, params: dict, options: dict) -> dict:
    """One seed: conditions (10) for the teacher, its margin, the worst point's angle and the far field.

    A sweep task kind (:data:`NEAR_FIELD_KIND`, ``f(inst, params, options)``):
    :func:`blasso.certificates.verdict.check_conditions` with the margin curve
    at :data:`RADII_DEG`; ``angle`` is the distance (radians) from the nearest
    atom to the best point of the rigorous sup (the violating direction when
    ``fails``); ``far_margin_lo``/``far_margin_hi`` bracket the margin outside
    :data:`FAR_RADIUS_DEG` (the lower end is rigorous).

    Examples
    --------
    >>> from blasso import make_instance
    >>> out = near_field_task(make_instance(teacher="paper", n=200, d=2, m=1, seed=0), {}, {"cert_budget": 10})
    >>> out["verdict"], out["far_margin_lo"] > 0
    ('certified', True)
    """
    from blasso.certificates.verdict import check_conditions

    budget = float(options.get("cert_budget", 0.8 * float(options.get("time_budget", 60.0))))
    seed = int(getattr(inst, "seed", 0) or 0) % 2 ** 32       # the sweep certify task's algorithm seed
    res = check_conditions(inst.X, inst.teacher_measure(), time_budget=budget, rng=seed,
                           radii=tuple(math.radians(r) for r in RADII_DEG))
    far = next(c for r, c in zip(RADII_DEG, res.curve) if r == FAR_RADIUS_DEG) if res.curve else None
    theta = res.violating_theta if res.violating_theta is not None else (None if res.sup is None else res.sup.theta_lo)
    return {"verdict": res.verdict, "violating": res.verdict == "fails", "margin": float(res.margin),
            "angle": _angle_to_atoms(theta, res.pre.theta),
            "theta": None if theta is None else np.asarray(theta, dtype=float).tolist(),
            "far_margin_lo": None if far is None else far["margin_lo"],
            "far_margin_hi": None if far is None else far["margin_hi"],
            "sup_lo": None if res.sup is None else res.sup.lo, "sup_hi": None if res.sup is None else res.sup.hi,
            "reason": res.reason, "cert_wall_s": res.wall_s, "near_field": res.info.get("near_field"),
            "margin_curve": [[float(r), c["max_eta_lo"], c["max_eta_hi"]] for r, c in zip(RADII_DEG, res.curve)]}


_DEG_RE = re.compile(r"at a direction ([0-9.eE+-]+) deg from the nearest atom")


def _num(v) -> float | None:
    return None if v is None or not np.isfinite(v) else float(v)


def _record(params: dict, result: dict, wall_s: float | None) -> dict:
    """A seed's record from a near-field task, or from a sweep ``certify`` task (angle from its reason)."""
    if "violating" in result:                       # a near-field task
        angle, far_lo, far_hi = result.get("angle"), result.get("far_margin_lo"), result.get("far_margin_hi")
    else:                                           # a sweep certify task: the reason and the curve
        mt = _DEG_RE.search(result.get("reason") or "")
        angle = math.radians(float(mt.group(1))) if mt else None
        row = next((c for c in result.get("margin_curve") or [] if c[0] == FAR_RADIUS_DEG), None)
        far_lo = None if row is None or row[2] is None else 1.0 - row[2]
        far_hi = None if row is None or row[1] is None else 1.0 - row[1]
    return {"n": int(params["n"]), "seed": int(params["seed"]), "verdict": result["verdict"],
            "margin": _num(result.get("margin")), "angle": _num(angle), "far_margin_lo": _num(far_lo),
            "far_margin_hi": _num(far_hi), "wall_s": wall_s}


# ------------------------------------------------------------------ many seeds
def near_field_seconds(d: int, n: int) -> float:
    """Estimated seconds of one seed (a stated cost model, measured on the 2-core development machine).

    d = 2: ``0.01 + 5e-6 n`` (the circle sweep; 0.34 s at n = 1e5, 5 s at 1e6);
    d = 3: ``0.05 + 1.5e-4 n`` (1.5 s at n = 1e4 when a violation is found early);
    d >= 4: ``3 + 1e-3 n`` (the Fig. 2 sweep's median task times, 7.9 s at 6400, 53 s at 51200).

    Examples
    --------
    >>> near_field_seconds(2, 10**6)
    5.01
    """
    if d == 2:
        return 0.01 + 5e-6 * n
    if d == 3:
        return 0.05 + 1.5e-4 * n
    return 3.0 + 1e-3 * n


def _spec(d: int, m: int, seeds_by_n: dict, cert_budget: float):
    """The sweep spec of the seeds to compute (same parameters, hence the same samples, as any sweep)."""
    from .sweep import parse_spec

    blocks = [f'[[grid]]\nteacher = "paper"\nn = {n}\nm = {m}\nd = {d}\nseeds = {sorted(ks)}\n'
              for n, ks in seeds_by_n.items() if ks]
    text = (f'[sweep]\ntask = "{NEAR_FIELD_KIND}"\nname = "near_field"\n[options]\n'
            f'cert_budget = {float(cert_budget)!r}\ntime_budget = {float(1.25 * cert_budget + 20.0)!r}\n'
            + "".join(blocks))
    return parse_spec(text)


def _instance_key(params: dict) -> tuple:
    from .sweep.keys import INSTANCE_AXES

    return tuple(params.get(a) for a in INSTANCE_AXES)


def _check_request(d: int, m: int, ns, seeds: int) -> list:
    d = check_positive_int(d, name="d", minimum=2)
    m = check_positive_int(m, name="m")
    if m > d:
        raise BlassoInputError(f"the paper's teacher has orthonormal atoms: m = {m} needs d >= m; got d = {d}")
    ns = sorted({check_positive_int(n, name="n", minimum=m * d + 1) for n in np.atleast_1d(ns).tolist()})
    if not ns:
        raise BlassoInputError("give at least one n")
    check_positive_int(seeds, name="seeds")
    return ns


def _stored(store, d: int, m: int, ns: list, seeds: int) -> dict:
    """Records of the store matching the request (a near-field task or a sweep certify task per sample)."""
    want = {(n, k) for n in ns for k in range(seeds)}
    out = {}
    for row in store.rows():
        p = row["params"]
        if row["status"] != "done" or row["task"] not in ("certify", NEAR_FIELD_KIND):
            continue
        if (p.get("teacher"), p.get("d"), p.get("m"), p.get("inputs"), p.get("noise"), p.get("basis")) != \
                ("paper", d, m, "sphere", 0.0, "random") or (p["n"], p["seed"]) not in want:
            continue
        key = (p["n"], p["seed"])
        if key not in out or row["task"] == NEAR_FIELD_KIND:
            out[key] = _record(p, row["result"], row["wall_s"])
    return out


def seed_records(d: int, m: int, ns, seeds: int, *, store=None, workers: int = 1, cert_budget: float = 60.0,
                 progress=None) -> list:
    """Per-seed records (:func:`near_field_task`) for the paper's teacher at every ``n`` and seed ``0..seeds-1``.

    Samples are those of a sweep (seed = hash of the instance parameters,
    :func:`blasso.studies.sweep.keys.data_seed`), so a sweep store of
    ``certify`` tasks (e.g. ``benchmarks/results/sweep_fig2_d5``) is read as
    is.  With ``store`` (a path), the missing seeds run as sweep tasks in
    ``workers`` processes and are stored there (a killed run resumes); without,
    they run here, one after the other.

    Returns
    -------
    list of dict
        ``n, seed, verdict, margin, angle`` (radians), ``far_margin_lo``,
        ``far_margin_hi``, ``wall_s``, sorted by ``(n, seed)``.
    """
    ns = _check_request(d, m, ns, seeds)
    say = as_progress(progress)
    have: dict = {}
    st = None
    if store is not None:
        from .sweep import Store

        st = Store(store)
        have = _stored(st, d, m, ns, seeds)
    todo = {n: [k for k in range(seeds) if (n, k) not in have] for n in ns}
    total = sum(len(v) for v in todo.values())
    est = sum(len(v) * (near_field_seconds(d, n) + (1.5 if st is not None else 0.0)) for n, v in todo.items())
    say(f"near field d = {d}, m = {m}: {len(have)} seed(s) stored, {total} to compute")
    announce_estimate(say, f"{total} seeds of conditions (10) in d = {d}",
                      est / max(1, workers if st is not None else 1),
                      "near_field_seconds: 5e-6 n s (d = 2), 1.5e-4 n (d = 3), 3 + 1e-3 n (d >= 4) per seed")
    try:
        if total:
            spec = _spec(d, m, todo, cert_budget)
            have.update(_run_store(st, spec, workers, say) if st is not None else _run_here(spec, say))
    finally:
        if st is not None:
            st.close()
    return [have[k] for k in sorted(have)]


def _run_store(st, spec, workers: int, say) -> dict:
    from .sweep import run_sweep
    from .sweep.executors import LocalExecutor, SerialExecutor

    ex = SerialExecutor() if workers <= 1 else LocalExecutor(workers)
    run_sweep(spec, st, ex, progress=say)
    p0 = spec.tasks[0].params
    got = _stored(st, p0["d"], p0["m"], sorted({t.params["n"] for t in spec.tasks}),
                  1 + max(t.params["seed"] for t in spec.tasks))
    keys = {(t.params["n"], t.params["seed"]) for t in spec.tasks}
    return {k: v for k, v in got.items() if k in keys}


def _run_here(spec, say) -> dict:
    from .sweep.tasks import build_instance

    out = {}
    for i, t in enumerate(spec.tasks):
        t0 = time.perf_counter()
        res = near_field_task(build_instance(t.params), t.params, t.params["options"])
        out[(t.params["n"], t.params["seed"])] = _record(t.params, res, time.perf_counter() - t0)
        say("near-field seeds", i + 1, len(spec.tasks))
    return out


# ------------------------------------------------------------------ statistics
@dataclass
class NearFieldRow:
    """The seeds at one ``n``, with the law's prediction beside each measured figure.

    Margins are ``1 - sup |eta_V|`` off the atom cells (negative: conditions (10)
    fail); angles are those of the worst point from its nearest atom; the far
    field is everything at least :data:`FAR_RADIUS_DEG` from the atoms
    (``far_margin_median``: the measured margin there, ``far_margin_lo_median``
    its rigorous lower end, ``far_certified``: seeds where that end is > 0).
    ``pred_*`` come from the limit field of :func:`local_law` (``None`` where
    it was not simulated); ``pred_margin_scale`` and ``pred_angle_scale_deg``
    are the Gaussian-regime orders ``sigma^4 / (kappa^3 n^2)`` and ``s* / n``.
    """

    n: int
    seeds: int
    violating: int
    violating_fraction: float
    fraction_ci: list
    inconclusive: int
    margin_median: float | None
    margin_q10: float | None
    margin_q90: float | None
    angle_median_deg: float | None
    angle_q10_deg: float | None
    angle_q90_deg: float | None
    far_margin_median: float | None
    far_margin_lo_median: float | None
    far_certified: int
    wall_s_median: float | None
    pred_violating_fraction: float | None = None
    pred_margin_median: float | None = None
    pred_margin_q10: float | None = None
    pred_margin_q90: float | None = None
    pred_angle_median_deg: float | None = None
    pred_margin_scale: float | None = None
    pred_angle_scale_deg: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _wilson(k: int, n: int, z: float = 1.96) -> list:
    """95% Wilson interval of a binomial proportion."""
    if n == 0:
        return [0.0, 1.0]
    p = k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [max(0.0, c - h), min(1.0, c + h)]


def _q(v: list, q: float, scale: float = 1.0) -> float | None:
    a = np.array([x for x in v if x is not None], dtype=float)
    return None if a.size == 0 else float(np.quantile(a, q)) * scale


def summarise(records: list, n: int, law: LocalLaw | None = None) -> NearFieldRow:
    """The row of ``n`` from per-seed records (:func:`seed_records`), with the law's predictions.

    Examples
    --------
    >>> recs = [{"n": 100, "seed": k, "verdict": "fails", "margin": -k - 1.0, "angle": 0.01, "far_margin_lo": 0.1,
    ...          "far_margin_hi": 0.2, "wall_s": 1.0} for k in range(3)]
    >>> summarise(recs, 100).margin_median
    -2.0
    """
    rs = [r for r in records if r["n"] == n]
    k = sum(r["verdict"] == "fails" for r in rs)
    deg = 180.0 / math.pi
    mg, an = [r["margin"] for r in rs], [r["angle"] for r in rs]
    row = NearFieldRow(n=n, seeds=len(rs), violating=k, violating_fraction=k / max(1, len(rs)),
                       fraction_ci=_wilson(k, len(rs)), inconclusive=sum(r["verdict"] == "inconclusive" for r in rs),
                       margin_median=_q(mg, 0.5), margin_q10=_q(mg, 0.1), margin_q90=_q(mg, 0.9),
                       angle_median_deg=_q(an, 0.5, deg), angle_q10_deg=_q(an, 0.1, deg), angle_q90_deg=_q(an, 0.9, deg),
                       far_margin_median=_q([r["far_margin_hi"] for r in rs], 0.5),
                       far_margin_lo_median=_q([r["far_margin_lo"] for r in rs], 0.5),
                       far_certified=sum((r["far_margin_lo"] or -1.0) > 0 for r in rs),
                       wall_s_median=_q([r["wall_s"] for r in rs], 0.5))
    if law is not None:
        _predict(row, law)
    return row


def _predict(row: NearFieldRow, law: LocalLaw) -> None:
    n, sim = row.n, law.simulation
    row.pred_violating_fraction = law.predicted_fraction(n)
    if law.m > 1 and law.kappa_min > 0:
        row.pred_margin_scale = -law.margin_scale / n ** 2
        row.pred_angle_scale_deg = math.degrees(law.s_star / n)
    if sim:
        row.pred_margin_median = sim["n2_margin_q50"] / n ** 2
        row.pred_margin_q10, row.pred_margin_q90 = sim["n2_margin_q10"] / n ** 2, sim["n2_margin_q90"] / n ** 2
        row.pred_angle_median_deg = math.degrees(sim["n_angle_q50"] / n)


def bootstrap_slope(records: list, ns: list, key: str, *, B: int = 2000, rng=0) -> dict:
    """Log-log fit of ``|median of key|`` against ``n`` over ``ns``, with a seed-bootstrap 95% interval.

    Each bootstrap replicate resamples the seeds of every ``n`` with
    replacement and refits; replicates with a zero median are left out.

    Returns
    -------
    dict
        ``slope, intercept, r2, ci`` (2.5% and 97.5% of the replicate slopes),
        ``ns`` (the n used), ``replicates``.

    Examples
    --------
    >>> recs = [{"n": n, "m": 1.0 / n ** 2 * (1 + 0.01 * k)} for n in (10, 100, 1000) for k in range(5)]
    >>> round(bootstrap_slope(recs, [10, 100, 1000], "m")["slope"], 3)
    -2.0
    """
    from .theory import _linfit

    rng = check_rng(rng)
    groups = [np.array([r[key] for r in records if r["n"] == n and r[key] is not None], dtype=float) for n in ns]
    keep = [i for i, g in enumerate(groups) if g.size and np.median(g) != 0]
    if len(keep) < 2:
        return {"slope": None, "intercept": None, "r2": None, "ci": [None, None], "ns": [], "replicates": 0}
    x = np.log10([ns[i] for i in keep])
    y = np.log10([abs(float(np.median(groups[i]))) for i in keep])
    s, b, r2 = _linfit(x, y)
    reps = []
    for _ in range(B):
        med = [abs(float(np.median(rng.choice(groups[i], groups[i].size)))) for i in keep]
        if min(med) > 0:
            reps.append(_linfit(x, np.log10(med))[0])
    ci = [float(np.quantile(reps, 0.025)), float(np.quantile(reps, 0.975))] if reps else [None, None]
    return {"slope": s, "intercept": b, "r2": r2, "ci": ci, "ns": [ns[i] for i in keep], "replicates": len(reps)}


@dataclass
class NearFieldStudy:
    """Outcome of :func:`near_field_study` (see :meth:`to_dict` for the JSON figures).

    Attributes
    ----------
    d, m, seeds : int
    rows : list of NearFieldRow
        One per ``n``.
    fits : dict
        ``margin`` and ``angle``: :func:`bootstrap_slope` of the median ``|margin|``
        and median angle against ``n`` over the near-field rows (far field clear),
        each with ``predicted_slope`` (-2 and -1).
    law : LocalLaw
    check : dict
        ``{status, reason}``: whether the measurements follow the law
        (``holds``/``fails``/``inconclusive``).
    records : list of dict
        Per seed (:func:`seed_records`).
    source : str
    wall_s : float
    """

    d: int
    m: int
    seeds: int
    rows: list
    fits: dict
    law: LocalLaw
    check: dict
    records: list
    source: str
    wall_s: float

    def to_dict(self) -> dict:
        return {"d": self.d, "m": self.m, "seeds": self.seeds, "rows": [r.to_dict() for r in self.rows],
                "fits": self.fits, "law": self.law.to_dict(), "check": self.check, "records": self.records,
                "source": self.source, "wall_s": self.wall_s}


def _fits(records: list, rows: list, law: LocalLaw, rng) -> dict:
    """Slopes over the rows where the far field is clear (the near-field regime), at least 3 seeds; and the
    pooled violation rate against the law (m = 1: ``C`` in ``C / sqrt(n)``; m >= 2: the limit probability)."""
    ns = [r.n for r in rows if r.seeds >= 3 and (r.far_margin_median or -1.0) > 0]
    out = {}
    for key, name, pred in (("margin", "margin", -2.0), ("angle", "angle", -1.0)):
        f = bootstrap_slope(records, ns, key, rng=rng)
        f.update({"predicted_slope": pred, "quantity": f"median |{name}| against n"})
        out[name] = f
    use = [r for r in rows if r.n in ns]
    k, N = sum(r.violating for r in use), sum(r.seeds for r in use)
    lo, hi = _wilson(k, N)
    if law.m == 1:
        w = sum(r.seeds / math.sqrt(r.n) for r in use)
        scale = N / w if w > 0 else float("nan")
        out["fraction"] = {"quantity": "C in P(violation) = C / sqrt(n) (pooled)", "estimate": k / w if w else None,
                           "ci": [lo * scale, hi * scale], "predicted": law.m1_constant, "violating": k, "seeds": N}
    else:
        out["fraction"] = {"quantity": "P(violation) (pooled over the near-field rows)",
                           "estimate": k / N if N else None, "ci": [lo, hi],
                           "predicted": law.simulation.get("q"), "violating": k, "seeds": N}
    return out


def _check(study_rows: list, fits: dict, law: LocalLaw, tol: float = 0.3) -> dict:
    """Do the slopes' intervals contain the predicted ones (within ``tol``), and the pooled violation rate its
    prediction (d = 2 and m = 1: inside the 95% interval; d >= 3: above the rays' lower bound)?"""
    bad, good, weak = [], [], []
    for name in ("margin", "angle"):
        f = fits[name]
        if f["slope"] is None or len(f["ns"]) < MIN_FIT_POINTS:
            weak.append(f"{name}: {len(f['ns'])} near-field n values, no fit")
            continue
        lo, hi = f["ci"]
        inside = lo is not None and lo - tol <= f["predicted_slope"] <= hi + tol
        (good if inside else bad).append(f"{name} slope {f['slope']:.2f} [{lo:.2f}, {hi:.2f}] vs {f['predicted_slope']:g}")
    fr = fits["fraction"]
    if fr["predicted"] is None or fr["estimate"] is None:
        weak.append("violation rate: no prediction or no seeds")
    else:
        exact = law.m == 1 or law.simulation.get("exact", False)
        lo, hi = fr["ci"]
        plo, phi = fr["predicted"], fr["predicted"]
        if law.m > 1 and law.simulation.get("samples"):     # the Monte Carlo's own 95% interval
            ns = int(law.simulation["samples"])
            plo, phi = _wilson(int(round(fr["predicted"] * ns)), ns)
        ok = (lo <= phi and plo <= hi) if exact else hi >= plo
        (good if ok else bad).append(f"violation rate {fr['estimate']:.3g} [{lo:.3g}, {hi:.3g}] vs "
                                     f"{'predicted' if exact else 'ray lower bound'} {fr['predicted']:.3g}"
                                     + (f" [{plo:.3g}, {phi:.3g}]" if phi > plo else ""))
    status = "fails" if bad else ("inconclusive" if weak or not good else "holds")
    return {"status": status, "reason": "; ".join(bad + good + weak) + f" (slope tolerance {tol:g} beyond the interval)"}


def near_field_study(d: int, m: int, ns, seeds: int, *, store=None, workers: int = 1, cert_budget: float = 60.0,
                     law_samples: int | None = None, rng=0, progress=None) -> NearFieldStudy:
    """Measure the near-field law on the paper's teacher: per n, the seeds violating (10), margins, angles.

    Parameters
    ----------
    d, m : int
        Dimension and teacher width (m orthonormal positive atoms, inputs uniform on the sphere).
    ns : sequence of int
    seeds : int
        Seeds ``0..seeds-1`` at every n (the samples of a sweep at those parameters).
    store : path, optional
        A sweep store to read and extend (:func:`seed_records`).
    workers : int
        Processes for the store route.
    cert_budget : float
        Seconds of :func:`blasso.certificates.verdict.check_conditions` per seed.
    law_samples : int, optional
        Limit fields simulated per atom (default 4000 in d = 2, 400 in d = 3, 100 above; 0: constants only).
    rng : Generator or int
        Seeds the limit-field Monte Carlo and the bootstrap.
    progress : callable, optional

    Returns
    -------
    NearFieldStudy

    Examples
    --------
    >>> st = near_field_study(2, 2, [300, 1000], 4, law_samples=200)
    >>> [r.n for r in st.rows], st.law.kappa_min > 0
    ([300, 1000], True)
    """
    t0 = time.perf_counter()
    rng = check_rng(rng)
    ns = _check_request(d, m, ns, seeds)
    say = as_progress(progress)
    if law_samples is None:
        law_samples = 4000 if d == 2 else (400 if d == 3 else 100)
    say(f"near field: the limit law for d = {d}, m = {m} ({law_samples} simulated fields per atom)")
    law = local_law(d, m, samples=law_samples, rng=rng, progress=say)
    records = seed_records(d, m, ns, seeds, store=store, workers=workers, cert_budget=cert_budget, progress=say)
    rows = [summarise(records, n, law) for n in ns]
    fits = _fits(records, rows, law, rng)
    return NearFieldStudy(d=d, m=m, seeds=seeds, rows=rows, fits=fits, law=law, check=_check(rows, fits, law),
                          records=records, source="in-process" if store is None else f"store {store}",
                          wall_s=time.perf_counter() - t0)


def study_from_dict(data: dict, *, refit: bool = True, rng=0) -> NearFieldStudy:
    """A study back from its :meth:`NearFieldStudy.to_dict` (e.g. a ``--json`` report's figures).

    With ``refit`` the rows, fits and check are recomputed from the stored
    per-seed records and law (:func:`summarise`, the bootstrap with ``rng``),
    so a report written by an earlier version reads with the current analysis.
    """
    try:
        law = LocalLaw(**data["law"])
        records = data["records"]
        rows = [NearFieldRow(**r) for r in data["rows"]]
        fits, check = data["fits"], data["check"]
        if refit:
            rows = [summarise(records, r.n, law) for r in rows]
            fits = _fits(records, rows, law, check_rng(rng))
            check = _check(rows, fits, law)
        return NearFieldStudy(d=int(data["d"]), m=int(data["m"]), seeds=int(data["seeds"]), rows=rows,
                              fits=fits, law=law, check=check, records=records,
                              source=data.get("source", ""), wall_s=float(data.get("wall_s", 0.0)))
    except (KeyError, TypeError) as exc:
        raise BlassoInputError(f"not a near-field study ({type(exc).__name__}: {exc})") from None


# ------------------------------------------------------------------ figures
def geodesic_profile(p, X, atom, through, *, half_width: float, num: int = 4001) -> dict:
    """``eta_p`` along the great circle from ``atom`` through ``through``, and the walls it crosses.

    Parameters
    ----------
    p : array_like (n,)
    X : array_like (n, d)
    atom, through : array_like (d,)
        Unit directions (``through`` not parallel to ``atom``).
    half_width : float
        Radians on each side of the atom.
    num : int
        Evaluation points (the walls and ``through`` are added).

    Returns
    -------
    dict
        ``t`` (radians, signed: positive towards ``through``), ``eta``, ``walls``
        (the ``t`` where ``<theta(t), x_i> = 0``) and ``t_through``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> prof = geodesic_profile(np.ones(2), X, [1.0, 0.0], [np.cos(0.1), np.sin(0.1)], half_width=0.2, num=5)
    >>> [abs(round(w, 6)) for w in prof["walls"]]
    [0.0]
    """
    from ..features import eta as eta_direct

    X = np.asarray(X, dtype=float)
    u = np.asarray(atom, dtype=float) / np.linalg.norm(atom)
    w = np.asarray(through, dtype=float)
    tau = w - (w @ u) * u
    if np.linalg.norm(tau) < 1e-15:
        raise BlassoInputError("the profile needs a direction not parallel to the atom")
    t_w = float(np.arctan2(np.linalg.norm(tau), w @ u))
    tau /= np.linalg.norm(tau)
    a, b = X @ u, X @ tau
    tw = np.arctan2(-a, b)                                  # cos t a + sin t b = 0
    tw = np.concatenate([tw, tw - np.pi, tw + np.pi])
    walls = np.sort(tw[np.abs(tw) <= half_width])
    t = np.unique(np.concatenate([np.linspace(-half_width, half_width, num), walls, [t_w]]))
    T = np.cos(t)[:, None] * u + np.sin(t)[:, None] * tau
    return {"t": t, "eta": eta_direct(p, X, T), "walls": walls.tolist(), "t_through": t_w, "tau": tau}


def _n_text(ns) -> str:
    ns = sorted(ns)
    return f"{ns[0]:.0e}..{ns[-1]:.0e}".replace("e+0", "e") if len(ns) > 1 else f"{ns[0]}"


def plot_fraction(studies: list, fig=None):
    """Fraction of seeds where conditions (10) fail against n, with the law's prediction (one line per study).

    Two panels: m >= 2 (top, linear scale: the limit probability does not
    depend on n) and m = 1 (bottom, log-log: ``C_d / sqrt(n)``; a row without
    violation is drawn at its 95% upper bound).

    Returns
    -------
    Figure
    """
    from ..plotting import instance_title, new_figure, place_legend

    if fig is None:
        fig, axes = new_figure((10.0, 9.0), 2, 1)
    else:
        axes = fig.subplots(2, 1)
    for st in studies:
        ax = axes[0] if st.m > 1 else axes[1]
        _fraction_lines(ax, st)
    for ax, what in zip(axes, ("m >= 2: limit probability", "m = 1: C_d / sqrt(n)")):
        ax.set_xscale("log")
        ax.set_xlabel("n (samples)")
        ax.set_ylabel("fraction of seeds violating conditions (10)")
        ax.set_title(what, fontsize=9)
        if not ax.has_data():
            ax.text(0.5, 0.5, "no study", transform=ax.transAxes, ha="center")
    lows = [r.fraction_ci[0] for st in studies if st.m > 1 for r in st.rows]
    axes[0].set_ylim(max(-0.03, min(lows, default=0.0) - 0.05), 1.03)
    if any(st.m == 1 for st in studies):
        axes[1].set_yscale("log")
    ns = sorted({r.n for st in studies for r in st.rows})
    ds = ",".join(str(d) for d in sorted({st.d for st in studies}))
    ms = ",".join(str(m) for m in sorted({st.m for st in studies}))
    holds = sum(st.check["status"] == "holds" for st in studies)
    fig.suptitle(instance_title("Conditions (10) next to the atoms: measured against the near-field law",
                                n=_n_text(ns), d=ds, m=ms, verdict=f"law holds in {holds}/{len(studies)} studies"),
                 fontsize=10)
    for ax in axes:                                  # after the layout is final: right of the panels
        place_legend(ax, where="right", fontsize=7)
    return fig


def _fraction_lines(ax, st) -> None:
    n = np.array([r.n for r in st.rows], dtype=float)
    f = np.array([r.violating_fraction for r in st.rows])
    ci = np.array([r.fraction_ci for r in st.rows]).T
    tag = f"d={st.d}, m={st.m}, {st.seeds} seeds"
    if st.m > 1:
        eb = ax.errorbar(n, f, yerr=[f - ci[0], ci[1] - f], fmt="o-", capsize=3, label=f"{tag}: measured (95%)")
        q = st.law.simulation.get("q")
        if q is not None:
            ax.plot(n, np.full(n.size, q), "--", color=eb[0].get_color(), label=f"d={st.d}, m={st.m}: predicted "
                    f"{q:.2f}" + ("" if st.law.simulation.get("exact") else " (ray lower bound)"))
        return
    pos = f > 0
    eb = ax.errorbar(n[pos], f[pos], yerr=[f[pos] - ci[0][pos], ci[1][pos] - f[pos]], fmt="o", capsize=3,
                     label=f"{tag}: measured (95%)")
    if (~pos).any():
        ax.plot(n[~pos], ci[1][~pos], "v", color=eb[0].get_color(), mfc="white",
                label=f"{tag}: no violation (95% upper bound)")
    nn = np.logspace(np.log10(n.min()), np.log10(n.max()), 50)
    if not any(line.get_label().startswith(f"d={st.d}, m=1: predicted") for line in ax.lines):
        ax.plot(nn, st.law.m1_constant / np.sqrt(nn), "--", color="k" if st.d == 2 else eb[0].get_color(),
                label=f"d={st.d}, m=1: predicted {st.law.m1_constant:.3f}/sqrt(n)")


def plot_margin(study: NearFieldStudy, fig=None):
    """Median ``|margin|`` and worst-point angle against n (log-log), the fits and the law's predictions.

    Returns
    -------
    Figure
    """
    from ..plotting import instance_title, new_figure, place_legend

    if fig is None:
        fig, axes = new_figure((11.0, 4.8), 1, 2)
    else:
        axes = fig.subplots(1, 2)
    n = np.array([r.n for r in study.rows], dtype=float)
    panels = (("margin", [r.margin_median for r in study.rows], [r.pred_margin_median for r in study.rows],
               "median |1 - sup|eta_V|| (margin)", 1.0),
              ("angle", [r.angle_median_deg for r in study.rows], [r.pred_angle_median_deg for r in study.rows],
               "median angle of the worst point (degrees)", 180.0 / np.pi))
    for ax, (key, meas, pred, ylabel, scale) in zip(axes, panels):
        _loglog_panel(ax, n, meas, pred, study.fits[key], key == "margin" and study.m > 1, scale)
        ax.set_xlabel("n (samples)")
        ax.set_ylabel(ylabel)
    fig.suptitle(instance_title("Near-field law: margin ~ n^-2, worst point ~ n^-1", n=_n_text(n.astype(int)),
                                d=study.d, m=study.m, verdict=f"law {study.check['status']}"), fontsize=10)
    for ax in axes:
        place_legend(ax, where="below")
    return fig


def _loglog_panel(ax, n, meas, pred, fit, signed: bool, scale: float) -> None:
    """Measured medians, the law's prediction and the fit (``scale`` converts the fit's units to the axis')."""
    v = np.array([np.nan if x is None else abs(x) for x in meas], dtype=float)
    neg = np.array([x is not None and x < 0 for x in meas])
    ok = np.isfinite(v) & (v > 0)
    if ok.any():
        line, = ax.loglog(n[ok], v[ok], "o", label="measured median" + (" (violating: filled)" if signed else ""))
        if signed and (ok & ~neg).any():
            ax.loglog(n[ok & ~neg], v[ok & ~neg], "o", mfc="white", color=line.get_color(),
                      label="measured median, positive margin")
    p = np.array([np.nan if x is None else abs(x) for x in pred], dtype=float)
    if np.isfinite(p).any():
        ax.loglog(n[np.isfinite(p)], p[np.isfinite(p)], "k--", label="predicted median (limit field)")
    if fit.get("slope") is not None and len(fit["ns"]) >= MIN_FIT_POINTS:     # as in the law's check
        nn = np.array(fit["ns"], dtype=float)
        ci = fit["ci"]
        ax.loglog(nn, scale * 10 ** (fit["intercept"] + fit["slope"] * np.log10(nn)), "r-",
                  label=f"fit: slope {fit['slope']:.2f} [{ci[0]:.2f}, {ci[1]:.2f}] (predicted {fit['predicted_slope']:g})")
    if not ax.has_data():
        ax.set_xscale("log")
        ax.set_yscale("log")


def plot_zoom(X, target: Measure, p, worst, *, n_units: float = 4.0, verdict: str | None = None,
              max_walls: int = 300, ax=None):
    """``eta_V - 1`` along the geodesic from the nearest atom through the worst point, with the crossed walls.

    Parameters
    ----------
    X : array (n, d)
    target : Measure
        The teacher.
    p : array (n,)
        ``p_V``.
    worst : array (d,)
        The worst (violating) direction.
    n_units : float
        Half-width of the window in multiples of the worst point's angle.
    verdict : str, optional
    max_walls : int
        The crossed walls are drawn when there are at most this many in view
        (their number is in the title either way).
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    from blasso.certificates.population import population_precertificate

    from ..plotting import axes_or_new, instance_title, place_legend

    ax = axes_or_new(ax, figsize=(8.0, 5.0))
    n, d = X.shape
    j = int(np.argmax(target.theta @ np.asarray(worst)))
    u = target.theta[j]
    t_w = float(np.arccos(np.clip(u @ worst, -1, 1)))
    half = max(n_units * t_w, 20.0 / n)
    prof = geodesic_profile(p, X, u, worst, half_width=half)
    deg = 180.0 / np.pi
    t = prof["t"]
    ax.plot(t * deg, prof["eta"] - 1.0, "-", lw=1.2, label="eta_V - 1 (sample)")
    ax.plot(t * deg, np.cos(t) - 1.0, ":", color="gray", label="cos(angle) - 1 (the atom's own cell)")
    pop = population_precertificate(target)
    T = np.cos(t)[:, None] * u + np.sin(t)[:, None] * prof["tau"]
    ax.plot(t * deg, pop.eta(T) - 1.0, "--", color="green", label="population eta_V - 1")
    if len(prof["walls"]) <= max_walls:
        for k, w in enumerate(prof["walls"]):
            ax.axvline(w * deg, color="0.8", lw=0.6, zorder=0, label="a crossed wall x_i^perp" if k == 0 else None)
    e_w = float(np.interp(prof["t_through"], t, prof["eta"]))
    ax.plot([prof["t_through"] * deg], [e_w - 1.0], "r*", ms=11,
            label=f"worst point: {t_w * deg:.3g} deg = {t_w * n:.3g}/n, eta_V - 1 = {e_w - 1:.2e}")
    ax.axhline(0.0, color="k", lw=0.6)
    lo = min(float(np.min(prof["eta"] - 1.0)), e_w - 1.0)
    ax.set_ylim(max(lo, -8 * max(abs(e_w - 1.0), 1e-300)) * 1.1, max(abs(e_w - 1.0), 1e-300) * 2.5)
    ax.set_xlabel(f"angle from atom {j} along the geodesic through the worst point (degrees)")
    ax.set_ylabel("eta_V - 1")
    nw = len(prof["walls"])
    ax.set_title(instance_title("eta_V next to an atom", n=n, d=d, m=len(target), verdict=verdict,
                                extra=f"{nw} walls crossed in view" + ("" if nw <= max_walls else " (not drawn)")),
                 fontsize=9)
    place_legend(ax, where="below")
    return ax
