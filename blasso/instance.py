"""Problem instances: teachers, inputs, labels, and the ``.npz`` file contract.

An instance is ``(X, y)`` with optional teacher ``(teacher_W, teacher_a)``,
regularisation ``lam`` and the ``seed`` it was generated from (the file
contract is in :func:`save_instance`).  Teachers:

``paper``
    Assumption 3.2: positive weights, orthonormal directions (m <= d);
``mixed-signs``
    orthonormal directions, alternating signs of the weights;
``min-angle``
    random directions with a prescribed minimum pairwise angle;
``near-duplicate``
    the paper teacher plus a neuron at a small angle from the first;
``random``
    random directions and random signed weights;
``abs``
    ``f°(x) = sum_j |<w_j, x>|`` with orthonormal ``w_j`` (Li, Ma, Zhang 2020,
    "beyond NTK", with ``a = 1``): since ``|t| = relu(t) + relu(-t)`` it is the
    nonnegative measure with ``2m`` atoms ``+-w_j`` of weight 1 each, so
    ``teacher_W`` has ``2m`` rows ``(w_1..w_m, -w_1..-w_m)`` and ``Instance.m``
    is ``2m``.  Inputs follow ``--inputs`` as for every teacher (``sphere``,
    or ``gaussian`` scaled into the unit ball by the largest row norm).

Only ``paper`` satisfies Assumption 3.2; the others break it on purpose so
that certificates can fail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .measure import Measure
from .objective import network_output
from .report import atomic_output
from .sphere import random_sphere
from .memory import check_memory
from .validation import (
    BlassoInputError,
    check_choice,
    check_input_norms,
    check_lam,
    check_nonneg,
    check_positive_int,
    check_rng,
    check_seed,
    check_vector,
    check_X,
    check_y,
    read_npz_file,
)

__all__ = [
    "TEACHERS",
    "INPUTS",
    "Instance",
    "make_teacher",
    "sample_inputs",
    "make_instance",
    "paper_instance",
    "save_instance",
    "load_instance",
]

TEACHERS = ("paper", "mixed-signs", "min-angle", "near-duplicate", "random", "abs")
INPUTS = ("sphere", "gaussian")


@dataclass
class Instance:
    """Data ``(X, y)`` plus what generated it.

    Attributes
    ----------
    X : ndarray (n, d)
    y : ndarray (n,)
    lam : float or None
        Suggested regularisation (commands may override it).
    teacher_W, teacher_a : ndarray (m, d), (m,) or None
    seed : int or None
    meta : dict
        Free-form description (teacher kind, input law, noise...).
    """

    X: np.ndarray
    y: np.ndarray
    lam: float | None = None
    teacher_W: np.ndarray | None = None
    teacher_a: np.ndarray | None = None
    seed: int | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.X = check_X(self.X)
        check_input_norms(self.X)
        self.y = check_y(self.y, self.X.shape[0])
        if self.lam is not None:
            self.lam = check_lam(self.lam, allow_zero=True)
        if self.seed is not None:
            self.seed = check_seed(self.seed)
        if (self.teacher_W is None) != (self.teacher_a is None):
            raise BlassoInputError("teacher_W and teacher_a must be given together")
        if self.teacher_W is not None:
            W = np.asarray(self.teacher_W, dtype=np.float64)
            if W.ndim != 2 or W.shape[1] != self.X.shape[1]:
                raise BlassoInputError(
                    f"teacher_W must have shape (m, {self.X.shape[1]}); got {W.shape}")
            if not np.all(np.isfinite(W)):
                raise BlassoInputError("teacher_W contains non-finite values")
            if np.any(np.linalg.norm(W, axis=1) == 0):
                raise BlassoInputError("teacher_W has a zero row (a neuron without direction)")
            self.teacher_W = W
            self.teacher_a = check_vector(self.teacher_a, W.shape[0], name="teacher_a")

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        return int(self.X.shape[1])

    @property
    def m(self) -> int:
        return 0 if self.teacher_W is None else int(self.teacher_W.shape[0])

    @property
    def has_teacher(self) -> bool:
        return self.teacher_W is not None

    def teacher_measure(self) -> Measure:
        """The teacher as a measure ``sum_j a_j ||w_j|| delta_{w_j/||w_j||}``."""
        if not self.has_teacher:
            raise BlassoInputError("this instance has no teacher")
        return Measure.from_network(self.teacher_a, self.teacher_W, merge_exact=False)

    def sizes(self) -> dict:
        return {"n": self.n, "d": self.d, "m": self.m}

    def __repr__(self) -> str:
        """One line: sizes, teacher, seed (never the arrays ``X`` and ``y``)."""
        parts = [f"n={self.n}", f"d={self.d}"]
        if self.has_teacher:
            parts += [f"teacher={self.meta.get('teacher', 'given')!r}", f"m={self.m}"]
        else:
            parts.append("teacher=None")
        if self.seed is not None:
            parts.append(f"seed={self.seed}")
        if self.lam is not None:
            parts.append(f"lam={self.lam:g}")
        if self.meta.get("noise"):
            parts.append(f"noise={self.meta['noise']:g}")
        return f"Instance({', '.join(parts)})"

    def teacher_min_angle_deg(self) -> float:
        """Smallest pairwise angle between the teacher's atoms, in degrees (NaN for fewer than two atoms)."""
        nu = self.teacher_measure()
        G = nu.theta @ nu.theta.T
        off = G[~np.eye(len(nu), dtype=bool)]
        return float(np.degrees(np.arccos(np.clip(off.max(), -1, 1)))) if off.size else float("nan")

    def to_dict(self) -> dict:
        """What ``blasso make-instance`` reports about the instance (JSON-ready; not ``X``, ``y``).

        Keys ``lam``, ``meta``, and with a teacher ``teacher_c`` (the weights
        ``a_j ||w_j||``), ``teacher_min_angle_deg`` and ``teacher_tv``.

        Examples
        --------
        >>> inst = make_instance(teacher="mixed-signs", n=20, d=2, m=2, seed=0)
        >>> [round(c, 9) for c in inst.to_dict()["teacher_c"]]
        [1.0, -1.0]
        """
        out = {"lam": self.lam, "meta": dict(self.meta)}
        if self.has_teacher:
            nu = self.teacher_measure()
            out.update(teacher_c=nu.c.tolist(), teacher_min_angle_deg=self.teacher_min_angle_deg(),
                       teacher_tv=nu.tv)
        return out

    def summary(self) -> str:
        """A few lines: sizes, teacher kind, input law, noise, seed, and the teacher's weights and spread.

        Examples
        --------
        >>> print(make_instance(teacher="paper", n=20, d=3, m=2, seed=0).summary())
        n=20 d=3 m=2 teacher=paper inputs=sphere noise=0.0 seed=0
        teacher weights c = [1. 1.]; min pairwise angle 90.00 deg; TV = 2
        """
        meta = self.meta
        head = (f"n={self.n} d={self.d} m={self.m} teacher={meta.get('teacher')} inputs={meta.get('inputs')} "
                f"noise={meta.get('noise')} seed={self.seed}")
        if not self.has_teacher:
            return head
        nu = self.teacher_measure()
        return (head + f"\nteacher weights c = {np.array2string(nu.c, precision=4)}; "
                f"min pairwise angle {self.teacher_min_angle_deg():.2f} deg; TV = {nu.tv:.4g}")


