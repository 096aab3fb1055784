"""The public API (``blasso.solve``, ``certify``, ``gd``, ``compare``, ``check_assumptions``, ...).

* each function returns the numbers of the lower-level call it wraps;
* ``result.to_dict()`` is the ``figures`` of the matching command's ``--json``
  report for the same arguments (timings aside);
* ``plot(ax=...)`` draws into the given Axes, with a title and axis labels;
* reprs are one short line, ``print(inst)`` does not print ``X``;
* the command line and the functions share their defaults;
* bad input is one ``BlassoInputError`` line;
* the docstring examples run (about 10 s).

Instances are in d = 2, where every sup is exact (the circle sweep), so two runs
give the same numbers.
"""

import doctest
import inspect
import json
import re
import sys

import numpy as np
import pytest

import blasso
from blasso.cli import build_parser, main
from blasso.jsonio import to_jsonable
from blasso.validation import BlassoInputError

LAM = 1e-2
#: Keys whose values are wall-clock measurements (differ between two runs).
TIMING = re.compile(r"wall|_s$|^time|timings|elapsed|per_s")


def _strip_timings(obj):
    if isinstance(obj, dict):
        return {k: _strip_timings(v) for k, v in obj.items() if not TIMING.search(str(k))}
    if isinstance(obj, list):
        return [_strip_timings(v) for v in obj]
    return obj


def _as_json(figures: dict) -> dict:
    return _strip_timings(json.loads(json.dumps(to_jsonable(figures))))


@pytest.fixture(scope="module")
def inst():
    return blasso.make_instance(teacher="mixed-signs", n=30, d=2, m=2, seed=0, lam=LAM)


@pytest.fixture(scope="module")
def inst_file(inst, tmp_path_factory):
    return str(blasso.save_instance(inst, tmp_path_factory.mktemp("api") / "inst.npz"))


@pytest.fixture(scope="module")
def results(inst):
    """One result of each kind (the plots and reprs below use them)."""
    return {
        "solve": blasso.solve(inst, grid_size=360, exact=True),
        "certify": blasso.certify(inst, time_budget=10, population=True, population_budget=20),
        "gd": blasso.gd(inst, M=10, iters=3000),
        "compare": blasso.compare(inst, M=10, iters=20000, grid_size=360),
        "assumptions": blasso.check_assumptions(inst, time_budget=10),
        "population": blasso.population_certificate(inst, time_budget=20),
    }


# ------------------------------------------------------------------ same numbers as the call it wraps
def test_solve_is_the_grid_lasso_and_the_certified_optimum(inst, results):
    from blasso.solvers import solve_lasso
    from blasso.studies.solve import exact_solution

    res = results["solve"]
    low = solve_lasso(inst.X, inst.y, LAM, blasso.make_grid("auto", 360, 2), solver="AUTO")
    assert res.objective == low.objective and np.array_equal(res.lasso.c, low.c)
    ex = exact_solution(inst, LAM, start=low.measure().sorted())
    assert (res.exact.J_lower, res.exact.J_upper) == (ex.J_lower, ex.J_upper)
    assert res.ground_truth == "colgen" and res.status == "optimal" and "J* in [" in res.reason


def test_certify_is_certify_instance(inst, results):
    from blasso.certificates.verdict import certify_instance

    res = results["certify"]
    rep = certify_instance(inst, lam=LAM, time_budget=10, solver="CLARABEL",
                           radii=tuple(np.radians(blasso.studies.population.POPULATION_RADII_DEG)))
    assert (res.verdict, res.margin, res.bracket) == (rep.verdict, rep.conditions.margin,
                                                       (rep.bracket_lo, rep.bracket_hi))
    assert res.reason == rep.reason and res.population.sample_verdict == rep.verdict


def test_gd_is_run_gd_with_the_chosen_alpha(inst, results):
    from blasso.solvers.gd import choose_alpha, init_network

    res = results["gd"]
    auto = blasso.run_gd(inst.X, inst.y, LAM, M=10, max_iter=3000, rng=0, n_trace=60)     # alpha="auto" by default
    probe = choose_alpha(inst.X, inst.y, LAM, init=init_network(10, 2, 0))
    fixed = blasso.run_gd(inst.X, inst.y, LAM, M=10, max_iter=3000, rng=0, n_trace=60, alpha=probe["alpha"])
    assert res.alpha == auto.params["alpha"] == probe["alpha"]
    assert res.J == auto.J == fixed.J and np.array_equal(res.result.a, fixed.a)
    assert auto.info["alpha_probe"] == probe and res.alpha_probe == probe


def test_compare_is_gd_vs_convex(inst, results):
    from blasso.studies.compare import gd_vs_convex

    res = results["compare"]
    low = gd_vs_convex(inst.X, inst.y, LAM, 10, grid=blasso.make_grid("auto", 360, 2),
                       max_iter=20000, refine_rounds=8, ftol=1e-9)
    assert _as_json(res.to_dict()) == _as_json(low.to_dict())
    assert res.verdict == low.verdict == "same-measure" and res.reason == "; ".join(low.reasons)
    assert isinstance(res.reference, blasso.Measure) and res.gd.J == res.to_dict()["J_gd"]
    assert not any(k.startswith("_") for k in res.to_dict())          # no private keys any more


