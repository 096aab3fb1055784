"""The rigorous sup at scale: time and peak memory of ``sup_abs_eta`` and ``check_conditions`` vs n.

Parts (``--parts d2,d3,d5``):

* ``d2`` (n = 1e3 .. 1e6): on the paper teacher's ``eta_V`` (m = 2, its two atom
  cells excluded, as the verdict calls it) ``sup_abs_eta`` today (the circle
  sweep), the former route (branch and bound after the ascent, which is where
  the old enumeration sent every n >= 1e4 instance: ``method="bnb"``, within
  ``--budget`` seconds), a plain NumPy O(n log n) sweep written here (float64
  ``arctan2``, one ``argsort``, one ``cumsum``: no rigour, no allowances -- the
  physical limit; the ratio sweep / plain is printed) and ``check_conditions``
  end to end.  The old route also began with a grouping of the hyperplanes
  (``_hyperplane_groups``, not budgeted), O(n^2) until its smallest sine
  between hyperplanes moved to a k-d tree (153 s at n = 1e5 before, 0.3 s
  after); it is timed on its own, as this code has it, up to
  ``--grouping-max-n`` (the ``old grouping`` column of ``sup_scale.json`` was
  measured on the O(n^2) version).
* ``d3`` (n = 1e3 .. 1e5): ``sup_abs_eta`` on the d = 3 paper teacher's ``eta_V``
  (m = 2), whatever route it takes today, within ``--budget``.
* ``d5`` (n = 100 .. 25600, doubling): ``check_conditions`` on the paper
  teacher (m = d = 5), within ``--budget``; with ``--old-rev REV`` also the same
  call on that revision of the code (checked out once into a temporary git
  worktree and imported from there), side by side.
* ``fig2dual``: the dual of the best measure ``compare`` found on the Fig. 2
  instance (paper teacher, n = 100, d = m = 5, seed 0, lam = 1e-3) before the
  certified optimum existed: the exchange rounds of ``--old-rev`` (8 rounds,
  4000-direction grid, 20 s of rigorous sup per round), then ``sup_abs_eta``
  with ``tol = 1e-13`` and a 60 s budget on this code and on ``--old-rev``.

Every task runs in a fresh subprocess: the data are built first, the high-water
mark of the resident set is reset (``/proc/self/clear_refs``), the call is timed
(``perf_counter``), and two peaks are recorded: ``+MiB``, ``VmHWM`` minus the
resident set before the call (pages the allocator kept from building the data
are reused without showing, so it is a lower estimate), and the process's
absolute resident peak during the call (``peak_rss_MiB``, interpreter and data
included: what ``/usr/bin/time -v`` reports).  Where ``clear_refs`` is not
available ``tracemalloc`` gives the first.  The growth
exponent is the least-squares slope of ``log wall`` against ``log n`` over the
points above 0.05 s.  The 1-minute load average is recorded with each task
(the machine is shared), so compare ratios measured side by side in one run.

Usage::

  python benchmarks/bench_sup_scale.py [--parts d2,d3,d5] [--budget 60] [--seed 0]
         [--d2-ns 1000,...] [--d3-ns ...] [--d5-ns ...] [--out benchmarks/results/sup_scale.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

D2_NS = (1000, 3000, 10_000, 30_000, 100_000, 300_000, 1_000_000)
D3_NS = (1000, 3000, 10_000, 30_000, 100_000)
D5_NS = (100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600)


# ------------------------------------------------------------------ child side
def plain_sweep(p: np.ndarray, X: np.ndarray) -> float:
    """``max |eta_p|`` over the circle by one float sweep (no rigour, no excluded cells): the physical limit."""
    n = p.size
    phi = np.arctan2(X[:, 1], X[:, 0])
    t = np.mod(np.concatenate([phi - np.pi / 2, phi + np.pi / 2]), 2 * np.pi)
    o = np.argsort(t)
    t = t[o]
    w = (np.concatenate([p, -p])[o])[:, None] * np.concatenate([X, X])[o]
    mid = 0.5 * (t[-1] + t[0] + 2 * np.pi)  # the arc that wraps through 0: its pattern starts the sums
    V = (p * (X @ np.array([np.cos(mid), np.sin(mid)]) > 0)) @ X + np.cumsum(w, axis=0)
    te = np.append(t[1:], t[0] + 2 * np.pi)
    nv = np.sqrt((V * V).sum(axis=1))
    ang = np.arctan2(V[:, 1], V[:, 0])
    inside = (np.mod(ang - t, 2 * np.pi) <= te - t) | (np.mod(ang + np.pi - t, 2 * np.pi) <= te - t)
    ends = np.maximum(np.abs(V[:, 0] * np.cos(t) + V[:, 1] * np.sin(t)),
                      np.abs(V[:, 0] * np.cos(te) + V[:, 1] * np.sin(te)))
    return float(np.where(inside, nv, ends).max()) / n


def _rss_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _measure(fn):
    """``(result, wall_s, peak_MiB, peak_rss_MiB)``: the call's time, its resident-set peak above the level
    before the call (freed pages the allocator kept are reused without showing here) and the process's
    absolute resident peak during the call (what ``/usr/bin/time -v`` would report for it)."""
    import gc

    gc.collect()
    use_hwm = False
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current resident set
        use_hwm = _rss_kib("VmHWM") is not None
    except OSError:
        pass
    if use_hwm:
        base = _rss_kib("VmRSS")
        t0 = time.perf_counter()
        out = fn()
        wall = time.perf_counter() - t0
        hwm = _rss_kib("VmHWM")
        return out, wall, (hwm - base) / 1024.0, hwm / 1024.0
    import tracemalloc

    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, wall, peak, None


def _eta_v(n: int, d: int, m: int, seed: int):
    from blasso.instance import make_instance
    from blasso.certificates.dual import vanishing_derivative_certificate

    inst = make_instance(teacher="paper", n=n, d=d, m=m, seed=seed)
    pre = vanishing_derivative_certificate(inst.X, inst.teacher_measure())
    return inst, pre


def _fig2_measure(task: dict) -> dict:
    """The exchange rounds' measure on the Fig. 2 instance (run on the code the child imported)."""
    from blasso.instance import make_instance
    from blasso.sphere import make_grid
    from blasso.solvers.refine import convex_reference
    from blasso.studies.compare import sphere_sup_oracle

    inst = make_instance(teacher="paper", n=100, d=5, m=5, seed=0)
    t0 = time.perf_counter()
    cr = convex_reference(inst.X, inst.y, 1e-3, make_grid("auto", 4000, 5), rounds=8, solver="FAST",
                          sup_oracle=sphere_sup_oracle(inst.X, time_budget=20.0))
    np.savez(task["measure_file"], theta=cr.measure.theta, c=cr.measure.c)
    return {**task, "J": cr.J, "J_lower": cr.J_lower, "atoms": len(cr.measure), "wall_s": time.perf_counter() - t0,
            "peak_MiB": None, "peak_rss_MiB": None}


