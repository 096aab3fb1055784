"""The report contract: every command's JSON validates against the shipped schema and loads back as Measures."""

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest

import blasso
from blasso.cli import main
from blasso.instance import load_instance
from blasso.measure import Measure
from blasso.objective import blasso_objective
from blasso.report import SCHEMA_PATH, load_report, load_schema, sha256_file

VALIDATOR = jsonschema.Draft202012Validator(load_schema())
COMMANDS = ["make-instance", "solve", "demo", "gd", "compare", "reproduce", "certify", "assumptions", "theory", "sweep",
            "baseline"]


def _valid(path):
    rep = json.loads(path.read_text())
    errors = sorted(VALIDATOR.iter_errors(rep), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    return rep


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Each command once, tiny sizes; returns {command: (json path, folder)}."""
    d = tmp_path_factory.mktemp("reports")
    inst = d / "inst.npz"
    argvs = {
        "make-instance": ["make-instance", "--teacher", "mixed-signs", "--n", "40", "--d", "2", "--m", "2",
                          "--seed", "3", "--lam", "0.01", "--out", str(inst)],
        "solve": ["solve", "--instance", str(inst), "--grid-size", "120"],
        "gd": ["gd", "--instance", str(inst), "--M", "6", "--iters", "400", "--alpha", "0.5",
               "--save", str(d / "run")],
        "compare": ["compare", "--instance", str(inst), "--M", "8", "--iters", "2000", "--grid-size", "180",
                    "--refine-rounds", "1"],
        "certify": ["certify", "--instance", str(inst), "--grid-size", "150", "--time-budget", "2"],
        "demo": ["demo", "--grid-size", "300", "--n-random", "500", "--time-budget", "2"],
        "reproduce": ["reproduce", "fig1", "--out", str(d / "figs"), "--iters", "300", "--grid-size", "150",
                      "--alpha", "0.5"],
        "assumptions": ["assumptions", "--instance", str(inst), "--time-budget", "2"],
        "baseline": ["baseline", "abs-teacher", "--n", "40", "--d", "3", "--m", "2", "--iters", "200",
                     "--alg1-iters", "200", "--grid-size", "150", "--refine-rounds", "1"],
        "theory": ["theory", "gd-rate", "--instance", str(inst), "--M", "4", "--iters", "3000", "--grid-size", "200",
                   "--time-budget", "2"],
        "sweep": ["sweep", "run", str(d / "sweep.toml"), "--store", str(d / "sweep.sqlite"), "--serial"],
    }
    (d / "sweep.toml").write_text('[sweep]\ntask = "certify"\n[grid]\nn = 20\nm = 1\nd = 2\n[options]\ntime_budget = 10\n')
    out = {}
    for name, argv in argvs.items():
        path = d / f"{name}.json"
        assert main(argv + ["--quiet", "--json", str(path)]) == 0, name
        out[name] = path
    return out, d


def test_schema_knows_every_command_and_the_fixture_runs_each():
    from blasso.cli import build_parser
    _, commands = build_parser()
    assert set(load_schema()["properties"]["command"]["enum"]) == set(commands) == set(COMMANDS)
    ruled = {r["if"]["properties"]["command"]["const"] for r in load_schema()["allOf"] if "command" in
             r["if"]["properties"]}
    assert ruled == set(commands)                 # every command names the figures it must report


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_report_validates(runs, command):
    paths, _ = runs
    rep = _valid(paths[command])
    assert rep["command"] == command and rep["status"] == "ok" and rep["error"] is None
    assert rep["argv"][0] == command and rep["version"] == blasso.__version__
    assert rep["versions"]["numpy"] == np.__version__ and rep["wall_s"] > 0
    assert {"role": "json", "path": str(paths[command])} in rep["outputs"]


def test_inputs_are_hashed_and_seeds_recorded(runs):
    paths, d = runs
    rep = json.loads(paths["solve"].read_text())
    (f,) = rep["inputs"]["files"]
    inst = d / "inst.npz"
    assert f["role"] == "instance" and f["path"] == str(inst) and f["bytes"] == inst.stat().st_size
    assert f["sha256"] == sha256_file(inst)
    import hashlib
    assert f["sha256"] == hashlib.sha256(inst.read_bytes()).hexdigest()
    assert rep["inputs"]["seeds"] == {"grid_seed": 0, "instance_seed": 3}
    assert rep["inputs"]["sizes"] == {"n": 40, "d": 2, "m": 2}


def test_load_report_gives_measures_that_reproduce_the_figures(runs):
    paths, d = runs
    inst = load_instance(d / "inst.npz")
    solve = blasso.load_report(paths["solve"])
    nu = solve["measures"]["solution"]
    assert isinstance(nu, Measure) and len(nu) == solve["figures"]["n_atoms"]
    assert blasso_objective(nu, inst.X, inst.y, 0.01) == pytest.approx(solve["figures"]["objective"], rel=1e-9)
    teacher = load_report(paths["make-instance"])["measures"]["teacher"]
    np.testing.assert_allclose(teacher.evaluate(inst.X), inst.y, atol=1e-12)       # noiseless labels
    cmp = load_report(paths["compare"])
    assert blasso_objective(cmp["measures"]["convex"], inst.X, inst.y, 0.01) == pytest.approx(
        cmp["figures"]["J_convex"], rel=1e-9)
    assert cmp["figures"]["J_gd"] >= cmp["figures"]["J_convex"] * (1 - 1e-9)


def test_gd_save_loads_back_like_a_report(runs):
    paths, d = runs
    saved = d / "run.npz"                      # --save run -> run.npz, and that is what the report says
    assert saved.exists() and not (d / "run").exists()
    rep = json.loads(paths["gd"].read_text())
    assert {"role": "gd run", "path": str(saved)} in rep["outputs"]
    back = load_report(saved)
    inst = load_instance(d / "inst.npz")
    net = back["measures"]["network"]
    # J of the measure of the final (a, W) is the L1 network objective: the report's J_gd
    assert blasso_objective(net, inst.X, inst.y, 0.01) == pytest.approx(rep["figures"]["J_gd"], rel=1e-10)
    np.testing.assert_array_equal(back["arrays"]["a"], np.array(rep["figures"]["a"]))
    assert back["figures"]["n_iter"] == 400 and isinstance(back["measures"]["gd"], Measure)


def test_error_and_interrupted_reports_validate(tmp_path, monkeypatch):
    path = tmp_path / "e.json"
    assert main(["solve", "--instance", str(tmp_path / "nope.npz"), "--json", str(path), "--quiet"]) == 2
    rep = _valid(path)
    assert rep["status"] == "error" and rep["error"]["kind"] == "input"

    import blasso.studies.solve as study_solve      # what blasso.solve (and so the command) calls

    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(study_solve, "solve_on_grid", interrupted)
    assert main(["solve", "--n", "20", "--d", "2", "--m", "1", "--grid-size", "50", "--json", str(path),
                 "--force", "--quiet"]) == 130
    rep = _valid(path)
    assert rep["status"] == "interrupted" and rep["error"]["kind"] == "interrupted"


def test_schema_rejects_what_the_contract_forbids(runs):
    paths, _ = runs
    good = json.loads(paths["solve"].read_text())
    for mutate in (lambda r: r.update(status="optimal"),             # solver status in the run status
                   lambda r: r.pop("argv"),
                   lambda r: r["inputs"]["files"][0].update(sha256="xyz"),
                   lambda r: r["figures"].pop("objective"),
                   lambda r: r.update(error={"kind": "input", "message": "x"})):   # ok with an error
        bad = json.loads(json.dumps(good))
        mutate(bad)
        assert list(VALIDATOR.iter_errors(bad)), mutate
    assert SCHEMA_PATH.name == "report_schema.json" and SCHEMA_PATH.parent.name == "blasso"


def test_library_warnings_are_one_line_and_in_the_report(tmp_path, capsys):
    import blasso.validation as v
    if not hasattr(v, "check_input_norms"):
        pytest.skip("row-norm warnings not in blasso.validation yet")
    inst = blasso.make_instance(teacher="paper", n=20, d=2, m=1, seed=0)
    X = inst.X.copy()
    X[0] *= 3.0                                   # ||x_0|| = 3 > 1 (Assumption 4.7)
    X[5] = 0.0
    np.savez(tmp_path / "big.npz", X=X, y=inst.y)
    path = tmp_path / "w.json"
    assert main(["solve", "--instance", str(tmp_path / "big.npz"), "--grid-size", "50", "--quiet",
                 "--json", str(path)]) == 0
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("blasso: warning:")]
    rep = _valid(path)
    assert len(err) == len(rep["warnings"]) == 2
    assert "(0)" in rep["warnings"][0] and "norm > 1" in rep["warnings"][0] and "(5)" in rep["warnings"][1]


def test_the_contract_page_names_every_command():
    # docs/report.md is what users read: a command the schema knows but the page omits is drift
    page = (Path(__file__).resolve().parents[1] / "docs" / "report.md").read_text()
    row = next(line for line in page.splitlines() if line.startswith("| `command` |"))
    missing = [c for c in load_schema()["properties"]["command"]["enum"] if f"`{c}`" not in row]
    assert not missing, f"docs/report.md's command row omits {missing}"


# --------------------------------------------------------------- output folders, unpicklable inputs
def test_no_output_creates_a_chain_of_folders(tmp_path):
    """A file output needs its folder; a folder output may be created, its parent may not."""
    from blasso.report import check_output_path
    from blasso.validation import BlassoInputError

    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(BlassoInputError, match=r"folder '.*nodir' does not exist; create it first"):
        check_output_path(tmp_path / "nodir" / "x.json", option="--json")
    with pytest.raises(BlassoInputError, match=r"--plot creates the folder 'figs' but not its parent"):
        check_output_path(tmp_path / "nodir" / "figs", option="--plot", kind="dir", members=("a.png",))
    assert check_output_path(tmp_path / "figs", option="--plot", kind="dir", members=("a.png",)) == tmp_path / "figs"
    assert check_output_path(tmp_path / "x.json", option="--json") == tmp_path / "x.json"
    assert sorted(tmp_path.rglob("*")) == before                      # checking created nothing

    # through the command line: exit 2, one line, nothing created, not even the report
    import contextlib
    import io

    for argv in (["solve", "--n", "20", "--d", "2", "--m", "1", "--grid-size", "50",
                  "--json", str(tmp_path / "nodir" / "x.json")],
                 ["certify", "--n", "20", "--d", "2", "--m", "1", "--plot", str(tmp_path / "nodir" / "figs"),
                  "--json", str(tmp_path / "r.json")]):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            assert main(argv + ["--quiet"]) == 2
        assert len(err.getvalue().strip().splitlines()) == 1 and "does not exist" in err.getvalue()
        assert sorted(tmp_path.rglob("*")) == before
    # a folder output whose parent exists is created (only when there is something to put in it)
    assert main(["certify", "--n", "20", "--d", "2", "--m", "1", "--plot", str(tmp_path / "figs"), "--quiet"]) == 0
    assert (tmp_path / "figs" / "margin_curve.png").is_file()


@pytest.mark.parametrize("kind", ["pickle", "json", "object array", "bytes"])
def test_saved_runs_are_read_without_unpickling(tmp_path, kind):
    """load_report / --gd-trace of a file that is not a gd --save .npz: one clear line, no numpy hint."""
    import pickle

    from blasso.report import read_saved_run
    from blasso.validation import BlassoInputError

    path = tmp_path / "run.npz"
    if kind == "pickle":
        path.write_bytes(pickle.dumps({"a": np.ones(2)}))
    elif kind == "json":
        path.write_text('{"command": "solve"}\n')
    elif kind == "object array":
        np.savez(path, a=np.array([{"x": 1}], dtype=object), W=np.ones((1, 2)), report_json=np.array("{}"))
    else:
        path.write_bytes(b"\x00\x01 not numpy")
    for call in (lambda: load_report(path), lambda: read_saved_run(path)):
        with pytest.raises(BlassoInputError) as exc:
            call()
        msg = str(exc.value)
        assert "\n" not in msg and "run.npz" in msg and "allow_pickle" not in msg and "trust" not in msg, msg
    expect = {"pickle": "Python pickle", "json": "it is JSON", "object array": "never unpickles",
              "bytes": "numpy or zip header"}[kind]
    assert expect in msg
