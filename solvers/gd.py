"""Gradient descent on the two-layer ReLU network: the paper's Algorithm 1 and references.

Network ``f(x; a, W) = sum_j a_j relu(<w_j, x>)`` trained on

``F_L1(a, W) = 1/(2n) ||f(X) - y||^2 + lam sum_j |a_j| ||w_j||``        (paper eq. 4)
``F_L2(a, W) = 1/(2n) ||f(X) - y||^2 + lam/2 sum_j (a_j^2 + ||w_j||^2)`` (paper eq. 13)

Algorithm 1 (norm-dependent GD; the mathematics page of the documentation), with ``r = f(X) - y``:

``g_j = (1/n) sum_i r_i relu(<w_j, x_i>) + lam sgn(a_j) ||w_j||``
``h_j = (1/n) sum_i r_i a_j x_i 1{<w_j, x_i> >= 0} + lam |a_j| w_j / ||w_j||``
``eta_j = alpha |a_j| ||w_j|| / (a_j^2 + ||w_j||^2)``  (eq. 11)
``a_j <- a_j - eta_j g_j``,  ``w_j <- w_j - eta_j h_j``.

Initialisation: ``a_j = +2/M`` for the first half of the units, ``-2/M`` for
the rest (for odd M the positive half has one unit more), ``w_j`` i.i.d.
uniform on the sphere.

L2 penalty (eq. 13): the gradients are ``g_j = data + lam a_j`` and
``h_j = data + lam w_j``.  **Step rule for L2: the same norm-dependent step
eta_j of eq. (11).**  The paper (Section 5, Fig. 3) says it runs
"norm-dependent gradient descent for the L2-regularized problem", and with the
same step the two algorithms coincide exactly at balanced units
(``|a_j| = ||w_j||``, where both penalty gradients are equal), so Fig. 3
compares the penalties and nothing else.  ``step="constant"`` gives plain GD
(``eta_j = alpha`` for every unit) with either penalty, as a reference.

Measure of a network: ``c_j = a_j ||w_j||``, ``theta_j = w_j / ||w_j||``;
``J(nu) = datafit + lam sum_j |a_j| ||w_j|| = F_L1`` (same predictions), so
the trace reports J without building the measure.

Dead units: a unit with ``||w_j|| = 0`` or ``a_j = 0`` has ``eta_j = 0``
(norm-dependent step) and a zero penalty subgradient (``w/||w||`` is taken as
0), so it stays put and never produces NaN.  ``sgn(0) = 0``.

Measured behaviour (paper's Fig. 2 instance, seed 0, lam = 1e-3; see the
benchmark and ``blasso reproduce``):

* alpha: the paper fixes none.  Eq. (11) caps each step at ``alpha / 2``;
  alpha = 2-8 reaches J* (1 + 1e-2) 5-10x sooner than alpha = 0.5, but a
  large alpha can push a unit's ``a_j`` across 0 (sign flip, which Algorithm 1
  is meant to exclude) or diverge.  :func:`choose_alpha` ("auto") picks the
  largest stable, sign-preserving alpha by short probes; Algorithm 1 itself
  is unchanged.  ``GDResult.info["sign_flips"]`` counts flipped units.
* The local phase is slow: the convex optimum there has ~20 atoms (5 large
  ones near the teacher plus small satellites) while GD keeps ~11 live units
  and the others fade geometrically (``|c_j| ~ 1e-250``), so the last ~1e-3 of
  relative gap closes only over millions of iterations.
* L2 penalty with the norm-dependent step: a fading unit has
  ``eta_j ~ alpha |a_j| / ||w_j|| -> 0``, so its ``||w_j||`` freezes and
  ``F_L2`` keeps ``lam/2 sum ||w_j||^2`` of dead units above J, although the
  measures of the L1 and L2 runs coincide.

Everything is vectorised over units and samples (float64 NumPy, no Python loop
over either); the only Python loop is over iterations.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from blasso.measure import Measure
from blasso.progress import announce_estimate, as_progress
from blasso.sphere import random_sphere
from blasso.validation import (
    BlassoInputError,
    check_choice,
    check_lam,
    check_positive_int,
    check_rng,
    check_vector,
    check_X,
    check_y,
)

__all__ = [
    "PENALTIES",
    "STEPS",
    "GDResult",
    "init_network",
    "gradients",
    "step_sizes",
    "loss",
    "trace_schedule",
    "run_gd",
    "choose_alpha",
    "ALPHA_CANDIDATES",
]

#: Step constants tried by :func:`choose_alpha`, largest first.
ALPHA_CANDIDATES = (8.0, 4.0, 2.0, 1.0, 0.5)

PENALTIES = ("l1", "l2")
#: ``norm`` = Algorithm 1's eta_j (eq. 11); ``constant`` = plain GD, eta_j = alpha.
STEPS = ("norm", "constant")

#: Trace keys (arrays of the same length as ``trace["iter"]``).
TRACE_KEYS = ("iter", "F", "J", "datafit", "tv", "grad_norm", "active", "time_s")


# --------------------------------------------------------------------------- init
def init_network(M: int, d: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Algorithm 1's initialisation.

    Parameters
    ----------
    M : int
        Width (the paper takes M even; for odd M the positive half gets
        ``ceil(M/2)`` units).
    d : int
        Input dimension.
    rng : numpy.random.Generator or int seed

    Returns
    -------
    a : ndarray (M,)
        ``+2/M`` for the first ``ceil(M/2)`` units, ``-2/M`` for the others.
    W : ndarray (M, d)
        Rows i.i.d. uniform on S^{d-1}.
    """
    M = check_positive_int(M, name="M")
    d = check_positive_int(d, name="d", minimum=2)
    rng = check_rng(rng)
    a = np.full(M, 2.0 / M)
    a[(M + 1) // 2:] = -2.0 / M
    W = random_sphere(M, d, rng)
    return a, W


# ------------------------------------------------------------------ the math
def _norms(W: np.ndarray) -> np.ndarray:
    return np.sqrt(np.einsum("ij,ij->i", W, W))


def _safe_inv(v: np.ndarray) -> np.ndarray:
    out = np.zeros_like(v)
    np.divide(1.0, v, out=out, where=v > 0)
    return out


def step_sizes(a: np.ndarray, W: np.ndarray, alpha: float, step: str = "norm") -> np.ndarray:
    """Per-unit step sizes.

    ``step="norm"``: ``eta_j = alpha |a_j| ||w_j|| / (a_j^2 + ||w_j||^2)``
    (eq. 11; 0 for a dead unit with ``a_j = 0`` and ``w_j = 0``).
    ``step="constant"``: ``eta_j = alpha``.
    """
    step = check_choice(step, STEPS, name="step")
    a = np.asarray(a, dtype=np.float64)
    if step == "constant":
        return np.full(a.shape, float(alpha))
    nw = _norms(np.asarray(W, dtype=np.float64))
    den = a * a + nw * nw
    out = np.zeros_like(a)
    np.divide(alpha * np.abs(a) * nw, den, out=out, where=den > 0)
    return out


def _penalty_value(a, nw, lam, penalty):
    if penalty == "l1":
        return lam * float(np.abs(a) @ nw)
    return 0.5 * lam * float(a @ a + nw @ nw)


class _Kernel:
    """Gradients of ``F`` with preallocated buffers (the inner loop; inputs assumed validated).

    Works on transposed blocks ``Z = W X^T`` of shape (M, n) so that every
    product is one BLAS call; the activation mask is written as floats so that
    ``sum_i r_i 1{z_ji >= 0} x_i`` is a matrix product too.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, lam: float, penalty: str, M: int):
        self.X, self.y, self.lam, self.penalty = X, y, lam, penalty
        self.XT = np.ascontiguousarray(X.T)
        n = X.shape[0]
        self.Z = np.empty((M, n))
        self.H = np.empty((M, n))
        self.D = np.empty((M, n))

    def __call__(self, a: np.ndarray, W: np.ndarray):
        X, lam = self.X, self.lam
        n = X.shape[0]
        Z, H, D = self.Z, self.H, self.D
        np.matmul(W, self.XT, out=Z)
        np.maximum(Z, 0.0, out=H)
        r = a @ H
        r -= self.y
        g = H @ r
        g /= n
        np.greater_equal(Z, 0.0, out=D, casting="unsafe")
        h = D @ (r[:, None] * X)
        h *= (a / n)[:, None]
        nw = _norms(W)
        if self.penalty == "l1":
            g += lam * np.sign(a) * nw
            h += (lam * np.abs(a) * _safe_inv(nw))[:, None] * W
        else:
            g += lam * a
            h += lam * W
        return g, h, r, nw


def gradients(a, W, X, y, lam: float, penalty: str = "l1") -> tuple[np.ndarray, np.ndarray]:
    """Algorithm 1's (sub)gradients ``(g, h)`` of ``F`` with respect to ``a`` and ``W``.

    Parameters
    ----------
    a : array_like (M,)
    W : array_like (M, d)
    X : array_like (n, d)
    y : array_like (n,)
    lam : float >= 0
    penalty : {"l1", "l2"}

    Returns
    -------
    g : ndarray (M,)
    h : ndarray (M, d)
        Exact gradients wherever no ``<w_j, x_i>`` is 0 and (L1) every
        ``a_j != 0``, ``w_j != 0``; otherwise the paper's subgradient choice.
    """
    X, y, lam, penalty, a, W = _check_problem(X, y, lam, penalty, a, W)
    g, h, _, _ = _Kernel(X, y, lam, penalty, a.shape[0])(a, W)
    return g, h


def loss(a, W, X, y, lam: float, penalty: str = "l1") -> float:
    """``F(a, W)`` with the given penalty (same value as :func:`blasso.objective.network_objective`)."""
    X, y, lam, penalty, a, W = _check_problem(X, y, lam, penalty, a, W)
    r = np.maximum(X @ W.T, 0.0) @ a - y
    return float(r @ r) / (2 * X.shape[0]) + _penalty_value(a, _norms(W), lam, penalty)


def _check_problem(X, y, lam, penalty, a, W):
    X = check_X(X)
    y = check_y(y, X.shape[0])
    lam = check_lam(lam, allow_zero=True)
    penalty = check_choice(penalty, PENALTIES, name="penalty")
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[1] != X.shape[1]:
        raise BlassoInputError(f"W must have shape (M, {X.shape[1]}); got {W.shape}")
    if not np.all(np.isfinite(W)):
        raise BlassoInputError("W contains non-finite values")
    a = check_vector(a, W.shape[0], name="a")
    return X, y, lam, penalty, a, W


# ------------------------------------------------------------------- results
@dataclass
class GDResult:
    """Outcome of :func:`run_gd`.

    Attributes
    ----------
    a, W : final parameters.
    F : float
        Final loss with the run's penalty.
    J : float
        BLASSO objective of the induced measure (= F_L1 of the final parameters).
    n_iter : int
        Iterations performed.
    stop_reason : str
        ``max_iter``, ``ftol``, ``gtol``, ``target`` or ``callback``.
    trace : dict of ndarrays
        Keys :data:`TRACE_KEYS` (plus ``test_loss`` when test data were given),
        at log-spaced iterations (0 and the last included).
    trajectory : dict or None
        ``{"iter": (T,), "a": (T, M), "W": (T, M, d)}`` at the trace iterations
        when ``record_units=True``.
    params : dict
        alpha, penalty, step, lam, M, seed, tolerances.
    wall_s : float
    info : dict
        ``sign_flips``: units whose output weight changed sign (0 for Algorithm 1
        with a small enough alpha; see :func:`choose_alpha`); ``alpha_probe``:
        the :func:`choose_alpha` report when ``alpha="auto"``, else None.
    """

    a: np.ndarray
    W: np.ndarray
    F: float
    J: float
    n_iter: int
    stop_reason: str
    trace: dict
    trajectory: dict | None
    params: dict
    wall_s: float
    info: dict = field(default_factory=dict)

    def measure(self, prune_rtol: float = 0.0) -> Measure:
        """The induced measure ``sum_j a_j ||w_j|| delta_{w_j/||w_j||}`` (one atom per live unit).

        Atoms with ``|c_j| <= prune_rtol * max_k |c_k|`` are dropped (none by
        default).  Units are not merged here: fading units reach weights like
        1e-250, which :meth:`Measure.merge` cannot average; compare with
        :func:`blasso.studies.compare.compare_measures`, which prunes and merges.
        """
        nu = Measure.from_network(self.a, self.W, merge_exact=False)
        cmax = float(np.abs(nu.c).max(initial=0.0))
        return nu.prune(prune_rtol * cmax) if prune_rtol > 0 else nu

    @property
    def iters_per_s(self) -> float:
        return self.n_iter / self.wall_s if self.wall_s > 0 else float("nan")

    def __repr__(self) -> str:
        """One line: penalty, width, alpha, iterations and stop reason, final J (not the arrays)."""
        p = self.params
        return (f"GDResult({p.get('penalty')}, M={self.a.shape[0]}, alpha={p.get('alpha'):g}, {self.n_iter} iterations "
                f"({self.stop_reason}), J={self.J:.6g})")


def trace_schedule(max_iter: int, n_points: int = 200) -> np.ndarray:
    """Log-spaced iteration numbers in ``[0, max_iter]`` (0, 1, ..., and ``max_iter`` included)."""
    max_iter = check_positive_int(max_iter, name="max_iter", minimum=0)
    n_points = check_positive_int(n_points, name="n_points", minimum=2)
    if max_iter == 0:
        return np.array([0])
    pts = np.unique(np.round(np.logspace(0, np.log10(max_iter), n_points)).astype(np.int64))
    return np.concatenate([[0], pts[pts <= max_iter]])


# -------------------------------------------------------------------- driver
def gd_seconds(n: int, d: int, M: int, iters: int) -> float:
    """Cost model of :func:`run_gd`: ``iters * (30 us + 0.7 ns * n * M * d)`` seconds.

    Measured on the project's 2-core machine (numpy, one process, other jobs
    running): 28-50 us per iteration for n = 100, d = 2..5, M = 5..100 and
    290-390 us for ``n M d = 5e5``.  Traces and stopping checks are included;
    an early stop (``ftol``, ``gtol``, ``target``) makes the run shorter.
    Larger problems (``n M d`` above ~1e6) can be several times slower
    (memory-bound products).
    """
    return float(iters) * (30e-6 + 0.7e-9 * float(n) * float(M) * float(d))


def run_gd(X, y, lam: float, M: int | None = None, *, penalty: str = "l1", step: str = "norm",
           alpha: float | str = "auto", max_iter: int = 100000, ftol: float = 0.0, gtol: float = 0.0,
           target: float | None = None, check_every: int = 1000, rng=0, init=None,
           n_trace: int = 200, record_units: bool = False, active_rtol: float = 1e-3,
           X_test=None, y_test=None, callback: Callable[[dict], bool | None] | None = None,
           progress=None) -> GDResult:
    """Run Algorithm 1 (or plain GD) from the paper's initialisation.

    Parameters
    ----------
    X : array_like (n, d)
    y : array_like (n,)
    lam : float >= 0
    M : int
        Width; ignored (may be None) when ``init`` is given.
    penalty : {"l1", "l2"}
        Eq. (4) or eq. (13).
    step : {"norm", "constant"}
        Algorithm 1's per-unit step (eq. 11) or plain constant-step GD.
    alpha : float > 0 or "auto"
        Step constant (eq. 11's alpha, or the plain step).  ``"auto"`` (the
        default, as ``blasso gd --alpha auto``) picks it with
        :func:`choose_alpha` from the same initialisation (Algorithm 1 only:
        give a number for ``step="constant"``); the probe is
        ``info["alpha_probe"]`` and the value used ``params["alpha"]``.
    max_iter : int
        Iteration cap.
    ftol : float
        Stop when the smallest F seen at the checks did not improve by more than
        ``ftol * |F_k|`` over the last ``check_every`` iterations (0 = off).  For
        a decreasing F this is ``F_{k - check_every} - F_k <= ftol |F_k|``; it also
        stops runs that oscillate without progress (a too large alpha in the
        local phase).
    gtol : float
        Stop when the step norm over alpha, ``||(eta g, eta h)|| / alpha``, is
        ``<= gtol`` (0 = off).  For plain GD this is the gradient norm; for
        Algorithm 1 it is the norm of the eta-weighted gradient (units fading to 0
        contribute nothing, as in the measure-space dynamics).
    target : float, optional
        Stop once ``J(nu_k) <= target`` (e.g. ``J* (1 + 1e-4)`` with a known ``J*``).
    check_every : int
        Iterations between stopping checks and progress callbacks.
    rng : Generator or int
        Seed of the initial directions.
    init : (a, W), optional
        Start from these parameters instead of the paper's initialisation.
    n_trace : int
        Number of log-spaced trace points.
    record_units : bool
        Record ``(a, W)`` at the trace iterations (unit trajectories).
    active_rtol : float
        A unit is active when ``|a_j| ||w_j|| > active_rtol * max_k |a_k| ||w_k||``.
    X_test, y_test : optional
        Held-out data; the trace then has ``test_loss = 1/(2 n_test) ||f - y_test||^2``.
    progress : callable, optional
        A :mod:`blasso.progress` hook, called every ``check_every`` iterations as
        ``progress("GD iterations", k, max_iter)``.
    callback : callable, optional
        Called every ``check_every`` iterations with a dict (``iter``, ``F``, ``J``,
        ``grad_norm``, ``elapsed_s``); returning True stops the run.

    Returns
    -------
    GDResult

    Examples
    --------
    >>> import blasso
    >>> inst = blasso.make_instance(teacher="paper", n=30, d=2, m=2, seed=0)
    >>> res = blasso.run_gd(inst.X, inst.y, 1e-2, M=10, max_iter=2000, rng=0)
    >>> res
    GDResult(l1, M=10, alpha=1, 2000 iterations (max_iter), J=0.0194987)
    >>> res.info["alpha_probe"]["probe"][2.0] is None     # alpha="auto": 8, 4 and 2 were unstable in the probe
    True
    """
    X = check_X(X)
    n, d = X.shape
    y = check_y(y, n)
    lam = check_lam(lam, allow_zero=True)
    penalty = check_choice(penalty, PENALTIES, name="penalty")
    step = check_choice(step, STEPS, name="step")
    auto = _is_auto(alpha, step)
    alpha = 1.0 if auto else _check_pos(alpha, "alpha")
    max_iter = check_positive_int(max_iter, name="max_iter", minimum=0)
    check_every = check_positive_int(check_every, name="check_every")
    progress = as_progress(progress)
    ftol = _check_nonneg(ftol, "ftol")
    gtol = _check_nonneg(gtol, "gtol")
    active_rtol = _check_nonneg(active_rtol, "active_rtol")
    seed = rng if isinstance(rng, (int, np.integer)) else None
    rng = check_rng(rng)
    if init is None:
        if M is None:
            raise BlassoInputError("give the width M or an initial (a, W)")
        a, W = init_network(M, d, rng)
    else:
        try:
            a0, W0 = init
        except (TypeError, ValueError):
            raise BlassoInputError("init must be a pair (a, W)") from None
        _, _, _, _, a, W = _check_problem(X, y, lam, penalty, a0, W0)
        a, W = a.copy(), W.copy()
    M = a.shape[0]
    alpha_probe = None
    if auto:
        alpha_probe = choose_alpha(X, y, lam, init=(a, W), penalty=penalty)
        alpha = alpha_probe["alpha"]
        progress(f"alpha auto: probe J after {alpha_probe['probe_iter']} iterations {alpha_probe['probe']} -> "
                 f"alpha = {alpha:g}")
    sign0 = np.sign(a)
    announce_estimate(progress, f"gradient descent, {max_iter} iterations (n={n}, d={d}, M={M})",
                      gd_seconds(n, d, M, max_iter), "cost model blasso.solvers.gd.gd_seconds: "
                      "30 us + 0.7 ns n M d per iteration; an early stop ends sooner")
    if X_test is not None:
        X_test = check_X(X_test, name="X_test")
        y_test = check_y(y_test, X_test.shape[0], name="y_test")
        if X_test.shape[1] != d:
            raise BlassoInputError(f"X_test has d = {X_test.shape[1]}, the data d = {d}")

    sched = set(trace_schedule(max_iter, n_trace).tolist()) if max_iter else {0}
    trace = {k: [] for k in TRACE_KEYS}
    if X_test is not None:
        trace["test_loss"] = []
    traj = {"iter": [], "a": [], "W": []} if record_units else None
    norm_step = step == "norm"
    kernel = _Kernel(X, y, lam, penalty, M)
    t0 = time.perf_counter()

    def record(k, r, nw, gnorm):
        fit = float(r @ r) / (2 * n)
        c = np.abs(a) * nw
        tv = float(c.sum())
        cmax = float(c.max(initial=0.0))
        trace["iter"].append(k)
        trace["F"].append(fit + _penalty_value(a, nw, lam, penalty))
        trace["J"].append(fit + lam * tv)
        trace["datafit"].append(fit)
        trace["tv"].append(tv)
        trace["grad_norm"].append(gnorm)
        trace["active"].append(int(np.count_nonzero(c > active_rtol * cmax)) if cmax > 0 else 0)
        trace["time_s"].append(time.perf_counter() - t0)
        if X_test is not None:
            rt = np.maximum(X_test @ W.T, 0.0) @ a - y_test
            trace["test_loss"].append(float(rt @ rt) / (2 * X_test.shape[0]))
        if traj is not None:
            traj["iter"].append(k)
            traj["a"].append(a.copy())
            traj["W"].append(W.copy())

    stop = "max_iter"
    F_best = None   # smallest F seen at a check
    k = 0
    with np.errstate(over="ignore", invalid="ignore"):
        while True:
            g, h, r, nw = kernel(a, W)
            if norm_step:
                den = a * a + nw * nw
                eta = np.zeros(M)
                np.divide(alpha * np.abs(a) * nw, den, out=eta, where=den > 0)
            else:
                eta = np.full(M, alpha)
            at_check = k % check_every == 0 or k == max_iter
            if k in sched or at_check:
                gnorm = float(np.sqrt(np.sum((eta * g) ** 2) + np.sum((eta[:, None] * h) ** 2))) / alpha
            if k in sched:
                record(k, r, nw, gnorm)
            if at_check:
                progress("GD iterations", k, max_iter)
            if at_check and k > 0:
                fit = float(r @ r) / (2 * n)
                F = fit + _penalty_value(a, nw, lam, penalty)
                J = fit + lam * float(np.abs(a) @ nw)
                if not np.isfinite(F):
                    raise BlassoInputError(f"GD diverged before iteration {k} (non-finite loss); lower alpha={alpha:g}")
                if target is not None and J <= target:
                    stop = "target"
                elif gtol > 0 and gnorm <= gtol:
                    stop = "gtol"
                elif ftol > 0 and F_best is not None and F_best - min(F, F_best) <= ftol * abs(F):
                    stop = "ftol"
                elif callback is not None and callback({"iter": k, "F": F, "J": J, "grad_norm": gnorm,
                                                        "elapsed_s": time.perf_counter() - t0}):
                    stop = "callback"
                F_best = F if F_best is None else min(F_best, F)
                if stop != "max_iter":
                    break
            if k >= max_iter:
                break
            a -= eta * g
            W -= eta[:, None] * h
            k += 1

    progress("GD iterations", k, k)           # done: closes the bar (early stops end below max_iter)
    if trace["iter"][-1] != k:
        record(k, r, nw, gnorm)
    wall = time.perf_counter() - t0
    fit = float(r @ r) / (2 * n)
    out_trace = {key: np.asarray(v) for key, v in trace.items()}
    out_traj = None
    if traj is not None:
        out_traj = {"iter": np.asarray(traj["iter"]), "a": np.asarray(traj["a"]), "W": np.asarray(traj["W"])}
    params = {"alpha": alpha, "penalty": penalty, "step": step, "lam": lam, "M": M, "seed": seed,
              "max_iter": max_iter, "ftol": ftol, "gtol": gtol, "target": target, "check_every": check_every}
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(W))):
        raise BlassoInputError(f"GD diverged (non-finite parameters); lower alpha={alpha:g}")
    return GDResult(a=a, W=W, F=fit + _penalty_value(a, nw, lam, penalty), J=fit + lam * float(np.abs(a) @ nw),
                    n_iter=k, stop_reason=stop, trace=out_trace, trajectory=out_traj, params=params,
                    wall_s=wall, info={"sign_flips": int(np.count_nonzero(np.sign(a) * sign0 < 0)),
                                       "alpha_probe": alpha_probe})


def _is_auto(alpha, step: str) -> bool:
    """Whether ``alpha`` asks for :func:`choose_alpha` (``"auto"``); any other string is one clear error."""
    if not isinstance(alpha, str):
        return False
    if alpha.strip().lower() != "auto":
        raise BlassoInputError(f"alpha must be a positive number or 'auto'; got {alpha!r}")
    if step != "norm":
        raise BlassoInputError("alpha='auto' is for Algorithm 1 (step='norm'); give a number for plain GD")
    return True


def choose_alpha(X, y, lam: float, M: int | None = None, *, penalty: str = "l1", rng=0, init=None,
                 candidates=ALPHA_CANDIDATES, probe_iter: int = 2000) -> dict:
    """Pick a large stable alpha for Algorithm 1 by short probe runs (Algorithm 1 itself is unchanged).

    Every candidate runs ``probe_iter`` iterations from the same initialisation
    (the one :func:`run_gd` would use with this ``rng``).  A candidate is
    *stable* when it does not diverge, no output weight ``a_j`` changed sign
    (with a small enough alpha eq. (11) keeps every sign, as the paper's
    analysis assumes; a too large alpha can jump a unit across 0), and its
    final J is within 1% of the smallest J on its trace (no late blow-up or
    oscillation).  The stable
    candidate with the smallest final J wins (ties: the larger alpha).

    Why: the paper fixes no alpha; eq. (11) caps every step at ``alpha / 2``,
    and on the Fig. 2 instance alpha = 4-8 reaches J* (1 + 2e-3) about 10x
    sooner than alpha = 0.5 while alpha = 16 diverges.  Theorem 4.8 asks for
    a small alpha, so a large one is a practical choice, reported as such.

    Returns
    -------
    dict with ``alpha`` (chosen), ``probe`` (``{alpha: final J or None}``) and ``probe_iter``.
    """
    X = check_X(X)
    probe_iter = check_positive_int(probe_iter, name="probe_iter")
    if init is None:
        if M is None:
            raise BlassoInputError("give the width M or an initial (a, W)")
        init = init_network(M, X.shape[1], rng)
    probe, best = {}, None
    for alpha in sorted({float(a) for a in candidates}, reverse=True):
        try:
            r = run_gd(X, y, lam, init=init, penalty=penalty, alpha=alpha, max_iter=probe_iter,
                       n_trace=30, check_every=max(1, probe_iter // 10))
        except BlassoInputError:
            probe[alpha] = None
            continue
        J = r.trace["J"]
        stable = bool(np.all(np.isfinite(J))) and J[-1] <= 1.01 * J.min() and r.info["sign_flips"] == 0
        probe[alpha] = float(J[-1]) if stable else None
        if stable and (best is None or J[-1] < probe[best]):
            best = alpha
    if best is None:
        raise BlassoInputError(f"no stable alpha among {sorted(candidates)}; pass a smaller alpha")
    return {"alpha": best, "probe": probe, "probe_iter": probe_iter}


def _check_pos(v, name: str) -> float:
    v = _check_nonneg(v, name)
    if v <= 0:
        raise BlassoInputError(f"{name} must be > 0; got {v}")
    return v


def _check_nonneg(v, name: str) -> float:
    try:
        v = float(v)
    except (TypeError, ValueError):
        raise BlassoInputError(f"{name} must be a number; got {v!r}") from None
    if not np.isfinite(v) or v < 0:
        raise BlassoInputError(f"{name} must be finite and >= 0; got {v}")
    return v
