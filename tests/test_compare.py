"""Measure comparison (blasso.studies.compare) and GD against a certified convex optimum in d = 2.

Independent checks: closed forms of the flat distance for one or two atoms and
its dual (any function with |f| <= b, Lip <= 1 gives a lower bound);
brute-force matching over all permutations; and, for the GD test, a
certified bracket [D(s p), J(ref)] on J* built here from the EXACT supremum of
|eta_p| over the circle (piecewise ``<theta, v>`` on arcs between the
``x_i^perp`` crossings), independent of the code under test.
"""

import itertools

import numpy as np
import pytest

from blasso import make_instance
from blasso.studies.compare import Tolerances, compare_measures, flat_distance, gd_vs_convex, match_atoms
from blasso.measure import Measure
from blasso.objective import blasso_objective, dual_objective
from blasso.sphere import geodesic_distance, make_grid, random_sphere
from blasso.validation import BlassoInputError
from blasso.solvers.gd import init_network, run_gd


def _u(t):
    return np.array([[np.cos(t), np.sin(t)]])


def _circle_sup_abs_eta(p, X):
    """Exact ``sup_theta |(1/n) sum_i p_i relu(<theta, x_i>)|`` over the unit circle."""
    return _circle_sup_and_argmax(p, X)[0]


def _circle_sup_and_argmax(p, X):
    n = X.shape[0]
    phi = np.arctan2(X[:, 1], X[:, 0])
    bps = np.sort(np.mod(np.concatenate([phi + np.pi / 2, phi - np.pi / 2]), 2 * np.pi))
    bps = np.concatenate([bps, [bps[0] + 2 * np.pi]])
    best, arg = 0.0, None
    for t0, t1 in zip(bps[:-1], bps[1:]):
        if t1 - t0 < 1e-15:
            continue
        tm = 0.5 * (t0 + t1)
        act = X @ _u(tm)[0] > 0
        v = (p[act, None] * X[act]).sum(0) / n
        for sgn in (1.0, -1.0):                    # max of <theta, +-v> over the arc
            w = sgn * v
            cand = [(float(_u(t0)[0] @ w), t0), (float(_u(t1)[0] @ w), t1)]
            tv = np.mod(np.arctan2(w[1], w[0]) - t0, 2 * np.pi) + t0
            if tv <= t1:
                cand.append((float(np.linalg.norm(w)), tv))
            val, t = max(cand)
            if val > best:
                best, arg = val, _u(t)[0]
    return best, arg


def _certified_lower_bound(nu, X, y, lam):
    p = (y - nu.evaluate(X)) / lam
    s = 1.0 / max(1.0, _circle_sup_abs_eta(p, X))
    return dual_objective(s * p, y, lam)


# ------------------------------------------------------------------ flat distance
def test_flat_distance_closed_forms():
    a, b_ = _u(0.0), _u(0.3)
    one = Measure(a, [1.0])
    assert flat_distance(one, one) == pytest.approx(0.0, abs=1e-12)
    # move mass 1 by 0.3 rad
    assert flat_distance(one, Measure(b_, [1.0])) == pytest.approx(0.3, abs=1e-9)
    # move 0.6 by 0.3, delete 0.4 at cost b = 1
    assert flat_distance(one, Measure(b_, [0.6])) == pytest.approx(0.6 * 0.3 + 0.4, abs=1e-9)
    # farther than 2b: delete and create
    far = Measure(_u(2.5), [1.0])
    assert flat_distance(one, far, b=1.0) == pytest.approx(2.0, abs=1e-9)
    assert flat_distance(one, far, b=2.0) == pytest.approx(2.5, abs=1e-9)
    # opposite signs at the same point: |1 - (-1)| = 2 units of mass to delete
    assert flat_distance(one, Measure(a, [-1.0])) == pytest.approx(2.0, abs=1e-9)
    # inside one measure, + and - atoms close together nearly cancel against the empty measure
    dip = Measure(np.vstack([a, b_]), [1.0, -1.0])
    assert flat_distance(dip, Measure.empty(2)) == pytest.approx(0.3, abs=1e-9)
    assert flat_distance(one, Measure(b_, [1.0])) == pytest.approx(flat_distance(Measure(b_, [1.0]), one))


def test_flat_distance_dominates_lipschitz_test_functions():
    """KR duality: int f d(nu - ref) <= ||nu - ref||_flat for every |f| <= b, Lip(f) <= 1."""
    rng = np.random.default_rng(4)
    for trial in range(5):
        nu = Measure(random_sphere(6, 3, rng), rng.standard_normal(6))
        ref = Measure(random_sphere(4, 3, rng), rng.standard_normal(4))
        dist = flat_distance(nu, ref, b=1.0)
        assert dist <= 1.0 * (nu.tv + ref.tv) + 1e-12
        for _ in range(20):
            centers = random_sphere(3, 3, rng)

            def f(theta):     # min of 1-Lipschitz cones, clipped to [-1, 1]: 1-Lipschitz, |f| <= 1
                vals = geodesic_distance(theta, centers) - 1.0
                return np.clip(vals.min(axis=1), -1.0, 1.0)
            val = float(f(nu.theta) @ nu.c - f(ref.theta) @ ref.c)
            assert val <= dist + 1e-9


