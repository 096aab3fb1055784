"""The near-field law (blasso.studies.near_field), the support read against the teacher (theory lam), basis
pursuit (blasso.solvers.basis_pursuit) and the near-field reading of check_conditions, against independent
computations."""

import json
import math

import numpy as np
import pytest

from blasso.instance import make_instance
from blasso.measure import Measure


def _p_V(X, theta):
    """Minimal-norm solution of (1/n) X^T D_j p = theta_j (independent: one lstsq on the stacked equations)."""
    n = X.shape[0]
    A = np.vstack([(X * ((X @ t) > 0)[:, None]).T / n for t in theta])
    return np.linalg.lstsq(A, theta.ravel(), rcond=None)[0]


def _dense_sup(p, X, theta, num=400_000):
    """Brute force on the circle: max |eta_p| over points off the atoms' cells, its angle to the nearest atom."""
    t = np.linspace(0.0, 2 * np.pi, num, endpoint=False)
    T = np.column_stack([np.cos(t), np.sin(t)])
    G = T @ X.T
    eta = np.maximum(G, 0.0) @ p / X.shape[0]
    pats = G > 0
    own = np.zeros(num, dtype=bool)
    for u in theta:
        own |= np.all(pats == ((X @ u) > 0)[None], axis=1)
    k = np.flatnonzero(~own)[np.argmax(np.abs(eta[~own]))]
    return float(np.abs(eta[k])), float(np.min(np.arccos(np.clip(theta @ T[k], -1, 1))))


# ------------------------------------------------------------------ the law's statistics
def test_task_margin_and_angle_match_a_dense_brute_force():
    from blasso.studies.near_field import near_field_task, summarise

    recs = []
    for seed in range(4):
        inst = make_instance(teacher="paper", n=120, d=2, m=2, seed=seed)
        out = near_field_task(inst, {}, {"cert_budget": 20})
        theta = inst.teacher_measure().theta
        sup, ang = _dense_sup(_p_V(inst.X, theta), inst.X, theta)
        # a dense grid misses the exact maximiser by at most L * (spacing) ~ 4e-5 here; the angle by one arc
        assert out["margin"] == pytest.approx(1.0 - sup, abs=5e-5)
        assert out["angle"] == pytest.approx(ang, abs=2e-3)
        assert out["violating"] == (sup > 1.0 + 5e-5) or abs(sup - 1.0) < 5e-5
        recs.append({"n": 120, "seed": seed, "verdict": out["verdict"], "margin": 1.0 - sup, "angle": ang,
                     "far_margin_lo": None, "far_margin_hi": None, "wall_s": None})
    row = summarise(recs, 120)
    assert row.margin_median == pytest.approx(float(np.median([r["margin"] for r in recs])), rel=1e-12)
    assert row.violating == sum(r["verdict"] == "fails" for r in recs)


def test_exact_identity_cos_plus_crossed_walls_in_d3():
    # eta_V(theta) = cos angle(theta, theta_j) + (1/n) sum over crossed walls p_i |<theta, x_i>| (module docstring)
    inst = make_instance(teacher="paper", n=300, d=3, m=2, seed=1)
    X, theta = inst.X, inst.teacher_measure().theta
    p = _p_V(X, theta)
    rng = np.random.default_rng(0)
    for j in range(2):
        Z = theta[j] + 0.05 * rng.standard_normal((50, 3))
        Z /= np.linalg.norm(Z, axis=1, keepdims=True)
        eta = np.maximum(Z @ X.T, 0) @ p / X.shape[0]
        crossed = ((Z @ X.T) > 0) != ((X @ theta[j]) > 0)[None]
        rhs = Z @ theta[j] + (crossed * np.abs(Z @ X.T)) @ p / X.shape[0]
        np.testing.assert_allclose(eta, rhs, atol=1e-12)


