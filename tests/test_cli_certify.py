"""``blasso certify``: JSON contract, numbers recomputed from the JSON, exit codes."""

import json

import numpy as np
import pytest

from blasso.cli import main
from blasso.instance import make_instance, save_instance


def test_certify_json_and_recomputed_violation(tmp_path):
    path = tmp_path / "c.json"
    code = main(["certify", "--teacher", "paper", "--n", "100", "--d", "2", "--m", "2", "--seed", "0",
                 "--grid-size", "400", "--time-budget", "4", "--json", str(path), "--quiet"])
    assert code == 0
    full = json.loads(path.read_text())
    rep = full["figures"]
    for key in ("verdict", "reason", "sup_eta_lo", "sup_eta_hi",
                "eta_V_sup_lo", "eta_V_sup_hi", "margin", "violating_theta", "bracket_lo", "bracket_hi"):
        assert key in rep, key
    assert full["command"] == "certify" and full["status"] == "ok" and rep["verdict"] == "fails"
    # recompute eta_V at the reported direction from scratch: p_V = minimal-norm solution
    inst = make_instance(teacher="paper", n=100, d=2, m=2, seed=0)
    X, n = inst.X, inst.n
    th_t = np.asarray(rep["target_theta"])
    M = np.vstack([(X * (X @ t > 0)[:, None]).T / n for t in th_t])
    pV = np.linalg.pinv(M) @ th_t.ravel()
    th = np.asarray(rep["violating_theta"])
    val = np.maximum(X @ th, 0) @ pV / n
    assert abs(val - rep["violating_eta"]) < 1e-9 and abs(val) > 1.0
    assert rep["eta_V_sup_lo"] <= rep["eta_V_sup_hi"] and rep["bracket_lo"] <= rep["bracket_hi"]
    assert rep["margin"] == pytest.approx(1 - abs(val), abs=1e-9)


def test_certify_instance_file_certified_with_plots(tmp_path):
    f = save_instance(make_instance(teacher="mixed-signs", n=100, d=3, m=2, seed=3, lam=0.01), tmp_path / "i.npz")
    path = tmp_path / "c.json"
    code = main(["certify", "--instance", str(f), "--grid-size", "300", "--time-budget", "4",
                 "--plot", str(tmp_path / "plots"), "--json", str(path), "--quiet"])
    assert code == 0
    full = json.loads(path.read_text())
    rep = full["figures"]
    assert rep["verdict"] == "certified" and rep["margin"] > 0 and rep["violating_theta"] is None
    assert rep["lam"] == 0.01 and rep["bracket_kind"] == "J*"
    assert rep["eta_V_sup_hi"] < 1
    assert rep["plots"] and [o["path"] for o in full["outputs"] if o["role"] == "plot"] == rep["plots"]
    for p in rep["plots"]:
        assert (tmp_path / "plots").joinpath(p.split("/")[-1]).stat().st_size > 1000


def test_certify_bad_input_exit_code(tmp_path, capsys):
    assert main(["certify", "--n", "20", "--d", "2", "--m", "1", "--lam", "-1", "--quiet"]) == 2
    assert "lam" in capsys.readouterr().err
    assert main(["certify", "--instance", str(tmp_path / "missing.npz"), "--quiet"]) == 2
