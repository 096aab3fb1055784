"""blasso sweep: spec, keys, store, executors (serial = local processes = Dask), kill and resume, failures, report."""

import csv
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import numpy as np
import pytest

import blasso
from blasso.cli import main
from blasso.report import load_schema
from blasso.studies.sweep import Store, load_spec, parse_spec, run_sweep, sweep_status
from blasso.studies.sweep.executors import LocalExecutor, SerialExecutor
from blasso.studies.sweep.keys import data_seed, task_key
from blasso.studies.sweep.report import write_report
from blasso.studies.sweep.tasks import build_instance
from blasso.validation import BlassoInputError

TESTS = Path(__file__).resolve().parent
VALIDATOR = jsonschema.Draft202012Validator(load_schema())

#: 4 certify tasks, one task that raises, one over its budget (0.5 s + 0.3 s slack).
SPEC = """
[sweep]
task = "certify"

[[grid]]
n = [20, 30]
m = [1, 2]
d = 2
seeds = 1

[[grid]]
task = "_sweep_tasks:boom"
n = 20
m = 1
d = 2

[[grid]]
task = "_sweep_tasks:nap"
n = 20
m = 1
d = 2
options = { time_budget = 0.5, slack = 0.3 }

[options]
time_budget = 30
"""


@pytest.fixture(autouse=True)
def _planted_tasks_importable(monkeypatch):
    # the task processes (and Dask workers) import the planted kinds from tests/
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))


def _spec_file(tmp_path) -> Path:
    p = tmp_path / "spec.toml"
    p.write_text(SPEC)
    return p


def _table(path) -> dict:
    """{key: (status, error, result without wall times)} read with sqlite3 directly."""
    con = sqlite3.connect(str(path))
    rows = con.execute("SELECT key, status, error, result FROM tasks").fetchall()
    con.close()
    out = {}
    for key, status, error, result in rows:
        res = None if result is None else {k: v for k, v in json.loads(result).items() if not k.endswith("wall_s")}
        out[key] = (status, error, res)
    return out


@pytest.fixture(scope="module")
def serial_store(tmp_path_factory):
    d = tmp_path_factory.mktemp("serial")
    spec_path = d / "spec.toml"
    spec_path.write_text(SPEC)
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(TESTS), old or ""])
    try:
        with Store(d / "serial.sqlite") as st:
            res = run_sweep(load_spec(spec_path), st, SerialExecutor())
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH")
        else:
            os.environ["PYTHONPATH"] = old
    return d / "serial.sqlite", res


# ------------------------------------------------------------------ spec and keys
def test_contract_spec_expands_to_the_product_with_hash_keys():
    spec = parse_spec('[sweep]\ntask = "certify"\n[grid]\nteacher = ["paper"]\nn = [30, 60, 90]\nm = [1, 2]\n'
                      'd = [2, 3]\nseeds = 2\nlam = [0.0]\n[options]\ntime_budget = 60\n')
    assert len(spec.tasks) == 3 * 2 * 2 * 2 and len(set(spec.keys)) == 24
    t = spec.tasks[0]
    assert {t.params[a] for a in ("teacher", "n", "m", "d", "seed", "lam")} == {"paper", 30, 1, 2, 0, 0.0}
    # the key: SHA-256 of the sorted compact JSON of the parameters and the version (recomputed here)
    text = json.dumps({"params": t.params, "version": blasso.__version__}, sort_keys=True, separators=(",", ":"))
    assert t.key == hashlib.sha256(text.encode()).hexdigest()[:32]
    assert task_key(t.params, version="0.0.0") != t.key
    # execution-only options do not change the key
    assert task_key({**t.params, "options": {**t.params["options"], "threads": 4}}) == t.key


def test_blocks_union_skips_and_seeds_from_the_instance():
    spec = parse_spec('[sweep]\ntask = ["certify", "gd"]\n[[grid]]\nn = [100, 200]\nm = [1, 6]\nd = 5\nseeds = 3\n'
                      'lam = 1e-3\n[[grid]]\nn = 400\nm = 1\nd = 5\nseeds = [7]\nlam = 1e-3\n')
    # m = 6 > d = 5: the orthonormal paper teacher cannot be built, skipped (once, named)
    assert len(spec.tasks) == 2 * (2 * 1 * 3 + 1) and len(spec.skipped) == 1 and "m = 6 > d = 5" in spec.skipped[0]
    cert = [t for t in spec.tasks if t.params["task"] == "certify" and t.params["n"] == 100][0]
    gd = [t for t in spec.tasks if t.params["task"] == "gd" and t.params["n"] == 100 and
          t.params["seed"] == cert.params["seed"]][0]
    assert cert.key != gd.key and data_seed(cert.params) == data_seed(gd.params)
    a, b = build_instance(cert.params), build_instance(gd.params)
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)
    other = [t for t in spec.tasks if t.params["task"] == "certify" and t.params["n"] == 100 and
             t.params["seed"] != cert.params["seed"]][0]
    assert not np.array_equal(build_instance(other.params).X, a.X)