def test_walk_drift_is_the_population_curvature():
    from blasso.certificates.population import population_precertificate
    from blasso.studies.near_field import local_law

    for d, m in ((2, 2), (3, 2), (3, 3)):
        law = local_law(d, m, samples=0)
        pre = population_precertificate(Measure(np.eye(d)[:m], np.ones(m)))
        h2 = float(pre.one_sided_second_derivative(0, np.array([law.tau_min]))[0])
        assert law.kappa_min == pytest.approx(-h2, rel=1e-12)
        assert law.kappa_min_poisson == pytest.approx(-h2, abs=1e-6)   # quadrature of the Poisson marks
    two = local_law(2, 2, samples=0)      # by hand: a = 3.5440, b = -1.3441, kappa = 1 - (a - b) / (2 pi)
    assert two.kappa_min == pytest.approx(1 - (3.5439844 + 1.3441) / (2 * np.pi), abs=1e-5)


def test_m1_constant_from_the_empirical_alpha():
    from blasso.studies.near_field import m1_violation_constant

    # independent: Monte Carlo of alpha_hat = n (X^T D X)^{-1} theta, its tangential spread (d = 2)
    rng = np.random.default_rng(3)
    n, d, reps = 4000, 2, 400
    g = []
    for _ in range(reps):
        X = rng.standard_normal((n, d))
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        act = X[:, 0] > 0
        a = n * np.linalg.solve(X[act].T @ X[act], np.array([1.0, 0.0]))
        g.append(a[1] * np.sqrt(n))
    sd = float(np.std(g))
    assert sd == pytest.approx(4.0, rel=0.1)                           # 8 d^3 / (d + 2) = 16
    c_mc = (1 / np.pi) / 4 * 1.0 * float(np.mean(np.abs(g)))
    assert m1_violation_constant(2) == pytest.approx(c_mc, rel=0.1)


def test_limit_field_in_d2_matches_a_direct_poisson_simulation():
    from blasso.studies.near_field import local_law

    law = local_law(2, 2, samples=3000, rng=1)
    # independent: on the ray towards the other atom the marks are a = 3.544 and -b = 1.344, rate 1/(2 pi) each;
    # on the other ray 0 and a + b = 2.200.  Simulate F(s) on a fine s grid.
    rng = np.random.default_rng(2)
    s = np.linspace(0, 400, 40001)
    viol = 0
    reps = 600
    for _ in range(reps):
        best = -np.inf
        for marks in ((3.5439844, 1.3441), (0.0, 2.1998844)):
            F = -0.5 * s * s
            first = np.inf
            for mk in marks:
                k = rng.poisson(400 / (2 * np.pi))
                for si in rng.uniform(0, 400, k):
                    F = F + mk * np.maximum(s - si, 0)
                    first = min(first, si)
            best = max(best, F[s >= first].max())
        viol += best > 0
    q1 = viol / reps
    # per atom: the law's q_atom; two atoms: q = 1 - (1 - q_atom)^2
    assert law.simulation["q_atom"] == pytest.approx(q1, abs=0.06)
    assert law.simulation["q"] == pytest.approx(1 - (1 - law.simulation["q_atom"]) ** 2, abs=0.03)


def test_bootstrap_slope_recovers_a_planted_law():
    from blasso.studies.near_field import bootstrap_slope

    rng = np.random.default_rng(0)
    recs = [{"n": n, "x": -(n ** -2.0) * rng.lognormal(0, 0.3)} for n in (100, 1000, 10000, 100000) for _ in range(30)]
    f = bootstrap_slope(recs, [100, 1000, 10000, 100000], "x", B=500)
    assert f["ci"][0] <= -2.0 <= f["ci"][1] and f["r2"] > 0.99
    s, _ = np.polyfit(np.log10([100, 1000, 10000, 100000]),
                      [np.log10(abs(np.median([r["x"] for r in recs if r["n"] == n]))) for n in (100, 1000, 10000, 100000)], 1)
    assert f["slope"] == pytest.approx(s, rel=1e-9)


