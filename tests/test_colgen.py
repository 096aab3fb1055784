"""Column generation without enumeration (blasso.solvers.colgen) against the enumerating exact program.

The enumerating program (blasso.solvers.exact.solve_exact) checks the dual
constraint of every cell of the arrangement; column generation never
enumerates.  Where both run they must agree: the same J* to 1e-9 relative,
the same fitted values (unique for every optimum, the data fit being strictly
convex in the predictions), and the same atoms where the optimum is proven
unique.  A pricing step that misses a cell must not produce a narrow bracket.
"""

import numpy as np
import pytest

from blasso import make_instance
from blasso.objective import blasso_objective
from blasso.solvers import colgen
from blasso.solvers.colgen import ColgenConfig, WorkingCells, lam_path, solve_certified
from blasso.solvers.exact import ExactConfig, solve_exact
from blasso.validation import BlassoInputError

CASES = [  # (teacher, n, d, m, noise, seed, lam)
    ("mixed-signs", 60, 2, 2, 0.02, 1, 1e-3),
    ("paper", 40, 3, 2, 0.0, 0, 1e-3),
    ("mixed-signs", 30, 3, 3, 0.05, 2, 2e-3),
    ("mixed-signs", 12, 4, 2, 0.05, 3, 1e-2),
]


def _instance(teacher, n, d, m, noise, seed):
    return make_instance(teacher=teacher, n=n, d=d, m=m, seed=seed, noise=noise)


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-n{c[1]}-d{c[2]}" for c in CASES])
def test_equals_the_enumerating_program(case):
    teacher, n, d, m, noise, seed, lam = case
    inst = _instance(teacher, n, d, m, noise, seed)
    ex = solve_exact(inst.X, inst.y, lam, config=ExactConfig(check_unique=True, sup_budget=20))
    cg = solve_certified(inst.X, inst.y, lam, config=ColgenConfig(check_unique=True, sup_budget=20, time_budget=120))
    assert cg.cells["stopped"] == "converged", cg.cells
    # both brackets are rigorous, so they overlap, and each is narrow
    assert cg.J_lower <= ex.J_upper * (1 + 1e-12) and ex.J_lower <= cg.J_upper * (1 + 1e-12)
    assert cg.rel_width <= 1e-9 and ex.rel_width <= 1e-8
    assert abs(cg.J_upper - ex.J_upper) <= 1e-9 * ex.J_upper
    # J_upper is J of the returned atoms, evaluated again here
    assert cg.J_upper == pytest.approx(blasso_objective(cg.measure, inst.X, inst.y, lam), rel=1e-14)
    # the predictions of any optimum coincide (strict convexity in f)
    f_cg, f_ex = cg.measure.evaluate(inst.X), ex.measure.evaluate(inst.X)
    scale = float(np.abs(inst.y).max())
    assert np.abs(f_cg - f_ex).max() <= 1e-5 * scale
    if ex.uniqueness and ex.uniqueness.get("unique"):
        a, b = cg.measure.sorted(), ex.measure.sorted()
        assert len(a) == len(b)
        ang = np.arccos(np.clip(np.sum(a.theta * b.theta, axis=1), -1, 1))
        assert ang.max() <= 1e-5 and np.abs(a.c - b.c).max() <= 1e-5 * np.abs(b.c).max()


def test_missed_cell_leaves_the_bracket_wide_and_valid(monkeypatch):
    """A pricing oracle that never reports a violation: the rigorous sup keeps J_lower honest."""
    inst = _instance("mixed-signs", 60, 2, 2, 0.02, 1)
    lam = 1e-3
    ex = solve_exact(inst.X, inst.y, lam, config=ExactConfig(check_unique=False))
    import blasso.certificates.sup as supmod

    real = supmod.sup_abs_eta

    def blind(p, X, **kw):  # the upper end stays honest; the violating direction is hidden
        br = real(p, X, **kw)
        br.lo, br.theta_lo = min(br.lo, 1.0), None
        return br

    monkeypatch.setattr(colgen, "_violators", lambda p, X, *a, **k: (np.zeros((0, X.shape[1])), np.zeros(0)))
    monkeypatch.setattr(supmod, "sup_abs_eta", blind)
    grid_start = make_instance(teacher="mixed-signs", n=60, d=2, m=2, seed=1, noise=0.02).teacher_measure()
    res = solve_certified(inst.X, inst.y, lam, start=grid_start.prune(0.0),
                          config=ColgenConfig(check_unique=False, max_rounds=3))
    assert res.cells["stopped"] != "converged"
    assert res.J_lower <= ex.J_upper * (1 + 1e-12) <= res.J_upper * (1 + 1e-9)
    assert res.rel_width > 1e-6


