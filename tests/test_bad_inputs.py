"""Bad inputs across the commands: exit 2, one line naming the offending value, no traceback.

The same cases generate ``docs/bad_inputs.md``; the test fails when the file
differs from what the commands print today.  Regenerate it with
``BLASSO_WRITE_DOCS=1 python -m pytest tests/test_bad_inputs.py``.
"""

import os
import re
import time
from pathlib import Path

import numpy as np
import pytest

from blasso.cli import main

DOC = Path(__file__).resolve().parents[1] / "docs" / "bad_inputs.md"
S = ["--n", "20", "--d", "2", "--m", "1"]          # a small generated instance

#: (command line after ``blasso``, text the one-line message must contain: the offending value)
CASES = [
    # ------------------------------------------------------------ make-instance
    (["make-instance", "--out", "new.npz", "--n", "0"], "'0'"),
    (["make-instance", "--out", "new.npz", "--n", "abc"], "'abc'"),
    (["make-instance", "--out", "new.npz", "--d", "0"], "'0'"),
    (["make-instance", "--out", "new.npz", "--m", "-2"], "'-2'"),
    (["make-instance", "--out", "new.npz", "--m", "7", "--d", "5"], "m = 7 > d = 5"),
    (["make-instance", "--out", "new.npz", "--seed", "-1"], "'-1'"),
    (["make-instance", "--out", "new.npz", "--seed", str(10**23)], str(10**23)),
    (["make-instance", "--out", "new.npz", "--noise", "-0.1"], "'-0.1'"),
    (["make-instance", "--out", "new.npz", "--noise", "nan"], "'nan'"),
    (["make-instance", "--out", "new.npz", "--lam", "-1"], "'-1'"),
    (["make-instance", "--out", "new.npz", "--teacher", "nobody"], "'nobody'"),
    (["make-instance", "--out", "new.npz", "--instance", "inst.npz"], "--instance inst.npz"),
    (["make-instance", "--out", "new.npz", "--d", "100000"], "d = 100,000"),
    (["make-instance", "--out", "inst.npz"], "'inst.npz' exists"),
    (["make-instance", "--out", "folder"], "'folder' is a folder"),
    (["make-instance", "--out", "folder.npz"], "'folder.npz' is a folder"),
    (["make-instance", "--out", "/proc/new.npz"], "'/proc'"),
    (["make-instance", "--out", "afile/new.npz"], "'afile' is a file"),
    (["make-instance"], "--out"),
    # -------------------------------------------------------------------- solve
    (["solve"] + S + ["--lam", "0"], "'0'"),
    (["solve"] + S + ["--lam", "nan"], "'nan'"),
    (["solve"] + S + ["--lam", "inf"], "'inf'"),
    (["solve"] + S + ["--grid-size", "0"], "'0'"),
    (["solve", "--grid-size", "1000000000000"], "1,000,000,000,000"),
    (["solve", "--d", "3", "--m", "2", "--grid-kind", "equiangular"], "d = 3"),
    (["solve"] + S + ["--grid-seed", "-5"], "'-5'"),
    (["solve"] + S + ["--solver", "MOSEK"], "'MOSEK'"),
    (["solve", "--instance", "missing.npz"], "'missing.npz'"),
    (["solve", "--instance", "garbage.npz"], "'garbage.npz'"),
    (["solve", "--instance", "pickled.npz"], "'pickled.npz'"),
    (["solve", "--instance", "nan_X.npz"], "'nan_X.npz'"),
    (["solve", "--instance", "short_y.npz"], "'short_y.npz'"),
    (["solve", "--instance", "no_y.npz"], "'y'"),
    (["solve", "--instance", "flat_X.npz"], "'flat_X.npz'"),
    (["solve", "--instance", "no_teacher.npz", "--oracle"], "--oracle"),
    (["solve", "--instance", "inst.npz", "--grid", "garbage.npy"], "'garbage.npy'"),
    (["solve", "--instance", "inst.npz", "--grid", "grid_d3.npy"], "grid_d3.npy"),
    (["solve", "--instance", "inst.npz", "--grid", "grid_long.npy"], "grid_long.npy"),
    (["solve", "--instance", "inst.npz", "--json", "inst.npz"], "'inst.npz' is the --instance input"),
    (["solve", "--instance", "inst.npz", "--grid", "grid.npy", "--json", "grid.npy"], "'grid.npy' is the --grid"),
    (["solve", "--instance", "inst.npz", "--json", "old.json"], "'old.json' exists"),
    (["solve", "--instance", "inst.npz", "--json", "folder"], "'folder' is a folder"),
    (["solve", "--instance", "inst.npz", "--json", "/proc/r.json"], "'/proc'"),
    (["solve", "--instance", "inst.npz", "--json", "nodir/r.json"], "folder 'nodir' does not exist"),
    (["solve", "--instance", "inst.npz", "--json", "afile/sub/r.json"], "'afile' is a file"),
    # ----------------------------------------------------------------------- gd
    (["gd"] + S + ["--M", "0"], "'0'"),
    (["gd"] + S + ["--alpha", "-1"], "'-1'"),
    (["gd"] + S + ["--alpha", "fast"], "'fast'"),
    (["gd"] + S + ["--iters", "-1"], "'-1'"),
    (["gd"] + S + ["--ftol", "-1e-9"], "'-1e-9'"),
    (["gd"] + S + ["--init-seed", "1e3"], "'1e3'"),
    (["gd"] + S + ["--penalty", "l3"], "'l3'"),
    (["gd"] + S + ["--step", "constant", "--alpha", "auto"], "--alpha auto"),
    (["gd", "--instance", "inst.npz", "--save", "old"], "'old.npz' exists"),
    (["gd", "--instance", "inst.npz", "--save", "x.npz", "--json", "x.npz"], "'x.npz' is also the --json"),
    # ------------------------------------------------------------------ compare
    (["compare"] + S + ["--merge-angle-deg", "-1"], "'-1'"),
    (["compare"] + S + ["--match-angle-deg", "270"], "'270'"),
    (["compare"] + S + ["--gap-rtol", "-0.1"], "'-0.1'"),
    (["compare"] + S + ["--sup-budget", "-1"], "'-1'"),
    (["compare"] + S + ["--refine-rounds", "-1"], "'-1'"),
    (["compare"] + S + ["--lam", "-1"], "'-1'"),
    # ------------------------------------------------------------------ certify
    (["certify"] + S + ["--tol", "-1"], "'-1'"),
    (["certify"] + S + ["--time-budget", "-5"], "'-5'"),
    (["certify"] + S + ["--time-budget", "0"], "'0'"),
    (["certify"] + S + ["--merge-angle-deg", "-0.5"], "'-0.5'"),
    (["certify"] + S + ["--merge-angle", "0.1"], "'0.1'"),
    (["certify"] + S + ["--lam", "-1"], "'-1'"),
    (["certify"] + S + ["--target", "bogus"], "'bogus'"),
    (["certify"] + S + ["--plot", "afile"], "'afile' is a file"),
    (["certify"] + S + ["--plot", "old_figs"], "'old_figs/margin_curve.png' exists"),
    (["certify"] + S + ["--plot", "nodir/figs"], "folder 'nodir' does not exist"),
    # -------------------------------------------------------------- assumptions
    (["assumptions", "--instance", "inst.npz", "--gd-trace", "old.json"], "'old.json': it is JSON"),
    (["assumptions", "--instance", "inst.npz", "--gd-trace", "pickled.npz"], "never unpickles"),
    (["assumptions", "--instance", "inst.npz", "--gd-trace", "run.pkl"], "'run.pkl'"),
    (["assumptions", "--instance", "inst.npz", "--gd-trace", "garbage.npz"], "'garbage.npz'"),
    (["assumptions", "--instance", "inst.npz", "--gd-trace", "missing.npz"], "'missing.npz'"),
    # --------------------------------------------------------------- memory
    (["solve", "--grid-size", "100000", "--max-memory", "2M"], "2.0 MiB of the --max-memory limit"),
    (["demo", "--max-memory", "1M"], "1.0 MiB of the --max-memory limit"),
    (["solve"] + S + ["--max-memory", "0"], "'0'"),
    (["reproduce", "fig1", "--out", "figs", "--max-memory", "12XB"], "'12XB'"),
    # --------------------------------------------------------- demo, reproduce
    (["demo", "--n-random", "0"], "'0'"),
    (["demo", "--time-budget", "nan"], "'nan'"),
    (["demo", "--seed", "1.5"], "'1.5'"),
    (["reproduce", "fig4", "--out", "figs"], "'fig4'"),
    (["reproduce", "fig1", "--out", "afile"], "'afile' is a file"),
    (["reproduce", "fig1", "--out", "figs", "--iters", "0"], "'0'"),
    (["reproduce", "fig1", "--out", "old_figs"], "'old_figs/fig1.png' exists"),
    (["reproduce", "fig1"], "--out"),
    (["reproduce", "fig1", "--out", "nodir/figs"], "folder 'nodir' does not exist"),
    # ------------------------------------------------------ exact, baseline, sweep
    (["certify", "--n", "40", "--d", "5", "--m", "2", "--lam", "1e-3", "--ground-truth", "exact"], "184342 cells"),
    (["solve", "--n", "40", "--d", "5", "--m", "2", "--lam", "1e-3", "--exact", "--ground-truth", "exact"], "184,342"),
    (["baseline", "nobody"], "'nobody'"),
    (["baseline", "tensor-init", "--n", "0"], "'0'"),
    (["baseline", "mild-overparam", "--k", "-1"], "'-1'"),
    (["baseline", "abs-teacher", "--noise", "nan"], "'nan'"),
    (["baseline", "abs-teacher", "--n", "100000000", "--max-memory", "2G"], "2.0 GiB of the --max-memory limit"),
    (["sweep", "run", "missing.toml", "--store", "s.sqlite"], "'missing.toml'"),
    (["sweep", "run", "bad.toml", "--store", "s.sqlite"], "'bad.toml': not valid TOML"),
    (["sweep", "run", "zero_n.toml", "--store", "s.sqlite"], "got 0"),
    (["sweep", "run", "badtask.toml", "--store", "s.sqlite"], "'fly'"),
    (["sweep", "run", "--store", "s.sqlite"], "SPEC.toml"),
    (["sweep", "status", "--store", "missing.sqlite"], "'missing.sqlite'"),
    (["sweep", "export", "--store", "missing.sqlite", "--csv", "/dev/null"], "/dev/null"),
    (["frobnicate"], "'frobnicate'"),
]


