"""Long runs announce themselves: estimates before steps over 30 s, totals in progress lines, reproduce --quick."""

import io
import json
import time

import pytest

from blasso.progress import ESTIMATE_THRESHOLD_S, Recorder, TerminalProgress, announce_estimate, format_seconds


def test_off_a_terminal_a_bar_is_a_line_with_its_total():
    s = io.StringIO()                                   # not a terminal: no bars
    p = TerminalProgress(s, line_interval=0.0)
    p("exchange rounds", 1, 8)                          # the bar starts: nothing yet
    time.sleep(0.01)
    p("exchange rounds", 3, 8)
    p("exchange rounds", 8, 8)                          # done: no line (the command says what it found)
    p("GD iterations", 0, 20000)
    time.sleep(0.01)
    p("GD iterations", 2000, 20000)
    p("open-ended", 1, None)
    time.sleep(0.01)
    p("open-ended", 5, None)
    lines = s.getvalue().splitlines()
    assert len(lines) == 3, lines
    assert "exchange rounds 3/8 (" in lines[0] and "left at this pace" in lines[0]
    assert "GD iterations 2000/20000 (" in lines[1]
    assert "open-ended 5 (total unknown" in lines[2]


def test_lines_are_rate_limited_and_short_loops_print_none():
    s = io.StringIO()
    p = TerminalProgress(s)                             # default: one line per 10 s at most
    for k in range(0, 1001, 100):
        p("GD iterations", k, 1000)
    assert s.getvalue() == ""
    q = TerminalProgress(io.StringIO(), quiet=True, line_interval=0.0)
    q("loop", 1, 3)
    q("loop", 2, 3)
    assert q.stream.getvalue() == ""


def test_announce_estimate_only_above_the_threshold():
    rec = Recorder()
    assert not announce_estimate(rec, "short step", ESTIMATE_THRESHOLD_S - 1, "model")
    assert announce_estimate(rec, "long step", 150.0, "cost model X")
    assert rec.messages() == ["estimate: long step: ~2.5 min (cost model X)"]
    assert format_seconds(42) == "42 s" and format_seconds(7200) == "2.0 h"


def test_exchange_rounds_announce_their_estimate_before_starting():
    from blasso import make_grid, make_instance
    from blasso.solvers.refine import convex_reference

    inst = make_instance(teacher="paper", n=30, d=2, m=1, seed=0)

    def oracle(p):
        return 0.5, 0.5, None                           # resolved at once: one round
    oracle.round_seconds = 15.0                         # what sphere_sup_oracle attaches (its cost model)
    rec = Recorder()
    convex_reference(inst.X, inst.y, 1e-2, make_grid("auto", 60, 2), rounds=3, sup_oracle=oracle, progress=rec)
    msgs = rec.messages()
    assert msgs[1].startswith("estimate: up to 3 exchange rounds: ~45 s (~15 s per round")   # before round 1
    assert msgs[0].startswith("grid LASSO") and "round 1" in msgs[2]


def test_sphere_sup_oracle_carries_its_cost_model():
    import numpy as np

    from blasso.studies.compare import exchange_round_seconds, sphere_sup_oracle

    X = np.eye(5)
    assert sphere_sup_oracle(X, time_budget=20.0).round_seconds == exchange_round_seconds(5, 5, 20.0) == 23.0
    assert exchange_round_seconds(100, 2, 20.0) < 2.0


def test_gd_announces_a_long_run_and_the_cost_model_has_the_right_size():
    from blasso import make_instance
    from blasso.solvers.gd import gd_seconds, run_gd

    inst = make_instance(teacher="paper", n=100, d=5, m=5, seed=0)
    rec = Recorder()
    run_gd(inst.X, inst.y, 1e-3, M=10, alpha=1.0, max_iter=10**8, callback=lambda info: True, progress=rec)
    assert rec.messages()[0].startswith("estimate: gradient descent, 100000000 iterations (n=100, d=5, M=10)")
    # the model against a measured run (order of magnitude: the machine is shared)
    t0 = time.perf_counter()
    run_gd(inst.X, inst.y, 1e-3, M=10, alpha=1.0, max_iter=20000, ftol=0.0, gtol=0.0)
    ratio = (time.perf_counter() - t0) / gd_seconds(100, 5, 10, 20000)
    assert 0.1 < ratio < 10, ratio


def test_quick_settings_and_what_they_reduce():
    from blasso.studies.reproduce import DEFAULTS, QUICK, estimate_seconds, reduced, settings

    for name in DEFAULTS:
        st = settings(name, quick=True)
        assert all(st[k] <= DEFAULTS[name][k] for k in st) and st != DEFAULTS[name]
        assert reduced(name, st) and all("(full" in r for r in reduced(name, st))
        assert settings(name, quick=True, iters=77)["iters"] == 77
    full = sum(estimate_seconds(n) for n in DEFAULTS)
    quick = sum(estimate_seconds(n, quick=True) for n in DEFAULTS)
    assert quick < min(120.0, full)                     # --quick must fit 2 min
    assert QUICK["fig2"]["iters"] < DEFAULTS["fig2"]["iters"]


def test_reproduce_quick_says_what_it_reduced(tmp_path, capsys):
    from blasso.cli import main

    js = tmp_path / "r.json"
    assert main(["reproduce", "fig1", "--quick", "--iters", "300", "--grid-size", "150", "--alpha", "0.5",
                 "--out", str(tmp_path / "figs"), "--json", str(js)]) == 0
    out = capsys.readouterr().out
    assert "QUICK run, reduced from the full settings: iters 300 (full 100000), grid_size 150 (full 3600)" in out
    rep = json.loads(js.read_text())["figures"]
    assert rep["quick"] is True and rep["figures"]["fig1"]["quick"] is True
    assert rep["figures"]["fig1"]["settings"]["iters"] == 300 and rep["figures"]["fig1"]["reduced"]
    saved = json.loads((tmp_path / "figs" / "fig1.json").read_text())
    assert saved["quick"] is True and saved["reduced"] == rep["figures"]["fig1"]["reduced"]


@pytest.mark.parametrize("quick", [False, True])
def test_reproduce_announces_the_total_before_starting(tmp_path, monkeypatch, quick):
    import blasso.studies.reproduce as rp

    ran = []
    monkeypatch.setattr(rp, "reproduce", lambda name, out_dir, **kw: ran.append(name) or {"claims": []})
    rec = Recorder()
    rp.reproduce_figures(rp.FIGURES, tmp_path, progress=rec, quick=quick)
    first = rec.messages()[0]
    assert first.startswith("estimate: reproduce fig1, fig2, fig3") and ran == list(rp.FIGURES)
    total = sum(rp.estimate_seconds(n, quick=quick) for n in rp.FIGURES)
    assert format_seconds(total) in first
