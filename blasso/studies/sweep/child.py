"""The process one task runs in: ``python -m blasso.studies.sweep.child`` (used by :mod:`.runner`).

Reads the task's parameters as JSON on stdin, runs it, and writes one JSON
object on stdout: ``{"ok": true, "result": {...}}`` or ``{"ok": false,
"error": "..."}``.  Anything the task prints goes to stderr.  On Linux the
child asks the kernel to kill it when the process that started it dies, so a
killed worker or coordinator leaves no task running behind it.
"""

from __future__ import annotations

import json
import os
import sys


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))          # PR_SET_PDEATHSIG
    except (OSError, AttributeError):               # pragma: no cover - best effort
        pass


def main() -> int:
    _die_with_parent()
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)                                   # prints of the task go to stderr
    try:
        params = json.loads(sys.stdin.read())
        from blasso.memory import limits, parse_bytes

        from .tasks import run_kind
        cap = params.get("options", {}).get("max_memory")
        with limits(max_memory=None if cap is None else parse_bytes(cap)):
            msg = {"ok": True, "result": run_kind(params)}
    except Exception as exc:                        # the task's failure is the message we store
        msg = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    out.write(json.dumps(msg, allow_nan=False))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
