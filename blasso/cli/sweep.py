"""``blasso sweep run|status|export|report``: phase diagrams over (n, m, d, ...) with a resumable SQLite store."""

from __future__ import annotations

import os
from pathlib import Path

from blasso.validation import BlassoInputError

from ._common import OutputSpec, float_type, format_table, int_type

NAME = "sweep"
HELP = ("run a parameter sweep (TOML spec) into a resumable SQLite store on local processes or a Dask cluster; "
        "status, CSV export, phase-diagram report")

ACTIONS = ("run", "status", "export", "report")

#: ``--slurm`` options and their defaults.
SLURM_DEFAULTS = {"cores": 8, "memory": "16GB", "walltime": "04:00:00", "jobs": 1, "queue": None}


def add_arguments(p) -> None:
    p.add_argument("action", choices=ACTIONS, help="run SPEC | status | export --csv OUT | report --out DIR")
    p.add_argument("spec", nargs="?", metavar="SPEC.toml", help="run: the sweep spec")
    p.add_argument("--store", required=True, metavar="FILE.sqlite", help="the sweep store (created by run)")
    g = p.add_argument_group("run: where the tasks run (default: local processes, one per CPU)")
    g.add_argument("--workers", type=int_type(), default=None, help="local processes (default: CPU count)")
    g.add_argument("--serial", action="store_true", help="one task at a time")
    g.add_argument("--dask-local", type=int_type(), default=None, metavar="N",
                   help="start a Dask LocalCluster of N single-threaded workers (needs blasso[cluster])")
    g.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://host:8786")
    g.add_argument("--slurm", action="store_true", help="start Dask workers as Slurm jobs (dask-jobqueue)")
    g.add_argument("--cores", type=int_type(), default=None, help="--slurm: cores (= workers) per job (default 8)")
    g.add_argument("--memory", default=None, help="--slurm: memory per job (default 16GB)")
    g.add_argument("--walltime", default=None, help="--slurm: wall time per job (default 04:00:00)")
    g.add_argument("--jobs", type=int_type(), default=None, help="--slurm: number of jobs (default 1)")
    g.add_argument("--queue", default=None, help="--slurm: partition")
    g.add_argument("--retry-failed", action="store_true", help="run: also rerun the failed tasks")
    g.add_argument("--max-tasks", type=int_type(), default=None, metavar="K",
                   help="run: stop after K tasks (the smallest n first), e.g. to time a few; rerun to continue")
    r = p.add_argument_group("export / report")
    r.add_argument("--csv", metavar="OUT.csv", help="export: the flat table, one row per task (its folder must exist)")
    r.add_argument("--out", metavar="DIR", help="report: folder for tasks.csv, summary.json and the plots (created if missing; its"
                        " parent folder must exist)")
    r.add_argument("--x", default="n", help="report: horizontal axis of the phase diagrams (default n)")
    r.add_argument("--y", default="m", help="report: vertical axis of the phase diagrams (default m)")
    r.add_argument("--population-budget", type=float_type(minimum=0.0, strict=True), default=120.0,
                   help="report: seconds for each teacher's population certificate (default 120)")
    r.add_argument("--no-population", action="store_true", help="report: skip the population margin")


def _check(args) -> None:
    need = {"run": "spec", "export": "csv", "report": "out"}
    if args.action in need and not getattr(args, need[args.action]):
        raise BlassoInputError(f"sweep {args.action} needs "
                               + ("a SPEC.toml" if args.action == "run" else f"--{need[args.action]}"))
    if args.action != "run" and args.spec:
        raise BlassoInputError(f"sweep {args.action} takes no SPEC (got {args.spec!r})")
    if args.action == "run":
        chosen = [o for o, v in (("--workers", args.workers), ("--serial", args.serial or None),
                                 ("--dask-local", args.dask_local), ("--scheduler", args.scheduler),
                                 ("--slurm", args.slurm or None)) if v is not None]
        if len(chosen) > 1:
            raise BlassoInputError(f"give one executor; got {' and '.join(chosen)}")
        stray = [f"--{k}" for k in SLURM_DEFAULTS if getattr(args, k) is not None]
        if stray and not args.slurm:
            raise BlassoInputError(f"{' '.join(stray)} only apply with --slurm")
        if Path(args.store).expanduser().resolve() == Path(args.spec).expanduser().resolve():
            raise BlassoInputError(f"--store {args.store!r} is the SPEC; give another file")


def outputs(args) -> list:
    _check(args)
    if args.action == "export":
        return [OutputSpec("--csv", Path(args.csv))]   # check_output_path refuses devices and pipes
    if args.action == "report":
        from blasso.studies.sweep import Store
        from blasso.studies.sweep.report import report_files
        with Store(args.store, create=False) as st:
            members = tuple(report_files(st.rows(), x=args.x, y=args.y))
        return [OutputSpec("--out", Path(args.out), kind="dir", members=members)]
    return []


