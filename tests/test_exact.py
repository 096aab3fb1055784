"""The exact finite program (blasso.solvers.exact): against the full program solved at once, the exchange
rounds' certified bracket, grid solves (and their convergence rate), the continuous optimality
conditions checked by certificates/, and pyscnn where installed."""

import json

import numpy as np
import pytest

from blasso.features import eta
from blasso.instance import make_instance, save_instance
from blasso.measure import Measure
from blasso.objective import blasso_objective
from blasso.sphere import covering_radius, make_grid
from blasso.validation import BlassoInputError
from blasso.solvers import solve_lasso
from blasso.solvers.exact import ExactConfig, cell_duals, measure_from_cell_weights, solve_exact
from blasso.solvers.patterns import enumerate_cells

LAM = 1e-3


@pytest.fixture(scope="module")
def cases():
    """d = 2 and 3, mixed-sign teachers, one noisy each."""
    out = {}
    for d, n, noise in [(2, 60, 0.0), (2, 60, 0.02), (3, 40, 0.0), (3, 40, 0.05)]:
        inst = make_instance(teacher="mixed-signs", n=n, d=d, m=2 if d == 2 else 3, seed=1, noise=noise)
        out[(d, noise)] = (inst, solve_exact(inst.X, inst.y, LAM))
    return out


def _full_program(X, y, lam):
    """Every cell and sign in one CVXPY problem (no column generation, all n walls): an independent solve."""
    import cvxpy as cp

    n, d = X.shape
    cells = enumerate_cells(X)
    P = len(cells)
    S = np.where(cells.patterns, 1.0, -1.0)                   # (P, n)
    V, W = cp.Variable((P, d)), cp.Variable((P, d))
    XV, XW = X @ V.T, X @ W.T                                   # (n, P)
    D = cells.patterns.T.astype(float)
    f = cp.sum(cp.multiply(D, XV - XW), axis=1)
    obj = cp.sum_squares(y - f) / (2 * n) + lam * (cp.sum(cp.norm(V, 2, axis=1)) + cp.sum(cp.norm(W, 2, axis=1)))
    cp.Problem(cp.Minimize(obj), [cp.multiply(S.T, XV) >= 0, cp.multiply(S.T, XW) >= 0]).solve(solver="CLARABEL")
    th, c = [], []
    for M, s in ((V.value, 1.0), (W.value, -1.0)):
        nr = np.linalg.norm(M, axis=1)
        k = nr > 1e-9 * nr.max()
        th.append(M[k] / nr[k, None])
        c.append(s * nr[k])
    return Measure(np.vstack(th), np.concatenate(c))


def test_bracket_is_tight_and_verified(cases):
    for (d, noise), (inst, r) in cases.items():
        assert r.J_lower <= r.J_upper
        assert r.rel_width < 1e-7, (d, noise, r.rel_width)
        assert r.J_upper == pytest.approx(blasso_objective(r.measure, inst.X, inst.y, LAM), rel=1e-15)
        assert r.sup["hi"] >= r.sup["lo"] >= 1.0 - 1e-9          # the dual constraint is active
        assert r.cells["n_cells"] == r.cells["closed_form"]


def test_column_generation_matches_the_full_program():
    inst = make_instance(teacher="mixed-signs", n=25, d=3, m=2, seed=4, noise=0.02)
    r = solve_exact(inst.X, inst.y, LAM)
    J_full = blasso_objective(_full_program(inst.X, inst.y, LAM), inst.X, inst.y, LAM)
    assert r.J_lower <= J_full * (1 + 1e-9)                     # J_full is an upper bound of J*
    assert J_full == pytest.approx(r.J_upper, rel=1e-6)


def test_optimality_conditions_over_the_sphere(cases):
    """|eta_p| <= 1 over the sphere by the rigorous sup (blasso.certificates.sup), = sign(c) on the support."""
    from blasso.certificates.sup import sup_abs_eta

    for (d, noise), (inst, r) in cases.items():
        p = (inst.y - r.measure.evaluate(inst.X)) / LAM
        br = sup_abs_eta(p, inst.X, time_budget=30)
        assert br.hi <= 1 + 1e-8, (d, noise, br.hi)
        big = np.abs(r.measure.c) > 1e-6 * np.abs(r.measure.c).max()
        e = eta(p, inst.X, r.measure.theta[big])
        assert np.max(np.abs(e - np.sign(r.measure.c[big]))) <= 1e-8
        # every cell's exact dual constraint (projection onto the cell cone), both signs
        assert cell_duals(p, inst.X, enumerate_cells(inst.X)).max() <= 1 + 1e-8


def test_exact_inside_the_exchange_bracket_and_below_every_grid(cases):
    from blasso.studies.compare import sphere_sup_oracle
    from blasso.solvers.refine import convex_reference

    for (d, noise), (inst, r) in cases.items():
        grid = make_grid("auto", 300, d)
        cr = convex_reference(inst.X, inst.y, LAM, grid, rounds=6, sup_oracle=sphere_sup_oracle(inst.X, rng=0))
        tol = r.width + 1e-12 * r.J_upper
        assert cr.J_lower - tol <= r.J_upper and r.J_lower <= cr.J + tol, (d, noise)
        for G in (50, 200, 1000):
            assert solve_lasso(inst.X, inst.y, LAM, make_grid("auto", G, d)).objective >= r.J_lower