def test_study_rows_and_check():
    from blasso.studies.near_field import near_field_study

    st = near_field_study(2, 2, [300, 1000, 3000], 12, law_samples=300)
    d = st.to_dict()
    for r in d["rows"]:
        assert {"n", "seeds", "violating_fraction", "margin_median", "margin_q10", "margin_q90", "angle_median_deg",
                "far_margin_median"} <= set(r)
        recs = [x for x in st.records if x["n"] == r["n"]]
        assert r["violating_fraction"] == sum(x["verdict"] == "fails" for x in recs) / len(recs)
        assert r["angle_median_deg"] == pytest.approx(np.degrees(np.median([x["angle"] for x in recs])))
    assert set(d["fits"]) >= {"margin", "angle"} and {"slope", "r2", "ci"} <= set(d["fits"]["margin"])
    assert st.check["status"] in ("holds", "fails", "inconclusive")
    assert json.loads(json.dumps(d, default=float))["d"] == 2


def test_store_route_reads_what_it_wrote(tmp_path):
    from blasso.studies.near_field import seed_records

    store = tmp_path / "nf.sqlite"
    a = seed_records(2, 1, [80], 2, store=store, cert_budget=10)
    b = seed_records(2, 1, [80], 2, store=store, cert_budget=10)   # nothing to run: read back
    assert [r["margin"] for r in a] == [r["margin"] for r in b] and len(a) == 2
    c = seed_records(2, 1, [80], 2, cert_budget=10)                  # in process: the same samples
    assert [r["margin"] for r in c] == pytest.approx([r["margin"] for r in a], rel=1e-12)


# ------------------------------------------------------------------ the support against the teacher
def test_cluster_structure_against_a_direct_computation():
    from blasso.studies.theory import cluster_structure

    rng = np.random.default_rng(5)
    T = Measure(np.eye(3)[:2], np.array([1.0, 2.0]))
    th = np.vstack([T.theta[rng.integers(0, 2, 9)] + 0.03 * rng.standard_normal((9, 3)), rng.standard_normal((3, 3))])
    th /= np.linalg.norm(th, axis=1, keepdims=True)
    nu = Measure(th, rng.uniform(0.01, 1.0, 12))
    cs = cluster_structure(nu, T, 0.08)
    ang = np.arccos(np.clip(th @ T.theta.T, -1, 1))
    for j in range(2):
        idx = [i for i in range(12) if ang[i].argmin() == j and ang[i, j] <= 0.08]
        c = cs["clusters"][j]
        assert c["count"] == len(idx)
        assert c["mass"] == pytest.approx(sum(nu.c[i] for i in idx))
        assert c["mass_error"] == pytest.approx(c["mass"] - T.c[j])
        if idx:
            assert c["radius"] == pytest.approx(max(ang[i, j] for i in idx))
            top = max(idx, key=lambda i: abs(nu.c[i]))
            assert c["main_angle"] == pytest.approx(ang[top, j])
            assert c["extra_mass"] == pytest.approx(sum(abs(nu.c[i]) for i in idx) - abs(nu.c[top]))
    out = [i for i in range(12) if ang[i].min() > 0.08]
    assert cs["outside_count"] == len(out) and cs["outside_mass"] == pytest.approx(sum(abs(nu.c[i]) for i in out))
    # atoms at or below min_mass are dust: not counted anywhere, their mass reported
    light = cluster_structure(nu, T, 0.08, min_mass=0.5)
    heavy = np.abs(nu.c) > 0.5
    assert light["dust_count"] == int((~heavy).sum()) and light["dust_mass"] == pytest.approx(nu.c[~heavy].sum())
    assert sum(c["count"] for c in light["clusters"]) + light["outside_count"] == int(heavy.sum())


def _rows(measures, T, lams, n=1000):
    from blasso.studies.theory import cluster_structure

    rows = []
    for lam, nu in zip(lams, measures):
        cs = cluster_structure(nu, T, 0.1)
        rows.append({"lam": lam, "rel_width": 1e-13, "support_atoms": len(nu), "clusters": cs["clusters"],
                     "outside_mass": cs["outside_mass"], "outside_count": cs["outside_count"], "split": cs["split"],
                     "exactly_m": cs["exactly_m"], "flat_distance": 0.5 * lam, "uniqueness": None})
    return rows


