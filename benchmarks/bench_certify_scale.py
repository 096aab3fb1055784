"""The rigorous certificate at scale: conditions (10) for the paper's teacher, time per task vs n and d.

Tasks: ``check_conditions(inst.X, inst.teacher_measure(), time_budget=B)`` for
``make_instance(teacher="paper", n=N, d=5, m=M, seed=s)`` at N = 400 .. 25600
(doubling), and N = 1000 at d = 3 and d = 8 (m = min(d, 5)); plus the exact d = 3
enumeration (``sup_exact_sphere3``) of a random dual vector at n = 1000.

For each task: wall time, verdict, the rigorous bracket of ``sup |eta_V|`` off
the atom cells, the time of each step (p_V, exact p_V in balls, sup, margin
curve) and the flop count of the dominant steps next to their time: the
batched ascent (matrix products), the cap bounds of branch and bound (per
classified row a d-term dot product and a few comparisons, per undecided row
its range, chord slope and interval sums) and the ball-arithmetic ``p_V``
(``n (m d)^2`` multiply-adds at 256 bits).  The machine's own limits are
measured first (float64 matrix product GFLOP/s, elementwise GFLOP/s) so the
distance to them is visible.  The growth exponent in n is the least-squares
log-log slope of the wall time over the d = 5 tasks (per m).

Usage:
  python benchmarks/bench_certify_scale.py [--ns 400,800,...] [--ms 5] [--seeds 1] [--budget 600]
         [--out benchmarks/results/certify_scale.json]
The load average of the (shared) machine is recorded with every task.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from blasso.cli._common import format_table
from blasso.instance import make_instance
from blasso.jsonio import to_jsonable
from blasso.sphere import random_sphere
from blasso.certificates.sup import sup_exact_sphere3
from blasso.certificates.verdict import check_conditions


def machine_limits() -> dict:
    """Measured float64 matmul and elementwise throughput (GFLOP/s) on this machine, now."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((1500, 1500))
    A @ A
    t = time.perf_counter()
    for _ in range(3):
        A @ A
    mm = 3 * 2 * 1500 ** 3 / (time.perf_counter() - t) / 1e9
    x = rng.standard_normal(10_000_000)
    t = time.perf_counter()
    for _ in range(5):
        np.multiply(x, 1.0000001, out=x)
    ew = 5 * x.size / (time.perf_counter() - t) / 1e9
    return {"matmul_gflops": mm, "elementwise_gflops": ew, "cores": os.cpu_count()}


def one_task(n: int, d: int, m: int, seed: int, budget: float) -> dict:
    inst = make_instance(teacher="paper", n=n, d=d, m=m, seed=seed)
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    res = check_conditions(inst.X, inst.teacher_measure(), time_budget=budget, rng=seed)
    wall = time.perf_counter() - t0
    sup = res.sup
    si = sup.info if sup is not None else {}
    steps = res.info.get("steps_s", {})
    re = res.info.get("recheck") or {}
    row = {
        "n": n, "d": d, "m": m, "seed": seed, "budget_s": budget, "wall_s": wall, "load_avg_1min": load,
        "verdict": res.verdict, "reason": res.reason, "margin": res.margin,
        "sup_lo": None if sup is None else sup.lo, "sup_hi": None if sup is None else sup.hi,
        "sup_method": None if sup is None else sup.method, "sup_stopped": None if sup is None else sup.stopped,
        "recheck_hi": re.get("hi"), "recheck_stopped": re.get("stopped"),
        "steps_s": steps, "ascent_s": si.get("ascent_s"), "ascent_flops": si.get("ascent_flops"),
        "caps_bounded": si.get("caps_bounded", re.get("caps_bounded")),
        "rows_classified": si.get("rows_classified", re.get("rows_classified")),
        "pattern_bounds": si.get("pattern_bounds", re.get("pattern_bounds")),
        "bnb_flops": si.get("bnb_flops", re.get("bnb_flops")),
        "bnb_s": None if sup is None else sup.wall_s - (si.get("ascent_s") or 0.0),
        "exact_p_V_madds_256bit": n * (m * d) ** 2,
    }
    return row


