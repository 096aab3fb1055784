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
    assert mk["command"] == "make-instance" and mk["inputs"]["sizes"]["n"] == 30 and "wall_s" in mk
    assert mk["version"] and mk["outputs"][0] == {"role": "instance", "path": str(inst_path)}
    out_json = tmp_path / "solve.json"
    assert main(["solve", "--instance", str(inst_path), "--grid-size", "200", "--quiet",
                 "--json", str(out_json)]) == 0
    full = json.loads(out_json.read_text())
    for key in ("command", "version", "status", "argv", "inputs", "versions", "figures", "measures", "wall_s"):
        assert key in full, key
    rep = full["figures"]
    for key in ("objective", "p", "solver", "grid_size"):
        assert key in rep, key
    # the run status and the solver status are separate fields
    assert full["status"] == "ok" and full["solver_status"] == {"grid LASSO": "optimal"}
    assert rep["solver"] == "ECOS" and rep["lam"] == 0.01 and "ECOS" in full["versions"]["solver"]
    inst = load_instance(inst_path)
    assert len(rep["p"]) == inst.n
    # recompute J from the atoms in the JSON: it must equal the reported objective
    sol = full["measures"]["solution"]
    nu = Measure(np.array(sol["theta"]), np.array(sol["c"]))
    assert abs(blasso_objective(nu, inst.X, inst.y, rep["lam"]) - rep["objective"]) < 1e-10
    # and p is the residual over lam
    np.testing.assert_allclose(rep["p"], (inst.y - nu.evaluate(inst.X)) / rep["lam"], atol=1e-8)
    printed = capsys.readouterr().out
    assert f"{rep['objective']:.10g}" in printed


def test_cli_errors_exit_codes(tmp_path, capsys):
    assert main(["solve", "--lam", "0", "--json", str(tmp_path / "p.json")]) == 2
    assert "argument --lam: must be > 0; got '0'" in capsys.readouterr().err
    assert not (tmp_path / "p.json").exists()            # usage errors write no report
    assert main(["solve", "--instance", str(tmp_path / "missing.npz"), "--json", str(tmp_path / "e.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
    rep = json.loads((tmp_path / "e.json").read_text())
    assert rep["status"] == "error" and rep["error"]["kind"] == "input" and "missing.npz" in rep["error"]["message"]
    assert main(["solve", "--grid-size", "100", "--d", "3", "--m", "2", "--n", "20",
                 "--grid-kind", "equiangular"]) == 2


def test_demo_small(tmp_path, capsys):
    path = tmp_path / "demo.json"
    assert main(["demo", "--grid-size", "600", "--n-random", "2000", "--json", str(path)]) == 0
    full = json.loads(path.read_text())
    rep = full["figures"]
    assert full["command"] == "demo" and full["inputs"]["sizes"] == {"n": 100, "d": 5, "m": 5}
    assert set(full["solver_status"]) == {"plain grid", "oracle grid"}
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


def test_version_and_help_list_only_accepted_options(capsys):
    import blasso
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"blasso {blasso.__version__}"
    helps = {}
    for cmd in ("make-instance", "solve", "demo", "gd", "compare", "reproduce", "certify"):
        assert main([cmd, "--help"]) == 0
        helps[cmd] = capsys.readouterr().out
        assert "--json" in helps[cmd] and "--force" in helps[cmd] and "--quiet" in helps[cmd]
    assert "--instance" not in helps["make-instance"]
    # one solver policy, stated where a --solver option exists, with the reason where it is not AUTO
    assert "default AUTO: FAST above 20000" in " ".join(helps["solve"].split())
    assert "default AUTO" in " ".join(helps["demo"].split())
    assert "default FAST, not AUTO" in " ".join(helps["compare"].split())
    assert "default CLARABEL, not AUTO" in " ".join(helps["certify"].split())
    # angles on the command line are in degrees
    assert "--merge-angle-deg" in helps["certify"] and "--merge-angle " not in helps["certify"]


def test_merge_angle_deg_reaches_certify_instance_in_radians(monkeypatch, tmp_path):
    import blasso.certificates.verdict as verdict

    seen = {}

    def fake(inst, **kw):
        seen.update(kw)
        raise KeyboardInterrupt          # stop right there
    monkeypatch.setattr(verdict, "certify_instance", fake)
    assert main(["certify", "--n", "20", "--d", "2", "--m", "1", "--grid-size", "50", "--merge-angle-deg", "90",
                 "--quiet"]) == 130
    assert abs(seen["merge_angle"] - np.pi / 2) < 1e-15
