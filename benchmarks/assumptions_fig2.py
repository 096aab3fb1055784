"""The paper's assumptions on its Fig. 2 setting (paper teacher, m = d = 5, n = 100), several seeds.

For each seed: the status of every assumption (teacher / data column) and, at
``lam``, at the computed optimum.  Writes ``benchmarks/results/assumptions_fig2.json``
and prints one table.

Usage:  python benchmarks/assumptions_fig2.py [--seeds 5] [--lam 1e-3] [--budget 30]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from blasso.cli._common import format_table
from blasso.instance import make_instance
from blasso.jsonio import to_jsonable
from blasso.studies.assumptions import ASSUMPTION_IDS, TARGETED, check_assumptions


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--lam", type=float, default=1e-3)
    ap.add_argument("--budget", type=float, default=30.0)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "assumptions_fig2.json"))
    args = ap.parse_args(argv)
    rows, runs = [], []
    for seed in range(args.seeds):
        inst = make_instance(teacher="paper", n=100, d=5, m=5, seed=seed)
        rep = check_assumptions(inst, lam=args.lam, time_budget=args.budget, seed=seed)
        runs.append({"seed": seed, **rep.to_dict()})
        cells = [rep.checks[k].status + (f" / {rep.optimum[k].status}" if k in TARGETED else "")
                 for k in ASSUMPTION_IDS]
        rows.append([seed] + cells + [f"{rep.wall_s:.0f}"])
        print(f"seed {seed} done ({rep.wall_s:.0f} s)", file=sys.stderr, flush=True)
    print(f"paper teacher, n=100, d=m=5, lam={args.lam:g}: teacher-or-data / optimum")
    print(format_table(rows, ["seed"] + list(ASSUMPTION_IDS) + ["t[s]"]))
    Path(args.out).write_text(json.dumps(to_jsonable({"lam": args.lam, "runs": runs}), indent=1) + "\n")
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
