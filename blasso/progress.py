"""Progress reporting: one small protocol the library calls, one terminal implementation the CLI creates.

The protocol
------------
A *progress hook* is any callable::

    progress(desc: str, done: float | None = None, total: float | None = None) -> None

* ``progress("solving the grid LASSO ...")`` -- ``done`` omitted: a one-off
  status message (a phase starts, a result is known).  Every hook the library
  accepted before this module (``progress=`` / ``say(text)``) already has this
  form, so old callers keep working.
* ``progress("GD iterations", done=k, total=max_iter)`` -- a bar named
  ``desc`` advanced to ``done`` units of ``total``.  ``total=None`` means the
  total is unknown (the bar counts without an ETA).  Consecutive calls with the
  same ``desc`` update the same bar (messages in between are printed above
  it); a bar with another ``desc`` closes it; ``done >= total`` closes it too.  Units are the caller's:
  iterations, rounds, cells, or seconds of a time budget (branch and bound:
  ``progress("branch and bound", done=elapsed_s, total=time_budget)``).

Rules for library code (``blasso``, ``solvers``, ``certificates``):

* accept ``progress=None`` and normalise it with :func:`as_progress`; never
  print;
* call the hook at natural batch boundaries (every few hundred iterations,
  once per round or per node batch), not in the innermost loop: a call costs
  about a microsecond plus whatever the hook does;
* a hook must not raise (except ``KeyboardInterrupt``, which is how Ctrl-C
  reaches the library) and must not change results.

Implementations here: :data:`NULL_PROGRESS` (does nothing), :class:`Recorder`
(keeps the calls, for tests), :class:`TerminalProgress` (tqdm bars with ETA on
a terminal, timestamped message lines, silent when ``quiet``) and
:func:`make_progress`, which the CLI uses (quiet with ``--quiet``; no bars
when stderr is not a terminal, messages still printed).

Off a terminal (a log file, a pipe, a batch job) a bar becomes a line with its
total and the time at the current pace, e.g. ``exchange rounds 3/12 (61 s
elapsed, ~4.1 min left at this pace)``, printed at most every
:attr:`TerminalProgress.line_interval` seconds (default 10) and never for a
loop that ends sooner.

Estimates before long steps
---------------------------
A step expected to take longer than :data:`ESTIMATE_THRESHOLD_S` (30 s)
announces itself through the same hook before it starts:
:func:`announce_estimate` sends one message, ``"estimate: <what>: ~2.5 min
(<cost model>)"``, and does nothing for shorter steps.  The cost models live
next to the code they predict (:func:`blasso.solvers.gd.gd_seconds`,
:func:`blasso.studies.compare.exchange_round_seconds`,
:func:`blasso.studies.reproduce.estimate_seconds`) and say what they assume.
"""

from __future__ import annotations

import sys
import time
from typing import Callable, Protocol, TextIO, runtime_checkable

__all__ = ["ProgressHook", "NULL_PROGRESS", "as_progress", "Recorder", "TerminalProgress", "make_progress",
           "ESTIMATE_THRESHOLD_S", "format_seconds", "announce_estimate"]

#: Steps expected to take longer than this (seconds) announce an estimate first.
ESTIMATE_THRESHOLD_S = 30.0


def format_seconds(seconds: float) -> str:
    """``"42 s"``, ``"2.5 min"``, ``"1.3 h"``."""
    s = float(seconds)
    if s < 90:
        return f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


def announce_estimate(progress, what: str, seconds: float, model: str, *,
                      threshold: float = ESTIMATE_THRESHOLD_S) -> bool:
    """Send ``"estimate: <what>: ~<time> (<model>)"`` through ``progress`` when ``seconds > threshold``.

    Parameters
    ----------
    progress : callable or None
        A hook of this module.
    what : str
        The step (``"Algorithm 1, 200000 iterations"``).
    seconds : float
        The cost model's prediction.
    model : str
        The cost model in a few words, with where it was measured.
    threshold : float
        Announce only above this many seconds (default :data:`ESTIMATE_THRESHOLD_S`).

    Returns
    -------
    bool
        Whether the estimate was announced.
    """
    if not (seconds > threshold):
        return False
    as_progress(progress)(f"estimate: {what}: ~{format_seconds(seconds)} ({model})")
    return True


@runtime_checkable
class ProgressHook(Protocol):
    """``progress(desc, done=None, total=None)``; see the module docstring."""

    def __call__(self, desc: str, done: float | None = None, total: float | None = None) -> None:
        ...


def _null(desc: str, done: float | None = None, total: float | None = None) -> None:
    return None


#: The hook that does nothing (the library's default).
NULL_PROGRESS: ProgressHook = _null


