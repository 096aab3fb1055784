"""``blasso assumptions``: each check on an instance built to satisfy it and one built to violate it."""

import json

import numpy as np
import pytest

from blasso.cli import main
from blasso.instance import Instance, make_instance
from blasso.sphere import random_sphere
from blasso.studies.assumptions import (
    ASSUMPTION_IDS,
    _a31,
    _a32,
    _a43,
    _a44,
    _a46,
    _a47,
    check_assumptions,
    load_gd_trace,
    uniformity_tests,
)


def test_3_1_uniform_holds_gaussian_and_clustered_fail():
    rng = np.random.default_rng(0)
    assert _a31(random_sphere(400, 4, rng)).status == "holds"
    assert _a31(make_instance(teacher="paper", n=200, d=4, m=2, seed=1, inputs="gaussian").X).status == "fails"
    cl = random_sphere(400, 4, rng) + np.array([2.0, 0, 0, 0])  # concentrated around e1
    cl /= np.linalg.norm(cl, axis=1, keepdims=True)
    c = _a31(cl)
    assert c.status == "fails" and min(c.value.values()) < 1e-6


def test_uniformity_p_values_match_a_monte_carlo_null_distribution():
    rng = np.random.default_rng(1)
    n, d = 150, 3
    X = random_sphere(n, d, rng)
    X[:20] = random_sphere(20, d, rng) * 0.3 + np.array([1.0, 0, 0])  # a mild departure
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    obs = uniformity_tests(X)
    null = [uniformity_tests(random_sphere(n, d, rng)) for _ in range(1500)]
    for key in ("rayleigh", "bingham"):
        emp = np.mean([t[f"{key}_stat"] >= obs[f"{key}_stat"] for t in null])
        se = np.sqrt(max(emp * (1 - emp), 1e-4) / len(null))
        assert abs(emp - obs[f"{key}_p"]) < 4 * se + 0.02, (key, emp, obs[f"{key}_p"])


def test_3_2_paper_teacher_holds_mixed_signs_and_correlated_fail():
    assert _a32(make_instance(teacher="paper", n=30, d=4, m=3, seed=0)).status == "holds"
    mixed = _a32(make_instance(teacher="mixed-signs", n=30, d=4, m=3, seed=0))
    assert mixed.status == "fails" and mixed.value["min_a"] < 0
    corr = _a32(make_instance(teacher="min-angle", n=30, d=4, m=3, seed=0))
    assert corr.status == "fails" and corr.value["max_abs_cos"] > 1e-3
    assert _a32(Instance(X=random_sphere(10, 3, np.random.default_rng(0)), y=np.zeros(10))).status == "inconclusive"


def test_4_3_exactly_orthogonal_sample_fails():
    inst = make_instance(teacher="paper", n=40, d=3, m=2, seed=0)
    th = inst.teacher_measure().theta
    assert _a43(inst.X, th, "teacher").status == "holds"
    X = inst.X.copy()
    X[5] = np.cross(th[0], [0.3, -0.2, 0.9])  # orthogonal in floats? check exactly below
    from fractions import Fraction
    exact = sum(Fraction(float(a)) * Fraction(float(b)) for a, b in zip(th[0], X[5]))
    c = _a43(X, th, "teacher")
    assert (c.status == "fails") == (exact == 0)
    X[5] = np.array([-th[0][1], th[0][0], 0.0])  # exactly orthogonal to (t0, t1, t2)?  only if t2 * 0 = 0: yes
    assert sum(Fraction(float(a)) * Fraction(float(b)) for a, b in zip(th[0], X[5])) == 0
    assert _a43(X, th, "teacher").status == "fails"


def test_4_4_kappa_against_an_explicit_gram_and_duplicated_atoms():
    inst = make_instance(teacher="paper", n=60, d=3, m=2, seed=2)
    th = inst.teacher_measure().theta
    c = _a44(inst.X, th, "teacher")
    A = np.array([[max(0.0, float(x @ t)) for t in th] for x in inst.X])
    kappa = np.linalg.eigvalsh(A.T @ A / inst.n)[0]
    assert c.status == "holds" and abs(c.value - kappa) < 1e-12
    r = np.random.default_rng(0).standard_normal((200, 2))
    quot = np.sum((r @ (A.T @ A / inst.n)) * r, axis=1) / np.sum(r * r, axis=1)
    assert c.value <= quot.min() + 1e-12  # kappa is the minimum of the Rayleigh quotient
    dup = np.vstack([th, th[:1]])
    assert _a44(inst.X, dup, "teacher").status in ("fails", "inconclusive")


def test_4_6_trace_max_and_non_finite(tmp_path):
    F = np.array([0.5, 0.3, 0.2, 0.25])
    np.savez(tmp_path / "run.npz", trace_F=F, trace_iter=np.arange(4))
    tr = load_gd_trace(tmp_path / "run.npz")
    c = _a46(tr)
    assert c.status == "holds" and c.value == 0.5
    assert _a46({"F": np.array([0.5, np.inf])}).status == "fails"
    assert _a46(None).status == "inconclusive"


def test_4_7_exact_norms():
    rng = np.random.default_rng(3)
    X = random_sphere(50, 4, rng)
    assert _a47(X).status == "holds"
    X[7] *= 1.0 + 1e-9
    c = _a47(X)
    assert c.status == "fails" and "row 7" in c.reason


def test_teacher_targets_follow_conditions_10():
    ok = make_instance(teacher="mixed-signs", n=100, d=3, m=2, seed=3)  # certified, margin 5e-5
    rep = check_assumptions(ok, time_budget=10)
    assert rep.checks["conditions-10"].status == "holds" and rep.checks["4.5"].status == "holds"
    bad = make_instance(teacher="paper", n=100, d=2, m=2, seed=0)  # fails, |eta_V| = 1.0145
    rep = check_assumptions(bad, time_budget=5)
    assert rep.checks["conditions-10"].status == "fails" and rep.checks["4.1"].status == "fails"
    assert rep.checks["conditions-10"].value < 0


def test_cli_json_has_every_assumption_id(tmp_path):
    inst = make_instance(teacher="paper", n=40, d=2, m=2, seed=1, lam=0.01)
    from blasso.instance import save_instance
    save_instance(inst, tmp_path / "i.npz")
    out = tmp_path / "a.json"
    assert main(["assumptions", "--instance", str(tmp_path / "i.npz"), "--time-budget", "3", "--quiet",
                 "--json", str(out)]) == 0
    rep = json.loads(out.read_text())
    import jsonschema
    from blasso.report import load_schema
    jsonschema.Draft202012Validator(load_schema()).validate(rep)  # the report contract holds for this command
    A = rep["figures"]["assumptions"] if "figures" in rep else rep["assumptions"]
    assert set(A) == set(ASSUMPTION_IDS)
    for k, v in A.items():
        assert v["status"] in ("holds", "fails", "inconclusive") and {"value", "threshold", "reason"} <= set(v)
    assert set(A["4.5"]["targets"]) == {"teacher", "optimum"}


@pytest.mark.parametrize("bad", [["--lam", "-1"], ["--time-budget", "0"], ["--gd-trace", "/nonexistent.npz"]])
def test_cli_bad_inputs_exit_2(bad, capsys):
    assert main(["assumptions", "--n", "20", "--d", "2", "--m", "1", "--quiet"] + bad) == 2
    assert "Traceback" not in capsys.readouterr().err
