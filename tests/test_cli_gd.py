"""``blasso gd`` and ``blasso compare`` in-process: JSON contract, numbers recomputed from the JSON, errors."""

import json

import numpy as np
import pytest

from blasso import load_instance
from blasso.cli import main
from blasso.measure import Measure
from blasso.objective import blasso_objective, network_objective


@pytest.fixture(scope="module")
def inst_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("gd") / "inst.npz"
    assert main(["make-instance", "--teacher", "paper", "--n", "50", "--d", "2", "--m", "2", "--basis", "canonical",
                 "--seed", "2", "--lam", "0.001", "--out", str(path), "--quiet"]) == 0
    return path


def test_gd_json_recomputes(inst_file, tmp_path, capsys):
    out = tmp_path / "gd.json"
    assert main(["gd", "--instance", str(inst_file), "--M", "10", "--iters", "3000", "--alpha", "1",
                 "--seed", "4", "--json", str(out), "--save", str(tmp_path / "run.npz")]) == 0
    full = json.loads(out.read_text())
    rep = full["figures"]
    for key in ("J_gd", "F", "n_iter", "stop_reason", "alpha", "trace", "a", "W", "iters_per_s", "sign_flips"):
        assert key in rep, key
    assert full["command"] == "gd" and full["inputs"]["sizes"]["n"] == 50 and rep["n_iter"] == 3000 and rep["alpha"] == 1.0 and rep["lam"] == 0.001
    inst = load_instance(inst_file)
    a, W = np.array(rep["a"]), np.array(rep["W"])
    # J of the final network recomputed independently from (a, W)
    assert rep["J_gd"] == pytest.approx(network_objective(a, W, inst.X, inst.y, 0.001, "l1"), rel=1e-10)
    g = full["measures"]["gd"]
    nu = Measure(np.array(g["theta"]), np.array(g["c"]))            # atoms pruned at 1e-6 max|c|
    assert blasso_objective(nu, inst.X, inst.y, 0.001) == pytest.approx(rep["J_gd"], rel=1e-4)
    assert rep["trace"]["iter"][0] == 0 and rep["trace"]["iter"][-1] == 3000
    saved = np.load(tmp_path / "run.npz")
    np.testing.assert_allclose(saved["a"], a)
    assert saved["traj_W"].shape[1:] == (10, 2)
    assert f"{rep['J_gd']:.10g}" in capsys.readouterr().out


def test_gd_l2_penalty_reports_F_l2(inst_file, tmp_path):
    out = tmp_path / "gd2.json"
    assert main(["gd", "--instance", str(inst_file), "--M", "6", "--iters", "500", "--alpha", "0.5",
                 "--penalty", "l2", "--quiet", "--json", str(out)]) == 0
    rep = json.loads(out.read_text())["figures"]
    inst = load_instance(inst_file)
    a, W = np.array(rep["a"]), np.array(rep["W"])
    assert rep["F"] == pytest.approx(network_objective(a, W, inst.X, inst.y, 0.001, "l2"), rel=1e-10)
    assert rep["J_gd"] == pytest.approx(network_objective(a, W, inst.X, inst.y, 0.001, "l1"), rel=1e-10)


def test_compare_json_contract(inst_file, tmp_path, capsys):
    out = tmp_path / "cmp.json"
    assert main(["compare", "--instance", str(inst_file), "--M", "20", "--iters", "20000", "--grid-size", "720",
                 "--refine-rounds", "2", "--json", str(out)]) == 0
    full = json.loads(out.read_text())
    rep = full["figures"]
    for key in ("J_gd", "J_convex", "objective_gap", "matched", "unmatched_mass", "distance", "verdict",
                "reasons", "gd", "convex", "tolerances"):
        assert key in rep, key
    assert rep["verdict"] in ("same-measure", "different-measure", "inconclusive")
    inst = load_instance(inst_file)
    cm = full["measures"]["convex"]
    ref = Measure(np.array(cm["theta"]), np.array(cm["c"]))
    assert blasso_objective(ref, inst.X, inst.y, 0.001) == pytest.approx(rep["J_convex"], rel=1e-10)
    assert rep["objective_gap"] == pytest.approx(rep["J_gd"] - rep["J_convex"], abs=1e-15)
    assert rep["J_convex"] <= rep["convex"]["J_grid"]
    printed = capsys.readouterr().out
    assert "remaining gap" in printed and "verdict:" in printed


