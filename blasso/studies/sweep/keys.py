"""Canonical task parameters, the task key and the seeds derived from it.

A task is a plain dict of parameters (``task``, the grid axes, ``options``).
Its canonical form is compact JSON with sorted keys (floats as Python's
shortest round-trip ``repr``), and its key is the SHA-256 of that text
together with the toolkit version: the same parameters under the same
version give the same key on any machine, and a new version computes anew.

Seeds come from the parameters, never from a clock or a counter: the data
seed hashes the *instance* parameters only (teacher, n, m, d, inputs, noise,
basis and the seed index), so every task kind sees the same sample at a grid
point; a task gives the same result wherever and whenever it runs.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from blasso import __version__

__all__ = ["INSTANCE_AXES", "EXECUTION_OPTIONS", "canonical", "task_key", "data_seed", "code_fingerprint"]

#: The parameters that define the sample (and hence its seed).
INSTANCE_AXES = ("teacher", "n", "m", "d", "inputs", "noise", "basis", "seed")

#: Options that change how a task runs, not what it computes (left out of the key).
EXECUTION_OPTIONS = ("threads", "slack", "max_memory")

_MAX_SEED = 2**63 - 1


def canonical(obj) -> str:
    """Compact, key-sorted JSON: the canonical text of a parameter dict."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def task_key(params: dict, version: str = __version__) -> str:
    """The key of a task: 32 hex digits of SHA-256 over its canonical parameters and ``version``.

    Execution-only options (:data:`EXECUTION_OPTIONS`) are left out.
    """
    p = dict(params)
    p["options"] = {k: v for k, v in p.get("options", {}).items() if k not in EXECUTION_OPTIONS}
    return _digest(canonical({"params": p, "version": version}))[:32]


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """12 hex digits of SHA-256 over the toolkit's Python sources (blasso, solvers, certificates).

    Not part of the key (the key follows the version, as the issue asks); stored with
    each result so that ``sweep status`` can say when results come from different code.
    """
    root = Path(__file__).resolve().parents[3]
    h = hashlib.sha256()
    for pkg in ("blasso", "solvers", "certificates"):
        for f in sorted((root / pkg).rglob("*.py")):
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


def data_seed(params: dict) -> int:
    """Seed of the task's instance: a hash of its instance parameters (:data:`INSTANCE_AXES`), in ``[0, 2**63)``."""
    sub = {k: params[k] for k in INSTANCE_AXES if k in params}
    return int(_digest(canonical({"instance": sub}))[:16], 16) & _MAX_SEED
