"""Benchmark: the certified optimum by column generation (blasso.solvers.colgen), end to end.

Each case runs :func:`blasso.solvers.colgen.solve_certified` in a fresh
process under ``/usr/bin/time`` (wall seconds and peak resident memory of the
whole process, imports included) with the time budget the target allows, and
records: working cells, rounds, atoms of nu*, the relative width of the
certified bracket ``[J_lower, J_upper]`` and why it stopped.  The
``crosscheck`` part solves small instances both ways, column generation and
the enumerating program (:func:`blasso.solvers.exact.solve_exact`), side by
side in one process.

Targets (from the issue that introduced the solver):

* the Fig. 2 instance (paper teacher, n = 100, d = m = 5, seed 0) at lam = 1e-3
  and at 1e-4: relative width <= 1e-9 within 5 minutes;
* n = 400, d = 5: <= 1e-6 within 15 minutes;
* d = 2, n = 1e5 (mixed-sign teacher, noise 0.01): <= 1e-9 within 2 minutes;
* d = 3, n = 2000: <= 1e-9 within 5 minutes;
* d = 10, n = 200: the width reached in 10 minutes.

Usage::

    python benchmarks/bench_colgen.py [--parts scale crosscheck] [--only NAME ...]

Writes ``benchmarks/results/colgen_scale.json`` and ``colgen_crosscheck.json``
and prints the tables.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "results"

#: name -> (teacher, n, d, m, noise, seed, lam, time budget s, target rel. width or None)
CASES = {
    "fig2-lam1e-3": ("paper", 100, 5, 5, 0.0, 0, 1e-3, 300, 1e-9),
    "fig2-lam1e-4": ("paper", 100, 5, 5, 0.0, 0, 1e-4, 300, 1e-9),
    "paper-n400-d5": ("paper", 400, 5, 5, 0.0, 0, 1e-3, 900, 1e-6),
    "mixed-n1e5-d2": ("mixed-signs", 100000, 2, 2, 0.01, 1, 1e-3, 120, 1e-9),
    "mixed-n2000-d3": ("mixed-signs", 2000, 3, 3, 0.01, 1, 1e-3, 300, 1e-9),
    "mixed-n200-d10": ("mixed-signs", 200, 10, 3, 0.01, 1, 1e-3, 600, None),
}

#: small instances solved both ways (teacher, n, d, m, noise, seed, lam)
CROSS = [("mixed-signs", 200, 2, 2, 0.02, 1, 1e-3), ("paper", 60, 3, 2, 0.0, 0, 1e-3),
         ("mixed-signs", 60, 3, 3, 0.05, 2, 1e-3), ("mixed-signs", 14, 4, 2, 0.05, 3, 1e-2),
         ("mixed-signs", 14, 5, 3, 0.05, 0, 1e-2)]


def _child(name: str) -> None:
    """Run one case in this process and print its figures as one JSON line."""
    from blasso.instance import make_instance
    from blasso.solvers.colgen import ColgenConfig, solve_certified

    teacher, n, d, m, noise, seed, lam, budget, _ = CASES[name]
    inst = make_instance(teacher=teacher, n=n, d=d, m=m, seed=seed, noise=noise)
    t0 = time.perf_counter()
    res = solve_certified(inst.X, inst.y, lam, config=ColgenConfig(time_budget=budget, check_unique=False,
                                                                   rel_width=1e-9))
    print(json.dumps({"J_lower": res.J_lower, "J_upper": res.J_upper, "rel_width": res.rel_width,
                      "atoms": len(res.measure), "cells": res.cells["n_cells"], "rounds": res.cells["rounds"],
                      "stopped": res.cells["stopped"], "solve_s": time.perf_counter() - t0,
                      "sup_method": res.sup["method"]}))


def _scale(names: list) -> list:
    rows = []
    for name in names:
        teacher, n, d, m, noise, seed, lam, budget, target = CASES[name]
        cmd = ["/usr/bin/time", "-f", "TIME %e %M", sys.executable, __file__, "--child", name]
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
        t0 = time.perf_counter()
        pr = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=budget * 3 + 300)
        wall = time.perf_counter() - t0
        line = [ln for ln in pr.stdout.splitlines() if ln.startswith("{")]
        tline = [ln for ln in pr.stderr.splitlines() if ln.startswith("TIME ")]
        row = {"case": name, "teacher": teacher, "n": n, "d": d, "m": m, "noise": noise, "lam": lam,
               "budget_s": budget, "target_rel_width": target, "returncode": pr.returncode}
        if line:
            row.update(json.loads(line[-1]))
        if tline:
            _, w, kb = tline[-1].split()
            row.update({"wall_s": float(w), "peak_mib": float(kb) / 1024.0})
        else:
            row["wall_s"] = wall
        if target is not None and "rel_width" in row:
            row["target_met"] = bool(row["rel_width"] <= target and row["wall_s"] <= budget)
        if pr.returncode:
            row["stderr_tail"] = pr.stderr[-2000:]
        rows.append(row)
        print(_fmt(row), flush=True)
    return rows


def _fmt(r: dict) -> str:
    if "rel_width" not in r:
        return f"{r['case']:16s} FAILED rc={r['returncode']}"
    tgt = "" if r.get("target_rel_width") is None else f" target {r['target_rel_width']:.0e}: " + \
        ("met" if r.get("target_met") else "NOT met")
    return (f"{r['case']:16s} n={r['n']:<7d} d={r['d']:<3d} lam={r['lam']:.0e}  cells {r['cells']:4d}  rounds "
            f"{r['rounds']:3d}  atoms {r['atoms']:3d}  rel.width {r['rel_width']:.1e}  wall {r['wall_s']:7.1f} s  "
            f"peak {r.get('peak_mib', float('nan')):7.0f} MiB  ({r['stopped']}){tgt}")


def _crosscheck() -> list:
    from blasso.instance import make_instance
    from blasso.solvers.colgen import ColgenConfig, solve_certified
    from blasso.solvers.exact import ExactConfig, solve_exact

    rows = []
    for teacher, n, d, m, noise, seed, lam in CROSS:
        inst = make_instance(teacher=teacher, n=n, d=d, m=m, seed=seed, noise=noise)
        t0 = time.perf_counter()
        ex = solve_exact(inst.X, inst.y, lam, config=ExactConfig(check_unique=False))
        t1 = time.perf_counter()
        cg = solve_certified(inst.X, inst.y, lam, config=ColgenConfig(check_unique=False))
        t2 = time.perf_counter()
        row = {"teacher": teacher, "n": n, "d": d, "m": m, "noise": noise, "lam": lam,
               "cells_enumerated": ex.cells["n_cells"], "cells_working": cg.cells["n_cells"],
               "J_exact": ex.J_upper, "J_colgen": cg.J_upper, "rel_diff": (cg.J_upper - ex.J_upper) / ex.J_upper,
               "width_exact": ex.rel_width, "width_colgen": cg.rel_width, "atoms_exact": len(ex.measure),
               "atoms_colgen": len(cg.measure), "exact_s": t1 - t0, "colgen_s": t2 - t1}
        rows.append(row)
        print(f"{teacher:12s} n={n:<4d} d={d}  cells {row['cells_enumerated']:6d} enumerated / "
              f"{row['cells_working']:4d} working  J {ex.J_upper:.12g} / {cg.J_upper:.12g}  rel.diff "
              f"{row['rel_diff']:+.1e}  widths {ex.rel_width:.1e} / {cg.rel_width:.1e}  atoms {len(ex.measure)} / "
              f"{len(cg.measure)}  time {t1 - t0:.1f} s / {t2 - t1:.1f} s ({(t1 - t0) / max(t2 - t1, 1e-9):.2f}x)",
              flush=True)
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", nargs="+", default=["scale", "crosscheck"], choices=["scale", "crosscheck"])
    ap.add_argument("--only", nargs="+", default=None, choices=sorted(CASES), help="scale cases to run")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        _child(a.child)
        return
    meta = {"python": platform.python_version(), "machine": platform.machine(), "cores": os.cpu_count(),
            "load_avg_start": os.getloadavg()}
    OUT.mkdir(exist_ok=True)
    if "scale" in a.parts:
        rows = _scale(a.only or list(CASES))
        (OUT / "colgen_scale.json").write_text(json.dumps({"meta": {**meta, "load_avg_end": os.getloadavg()},
                                                           "rows": rows}, indent=1))
    if "crosscheck" in a.parts:
        rows = _crosscheck()
        (OUT / "colgen_crosscheck.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