def test_check_assumptions_is_the_study(inst, results):
    from blasso.studies.assumptions import check_assumptions

    rep = check_assumptions(inst, lam=LAM, time_budget=10)
    assert _as_json(results["assumptions"].to_dict()) == _as_json(rep.to_dict())
    assert results["assumptions"].verdict == "fails" and "3.2" in results["assumptions"].reason


def test_population_certificate_is_the_certificate(inst, results):
    from blasso.certificates.population import population_certificate

    pop = population_certificate(inst.teacher_measure(), 2, time_budget=20, rng=0, canonical=True)
    res = results["population"]
    assert res.verdict == pop.verdict and res.margin_curve == pop.margin_curve
    cert_pop = results["certify"].population
    assert cert_pop.margin_curve == pop.margin_curve and len(cert_pop.rows) == len(pop.margin_curve)


# ------------------------------------------------------------------------ to_dict == the CLI's figures
CLI_CASES = {
    "solve": (["solve", "--grid-size", "360", "--exact"], "solve"),
    "certify": (["certify", "--time-budget", "10", "--population", "--population-budget", "20"], "certify"),
    "gd": (["gd", "--M", "10", "--iters", "3000"], "gd"),
    "compare": (["compare", "--M", "10", "--iters", "20000", "--grid-size", "360"], "compare"),
    "assumptions": (["assumptions", "--time-budget", "10"], "assumptions"),
}


@pytest.mark.parametrize("name", sorted(CLI_CASES))
def test_to_dict_is_the_json_reports_figures(name, results, inst_file, tmp_path):
    argv, key = CLI_CASES[name]
    path = tmp_path / f"{name}.json"
    assert main([argv[0], "--instance", inst_file] + argv[1:] + ["--json", str(path), "--quiet"]) == 0
    report = json.loads(path.read_text())
    assert _as_json(results[key].to_dict()) == _strip_timings(report["figures"])
    sections = results[key].report_sections()
    assert {k: len(v) for k, v in sections.get("measures", {}).items()} == \
        {k: len(v["c"]) for k, v in report["measures"].items()}
    assert sections.get("solver_status", {}) == report["solver_status"]


def test_make_instance_reports_what_the_instance_says(inst, tmp_path):
    path, out = tmp_path / "m.json", tmp_path / "i.npz"
    assert main(["make-instance", "--teacher", "mixed-signs", "--n", "30", "--d", "2", "--m", "2", "--lam", str(LAM),
                 "--out", str(out), "--json", str(path), "--quiet"]) == 0
    figures = json.loads(path.read_text())["figures"]
    back = blasso.load_instance(out)
    assert figures == _as_json({"path": str(out), **back.to_dict()})
    assert repr(back) == repr(inst) and np.array_equal(back.X, inst.X)


def test_the_cli_commands_print_the_summary(inst_file, capsys, results):
    assert main(["gd", "--instance", inst_file, "--M", "10", "--iters", "3000", "--quiet"]) == 0
    printed = capsys.readouterr().out
    expected = results["gd"].summary()
    assert re.sub(r"[\d.]+s, \d+ it/s", "", printed.strip()) == re.sub(r"[\d.]+s, \d+ it/s", "", expected)


# ----------------------------------------------------------------------------------------- plots
@pytest.mark.parametrize("name", ["solve", "certify", "gd", "compare", "assumptions", "population"])
def test_plot_draws_into_the_given_axes(name, results):
    pytest.importorskip("matplotlib")
    from blasso.plotting import new_figure

    import matplotlib.pyplot as plt

    fig, ax = new_figure()
    assert results[name].plot(ax=ax) is ax
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    other = results[name].plot()                     # a new pyplot figure when no axes is given (plt.show() shows it)
    assert other is not ax and other.get_title() and plt.fignum_exists(other.figure.number)
    plt.close(other.figure)


def test_other_plot_kinds(results):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    ax = results["compare"].plot(kind="atoms")
    assert "angle" in ax.get_xlabel() and ax.get_title()
    ax = results["certify"].plot(kind="margin")
    assert "margin" in ax.get_ylabel()
    plt.close("all")
    with pytest.raises(BlassoInputError, match="kind"):
        results["compare"].plot(kind="nope")
    assert set(results["certify"].figures()) == {"eta_circle.png", "margin_curve.png"}


