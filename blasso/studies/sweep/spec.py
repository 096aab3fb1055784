"""The sweep specification: a TOML file naming the task kind(s), a parameter grid and per-task options.

::

    [sweep]
    task = "certify"          # certify | recover | gd | assumptions (a list runs several)

    [grid]                    # each list is an axis; the sweep is their product
    teacher = ["paper"]
    n = [30, 60, 90]
    m = [1, 2]
    d = [2, 3]
    seeds = 2                 # seeds 0..1 (or a list)
    lam = [0.0]

    [options]                 # passed to every task
    time_budget = 60

Several ``[[grid]]`` blocks (an array of tables) make a union of products,
e.g. 10 seeds up to n = 6400 and 3 above; a block may carry its own
``options`` table, merged over the global ``[options]``, and its own
``task`` (kind or list of kinds) instead of the one of ``[sweep]``.  A scalar axis value
is a one-element axis.  Axes: :data:`AXES`; options: :data:`OPTIONS`.  A
(teacher, m, d, basis) combination the teacher cannot be built for (e.g. the
orthonormal ``paper`` teacher with m > d) is skipped, and the plan says so.
A task kind may also be ``"module:function"``, a function
``f(inst, params, options) -> dict`` importable in the workers.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

from blasso.instance import INPUTS, TEACHERS, make_teacher
from blasso.memory import parse_bytes
from blasso.validation import (BlassoInputError, check_choice, check_lam, check_nonneg, check_positive,
                               check_positive_int, check_seed)

from .keys import task_key

try:                                   # Python >= 3.11
    import tomllib
except ModuleNotFoundError:            # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["TASK_KINDS", "AXES", "OPTIONS", "DEFAULTS", "SweepSpec", "Task", "load_spec", "parse_spec"]

#: The built-in task kinds (:mod:`blasso.studies.sweep.tasks`).
TASK_KINDS = ("certify", "recover", "gd", "assumptions")

#: Grid axes, in the order of the CSV columns (``seeds`` in the file becomes ``seed``).
AXES = ("task", "teacher", "n", "m", "d", "seed", "lam", "inputs", "noise", "basis", "M")

#: Default axis values when the grid does not name them.
DEFAULTS = {"teacher": "paper", "lam": 0.0, "inputs": "sphere", "noise": 0.0, "basis": "random"}

#: Per-task options and what they mean (all optional).
OPTIONS = {
    "time_budget": "wall seconds a task may take (default 60); over budget + slack it is killed: failed: timeout",
    "slack": "extra wall seconds before the kill, for start-up (default 10)",
    "threads": "BLAS threads per task (default 1)",
    "max_memory": "memory a task may allocate, e.g. \"4G\" (refused before allocating: failed with the estimate)",
    "cert_budget": "seconds of the rigorous sup inside certify/assumptions (default 0.8 time_budget)",
    "grid_size": "grid of the reported grid optimum J_grid (gd; default 2000)",
    "rounds": "unused since the certified optimum is computed by column generation (kept so old specs load)",
    "sup_budget": "seconds of each rigorous sup of the certified optimum's column generation (recover, gd;"
                  " default 10, at least 5)",
    "M": "network width of gd (default 20, or the M axis)",
    "iters": "GD iteration budget (default 100000)",
    "match_angle": "radians: atoms closer than this to a teacher atom match it (recover; default 0.1)",
}

_FLOAT_OPTIONS = ("time_budget", "slack", "cert_budget", "sup_budget", "match_angle")
_INT_OPTIONS = ("threads", "grid_size", "rounds", "M", "iters")


@dataclass(frozen=True)
class Task:
    """One task: its key and canonical parameters (``task``, the axes, ``options``)."""

    key: str
    params: dict


@dataclass
class SweepSpec:
    """A parsed spec: the tasks (unique keys, in grid order) and what was skipped."""

    tasks: list
    skipped: list = field(default_factory=list)
    source: str = ""

    @property
    def keys(self) -> list:
        return [t.key for t in self.tasks]


def load_spec(path) -> SweepSpec:
    """Read and expand a spec file (errors name the file)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise BlassoInputError(f"sweep spec {str(path)!r}: cannot read it ({exc.strerror or exc})") from None
    try:
        return parse_spec(text, source=str(path))
    except BlassoInputError as exc:
        raise BlassoInputError(f"sweep spec {str(path)!r}: {exc}") from None


