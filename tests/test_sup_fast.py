"""The fast certificate paths against independent computations.

* Partitioned cap bounds (a box's undecided rows only, the parent's decided rows
  reused) against dense evaluation inside the boxes, with excluded cells.
* The float classification of rows against a cap, checked in ball arithmetic
  (python-flint) on rows placed at ``cos beta = +-s (1 +- 1e-15)``.
* A planted partition bug (rows dropped from a subtree) is caught (the harness has teeth).
* The batched ascent never ends in an excluded cell and reports true values.
* The O(n^2 log n) exact d = 3 enumeration against branch and bound and dense points.
"""

import numpy as np
import pytest

from blasso.features import eta
from blasso.sphere import fibonacci_grid, random_sphere
from blasso.certificates import capbound as cb
from blasso.certificates import sup as supmod
from blasso.certificates.capbound import CapBounder, box_caps
from blasso.certificates.cells import activation_pattern
from blasso.certificates.rounding import exact_scaling
from blasso.certificates.sup import sup_branch_and_bound, sup_exact_sphere3


def _box_points(face, lo, hi, d, k, rng):
    """Radial projections of uniform points of a box on a face of the cube."""
    axis, sign = face // 2, 1.0 if face % 2 == 0 else -1.0
    others = [a for a in range(d) if a != axis]
    Q = np.empty((k, d))
    Q[:, axis] = sign
    Q[:, others] = lo + (hi - lo) * rng.uniform(size=(k, d - 1))
    Q[:20, others] = np.where(rng.uniform(size=(20, d - 1)) < 0.5, lo, hi)  # corners: the bound is tightest there
    return Q / np.linalg.norm(Q, axis=1, keepdims=True)


def _descend(st, d, rng, depth):
    """A random chain of box halvings from a root box, each bound with its parent's partition."""
    others = supmod._others(d)
    faces, blo, bhi = supmod._initial_boxes(d, 2)
    j = int(rng.integers(len(faces)))
    f, lo, hi = faces[j:j + 1], blo[j:j + 1], bhi[j:j + 1]
    C, s = box_caps(f, lo, hi, d, others)
    ub, _, part = st.bounds(C, s, -np.inf)
    chain = [(f[0], lo[0].copy(), hi[0].copy(), ub[0])]
    for _ in range(depth):
        ax = int(np.argmax(hi[0] - lo[0]))
        mid = 0.5 * (lo[0, ax] + hi[0, ax])
        lo, hi = lo.copy(), hi.copy()
        if rng.uniform() < 0.5:
            hi[0, ax] = mid
        else:
            lo[0, ax] = mid
        C, s = box_caps(f, lo, hi, d, others)
        ub, _, part = st.bounds(C, s, -np.inf, part, np.array([0]))
        chain.append((f[0], lo[0].copy(), hi[0].copy(), ub[0]))
    return chain


@pytest.mark.parametrize("d,n,seed", [(3, 60, 0), (4, 200, 1), (5, 400, 2), (5, 30, 3)])
def test_partitioned_box_bounds_dominate_dense_values_with_excluded_cells(d, n, seed):
    rng = np.random.default_rng(seed)
    X = random_sphere(n, d, rng) * rng.uniform(0.3, 1.0, size=(n, 1))
    p = 3.0 * rng.standard_normal(n)
    excl = activation_pattern(X, random_sphere(3, d, rng))
    sc = exact_scaling(p, X)
    st = CapBounder(sc.ps, sc.Xs, excl, kmax=6)
    worst = np.inf
    for trial in range(12):
        for f, lo, hi, ub in _descend(st, d, rng, depth=int(rng.integers(4, 22))):
            Q = _box_points(f, lo, hi, d, 1500, rng)
            inside = ~np.any(np.all(activation_pattern(X, Q)[:, None, :] == excl[None], axis=2), axis=1)
            if not inside.any():
                assert ub >= -np.inf
                continue
            dense = np.abs(eta(p, X, Q[inside])).max() * 2.0 ** -sc.exponent
            assert ub >= dense * (1 - 1e-13), (trial, ub, dense)
            worst = min(worst, ub - dense)
    assert np.isfinite(worst)