def _fig2_sup(task: dict) -> dict:
    from blasso.certificates.sup import sup_abs_eta
    from blasso.instance import make_instance

    inst = make_instance(teacher="paper", n=100, d=5, m=5, seed=0)
    z = np.load(task["measure_file"])
    f = np.maximum(inst.X @ z["theta"].T, 0.0) @ z["c"]
    p = (inst.y - f) / 1e-3
    res, wall, peak, rss = _measure(lambda: sup_abs_eta(p, inst.X, tol=1e-13, time_budget=task["budget"], rng=0,
                                                        extra_starts=z["theta"]))
    return {**task, "method": res.method, "stopped": res.stopped, "lo": res.lo, "hi": res.hi, "gap": res.gap,
            "wall_s": wall, "peak_MiB": peak, "peak_rss_MiB": rss}


def run_child(task: dict) -> dict:
    """One measurement (in a fresh process; ``task["src"]``: import the package from that checkout)."""
    if task.get("src"):
        sys.path.insert(0, task["src"])  # before the installed (editable) package's finder
    if task["kind"] == "fig2-measure":
        return _fig2_measure(task)
    if task["kind"].startswith("fig2-sup"):
        return _fig2_sup(task)
    from blasso.certificates.sup import sup_abs_eta
    from blasso.certificates.verdict import check_conditions

    kind, n, d, seed, budget = task["kind"], task["n"], task["d"], task["seed"], task["budget"]
    m = task.get("m", 2)
    inst, pre = _eta_v(n, d, m, seed)
    row = {**task, "load_avg_1min": os.getloadavg()[0]}
    if kind in ("check_conditions", "check_conditions-old"):
        res, wall, peak, rss = _measure(lambda: check_conditions(inst.X, inst.teacher_measure(), time_budget=budget,
                                                            rng=seed))
        row.update(verdict=res.verdict, margin=res.margin, sup_method=None if res.sup is None else res.sup.method,
                   sup_lo=None if res.sup is None else res.sup.lo, sup_hi=None if res.sup is None else res.sup.hi)
    elif kind == "plain":
        val, wall, peak, rss = _measure(lambda: plain_sweep(pre.p, inst.X))
        row.update(value=val)
    elif kind == "grouping-old":
        from blasso.certificates.sup import _hyperplane_groups

        out, wall, peak, rss = _measure(lambda: _hyperplane_groups(inst.X))
        row.update(min_sin=out[3])
    else:
        from blasso.certificates.sup import lipschitz_constant

        method = {"sweep": "auto", "auto": "auto", "bnb-old": "bnb"}[kind]
        tol_abs = 1e-12 * lipschitz_constant(pre.p, inst.X)  # the verdict's arguments (CONDITIONS_TOL = 1e-12)
        res, wall, peak, rss = _measure(lambda: sup_abs_eta(
            pre.p, inst.X, exclude_patterns=pre.patterns, method=method, tol=1e-11, time_budget=budget, rng=seed,
            atoms=pre.theta, threshold=1.0 - tol_abs, threshold_hi=1.0 + 2.0 * tol_abs, decided_budget=5.0))
        row.update(method=res.method, stopped=res.stopped, lo=res.lo, hi=res.hi, gap=res.gap,
                   routed=res.info.get("routed"), min_gap_rad=res.info.get("min_breakpoint_gap_rad"))
    row.update(wall_s=wall, peak_MiB=peak, peak_rss_MiB=rss)
    return row


