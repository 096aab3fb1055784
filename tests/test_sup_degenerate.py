"""Rigorous sups on degenerate data and extreme scales, against an independent brute force.

The brute force evaluates ``|eta_p|`` directly (float64) at random directions
plus the directions where degenerate data put their maxima (the samples'
own directions and, for coplanar samples, the plane's normal).  Every bracket
must satisfy ``hi >= brute force`` whatever the number of ascent starts.
"""

import numpy as np
import pytest

from blasso.features import eta
from blasso.sphere import random_sphere
from blasso.certificates import sup as supmod
from blasso.certificates.ball import arb_less
from blasso.certificates.sup import cap_upper_bounds, lipschitz_constant, sup_abs_eta, sup_branch_and_bound

SCALES = (1e-150, 1.0, 1e150)


def _family(name: str, d: int, rng: np.random.Generator):
    """Degenerate samples X (norms <= 1) and a dual vector p of unit scale."""
    base = random_sphere(6, d, rng)
    if name == "duplicated":
        X = np.repeat(base, 2, axis=0)
    elif name == "parallel":  # same direction, different lengths (not powers of two)
        X = np.vstack([base, 0.3 * base, 0.7 * base[:3]])
    elif name == "antipodal":
        X = np.vstack([base, -base, -0.5 * base[:2]])
    elif name == "hyperplane":  # every sample in {x_d = 0}
        X = base.copy()
        X[:, -1] = 0.0
        X = np.vstack([X, -X[:2]]) / np.maximum(1.0, np.linalg.norm(X, axis=1).max())
    elif name == "cluster":  # three tight clusters
        X = np.vstack([c + 1e-9 * rng.standard_normal((4, d)) for c in base[:3]])
        X /= np.linalg.norm(X, axis=1, keepdims=True)
    elif name == "axis":  # the reproducer's family: copies of e1 and -e1 only
        X = np.zeros((5, d))
        X[:3, 0] = 1.0
        X[3:, 0] = -0.5
    elif name == "axis+":  # the same with two generic samples
        X = np.zeros((5, d))
        X[:3, 0] = 1.0
        X[3:, 0] = -1.0
        X = np.vstack([X, base[:2]])
    elif name == "zero-rows":
        X = np.vstack([base, np.zeros((3, d))])
    else:
        raise ValueError(name)
    p = rng.standard_normal(X.shape[0])
    return p, X


FAMILIES = ("duplicated", "parallel", "antipodal", "hyperplane", "cluster", "axis", "axis+", "zero-rows")


def _brute(p, X, rng, k=20000):
    d = X.shape[1]
    T = [random_sphere(k, d, rng)]
    nz = np.linalg.norm(X, axis=1) > 0
    T += [X[nz] / np.linalg.norm(X[nz], axis=1, keepdims=True)]
    T += [-T[1], np.eye(d), -np.eye(d)]
    T = np.vstack(T)
    return float(np.abs(eta(p, X, T)).max())


def _violations(d, starts_list=(1, 64), scales=SCALES, families=FAMILIES, budget=1.5):
    """Cases where the bracket misses the brute force (or a bound was caught below a point value)."""
    bad = []
    for f_i, fam in enumerate(families):
        rng = np.random.default_rng(100 * d + f_i)
        p0, X = _family(fam, d, rng)
        brute0 = _brute(p0, X, rng)
        for scale in scales:
            p = p0 * scale
            for n_starts in starts_list:
                try:
                    res = sup_abs_eta(p, X, n_starts=n_starts, rng=n_starts, time_budget=budget, tol=1e-6)
                except RuntimeError as exc:  # a detected wrong bound
                    bad.append((fam, scale, n_starts, str(exc)))
                    continue
                if not res.hi >= brute0 * scale * (1 - 1e-12):
                    bad.append((fam, scale, n_starts, res.hi / scale, brute0))
    return bad


@pytest.mark.parametrize("d", [2, 3, 4])
def test_degenerate_families_at_extreme_scales_never_below_brute_force(d):
    # 8 families x 3 scales x 2 start counts = 48 brackets per dimension
    assert _violations(d, budget=1.0 if d == 4 else 1.5) == []


def test_brackets_are_tight_on_degenerate_data_in_d2_and_d3():
    for d in (2, 3):
        for f_i, fam in enumerate(FAMILIES):
            rng = np.random.default_rng(7 + f_i)
            p, X = _family(fam, d, rng)
            res = sup_abs_eta(p, X, time_budget=5, tol=1e-8)
            brute = _brute(p, X, rng, k=200000)
            L = lipschitz_constant(p, X)
            assert res.hi >= brute * (1 - 1e-12)
            assert res.hi - brute <= 0.02 * L, (d, fam, res.method, res.hi, brute)  # not vacuous


def test_reproducer_parallel_samples_on_one_axis():
    X = np.array([[1.0, 0, 0], [1.0, 0, 0]])
    p = np.array([1.0, 1.0])
    assert supmod.sup_exact_sphere3(p, X).hi >= 1.0  # true sup = 1 at e1
    for n_starts in (1, 64):
        assert sup_abs_eta(p, X, n_starts=n_starts, rng=5).hi >= 1.0