def test_exact_pattern_sums_enclose_the_rational_sum_to_an_ulp():
    from fractions import Fraction

    rng = np.random.default_rng(11)
    X = random_sphere(500, 5, rng)
    p = rng.standard_normal(500) * np.exp(rng.uniform(-20, 20, 500))  # wide range of magnitudes: cancellation
    sc = exact_scaling(p, X)
    E = activation_pattern(X, random_sphere(2, 5, rng))
    st = CapBounder(sc.ps, sc.Xs, E)
    for e in range(2):
        for a in range(5):
            exact = sum((Fraction(float(pi)) * Fraction(float(xi)) for pi, xi, on in zip(sc.ps, sc.Xs[:, a], E[e])
                         if on), Fraction(0))
            lo, hi = st.Ve.lo[e, a], st.Ve.hi[e, a]
            assert Fraction(lo) <= exact <= Fraction(hi)
            assert hi - lo <= 4 * np.spacing(max(abs(lo), abs(hi))) + 1e-300


def test_boxes_closing_in_on_an_excluded_cell_stay_above_dense_values():
    # the descent follows an excluded cell's direction: its boxes use the precise V_e sums
    rng = np.random.default_rng(5)
    d, n = 5, 3000
    X = random_sphere(n, d, rng)
    p = 3.0 * rng.standard_normal(n)
    u = random_sphere(1, d, rng)[0]
    E = activation_pattern(X, u[None])
    sc = exact_scaling(p, X)
    st = CapBounder(sc.ps, sc.Xs, E, kmax=6)
    others = supmod._others(d)
    faces, blo, bhi = supmod._initial_boxes(d, 2)
    q = u / np.abs(u).max()
    f = 2 * int(np.argmax(np.abs(u))) + (0 if u[np.argmax(np.abs(u))] > 0 else 1)
    oth = others[f // 2]
    j = [k for k in range(len(faces)) if faces[k] == f and np.all(blo[k] <= q[oth]) and np.all(q[oth] <= bhi[k])][0]
    lo, hi = blo[j:j + 1].copy(), bhi[j:j + 1].copy()
    fa = faces[j:j + 1]
    C, s = box_caps(fa, lo, hi, d, others)
    ub, _, part = st.bounds(C, s, -np.inf)
    used_precise = 0
    for _ in range(40):
        ax = int(np.argmax(hi[0] - lo[0]))
        mid = 0.5 * (lo[0, ax] + hi[0, ax])
        if q[oth][ax] <= mid:
            hi[0, ax] = mid
        else:
            lo[0, ax] = mid
        C, s = box_caps(fa, lo, hi, d, others)
        ub, _, part = st.bounds(C, s, -np.inf, part, np.array([0]))
        used_precise += int(part.compat[0, 0])
        Q = _box_points(f, lo[0], hi[0], d, 1000, rng)
        keep = ~np.all(activation_pattern(X, Q) == E[0], axis=1)
        if keep.any():
            dense = np.abs(eta(p, X, Q[keep])).max() * 2.0 ** -sc.exponent
            assert ub[0] >= dense * (1 - 1e-15)
        else:
            assert ub[0] == -np.inf or ub[0] >= 0
    assert used_precise >= 10


def test_float_classification_is_sound_at_its_edge_in_ball_arithmetic():
    flint = pytest.importorskip("flint")
    flint.ctx.prec = 200
    rng = np.random.default_rng(7)
    d = 5
    n_checked = 0
    for _ in range(30):
        c = rng.standard_normal(d)
        s = float(rng.uniform(1e-6, 0.5))
        u = c / np.linalg.norm(c)
        X = []
        for target in (s, -s):
            for cb_ in (target * (1 - 3e-15), target * (1 - 1e-15), target, target * (1 + 1e-15),
                        target * (1 + 3e-15), target + np.sign(target) * 1e-13):
                w = rng.standard_normal(d)
                w -= (w @ u) * u
                w /= np.linalg.norm(w)
                X.append(cb_ * u + np.sqrt(1 - cb_ ** 2) * w)
        X = np.array(X) * rng.uniform(0.5, 1.0)
        st = CapBounder(np.ones(len(X)), X, None, kmax=0)
        _, ex = np.frexp(np.max(np.abs(c)))
        C = np.ldexp(c, -ex)[None]
        Ch = C / np.linalg.norm(C, axis=1, keepdims=True)
        rho = Ch[0] @ st.XhT
        act = rho - st.eps > s
        off = rho + st.eps < -s
        for i in range(len(X)):
            dot = sum((flint.arb(float(a)) * flint.arb(float(b)) for a, b in zip(C[0], X[i])), flint.arb(0))
            nc = sum((flint.arb(float(a)) ** 2 for a in C[0]), flint.arb(0)).sqrt()
            nx = sum((flint.arb(float(a)) ** 2 for a in X[i]), flint.arb(0)).sqrt()
            cosb = dot / (nc * nx)
            if act[i]:
                assert cosb > flint.arb(s), (i, s)
            if off[i]:
                assert cosb < -flint.arb(s), (i, s)
            n_checked += 1
        # the allowance is small: rows 1e-13 beyond the edge are decided
        assert act[5] and off[11]
    assert n_checked == 360


def test_a_planted_partition_bug_is_caught(monkeypatch):
    # the bug: a box hands on only every other undecided row (the others vanish from its subtree)
    rng = np.random.default_rng(3)
    X = random_sphere(80, 4, rng)
    p = 3.0 * rng.standard_normal(80)
    dense = np.abs(eta(p, X, random_sphere(60000, 4, rng))).max()
    good = sup_branch_and_bound(p, X, tol=1e-6, time_budget=20)
    assert good.hi >= dense and good.stopped == "converged"
    real = CapBounder._linear_bounds

    def dropping(self, C, cn, s, par):
        amb = cb._objects([a[::2] if a.size > 8 else a for a in par.amb])
        return real(self, C, cn, s, cb.Partition(par.Vlo, par.Vhi, amb, par.compat))

    monkeypatch.setattr(CapBounder, "_linear_bounds", dropping)
    try:
        bad = sup_branch_and_bound(p, X, tol=1e-6, time_budget=20)
        caught = bad.hi < dense
    except RuntimeError:  # lo evaluated directly above hi
        caught = True
    assert caught


def test_batched_ascent_never_ends_in_an_excluded_cell_and_reports_true_values():
    rng = np.random.default_rng(4)
    X = random_sphere(300, 5, rng)
    p = rng.standard_normal(300)
    sc = exact_scaling(p, X)
    atoms = random_sphere(4, 5, rng)
    E = activation_pattern(X, atoms)
    starts = np.vstack([atoms + 1e-3 * rng.standard_normal(atoms.shape), random_sphere(60, 5, rng)])
    starts /= np.linalg.norm(starts, axis=1, keepdims=True)
    pts, vals, flops = supmod._batch_ascent(sc, starts, E, supmod._Deadline(30))
    assert flops > 0
    fin = np.isfinite(vals)
    assert fin.sum() >= 60
    P = activation_pattern(X, pts[fin])
    assert not np.any(np.all(P[:, None, :] == E[None], axis=2))
    direct = np.abs(eta(p, X, pts[fin] / np.linalg.norm(pts[fin], axis=1, keepdims=True)))
    assert np.allclose(direct * 2.0 ** -sc.exponent, vals[fin], rtol=1e-10, atol=0)
    # it ascends: the ends are at least as high as the starts
    start_vals = np.abs(eta(p, X, starts[fin])) * 2.0 ** -sc.exponent
    assert np.all(vals[fin] >= start_vals * (1 - 1e-12))


@pytest.mark.parametrize("seed", [0, 1])
def test_fast_exact_sphere3_against_branch_and_bound_and_dense_points(seed):
    rng = np.random.default_rng(seed)
    n = 150
    X = random_sphere(n, 3, rng)
    p = rng.standard_normal(n)
    excl = activation_pattern(X, random_sphere(2, 3, rng))
    res = sup_exact_sphere3(p, X, exclude_patterns=excl)
    bb = sup_branch_and_bound(p, X, exclude_patterns=excl, tol=1e-9, time_budget=20)
    assert bb.stopped == "converged"
    assert res.hi >= bb.lo - 1e-15 and bb.hi >= res.lo - 1e-15
    assert abs(res.lo - bb.lo) < 1e-8
    G = fibonacci_grid(200000)
    keep = ~np.any(np.all(activation_pattern(X, G)[:, None, :] == excl[None], axis=2), axis=1)
    assert res.hi >= np.abs(eta(p, X, G[keep])).max()
    assert res.info["cells_tested"] < res.info["n_arcs"]  # the screen leaves few cells to test


def _cone_case(seed, d=4, k=5):
    rng = np.random.default_rng(seed)
    X = random_sphere(40, d, rng)
    p = rng.standard_normal(40)
    st = CapBounder(p, X, None, kmax=6)
    cidx = np.arange(k)
    S = rng.uniform(size=(16, k)) < 0.5
    Vm = rng.standard_normal((16, d))
    V = cb.IV(Vm - 1e-14, Vm + 1e-14)
    sgn = np.where(rng.uniform(size=16) < 0.5, 1.0, -1.0)
    pts = random_sphere(200000, d, rng)
    return st, X, cidx, S, V, sgn, pts


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batched_cone_bounds_equal_nnls_and_dominate_the_sampled_cone(seed):
    st, X, cidx, S, V, sgn, pts = _cone_case(seed)
    batch = st._cone_bounds_batch(V, sgn, S, cidx)
    for j in range(S.shape[0]):
        exact = st._cone_bound(V[j], sgn[j], S[j], cidx)  # scipy NNLS multipliers
        assert batch[j] <= exact + 1e-12
        sg = np.where(S[j], 1.0, -1.0)
        inside = np.all(sg * (pts @ X[cidx].T) >= 0, axis=1)
        if inside.any():
            assert batch[j] >= np.max(pts[inside] @ (sgn[j] * 0.5 * (V.lo[j] + V.hi[j]))) - 1e-12


def test_a_planted_cone_bound_with_negative_multipliers_is_caught(monkeypatch):
    # mu < 0 is not a certificate: the "bound" then falls below sampled values of the cone
    st, X, cidx, S, V, sgn, pts = _cone_case(3)
    real_max = np.maximum

    def neg(a, b, *args, **kw):  # np.maximum(mu, 0) -> mu - 1 inside the routine only
        out = real_max(a, b, *args, **kw)
        return out - 1.0 if np.ndim(out) == 2 and out.shape[1] <= 6 and np.all(b == 0.0) else out

    monkeypatch.setattr(cb.np, "maximum", neg)
    planted = st._cone_bounds_batch(V, sgn, S, cidx)
    monkeypatch.undo()
    caught = False
    for j in range(S.shape[0]):
        sg = np.where(S[j], 1.0, -1.0)
        inside = np.all(sg * (pts @ X[cidx].T) >= 0, axis=1)
        if inside.any() and planted[j] < np.max(pts[inside] @ (sgn[j] * 0.5 * (V.lo[j] + V.hi[j]))) - 1e-12:
            caught = True
    assert caught


def test_public_batch_ascent_is_a_lower_bound_close_to_the_exact_sup_and_avoids_excluded_cells():
    rng = np.random.default_rng(11)
    n = 150
    X = random_sphere(n, 3, rng)
    p = rng.normal(size=n)
    exact = sup_exact_sphere3(p, X)
    pts, vals = supmod.batch_ascent(p, X, random_sphere(256, 3, rng))
    best = vals.max()
    # a lower bound: values are |eta| evaluated directly, never above the exact sup
    assert np.allclose(vals, np.abs(eta(p, X, pts)))
    assert best <= exact.hi * (1 + 1e-12)
    # and a good one: within 2 % of the exact sup from 256 random starts
    assert best >= 0.98 * exact.lo, (best, exact.lo)
    # excluding the cell of the best end point: no end point is reported inside it
    pat = activation_pattern(X, pts[int(np.argmax(vals))])
    pts2, vals2 = supmod.batch_ascent(p, X, random_sphere(256, 3, rng), exclude_patterns=pat[None, :])
    inside = np.all((pts2 @ X.T > 0) == pat, axis=1)
    assert np.all(vals2[inside] == -np.inf)
