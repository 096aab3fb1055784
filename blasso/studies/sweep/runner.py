"""Run one task in its own process under a wall-time budget: :func:`run_task`.

The task runs in a fresh interpreter (:mod:`.child`) started with
:mod:`subprocess`, not :mod:`multiprocessing`: it works inside daemonic
processes too (Dask workers are daemonic by default and may not start
multiprocessing children), the task's memory is returned to the system when
it ends, and a crash (segfault, out of memory) is a failed task, not a lost
worker.  Past ``time_budget + slack`` seconds the child's whole process group
is killed and the outcome is ``failed`` with ``timeout: ...``.

:func:`run_task` is what every executor calls, locally or on a Dask worker;
it returns a plain dict (the *outcome*) and never raises for a task's failure.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

__all__ = ["run_task", "timeout_of", "TIMEOUT_PREFIX"]

#: Start of the error text of a task killed at its budget.
TIMEOUT_PREFIX = "timeout"


def timeout_of(params: dict) -> tuple[float, float]:
    """``(time_budget, slack)`` of a task (defaults 60 s and 10 s)."""
    opts = params.get("options", {})
    return float(opts.get("time_budget", 60.0)), float(opts.get("slack", 10.0))


def _env(params: dict) -> dict:
    env = dict(os.environ)
    threads = str(params.get("options", {}).get("threads", 1))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = threads
    return env


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def run_task(key: str, params: dict, registry=None) -> dict:
    """Run one task in a child process; its outcome.

    Parameters
    ----------
    key : str
    params : dict
        Canonical parameters (``task``, axes, ``options``).
    registry : set, optional
        Running children are added while they run (the local executor kills
        them on Ctrl-C).

    Returns
    -------
    dict
        ``key``, ``status`` (``done`` / ``failed``), ``result`` (dict or None),
        ``error`` (str or None), ``wall_s``, ``host``, ``code`` (the worker's
        :func:`.keys.code_fingerprint`).
    """
    budget, slack = timeout_of(params)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "blasso.studies.sweep.child"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(params),
                            start_new_session=True, text=True)
    if registry is not None:
        registry.add(proc)
    try:
        out, err = proc.communicate(json.dumps(params), timeout=budget + slack)
    except subprocess.TimeoutExpired:
        _kill(proc)
        proc.communicate()
        return _outcome(key, "failed", None, f"{TIMEOUT_PREFIX}: killed after {budget + slack:g} s "
                        f"(time_budget {budget:g} s + slack {slack:g} s)", t0)
    except BaseException:
        _kill(proc)
        raise
    finally:
        if registry is not None:
            registry.discard(proc)
    try:
        msg = json.loads(out)
    except ValueError:
        tail = " | ".join(err.strip().splitlines()[-3:])
        return _outcome(key, "failed", None, f"the task's process exited with code {proc.returncode} "
                        f"without a result: {tail or 'no message'}", t0)
    if msg.get("ok"):
        return _outcome(key, "done", msg["result"], None, t0)
    return _outcome(key, "failed", None, msg.get("error") or "unknown error", t0)


def _outcome(key, status, result, error, t0) -> dict:
    from .keys import code_fingerprint

    return {"key": key, "status": status, "result": result, "error": error,
            "wall_s": time.perf_counter() - t0, "host": socket.gethostname(), "code": code_fingerprint()}