def exact_d3(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    X = random_sphere(n, 3, rng)
    p = rng.standard_normal(n)
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    r = sup_exact_sphere3(p, X)
    wall = time.perf_counter() - t0
    # per circle: a sort of 2n breakpoints and ~40 passes over them; the batch membership tests (k, n)
    ops = n * (2 * n * np.log2(2 * n) + 40 * 2 * n) + r.info.get("cells_tested", 0) * n * 12
    return {"task": "sup_exact_sphere3", "n": n, "d": 3, "seed": seed, "wall_s": wall, "load_avg_1min": load,
            "sup_lo": r.lo, "sup_hi": r.hi, "safety": r.safety, "arcs": r.info.get("n_arcs"),
            "cells_tested": r.info.get("cells_tested"), "element_ops": ops}


def growth_exponents(rows: list) -> dict:
    out = {}
    for m in sorted({r["m"] for r in rows if r["d"] == 5}):
        pts = [(r["n"], r["wall_s"]) for r in rows if r["d"] == 5 and r["m"] == m]
        ns = sorted({n for n, _ in pts})
        if len(ns) >= 2:
            x = np.log([n for n, _ in pts])
            y = np.log([t for _, t in pts])
            out[str(m)] = float(np.polyfit(x, y, 1)[0])
    return out


def table(rows: list) -> str:
    head = ["n", "d", "m", "seed", "verdict", "wall s", "sup |eta_V| bracket", "ascent s", "ascent GF",
            "bnb s", "caps", "bnb GF", "load"]
    body = []
    for r in rows:
        if r.get("task") == "sup_exact_sphere3":
            body.append([r["n"], 3, "-", r["seed"], "exact-sphere3", f"{r['wall_s']:.2f}",
                         f"[{r['sup_lo']:.9g}, {r['sup_hi']:.9g}]", "-", "-", "-", r["arcs"],
                         f"{r['element_ops'] / 1e9:.2f}", f"{r['load_avg_1min']:.1f}"])
            continue
        br = "-" if r["sup_lo"] is None else f"[{r['sup_lo']:.9f}, {r['sup_hi']:.9f}]"
        body.append([r["n"], r["d"], r["m"], r["seed"], r["verdict"], f"{r['wall_s']:.1f}", br,
                     "-" if r["ascent_s"] is None else f"{r['ascent_s']:.1f}",
                     "-" if r["ascent_flops"] is None else f"{r['ascent_flops'] / 1e9:.1f}",
                     "-" if r["bnb_s"] is None else f"{r['bnb_s']:.1f}", r["caps_bounded"] or "-",
                     "-" if r["bnb_flops"] is None else f"{r['bnb_flops'] / 1e9:.2f}", f"{r['load_avg_1min']:.1f}"])
    return format_table(body, head)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ns", default="400,800,1600,3200,6400,12800,25600")
    ap.add_argument("--ms", default="5", help="teacher sizes at d = 5 (comma separated)")
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--budget", type=float, default=600.0)
    ap.add_argument("--other-d", default="3,8", help="dimensions run at n = 1000 (m = min(d, 5))")
    ap.add_argument("--out", default="benchmarks/results/certify_scale.json")
    args = ap.parse_args(argv)
    ns = [int(v) for v in args.ns.split(",") if v]
    ms = [int(v) for v in args.ms.split(",") if v]
    out = Path(args.out)
    lim = machine_limits()
    print(f"machine: {lim}", flush=True)
    rows: list = []

    def save():
        res = {"machine": lim, "growth_exponent_in_n": growth_exponents(rows), "tasks": rows,
               "command": " ".join([Path(sys.argv[0]).name] + (argv if argv is not None else sys.argv[1:]))}
        out.write_text(json.dumps(to_jsonable(res), indent=1))
        out.with_suffix(".txt").write_text(table(rows) + "\n\ngrowth exponent of the wall time in n (d = 5, per m): "
                                           + json.dumps(res["growth_exponent_in_n"]) + f"\nmachine: {lim}\n")

    for d in [int(v) for v in args.other_d.split(",") if v]:
        for seed in range(args.seeds):
            rows.append(one_task(1000, d, min(d, 5), seed, min(args.budget, 120.0)))
            print(table(rows[-1:]), flush=True)
            save()
    rows.append(exact_d3(1000, 0))
    print(table(rows[-1:]), flush=True)
    save()
    for m in ms:
        for n in ns:
            for seed in range(args.seeds):
                rows.append(one_task(n, 5, m, seed, args.budget))
                print(table(rows[-1:]), flush=True)
                save()
    print(table(rows))
    print("growth exponent in n:", growth_exponents(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
