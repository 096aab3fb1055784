"""The coordinator: plan the spec's tasks into the store, run what is missing, store each outcome.

Only this process writes the store.  Re-running a spec computes only the
tasks still ``pending`` (and ``failed`` ones with ``retry_failed``); a run
killed at any moment leaves the tasks in flight ``pending``.
"""

from __future__ import annotations

import time

from blasso.progress import as_progress
from blasso.validation import check_positive_int

from .keys import code_fingerprint
from .spec import SweepSpec
from .store import Store

__all__ = ["run_sweep", "sweep_status"]


def run_sweep(spec: SweepSpec, store: Store, executor, *, retry_failed: bool = False, max_tasks: int | None = None,
              progress=None) -> dict:
    """Run the spec's missing tasks on ``executor`` (a context manager of :mod:`.executors`).

    ``max_tasks`` runs at most that many of them (in grid order: the smallest n first),
    e.g. to time a few before a long sweep (``sweep status`` then gives the ETA).

    Returns
    -------
    dict
        ``planned`` (tasks of the spec), ``new`` (added to the store now),
        ``ran``, ``done``, ``failed`` (of this run), ``wall_s``, ``executor``, ``workers``
        and the store's ``counts`` afterwards.
    """
    with store.coordinator():
        return _run(spec, store, executor, retry_failed, max_tasks, as_progress(progress))


def _run(spec: SweepSpec, store: Store, executor, retry_failed: bool, max_tasks, say) -> dict:
    t0 = time.perf_counter()
    new = store.add(spec.tasks)
    todo = store.todo(spec.keys, retry_failed=retry_failed)
    if max_tasks is not None:
        todo = todo[:check_positive_int(max_tasks, name="max_tasks")]
    by_key = {t.key: t.params for t in spec.tasks}
    say(f"sweep: {len(spec.tasks)} tasks in the spec ({new} new), {len(todo)} to run"
        + (f"; skipped {len(spec.skipped)} teacher combination(s)" if spec.skipped else ""))
    done = failed = 0
    if todo:
        with executor as ex:
            run_id = store.start_run(ex.name, ex.workers, len(todo))
            say(f"sweep: {ex.name} with {ex.workers} worker(s)")
            for outcome in ex.run([(k, by_key[k]) for k in todo]):
                store.record(outcome)
                if outcome["status"] == "done":
                    done += 1
                else:
                    failed += 1
                store.progress_run(run_id, done + failed)
                say("sweep tasks", done + failed, len(todo))
            store.finish_run(run_id, done + failed)
    return {"planned": len(spec.tasks), "new": new, "ran": done + failed, "done": done, "failed": failed,
            "skipped": spec.skipped, "executor": getattr(executor, "name", None),
            "workers": getattr(executor, "workers", None), "wall_s": time.perf_counter() - t0,
            "counts": store.counts()}


def sweep_status(store: Store) -> dict:
    """Counts by status, by task kind, the total wall time and an ETA for the pending tasks.

    The ETA is ``pending * mean wall time of the done tasks / workers of the last run``
    (``None`` before any task finished).  ``code`` lists the source fingerprints the
    stored results were computed with, ``code_now`` the current one: results of a
    changed toolkit under the same version keep their keys, so say so.
    """
    counts = store.counts()
    rows = store.rows()
    walls = [r["wall_s"] for r in rows if r["status"] == "done" and r["wall_s"] is not None]
    runs = store.runs()
    workers = max(1, int(runs[-1]["workers"] or 1)) if runs else 1
    mean = sum(walls) / len(walls) if walls else None
    by_kind: dict = {}
    for r in rows:
        by_kind.setdefault(r["task"], dict.fromkeys(counts, 0))[r["status"]] += 1
    timeouts = sum(1 for r in rows if r["status"] == "failed" and (r["error"] or "").startswith("timeout"))
    run_wall = sum((r["finished"] or r["started"]) - r["started"] for r in runs)
    codes = sorted({r["code"] or "unknown" for r in rows if r["status"] != "pending"})
    return {"counts": counts, "total": sum(counts.values()), "by_task": by_kind, "timeouts": timeouts,
            "mean_task_s": mean, "task_s_total": sum(walls), "workers_last_run": workers,
            "eta_s": None if mean is None else counts["pending"] * mean / workers,
            "runs": len(runs), "run_wall_s": run_wall, "code": codes, "code_now": code_fingerprint()}
