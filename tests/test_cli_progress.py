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