# ------------------------------------------------------------------ parent side
def spawn(task: dict) -> dict:
    """Run one task in a subprocess (killed after ``max(3 budget, budget + 300)`` seconds)."""
    cmd = [sys.executable, __file__, "--child", json.dumps(task)]
    hard = max(3.0 * task["budget"], task["budget"] + 300.0)
    try:
        cp = subprocess.run(cmd, capture_output=True, text=True, timeout=hard)
    except subprocess.TimeoutExpired:
        return {**task, "error": f"killed after {hard:.0f} s (time budget {task['budget']:g} s not kept)"}
    if cp.returncode != 0:
        return {**task, "error": (cp.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(cp.stdout.strip().splitlines()[-1])


def exponents(rows: list, top: int | None = None) -> dict:
    """Least-squares slope of log wall vs log n per (part, kind), over points above 0.05 s that kept their
    budget (``top``: only the ``top`` largest n, where fixed costs matter least)."""
    out = {}
    for key in sorted({(r["part"], r["kind"]) for r in rows}):
        pts = sorted((r["n"], r["wall_s"]) for r in rows if (r["part"], r["kind"]) == key and "wall_s" in r
                     and r["wall_s"] > 0.05 and r.get("stopped") != "budget")
        pts = pts[-top:] if top else pts
        if len({n for n, _ in pts}) >= 2:
            x, y = np.log([a for a, _ in pts]), np.log([b for _, b in pts])
            out[f"{key[0]} {key[1]}"] = round(float(np.polyfit(x, y, 1)[0]), 3)
    return out


def _f(v, fmt):
    return "-" if v is None else format(v, fmt)


def table(rows: list) -> str:
    from blasso.cli._common import format_table

    body = []
    for part in ("d2", "d3", "d5"):
        ns = sorted({r["n"] for r in rows if r["part"] == part})
        for n in ns:
            got = {r["kind"]: r for r in rows if r["part"] == part and r["n"] == n}
            if part == "d2":
                sw, pl, bb, cc, gr = (got.get(k, {}) for k in ("sweep", "plain", "bnb-old", "check_conditions",
                                                                 "grouping-old"))
                ratio = sw["wall_s"] / pl["wall_s"] if "wall_s" in sw and pl.get("wall_s") else None
                body.append([part, n, _f(sw.get("wall_s"), ".3f"), _f(sw.get("peak_MiB"), ".0f"),
                             _f(pl.get("wall_s"), ".3f"), _f(ratio, ".1f"),
                             bb.get("error") or (f"{bb['wall_s']:.1f} ({bb['stopped']}, gap {bb['gap']:.1e})"
                                                 if "wall_s" in bb else "-"), _f(gr.get("wall_s"), ".2f"),
                             _f(cc.get("wall_s"), ".2f"), _f(cc.get("peak_rss_MiB"), ".0f"), cc.get("verdict", "-")])
            else:
                r = got.get("auto") or got.get("check_conditions") or {}
                what = (f"{r.get('method')} {r.get('stopped')} gap {r['gap']:.1e}" if "gap" in r
                        else f"{r.get('verdict')} ({r.get('sup_method')})" if "verdict" in r else r.get("error", "-"))
                o = got.get("check_conditions-old", {})
                old = (o.get("error") or f"{o['wall_s']:.1f} ({o.get('verdict')})") if o else "-"
                body.append([part, n, _f(r.get("wall_s"), ".2f"), _f(r.get("peak_MiB"), ".0f"), "-", "-", old,
                             "-", "-", _f(r.get("peak_rss_MiB"), ".0f"), what])
    for r in rows:
        if r["part"] == "fig2dual" and r["kind"].startswith("fig2-sup"):
            body.append(["fig2dual", r["kind"], _f(r.get("wall_s"), ".2f"), _f(r.get("peak_MiB"), ".0f"), "-", "-",
                         r.get("error") or f"[{r['lo']:.13f}, {r['hi']:.13f}] gap {r['gap']:.1e} ({r['stopped']})",
                         "-", "-", "-", "-"])
    return format_table(body, ["part", "n", "sup s", "sup +MiB", "plain s", "sup/plain", "old route s",
                               "old grouping s", "check_conditions s", "cc peak RSS MiB", "verdict"])


def old_checkout(rev: str) -> str:
    """A git worktree of ``rev`` in the temporary folder, importable as ``blasso`` (the namespace mapping of
    ``solvers/`` and ``certificates/`` that installation does is made with two symlinks)."""
    import tempfile

    root = Path(__file__).resolve().parents[1]
    dest = Path(tempfile.gettempdir()) / f"blasso-rev-{rev}"
    if not dest.exists():
        subprocess.run(["git", "-C", str(root), "worktree", "add", "--detach", "-f", str(dest), rev], check=True,
                       capture_output=True)
    for sub in ("solvers", "certificates"):
        link = dest / "blasso" / sub
        if not link.exists():
            link.symlink_to(dest / sub, target_is_directory=True)
    return str(dest)


def tasks_for(parts: list, args) -> list:
    out = []
    old = old_checkout(args.old_rev) if args.old_rev and ("d5" in parts or "fig2dual" in parts) else None
    ints = (lambda s: [int(float(v)) for v in s.split(",") if v])
    if "d2" in parts:
        for n in ints(args.d2_ns):
            for kind in ("plain", "sweep", "check_conditions", "bnb-old", "grouping-old"):
                if (kind == "bnb-old" and n > args.bnb_max_n) or (kind == "grouping-old" and n > args.grouping_max_n):
                    continue
                out.append({"part": "d2", "kind": kind, "n": n, "d": 2, "m": 2, "seed": args.seed,
                            "budget": args.budget})
    if "d3" in parts:
        out += [{"part": "d3", "kind": "auto", "n": n, "d": 3, "m": 2, "seed": args.seed, "budget": args.budget}
                for n in ints(args.d3_ns)]
    if "d5" in parts:
        for n in ints(args.d5_ns):
            out.append({"part": "d5", "kind": "check_conditions", "n": n, "d": 5, "m": 5, "seed": args.seed,
                        "budget": args.budget})
            if old:
                out.append({"part": "d5", "kind": "check_conditions-old", "n": n, "d": 5, "m": 5, "seed": args.seed,
                            "budget": args.budget, "src": old, "rev": args.old_rev})
    if "fig2dual" in parts:
        if not old:
            raise SystemExit("--parts fig2dual needs --old-rev (the code whose compare found the measure)")
        mf = str(Path(args.out).with_name("sup_fig2dual_measure.npz"))
        base = {"part": "fig2dual", "n": 100, "d": 5, "m": 5, "seed": 0, "measure_file": mf}
        out += [{**base, "kind": "fig2-measure", "budget": 600.0, "src": old, "rev": args.old_rev},
                {**base, "kind": "fig2-sup", "budget": 60.0},
                {**base, "kind": "fig2-sup-old", "budget": 60.0, "src": old, "rev": args.old_rev}]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", default="d2,d3,d5", help="comma-separated subset of d2,d3,d5,fig2dual")
    ap.add_argument("--old-rev", default=None, help="git revision run beside this code (d5, fig2dual)")
    ap.add_argument("--budget", type=float, default=60.0, help="seconds per call (time_budget; old route, d3, d5)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--d2-ns", default=",".join(map(str, D2_NS)))
    ap.add_argument("--d3-ns", default=",".join(map(str, D3_NS)))
    ap.add_argument("--d5-ns", default=",".join(map(str, D5_NS)))
    ap.add_argument("--bnb-max-n", type=int, default=300_000, help="largest n for the old route (d2)")
    ap.add_argument("--grouping-max-n", type=int, default=30_000,
                    help="largest n for the old route's O(n^2) hyperplane grouping (d2; not budgeted)")
    ap.add_argument("--out", default="benchmarks/results/sup_scale.json")
    ap.add_argument("--report", action="store_true", help="only print the table and exponents of --out")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(run_child(json.loads(args.child))))
        return 0
    if args.report:
        rows = json.loads(Path(args.out).read_text())["tasks"]
        print(table(rows))
        print("growth exponents of the wall time in n (all n / the 3 largest):")
        print(json.dumps(exponents(rows)), "\n" + json.dumps(exponents(rows, top=3)))
        return 0
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    bad = [p for p in parts if p not in ("d2", "d3", "d5", "fig2dual")]
    if bad:
        ap.error(f"unknown parts {bad}; choose from d2, d3, d5, fig2dual")
    out = Path(args.out)
    rows: list = []
    prev = json.loads(out.read_text()) if out.exists() else {}
    kept = [r for r in prev.get("tasks", []) if r.get("part") not in parts]  # other parts' rows stay
    for task in tasks_for(parts, args):
        rows.append(spawn(task))
        r = rows[-1]
        extra = (f", {r.get('verdict') or ''} {r.get('stopped') or ''} gap {r['gap']:.1e}" if "gap" in r else
                 f", {r.get('verdict')}, margin {r.get('margin')}" if "verdict" in r else "")
        print(f"{r['part']} {r['kind']:>20} n={r['n']:>8}: "
              + (r["error"] if "error" in r else f"{r['wall_s']:.3f} s, +{r['peak_MiB'] or float('nan'):.0f} MiB"
                 f" (process peak {r['peak_rss_MiB'] or float('nan'):.0f} MiB){extra}"), flush=True)
        res = {"cores": os.cpu_count(), "exponents": exponents(kept + rows),
               "exponents_3_largest_n": exponents(kept + rows, top=3), "tasks": kept + rows,
               "command": " ".join([Path(sys.argv[0]).name] + (argv if argv is not None else sys.argv[1:]))}
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(res, indent=1, default=float))
    allrows = kept + rows
    print(table(allrows))
    print("growth exponents of the wall time in n (all n / the 3 largest):")
    print(json.dumps(exponents(allrows)), "\n" + json.dumps(exponents(allrows, top=3)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
