"""The circle sweep (d = 2): rigorous ``sup |eta_p|`` at any n, checked against independent references.

References: a dense float evaluation on 400,000 equiangular directions, an
``mpmath`` evaluation at 40 digits (at the sweep's argmax, at planted
breakpoints, and of the pseudo-angle itself), branch and bound in outward
rounding, and a plain float sweep written here.  Tolerances are stated
relative to ``L = (1/n) sum |p_i| |x_i|``.
"""

import time

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blasso.features import eta
from blasso.instance import make_instance
from blasso.memory import limits
from blasso.sphere import equiangular_grid, random_sphere
from blasso.validation import BlassoInputError
from blasso.certificates import ball
from blasso.certificates.cells import activation_pattern
from blasso.certificates.circle import BREAKPOINT_ERROR, circle_sweep_bytes, pseudo_angle, sup_circle_sweep
from blasso.certificates.dual import vanishing_derivative_certificate
from blasso.certificates.sup import lipschitz_constant, sup_abs_eta, sup_branch_and_bound
from blasso.certificates.verdict import check_conditions

N2 = 400000
DENSE2 = equiangular_grid(N2)
U = 2.0 ** -53
mpmath.mp.dps = 40


def _problem(n, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    return scale * 3.0 * rng.standard_normal(n), random_sphere(n, 2, rng)


def _mp_eta(p, X, theta) -> mpmath.mpf:
    """eta_p(theta / |theta|) in 40-digit arithmetic (the float data taken as exact)."""
    t0, t1 = mpmath.mpf(float(theta[0])), mpmath.mpf(float(theta[1]))
    nr = mpmath.sqrt(t0 * t0 + t1 * t1)
    s = mpmath.mpf(0)
    for pi, (a, b) in zip(p.tolist(), X.tolist()):
        g = (t0 * a + t1 * b) / nr
        if g > 0:
            s += pi * g
    return s / len(p)


def _mp_eta_at_angle(p, X, t) -> mpmath.mpf:
    return _mp_eta(p, X, (mpmath.cos(t), mpmath.sin(t)))


def _dense_sup(p, X, exclude=None):
    vals = np.abs(eta(p, X, DENSE2))
    if exclude is not None:
        pats = activation_pattern(X, DENSE2)
        keep = ~np.any(np.all(pats[:, None, :] == np.atleast_2d(exclude)[None], axis=2), axis=1)
        vals = vals[keep]
    return float(vals.max())


# ------------------------------------------------------------------ the pseudo-angle
def _mp_pseudo(a, b):
    a, b = mpmath.mpf(a), mpmath.mpf(b)
    den = abs(a) + abs(b)
    if b >= 0:
        return (0 + abs(b) / den) if a >= 0 else (1 + abs(a) / den)
    return (2 + abs(b) / den) if a < 0 else (3 + abs(a) / den)


def test_pseudo_angle_error_and_breakpoint_error_against_mpmath():
    rng = np.random.default_rng(0)
    V = rng.standard_normal((3000, 2)) * 10.0 ** rng.uniform(-30, 30, size=(3000, 1))
    V[:200, 1] *= 1e-12  # near the axes
    V[200:400, 0] *= 1e-12
    V[400:410, 1] = 0.0
    P = pseudo_angle(V[:, 0], V[:, 1])
    worst_P, worst_t = 0.0, 0.0
    for (a, b), ph in zip(V.tolist(), P.tolist()):
        ex = _mp_pseudo(a, b)
        d = abs(mpmath.mpf(ph) - ex)
        worst_P = max(worst_P, float(min(d, 4 - d)))  # cyclic: a computed 4 is 0
        # the angle of P^ vs the true angle: invert P on its quadrant exactly
        k, q = int(ph), mpmath.mpf(ph) - int(ph)
        t_hat = k * mpmath.pi / 2 + mpmath.atan(q / (1 - q)) if q < 1 else (k + 1) * mpmath.pi / 2
        t_true = mpmath.atan2(b, a) % (2 * mpmath.pi)
        dt = abs(t_hat - t_true)
        worst_t = max(worst_t, float(min(dt, 2 * mpmath.pi - dt)))
    assert worst_P <= 4.01 * U
    assert worst_t <= BREAKPOINT_ERROR / 2  # the module docstring's 2 eps_P, with the factor 2 it spares
    # strictly increasing with the angle where angles are well separated
    ang = np.mod(np.arctan2(V[:, 1], V[:, 0]), 2 * np.pi)
    o = np.argsort(ang)
    sep = np.diff(ang[o]) > 1e-12
    assert np.all(np.diff(P[o])[sep] > 0)


# ----------------------------------------------------- against dense, mpmath and branch and bound
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_sweep_matches_dense_mpmath_and_branch_and_bound(seed):
    p, X = _problem(40, seed)
    res = sup_circle_sweep(p, X)
    L = lipschitz_constant(p, X)
    dense = _dense_sup(p, X)
    assert res.method == "circle-sweep" and res.rigorous
    assert res.hi >= dense and res.hi - dense <= L * np.pi / N2  # equal within the grid's resolution
    mp_at = _mp_eta(p, X, res.theta_lo)
    assert abs(mp_at) <= res.hi  # the bound holds at the argmax, in 40 digits
    assert res.hi - abs(mp_at) <= 1e-13 * L  # and it is tight there
    assert abs(abs(mp_at) - res.lo) <= 1e-14 * L
    bb = sup_branch_and_bound(p, X, tol=1e-9, time_budget=20)
    assert bb.stopped == "converged"
    assert abs(bb.lo - res.lo) <= 1e-9 * L and bb.hi >= res.lo and res.hi >= bb.lo


@pytest.mark.parametrize("n,seed", [(60, 5), (200, 6)])
def test_sweep_and_branch_and_bound_agree_with_excluded_cells(n, seed):
    p, X = _problem(n, seed)
    excl = activation_pattern(X, random_sphere(4, 2, np.random.default_rng(seed)))
    res = sup_circle_sweep(p, X, exclude_patterns=excl)
    L = lipschitz_constant(p, X)
    bb = sup_branch_and_bound(p, X, exclude_patterns=excl, tol=1e-8, time_budget=30)
    assert bb.hi >= res.lo and res.hi >= bb.lo
    if bb.stopped == "converged":
        assert abs(bb.lo - res.lo) <= 1e-8 * L
    assert res.hi >= _dense_sup(p, X, excl)


def test_excluded_cells_are_honoured():
    p, X = _problem(30, 11)
    full = sup_circle_sweep(p, X)
    cell = activation_pattern(X, full.theta_lo)  # exclude the cell of the global maximiser
    res = sup_circle_sweep(p, X, exclude_patterns=cell[None])
    dense_off = _dense_sup(p, X, cell[None])
    L = lipschitz_constant(p, X)
    assert res.hi >= dense_off and res.hi - dense_off <= L * np.pi / N2
    assert res.hi < full.lo - 1e-6 * L  # the excluded maximum is really left out
    assert not np.array_equal(activation_pattern(X, res.theta_lo), cell)
    every = activation_pattern(X, DENSE2)
    allx = sup_circle_sweep(p, X, exclude_patterns=np.unique(every, axis=0))
    # every cell excluded: no point is left (lo = -inf); hi stays a bound (the walls' values, conservatively)
    assert allx.theta_lo is None and allx.lo == -np.inf and allx.hi <= full.hi


# ------------------------------------------------------------------ planted cases
def test_two_breakpoints_1e_13_apart():
    rng = np.random.default_rng(3)
    a = 0.7
    X = np.vstack([[np.cos(a), np.sin(a)], [np.cos(a + 1e-13), np.sin(a + 1e-13)], random_sphere(20, 2, rng)])
    p = np.concatenate([[50.0, -50.0], rng.standard_normal(20)])
    res = sup_circle_sweep(p, X)
    L = lipschitz_constant(p, X)
    assert res.rigorous and "routed" not in res.info
    assert 0.5e-13 < res.info["min_breakpoint_gap_rad"] < 2e-13  # the true smallest gap is reported
    # the sliver between the two breakpoints, and its ends, evaluated in 40 digits
    phi = [mpmath.atan2(X[i, 1], X[i, 0]) for i in (0, 1)]
    for base in (-mpmath.pi / 2, mpmath.pi / 2):
        ends = [f + base for f in phi]
        for t in (ends[0], ends[1], (ends[0] + ends[1]) / 2):
            assert abs(_mp_eta_at_angle(p, X, t)) <= res.hi
    assert res.hi >= _dense_sup(p, X)
    assert res.hi - abs(_mp_eta(p, X, res.theta_lo)) <= 1e-13 * L


def test_breakpoints_closer_than_float_resolution():
    rng = np.random.default_rng(4)
    X = np.vstack([[1.0, 0.3], [1.0, 0.3 + 2.0 ** -54], [-1.0, -0.3 - 2.0 ** -53], random_sphere(10, 2, rng)])
    p = np.concatenate([[40.0, -40.0, 7.0], rng.standard_normal(10)])
    res = sup_circle_sweep(p, X)
    L = lipschitz_constant(p, X)
    for i in range(3):
        f = mpmath.atan2(X[i, 1], X[i, 0])
        for t in (f - mpmath.pi / 2, f + mpmath.pi / 2):
            for dt in (0, mpmath.mpf("1e-17"), -mpmath.mpf("1e-17")):
                assert abs(_mp_eta_at_angle(p, X, t + dt)) <= res.hi
    assert res.hi >= _dense_sup(p, X) and res.hi - res.lo <= 1e-13 * L


def _planted_violation(eps: float, w: float, n_zero: int, seed: int):
    """A cell next to the atom u = (1, 0) where |eta| peaks at 1 + eps (plus rows of weight zero)."""
    n = 2 + n_zero
    x1 = np.array([np.sin(w), -np.cos(w)])  # its wall is at angle w above the atom
    p1 = n * (np.sin(w) + np.sqrt(np.sin(w) ** 2 + 2 * eps + eps ** 2))
    vb = np.array([n - p1 * np.sin(w), p1 * np.cos(w)])  # the cell vector across the wall, |vb| = n (1 + eps)
    x2 = vb / np.linalg.norm(vb)
    rng = np.random.default_rng(seed)
    Z = random_sphere(n_zero, 2, rng) if n_zero else np.zeros((0, 2))
    Z = Z[np.abs(np.arctan2(Z[:, 1], Z[:, 0]) % np.pi - np.pi / 2) > 0.2]  # no wall between the atom and the peak
    X = np.vstack([x1, x2, Z])
    p = np.concatenate([[p1, np.linalg.norm(vb)], np.zeros(len(Z))]) * (len(X) / n)
    return p, X, np.array([1.0, 0.0])


@pytest.mark.parametrize("n_zero", [0, 2000])
def test_violation_of_1e_15_next_to_an_atom_is_never_hidden(n_zero):
    p, X, u = _planted_violation(1e-15, 1e-3, n_zero, seed=n_zero)
    cell = activation_pattern(X, u)
    res = sup_circle_sweep(p, X, exclude_patterns=cell[None])
    # the exact sup off the atom's cell: (p_2 |x_2| / n) at the direction of x_2 (in 40 digits)
    x2 = [mpmath.mpf(v) for v in X[1].tolist()]
    peak = mpmath.mpf(p[1]) * mpmath.sqrt(x2[0] ** 2 + x2[1] ** 2) / len(p)
    assert peak > 1 + mpmath.mpf("0.5e-15")  # the planted violation survives the float data
    assert abs(_mp_eta(p, X, X[1]) - peak) < mpmath.mpf("1e-30")
    assert res.hi >= peak  # never bounded below the violation
    assert res.hi - peak <= 1e-14 * lipschitz_constant(p, X)
    assert abs(_mp_eta(p, X, res.theta_lo)) > 1  # the point found is itself a violation
    inside = sup_circle_sweep(p, X)
    assert inside.lo >= 1.0 - 1e-15  # the atom's own cell reaches 1 (at u), excluded above


def test_duplicated_antipodal_and_parallel_samples():
    rng = np.random.default_rng(9)
    B = random_sphere(8, 2, rng)
    X = np.vstack([B, B[:3], -B[3:6], 0.5 * B[:2], -0.3 * B[6:], np.zeros((2, 2))])
    p = rng.standard_normal(len(X))
    res = sup_circle_sweep(p, X)
    L = lipschitz_constant(p, X)
    assert res.info["coincident_events_merged"] >= 2 * (3 + 3 + 2)  # exact duplicates, antipodes, 2^k multiples
    dense = _dense_sup(p, X)
    assert res.hi >= dense and res.hi - dense <= L * np.pi / N2
    assert res.hi - abs(_mp_eta(p, X, res.theta_lo)) <= 1e-13 * L
    bb = sup_branch_and_bound(p, X, tol=1e-9, time_budget=20)
    assert bb.hi >= res.lo and res.hi >= bb.lo


def test_atom_exactly_at_a_breakpoint():
    rng = np.random.default_rng(12)
    X = np.vstack([[0.0, 1.0], random_sphere(30, 2, rng)])  # row 0's hyperplane passes through u = (1, 0)
    p = rng.standard_normal(31)
    u = np.array([1.0, 0.0])
    cell = activation_pattern(X, u)  # row 0 is off at u (<u, x_0> = 0)
    res = sup_circle_sweep(p, X, exclude_patterns=cell[None])
    # u lies on the wall, in the closure of the non-excluded cell on row 0's "on" side
    assert abs(float(_mp_eta(p, X, u))) <= res.hi
    assert res.hi >= _dense_sup(p, X, cell[None])
    # the verdict refuses to decide on a target whose atom sits on a hyperplane
    from blasso.measure import Measure

    Xv = np.vstack([[0.0, 1.0], random_sphere(200, 2, rng)])
    r = check_conditions(Xv, Measure(u[None], np.array([1.0])), time_budget=5)
    assert r.verdict == "inconclusive" and "hyperplane" in r.reason


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 25), seed=st.integers(0, 10**6), e=st.sampled_from([-300, -20, 0, 20, 300]),
       dup=st.booleans())