def parse_spec(text: str, *, source: str = "") -> SweepSpec:
    """Expand a spec (TOML text) into its tasks."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BlassoInputError(f"not valid TOML: {exc}") from None
    unknown = set(raw) - {"sweep", "grid", "options"}
    if unknown:
        raise BlassoInputError(f"unknown table(s) {sorted(unknown)}; expected [sweep], [grid] and [options]")
    sweep = raw.get("sweep", {})
    if set(sweep) - {"task", "name"}:
        raise BlassoInputError(f"unknown key(s) {sorted(set(sweep) - {'task', 'name'})} in [sweep]")
    kinds = [_check_kind(k) for k in _as_list(sweep["task"], "task")] if "task" in sweep else None
    base_options = _check_options(raw.get("options", {}), "[options]")
    blocks = raw.get("grid")
    if blocks is None:
        raise BlassoInputError("the spec has no [grid] table")
    blocks = blocks if isinstance(blocks, list) else [blocks]
    tasks, skipped, seen = [], [], set()
    for i, block in enumerate(blocks):
        where = "[grid]" if len(blocks) == 1 else f"[[grid]] block {i + 1}"
        if not isinstance(block, dict):
            raise BlassoInputError(f"{where} must be a table")
        block_kinds = [_check_kind(k) for k in _as_list(block["task"], "task")] if "task" in block else kinds
        if block_kinds is None:
            raise BlassoInputError(f"[sweep] (or {where}) must name the task kind: task = \"certify\" "
                                   "(or recover, gd, assumptions)")
        for t in _expand(block, block_kinds, base_options, where, skipped):
            if t.key not in seen:
                seen.add(t.key)
                tasks.append(t)
    if not tasks:
        raise BlassoInputError("the grid has no task" + (f" (skipped: {skipped[0]})" if skipped else ""))
    return SweepSpec(tasks=tasks, skipped=skipped, source=source)


def _as_list(v, name: str) -> list:
    v = v if isinstance(v, list) else [v]
    if not v:
        raise BlassoInputError(f"axis {name} is empty")
    return v


def _check_kind(kind) -> str:
    if isinstance(kind, str) and ":" in kind:
        mod, _, fn = kind.partition(":")
        if mod and fn.isidentifier():
            return kind
    return check_choice(kind, TASK_KINDS, name="task kind")


def _check_options(opts, where: str) -> dict:
    if not isinstance(opts, dict):
        raise BlassoInputError(f"{where} must be a table of options")
    bad = set(opts) - set(OPTIONS)
    if bad:
        raise BlassoInputError(f"unknown option(s) {sorted(bad)} in {where}; known: {sorted(OPTIONS)}")
    out = {}
    for k, v in opts.items():
        if k == "max_memory":
            parse_bytes(v)
            out[k] = str(v)
        elif k in _INT_OPTIONS:
            out[k] = check_positive_int(v, name=k, minimum=0 if k == "rounds" else 1)
        elif k == "slack":
            out[k] = check_nonneg(v, k)
        else:
            out[k] = check_positive(v, k)
    return out


def _axis_values(block: dict, where: str) -> dict:
    bad = set(block) - (set(AXES) - {"seed"}) - {"seeds", "options"}
    if bad:
        raise BlassoInputError(f"unknown axis/axes {sorted(bad)} in {where}; known: "
                               f"{sorted(set(AXES) - {'seed'}) + ['seeds', 'options']}")
    for k in ("n", "m", "d"):
        if k not in block:
            raise BlassoInputError(f"{where} must give the axis {k}")
    seeds = block.get("seeds", 1)
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        seeds = list(range(check_positive_int(seeds, name="seeds")))
    vals = {"seed": [check_seed(s, name="seeds") for s in _as_list(seeds, "seeds")]}
    for k in ("n", "m", "d", "M"):
        if k in block:
            vals[k] = [check_positive_int(v, name=k, minimum=2 if k == "d" else 1) for v in _as_list(block[k], k)]
    axis = {k: _as_list(block.get(k, v), k) for k, v in DEFAULTS.items()}
    vals["teacher"] = [check_choice(t, TEACHERS, name="teacher") for t in axis["teacher"]]
    vals["inputs"] = [check_choice(t, INPUTS, name="inputs") for t in axis["inputs"]]
    vals["basis"] = [check_choice(t, ("random", "canonical"), name="basis") for t in axis["basis"]]
    vals["noise"] = [check_nonneg(v, "noise") for v in axis["noise"]]
    vals["lam"] = [check_lam(v, allow_zero=True) for v in axis["lam"]]
    for k, v in vals.items():
        if len(set(v)) != len(v):
            raise BlassoInputError(f"axis {k} in {where} repeats a value: {v}")
    return vals


def _teacher_problem(teacher: str, m: int, d: int, basis: str) -> str | None:
    try:
        make_teacher(teacher, m, d, 0, basis=basis)
    except BlassoInputError as exc:
        return str(exc)
    return None


def _expand(block, kinds, base_options, where, skipped) -> list:
    vals = _axis_values(block, where)
    options = {**base_options, **_check_options(block.get("options", {}), f"{where} options")}
    names = [a for a in AXES if a in vals]
    problems: dict = {}
    out = []
    for kind in kinds:
        if kind in ("recover", "gd") and 0.0 in vals["lam"]:
            raise BlassoInputError(f"task {kind} needs lam > 0 (the BLASSO at lam); {where} has lam = 0")
        for combo in itertools.product(*(vals[a] for a in names)):
            p = dict(zip(names, combo))
            tk = (p["teacher"], p["m"], p["d"], p["basis"])
            if tk not in problems:
                problems[tk] = _teacher_problem(*tk)
                if problems[tk]:
                    skipped.append(f"teacher {tk[0]} m={tk[1]} d={tk[2]}: {problems[tk]}")
            if problems[tk]:
                continue
            params = {"task": kind, **p, "options": dict(sorted(options.items()))}
            out.append(Task(task_key(params), params))
    return out