def test_lam_path_warm_start_equals_cold_solves():
    inst = _instance("mixed-signs", 60, 2, 2, 0.02, 1)
    lams = [1e-2, 1e-3]
    cfg = ColgenConfig(check_unique=False)
    path = lam_path(inst.X, inst.y, lams, config=cfg)
    for lam, res in zip(lams, path):
        cold = solve_certified(inst.X, inst.y, lam, config=cfg)
        assert res.rel_width <= 1e-9 and cold.rel_width <= 1e-9
        assert res.J_upper == pytest.approx(cold.J_upper, rel=1e-9)


def test_lam_path_repeats_a_stalled_warm_solve_cold(monkeypatch):
    """A warm solve that ends wide (here: forced to stop after one round) is redone cold; the kept bracket is
    the cold one, equal to an independent cold solve."""
    inst = _instance("mixed-signs", 60, 2, 2, 0.02, 1)
    lams = [1e-2, 1e-3]
    cfg = ColgenConfig(check_unique=False)
    real = colgen.solve_certified

    def hobbled(X, y, lam, *, config=None, start=None, cells=None, progress=None):
        if cells is None:
            return real(X, y, lam, config=config, progress=progress)
        bad = ColgenConfig(check_unique=False, max_rounds=1, rel_width=1e-30)
        return real(X, y, lam, config=bad, start=start, cells=cells, progress=progress)

    monkeypatch.setattr(colgen, "solve_certified", hobbled)
    path = lam_path(inst.X, inst.y, lams, config=cfg)
    monkeypatch.undo()
    assert "warm_retry" not in path[0].info
    retry = path[1].info["warm_retry"]
    assert retry["warm_rel_width"] > 1e-9 >= retry["cold_rel_width"]
    cold = solve_certified(inst.X, inst.y, lams[1], config=cfg)
    assert path[1].rel_width <= 1e-9
    assert path[1].J_upper == pytest.approx(cold.J_upper, rel=1e-9)


def test_working_cells_are_deduplicated_by_pattern():
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    wc = WorkingCells.empty(2)
    a = wc.add(np.array([True, False]), np.array([0, 1]))
    b = wc.add(np.array([True, False]), np.array([1]))
    c = wc.add(np.array([True, True]), np.array([0]))
    assert a == b == 0 and c == 1 and len(wc) == 2
    assert wc.index(np.array([True, True])) == 1 and wc.index(np.array([False, False])) is None
    assert X.shape == (2, 2)


def test_bad_start_refused():
    inst = _instance("paper", 20, 3, 2, 0.0, 0)
    other = make_instance(teacher="paper", n=20, d=2, m=2, seed=0).teacher_measure()
    with pytest.raises(BlassoInputError, match="start must be a Measure in dimension d = 3"):
        solve_certified(inst.X, inst.y, 1e-3, start=other)


def test_above_lam_max_the_zero_measure():
    """lam >= lam_max = sup |eta_{y}| (the zero measure's dual is feasible): the optimum is exactly zero."""
    from blasso.certificates.sup import sup_abs_eta

    inst = _instance("mixed-signs", 60, 2, 2, 0.02, 1)
    lam_max = sup_abs_eta(inst.y, inst.X).hi
    res = solve_certified(inst.X, inst.y, 1.5 * lam_max, config=ColgenConfig(check_unique=False))
    assert len(res.measure) == 0
    assert res.J_upper == pytest.approx(float(inst.y @ inst.y) / (2 * inst.X.shape[0]), rel=1e-15)
    assert res.J_lower <= res.J_upper and res.rel_width <= 1e-12