# ------------------------------------------------------------------ matching
def test_hungarian_matching_equals_brute_force():
    rng = np.random.default_rng(7)
    for _ in range(5):
        ref = Measure(random_sphere(4, 3, rng), np.ones(4))
        nu = Measure(random_sphere(4, 3, rng), np.ones(4))
        m = match_atoms(nu, ref, match_angle=10.0)
        D = geodesic_distance(nu.theta, ref.theta)
        best = min(sum(D[i, perm[i]] for i in range(4)) for perm in itertools.permutations(range(4)))
        assert sum(m["angles"]) == pytest.approx(best, abs=1e-12)
    # signs never match
    m = match_atoms(Measure(_u(0.0), [1.0]), Measure(_u(0.0), [-1.0]))
    assert m["pairs"] == [] and m["unmatched_mass"] == pytest.approx(2.0)


def test_compare_identical_and_permuted_measures():
    inst = make_instance(teacher="paper", n=50, d=3, m=2, seed=0)
    nu = inst.teacher_measure()
    perm = Measure(nu.theta[::-1], nu.c[::-1])
    rep = compare_measures(perm, nu, inst.X, inst.y, 1e-3)
    assert rep["verdict"] == "same-measure"
    assert rep["distance"] == pytest.approx(0.0, abs=1e-10) and rep["objective_gap"] == pytest.approx(0.0, abs=1e-15)
    assert rep["n_matched"] == 2 and rep["unmatched_mass"] == 0.0 and rep["prediction_rel_error"] < 1e-12
    # a measure with a missing atom: different (objective gap and distance both large)
    half = Measure(nu.theta[:1], nu.c[:1])
    rep2 = compare_measures(half, nu, inst.X, inst.y, 1e-3)
    assert rep2["verdict"] == "different-measure" and rep2["unmatched_mass"] == pytest.approx(1.0)
    # the candidate beating the reference by a lot: the reference is not J*, so inconclusive
    rep3 = compare_measures(nu, half, inst.X, inst.y, 1e-3)
    assert rep3["verdict"] == "inconclusive" and "not the optimum" in rep3["reasons"][0]
    with pytest.raises(BlassoInputError, match="tolerance"):
        Tolerances(gap_rtol=-1)
    with pytest.raises(BlassoInputError, match="lives in d"):
        compare_measures(Measure(random_sphere(1, 2, 0), [1.0]), nu, inst.X, inst.y, 1e-3)


# ------------------------------------------------------------------ GD vs certified optimum
@pytest.fixture(scope="module")
def certified_d2():
    """d = 2, m = 2 paper teacher, n = 60: fine grid + refinement, certified by the exact circle sup."""
    inst = make_instance(teacher="paper", n=60, d=2, m=2, seed=1, basis="canonical")
    lam = 1e-3
    res = gd_vs_convex(inst.X, inst.y, lam, 40, grid=make_grid("equiangular", 3600, 2), alpha="auto",
                       seed=0, max_iter=60000, gap_target=1e-5, ftol=0.0, refine_rounds=6)
    rep, ref = res.to_dict(), res.reference
    rep["gd_result"] = res.gd
    lower = _certified_lower_bound(ref, inst.X, inst.y, lam)
    return inst, lam, rep, ref, lower


def test_convex_reference_is_certified_in_d2(certified_d2):
    inst, lam, rep, ref, lower = certified_d2
    upper = blasso_objective(ref, inst.X, inst.y, lam)
    assert lower <= upper
    assert upper - lower <= 1e-6 * upper        # bracket on J* of relative width 1e-6


def test_certificate_module_bound_agrees_with_the_independent_one(certified_d2):
    inst, lam, rep, ref, lower = certified_d2
    J_low = rep["convex"]["J_lower"]       # from blasso.certificates.sup through sphere_sup_oracle
    assert J_low is not None and J_low <= rep["J_convex"]
    assert abs(J_low - lower) <= 1e-6 * lower
    assert rep["objective_gap_upper"] == pytest.approx(rep["J_gd"] - J_low, abs=1e-15)


def test_exchange_rounds_with_an_exact_oracle_certify_from_a_coarse_grid(certified_d2):
    """convex_reference + the exact circle oracle written here: from 23 grid points to a 1e-7 bracket."""
    from blasso.solvers.refine import convex_reference
    inst, lam, _, _, lower = certified_d2

    def oracle(p):
        val, arg = _circle_sup_and_argmax(p, inst.X)
        return val, val, arg[None, :]

    ref = convex_reference(inst.X, inst.y, lam, make_grid("equiangular", 23, 2), rounds=15, sup_oracle=oracle,
                           bracket_rtol=1e-7)
    assert ref.J_lower <= ref.J and ref.J - ref.J_lower <= 1e-7 * ref.J
    assert any(h.get("atoms_added") for h in ref.history)
    assert abs(ref.J - lower) <= 1e-6 * lower


