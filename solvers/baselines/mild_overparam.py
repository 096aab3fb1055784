"""Mild over-parameterization: a student with ``m + k`` units started in the local region (Zhou, Ge, Jin 2021).

Reconstructed from Zhou, Ge, Jin, "A local convergence theory for mildly
over-parameterized two-layer neural network" (COLT 2021, arXiv 2102.02410).  The code is ours; what we take from the
paper is the setting and the claim:

* teacher ``f*(x) = sum_{j<=m} a*_j relu(<w*_j, x>)``, inputs ``x ~ N(0, I_d)``;
  student ``f(x) = sum_{i<=m+k} a_i relu(<w_i, x>)`` (any ``k >= 0``), both
  layers trained by plain gradient descent on the squared loss;
* claim: once the loss is below a threshold (polynomial in the problem
  parameters), every student neuron converges to one of the teacher neurons
  or its contribution vanishes, the loss goes to 0, and the rate does not
  depend on the number of student neurons.

Choices (the paper's constants and its exact local region are not used; each
choice is stated here and tested in ``tests/test_baselines_mild.py``):

* **Loss.**  The empirical loss ``1/(2n) ||f(X) - y||^2`` on ``n`` Gaussian
  samples (the paper works with the population loss; with noiseless labels the
  teacher is still a global minimiser with loss 0).
* **The local region.**  One scale ``delta >= 0`` (:func:`perturbed_start`):
  units ``1..m`` start at the teacher with each ``w_i`` moved by ``delta
  ||w*_i||`` in a random direction (``a_i = a*_i``); the ``k`` extra units
  start in random directions with contribution ``|a_i| ||w_i|| = delta
  min_j |a*_j| ||w*_j||``, balanced ``|a_i| = ||w_i||``, random sign.  The
  initial loss grows like ``delta^2``.  Where the region ends is measured:
  :func:`local_radius` bisects ``delta`` for the largest value at which the
  run still ends with every unit matched or vanished (assuming the outcome is
  monotone in ``delta``; the bracket is reported).
* **Step.**  ``eta = step_scale / (S lambda_max(X^T X / n))`` with ``S = sum_j
  |a*_j| ||w*_j||`` (the teacher's scale sets the curvature of both layers).
* **Outcome of a unit.**  ``matched`` to teacher ``j`` when its angle to
  ``w*_j`` is at most ``match_angle_deg`` and ``sign(a_i) = sign(a*_j)``;
  ``vanished`` when ``|a_i| ||w_i|| <= vanish_rtol min_j |a*_j| ||w*_j||``;
  otherwise ``stray``.  Success: no stray unit, every teacher neuron has a
  matched unit, and the final loss is at most ``loss_rtol`` times the initial
  loss.  A vanishing unit decays slowly (sublinearly, the Lojasiewicz-type
  landscape of the paper rather than a PL one), so ``vanish_rtol`` is loose.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from blasso.progress import as_progress
from blasso.validation import (BlassoInputError, check_nonneg, check_number, check_positive_int, check_rng,
                               check_X, check_y)

from ._net import angles_deg, plain_gd

__all__ = ["perturbed_start", "MildResult", "run_mild_gd", "classify_units", "local_radius"]


def perturbed_start(a_star, W_star, k: int, delta: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """The start at scale ``delta`` (module docstring): ``(a (m+k,), W (m+k, d))``."""
    a_star = np.asarray(a_star, dtype=np.float64)
    W_star = np.asarray(W_star, dtype=np.float64)
    m, d = W_star.shape
    k = check_positive_int(k, name="k", minimum=0)
    delta = check_nonneg(delta, "delta")
    rng = check_rng(rng)
    xi = rng.standard_normal((m, d))
    xi /= np.linalg.norm(xi, axis=1, keepdims=True)
    W = W_star + delta * np.linalg.norm(W_star, axis=1, keepdims=True) * xi
    a = a_star.copy()
    if k:
        c_min = float(np.min(np.abs(a_star) * np.linalg.norm(W_star, axis=1)))
        u = rng.standard_normal((k, d))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        r = np.sqrt(delta * c_min)
        W = np.vstack([W, r * u])
        a = np.concatenate([a, r * rng.choice([-1.0, 1.0], size=k)])
    return a, W


def classify_units(a, W, a_star, W_star, *, match_angle_deg: float = 5.0, vanish_rtol: float = 0.05) -> list:
    """Per student unit: ``{"teacher": j or None, "weight": a_i ||w_i||, "angle_deg", "outcome"}``.

    ``outcome`` is ``matched`` / ``vanished`` / ``stray`` (module docstring);
    ``angle_deg`` is the angle to the nearest teacher neuron of the same sign.
    """
    c = a * np.linalg.norm(W, axis=1)
    c_star = np.asarray(a_star) * np.linalg.norm(W_star, axis=1)
    small = vanish_rtol * float(np.min(np.abs(c_star)))
    nz = np.linalg.norm(W, axis=1) > 0
    A = np.full((W.shape[0], W_star.shape[0]), 180.0)
    if nz.any():
        A[nz] = angles_deg(W[nz], W_star)
    A = np.where(np.sign(c)[:, None] == np.sign(c_star)[None, :], A, 180.0)
    out = []
    for i in range(W.shape[0]):
        j = int(np.argmin(A[i]))
        ang = float(A[i, j])
        if ang <= match_angle_deg and abs(c[i]) > small:
            out.append({"teacher": j, "weight": float(c[i]), "angle_deg": ang, "outcome": "matched"})
        elif abs(c[i]) <= small:
            out.append({"teacher": None, "weight": float(c[i]), "angle_deg": ang, "outcome": "vanished"})
        else:
            out.append({"teacher": None, "weight": float(c[i]), "angle_deg": ang, "outcome": "stray"})
    return out


@dataclass
class MildResult:
    """Outcome of :func:`run_mild_gd`.

    Attributes
    ----------
    a, W : final parameters; a0, W0 : the start.
    units : list of dict (:func:`classify_units`).
    success : bool
        No stray unit, every teacher neuron matched, loss reduced by ``loss_rtol``.
    recovered : bool
        Every teacher neuron has a matched unit.
    angle_error_deg : float
        Largest over teacher neurons of the smallest angle of a matched unit (180 if unmatched).
    loss : list of float
        Training loss every ``record_every`` iterations (the start first).
    loss_iter : list of int
    iterations : int
    status : ``converged`` (loss below ``loss_abs``), ``max_iter`` or ``diverged``.
    eta : float
    wall_s : float
    """

    a: np.ndarray
    W: np.ndarray
    a0: np.ndarray
    W0: np.ndarray
    units: list
    success: bool
    recovered: bool
    angle_error_deg: float
    loss: list
    loss_iter: list
    iterations: int
    status: str
    eta: float
    wall_s: float
    info: dict = field(default_factory=dict)


def _check_teacher(a_star, W_star, d: int) -> tuple[np.ndarray, np.ndarray]:
    W_star = np.asarray(W_star, dtype=np.float64)
    if W_star.ndim != 2 or W_star.shape[1] != d:
        raise BlassoInputError(f"W_star must have shape (m, {d}); got {W_star.shape}")
    a_star = np.asarray(a_star, dtype=np.float64).reshape(-1)
    if a_star.shape != (W_star.shape[0],) or not np.all(np.isfinite(a_star)) or np.any(a_star == 0):
        raise BlassoInputError("a_star must be a finite nonzero vector of length m")
    return a_star, W_star


def run_mild_gd(X, y, a_star, W_star, *, k: int = 2, delta: float = 0.1, rng=0, iters: int = 5000,
                step_scale: float = 0.5, loss_abs: float = 1e-12, loss_rtol: float = 1e-3,
                match_angle_deg: float = 5.0, vanish_rtol: float = 0.05, record_every: int = 10,
                progress=None) -> MildResult:
    """Plain GD on both layers from :func:`perturbed_start` at scale ``delta``.

    Parameters
    ----------
    X, y : data (raw Gaussian inputs, labels of the teacher).
    a_star, W_star : the teacher (m,), (m, d).
    k : extra student units.
    delta : perturbation scale.
    rng : seed of the perturbation.
    iters : iteration cap.
    step_scale : float in (0, 2)
        ``eta = step_scale / (S lambda_max(X^T X / n))``.
    loss_abs : stop once the loss is below this (``converged``).
    loss_rtol, match_angle_deg, vanish_rtol : see :func:`classify_units` and the module docstring.
    record_every : loss recorded every this many iterations.
    progress : a :mod:`blasso.progress` hook.
    """
    X = check_X(X)
    n, d = X.shape
    y = check_y(y, n)
    a_star, W_star = _check_teacher(a_star, W_star, d)
    iters = check_positive_int(iters, name="iters", minimum=0)
    record_every = check_positive_int(record_every, name="record_every")
    step_scale = check_number(step_scale, name="step_scale", minimum=0.0, maximum=2.0, strict_min=True,
                              strict_max=True)
    a, W = perturbed_start(a_star, W_star, k, delta, rng)
    a0, W0 = a.copy(), W.copy()
    S = float(np.sum(np.abs(a_star) * np.linalg.norm(W_star, axis=1)))
    eta = step_scale / (S * float(np.linalg.eigvalsh(X.T @ X / n)[-1]))
    say = as_progress(progress)
    t0 = time.perf_counter()
    g = plain_gd(a, W, X, y, eta=eta, iters=iters, record_every=record_every, loss_abs=loss_abs, say=say,
                 label="mild-overparam GD")
    a, W, losses, L, status = g.a, g.W, g.loss, g.loss[-1], g.status
    units = classify_units(a, W, a_star, W_star, match_angle_deg=match_angle_deg, vanish_rtol=vanish_rtol)
    best = np.full(W_star.shape[0], 180.0)
    for u in units:
        if u["outcome"] == "matched":
            best[u["teacher"]] = min(best[u["teacher"]], u["angle_deg"])
    recovered = bool(np.all(best < 180.0))
    ok_loss = status == "converged" or (np.isfinite(L) and L <= loss_rtol * max(losses[0], 1e-300))
    success = recovered and ok_loss and all(u["outcome"] != "stray" for u in units)
    return MildResult(a=a, W=W, a0=a0, W0=W0, units=units, success=bool(success), recovered=recovered,
                      angle_error_deg=float(best.max()), loss=losses, loss_iter=g.loss_iter, iterations=g.iterations,
                      status=status, eta=eta, wall_s=time.perf_counter() - t0, info={"delta": float(delta), "k": k})


def local_radius(X, y, a_star, W_star, *, delta_max: float = 2.0, steps: int = 6, progress=None,
                 **kw) -> dict:
    """Largest ``delta`` in ``[0, delta_max]`` at which :func:`run_mild_gd` still succeeds, by bisection.

    Assumes success is monotone in ``delta`` (smaller perturbations succeed);
    each probe is one GD run with the keyword arguments ``kw`` (same ``rng``,
    so the perturbation directions are the same and only their size changes).

    Returns
    -------
    dict
        ``radius`` (the largest succeeding ``delta`` found; ``delta_max`` if it
        succeeds, 0.0 if even the smallest probe fails), ``bracket``
        ``[succeeds, fails]`` (``fails`` None when ``delta_max`` succeeds),
        ``probes`` (list of ``{"delta", "success", "loss_final"}``).
    """
    delta_max = check_number(delta_max, name="delta_max", minimum=0.0, strict_min=True)
    steps = check_positive_int(steps, name="steps")
    say = as_progress(progress)
    probes = []

    def probe(delta):
        r = run_mild_gd(X, y, a_star, W_star, delta=delta, **kw)
        probes.append({"delta": float(delta), "success": r.success, "loss_final": r.loss[-1]})
        say("local radius bisection", len(probes), steps + 1)
        return r.success

    if probe(delta_max):
        return {"radius": float(delta_max), "bracket": [float(delta_max), None], "probes": probes}
    lo, hi = 0.0, float(delta_max)
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        if probe(mid):
            lo = mid
        else:
            hi = mid
    return {"radius": lo, "bracket": [lo, hi], "probes": probes}
