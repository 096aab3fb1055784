"""Parameter sweeps (``blasso sweep``): phase diagrams over (n, m, d, ...) with a resumable SQLite store.

Modules, one job each:

spec         the TOML spec and its expansion into tasks
keys         canonical parameters, task keys (with the toolkit version), seeds from the parameters
store        the SQLite store (WAL, one row per task, written by the coordinator only)
tasks        the task kinds (certify, recover, gd, assumptions) as pure functions
runner       one task in a child process under its time budget
executors    serial, local processes, Dask (scheduler, LocalCluster, Slurm via dask-jobqueue)
coordinator  plan, run what is missing, store as results arrive; status and ETA
report       flat table (CSV), phase-diagram heatmaps, margin-vs-n curves with the population margin
"""

from .coordinator import run_sweep, sweep_status
from .spec import SweepSpec, Task, load_spec, parse_spec
from .store import Store

__all__ = ["run_sweep", "sweep_status", "SweepSpec", "Task", "load_spec", "parse_spec", "Store"]
