"""Where the tasks run: serially, in local processes, or on a Dask cluster (local, remote, or Slurm).

Every executor yields the outcomes of :func:`.runner.run_task` as they
complete; the coordinator (:func:`.coordinator.run_sweep`) stores them.

* :class:`SerialExecutor` -- one task at a time.
* :class:`LocalExecutor` -- ``workers`` tasks at a time, each in its own
  process (a :class:`concurrent.futures.ThreadPoolExecutor` supervises the
  child processes: the work never shares an interpreter).
* :class:`DaskExecutor` -- a ``distributed.Client`` on a scheduler address,
  a ``LocalCluster`` of ``n`` single-threaded workers, or a
  ``dask_jobqueue.SLURMCluster`` (:func:`slurm_cluster`).  Dask is optional
  (``pip install 'blasso[cluster]'``).  The task still runs in a child process
  of the Dask worker (started with :mod:`subprocess`, which daemonic workers
  allow), so the per-task budget holds there too; a worker lost while
  running a task makes Dask retry it elsewhere, and a task that keeps killing
  workers is stored ``failed``.
"""

from __future__ import annotations

import concurrent.futures as cf
import uuid

from blasso.validation import BlassoInputError, check_positive_int

from .runner import _kill, run_task

__all__ = ["SerialExecutor", "LocalExecutor", "DaskExecutor", "slurm_cluster", "require_dask"]


class SerialExecutor:
    """Run the tasks one after the other."""

    name = "serial"
    workers = 1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def run(self, items):
        for key, params in items:
            yield run_task(key, params)


class LocalExecutor:
    """Run ``workers`` tasks at a time, each in its own process."""

    name = "processes"

    def __init__(self, workers: int):
        self.workers = check_positive_int(workers, name="--workers")
        self._children: set = set()
        self._pool = None

    def __enter__(self):
        self._pool = cf.ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="blasso-sweep")
        return self

    def __exit__(self, *exc):
        for proc in list(self._children):      # Ctrl-C or an error: no task outlives the sweep
            _kill(proc)
        self._pool.shutdown(wait=True, cancel_futures=True)
        return False

    def run(self, items):
        futures = [self._pool.submit(run_task, key, params, self._children) for key, params in items]
        for f in cf.as_completed(futures):
            yield f.result()


def require_dask():
    """Import ``distributed`` or say how to install it."""
    try:
        import distributed
    except ImportError:
        raise BlassoInputError("the Dask executors need the cluster extra: pip install 'blasso[cluster]'"
                               " (dask[distributed], dask-jobqueue)") from None
    return distributed


def slurm_cluster(*, cores: int, memory: str, walltime: str, queue: str | None = None, jobs: int = 1,
                  python: str | None = None, **kw):
    """A ``dask_jobqueue.SLURMCluster`` of ``jobs`` batch jobs with ``cores`` single-threaded workers each.

    Not scaled yet: call ``cluster.scale(jobs=jobs)`` (the executor does);
    ``cluster.job_script()`` is the script it would submit.
    """
    require_dask()
    try:
        from dask_jobqueue import SLURMCluster
    except ImportError:
        raise BlassoInputError("--slurm needs dask-jobqueue: pip install 'blasso[cluster]'") from None
    cores = check_positive_int(cores, name="--cores")
    check_positive_int(jobs, name="--jobs")
    extra = {"python": python} if python else {}
    return SLURMCluster(cores=cores, processes=cores, memory=memory, walltime=walltime, queue=queue,
                        **extra, **kw)


class DaskExecutor:
    """Run the tasks on a Dask cluster.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``).
    local : int, optional
        Start a ``LocalCluster`` of this many single-threaded workers.
    slurm : dict, optional
        Arguments of :func:`slurm_cluster` (``cores``, ``memory``, ``walltime``, ``queue``, ``jobs``).
    """

    def __init__(self, *, scheduler: str | None = None, local: int | None = None, slurm: dict | None = None):
        if sum(x is not None for x in (scheduler, local, slurm)) != 1:
            raise BlassoInputError("give exactly one of --scheduler, --dask-local, --slurm")
        self.scheduler, self.local, self.slurm = scheduler, local, slurm
        self.cluster = self.client = None
        self.name = "dask-scheduler" if scheduler else ("dask-local" if local else "dask-slurm")
        self.workers = local or (slurm["cores"] * slurm.get("jobs", 1) if slurm else 0)

    def __enter__(self):
        distributed = require_dask()
        if self.local is not None:
            self.cluster = distributed.LocalCluster(n_workers=check_positive_int(self.local, name="--dask-local"),
                                                    threads_per_worker=1, processes=True, dashboard_address=None,
                                                    memory_limit=0)
        elif self.slurm is not None:
            self.cluster = slurm_cluster(**self.slurm)
            self.cluster.scale(jobs=self.slurm.get("jobs", 1))
        try:
            self.client = distributed.Client(self.cluster if self.cluster is not None else self.scheduler,
                                             timeout="30s")
        except OSError as exc:
            self._close()
            raise BlassoInputError(f"cannot reach the Dask scheduler {self.scheduler or ''}: {exc}") from None
        if self.scheduler:
            self.workers = len(self.client.scheduler_info().get("workers", {}))
        return self

    def _close(self):
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __exit__(self, *exc):
        self._close()
        return False

    def run(self, items):
        from distributed import as_completed

        tag = uuid.uuid4().hex[:8]
        futures = {self.client.submit(run_task, key, params, pure=False, key=f"blasso-sweep-{key}-{tag}"): key
                   for key, params in items}
        try:
            for f in as_completed(list(futures)):
                try:
                    yield f.result()
                except Exception as exc:       # the worker died running it (KilledWorker) or Dask failed
                    yield {"key": futures[f], "status": "failed", "result": None, "wall_s": None, "host": None,
                           "error": f"dask: {type(exc).__name__}: {exc}"}
        finally:
            self.client.cancel(list(futures))