@pytest.mark.parametrize("argv", [
    ["gd", "--M", "0", "--d", "2", "--m", "2", "--n", "20"],
    ["gd", "--alpha", "-1", "--d", "2", "--m", "2", "--n", "20"],
    ["gd", "--alpha", "fast", "--d", "2", "--m", "2", "--n", "20"],
    ["compare", "--lam", "-1", "--d", "2", "--m", "2", "--n", "20"],
    ["gd", "--penalty", "l3"],
])
def test_cli_usage_errors_write_no_report(argv, tmp_path, capsys):
    # rejected while parsing: exit 2, one line on stderr, nothing written
    assert main(argv + ["--json", str(tmp_path / "e.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "error: argument" in err
    assert not (tmp_path / "e.json").exists()


def test_cli_input_error_reported_in_json(tmp_path, capsys):
    argv = ["gd", "--step", "constant", "--alpha", "auto", "--d", "2", "--m", "2", "--n", "20"]
    assert main(argv + ["--json", str(tmp_path / "e.json")]) == 2
    rep = json.loads((tmp_path / "e.json").read_text())
    assert rep["status"] == "error" and rep["error"]["kind"] == "input" and "alpha auto" in rep["error"]["message"]


def test_reproduce_fig1_and_fig3_small(tmp_path, capsys):
    out = tmp_path / "figs"
    assert main(["reproduce", "fig1", "--out", str(out), "--iters", "20000", "--grid-size", "720",
                 "--json", str(tmp_path / "r.json")]) == 0
    summ = json.loads((out / "fig1.json").read_text())
    full = json.loads((tmp_path / "r.json").read_text())
    assert {o["path"] for o in full["outputs"]} == {str(out / "fig1.png"), str(out / "fig1.json"),
                                                     str(tmp_path / "r.json")}
    conv = full["measures"]["fig1 convex"]
    np.testing.assert_allclose(conv["c"], summ["convex_c"], rtol=0, atol=0)
    assert (out / "fig1.png").stat().st_size > 10000
    from blasso import make_instance
    inst = make_instance(teacher="paper", n=100, d=2, m=2, seed=0, basis="canonical")
    ref = Measure(np.array(summ["convex_theta"]), np.array(summ["convex_c"]))
    assert blasso_objective(ref, inst.X, inst.y, 1e-3) == pytest.approx(summ["J_convex"], rel=1e-10)
    assert summ["J_gd"] >= summ["J_convex"] * (1 - 1e-6)       # GD cannot beat the optimum (up to J* bound)
    assert len(summ["claims"]) == 3 and "claim" in summ["claims"][-1]
    assert main(["reproduce", "fig3", "--out", str(out), "--iters", "3000", "--grid-size", "300", "--quiet"]) == 0
    s3 = json.loads((out / "fig3.json").read_text())
    assert (out / "fig3.png").exists() and s3["M"] == 10 and len(s3["trace"]["J_l1"]) == len(s3["trace"]["iter"])
    # at iteration 0 both runs share the initialisation: same J, different F (L2 penalty of unbalanced units)
    assert s3["trace"]["J_l1"][0] == pytest.approx(s3["trace"]["J_l2"][0], rel=1e-14)
    assert s3["trace"]["F_l2"][0] > s3["trace"]["F_l1"][0]
    printed = capsys.readouterr().out
    assert "fig1.png" in printed and "fig3.png" in printed
