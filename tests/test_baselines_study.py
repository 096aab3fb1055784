"""blasso.studies.baselines and ``blasso baseline``: the rescaling is exact, the figures are what they claim."""

import json

import numpy as np
import pytest

from blasso.cli import main
from blasso.objective import blasso_objective
from blasso.studies.baselines import _make_data, default_config, run_baseline, teacher_angles, to_unit_ball
from blasso.validation import BlassoInputError

CHEAP = dict(alg1_iters=300, grid_size=150, refine_rounds=1, n_test=500)


@pytest.fixture(scope="module")
def tensor_run():
    cfg = default_config("tensor-init", n=3000, d=3, m=2, noise=0.0, iters=400, **CHEAP)
    return cfg, run_baseline("tensor-init", cfg)


def test_rescaled_measures_reproduce_the_raw_networks(tensor_run):
    cfg, rep = tensor_run
    data = _make_data("tensor-init", cfg)
    Xb, s = to_unit_ball(data.X)
    assert s == pytest.approx(rep["input_scale"]) and np.linalg.norm(Xb, axis=1).max() == pytest.approx(1.0)
    nu = rep["_measures"]
    np.testing.assert_allclose(nu["teacher"].evaluate(Xb), data.y, rtol=1e-12, atol=1e-12)   # noiseless labels
    pred = nu["baseline"].evaluate(Xb)
    assert rep["train_loss"] == pytest.approx(0.5 * np.mean((pred - data.y) ** 2), rel=1e-9)
    assert rep["test_loss"] == pytest.approx(0.5 * np.mean((nu["baseline"].evaluate(data.X_test / s)
                                                             - data.f_test) ** 2), rel=1e-9)
    J = blasso_objective(nu["baseline"], Xb, data.y, cfg.lam)
    assert rep["J"] == pytest.approx(J, rel=1e-10)
    assert rep["gap_to_convex"] == pytest.approx(J - rep["convex"]["J"], rel=1e-9, abs=1e-15)
    assert rep["gap_to_convex"] >= -1e-9 * rep["convex"]["J"]           # nothing beats the convex optimum
    a1 = rep["algorithm1"]
    assert a1["gap"] == pytest.approx(blasso_objective(nu["algorithm1"], Xb, data.y, cfg.lam) - rep["convex"]["J"],
                                      rel=1e-9, abs=1e-15)


def test_tensor_init_report_keys_and_recovery(tensor_run):
    _, rep = tensor_run
    for key in ("baseline", "status", "recovered", "angle_error_deg", "test_loss", "train_loss", "iterations",
                "wall_s", "param_error_init", "param_error_final", "rate"):
        assert key in rep
    assert rep["param_error_final"] < rep["param_error_init"] and rep["recovered"]
    assert teacher_angles(rep["_measures"]["baseline"], rep["_measures"]["teacher"]).max() == pytest.approx(
        rep["angle_error_deg"], abs=1e-6)


def test_cli_mild_overparam_json(tmp_path):
    path = tmp_path / "m.json"
    argv = ["baseline", "mild-overparam", "--n", "300", "--d", "3", "--m", "2", "--k", "1", "--iters", "3000",
            "--alg1-iters", "200", "--grid-size", "150", "--refine-rounds", "1", "--bisect-steps", "2",
            "--json", str(path), "--quiet", "--plot", str(tmp_path / "p")]
    assert main(argv) == 0
    fig = json.loads(path.read_text())["figures"]
    assert fig["baseline"] == "mild-overparam" and len(fig["units"]) == 3
    assert all(set(u) >= {"teacher", "weight"} for u in fig["units"])
    lo, hi = fig["local_radius_bracket"]
    assert fig["local_radius"] == lo and (hi is None or hi > lo)
    assert (tmp_path / "p" / "baseline_mild-overparam.png").stat().st_size > 1000


def test_bad_inputs_are_refused():
    with pytest.raises(BlassoInputError, match="m <= d"):
        default_config("abs-teacher", d=3, m=4)
    with pytest.raises(BlassoInputError, match="baseline"):
        run_baseline("nope", default_config("abs-teacher"))
    assert main(["baseline", "tensor-init", "--d", "3", "--m", "5", "--quiet"]) == 2