def test_gd_with_large_M_reaches_the_certified_optimum(certified_d2):
    inst, lam, rep, ref, lower = certified_d2
    J_gd = rep["J_gd"]
    assert J_gd == pytest.approx(run_J(rep, inst, lam), rel=1e-12)
    # GD (alpha auto = 2, <= 60000 iterations) reaches J* within 2e-5 (relative) of the certified lower bound
    assert lower <= J_gd <= lower * (1 + 2e-5)
    assert rep["gd"]["sign_flips"] == 0
    assert rep["verdict"] == "same-measure"
    # same support: every teacher-side spike of the reference matched within 0.5 deg
    big = [m for m in rep["matched"] if abs(m["c_convex"]) > 0.1]
    assert len(big) == 2 and max(m["angle"] for m in big) < np.radians(0.5)
    assert rep["distance_rel"] < 0.01


def run_J(rep, inst, lam):
    res = rep["gd_result"]
    return blasso_objective(res.measure(), inst.X, inst.y, lam)


def test_gd_with_too_few_units_does_not_and_compare_says_so(certified_d2):
    inst, lam, _, ref, lower = certified_d2
    # M = 2: one positive and one negative unit cannot carry the two positive spikes
    rep = gd_vs_convex(inst.X, inst.y, lam, 2, ref=ref, alpha=1.0, seed=0, max_iter=20000, gap_target=1e-5,
                       ftol=1e-10).to_dict()
    assert rep["gd"]["sign_flips"] == 0
    assert rep["J_gd"] > lower * 5
    assert rep["verdict"] == "different-measure"
    assert rep["unmatched_mass_rel"] > 0.3


def test_fig3_claim_l1_and_l2_reach_the_same_measure():
    """Paper Fig. 3: L1 and L2 penalties follow (almost) the same path and end at the same measure."""
    inst = make_instance(teacher="paper", n=60, d=2, m=2, seed=1, basis="canonical")
    lam = 1e-3
    init = init_network(12, 2, 3)
    r1 = run_gd(inst.X, inst.y, lam, init=init, penalty="l1", alpha=2.0, max_iter=30000)
    r2 = run_gd(inst.X, inst.y, lam, init=init, penalty="l2", alpha=2.0, max_iter=30000)
    rep = compare_measures(r2.measure(), r1.measure(), inst.X, inst.y, lam)
    assert abs(r1.J - r2.J) <= 1e-4 * r1.J
    assert rep["distance_rel"] < 0.01 and rep["verdict"] == "same-measure"
    # the L2 penalty balances the live units (|a_j| = ||w_j||, started at 2/M vs 1) ...
    live = np.abs(r2.a) * np.linalg.norm(r2.W, axis=1) > 1e-3
    np.testing.assert_allclose(np.abs(r2.a[live]), np.linalg.norm(r2.W[live], axis=1), rtol=1e-2)
    # ... but not the dead ones: eta_j ~ alpha |a_j| / ||w_j|| -> 0 freezes their ||w_j||, so F_L2 stays
    # above J by lam/2 sum_j (|a_j| - ||w_j||)^2 (AM-GM identity, computed here unit by unit)
    excess = sum(0.5 * lam * (abs(a) - np.linalg.norm(w)) ** 2 for a, w in zip(r2.a, r2.W))
    assert r2.F - r2.J == pytest.approx(excess, rel=1e-9)
    assert excess > 0.1 * r2.J


def test_too_large_alpha_flips_signs_and_auto_alpha_refuses_it():
    from blasso.solvers.gd import choose_alpha
    inst = make_instance(teacher="paper", n=60, d=2, m=2, seed=1, basis="canonical")
    init = init_network(2, 2, 0)
    r = run_gd(inst.X, inst.y, 1e-3, init=init, alpha=4.0, max_iter=20000)
    assert r.info["sign_flips"] == 1 and np.all(r.a > 0)      # the negative unit jumped across 0
    pick = choose_alpha(inst.X, inst.y, 1e-3, init=init)
    assert pick["probe"][4.0] is None and pick["alpha"] < 4.0


def test_zero_reference_is_compared_at_the_candidates_scale():
    # lam >= lam_max: the convex optimum is the zero measure; relative figures must stay finite
    from blasso.instance import make_instance
    from blasso.measure import Measure
    from blasso.studies.compare import compare_measures

    inst = make_instance(teacher="paper", n=40, d=3, m=2, seed=0)
    zero = Measure(np.zeros((0, 3)), np.zeros(0))
    nu = Measure(inst.teacher_measure().theta, np.array([1e-3, 2e-3]))
    rep = compare_measures(nu, zero, inst.X, inst.y, 10.0)
    assert np.isclose(rep["unmatched_mass_rel"], 1.0)  # all of nu's mass is unmatched, relative to its own TV
    assert np.isfinite(rep["prediction_rel_error"]) and np.isclose(rep["prediction_rel_error"], 1.0)
    assert rep["verdict"] != "same-measure"
    both = compare_measures(zero, zero, inst.X, inst.y, 10.0)
    assert both["unmatched_mass_rel"] == 0.0 and both["verdict"] == "same-measure"