def as_progress(progress: Callable | None) -> ProgressHook:
    """Return ``progress`` itself, or :data:`NULL_PROGRESS` for ``None``.

    Parameters
    ----------
    progress : callable or None
        A hook following the protocol of this module.

    Returns
    -------
    ProgressHook
    """
    if progress is None:
        return NULL_PROGRESS
    if not callable(progress):
        from .validation import BlassoInputError
        raise BlassoInputError(f"progress must be callable or None; got {type(progress).__name__}")
    return progress


class Recorder:
    """A hook that records every call as ``(desc, done, total)``; for tests and for replaying."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float | None, float | None]] = []

    def __call__(self, desc: str, done: float | None = None, total: float | None = None) -> None:
        self.calls.append((str(desc), done, total))

    def messages(self) -> list[str]:
        """The status messages (calls without ``done``)."""
        return [d for d, done, _ in self.calls if done is None]

    def updates(self, desc: str) -> list[tuple[float, float | None]]:
        """``(done, total)`` of the bar updates named ``desc``."""
        return [(done, total) for d, done, total in self.calls if d == desc and done is not None]


class TerminalProgress:
    """tqdm bars (with ETA) and timestamped messages on a stream, usually stderr.

    Parameters
    ----------
    stream : text stream, default ``sys.stderr``
    quiet : bool
        Print nothing at all.
    bars : bool or None
        Draw bars; default: only when ``stream`` is a terminal (a log file gets
        the messages, not carriage-return bar refreshes).
    line_interval : float
        Without bars: seconds between the lines that stand for a bar
        (``"GD iterations 2000/20000 (...)"``); a loop shorter than this prints none.
    """

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False, bars: bool | None = None,
                 line_interval: float = 10.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = bool(quiet)
        if bars is None:
            isatty = getattr(self.stream, "isatty", None)
            bars = bool(isatty and isatty())
        self.bars = bool(bars) and not self.quiet
        self.line_interval = float(line_interval)
        self._bar = None
        self._desc: str | None = None
        self._t0 = time.perf_counter()
        self._line: dict | None = None      # off a terminal: the bar's start, last line, first count

    def __call__(self, desc: str, done: float | None = None, total: float | None = None) -> None:
        if self.quiet:
            return
        if done is None:
            line = f"[{time.perf_counter() - self._t0:7.1f}s] {desc}"
            if self._bar is not None:      # above the open bar, which keeps its ETA
                self._bar.write(line, file=self.stream)
            else:
                print(line, file=self.stream, flush=True)
            return
        if not self.bars:
            self._count_line(desc, done, total)
            return
        if desc != self._desc or self._bar is None:
            self.close()
            from tqdm import tqdm
            self._bar = tqdm(total=total, desc=desc, file=self.stream, leave=False, mininterval=0.5,
                             dynamic_ncols=True)
            self._desc = desc
        bar = self._bar
        if total is not None and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)
        if total is not None and done >= total:
            self.close()

    def _count_line(self, desc: str, done: float, total: float | None) -> None:
        """Off a terminal: ``"[  61.0s] exchange rounds 3/12 (61 s elapsed, ~4.1 min left at this pace)"``."""
        now = time.perf_counter()
        st = self._line
        if st is None or st["desc"] != desc or done < st["done"]:
            self._line = {"desc": desc, "start": now, "last": now, "done0": done, "done": done}
            return
        st["done"] = done
        if now - st["last"] < self.line_interval or (total is not None and done >= total):
            return
        st["last"] = now
        elapsed = now - st["start"]
        count = f"{_fmt_count(done)}/{_fmt_count(total)}" if total is not None else f"{_fmt_count(done)} (total unknown)"
        tail = f"{format_seconds(elapsed)} elapsed"
        rate = (done - st["done0"]) / elapsed if elapsed > 0 else 0.0
        if total is not None and rate > 0:
            tail += f", ~{format_seconds((total - done) / rate)} left at this pace"
        print(f"[{now - self._t0:7.1f}s] {desc} {count} ({tail})", file=self.stream, flush=True)

    def close(self) -> None:
        """Close the open bar, if any (idempotent)."""
        if self._bar is not None:
            self._bar.close()
        self._bar = None
        self._desc = None


def _fmt_count(v) -> str:
    return f"{v:g}" if isinstance(v, float) and not float(v).is_integer() else f"{int(v)}"


def make_progress(*, quiet: bool = False, stream: TextIO | None = None) -> TerminalProgress:
    """The CLI's hook: silent with ``quiet``; bars only when ``stream`` (stderr) is a terminal."""
    return TerminalProgress(stream, quiet=quiet)
