"""Benchmark: Algorithm 1 in vectorised NumPy (blasso.solvers.gd) against a straightforward loop (and PyTorch).

Instances: the paper's Fig. 2 setting (m = d = 5, n = 100, paper teacher,
seed 0) and the Fig. 1 setting (d = 2, m = 2, canonical teacher, n = 100),
lam = 1e-3.  J* is the convex reference
(:func:`blasso.solvers.refine.convex_reference` on a 10^4 / 3600-point grid; an upper bound
on the continuous J*, so "reaching J*(1 + 1e-4)" is a slightly easier target
than reaching the true optimum).

For M in 10, 100, 1000 (same initialisation, same alpha for every implementation):

* ``numpy``: :func:`blasso.solvers.gd.run_gd`; iterations/s over ``--probe-iters``
  iterations, and the time (and iterations) to reach ``J <= J* (1 + 1e-4)``,
  capped at ``--budget`` seconds;
* ``loop``: the same algorithm written the straightforward way (Python loop
  over units, NumPy over samples); it must produce the SAME iterates (checked
  after ``--check-iters`` steps, max relative difference printed); its
  iterations/s is measured and its time to target is that iteration count
  divided by its rate (it would take hours to run);
* ``torch`` (if importable): the same update in PyTorch on CPU, float64.

The ratio printed is ``numpy it/s / other it/s``.  BLAS threads are whatever
the environment sets (2 cores here).

Usage::

    python benchmarks/bench_gd.py [--widths 10 100 1000] [--budget 60] [--alpha auto]

Writes ``benchmarks/results/bench_gd.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from blasso.instance import make_instance, paper_instance  # noqa: E402
from blasso.progress import TerminalProgress  # noqa: E402
from blasso.sphere import make_grid  # noqa: E402
from blasso.solvers.gd import choose_alpha, init_network, run_gd  # noqa: E402
from blasso.solvers.refine import convex_reference  # noqa: E402


def loop_steps(a, W, X, y, lam, alpha, iters):
    """Algorithm 1 (L1) written unit by unit: the straightforward reference."""
    a, W = a.copy(), W.copy()
    n = X.shape[0]
    M = a.shape[0]
    for _ in range(iters):
        f = np.zeros(n)
        for j in range(M):
            f += a[j] * np.maximum(X @ W[j], 0.0)
        r = f - y
        a_new, W_new = a.copy(), W.copy()
        for j in range(M):
            z = X @ W[j]
            nw = float(np.sqrt(W[j] @ W[j]))
            g = float(r @ np.maximum(z, 0.0)) / n + lam * np.sign(a[j]) * nw
            h = a[j] * ((r * (z >= 0)) @ X) / n
            if nw > 0:
                h = h + lam * abs(a[j]) * W[j] / nw
            den = a[j] ** 2 + nw ** 2
            eta = alpha * abs(a[j]) * nw / den if den > 0 else 0.0
            a_new[j] = a[j] - eta * g
            W_new[j] = W[j] - eta * h
        a, W = a_new, W_new
    return a, W


def torch_steps(a, W, X, y, lam, alpha, iters):
    """Algorithm 1 (L1) in PyTorch (CPU, float64), vectorised like blasso.solvers.gd."""
    import torch
    a = torch.tensor(a, dtype=torch.float64)
    W = torch.tensor(W, dtype=torch.float64)
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    n = Xt.shape[0]
    with torch.no_grad():
        for _ in range(iters):
            Z = W @ Xt.T
            H = torch.clamp(Z, min=0.0)
            r = a @ H - yt
            nw = torch.linalg.norm(W, dim=1)
            g = H @ r / n + lam * torch.sign(a) * nw
            h = ((Z >= 0).to(torch.float64) @ (r[:, None] * Xt)) * (a / n)[:, None]
            inv = torch.where(nw > 0, 1.0 / torch.clamp(nw, min=1e-300), torch.zeros_like(nw))
            h = h + (lam * torch.abs(a) * inv)[:, None] * W
            den = a * a + nw * nw
            eta = torch.where(den > 0, alpha * torch.abs(a) * nw / torch.clamp(den, min=1e-300), torch.zeros_like(den))
            a = a - eta * g
            W = W - eta[:, None] * h
    return a.numpy(), W.numpy()


def rate(fn, iters):
    t = time.perf_counter()
    out = fn(iters)
    return iters / (time.perf_counter() - t), out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--widths", type=int, nargs="+", default=[10, 100, 1000])
    ap.add_argument("--instances", nargs="+", default=["fig2", "fig1"], choices=["fig2", "fig1"],
                    help="fig2: m=d=5 (the paper's Fig. 2 setting); fig1: d=2, m=2 canonical teacher")
    ap.add_argument("--budget", type=float, default=60.0, help="seconds per width for the time-to-target run")
    ap.add_argument("--alpha", default="auto")
    ap.add_argument("--probe-iters", type=int, default=2000)
    ap.add_argument("--check-iters", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "bench_gd.json"))
    args = ap.parse_args(argv)

    lam = 1e-3
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
        print("torch is not importable: the PyTorch column is skipped")

    rows = []
    for name in args.instances:
        if name == "fig2":
            inst = paper_instance(args.seed, lam)
        else:
            inst = make_instance(teacher="paper", n=100, d=2, m=2, seed=args.seed, basis="canonical")
        X, y = inst.X, inst.y
        ref = convex_reference(X, y, lam, make_grid("auto", 10000 if inst.d > 2 else 3600, inst.d), rounds=8,
                               progress=TerminalProgress(sys.stderr))
        target = ref.J * (1 + 1e-4)
        print(f"instance {name}: paper teacher m={inst.m}, d={inst.d}, n=100, seed {args.seed}, lam={lam:g}; "
              f"J* <= {ref.J:.10g} ({len(ref.measure)} atoms); target J <= {target:.10g}")
        rows += bench_instance(name, inst, ref, target, lam, args, have_torch)
    _write(args, rows, lam, have_torch)


def bench_instance(name, inst, ref, target, lam, args, have_torch):
    X, y = inst.X, inst.y
    rows = []
    progress = TerminalProgress(sys.stderr)
    for i, M in enumerate(args.widths):
        progress(f"{name}: widths", i, len(args.widths))
        init = init_network(M, inst.d, args.seed)
        alpha = choose_alpha(X, y, lam, init=init)["alpha"] if args.alpha == "auto" else float(args.alpha)
        # identical iterates: loop vs numpy
        k = args.check_iters
        r_np = run_gd(X, y, lam, init=init, alpha=alpha, max_iter=k, n_trace=2)
        a_l, W_l = loop_steps(init[0], init[1], X, y, lam, alpha, k)
        diff = max(np.max(np.abs(a_l - r_np.a)) / np.max(np.abs(r_np.a)),
                   np.max(np.abs(W_l - r_np.W)) / np.max(np.abs(r_np.W)))
        # iterations per second
        np_rate, _ = rate(lambda it: run_gd(X, y, lam, init=init, alpha=alpha, max_iter=it, n_trace=2,
                                            check_every=it), args.probe_iters)
        loop_iters = max(5, min(args.probe_iters, int(20000 / M)))
        loop_rate, _ = rate(lambda it: loop_steps(init[0], init[1], X, y, lam, alpha, it), loop_iters)
        torch_rate = None
        torch_diff = None
        if have_torch:
            torch_rate, (a_t, W_t) = rate(lambda it: torch_steps(init[0], init[1], X, y, lam, alpha, it),
                                          args.probe_iters)
            a_t, W_t = torch_steps(init[0], init[1], X, y, lam, alpha, k)
            torch_diff = float(np.max(np.abs(a_t - r_np.a)) / np.max(np.abs(r_np.a)))
        # time to target (numpy), capped by the budget
        levels = {"1e-2": 1e-2, "1e-3": 1e-3, "1e-4": 1e-4}
        hits = {}

        def cb(info):
            for name, lv in levels.items():
                if name not in hits and info["J"] <= ref.J * (1 + lv):
                    hits[name] = {"iter": info["iter"], "s": info["elapsed_s"]}
            return info["elapsed_s"] > args.budget

        t0 = time.perf_counter()
        run = run_gd(X, y, lam, init=init, alpha=alpha, max_iter=10**8, target=target, check_every=100,
                     n_trace=2, callback=cb)
        t_np = time.perf_counter() - t0
        reached = run.stop_reason == "target"
        row = {"instance": name, "d": inst.d, "J_convex": ref.J, "target": target, "M": M, "alpha": alpha, "numpy_it_per_s": np_rate, "loop_it_per_s": loop_rate,
               "torch_it_per_s": torch_rate, "ratio_numpy_over_loop": np_rate / loop_rate,
               "ratio_numpy_over_torch": (np_rate / torch_rate) if torch_rate else None,
               "loop_vs_numpy_max_rel_diff": float(diff), "torch_vs_numpy_max_rel_diff": torch_diff,
               "reached_target": reached, "iters_to_target": run.n_iter if reached else None,
               "numpy_time_to_target_s": t_np if reached else None,
               "loop_time_to_target_s_est": run.n_iter / loop_rate if reached else None,
               "torch_time_to_target_s_est": (run.n_iter / torch_rate) if (reached and torch_rate) else None,
               "first_hit": hits, "final_gap_rel": run.J / ref.J - 1, "iters_run": run.n_iter, "wall_s": t_np,
               "sign_flips": run.info["sign_flips"]}
        rows.append(row)
        tt = (f"reached J*(1+1e-4) in {run.n_iter} it, {t_np:.2f}s (loop est. {run.n_iter / loop_rate:.0f}s)"
              if reached else f"NOT reached in {args.budget:g}s ({run.n_iter} it; gap {run.J / ref.J - 1:.2e})")
        tt += "; first within " + ", ".join(f"{k}: it {v['iter']} ({v['s']:.2f}s)" for k, v in hits.items())
        tor = f", torch {torch_rate:.0f} it/s (x{np_rate / torch_rate:.2f})" if torch_rate else ""
        print(f"M={M:5d} alpha={alpha:g}: numpy {np_rate:9.0f} it/s, loop {loop_rate:8.0f} it/s "
              f"(numpy/loop x{np_rate / loop_rate:.1f}; same iterates to {diff:.1e}){tor}; {tt}")
    return rows


def _write(args, rows, lam, have_torch):
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"benchmark": "bench_gd", "lam": lam, "n": 100, "seed": args.seed, "torch": have_torch,
                               "machine": {"python": platform.python_version(), "numpy": np.__version__,
                                           "processor": platform.processor(), "cpus": __import__("os").cpu_count()},
                               "rows": rows}, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
