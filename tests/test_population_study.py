"""``certify --population``: the sample's margin curve beside the population one, and the n estimate."""

import json

import numpy as np

from blasso.cli import main
from blasso.instance import make_instance
from blasso.studies.population import POPULATION_RADII_DEG, sample_vs_population
from blasso.certificates.population import population_precertificate
from blasso.certificates.verdict import check_conditions


def test_rows_align_and_the_estimate_is_recomputed_independently():
    inst = make_instance(teacher="paper", n=100, d=3, m=2, seed=0)
    nu = inst.teacher_measure()
    cond = check_conditions(inst.X, nu, time_budget=10, radii=np.radians(POPULATION_RADII_DEG))
    out = sample_vs_population(inst.n, nu, cond, time_budget=30)
    assert [r[0] for r in out["rows"]] == list(POPULATION_RADII_DEG)
    for row, c, p in zip(out["rows"], cond.curve, out["population"]["margin_curve"]):
        assert row[1] == c["max_eta_lo"] and row[3] == p[1]
    assert cond.verdict == "fails" and out["population"]["verdict"] == "certified"
    est = out["n_estimate"]
    th = np.asarray(est["theta"])
    # independent: population eta_V at the violating direction from the closed form, the sample's by hand
    e_pop = abs(population_precertificate(nu).eta(th[None])[0])
    e_n = abs(np.maximum(inst.X @ th, 0) @ cond.pre.p / inst.n)
    assert abs(est["population_eta"] - e_pop) < 1e-12 and abs(est["sample_eta"] - e_n) < 1e-12
    assert np.isclose(est["n_needed"], inst.n * ((e_n - e_pop) / (1 - e_pop)) ** 2)
    assert "sampling effect" in out["reading"]


def test_certify_population_json(tmp_path):
    out = tmp_path / "c.json"
    assert main(["certify", "--teacher", "paper", "--n", "60", "--d", "3", "--m", "2", "--population",
                 "--population-budget", "20", "--time-budget", "5", "--quiet", "--json", str(out)]) == 0
    pop = json.loads(out.read_text())["figures"]["population"]
    assert pop["verdict"] in ("certified", "fails", "inconclusive")
    assert [r[0] for r in pop["margin_curve"]] == list(POPULATION_RADII_DEG)
    assert len(pop["sample_vs_population"]) == len(POPULATION_RADII_DEG) and "second_order_margin" in pop


def test_a_target_the_population_cannot_handle_keeps_the_sample_verdict():
    from blasso.measure import Measure

    inst = make_instance(teacher="paper", n=60, d=3, m=2, seed=0)
    th = inst.teacher_measure().theta
    nu = Measure(np.vstack([th[0], th[0]]), np.array([1.0, 1.0]))  # a repeated atom: singular population Gram
    cond = check_conditions(inst.X, inst.teacher_measure(), time_budget=3)
    out = sample_vs_population(inst.n, nu, cond, time_budget=5)
    assert out["population"]["verdict"] == "inconclusive" and "not computed" in out["reading"]
