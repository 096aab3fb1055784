"""Benchmark: peak memory and wall time of ``blasso solve --solver fast`` on large random grids.

Each command runs in a fresh interpreter that reports its own peak resident
memory (``VmHWM`` from ``/proc/self/status``, interpreter and imports
included; ``ru_maxrss`` would also count the parent's RSS inherited across
fork and exec) and its wall time from start to exit, so nothing else on the
machine counts in the figure.  ``--tree DIR`` runs the same commands against
another source tree (e.g. ``git archive <commit> | tar -x -C DIR``) to
measure a "before" on the same machine; the default is this checkout.

Usage::

    python benchmarks/bench_memory.py                         # G = 1e6 (the issue's command) and 1e12 (refused)
    python benchmarks/bench_memory.py --sizes 2e5 1e6 5e6 --repeats 3
    python benchmarks/bench_memory.py --tree /tmp/before --label before

Writes ``benchmarks/results/bench_memory[_LABEL].json`` unless ``--out`` says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_WRAPPER = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from blasso.cli import main
try:
    rc = main(sys.argv[1:])
except SystemExit as exc:
    rc = exc.code
def peak_kib():
    # VmHWM is this program's own high-water mark; ru_maxrss also counts the parent's RSS inherited
    # across fork + exec (Linux keeps it in the signal struct), which inflates it under pytest
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rc": rc, "wall_s": time.perf_counter() - t0, "peak_rss_mib": peak_kib() / 1024}))
"""


def measure(tree: Path, argv: list[str], timeout: float) -> dict:
    """Run ``blasso ARGV`` from ``tree`` in a fresh interpreter; its rc, wall time and peak RSS."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.run([sys.executable, "-c", _WRAPPER, *argv], cwd=tree, env=env, capture_output=True,
                          text=True, timeout=timeout)
    lines = proc.stdout.strip().splitlines()
    try:
        row = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        row = {"rc": proc.returncode, "error": proc.stderr.strip().splitlines()[-1:]}
    row["stderr_tail"] = proc.stderr.strip().splitlines()[-1:]
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", nargs="+", type=float, default=[1e6, 1e12], help="grid sizes (default 1e6 1e12)")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--tree", type=Path, default=ROOT, help="source tree to run (default: this checkout)")
    p.add_argument("--label", default="", help="suffix of the output file (e.g. before)")
    p.add_argument("--timeout", type=float, default=600.0)
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = p.parse_args()
    rows = []
    for G in args.sizes:
        argv = ["solve", "--solver", "fast", "--grid-size", str(int(G)), "--grid-kind", "random",
                "--grid-seed", "0", "--quiet"]
        for rep in range(args.repeats):
            print(f"[bench_memory] G={int(G):,} run {rep + 1}/{args.repeats} ...", file=sys.stderr, flush=True)
            row = {"grid_size": int(G), "repeat": rep, "command": "blasso " + " ".join(argv),
                   **measure(args.tree, argv, args.timeout)}
            print(f"[bench_memory]   rc={row.get('rc')} wall={row.get('wall_s', float('nan')):.2f}s "
                  f"peak={row.get('peak_rss_mib', float('nan')):.0f} MiB", file=sys.stderr, flush=True)
            rows.append(row)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=args.tree, capture_output=True, text=True)
    report = {"benchmark": "bench_memory", "tree": str(args.tree), "commit": head.stdout.strip() or None,
              "python": platform.python_version(), "cpus": os.cpu_count(), "runs": rows}
    args.out.mkdir(parents=True, exist_ok=True)
    name = f"bench_memory{'_' + args.label if args.label else ''}.json"
    (args.out / name).write_text(json.dumps(report, indent=1) + "\n")
    print(f"[bench_memory] wrote {args.out / name}", file=sys.stderr)


if __name__ == "__main__":
    main()
