"""The command line, run in-process: JSON contract, numbers recomputed from the JSON, errors."""

import json

import numpy as np

from blasso import load_instance
from blasso.cli import main
from blasso.measure import Measure
from blasso.objective import blasso_objective


def test_make_instance_then_solve_json(tmp_path, capsys):
    inst_path = tmp_path / "inst.npz"
    assert main(["make-instance", "--teacher", "mixed-signs", "--n", "30", "--d", "3", "--m", "2",
                 "--seed", "5", "--lam", "0.01", "--out", str(inst_path),
                 "--json", str(tmp_path / "mk.json")]) == 0
    mk = json.loads((tmp_path / "mk.json").read_text())
    assert mk["command"] == "make-instance" and mk["n"] == 30 and "wall_s" in mk and "version" in mk
    out_json = tmp_path / "solve.json"
    assert main(["solve", "--instance", str(inst_path), "--grid-size", "200", "--quiet",
                 "--json", str(out_json)]) == 0
    rep = json.loads(out_json.read_text())
    for key in ("command", "version", "status", "objective", "theta", "c", "p", "solver", "grid_size", "wall_s"):
        assert key in rep, key
    assert rep["status"] == "optimal" and rep["solver"] == "ECOS" and rep["lam"] == 0.01
    inst = load_instance(inst_path)
    assert len(rep["p"]) == inst.n
    # recompute J from the atoms in the JSON: it must equal the reported objective
    nu = Measure(np.array(rep["theta"]), np.array(rep["c"]))
    assert abs(blasso_objective(nu, inst.X, inst.y, rep["lam"]) - rep["objective"]) < 1e-10
    # and p is the residual over lam
    np.testing.assert_allclose(rep["p"], (inst.y - nu.evaluate(inst.X)) / rep["lam"], atol=1e-8)
    printed = capsys.readouterr().out
    assert f"{rep['objective']:.10g}" in printed


def test_cli_errors_exit_codes(tmp_path, capsys):
    assert main(["solve", "--lam", "-1", "--json", str(tmp_path / "e.json")]) == 2
    err = capsys.readouterr().err
    assert "lam must be > 0" in err
    rep = json.loads((tmp_path / "e.json").read_text())
    assert rep["status"] == "error" and "lam" in rep["error"]
    assert main(["solve", "--instance", str(tmp_path / "missing.npz")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["solve", "--grid-size", "100", "--d", "3", "--m", "2", "--n", "20",
                 "--grid-kind", "equiangular"]) == 2


def test_demo_small(tmp_path, capsys):
    path = tmp_path / "demo.json"
    assert main(["demo", "--grid-size", "600", "--n-random", "2000", "--json", str(path)]) == 0
    rep = json.loads(path.read_text())
    assert rep["command"] == "demo" and rep["n"] == 100 and rep["d"] == 5 and rep["m"] == 5
    plain, oracle = rep["runs"]
    assert oracle["oracle"] and not plain["oracle"]
    # the oracle grid contains the plain grid: its optimum cannot be worse
    assert oracle["objective"] <= plain["objective"] + 1e-9
    # the teacher itself is feasible on the oracle grid: J* <= lam * TV(teacher)
    assert oracle["objective"] <= rep["J_teacher"] + 1e-9
    assert plain["continuous_verdict"] in ("fails", "inconclusive")
    # the rigorous sup of the oracle grid's dual is at least every sampled value of |eta| (a lower bound)
    cert = rep["certificate"]
    assert cert["sup_eta_hi"] >= oracle["sampled_max_abs_eta"] - 1e-9
    assert cert["sup_eta_hi"] >= cert["sup_eta_lo"]
    assert rep["verdict"] in ("certified", "fails", "inconclusive")
    # the certified bracket contains the oracle grid's objective from above (an upper bound on J*)
    assert cert["bracket_lo"] <= oracle["objective"] + 1e-12
    assert "Atoms found vs teacher" in capsys.readouterr().out