def _fixtures(d: Path) -> None:
    """The files the cases refer to (relative paths, so the messages do not depend on the machine)."""
    from blasso.instance import make_instance, save_instance
    inst = make_instance(teacher="paper", n=20, d=2, m=1, seed=0)
    save_instance(inst, d / "inst.npz")
    (d / "garbage.npz").write_bytes(b"this is not a zip file at all")
    np.savez(d / "pickled.npz", X=np.array([{"a": 1}], dtype=object), y=np.zeros(1))
    X = inst.X.copy()
    X[3, 0] = np.nan
    np.savez(d / "nan_X.npz", X=X, y=inst.y)
    np.savez(d / "short_y.npz", X=inst.X, y=inst.y[:-1])
    np.savez(d / "no_y.npz", X=inst.X)
    np.savez(d / "flat_X.npz", X=inst.X.ravel(), y=inst.y)
    np.savez(d / "no_teacher.npz", X=inst.X, y=inst.y)
    (d / "garbage.npy").write_bytes(b"\x00\x01garbage")
    np.save(d / "grid_d3.npy", np.eye(3))
    np.save(d / "grid_long.npy", 2.0 * np.eye(2))
    np.save(d / "grid.npy", np.eye(2))
    (d / "old.json").write_text("{}\n")
    import pickle
    (d / "run.pkl").write_bytes(pickle.dumps({"trace_F": [1.0, 0.5]}, protocol=4))
    (d / "old.npz").write_bytes(b"old")
    (d / "folder").mkdir()
    (d / "folder.npz").mkdir()
    (d / "afile").write_text("x")
    (d / "old_figs").mkdir()
    (d / "old_figs" / "fig1.png").write_bytes(b"png")
    (d / "old_figs" / "margin_curve.png").write_bytes(b"png")
    (d / "bad.toml").write_text('[sweep]\ntask = "certify"\n[grid\nn = 3\n')
    (d / "zero_n.toml").write_text('[sweep]\ntask = "certify"\n[grid]\nteacher = "paper"\nn = [0]\nm = 1\nd = 2\n'
                                   'seeds = 1\n')
    (d / "badtask.toml").write_text('[sweep]\ntask = "fly"\n[grid]\nn = [20]\nm = 1\nd = 2\nseeds = 1\n')


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    _fixtures(d)
    before = {str(p.relative_to(d)): (p.read_bytes() if p.is_file() else None) for p in d.rglob("*")}
    cwd = os.getcwd()
    os.chdir(d)
    try:
        out = []
        for argv, expect in CASES:
            import contextlib
            import io
            err = io.StringIO()
            t0 = time.perf_counter()
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                code = main(list(argv) + ["--quiet"] if argv[0] != "frobnicate" else list(argv))
            out.append((argv, expect, code, err.getvalue(), time.perf_counter() - t0))
    finally:
        os.chdir(cwd)
    after = {str(p.relative_to(d)): (p.read_bytes() if p.is_file() else None) for p in d.rglob("*")}
    return out, before, after


