"""Bounded memory: one chunking helper, one default budget, and a size check before allocating.

Every loop over a grid or a probe set in the toolkit walks its rows through
:func:`chunks`, so no temporary block exceeds the chunk budget
(:data:`DEFAULT_CHUNK_BYTES` unless overridden with :func:`set_chunk_bytes`
or a ``chunk_bytes=`` argument).  Arrays whose size is the answer (a grid,
``eta`` on a grid, a distance matrix) cannot be chunked away; their public
constructors first call :func:`check_memory` with an estimate of the peak,
which refuses the request with a :class:`~blasso.validation.BlassoInputError`
naming the estimate and the memory available: ``MemAvailable`` from
``/proc/meminfo`` (or ``sysconf`` elsewhere), or the limit set by
:func:`set_max_memory` (the CLI's ``--max-memory``), whichever is smaller.

Chunked loops also keep Ctrl-C responsive: Python handles signals between
blocks, and one block of a few tens of MiB takes milliseconds.
"""

from __future__ import annotations

import contextlib
import numbers
import os
import re
from typing import Iterator

from .validation import BlassoInputError

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "chunk_bytes",
    "set_chunk_bytes",
    "set_max_memory",
    "max_memory",
    "limits",
    "chunk_rows",
    "chunks",
    "available_memory",
    "memory_limit",
    "check_memory",
    "format_bytes",
    "parse_bytes",
]

#: Default upper bound on the bytes of one temporary block (64 MiB).
DEFAULT_CHUNK_BYTES = 64 * 2**20

_STATE: dict = {"chunk_bytes": DEFAULT_CHUNK_BYTES, "max_memory": None}

_UNITS = {"": 1, "b": 1, "k": 2**10, "kb": 10**3, "kib": 2**10, "m": 2**20, "mb": 10**6, "mib": 2**20,
          "g": 2**30, "gb": 10**9, "gib": 2**30, "t": 2**40, "tb": 10**12, "tib": 2**40}


def _check_nbytes(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value:
        raise BlassoInputError(f"{name} must be a number of bytes; got {value!r}")
    if value < minimum or value == float("inf"):
        raise BlassoInputError(f"{name} must be a finite number of bytes >= {minimum}; got {value!r}")
    return int(value)


def chunk_bytes() -> int:
    """The current chunk budget in bytes (:data:`DEFAULT_CHUNK_BYTES` unless overridden)."""
    return int(_STATE["chunk_bytes"])


def set_chunk_bytes(nbytes: int | None) -> None:
    """Set the process-wide chunk budget (``None`` restores :data:`DEFAULT_CHUNK_BYTES`)."""
    _STATE["chunk_bytes"] = DEFAULT_CHUNK_BYTES if nbytes is None else _check_nbytes(nbytes, "chunk budget", 8)


def set_max_memory(nbytes: int | None) -> None:
    """Cap the memory a single request may need (``None``: only the available memory counts)."""
    _STATE["max_memory"] = None if nbytes is None else _check_nbytes(nbytes, "memory limit")


def max_memory() -> int | None:
    """The limit set by :func:`set_max_memory`, or ``None``."""
    return _STATE["max_memory"]


@contextlib.contextmanager
def limits(*, max_memory: int | None = None, chunk_bytes: int | None = None):
    """Temporarily set the memory limit and/or the chunk budget (restored on exit)."""
    saved = dict(_STATE)
    try:
        if max_memory is not None:
            set_max_memory(max_memory)
        if chunk_bytes is not None:
            set_chunk_bytes(chunk_bytes)
        yield
    finally:
        _STATE.update(saved)


def chunk_rows(row_bytes: int, budget: int | None = None) -> int:
    """Rows of ``row_bytes`` bytes that fit in one chunk of ``budget`` bytes (at least 1).

    Raises
    ------
    BlassoInputError
        If the budget is below one row (``chunk_bytes=... is below one row``).
    """
    budget = chunk_bytes() if budget is None else int(budget)
    row_bytes = max(1, int(row_bytes))
    if budget < row_bytes:
        raise BlassoInputError(f"chunk_bytes={budget} is below one row of the block ({row_bytes} bytes)")
    return budget // row_bytes


def chunks(total_rows: int, row_bytes: int, budget: int | None = None) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` row ranges covering ``range(total_rows)``, each at most ``budget`` bytes.

    Parameters
    ----------
    total_rows : int
        Number of rows to walk.
    row_bytes : int
        Bytes of the temporaries one row needs (e.g. ``8 n`` for one feature column).
    budget : int, optional
        Bytes per chunk (default: :func:`chunk_bytes`).
    """
    step = chunk_rows(row_bytes, budget)
    for start in range(0, int(total_rows), step):
        yield start, min(int(total_rows), start + step)


def available_memory() -> int | None:
    """Memory available to a new allocation, in bytes (``MemAvailable``), or ``None`` if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - non-POSIX
        return None


def memory_limit(limit: int | None = None) -> tuple[int | None, str]:
    """The byte limit a request is checked against, and where it comes from.

    The smallest of ``limit``, the :func:`set_max_memory` limit and the
    available memory.
    """
    candidates = []
    if limit is not None:
        candidates.append((_check_nbytes(limit, "memory limit"), "the given limit"))
    if _STATE["max_memory"] is not None:
        candidates.append((_STATE["max_memory"], "the --max-memory limit"))
    avail = available_memory()
    if avail is not None:
        candidates.append((avail, "available memory (MemAvailable)"))
    if not candidates:
        return None, "unknown"
    return min(candidates, key=lambda t: t[0])


def check_memory(nbytes: int, what: str, limit: int | None = None) -> int:
    """Refuse a request whose estimated peak ``nbytes`` exceeds the memory limit.

    Parameters
    ----------
    nbytes : int
        Estimated peak bytes of the request (Python int: no overflow).
    what : str
        What needs it, for the message (``"a random grid of 10^12 directions in d = 5"``).
    limit : int, optional
        An explicit limit (otherwise :func:`memory_limit` decides).

    Returns
    -------
    int
        ``nbytes``, when it fits.

    Raises
    ------
    BlassoInputError
        ``<what> needs about <estimate>, more than the <limit> of <source>``.
    """
    nbytes = int(nbytes)
    cap, source = memory_limit(limit)
    if cap is not None and nbytes > cap:
        raise BlassoInputError(f"{what} needs about {format_bytes(nbytes)}, more than the "
                               f"{format_bytes(cap)} of {source}; use a smaller size")
    return nbytes


def format_bytes(nbytes: float) -> str:
    """``1536 -> '1.5 KiB'``; binary units up to EiB, then ``about 10^k bytes``."""
    if abs(int(nbytes)) >= 2**70:   # beyond ZiB: an order of magnitude says it all (and floats may overflow)
        return f"10^{len(str(abs(int(nbytes)))) - 1} bytes"
    value = float(nbytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(value) < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} EiB"


def parse_bytes(text: str) -> int:
    """Parse a size such as ``"2G"``, ``"512MiB"``, ``"1e9"`` (``k/M/G/T`` are powers of 1024).

    Raises
    ------
    BlassoInputError
        If the text is not a positive size.
    """
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*", str(text))
    if not m or m.group(2).lower() not in _UNITS:
        raise BlassoInputError(f"memory size must be a number with an optional unit (e.g. 2G, 512M); got {text!r}")
    value = float(m.group(1)) * _UNITS[m.group(2).lower()]
    if not value >= 1 or value == float("inf"):
        raise BlassoInputError(f"memory size must be at least 1 byte; got {text!r}")
    return int(value)