@pytest.mark.parametrize("text, words", [
    ('[sweep]\ntask = "certify"\n[grid]\nn = 10\nm = 1\nd = 2\nsigma = [1]\n', "unknown axis"),
    ('[sweep]\ntask = "certify"\n[grid]\nn = 10\nm = 1\n', "must give the axis d"),
    ('[sweep]\ntask = "recover"\n[grid]\nn = 10\nm = 1\nd = 2\n', "needs lam > 0"),
    ('[sweep]\ntask = "certfy"\n[grid]\nn = 10\nm = 1\nd = 2\n', "unknown task kind"),
    ('[sweep]\ntask = "certify"\n[grid]\nn = 10\nm = 1\nd = 2\n[options]\nbudget = 3\n', "unknown option"),
    ('[sweep]\ntask = "certify"\n[grid]\nn = [10, 10]\nm = 1\nd = 2\n', "repeats"),
    ('[sweep\n', "not valid TOML"),
])
def test_bad_specs_name_the_problem(text, words):
    with pytest.raises(BlassoInputError, match=words):
        parse_spec(text)


# ------------------------------------------------------- executors, failures, timeouts
def test_serial_run_stores_results_failures_and_timeouts(serial_store):
    path, res = serial_store
    assert res["planned"] == 6 and res["done"] == 4 and res["failed"] == 2
    table = _table(path)
    by_kind = {}
    with Store(path, create=False) as st:
        for r in st.rows():
            by_kind.setdefault(r["task"], []).append(r)
    (boom,), (nap,) = by_kind["_sweep_tasks:boom"], by_kind["_sweep_tasks:nap"]
    assert boom["status"] == "failed" and boom["error"] == "ValueError: planted failure at n = 20"
    assert nap["status"] == "failed" and nap["error"].startswith("timeout") and 0.75 < nap["wall_s"] < 10
    cert = by_kind["certify"]
    assert len(cert) == 4 and all(r["status"] == "done" for r in cert)
    # the stored certify figures are the verdict of check_conditions on the same instance, recomputed here
    from blasso.certificates.verdict import check_conditions
    r = cert[0]
    inst = build_instance(r["params"])
    ref = check_conditions(inst.X, inst.teacher_measure(), time_budget=24.0, rng=data_seed(r["params"]) % 2**32)
    assert r["result"]["verdict"] == ref.verdict and r["result"]["sup_hi"] == pytest.approx(ref.sup.hi, abs=1e-12)
    assert len(table) == 6


def test_two_local_workers_give_the_serial_store(serial_store, tmp_path):
    with Store(tmp_path / "local.sqlite") as st:
        res = run_sweep(load_spec(_spec_file(tmp_path)), st, LocalExecutor(2))
    assert res["workers"] == 2 and res["ran"] == 6
    assert _table(tmp_path / "local.sqlite") == _table(serial_store[0])


def test_dask_local_cluster_gives_the_serial_store(serial_store, tmp_path):
    pytest.importorskip("distributed", reason="Dask executors need the cluster extra (dask[distributed])")
    store = tmp_path / "dask.sqlite"
    code = main(["sweep", "run", str(_spec_file(tmp_path)), "--store", str(store), "--dask-local", "2", "--quiet",
                 "--json", str(tmp_path / "run.json")])
    assert code == 0
    rep = json.loads((tmp_path / "run.json").read_text())
    assert rep["figures"]["executor"] == "dask-local" and rep["figures"]["counts"] == {"pending": 0, "done": 4,
                                                                                     "failed": 2}
    # same keys, same results; the over-budget task was killed inside a daemonic Dask worker too
    assert _table(store) == _table(serial_store[0])


