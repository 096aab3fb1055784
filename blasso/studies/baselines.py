"""The three related teacher-student systems (tensor init, mild over-parameterization, abs teacher) judged by the convex optimum and Algorithm 1.

:func:`run_baseline` generates the baseline's own instance (standard Gaussian
inputs, as in each of their papers), runs the baseline (:mod:`blasso.solvers.baselines`),
then on the **same data**:

* the convex ground truth: :func:`blasso.studies.compare.convex_truth`
  (:func:`blasso.studies.ground_truth.ground_truth`: the certified optimum by
  column generation over activation cells in every d, with its bracket
  ``[J_lower, J_upper]``; ``exact="exchange"`` keeps the older grid exchange
  rounds, where ``certify`` adds the rigorous sphere sup);
* the main paper's Algorithm 1 (:func:`blasso.studies.train.train_network`,
  ``M`` units, norm-dependent step, L1 penalty ``lam``);
* :func:`blasso.studies.compare.compare_measures` of the baseline's network
  and of Algorithm 1's against the convex optimum (objective gap, matched
  support, flat distance, held-out error).

**Scaling into the unit ball.**  The toolkit's BLASSO asks ``||x_i|| <= 1``
(Assumption 4.7); Gaussian inputs are not.  We divide the inputs by
``s = max_i ||x_i||`` (per instance) and keep the labels: since ReLU is
positively homogeneous, the network ``(a, W)`` on raw inputs is exactly the
network ``(a, s W)`` on ``X / s``, i.e. the measure with weights ``s a_j ||w_j||``.
So the raw baseline and the BLASSO problem on ``(X / s, y)`` see the same
functions; every J, measure and matched atom in the report lives on the
rescaled data (``input_scale`` = s), every test loss on the raw inputs:
``test_loss = 1/2 mean (f(x) - f*(x))^2`` over ``n_test`` fresh Gaussian
inputs against the noiseless teacher.

The baselines train the unpenalized loss, so "gap to the convex optimum" is
``J(nu_baseline) - J_convex`` for the BLASSO objective at ``lam`` (an upper
bound on ``J(nu) - J*``; with a certified ``J_lower`` also ``J(nu) - J_lower``),
which is >= 0 up to the accuracy of ``J_convex``: small means the baseline
found (close to) a minimiser of the penalized problem too.

Recovered: every teacher atom has a same-sign atom of the candidate (atoms
below ``1e-3 max|c|`` ignored) within ``match_angle_deg`` degrees;
``angle_error_deg`` is the largest of those smallest angles.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..instance import Instance, make_teacher
from ..measure import Measure
from ..memory import check_memory
from ..progress import as_progress
from ..validation import (BlassoInputError, check_choice, check_lam, check_nonneg, check_positive,
                          check_positive_int, check_seed)

__all__ = ["BASELINES", "DEFAULTS", "BaselineConfig", "default_config", "baseline_memory", "run_baseline",
           "teacher_angles", "to_unit_ball"]

BASELINES = ("tensor-init", "mild-overparam", "abs-teacher")

#: Per-baseline defaults of the sizes (each ``blasso baseline NAME`` alone runs in well under a minute).
DEFAULTS = {
    "tensor-init": {"n": 4000, "d": 5, "m": 3, "k": 0, "noise": 0.1, "iters": 2000},
    "mild-overparam": {"n": 1000, "d": 5, "m": 3, "k": 2, "noise": 0.0, "iters": 10000},
    "abs-teacher": {"n": 400, "d": 5, "m": 5, "k": 0, "noise": 0.0, "iters": 5000},
}

#: Teachers of the mild-overparam baseline (those of :func:`blasso.instance.make_teacher` with m neurons).
MILD_TEACHERS = ("min-angle", "paper", "mixed-signs", "random")


@dataclass(frozen=True)
class BaselineConfig:
    """Everything :func:`run_baseline` needs besides the name.

    Parameters
    ----------
    n, d, m
        samples, dimension, teacher width (``abs-teacher``: terms ``|<w_j, x>|``).
    k
        extra student units (``mild-overparam``).
    seed
        seed of the instance; the baselines' own randomness uses ``seed + 1``.
    noise
        label noise standard deviation.
    iters
        iterations of the baseline's GD.
    lam
        BLASSO regularisation of the convex optimum and of Algorithm 1.
    M
        Algorithm 1's width (default ``4 m``, at least 10) and the abs-teacher student's width.
    alg1_iters
        Algorithm 1's iteration budget (0 = skip Algorithm 1).
    grid_size, refine_rounds, certify, sup_budget
        the convex ground truth (see
        :func:`blasso.studies.compare.gd_vs_convex`).
    n_test
        held-out Gaussian inputs of the test losses.
    match_angle_deg
        angle of "recovered".
    teacher
        teacher of ``mild-overparam`` (:data:`MILD_TEACHERS`).
    delta
        perturbation of ``mild-overparam``'s start (its local radius is bisected separately).
    delta_max, bisect_steps
        the bisection of the local radius.
    """

    n: int
    d: int
    m: int
    k: int = 0
    seed: int = 0
    noise: float = 0.0
    iters: int = 2000
    lam: float = 1e-3
    M: int | None = None
    alg1_iters: int = 5000
    grid_size: int = 2000
    refine_rounds: int = 2
    certify: bool = False
    sup_budget: float = 5.0
    n_test: int = 4000
    match_angle_deg: float = 5.0
    teacher: str = "min-angle"
    delta: float = 0.1
    delta_max: float = 2.0
    bisect_steps: int = 5

    def __post_init__(self):
        for name in ("n", "d", "m", "iters", "grid_size", "n_test", "bisect_steps"):
            object.__setattr__(self, name, check_positive_int(getattr(self, name), name=name,
                                                              minimum=2 if name == "d" else 1))
        for name in ("k", "alg1_iters", "refine_rounds"):
            object.__setattr__(self, name, check_positive_int(getattr(self, name), name=name, minimum=0))
        if self.M is not None:
            object.__setattr__(self, "M", check_positive_int(self.M, name="M"))
        object.__setattr__(self, "seed", check_seed(self.seed))
        object.__setattr__(self, "noise", check_nonneg(self.noise, "noise"))
        object.__setattr__(self, "lam", check_lam(self.lam))
        object.__setattr__(self, "sup_budget", check_positive(self.sup_budget, "sup_budget"))
        object.__setattr__(self, "match_angle_deg", check_positive(self.match_angle_deg, "match_angle_deg"))
        object.__setattr__(self, "delta", check_nonneg(self.delta, "delta"))
        object.__setattr__(self, "delta_max", check_positive(self.delta_max, "delta_max"))
        object.__setattr__(self, "teacher", check_choice(self.teacher, MILD_TEACHERS, name="teacher"))
        if self.m > self.d:
            raise BlassoInputError(f"the baselines need m <= d; got m = {self.m}, d = {self.d}")

    @property
    def width(self) -> int:
        return self.M if self.M is not None else max(10, 4 * self.m)


def to_unit_ball(X: np.ndarray) -> tuple[np.ndarray, float]:
    """``(X / s, s)`` with ``s = max_i ||x_i||`` (module docstring)."""
    s = float(np.linalg.norm(X, axis=1).max())
    if not s > 0:
        raise BlassoInputError("all inputs are zero")
    return X / s, s


def teacher_angles(nu: Measure, teacher: Measure, prune_rtol: float = 1e-3) -> np.ndarray:
    """Per teacher atom, the smallest angle (degrees) to a same-sign atom of ``nu`` above ``prune_rtol max|c|``."""
    out = np.full(len(teacher), 180.0)
    if len(nu) == 0:
        return out
    keep = np.abs(nu.c) > prune_rtol * float(np.abs(nu.c).max())
    theta, c = nu.theta[keep], nu.c[keep]
    A = np.degrees(np.arccos(np.clip(teacher.theta @ theta.T, -1.0, 1.0)))
    A = np.where(np.sign(teacher.c)[:, None] == np.sign(c)[None, :], A, 180.0)
    return A.min(axis=1)


@dataclass
class _Data:
    X: np.ndarray            # raw inputs (n, d)
    y: np.ndarray
    X_test: np.ndarray       # raw held-out inputs
    f_test: np.ndarray       # noiseless teacher on X_test
    teacher_a: np.ndarray    # as a network on raw inputs
    teacher_W: np.ndarray


def _relu_net(a, W, X):
    return np.maximum(X @ W.T, 0.0) @ a


def _make_data(name: str, cfg: BaselineConfig) -> _Data:
    rng = np.random.default_rng(cfg.seed)
    if name == "abs-teacher":
        from blasso.solvers.baselines.abs_teacher import abs_teacher
        a1, Q = abs_teacher(cfg.m, cfg.d, rng)
        a, W = np.concatenate([a1, a1]), np.vstack([Q, -Q])      # |t| = relu(t) + relu(-t)
    elif name == "tensor-init":
        Wd, _ = make_teacher("min-angle", cfg.m, cfg.d, rng, min_angle=np.pi / 3)
        W = Wd * rng.uniform(0.5, 1.5, size=cfg.m)[:, None]     # norms vary: the tensor step recovers them
        a = np.ones(cfg.m)
    else:
        W, a = make_teacher(cfg.teacher, cfg.m, cfg.d, rng)
    X = rng.standard_normal((cfg.n, cfg.d))
    y = _relu_net(a, W, X) + (cfg.noise * rng.standard_normal(cfg.n) if cfg.noise > 0 else 0.0)
    X_test = rng.standard_normal((cfg.n_test, cfg.d))
    return _Data(X, y, X_test, _relu_net(a, W, X_test), a, W)


def _loss(pred, target) -> float:
    r = pred - target
    return 0.5 * float(np.mean(r * r))


def _judge(a, W, data: _Data, s: float, cref: dict, cfg: BaselineConfig, teacher_nu: Measure) -> dict:
    """Test/train loss, recovery and the comparison with the convex optimum for a raw network ``(a, W)``."""
    from .compare import compare_measures

    nu = Measure.from_network(a, s * np.asarray(W), merge_exact=False)
    ang = teacher_angles(nu, teacher_nu)
    rep = compare_measures(nu, cref["measure"], data.X / s, data.y, cfg.lam, J_ref=cref["J"],
                           J_lower=cref["J_lower"], X_test=data.X_test / s)
    return {"nu": nu, "test_loss": _loss(_relu_net(a, W, data.X_test), data.f_test),
            "train_loss": _loss(_relu_net(a, W, data.X), data.y), "recovered": bool(ang.max() <= cfg.match_angle_deg),
            "angle_error_deg": float(ang.max()), "teacher_angles_deg": ang.tolist(),
            "J": rep["J_gd"], "gap": rep["objective_gap"], "gap_upper": rep.get("objective_gap_upper"),
            "compare": {k: v for k, v in rep.items() if k not in ("matched",)}}


def _algorithm1(data: _Data, s: float, cref: dict, cfg: BaselineConfig, teacher_nu: Measure, say) -> dict | None:
    from .train import train_network

    if cfg.alg1_iters == 0:
        return None
    inst = Instance(X=data.X / s, y=data.y, lam=cfg.lam)
    tr = train_network(inst, cfg.lam, cfg.width, seed=cfg.seed + 1, iters=cfg.alg1_iters, ftol=1e-10,
                       progress=say)
    res = tr["result"]
    out = _judge(res.a, res.W / s, data, s, cref, cfg, teacher_nu)   # (a, W/s) on raw inputs = (a, W) on X/s
    out.update({"iterations": int(res.n_iter), "wall_s": float(res.wall_s), "M": cfg.width,
                "alpha": float(tr["alpha"]), "stop_reason": res.stop_reason})
    return out


def _convex(data: _Data, s: float, cfg: BaselineConfig, say) -> dict:
    from .compare import convex_truth

    t0 = time.perf_counter()
    nu, J, J_lower, info = convex_truth(data.X / s, data.y, cfg.lam, grid_size=cfg.grid_size, solver="FAST",
                                        rounds=cfg.refine_rounds, certify=cfg.certify, sup_budget=cfg.sup_budget,
                                        seed=cfg.seed, progress=say)
    info = {k: v for k, v in info.items() if k != "stages"}
    return {"measure": nu, "J": float(J), "J_lower": None if J_lower is None else float(J_lower),
            "wall_s": time.perf_counter() - t0, "info": info,
            "test_loss": _loss(nu.evaluate(data.X_test / s), data.f_test)}


# ------------------------------------------------------------------ the three systems
def _tensor_init(data: _Data, cfg: BaselineConfig, say) -> tuple[dict, np.ndarray, np.ndarray]:
    from blasso.solvers.baselines._net import match_directions, param_error
    from blasso.solvers.baselines.tensor_init import run_tensor_gd, tensor_initialization

    t0 = time.perf_counter()
    ti = tensor_initialization(data.X, data.y, cfg.m, rng=cfg.seed + 1)
    _, ang0 = match_directions(ti["W0"], data.teacher_W)
    res = run_tensor_gd(data.X, data.y, ti["W0"], iters=cfg.iters, W_star=data.teacher_W, progress=say)
    _, ang = match_directions(res.W, data.teacher_W)
    fig = {"status": res.status, "iterations": res.iterations, "wall_s": time.perf_counter() - t0,
           "param_error_init": param_error(ti["W0"], data.teacher_W),
           "param_error_final": param_error(res.W, data.teacher_W), "rate": res.rate,
           "init_angle_error_deg": float(ang0.max()), "angle_error_deg": float(ang.max()),
           "recovered": bool(ang.max() <= cfg.match_angle_deg), "eta": res.eta,
           "param_error_trace": _thin(res.param_error), "train_loss_trace": _thin(res.train_loss)}
    return fig, np.ones(cfg.m), res.W


def _mild(data: _Data, cfg: BaselineConfig, say) -> tuple[dict, np.ndarray, np.ndarray]:
    from blasso.solvers.baselines.mild_overparam import local_radius, run_mild_gd

    t0 = time.perf_counter()
    kw = {"k": cfg.k, "rng": cfg.seed + 1, "iters": cfg.iters, "match_angle_deg": 10.0}
    res = run_mild_gd(data.X, data.y, data.teacher_a, data.teacher_W, delta=cfg.delta, progress=say, **kw)
    wall = time.perf_counter() - t0
    say(f"mild-overparam: bisecting the local radius in [0, {cfg.delta_max:g}] ({cfg.bisect_steps} steps) ...")
    rad = local_radius(data.X, data.y, data.teacher_a, data.teacher_W, delta_max=cfg.delta_max,
                       steps=cfg.bisect_steps, progress=say, **kw)
    fig = {"status": res.status, "iterations": res.iterations, "wall_s": wall, "delta": cfg.delta, "k": cfg.k,
           "units": [{"teacher": u["teacher"], "weight": u["weight"], "angle_deg": u["angle_deg"],
                      "outcome": u["outcome"]} for u in res.units],
           "success": res.success, "recovered": res.recovered, "angle_error_deg": res.angle_error_deg,
           "local_radius": rad["radius"], "local_radius_bracket": rad["bracket"], "local_radius_probes": rad["probes"],
           "match_angle_deg_units": 10.0, "loss_trace": _thin(res.loss), "loss_trace_iter": _thin(res.loss_iter),
           "eta": res.eta}
    return fig, res.a, res.W


def _abs(data: _Data, cfg: BaselineConfig, say) -> tuple[dict, np.ndarray, np.ndarray]:
    from blasso.solvers.baselines.abs_teacher import run_abs_gd
    from blasso.solvers.baselines.kernels import kernel_ridge

    t0 = time.perf_counter()
    res = run_abs_gd(data.X, data.y, M=cfg.width, teacher_tv=float(np.sum(data.teacher_a)), iters=cfg.iters,
                     rng=cfg.seed + 1, X_test=data.X_test, f_test=data.f_test, progress=say)
    wall = time.perf_counter() - t0
    say("abs-teacher: kernel ridge regression with the NTK and the random-feature kernel (ridge by 5-fold CV) ...")
    fits = {kind: kernel_ridge(kind, data.X, data.y, seed=cfg.seed) for kind in ("ntk", "rf")}
    kl = {kind: _loss(f.predict(data.X_test), data.f_test) for kind, f in fits.items()}
    fig = {"status": res.status, "iterations": res.iterations, "wall_s": wall, "n": cfg.n, "d": cfg.d,
           "test_loss_gd": res.test_loss[-1], "test_loss_ntk": kl["ntk"], "test_loss_rf": kl["rf"],
           "test_loss_const": 0.5 * float(np.var(data.f_test)), "ridge_ntk": fits["ntk"].alpha,
           "ridge_rf": fits["rf"].alpha, "M": cfg.width, "eta": res.eta,
           "test_loss_trace": _thin(res.test_loss), "train_loss_trace": _thin(res.train_loss),
           "trace_iter": _thin(res.trace_iter)}
    return fig, res.a, res.W


def _thin(v, k: int = 200) -> list:
    if v is None:
        return []
    v = list(v)
    if len(v) <= k:
        return [float(x) for x in v]
    idx = np.unique(np.linspace(0, len(v) - 1, k).round().astype(int))
    return [float(v[i]) for i in idx]


_RUNNERS = {"tensor-init": _tensor_init, "mild-overparam": _mild, "abs-teacher": _abs}


def baseline_memory(name: str, cfg: BaselineConfig) -> int:
    """Estimated peak bytes of :func:`run_baseline`, checked before any array is allocated.

    The data and held-out inputs, three ``(n, width)`` activation blocks of the
    gradient steps, the grid LASSO of the convex optimum and, for
    ``abs-teacher``, the kernel matrices (train ``n x n`` with its
    cross-validation copies, test ``n_test x n``).
    """
    from blasso.solvers import lasso_memory

    n, d = cfg.n, cfg.d
    width = max(cfg.width, cfg.m + cfg.k)
    nbytes = 8 * ((n + cfg.n_test) * d + 3 * n * width)
    if name == "abs-teacher":
        nbytes += 8 * (3 * n * n + cfg.n_test * n)
    return nbytes + lasso_memory(n, cfg.grid_size, "FAST")


def run_baseline(name: str, cfg: BaselineConfig, *, progress=None) -> dict:
    """Run one baseline on its instance, the convex optimum and Algorithm 1 on the same data.

    Parameters
    ----------
    name : one of :data:`BASELINES`
    cfg : BaselineConfig
    progress : a :mod:`blasso.progress` hook.

    Returns
    -------
    dict
        The issue's JSON keys (``baseline``, ``status``, ``recovered``,
        ``angle_error_deg``, ``test_loss``, ``train_loss``, ``iterations``,
        ``wall_s`` and the per-system keys), plus ``convex`` (J, J_lower,
        test loss, wall time), ``gap_to_convex`` / ``gap_to_convex_upper``,
        ``compare`` (:func:`compare_measures` of the baseline against the
        convex optimum), ``algorithm1`` (the same for Algorithm 1, or None),
        ``input_scale``, ``lam``, and ``_measures`` (name -> Measure on the
        rescaled data; not JSON).
    """
    name = check_choice(name, BASELINES, name="baseline")
    if not isinstance(cfg, BaselineConfig):
        raise BlassoInputError(f"cfg must be a BaselineConfig; got {type(cfg).__name__}")
    check_memory(baseline_memory(name, cfg), f"baseline {name} with n = {cfg.n:,}, d = {cfg.d}")
    from blasso.solvers.threads import blas_threads

    with blas_threads(1):        # small dense products: one BLAS thread is faster on a shared machine
        return _run(name, cfg, as_progress(progress))


def _run(name: str, cfg: BaselineConfig, say) -> dict:
    data = _make_data(name, cfg)
    Xb, s = to_unit_ball(data.X)
    teacher_nu = Measure.from_network(data.teacher_a, s * data.teacher_W, merge_exact=False)
    say(f"{name}: n={cfg.n} d={cfg.d} m={cfg.m} noise={cfg.noise:g}, Gaussian inputs (scale s = {s:.4g}) ...")
    fig, a, W = _RUNNERS[name](data, cfg, say)
    say(f"{name}: convex optimum of the same data (lam = {cfg.lam:g}) ...")
    cref = _convex(data, s, cfg, say)
    ang = teacher_angles(cref["measure"], teacher_nu)
    cref["recovered"], cref["angle_error_deg"] = bool(ang.max() <= cfg.match_angle_deg), float(ang.max())
    judged = _judge(a, W, data, s, cref, cfg, teacher_nu)
    if name == "abs-teacher":         # the others match their own rows (tensor-init) or units (mild-overparam)
        fig["recovered"], fig["angle_error_deg"] = judged["recovered"], judged["angle_error_deg"]
    say(f"{name}: Algorithm 1 on the same data (M = {cfg.width}, {cfg.alg1_iters} iterations) ...")
    alg1 = _algorithm1(data, s, cref, cfg, teacher_nu, say)
    out = {"baseline": name, **fig, "test_loss": judged["test_loss"], "train_loss": judged["train_loss"],
           "lam": cfg.lam, "input_scale": s, "match_angle_deg": cfg.match_angle_deg,
           "gap_to_convex": judged["gap"], "gap_to_convex_upper": judged["gap_upper"], "J": judged["J"],
           "convex": {k: v for k, v in cref.items() if k != "measure"}, "compare": judged["compare"],
           "teacher_angles_deg": judged["teacher_angles_deg"]}
    if alg1 is not None:
        out["algorithm1"] = {k: v for k, v in alg1.items() if k != "nu"}
    measures = {"teacher": teacher_nu, "baseline": judged["nu"], "convex": cref["measure"]}
    if alg1 is not None:
        measures["algorithm1"] = alg1["nu"]
    out["_measures"] = measures
    return out


def default_config(name: str, **overrides) -> BaselineConfig:
    """:data:`DEFAULTS` of ``name`` with ``overrides`` (None values ignored)."""
    name = check_choice(name, BASELINES, name="baseline")
    kw = dict(DEFAULTS[name])
    kw.update({k: v for k, v in overrides.items() if v is not None})
    return BaselineConfig(**kw)