def test_plot_without_matplotlib_is_one_clear_error(results, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    for name in ("gd", "assumptions"):
        with pytest.raises(BlassoInputError, match=r"pip install 'blasso\[plot\]'"):
            results[name].plot()


# ----------------------------------------------------------------------------------------- reprs
def test_reprs_are_one_short_line(inst, results):
    objs = [inst, inst.teacher_measure(), blasso.make_grid("auto", 100, 2), results["gd"].result,
            results["solve"].lasso, *results.values()]
    for obj in objs:
        r = repr(obj)
        assert "\n" not in r and len(r) < 120, r
        assert "array(" not in r and "[[" not in r, r
    assert repr(inst) == "Instance(n=30, d=2, teacher='mixed-signs', m=2, seed=0, lam=0.01)"
    assert repr(blasso.make_instance()) == "Instance(n=100, d=5, teacher='paper', m=5, seed=0)"
    assert repr(blasso.make_instance().teacher_measure()) == "Measure(5 atoms, d=5, TV=5.0)"
    assert str(inst) == repr(inst) and str(inst.X[0, 0])[:6] not in str(inst)


def test_results_carry_status_and_reason(results):
    for name, res in results.items():
        state = getattr(res, "verdict", None) or getattr(res, "status")
        assert isinstance(state, str) and state, name
        assert isinstance(res.reason, str) and res.reason, name
        assert res.summary().strip(), name


# -------------------------------------------------------------------------------- shared defaults
def test_cli_and_api_share_their_defaults():
    parser, _ = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction").choices

    def default(cmd, dest):
        return sub[cmd].get_default(dest)

    api = {name: {k: p.default for k, p in inspect.signature(getattr(blasso, name)).parameters.items()}
           for name in ("solve", "certify", "gd", "compare", "check_assumptions", "demo")}
    assert api["gd"]["alpha"] == default("gd", "alpha") == default("compare", "alpha") == "auto"
    assert api["solve"]["solver"] == default("solve", "solver") == default("demo", "solver") == "AUTO"
    assert inspect.signature(blasso.run_gd).parameters["alpha"].default == "auto"
    from blasso.solvers import solve_lasso
    assert inspect.signature(solve_lasso).parameters["solver"].default == "AUTO"
    pairs = [("solve", "solve", "grid_size"), ("solve", "solve", "time_budget"), ("certify", "certify", "time_budget"),
             ("certify", "certify", "population_budget"), ("certify", "certify", "solver"),
             ("gd", "gd", "M"), ("gd", "gd", "iters"), ("compare", "compare", "iters"), ("compare", "compare", "ftol"),
             ("compare", "compare", "grid_size"), ("compare", "compare", "solver"),
             ("compare", "compare", "refine_rounds"), ("assumptions", "check_assumptions", "time_budget"),
             ("demo", "demo", "n_random"), ("demo", "demo", "grid_size")]
    for cmd, func, name in pairs:
        assert default(cmd, name) == api[func][name], (cmd, name)
    assert default("gd", "trace_points") == api["gd"]["n_trace"]


# -------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, match", [
    (lambda i: blasso.solve(42), "data must be"),
    (lambda i: blasso.solve(i, solver="nope"), "solver"),
    (lambda i: blasso.solve(i, -1.0), "lam"),
    (lambda i: blasso.solve(i, grid=np.eye(2)), "grid must be a blasso.Grid"),
    (lambda i: blasso.solve((i.X, i.y), oracle=True), "needs an instance with a teacher"),
    (lambda i: blasso.gd(i, alpha="fast"), "alpha must be a positive number or 'auto'"),
    (lambda i: blasso.run_gd(i.X, i.y, LAM, 4, step="constant"), "give a number for plain GD"),
    (lambda i: blasso.compare(i, tolerances=0.1), "tolerances must be"),
    (lambda i: blasso.certify(i, target="nobody"), "target"),
    (lambda i: blasso.certify(i, merge_angle_deg=200), "merge_angle_deg"),
    (lambda i: blasso.population_certificate("x"), "target must be"),
    (lambda i: blasso.solve(blasso.make_instance(n=40, d=5, m=2), exact=True, ground_truth="exact"),
     "exact solve refused"),
])
def test_bad_input_is_one_clear_line(inst, call, match):
    with pytest.raises(BlassoInputError, match=match) as info:
        call(inst)
    assert "\n" not in str(info.value)


def test_data_may_be_an_instance_a_pair_or_a_file(inst, inst_file):
    a = blasso.solve(inst, grid_size=200)
    b = blasso.solve((inst.X, inst.y), LAM, grid_size=200)
    c = blasso.solve(inst_file, grid_size=200)
    assert a.objective == b.objective == c.objective


def test_gd_trace_for_assumption_4_6(inst, results, tmp_path):
    path = results["gd"].save(tmp_path / "run")
    assert path.name == "run.npz"
    from_file = blasso.check_assumptions(inst, gd_trace=path, time_budget=5)
    from_run = blasso.check_assumptions(inst, gd_trace=results["gd"], time_budget=5)
    c1, c2 = from_file.report.checks["4.6"], from_run.report.checks["4.6"]
    assert c1.status == c2.status == "holds" and c1.value == c2.value == float(results["gd"].result.trace["F"].max())
    assert blasso.load_report(path)["figures"]["J_gd"] == results["gd"].J


# ------------------------------------------------------------------------------------- doctests
def test_docstring_examples_run():
    import blasso.studies.api as api
    import blasso.studies.certify_results as certify_results
    import blasso.studies.results as results_mod
    from blasso import instance, measure, solvers
    from blasso.solvers import gd

    for mod in (api, results_mod, certify_results, instance, measure, gd, solvers):
        out = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        assert out.failed == 0 and out.attempted > 0, mod.__name__