def test_verdict_rows_on_planted_measures():
    from blasso.studies.theory import support_verdicts

    T = Measure(np.eye(2), np.ones(2))
    lams = [1e-4, 1e-5, 1e-6]
    exact = [Measure(np.eye(2), np.ones(2) * (1 - lam)) for lam in lams]
    v = support_verdicts(_rows(exact, T, lams), None, T, n=1000)
    assert v["support_stability"]["status"] == "holds"
    assert v["identifiability"]["status"] == "inconclusive" and v["cluster_recovery"]["status"] == "inconclusive"
    a = 3e-4
    split = [Measure(np.array([[1.0, 0.0], [np.cos(a), np.sin(a)], [0.0, 1.0]]), np.array([1 - 10 * lam, 10 * lam, 1.0]))
             for lam in lams]
    bp = {"lower": 2.0 - 1e-12, "tv": 2.0, "residual": 1e-14, "rel_gap": 1e-12, "n_atoms": 2,
          "lower_source": "planted"}
    v = support_verdicts(_rows(split, T, lams), bp, T, n=1000)
    assert v["support_stability"]["status"] == "fails" and "2 atoms within" in v["support_stability"]["reason"]
    assert v["identifiability"]["status"] == "holds" and v["cluster_recovery"]["status"] == "holds"
    cheaper = {**bp, "tv": 1.9, "lower": 1.8}
    assert support_verdicts(_rows(split, T, lams), cheaper, T, n=1000)["identifiability"]["status"] == "fails"


def test_theory_lam_splits_where_conditions_fail_and_not_where_they_hold():
    from blasso.studies.theory import theory_lam

    one = theory_lam(make_instance(teacher="paper", n=60, d=2, m=1, seed=0), lams=[1e-3, 1e-4, 1e-5])
    assert one.verdicts["support_stability"]["status"] == "holds"
    assert one.verdicts["identifiability"]["status"] == "holds"
    two = theory_lam(make_instance(teacher="paper", n=1000, d=2, m=2, seed=0), lams=[1e-3, 1e-4, 1e-5, 1e-6])
    assert [r["rel_width"] < 1e-9 for r in two.rows] == [True] * 4
    assert two.verdicts["support_stability"]["status"] == "fails"
    assert two.verdicts["identifiability"]["status"] == "holds"
    assert two.verdicts["cluster_recovery"]["status"] == "holds"
    # the extra mass shrinks with lam (about like lam)
    ex = [r["extra_mass"] for r in two.rows]
    assert ex[1] > ex[2] > ex[3] and ex[3] < 0.1 * ex[1]


# ------------------------------------------------------------------ basis pursuit
def _bp_all_cells(X, y):
    """Independent basis pursuit: every cell enumerated, the equality Phi u = y on all n rows, CVXPY."""
    import cvxpy as cp

    from blasso.solvers.patterns import enumerate_cells

    cells = enumerate_cells(X)
    n, d = X.shape
    k = len(cells)
    V, W = cp.Variable((k, d)), cp.Variable((k, d))
    f = sum(cp.multiply(cells.patterns[j].astype(float), X @ (V[j] - W[j])) for j in range(k))
    cons = [f == y]
    for j in range(k):
        s = np.where(cells.patterns[j], 1.0, -1.0)[:, None] * X
        cons += [s @ V[j] >= 0, s @ W[j] >= 0]
    prob = cp.Problem(cp.Minimize(cp.sum(cp.norm(V, 2, axis=1)) + cp.sum(cp.norm(W, 2, axis=1))), cons)
    prob.solve(solver="CLARABEL")
    return float(prob.value)


