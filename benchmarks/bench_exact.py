"""Benchmark: the exact finite program (blasso.solvers.exact) -- time vs n, and grid / exchange / exact side by side.

Part 1 (``scaling``): :func:`blasso.solvers.exact.solve_exact` at lam = 1e-3 on
mixed-sign teachers (seed 0, noise 0.01) for d = 2, n up to 2000 and d = 3,
n up to 150: cells (closed form vs enumerated), column-generation rounds,
atoms, bracket width, and the seconds of each stage (enumeration, CVXPY +
polish, the rigorous sup of the verification, the uniqueness test).

Part 2 (``table``): several instances (d = 2, 3; paper and mixed-sign
teachers; with and without noise), lam = 1e-3: J of the default grid
(``auto``, 4000 directions, FAST), the certified bracket of the exchange
rounds (:func:`blasso.solvers.refine.convex_reference` with the rigorous sup oracle,
as ``compare`` runs it: 300-direction base grid, 8 rounds), the exact bracket,
its width, the atoms of nu* and whether uniqueness is proven, with times
(all measured in this one run, side by side).

Part 3 (``pyscnn``, when ``scnn`` imports): Pilanci & Ergen's package on the
same problem (its objective ``1/(2n)||y - f||^2 + lam sum ||u_i||`` with
``unitize_data=False`` is our J with the same lam): (a) on every activation
pattern (our cells' interior directions as gates) with its CVXPY/ECOS
solver, (b) its default route ``optimize("relu", max_neurons)`` on sampled
gates (augmented Lagrangian) for a few sizes: J of the returned measure
(evaluated by us) minus the exact J*, and its time.

Usage::

    python benchmarks/bench_exact.py [--parts scaling table pyscnn]

Writes ``benchmarks/results/exact_scaling.json``, ``exact_table.json``, ``exact_pyscnn.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from blasso.instance import make_instance  # noqa: E402
from blasso.objective import blasso_objective  # noqa: E402
from blasso.sphere import make_grid  # noqa: E402
from blasso.solvers.exact import measure_from_cell_weights  # noqa: E402

LAM = 1e-3
OUT = Path(__file__).resolve().parent / "results"


def _exact_row(inst, cfg=None):
    from blasso.solvers.exact import solve_exact

    t0 = time.perf_counter()
    r = solve_exact(inst.X, inst.y, LAM, config=cfg)
    wall = time.perf_counter() - t0
    u = r.uniqueness or {}
    return r, {"n": inst.n, "d": inst.d, "cells": r.cells["n_cells"], "closed_form": r.cells["closed_form"],
               "rounds": len(r.rounds), "atoms": len(r.measure), "J_upper": r.J_upper, "J_lower": r.J_lower,
               "rel_width": r.rel_width, "unique": u.get("unique"), "exactly_m": u.get("exactly_m"),
               "uniqueness_reason": u.get("reason"), "polish": r.polish.get("reason"),
               "timings": r.timings, "wall_s": wall}


def scaling():
    rows = []
    for d, ns, m in [(2, [250, 500, 1000, 2000], 2), (3, [25, 50, 100, 150], 3)]:
        for n in ns:
            inst = make_instance(teacher="mixed-signs", n=n, d=d, m=m, seed=0, noise=0.01)
            _, row = _exact_row(inst)
            rows.append(row)
            t = row["timings"]
            print(f"d={d} n={n:5d}: {row['cells']:6d} cells (closed form {row['closed_form']}), {row['rounds']} rounds, "
                  f"{row['atoms']} atoms, width {row['rel_width']:.1e}; enumerate {t['enumerate_s']:.2f}s, "
                  f"solve+polish {t['solve_s']:.2f}s, check {t['check_s']:.2f}s, sup {t['sup_s']:.2f}s, "
                  f"uniqueness {t['uniqueness_s']:.2f}s, total {row['wall_s']:.2f}s", flush=True)
    return rows


INSTANCES = [  # (label, teacher, d, m, n, noise)
    ("d2 paper", "paper", 2, 2, 100, 0.0),
    ("d2 mixed", "mixed-signs", 2, 2, 100, 0.0),
    ("d2 mixed noisy", "mixed-signs", 2, 2, 100, 0.05),
    ("d3 paper", "paper", 3, 2, 40, 0.0),
    ("d3 mixed", "mixed-signs", 3, 3, 40, 0.0),
    ("d3 mixed noisy", "mixed-signs", 3, 3, 40, 0.05),
    ("d3 mixed n=100", "mixed-signs", 3, 3, 100, 0.0),
]


def table():
    from blasso.studies.compare import sphere_sup_oracle
    from blasso.solvers import solve_lasso
    from blasso.solvers.refine import convex_reference

    rows = []
    for label, teacher, d, m, n, noise in INSTANCES:
        inst = make_instance(teacher=teacher, n=n, d=d, m=m, seed=1, noise=noise)
        t0 = time.perf_counter()
        J_grid = float(solve_lasso(inst.X, inst.y, LAM, make_grid("auto", 4000, d), solver="FAST").objective)
        t_grid = time.perf_counter() - t0
        t0 = time.perf_counter()
        cr = convex_reference(inst.X, inst.y, LAM, make_grid("auto", 300, d), rounds=8,
                              sup_oracle=sphere_sup_oracle(inst.X, rng=0))
        t_ex = time.perf_counter() - t0
        _, ex = _exact_row(inst)
        row = {"label": label, "teacher": teacher, "noise": noise, "n": n, "d": d, "m": m, "J_grid": J_grid,
               "grid_s": t_grid, "J_exchange": cr.J, "J_exchange_lower": cr.J_lower,
               "exchange_rel_width": (cr.J - cr.J_lower) / cr.J, "exchange_atoms": len(cr.measure),
               "exchange_s": t_ex, "exact": ex,
               "grid_minus_exact_rel": (J_grid - ex["J_upper"]) / ex["J_upper"],
               "exchange_minus_exact_rel": (cr.J - ex["J_upper"]) / ex["J_upper"]}
        rows.append(row)
        print(f"{label:16s} n={n:4d}: grid J {J_grid:.10f} ({t_grid:.1f}s) | exchange [{cr.J_lower:.10f}, {cr.J:.10f}] "
              f"width {row['exchange_rel_width']:.1e} ({t_ex:.1f}s) | exact [{ex['J_lower']:.12f}, {ex['J_upper']:.12f}] "
              f"width {ex['rel_width']:.1e}, {ex['atoms']} atoms, unique {ex['unique']} ({ex['wall_s']:.1f}s)",
              flush=True)
    return rows


def _scnn_measure(params, d):
    V, W = (np.asarray(a, dtype=float).reshape(-1, d) for a in params)
    return measure_from_cell_weights(V, W)


def pyscnn():
    try:
        import scnn  # noqa: F401
        from scnn.metrics import Metrics
        from scnn.models import ConvexReLU
        from scnn.optimize import optimize, optimize_model
        from scnn.regularizers import NeuronGL1
        from scnn.solvers import CVXPYSolver
    except ImportError as err:
        print(f"pyscnn not importable: {err}")
        return {"skipped": str(err)}
    from blasso.solvers.patterns import enumerate_cells

    rows = []
    for label, teacher, d, m, n, noise in [("d2 mixed", "mixed-signs", 2, 2, 60, 0.0),
                                           ("d3 mixed noisy", "mixed-signs", 3, 3, 40, 0.05)]:
        inst = make_instance(teacher=teacher, n=n, d=d, m=m, seed=1, noise=noise)
        X, y = inst.X, inst.y
        r, ex = _exact_row(inst)
        cells = enumerate_cells(X)
        model = ConvexReLU(cells.interior.T, c=1, bias=False)
        t0 = time.perf_counter()
        try:
            cm, _ = optimize_model(model, CVXPYSolver(model, "ecos"), Metrics(), X, y[:, None],
                                   regularizer=NeuronGL1(LAM), return_convex=True, unitize_data=False,
                                   dtype="float64")
            J_all = blasso_objective(_scnn_measure(cm.parameters, d), X, y, LAM)
        except Exception as err:  # ECOS inside pyscnn can fail on the larger programs
            J_all, fail = float("nan"), f"{type(err).__name__}: {err}"
        else:
            fail = None
        t_all = time.perf_counter() - t0
        row = {"label": label, "n": n, "d": d, "cells": len(cells), "J_exact": r.J_upper, "J_exact_lower": r.J_lower,
               "exact_s": ex["wall_s"], "all_patterns_ecos": {"J": J_all, "rel_gap": (J_all - r.J_upper) / r.J_upper,
                                                             "s": t_all, "error": fail}, "sampled": []}
        print(f"{label}: exact J* in [{r.J_lower:.12f}, {r.J_upper:.12f}] ({ex['wall_s']:.1f}s); pyscnn on all "
              f"{len(cells)} patterns (ECOS): J = {J_all:.12f}, rel. gap {(J_all - r.J_upper) / r.J_upper:+.1e} "
              f"({t_all:.1f}s)" + (f" FAILED: {fail}" if fail else ""), flush=True)
        for neurons in (20, 100, 500):
            t0 = time.perf_counter()
            cm, _ = optimize("relu", neurons, X, y[:, None], regularizer=NeuronGL1(LAM), return_convex=True,
                             unitize_data=False, dtype="float64", seed=0)
            t_s = time.perf_counter() - t0
            J_s = blasso_objective(_scnn_measure(cm.parameters, d), X, y, LAM)
            row["sampled"].append({"max_neurons": neurons, "gates": neurons // 2, "J": J_s,
                                   "rel_gap": (J_s - r.J_upper) / r.J_upper, "s": t_s})
            print(f"    sampled gates ({neurons // 2}, AL): J = {J_s:.12f}, rel. gap {(J_s - r.J_upper) / r.J_upper:+.2e} "
                  f"({t_s:.1f}s)", flush=True)
        rows.append(row)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", nargs="+", default=["scaling", "table", "pyscnn"],
                    choices=["scaling", "table", "pyscnn"])
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    meta = {"python": platform.python_version(), "machine": platform.machine(), "lam": LAM,
            "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    for part in args.parts:
        res = {"scaling": scaling, "table": table, "pyscnn": pyscnn}[part]()
        (OUT / f"exact_{part}.json").write_text(json.dumps({"meta": meta, "rows": res}, indent=1, default=float))


if __name__ == "__main__":
    main()
