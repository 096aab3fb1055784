"""Files are never lost: outputs checked before the work, --force, atomic writes, Ctrl-C and SIGKILL."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from blasso.cli import main
from blasso.report import atomic_output, check_output_path, write_json_atomic
from blasso.validation import BlassoInputError

SMALL = ["--n", "20", "--d", "2", "--m", "1", "--grid-size", "60", "--quiet"]


def _unwritable_dir(tmp_path) -> Path:
    """A folder nobody can create files in (root ignores permission bits: use /sys then)."""
    if os.geteuid() != 0:
        d = tmp_path / "ro"
        d.mkdir()
        d.chmod(0o500)
        return d
    try:
        fd, p = tempfile.mkstemp(dir="/sys")
    except OSError:
        return Path("/sys")
    os.close(fd)
    os.unlink(p)
    pytest.skip("no unwritable folder available")


@pytest.fixture()
def inst(tmp_path):
    path = tmp_path / "inst.npz"
    assert main(["make-instance", "--n", "20", "--d", "2", "--m", "1", "--out", str(path), "--quiet"]) == 0
    return path


def test_json_onto_the_instance_is_refused_and_the_instance_is_unchanged(inst, capsys):
    before = inst.read_bytes()
    for force in ([], ["--force"]):
        assert main(["solve", "--instance", str(inst), "--json", str(inst), "--quiet"] + force) == 2
        err = capsys.readouterr().err
        assert "is the --instance input" in err and str(inst) in err and len(err.strip().splitlines()) == 1
    assert inst.read_bytes() == before
    # the same file reached through another spelling of its path
    other = inst.parent / ".." / inst.parent.name / inst.name
    assert main(["solve", "--instance", str(inst), "--json", str(other), "--quiet"]) == 2
    assert inst.read_bytes() == before


def test_output_onto_input_grid_and_two_outputs_on_one_path(inst, tmp_path, capsys):
    import numpy as np
    grid = tmp_path / "g.npy"
    np.save(grid, np.array([[1.0, 0.0], [0.0, 1.0]]))
    assert main(["solve", "--instance", str(inst), "--grid", str(grid), "--json", str(grid), "--quiet"]) == 2
    assert "is the --grid input" in capsys.readouterr().err
    out = tmp_path / "x.npz"
    assert main(["gd", "--instance", str(inst), "--save", str(out), "--json", str(out), "--quiet"]) == 2
    assert "also the --json output" in capsys.readouterr().err and not out.exists()


def test_existing_outputs_need_force(inst, tmp_path, capsys):
    before = inst.read_bytes()
    assert main(["make-instance", "--n", "30", "--d", "2", "--m", "1", "--out", str(inst), "--quiet"]) == 2
    assert "exists; add --force" in capsys.readouterr().err and inst.read_bytes() == before
    assert main(["make-instance", "--n", "30", "--d", "2", "--m", "1", "--out", str(inst), "--quiet",
                 "--force"]) == 0
    from blasso import load_instance
    assert load_instance(inst).n == 30
    run = tmp_path / "run.npz"
    run.write_bytes(b"keep me")
    assert main(["gd", "--instance", str(inst), "--M", "4", "--iters", "10", "--alpha", "1", "--save",
                 str(tmp_path / "run"), "--quiet"]) == 2          # 'run' means run.npz, which exists
    assert run.read_bytes() == b"keep me"


def test_printed_path_is_the_written_path(inst, tmp_path, capsys):
    target = tmp_path / "out" / "x"
    target.parent.mkdir()                 # a file output's folder must exist (blasso creates none)
    assert main(["gd", "--instance", str(inst), "--M", "4", "--iters", "10", "--alpha", "1",
                 "--save", str(target)]) == 0
    err = capsys.readouterr().err
    assert f"to {target}.npz" in err and Path(f"{target}.npz").is_file() and not target.exists()
    assert main(["make-instance", "--n", "20", "--d", "2", "--m", "1", "--out", str(tmp_path / "y")]) == 0
    assert f"wrote {tmp_path / 'y.npz'}:" in capsys.readouterr().out


def test_directory_or_file_where_the_other_is_meant(inst, tmp_path, capsys):
    assert main(["solve", "--instance", str(inst), "--json", str(tmp_path), "--quiet"]) == 2
    assert "is a folder; give a file name" in capsys.readouterr().err
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["certify", "--instance", str(inst), "--plot", str(afile), "--quiet"]) == 2
    assert "is a file; give a folder" in capsys.readouterr().err
    assert main(["solve", "--instance", str(inst), "--json", str(afile / "r.json"), "--quiet"]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert afile.read_text() == "x"


def test_unwritable_output_fails_fast_before_any_solve(tmp_path, capsys):
    ro = _unwritable_dir(tmp_path)
    t0 = time.perf_counter()
    code = main(["solve", "--solver", "fast", "--grid-size", "1000000", "--grid-kind", "random",
                 "--json", str(ro / "r.json")])
    dt = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert code == 2 and dt < 1.0, (code, dt)
    assert "cannot write in folder" in err and "solving" not in err
    t0 = time.perf_counter()
    assert main(["reproduce", "all", "--out", str(ro / "figs")]) == 2
    assert time.perf_counter() - t0 < 1.0


def test_certify_plot_never_leaves_an_empty_folder(inst, tmp_path, monkeypatch, capsys):
    import blasso.certificates.plot as cplot

    monkeypatch.setattr(cplot, "report_figures", lambda rep, X: {})     # what CertifyResult.figures() draws
    plots = tmp_path / "plots"
    assert main(["certify", "--instance", str(inst), "--grid-size", "60", "--time-budget", "2",
                 "--plot", str(plots)]) == 0
    err = capsys.readouterr().err
    assert not plots.exists() and "plots: none" in err and "plots: \n" not in err


def test_keyboard_interrupt_gives_status_interrupted_and_exit_130(inst, tmp_path, monkeypatch, capsys):
    import blasso.studies.train as study_train      # what blasso.gd (and so the command) calls

    report = tmp_path / "r.json"
    report.write_text('{"old": true}\n')
    save = tmp_path / "run.npz"
    save.write_bytes(b"old run")

    def interrupt(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(study_train, "train_network", interrupt)
    code = main(["gd", "--instance", str(inst), "--save", str(save), "--json", str(report), "--force", "--quiet"])
    assert code == 130 and "interrupted" in capsys.readouterr().err
    rep = json.loads(report.read_text())
    assert rep["status"] == "interrupted" and rep["error"]["kind"] == "interrupted"
    assert save.read_bytes() == b"old run"                  # never half-written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inst.npz", "r.json", "run.npz"]


def test_atomic_output_leaves_the_old_file_on_any_exception(tmp_path):
    target = tmp_path / "r.json"
    target.write_text("previous\n")
    with pytest.raises(KeyboardInterrupt):
        with atomic_output(target) as tmp:
            tmp.write_text("half of a new rep")
            raise KeyboardInterrupt
    assert target.read_text() == "previous\n" and os.listdir(tmp_path) == ["r.json"]
    write_json_atomic(target, {"a": float("nan")})
    assert json.loads(target.read_text()) == {"a": None}
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def test_library_writers_never_create_a_folder(tmp_path):
    """The atomic writers and save_instance refuse a missing folder and leave nothing behind."""
    from blasso import make_instance
    from blasso.instance import load_instance, save_instance

    inst = make_instance(teacher="paper", n=12, d=3, m=2, seed=0)
    for write in (lambda p: write_json_atomic(p / "r.json", {"a": 1}), lambda p: save_instance(inst, p / "i.npz")):
        with pytest.raises(BlassoInputError, match="does not exist"):
            write(tmp_path / "missing" / "deeper")
        assert os.listdir(tmp_path) == []
    back = load_instance(save_instance(inst, tmp_path / "i.npz"))
    assert os.listdir(tmp_path) == ["i.npz"] and (back.X == inst.X).all() and (back.y == inst.y).all()


def _umask():
    m = os.umask(0o022)
    os.umask(m)
    return m


def test_check_output_path_messages(tmp_path):
    with pytest.raises(BlassoInputError, match="needs a path"):
        check_output_path("", option="--json")
    with pytest.raises(BlassoInputError, match="folder .*deeper' does not exist"):   # no folder is ever created
        check_output_path(tmp_path / "new" / "deeper" / "r.json", option="--json")
    assert check_output_path(tmp_path / "r.json", option="--json").name == "r.json"
    assert not (tmp_path / "new").exists()              # checking creates nothing


SLOW_WRITER = textwrap.dedent("""
    import pathlib, sys, time
    flag = sys.argv[1]
    real = pathlib.Path.write_text
    def slow(self, text, *a, **k):
        if ".tmp" not in self.name:
            return real(self, text, *a, **k)
        with open(self, "w") as f:              # half the report, then stall
            f.write(text[: len(text) // 2])
            f.flush()
            open(flag, "w").close()
            time.sleep(60)
            f.write(text[len(text) // 2:])
    pathlib.Path.write_text = slow
    from blasso.cli import main
    sys.exit(main(sys.argv[2:]))
""")


def test_sigkill_mid_write_leaves_the_previous_report_byte_identical(tmp_path):
    report = tmp_path / "r.json"
    assert main(["make-instance", "--n", "20", "--d", "2", "--m", "1", "--out", str(tmp_path / "a.npz"),
                 "--json", str(report), "--quiet"]) == 0
    before = report.read_bytes()
    flag = tmp_path / "flag"
    proc = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(flag), "make-instance", "--n", "25", "--d", "2",
                             "--m", "1", "--out", str(tmp_path / "b.npz"), "--json", str(report), "--force",
                             "--quiet"])
    try:
        deadline = time.time() + 60
        while not flag.exists():
            assert proc.poll() is None and time.time() < deadline, "writer never started"
            time.sleep(0.05)
        partial = [p for p in tmp_path.iterdir() if p.name.startswith(".r.json.")]
        assert partial and 0 < partial[0].stat().st_size       # the new report is half on disk
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert report.read_bytes() == before


def test_sigint_in_a_real_run_writes_an_interrupted_report(tmp_path):
    report = tmp_path / "r.json"
    proc = subprocess.Popen([sys.executable, "-m", "blasso.cli", "gd", "--n", "30", "--d", "3", "--m", "2", "--M",
                             "20", "--alpha", "1", "--iters", "100000000", "--json", str(report)],
                            stderr=subprocess.PIPE, text=True,
                            # a runner started in the background ignores SIGINT, and its children inherit that
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        for line in proc.stderr:                     # messages go to stderr (not a terminal: no bars)
            if "Algorithm 1: M=20" in line:
                break
        else:
            pytest.fail(f"gd never started (exit {proc.wait()})")
        time.sleep(0.3)
        t0 = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        proc.wait(20)
        dt = time.perf_counter() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
    # about a second alone; 5 s leaves room for a loaded machine and still tells "stopped" from "ran on"
    assert proc.returncode == 130 and dt < 5.0, (proc.returncode, dt)
    rep = json.loads(report.read_text())
    assert rep["status"] == "interrupted" and rep["command"] == "gd"


def test_a_device_or_pipe_is_refused_even_with_force(tmp_path):
    # an atomic write renames a new file onto the path: /dev/null itself would be replaced
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for target in (os.devnull, fifo):
        with pytest.raises(BlassoInputError, match="not a regular file"):
            check_output_path(target, option="--json", force=True)
    assert Path(os.devnull).is_char_device()


def test_closed_stdout_pipe_exits_141_without_traceback(tmp_path):
    # the reader is gone before the command prints: EPIPE must end it quietly, not with a traceback
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from blasso.cli import main; sys.exit(main())",
                             "make-instance", "--n", "20", "--d", "2", "--m", "1", "--out", str(tmp_path / "i.npz")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141, err
    assert "Traceback" not in err and "BrokenPipeError" not in err