def _executor(args):
    from blasso.studies.sweep.executors import DaskExecutor, LocalExecutor, SerialExecutor

    if args.serial:
        return SerialExecutor()
    if args.dask_local is not None:
        return DaskExecutor(local=args.dask_local)
    if args.scheduler:
        return DaskExecutor(scheduler=args.scheduler)
    if args.slurm:
        opts = {k: v if getattr(args, k) is None else getattr(args, k) for k, v in SLURM_DEFAULTS.items()}
        return DaskExecutor(slurm=opts)
    return LocalExecutor(args.workers or os.cpu_count() or 1)


def _counts_line(counts: dict) -> str:
    return ", ".join(f"{v} {k}" for k, v in counts.items())


def _run(args, out) -> dict:
    from blasso.studies.sweep import Store, load_spec, run_sweep

    spec = load_spec(args.spec)
    ex = _executor(args)
    with Store(args.store) as st:
        res = run_sweep(spec, st, ex, retry_failed=args.retry_failed, max_tasks=args.max_tasks,
                        progress=out.progress)
    for s in res["skipped"]:
        out.info(f"skipped {s}")
    out.print(f"sweep {args.spec}: {res['planned']} tasks, ran {res['ran']} ({res['done']} done, {res['failed']} "
              f"failed) on {res['executor']} x {res['workers']} in {res['wall_s']:.1f} s; store: "
              f"{_counts_line(res['counts'])}")
    return {"action": "run", "store": str(args.store), "spec": str(args.spec), **res}


def _status(args, out) -> dict:
    from blasso.studies.sweep import Store, sweep_status

    with Store(args.store, create=False) as st:
        s = sweep_status(st)
    rows = [[k, *(c[s] for s in ("pending", "done", "failed"))] for k, c in sorted(s["by_task"].items())]
    out.print(format_table(rows, ["task", "pending", "done", "failed"]))
    eta = "-" if s["eta_s"] is None else f"{s['eta_s']:.0f} s"
    mean = "-" if s["mean_task_s"] is None else f"{s['mean_task_s']:.2f} s"
    out.print(f"{s['total']} tasks: {_counts_line(s['counts'])} ({s['timeouts']} timeouts); mean task {mean}; "
              f"ETA {eta} at {s['workers_last_run']} worker(s); {s['runs']} run(s), {s['run_wall_s']:.1f} s wall")
    other = [c for c in s["code"] if c != s["code_now"]]
    if other:
        out.info(f"warning: {len(other)} other source version(s) computed stored results ({', '.join(other)}; now "
                 f"{s['code_now']}): the keys follow the version only, use a fresh store to recompute")
    return {"action": "status", "store": str(args.store), **s}


def _export(args, out) -> dict:
    from blasso.studies.sweep import Store
    from blasso.studies.sweep.report import columns, flat_rows, write_csv

    with Store(args.store, create=False) as st:
        flat = flat_rows(st.rows())
    write_csv(flat, args.csv)
    out.wrote("csv", args.csv)
    out.print(f"wrote {len(flat)} rows to {args.csv}")
    return {"action": "export", "store": str(args.store), "csv": str(args.csv), "rows": len(flat),
            "columns": columns(flat)}


def _report(args, out) -> dict:
    from blasso.studies.sweep import Store, sweep_status
    from blasso.studies.sweep.report import write_report

    with Store(args.store, create=False) as st:
        rows, status = st.rows(), sweep_status(st)
    s = write_report(rows, args.out, x=args.x, y=args.y, population=not args.no_population,
                     population_budget=args.population_budget, status=status, progress=out.progress)
    for f in s["files"]:
        out.wrote("report", f)
    table = [[c["task"], ",".join(f"{k}={v}" for k, v in c["facet"].items()) or "-", c[args.x], c[args.y],
              c["seeds"], c["successes"], "-" if c["fraction"] is None else f"{c['fraction']:.2f}", c["failed"],
              " ".join(f"{k}:{v}" for k, v in sorted(c["verdicts"].items())) or "-"]
             for c in s["cells"]]
    out.print(format_table(table, ["task", "facet", args.x, args.y, "seeds", "successes", "fraction", "failed",
                                   "verdicts"]))
    for p in s["population"]:
        if p.get("far_margin") is not None:
            out.print(f"population {p['teacher']} m={p['m']} d={p['d']}: {p['verdict']}, far-field margin "
                      f"{p['far_margin']:.4f} (outside {p['far_radius_deg']:g} deg)")
    mean = "-" if status["mean_task_s"] is None else f"{status['mean_task_s']:.2f} s"
    out.print(f"{status['total']} tasks ({_counts_line(status['counts'])}), mean task {mean}, "
              f"{status['task_s_total']:.0f} task-seconds in {status['run_wall_s']:.0f} s wall over {status['runs']} run(s)")
    out.print(f"wrote {len(s['files'])} files to {args.out}")
    return {"action": "report", "store": str(args.store), "out": str(args.out), **s}


def run(args, out) -> dict:
    _check(args)
    figures = {"run": _run, "status": _status, "export": _export, "report": _report}[args.action](args, out)
    return {"figures": figures}
