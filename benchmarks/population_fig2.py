"""The population (n -> infinity) certificate of the paper's Fig. 2 teacher (m = d = 5), several seeds.

The paper teacher is m = d orthonormal positive neurons, so its population
``eta_V`` is the same for every seed up to a rotation (``eta_V`` is rotation
equivariant); the seeds check that, and the timing.  For each seed: verdict,
reason, margin curve ``[r_deg, sup_lo, sup_hi]``, the rigorous second-order
margin, the ball radii, the wall time.  ``--dims`` adds the same teacher in
smaller dimensions (m = d).  ``--canonical`` certifies the exactly orthonormal
teacher ``e_1..e_m`` the float atoms approximate (rotation equivariance), whose
exact symmetries let the branch and bound search a fundamental domain only;
without it the float rotated atoms are certified as given (no symmetry).

Usage:  python benchmarks/population_fig2.py [--seeds 3] [--budget 60] [--dims 3 4 5] [--canonical] [--out FILE]
Writes benchmarks/results/population_fig2.json (default) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from blasso.instance import make_instance
from blasso.certificates.population import population_certificate


def one(d: int, seed: int, budget: float, slack: float, canonical: bool) -> dict:
    nu = make_instance(teacher="paper", n=100, d=d, m=d, seed=seed).teacher_measure()
    res = population_certificate(nu, d, time_budget=budget, curve_slack=slack, rng=seed, canonical=canonical)
    out = res.to_dict()
    keep = ("verdict", "reason", "margin_curve", "second_order_margin", "sup_lo", "lipschitz_H", "n_leaves",
            "n_unresolved", "n_boxes", "n_symmetric_caps", "stages_completed_deg", "wall_s", "gram_cond", "canonical")
    row = {"d": d, "m": d, "seed": seed, "time_budget": budget, "curve_slack": slack, **{k: out[k] for k in keep}}
    row["ball_radius_deg"] = [math.degrees(a["ball_radius"]) for a in res.second_order]
    row["max_one_sided_second_derivative"] = [a["max_second_derivative"] for a in res.second_order]
    row["H3"] = [a["H3"] for a in res.second_order]
    return row


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.7f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--budget", type=float, default=60.0)
    ap.add_argument("--slack", type=float, default=0.5, help="curve_slack of population_certificate")
    ap.add_argument("--dims", type=int, nargs="+", default=[5])
    ap.add_argument("--canonical", action="store_true", help="certify the exactly orthonormal teacher e_1..e_m")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "population_fig2.json"))
    args = ap.parse_args(argv)
    rows = [one(d, s, args.budget, args.slack, args.canonical) for d in args.dims for s in range(args.seeds)]
    Path(args.out).write_text(json.dumps({"command": "benchmarks/population_fig2.py " + " ".join(sys.argv[1:]),
                                          "rows": rows}, indent=1))
    for r in rows:
        print(f"d={r['d']} seed={r['seed']}: {r['verdict']} in {r['wall_s']:.1f} s "
              f"(kappa >= {r['second_order_margin']:.6f}, balls {min(r['ball_radius_deg']):.3f} deg, "
              f"{r['n_leaves']} caps, {r['n_unresolved']} unresolved) -- {r['reason']}")
        print("   r_deg   sup_lo      sup_hi")
        for rd, lo, hi in r["margin_curve"]:
            print(f"   {rd:5.1f}   {_fmt(lo)}   {_fmt(hi)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