def make_teacher(kind: str, m: int, d: int, rng, *, min_angle: float = np.pi / 3,
                 dup_angle: float = 0.05, basis: str = "random") -> tuple[np.ndarray, np.ndarray]:
    """Teacher weights ``(W, a)`` of width ``m`` in dimension ``d`` (unit-norm rows).

    Parameters
    ----------
    kind : one of :data:`TEACHERS`
    min_angle : float
        Minimum pairwise angle (radians) for ``min-angle``.
    dup_angle : float
        Angle (radians) between the first neuron and its near-duplicate.
    basis : {"canonical", "random"}
        Orthonormal directions for ``paper``/``mixed-signs``/``near-duplicate``:
        the first m basis vectors (as in the paper's Fig. 1) or a random rotation.
    """
    kind = check_choice(kind, TEACHERS, name="teacher")
    m = check_positive_int(m, name="m")
    d = check_positive_int(d, name="d", minimum=2)
    rng = check_rng(rng)
    basis = check_choice(basis, ("canonical", "random"), name="basis")

    def orthonormal(k: int) -> np.ndarray:
        if k > d:
            raise BlassoInputError(f"teacher {kind!r} needs orthonormal directions: m = {k} > d = {d}")
        if basis == "canonical":
            return np.eye(d)[:k]
        Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
        return Q.T[:k]

    if kind == "paper":
        return orthonormal(m), np.ones(m)
    if kind == "abs":               # |<w, x>| = relu(<w, x>) + relu(<-w, x>)
        Q = orthonormal(m)
        return np.vstack([Q, -Q]), np.ones(2 * m)
    if kind == "mixed-signs":
        if m < 2:
            raise BlassoInputError("mixed-signs needs m >= 2")
        return orthonormal(m), np.where(np.arange(m) % 2 == 0, 1.0, -1.0)
    if kind == "near-duplicate":
        if m < 2:
            raise BlassoInputError("near-duplicate needs m >= 2")
        if not 0 < dup_angle < np.pi / 2:
            raise BlassoInputError(f"dup_angle must be in (0, pi/2); got {dup_angle}")
        W = orthonormal(m - 1)
        # rotate the first neuron by dup_angle towards a direction orthogonal to all of W
        extra = rng.standard_normal(d)
        extra -= W.T @ (W @ extra)
        if np.linalg.norm(extra) < 1e-9:  # m - 1 == d: tilt towards the second neuron
            extra = W[1].copy()
        extra /= np.linalg.norm(extra)
        dup = np.cos(dup_angle) * W[0] + np.sin(dup_angle) * extra
        return np.vstack([W, dup]), np.ones(m)
    if kind == "min-angle":
        if not 0 < min_angle <= np.pi / 2 + 1e-12:
            raise BlassoInputError(f"min_angle must be in (0, pi/2]; got {min_angle}")
        rows: list[np.ndarray] = []
        for _ in range(100000):
            v = random_sphere(1, d, rng)[0]
            if all(np.arccos(np.clip(v @ u, -1, 1)) >= min_angle for u in rows):
                rows.append(v)
                if len(rows) == m:
                    return np.array(rows), np.ones(m)
        raise BlassoInputError(f"could not place {m} directions with min angle {min_angle:.3g} in d = {d}")
    # random
    W = random_sphere(m, d, rng)
    a = rng.choice([-1.0, 1.0], size=m) * rng.uniform(0.5, 1.5, size=m)
    return W, a


