"""blasso.progress: the hook protocol and the terminal implementation."""

import io

import pytest

from blasso.progress import NULL_PROGRESS, Recorder, TerminalProgress, as_progress
from blasso.validation import BlassoInputError


def test_as_progress_and_recorder():
    assert as_progress(None) is NULL_PROGRESS
    assert NULL_PROGRESS("x", 1, 2) is None
    rec = Recorder()
    assert as_progress(rec) is rec
    rec("phase one")
    rec("loop", 3, 10)
    rec("loop", 10, 10)
    assert rec.messages() == ["phase one"]
    assert rec.updates("loop") == [(3, 10), (10, 10)]
    with pytest.raises(BlassoInputError, match="callable"):
        as_progress(42)


def test_terminal_progress_quiet_and_non_tty():
    s = io.StringIO()
    TerminalProgress(s, quiet=True)("hello")
    assert s.getvalue() == ""
    s = io.StringIO()                       # StringIO is not a terminal: messages, no bars
    p = TerminalProgress(s)
    p("hello")
    p("loop", 5, 10)
    assert s.getvalue().endswith("] hello\n") and "loop" not in s.getvalue()


def test_terminal_progress_bar_counts_and_closes():
    s = io.StringIO()
    p = TerminalProgress(s, bars=True)
    for k in range(0, 11):
        p("loop", k, 10)
    assert p._bar is None                   # done >= total closed it
    assert "loop:" in s.getvalue() and "/10" in s.getvalue()
    p("open", 1, None)
    assert p._bar is not None
    p("a message")                         # printed above the open bar, which stays
    assert p._bar is not None and "] a message" in s.getvalue()
    p("other", 1, 5)                       # another bar replaces it
    assert p._desc == "other"
    p.close()
    assert p._bar is None


def test_run_gd_reports_iterations_through_the_hook():
    from blasso import make_instance
    from blasso.solvers.gd import run_gd

    inst = make_instance(teacher="paper", n=30, d=2, m=1, seed=0)
    rec = Recorder()
    res = run_gd(inst.X, inst.y, 1e-3, M=4, alpha=1.0, max_iter=950, check_every=100, progress=rec)
    ups = rec.updates("GD iterations")
    assert [u[0] for u in ups[:-1]] == list(range(0, 901, 100)) + [950]      # every check, and the last
    assert all(t == 950 for _, t in ups[:-1]) and ups[-1] == (res.n_iter, res.n_iter)


def test_convex_reference_reports_rounds():
    from blasso import make_grid, make_instance
    from blasso.solvers.refine import convex_reference

    inst = make_instance(teacher="paper", n=30, d=2, m=1, seed=0)
    rec = Recorder()
    ref = convex_reference(inst.X, inst.y, 1e-2, make_grid("auto", 60, 2), rounds=3, progress=rec)
    ups = rec.updates("exchange rounds")
    assert ups and ups == [(k, 3) for k in range(1, len(ups) + 1)]
    assert rec.messages()[0].startswith("grid LASSO") and ref.J <= ref.J_grid