def test_never_below_the_dense_evaluation_at_any_scale(n, seed, e, dup):
    p, X = _problem(n, seed, scale=10.0 ** e)
    if dup:
        X = np.vstack([X, -X[: (n + 1) // 2]])
        p = np.concatenate([p, p[: (n + 1) // 2]])
    res = sup_circle_sweep(p, X)
    L = lipschitz_constant(p, X)
    dense = _dense_sup(p, X)
    assert res.hi >= dense * (1 - 1e-15)
    assert res.hi - res.lo <= 1e-13 * L and res.lo <= res.hi


# ------------------------------------------------------------------ scale and memory
def _plain_sweep(p, X):
    """An independent float sweep (arctan2, per-arc exact max), not rigorous: a cross-check only."""
    n = len(p)
    phi = np.arctan2(X[:, 1], X[:, 0])
    t = np.mod(np.concatenate([phi - np.pi / 2, phi + np.pi / 2]), 2 * np.pi)
    w = np.concatenate([p, -p])[:, None] * np.vstack([X, X])
    o = np.argsort(t)
    t = t[o]
    mid0 = 0.5 * (t[-1] + t[0] + 2 * np.pi)
    v0 = (p * (X @ np.array([np.cos(mid0), np.sin(mid0)]) > 0)) @ X
    V = v0 + np.cumsum(w[o], axis=0)
    te = np.append(t[1:], t[0] + 2 * np.pi)
    ang = np.arctan2(V[:, 1], V[:, 0])
    best = 0.0
    for s in (0.0, np.pi):
        inside = np.mod(ang + s - t, 2 * np.pi) <= te - t
        best = max(best, float(np.linalg.norm(V, axis=1)[inside].max(initial=0.0)))
    for tt in (t, te):
        best = max(best, float(np.abs(V[:, 0] * np.cos(tt) + V[:, 1] * np.sin(tt)).max()))
    return best / n


def test_uniform_data_at_n_1e5_stays_exact_fast_and_tight():
    rng = np.random.default_rng(0)
    X = random_sphere(100_000, 2, rng)
    p = rng.standard_normal(100_000)
    t0 = time.perf_counter()
    res = sup_abs_eta(p, X, time_budget=10)
    wall = time.perf_counter() - t0
    L = lipschitz_constant(p, X)
    assert res.method == "circle-sweep" and res.rigorous and "routed" not in res.info
    assert wall < 10.0  # measured 0.15 s; branch and bound took minutes here
    assert res.info["min_breakpoint_gap_rad"] < 1e-8  # the gaps that made the enumeration reroute
    assert res.hi - res.lo <= 1e-13 * L
    assert abs(_plain_sweep(p, X) - res.lo) <= 1e-10 * L
    assert abs(_mp_eta(p, X, res.theta_lo)) <= res.hi


def test_a_1e8_sample_circle_is_refused_before_allocating():
    X = np.broadcast_to(np.array([1.0, 0.0]), (10**8, 2))  # a view: nothing allocated
    p = np.broadcast_to(1.0, (10**8,))
    assert circle_sweep_bytes(10**8) > 2**31
    t0 = time.perf_counter()
    with limits(max_memory=2**31):
        with pytest.raises(BlassoInputError) as exc:
            sup_circle_sweep(p, X)
    msg = str(exc.value)
    assert "\n" not in msg and "100,000,000" in msg and "2.0 GiB" in msg and "--max-memory" in msg
    assert time.perf_counter() - t0 < 1.0


def test_d_must_be_two():
    with pytest.raises(BlassoInputError, match="d = 2"):
        sup_circle_sweep(np.ones(3), np.eye(3))


# ------------------------------------------------------------------ the verdict in d = 2 at scale
def test_verdicts_in_d2_rest_on_the_sweep_and_are_confirmed_independently():
    bad = make_instance(teacher="paper", n=20000, d=2, m=2, seed=1)
    r = check_conditions(bad.X, bad.teacher_measure(), time_budget=30)
    assert r.sup.method == "circle-sweep" and r.info["recheck"] is None
    assert r.verdict == "fails", r.reason
    val = abs(_mp_eta(r.pre.p, bad.X, r.violating_theta))  # the float p_V, 40 digits
    L = r.info["lipschitz_L"]
    assert val > 1 + 1e-12 * L + r.info["p_V_delta_L"]  # a violation of the exact p_V too
    ok = make_instance(teacher="paper", n=20000, d=2, m=1, seed=0)
    r = check_conditions(ok.X, ok.teacher_measure(), time_budget=30)
    assert r.verdict == "certified", r.reason
    p = r.pre.p
    t_atom = np.mod(np.arctan2(r.pre.theta[0, 1], r.pre.theta[0, 0]), 2 * np.pi)
    ts = np.concatenate([np.linspace(0, 2 * np.pi, 20000, endpoint=False), t_atom + np.linspace(-0.01, 0.01, 20001)])
    T = np.column_stack([np.cos(ts), np.sin(ts)])  # everywhere, and densely next to the atom (the sup is there)
    vals = np.abs(eta(p, ok.X, T))
    # the atom's cell is the arc between the breakpoints nearest to it on either side
    phi = np.arctan2(ok.X[:, 1], ok.X[:, 0])
    bps = np.mod(np.concatenate([phi - np.pi / 2, phi + np.pi / 2]), 2 * np.pi)
    rel = np.mod(bps - t_atom, 2 * np.pi)
    up_, down_ = rel.min(), 2 * np.pi - rel.max()
    rel_d = np.mod(ts - t_atom, 2 * np.pi)
    off = (rel_d >= up_) & (rel_d <= 2 * np.pi - down_)
    assert vals[off].max() <= 1 - r.margin + 1e-12
    assert all(c["margin_lo"] <= c["margin_hi"] + 1e-12 for c in r.curve)
    assert r.curve[-1]["margin_lo"] > 0.05


# ------------------------------------------------------------------ the vectorised ball arithmetic
@pytest.mark.parametrize("n,d,m", [(300, 2, 2), (400, 3, 2), (200, 5, 3)])
def test_vectorised_exact_p_V_encloses_the_arb_computation(n, d, m):
    inst = make_instance(teacher="paper", n=n, d=d, m=m, seed=2)
    pre = vanishing_derivative_certificate(inst.X, inst.teacher_measure())
    a = ball.exact_precertificate(inst.X, pre.theta, pre.signs, pre.patterns, pre.p)
    b = ball._exact_precertificate_arb(inst.X, pre.theta, pre.signs, pre.patterns, pre.p)
    assert a.proven and b.proven
    assert np.all(np.abs(a.mid - b.mid) <= a.rad + b.rad)  # the two enclosures of the exact p_V intersect
    xn = np.linalg.norm(inst.X, axis=1)
    lower = float(np.sum(np.maximum(0.0, np.abs(b.mid - pre.p) - b.rad) * xn)) / n  # from the arb enclosure
    assert a.delta_L >= lower
    assert a.delta_L < 1e-13 and a.rad.max() < 1e-13


def test_vectorised_eta_ball_encloses_40_digit_values():
    rng = np.random.default_rng(1)
    X = random_sphere(500, 3, rng)
    mid = rng.standard_normal(500)
    rad = np.abs(rng.standard_normal(500)) * 1e-14
    X[0] = [0.0, 0.0, 1.0]  # its hyperplane passes through theta below: the ambiguous case
    for theta in (np.array([1.0, 2.0, 0.0]), rng.standard_normal(3)):
        lo, hi = ball.eta_ball(mid, rad, X, theta)
        for q in (mid, mid + rad, mid - rad):
            v = _mp_eta3(q, X, theta)
            assert lo <= v <= hi
        assert hi - lo < 1e-12


def _mp_eta3(p, X, theta):
    t = [mpmath.mpf(float(v)) for v in theta]
    nr = mpmath.sqrt(sum(v * v for v in t))
    s = mpmath.mpf(0)
    for pi, x in zip(p.tolist(), X.tolist()):
        g = sum(a * b for a, b in zip(t, x)) / nr
        if g > 0:
            s += pi * g
    return s / len(p)


def test_check_conditions_refuses_before_allocating_when_memory_is_short():
    from blasso.measure import Measure

    X = random_sphere(1_000_000, 2, np.random.default_rng(0))
    t0 = time.perf_counter()
    with limits(max_memory=64 * 2**20):
        with pytest.raises(BlassoInputError, match=r"conditions \(10\) on n = 1,000,000 samples in d = 2"):
            check_conditions(X, Measure(np.array([[1.0, 0.0]]), np.array([1.0])))
    assert time.perf_counter() - t0 < 2.0
