"""Time one sweep spec on the serial, local-process and Dask executors, side by side, and compare the stores.

    python benchmarks/bench_sweep.py [--spec benchmarks/sweeps/small.toml] [--workers 2] [--out DIR]

Each executor runs the whole spec into a fresh store (``blasso sweep run``);
the stores must hold the same keys, statuses and results (wall times aside).
Prints the wall time of each run and its ratio to the serial run.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _table(path: Path) -> dict:
    con = sqlite3.connect(str(path))
    rows = con.execute("SELECT key, status, error, result FROM tasks").fetchall()
    con.close()
    return {k: (s, e, None if r is None else {a: b for a, b in json.loads(r).items() if not a.endswith("wall_s")})
            for k, s, e, r in rows}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default="benchmarks/sweeps/small.toml")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default=None, help="folder for the stores (default: a temporary one)")
    args = ap.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="bench-sweep-"))
    out.mkdir(parents=True, exist_ok=True)
    runs = [("serial", ["--serial"]), (f"processes x {args.workers}", ["--workers", str(args.workers)])]
    try:
        import distributed  # noqa: F401
        runs.append((f"dask-local x {args.workers}", ["--dask-local", str(args.workers)]))
    except ImportError:
        print("dask not installed: the Dask run is skipped (pip install 'blasso[cluster]')")
    tables, walls = {}, {}
    for name, opts in runs:
        store = out / (name.replace(" ", "").replace("x", "_") + ".sqlite")
        store.unlink(missing_ok=True)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "blasso.cli", "sweep", "run", args.spec, "--store", str(store),
                        "--quiet", *opts], check=True)
        walls[name] = time.perf_counter() - t0
        tables[name] = _table(store)
    ref = tables["serial"]
    print(f"spec {args.spec}: {len(ref)} tasks ({sum(v[0] == 'done' for v in ref.values())} done)")
    for name in walls:
        same = "same store as serial" if tables[name] == ref else "STORE DIFFERS from serial"
        print(f"{name:>16}: {walls[name]:7.1f} s wall, speed-up {walls['serial'] / walls[name]:.2f}x, {same}")
    return 0 if all(t == ref for t in tables.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