def sample_inputs(n: int, d: int, rng, kind: str = "sphere") -> np.ndarray:
    """``n`` inputs in dimension ``d``.

    ``sphere``: uniform on S^{d-1} (Assumption 3.1).  ``gaussian``: standard
    Gaussian rows divided by the largest row norm, so every ``||x_i|| <= 1``
    (Assumption 4.7) with one row on the sphere.
    """
    n = check_positive_int(n, name="n")
    d = check_positive_int(d, name="d", minimum=2)
    kind = check_choice(kind, INPUTS, name="inputs")
    rng = check_rng(rng)
    if kind == "sphere":
        return random_sphere(n, d, rng)
    G = rng.standard_normal((n, d))
    return G / np.linalg.norm(G, axis=1).max()


def make_instance(*, teacher: str = "paper", n: int = 100, d: int = 5, m: int = 5, seed: int = 0,
                  inputs: str = "sphere", noise: float = 0.0, lam: float | None = None,
                  **teacher_kw) -> Instance:
    """Generate an instance: teacher, inputs, labels ``y = f°(X) + noise * N(0, 1)``.

    Everything random is drawn from ``numpy.random.default_rng(seed)``.
    """
    seed = check_seed(seed)
    noise = check_nonneg(noise, "noise")
    n = check_positive_int(n, name="n")
    d = check_positive_int(d, name="d", minimum=2)
    m = check_positive_int(m, name="m")
    # inputs, teacher and a d x d rotation, plus the temporaries of drawing them
    check_memory(8 * (3 * n * d + 3 * d * d + m * d + 2 * n), f"an instance with n = {n:,}, d = {d:,}, m = {m:,}")
    rng = np.random.default_rng(seed)
    W, a = make_teacher(teacher, m, d, rng, **teacher_kw)
    X = sample_inputs(n, d, rng, inputs)
    y = network_output(a, W, X)
    if noise > 0:
        y = y + noise * rng.standard_normal(n)
    meta = {"teacher": teacher, "inputs": inputs, "noise": float(noise),
            **{k: (float(v) if isinstance(v, (int, float)) else v) for k, v in teacher_kw.items()}}
    return Instance(X=X, y=y, lam=lam, teacher_W=W, teacher_a=a, seed=seed, meta=meta)


def paper_instance(seed: int = 0, lam: float = 1e-3) -> Instance:
    """The paper's Fig. 2 setting: m = d = 5, n = 100, orthonormal positive teacher."""
    return make_instance(teacher="paper", n=100, d=5, m=5, seed=seed, lam=lam)


def save_instance(inst: Instance, path: str | Path) -> Path:
    """Write an instance as ``.npz`` (keys ``X, y`` and optional ``teacher_W, teacher_a, lam, seed``), atomically.

    The folder of ``path`` must exist (:class:`~blasso.validation.BlassoInputError` otherwise).
    """
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_suffix(path.suffix + ".npz") if path.suffix else path.with_suffix(".npz")
    arrays = {"X": inst.X, "y": inst.y}
    if inst.has_teacher:
        arrays["teacher_W"] = inst.teacher_W
        arrays["teacher_a"] = inst.teacher_a
    if inst.lam is not None:
        arrays["lam"] = np.float64(inst.lam)
    if inst.seed is not None:
        arrays["seed"] = np.int64(inst.seed)
    arrays["meta_json"] = np.array(json.dumps(inst.meta))
    with atomic_output(path, suffix=".npz") as tmp:      # its folder must exist
        np.savez(tmp, **arrays)
    return path


def load_instance(path: str | Path) -> Instance:
    """Read and validate an instance ``.npz`` file (see :func:`save_instance`)."""
    path = Path(path)
    data = read_npz_file(path, what=f"instance file {str(path)!r}")
    for key in ("X", "y"):
        if key not in data:
            raise BlassoInputError(f"instance file {str(path)!r} has no array {key!r} (found {sorted(data)})")
    meta = {}
    if "meta_json" in data:
        try:
            meta = json.loads(str(data["meta_json"]))
        except json.JSONDecodeError:
            meta = {}

    def scalar(key, cast):
        if key not in data:
            return None
        arr = np.asarray(data[key])
        if arr.size != 1:
            raise BlassoInputError(f"instance key {key!r} must be a scalar; got shape {arr.shape}")
        return cast(arr.reshape(()))

    return Instance(
        X=data["X"], y=data["y"],
        lam=scalar("lam", float),
        teacher_W=data.get("teacher_W"), teacher_a=data.get("teacher_a"),
        seed=scalar("seed", int), meta=meta,
    )
