"""Theorem 3.5 and Theorem 4.8 measured (blasso.studies.theory), against independent computations."""

import numpy as np
import pytest

from blasso.instance import make_instance
from blasso.studies.theory import fit_loglog, theory_gd_rate, theory_lam


def test_slope_fit_recovers_a_known_slope_and_refuses_no_power_law():
    rng = np.random.default_rng(1)
    x = np.logspace(-5, -1, 9)
    y = 3.0 * x ** 1.7 * np.exp(0.02 * rng.standard_normal(x.size))
    f = fit_loglog(x, y)
    assert f.power_law and not f.inconclusive
    assert abs(f.slope - 1.7) < 0.02 and abs(f.intercept - np.log10(3.0)) < 0.1 and f.r2 > 0.999
    # independent: numpy's polyfit in log-log coordinates
    s, b = np.polyfit(np.log10(x), np.log10(y), 1)
    assert f.slope == pytest.approx(s, rel=1e-10) and f.intercept == pytest.approx(b, rel=1e-8)
    noise = fit_loglog(x, np.exp(rng.standard_normal(x.size)))
    assert noise.inconclusive and "R^2" in noise.reason
    few = fit_loglog(x[:2], y[:2])
    assert few.inconclusive and "< 3" in few.reason
    assert fit_loglog([1.0, 2.0], [0.0, -1.0]).inconclusive


@pytest.fixture(scope="module")
def one_atom():
    # conditions (10) certified for its teacher (margin 3.5e-3)
    return make_instance(teacher="paper", n=50, d=2, m=1, seed=0)


def test_theory_lam_single_atom_recovers_slope_two(one_atom):
    s = theory_lam(one_atom, lam_min=1e-4)
    T = one_atom.teacher_measure()
    assert s.verdict == "holds", s.reason
    assert len(s.rows) >= 4 and s.rows[0]["lam"] == pytest.approx(s.lam_max / 10)
    last = s.rows[-1]
    assert last["n_atoms"] == 1 and last["spurious_mass"] == 0 and last["J_lower"] <= last["J"]
    for k in ("err_r2", "err_theta2"):
        assert abs(s.slopes[k]["slope"] - 2) <= 0.3 and s.slopes[k]["r2"] >= 0.95
    # independent: errors from the rows against the teacher weight, and the slope between the end rows
    lam = np.array([r["lam"] for r in s.rows])
    e = np.array([r["err_r2"] for r in s.rows])
    assert np.all(np.diff(e) < 0)
    assert np.log(e[-1] / e[0]) / np.log(lam[-1] / lam[0]) == pytest.approx(2.0, abs=0.3)
    assert last["err_r2"] == pytest.approx((last["tv"] - T.c[0]) ** 2, rel=1e-6)
    d = s.to_dict()
    assert set(d) >= {"rows", "slopes", "verdict"}


def test_gd_rate_linear_phase_matches_last_decade(one_atom):
    g = theory_gd_rate(one_atom, 1e-2, 20)
    assert g.verdict == "linear", g.reason
    assert g.decades >= 2 and g.r2 >= 0.99 and 0 < g.rate < 1
    lo, up = g.J_star
    assert lo <= up and g.J_final - up <= 1e-9 * up
    # independent: the rate measured on the last decade of the recorded gaps
    k = np.array(g.history["iter"])
    gap = np.array(g.history["gap"])
    ok = gap > g.floor
    k, gap = k[ok], gap[ok]
    j = np.nonzero(gap >= 10 * gap[-1])[0][-1]
    rate_last = (gap[-1] / gap[j]) ** (1.0 / (k[-1] - k[j]))
    kappa_fit, kappa_last = 1 - g.rate, 1 - rate_last
    assert kappa_fit == pytest.approx(kappa_last, rel=0.1)


def test_gd_rate_planted_stall_is_not_linear():
    inst = make_instance(teacher="mixed-signs", n=50, d=2, m=2, seed=0)
    g = theory_gd_rate(inst, 1e-2, 1, stall_window=5000)
    assert g.verdict == "stalled", g.reason
    assert g.rate is None and g.gap_final > 1e-3 * g.J_star[1]
    assert "above the certified" in g.reason
    # M = 1 keeps one positive unit; a mixed-sign optimum needs a negative atom too (Algorithm 1 keeps signs)
    assert "cannot represent nu*" in g.reason and "1 + 0 units" in g.reason


def test_cli_theory_lam_json_and_plot(tmp_path, one_atom):
    import json

    from blasso.cli import main
    from blasso.instance import save_instance

    pytest.importorskip("matplotlib")
    inst = tmp_path / "one.npz"
    save_instance(one_atom, inst)
    js, png = tmp_path / "lam.json", tmp_path / "lam.png"
    assert main(["theory", "lam", "--instance", str(inst), "--lam-min", "1e-3", "--json", str(js),
                 "--plot", str(png), "--quiet"]) == 0
    fig = json.loads(js.read_text())["figures"]
    assert fig["which"] == "lam" and {"rows", "slopes", "verdict"} <= set(fig)
    lib = theory_lam(one_atom, lam_min=1e-3)
    assert [r["lam"] for r in fig["rows"]] == pytest.approx([r["lam"] for r in lib.rows])
    assert fig["slopes"]["err_r2"]["slope"] == pytest.approx(lib.slopes["err_r2"]["slope"], rel=1e-6)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["theory", "gd-rate", "--instance", str(inst), "--plot", str(png), "--quiet"]) == 2  # exists


def test_bound_9_fit_says_why_when_no_lam_has_exactly_m_atoms():
    """A d = 2 near-field instance whose optimum splits a teacher atom at every lam: bound (9) has no
    atom-to-atom matching, so no fit, and the reason says so (not 'no positive points')."""
    from blasso.studies.near_field import _spec
    from blasso.studies.sweep.tasks import build_instance

    inst = build_instance(_spec(2, 2, {1000: [0]}, 60.0).tasks[0].params)
    s = theory_lam(inst, [1e-4, 1e-5], basis_pursuit=False, check_unique=False)
    assert all(r["n_atoms"] > 2 for r in s.rows)                  # split at both lam (5 atoms each)
    for k in ("err_r2", "err_theta2"):
        assert np.isnan(s.slopes[k]["slope"]) and "exactly the m = 2 teacher atoms" in s.slopes[k]["reason"]