def test_basis_pursuit_against_an_all_cells_program():
    from blasso.solvers.basis_pursuit import BPConfig, solve_basis_pursuit

    rng = np.random.default_rng(0)
    inst = make_instance(teacher="mixed-signs", n=14, d=2, m=2, seed=3)
    y = inst.y + 0.05 * rng.standard_normal(inst.n)       # labels no small measure fits: a non-trivial BP
    ref = _bp_all_cells(inst.X, y)
    bp = solve_basis_pursuit(inst.X, y, config=BPConfig(warm_lams=(1e-3, 1e-5, 1e-7)))
    assert bp.residual < 1e-8
    assert bp.lower <= ref * (1 + 1e-7)                     # a rigorous lower bound
    assert bp.tv == pytest.approx(ref, rel=1e-6)
    assert bp.lower == pytest.approx(ref, rel=1e-5)
    # the lower bound is the weak-duality value of its dual: recomputed from q and the sup
    from blasso.solvers.basis_pursuit import dual_lower_bound

    lb, sup = dual_lower_bound(bp.q, inst.X, y, sup_budget=10)
    assert lb <= ref * (1 + 1e-7) and sup["rigorous"]


def test_basis_pursuit_of_an_identifiable_teacher_is_the_teacher():
    from blasso.solvers.basis_pursuit import solve_basis_pursuit

    inst = make_instance(teacher="paper", n=1000, d=2, m=2, seed=0)    # (10) fail here, yet the teacher is BP's
    bp = solve_basis_pursuit(inst.X, inst.y)
    T = inst.teacher_measure()
    assert bp.lower <= T.tv and T.tv - bp.lower < 1e-8 * T.tv
    assert len(bp.measure) == 2 and np.allclose(np.sort(bp.measure.c), np.sort(T.c), atol=1e-8)


# ------------------------------------------------------------------ the near-field reading of a fails
def test_check_conditions_reads_a_near_field_violation():
    from blasso.certificates.verdict import check_conditions, near_field_reading

    inst = make_instance(teacher="paper", n=10000, d=2, m=2, seed=0)
    res = check_conditions(inst.X, inst.teacher_measure())
    assert res.verdict == "fails" and res.reason.startswith("near-field violation at r = ")
    nf = res.info["near_field"]
    theta = inst.teacher_measure().theta
    ang = float(np.min(np.arccos(np.clip(theta @ res.violating_theta, -1, 1))))
    assert nf["angle_rad"] == pytest.approx(ang) and nf["angle_n"] == pytest.approx(ang * 10000)
    assert nf["far_radius_rad"] > ang and nf["far_margin_lo"] > 0
    far = [c for c in res.curve if c["r"] >= nf["far_radius_rad"]]
    assert all(c["margin_lo"] > 0 for c in far)
    # a violation beyond every certified radius is not a near-field one
    assert near_field_reading(100, theta, theta[0] * np.cos(1.0) + theta[1] * np.sin(1.0), 1.01,
                              [{"r": 0.5, "margin_lo": 0.1}]) is None


# ------------------------------------------------------------------ the command line
def test_cli_near_field_json_and_bad_input(tmp_path, capsys):
    from blasso.cli import main

    js = tmp_path / "nf.json"
    assert main(["theory", "near-field", "--d", "2", "--m", "2", "--n", "200,2000", "--seeds", "4", "--law-samples",
                 "100", "--json", str(js), "--quiet"]) == 0
    fig = json.loads(js.read_text())["figures"]
    assert fig["which"] == "near-field" and [r["n"] for r in fig["rows"]] == [200, 2000]
    assert {"margin", "angle"} <= set(fig["fits"])
    capsys.readouterr()
    assert main(["theory", "near-field", "--d", "2", "--m", "3", "--n", "200", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "m = 3 needs d >= m" in err[0]
    assert main(["theory", "lam", "--n", "100,200", "--quiet"]) == 2
    assert main(["theory", "near-field", "--n", "100,x", "--quiet"]) == 2
    assert main(["theory", "near-field", "--from-json", str(tmp_path / "missing.json"), "--quiet"]) == 2