def test_at_least_40_cases():
    assert len(CASES) >= 40 and len({tuple(a) for a, _ in CASES}) == len(CASES)


@pytest.mark.parametrize("k", range(len(CASES)), ids=[" ".join(a)[:60] for a, _ in CASES])
def test_bad_input_exit_2_one_line_naming_the_value(results, k):
    argv, expect, code, err, wall = results[0][k]
    lines = err.strip().splitlines()
    assert code == 2, (argv, code, err)
    assert len(lines) == 1, err
    assert "Traceback" not in err and "allow_pickle" not in err
    assert expect in lines[0], (expect, lines[0])
    assert wall < 5.0, wall                       # refused up front, not after the work


def test_bad_inputs_change_no_file(results):
    _, before, after = results
    assert after == before                        # nothing created, nothing overwritten


def _stable(msg: str) -> str:
    """The message with the machine-dependent part (free memory now) replaced by a placeholder."""
    return re.sub(r"the [\d.]+ [KMGT]?i?B of available memory", "the <free> of available memory", msg)


def _table(results) -> str:
    lines = ["# Bad inputs and what they get", "",
             "Generated by `tests/test_bad_inputs.py` from the commands themselves (the test fails when this",
             "file is stale; `BLASSO_WRITE_DOCS=1 python -m pytest tests/test_bad_inputs.py` rewrites it).",
             "Every case exits with code 2, prints one line on stderr, writes no file and shows no traceback.",
             "Paths are relative to the folder the command runs in; `inst.npz` is a valid instance,",
             "`afile` a plain file, `folder` a directory, `/proc` a folder nobody can create files in;",
             "`<free>` stands for the memory available when the command ran.",
             "", f"{len(results)} cases.", "", "| # | command | exit | message |", "|---|---|---|---|"]
    for i, (argv, _, code, err, _) in enumerate(results, 1):
        msg = _stable(err.strip()).replace("|", "\\|")
        cmd = "blasso " + " ".join(argv)
        lines.append(f"| {i} | `{cmd}` | {code} | {msg} |")
    lines += ["", "Files used: `garbage.npz` (random bytes), `pickled.npz` (an object array), `nan_X.npz` (a NaN",
              "in X), `short_y.npz` (19 labels for 20 rows), `no_y.npz` (no `y`), `flat_X.npz` (X saved 1-D),",
              "`no_teacher.npz` (X, y only), `garbage.npy`, `grid_d3.npy` (3-D directions for d = 2),",
              "`grid_long.npy` (vectors of norm 2), `old.json` (a JSON file), `run.pkl` (a Python pickle);",
              "`nodir` does not exist.", ""]
    return "\n".join(lines)


def test_docs_table_is_current(results):
    text = _table(results[0])
    if os.environ.get("BLASSO_WRITE_DOCS"):
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(text)
    assert DOC.exists() and DOC.read_text() == text, (
        "docs/bad_inputs.md is stale: BLASSO_WRITE_DOCS=1 python -m pytest tests/test_bad_inputs.py")