def test_reproducer_huge_p_cap_bound_does_not_overflow():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((10, 4))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    p = rng.standard_normal(10) * 1e160
    res = sup_abs_eta(p, X, time_budget=3)
    assert res.hi >= 1.6005e159  # 200k random points reach 1.6005e159
    dense = np.abs(eta(p, X, random_sphere(200000, 4, np.random.default_rng(0)))).max()
    assert res.hi >= dense and res.hi <= dense * 1.01


def test_scaling_by_a_power_of_two_scales_the_bracket_exactly():
    rng = np.random.default_rng(4)
    X = random_sphere(30, 4, rng)
    p = rng.standard_normal(30)
    a = sup_branch_and_bound(p, X, tol=1e-5, time_budget=30)
    b = sup_branch_and_bound(p * 2.0 ** 600, X, tol=1e-5, time_budget=30)
    c = sup_branch_and_bound(p * 2.0 ** -600, X, tol=1e-5, time_budget=30)
    assert a.stopped == b.stopped == c.stopped == "converged"
    assert b.hi == a.hi * 2.0 ** 600 and c.hi == a.hi * 2.0 ** -600


def test_planted_dropped_cell_is_caught(monkeypatch):
    # the earlier bug: samples parallel to a circle's normal all off on both sides
    monkeypatch.setattr(supmod, "_on", lambda pats, on_circle, rel: pats.copy())
    assert _violations(3, starts_list=(1,), scales=(1.0,), families=("axis", "duplicated")) != []


def test_bound_one_part_in_1e12_above_one_is_never_certified_below_one():
    # n = 1, x = e1, p = 1 + 1e-12: sup |eta| = p exactly, at e1
    X = np.array([[1.0, 0.0, 0.0]])
    p = np.array([1.0 + 1e-12])
    caps = cap_upper_bounds(p, X, np.array([[1.0, 0.0, 0.0], [1.0, 1e-3, 0.0]]), [1e-9, 2e-3])
    assert np.all(caps >= p[0])
    res = sup_branch_and_bound(p, X, threshold=1.0, time_budget=5)
    assert res.stopped != "below-threshold" and res.hi >= p[0]
    assert not arb_less([res.hi, 0.0], 1.0)
    assert not arb_less([1.0, 1e-12], 1.0)  # the final ball-arithmetic test itself


def test_time_budget_bounds_the_whole_call():
    import time

    rng = np.random.default_rng(0)
    X = random_sphere(1000, 3, rng)  # the exact d = 3 enumeration used to take > 118 s here
    p = rng.standard_normal(1000)
    t0 = time.perf_counter()
    res = sup_abs_eta(p, X, time_budget=2.0)
    wall = time.perf_counter() - t0
    assert wall < 2.0 + 3.0, wall
    dense = np.abs(eta(p, X, random_sphere(20000, 3, rng))).max()
    assert res.hi >= dense  # still a rigorous bracket when stopped by the budget
    assert res.stopped in ("budget", "converged", "exact")


def test_lo_above_hi_raises_instead_of_being_masked(monkeypatch):
    rng = np.random.default_rng(2)
    X = random_sphere(12, 3, rng)
    p = rng.standard_normal(12)
    real = supmod.CapBounder.bounds

    def too_low(self, C, s, lb, *args, **kw):
        ub, ec, k = real(self, C, s, lb, *args, **kw)
        return np.minimum(ub, 1e-6), ec, k  # a planted bound far below the true values

    monkeypatch.setattr(supmod.CapBounder, "bounds", too_low)
    with pytest.raises(RuntimeError, match="bound is wrong"):
        sup_abs_eta(p, X, method="bnb", time_budget=2)


@pytest.mark.parametrize("d", [2, 3, 5])
def test_smallest_sine_between_hyperplanes_against_all_pairs(d):
    """The k-d tree's smallest sine (up to sign) against every pair by chord length: never above, within 1e-6
    relative (plus 1e-14) below, with a planted near-parallel and a planted near-antipodal pair."""
    rng = np.random.default_rng(d)
    R = random_sphere(200, d, rng)
    R[1] = R[0] + 1e-9 * rng.standard_normal(d)
    R[3] = -R[2] + 1e-11 * rng.standard_normal(d)
    R /= np.linalg.norm(R, axis=1, keepdims=True)
    i, j = np.triu_indices(len(R), 1)
    chord = np.minimum(np.linalg.norm(R[i] - R[j], axis=1), np.linalg.norm(R[i] + R[j], axis=1))
    brute = float(np.min(chord * np.sqrt(1.0 - chord ** 2 / 4.0)))
    got = supmod._min_sine(R)
    assert brute < 1e-10                                   # the planted pair is the closest
    assert brute * (1 - 1e-6) - 1e-14 <= got <= brute