def test_grid_solves_converge_to_the_exact_value_like_h_squared():
    from blasso.studies.theory import fit_loglog

    inst = make_instance(teacher="mixed-signs", n=60, d=2, m=2, seed=2, noise=0.02)
    r = solve_exact(inst.X, inst.y, LAM)
    hs, gaps = [], []
    for G in (16, 32, 64, 128, 256, 512):
        g = make_grid("equiangular", G, 2)
        hs.append(covering_radius(g.theta)["radius"])
        gaps.append(solve_lasso(inst.X, inst.y, LAM, g, solver="ECOS").objective - r.J_lower)
    assert min(gaps) > 0 and gaps[-1] < gaps[0] / 100
    fit = fit_loglog(hs, gaps)
    assert fit.power_law and 1.6 <= fit.slope <= 3.0, fit.to_dict()   # measured 2.24 (J_G - J* ~ h^2)


def test_uniqueness_stated_only_when_proven(cases):
    inst = make_instance(teacher="mixed-signs", n=50, d=2, m=2, seed=1)
    r = solve_exact(inst.X, inst.y, LAM)
    u = r.uniqueness
    assert u["unique"] and u["exactly_m"] and u["m"] == len(r.measure) == 2
    assert u["off_support_margin"] > 0 and u["sigma_min"] > u["feature_perturbation"]
    # an independent solve of the full program finds the same measure
    full = _full_program(inst.X, inst.y, LAM).merge(1e-3)
    big = full.prune(1e-6 * np.abs(full.c).max())
    assert len(big) == 2
    D = np.arccos(np.clip(big.theta @ r.measure.theta.T, -1, 1))
    assert D.min(axis=1).max() < 1e-4
    # a noisy optimum with atoms on cell walls: no claim, and a reason
    for (d, noise), (_, rr) in cases.items():
        if not rr.uniqueness["unique"]:
            assert rr.uniqueness["reason"] and not rr.uniqueness["exactly_m"]


def test_budget_refused_and_cli_solve_exact(tmp_path, capsys):
    import jsonschema

    X = np.random.default_rng(0).standard_normal((400, 3))
    with pytest.raises(BlassoInputError, match="over the budget"):
        solve_exact(X, X[:, 0], LAM)
    with pytest.raises(BlassoInputError, match="over the budget of 10"):
        solve_exact(X[:20], X[:20, 0], LAM, config=ExactConfig(max_cells=10))
    inst = make_instance(teacher="mixed-signs", n=30, d=2, m=2, seed=3)
    path = save_instance(inst, tmp_path / "i.npz")
    from blasso.cli import main

    cmd = ["solve", "--instance", str(path), "--lam", "1e-3", "--grid-size", "200", "--exact", "--ground-truth", "exact",
           "--quiet"]
    assert main(cmd + ["--json", str(tmp_path / "s.json")]) == 0
    rep = json.loads((tmp_path / "s.json").read_text())
    from importlib.resources import files
    jsonschema.validate(rep, json.loads(files("blasso").joinpath("report_schema.json").read_text()))
    ex = rep["figures"]["exact"]
    assert rep["figures"]["ground_truth"] == "exact" and ex["J_lower"] <= ex["J_upper"] <= rep["figures"]["objective"]
    assert main(cmd + ["--max-cells", "5"]) == 2
    assert "refused" in capsys.readouterr().err


def test_pyscnn_cross_check():
    """pyscnn (Pilanci & Ergen's package) on the same patterns, scaled as ours, gives the same J*.

    Its objective is ``1/(2n) ||y - f||^2 + lam sum_i (||v_i|| + ||w_i||)`` (squared loss over
    2 * n, NeuronGL1(lam)) with ``unitize_data=False``: our J with the same lam.
    """
    scnn = pytest.importorskip("scnn", reason="pyscnn not installed (optional extra: pip install -e '.[crosscheck]')")
    from scnn.metrics import Metrics
    from scnn.models import ConvexReLU
    from scnn.optimize import optimize_model
    from scnn.regularizers import NeuronGL1
    from scnn.solvers import CVXPYSolver

    del scnn
    inst = make_instance(teacher="mixed-signs", n=30, d=2, m=2, seed=1)
    r = solve_exact(inst.X, inst.y, LAM)
    model = ConvexReLU(enumerate_cells(inst.X).interior.T, c=1, bias=False)
    cm, _ = optimize_model(model, CVXPYSolver(model, "ecos"), Metrics(), inst.X, inst.y[:, None],
                           regularizer=NeuronGL1(LAM), return_convex=True, unitize_data=False, dtype="float64")
    V, W = (np.asarray(a).reshape(-1, 2) for a in cm.parameters)
    J_scnn = blasso_objective(measure_from_cell_weights(V, W), inst.X, inst.y, LAM)
    assert r.J_lower <= J_scnn * (1 + 1e-12)
    assert J_scnn == pytest.approx(r.J_upper, rel=1e-6)