def test_remote_scheduler_address_and_max_tasks(tmp_path):
    distributed = pytest.importorskip("distributed", reason="Dask executors need the cluster extra")
    spec = tmp_path / "one.toml"
    spec.write_text('[sweep]\ntask = "certify"\n[grid]\nn = [20, 25]\nm = 1\nd = 2\n[options]\ntime_budget = 30\n')
    store = tmp_path / "remote.sqlite"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        argv = ["sweep", "run", str(spec), "--store", str(store), "--scheduler", cluster.scheduler_address,
                "--quiet", "--max-tasks", "1"]
        assert main(argv) == 0
        assert [v[0] for v in _table(store).values()].count("done") == 1        # stopped after one task
        assert main(argv[:-2]) == 0
    with Store(store, create=False) as st:
        assert st.counts() == {"pending": 0, "done": 2, "failed": 0}
        assert [r["executor"] for r in st.runs()] == ["dask-scheduler"] * 2


def test_coordinator_sigkilled_then_resumed_runs_each_task_once(serial_store, tmp_path):
    store = tmp_path / "killed.sqlite"
    cmd = [sys.executable, "-m", "blasso.cli", "sweep", "run", str(_spec_file(tmp_path)), "--store", str(store),
           "--workers", "2", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    done = 0
    while time.time() < deadline and proc.poll() is None:
        if store.exists():
            try:
                con = sqlite3.connect(str(store))
                done = con.execute("SELECT COUNT(*) FROM tasks WHERE status != 'pending'").fetchone()[0]
                con.close()
            except sqlite3.OperationalError:
                pass
        if done >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = _table(store)
    pending = [k for k, v in partial.items() if v[0] == "pending"]
    assert len(partial) == 6 and 2 <= 6 - len(pending) < 6       # killed part-way
    with Store(store, create=False) as st:
        s = sweep_status(st)
        walls = [r["wall_s"] for r in st.rows() if r["status"] == "done"]
    assert s["counts"]["pending"] == len(pending)
    if walls:
        assert s["eta_s"] == pytest.approx(len(pending) * np.mean(walls) / 2)
    assert main(["sweep", "run", str(_spec_file(tmp_path)), "--store", str(store), "--workers", "2", "--quiet"]) == 0
    assert _table(store) == _table(serial_store[0])
    con = sqlite3.connect(str(store))
    attempts = dict(con.execute("SELECT key, attempts FROM tasks").fetchall())
    con.close()
    assert len(attempts) == 6 and set(attempts.values()) == {1}      # every task stored exactly once
    # a third run computes nothing
    with Store(store) as st:
        assert run_sweep(load_spec(_spec_file(tmp_path)), st, SerialExecutor())["ran"] == 0


def test_retry_failed_reruns_only_failures(serial_store, tmp_path):
    store = tmp_path / "retry.sqlite"
    store.write_bytes(Path(serial_store[0]).read_bytes())
    spec = parse_spec(SPEC)
    spec.tasks = [t for t in spec.tasks if t.params["task"] != "_sweep_tasks:nap"]     # rerun the raising one only
    with Store(store) as st:
        res = run_sweep(spec, st, SerialExecutor(), retry_failed=True)
        rows = {r["task"]: r for r in st.rows()}
    assert res["ran"] == 1 and rows["_sweep_tasks:boom"]["attempts"] == 2
    assert rows["_sweep_tasks:nap"]["attempts"] == 1


# ------------------------------------------------------------------------ report
def test_report_fractions_equal_the_csv(serial_store, tmp_path):
    out = tmp_path / "rep"
    js = tmp_path / "report.json"
    assert main(["sweep", "report", "--store", str(serial_store[0]), "--out", str(out), "--quiet",
                 "--population-budget", "30", "--json", str(js)]) == 0
    rep = json.loads(js.read_text())
    assert not list(VALIDATOR.iter_errors(rep))
    summary = json.loads((out / "summary.json").read_text())
    with open(out / "tasks.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6 and {"teacher", "n", "m", "d", "seed", "lam", "status", "verdict", "sup_lo",
                               "sup_hi"} <= set(rows[0])
    cells = [c for c in summary["cells"] if c["task"] == "certify"]
    assert len(cells) == 4
    for c in cells:
        mine = [r for r in rows if r["task"] == "certify" and int(r["n"]) == c["n"] and int(r["m"]) == c["m"]
                and r["status"] == "done"]
        assert c["seeds"] == len(mine) == 1
        assert c["fraction"] == sum(r["certified"] == "True" for r in mine) / len(mine)
    failed = [c for c in summary["cells"] if c["task"].startswith("_sweep_tasks")]
    assert all(c["seeds"] == 0 and c["failed"] == 1 and c["fraction"] is None for c in failed)
    # the population margin of the paper teacher, m = 1, d = 2: 1 - sup |eta_V| outside 60 deg
    pop = {(p["m"], p["d"]): p for p in summary["population"]}
    assert pop[(1, 2)]["verdict"] == "certified" and 0 < pop[(1, 2)]["far_margin"] < 1
    assert (out / "phase_certify.png").stat().st_size > 1000 and (out / "margin_vs_n.png").exists()
    curves = summary["margin_curves"]
    med = {(c["m"], p["n"]): p["median_margin"] for c in curves for p in c["points"]}
    for r in rows:
        if r["task"] == "certify":
            assert med[(int(r["m"]), int(r["n"]))] == pytest.approx(float(r["margin"]))


def test_status_and_export_commands(serial_store, tmp_path):
    js = tmp_path / "status.json"
    assert main(["sweep", "status", "--store", str(serial_store[0]), "--quiet", "--json", str(js)]) == 0
    rep = json.loads(js.read_text())
    assert not list(VALIDATOR.iter_errors(rep))
    f = rep["figures"]
    assert f["counts"] == {"pending": 0, "done": 4, "failed": 2} and f["timeouts"] == 1 and f["eta_s"] == 0
    csv_path = tmp_path / "t.csv"
    assert main(["sweep", "export", "--store", str(serial_store[0]), "--csv", str(csv_path), "--quiet"]) == 0
    assert main(["sweep", "export", "--store", str(serial_store[0]), "--csv", str(csv_path), "--quiet"]) == 2
    with open(csv_path, newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 6


@pytest.mark.parametrize("argv", [
    ["sweep", "run", "--store", "x.sqlite"],
    ["sweep", "status", "--store", "/nonexistent/none.sqlite"],
    ["sweep", "export", "--store", "x.sqlite"],
    ["sweep", "run", "spec.toml", "--store", "x.sqlite", "--workers", "2", "--dask-local", "2"],
    ["sweep", "run", "spec.toml", "--store", "spec.toml"],
    ["sweep", "status", "spec.toml", "--store", "x.sqlite"],
    ["sweep", "export", "--store", "x.sqlite", "--csv", "/dev/null", "--force"],      # never replace a device
    ["sweep", "run", "spec.toml", "--store", "x.sqlite", "--cores", "4"],             # a Slurm option without --slurm
])
def test_bad_command_lines_exit_2(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.toml").write_text(SPEC)
    assert main(argv + ["--quiet"]) == 2


# ------------------------------------------------------------------------- Slurm
def test_slurm_job_script_without_slurm():
    pytest.importorskip("dask_jobqueue", reason="--slurm needs the cluster extra (dask-jobqueue)")
    from blasso.studies.sweep.executors import slurm_cluster
    cluster = slurm_cluster(cores=4, memory="8GB", walltime="01:30:00", queue="short", jobs=3)
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    assert "#SBATCH -p short" in script and "#SBATCH -t 01:30:00" in script
    assert "#SBATCH --cpus-per-task=4" in script and "--nworkers 4" in script and "--nthreads 1" in script
    assert sys.executable in script
    # the command line maps onto those arguments (defaults filled in)
    from blasso.cli import build_parser
    from blasso.cli import sweep as sweep_cli
    parser, _ = build_parser()
    args = parser.parse_args(["sweep", "run", "s.toml", "--store", "s.sqlite", "--slurm", "--cores", "16", "--jobs", "8",
                              "--queue", "normal"])
    ex = sweep_cli._executor(args)
    assert ex.slurm == {"cores": 16, "memory": "16GB", "walltime": "04:00:00", "jobs": 8, "queue": "normal"}
    assert ex.workers == 16 * 8


def test_max_memory_refuses_a_task_before_it_allocates(tmp_path):
    spec = parse_spec('[sweep]\ntask = "certify"\n[grid]\nn = 20\nm = 1\nd = 2\n[options]\nmax_memory = "1K"\n')
    assert spec.tasks[0].key == parse_spec('[sweep]\ntask = "certify"\n[grid]\nn = 20\nm = 1\nd = 2\n').tasks[0].key
    with Store(tmp_path / "mem.sqlite") as st:
        run_sweep(spec, st, SerialExecutor())
        (row,) = st.rows()
    # the instance needs 8 * (3 n d + 3 d^2 + m d + 2 n) = 1392 bytes > 1 KiB
    assert row["status"] == "failed" and "BlassoInputError" in row["error"] and "1.4 KiB" in row["error"]


def test_a_second_coordinator_is_refused(tmp_path):
    spec = parse_spec('[sweep]\ntask = "certify"\n[grid]\nn = 20\nm = 1\nd = 2\n')
    with Store(tmp_path / "s.sqlite") as first, first.coordinator():
        with Store(tmp_path / "s.sqlite") as second, pytest.raises(BlassoInputError, match="another 'sweep run'"):
            run_sweep(spec, second, SerialExecutor())
    with Store(tmp_path / "s.sqlite") as again:                 # released: runs
        assert run_sweep(spec, again, SerialExecutor())["done"] == 1


# -------------------------------------------------------------- the other task kinds
def _params(kind, **kw):
    spec = parse_spec(f'[sweep]\ntask = "{kind}"\n[grid]\nn = 40\nm = 1\nd = 2\nlam = 1e-2\n'
                      '[options]\ntime_budget = 20\ngrid_size = 400\nM = 4\niters = 3000\n')
    return spec.tasks[0].params


def test_recover_gd_and_assumptions_tasks():
    from blasso.studies.sweep.tasks import run_kind
    from blasso.studies.theory import theory_lam

    p = _params("recover")
    r = run_kind(p)
    inst = build_instance(p)
    # weak duality brackets J*, and the teacher (zero residual) bounds it: J <= lam TV(teacher)
    assert r["J_lower"] <= r["J"] * (1 + 1e-9) and r["J"] <= 1e-2 * inst.teacher_measure().tv * (1 + 1e-12)
    row = theory_lam(inst, lams=[1e-2], grid_size=400, sup_budget=10.0, seed=data_seed(p) % 2**32).rows[0]
    assert (r["n_atoms"], r["n_matched"]) == (row["n_atoms"], row["n_matched"])
    assert r["err_r2"] == pytest.approx(row["err_r2"], rel=1e-6, abs=1e-12)
    assert r["recovered"] == (r["n_atoms"] == r["n_matched"] == 1 and r["spurious_mass"] == 0
                              and r["bracket_rel"] <= 1e-4)
    g = run_kind(_params("gd"))
    assert g["M"] == 4 and g["objective_gap_upper"] >= -1e-12 and g["reached"] == (g["verdict"] == "same-measure")
    a = run_kind(_params("assumptions"))
    assert a["status_4.7"] == "holds" and a["status_3.2"] == "holds"      # unit inputs; orthonormal teacher
    assert a["status_4.6"] == "inconclusive"                                # no GD trace given
    assert a["all_hold"] == all(v == "holds" for k, v in a.items() if k.startswith("status_") and k != "status_4.6")


def test_status_names_the_source_versions(serial_store, tmp_path):
    from blasso.studies.sweep.keys import code_fingerprint
    store = tmp_path / "old.sqlite"
    store.write_bytes(Path(serial_store[0]).read_bytes())
    con = sqlite3.connect(str(store))
    with con:
        con.execute("UPDATE tasks SET code = 'feedfacecafe' WHERE rowid = 1")
    con.close()
    with Store(store, create=False) as st:
        s = sweep_status(st)
    assert s["code_now"] == code_fingerprint() and s["code"] == sorted({"feedfacecafe", code_fingerprint()})


def _running(pid: str) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def test_ctrl_c_stops_the_sweep_and_its_task_processes(tmp_path):
    spec = tmp_path / "nap.toml"
    spec.write_text('[sweep]\ntask = "_sweep_tasks:nap"\n[grid]\nn = 20\nm = 1\nd = 2\n[options]\ntime_budget = 30\n')
    store = tmp_path / "nap.sqlite"
    proc = subprocess.Popen([sys.executable, "-m", "blasso.cli", "sweep", "run", str(spec), "--store", str(store),
                             "--workers", "1", "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    kids = []
    deadline = time.time() + 30
    while not kids and time.time() < deadline:      # wait for the task's process
        time.sleep(0.1)
        kids = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 130 and kids
    time.sleep(0.3)
    assert not [k for k in kids if _running(k)]
    assert [v[0] for v in _table(store).values()] == ["pending"]       # runs again next time
