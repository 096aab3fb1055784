"""``blasso reproduce fig1|fig2|fig3 --out DIR``: the paper's Figs. 1-3 against the convex optimum."""

from __future__ import annotations

from blasso.studies.reproduce import FIGURES, reproduce
from blasso.validation import BlassoInputError, check_lam

from .gd import parse_alpha

NAME = "reproduce"
HELP = "reproduce the paper's Fig. 1, 2 or 3 (PNG + JSON + whether the claim holds on this run)"


def add_arguments(p) -> None:
    p.add_argument("figure", choices=FIGURES + ("all",), help="which figure")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory for figN.png / figN.json")
    p.add_argument("--seed", type=int, default=0, help="instance and initialisation seed (default 0)")
    p.add_argument("--lam", type=float, default=1e-3, help="regularisation (default 1e-3; the paper gives none)")
    p.add_argument("--iters", type=int, default=None,
                   help="iterations per run (default: fig1 100000, fig2 200000, fig3 100000)")
    p.add_argument("--alpha", default="auto", help="step constant or 'auto' (default auto)")
    p.add_argument("--grid-size", type=int, default=None,
                   help="grid of the convex reference (default: 3600 for d=2, 10000 for d=5)")


def run(args, out) -> dict:
    lam = check_lam(args.lam)
    alpha = parse_alpha(args.alpha)
    if args.iters is not None and args.iters < 1:
        raise BlassoInputError(f"--iters must be >= 1; got {args.iters}")
    figs = FIGURES if args.figure == "all" else (args.figure,)
    report = {"figures": {}}
    for name in figs:
        kw = {"seed": args.seed, "lam": lam, "alpha": alpha, "progress": out.progress}
        if args.iters is not None:
            kw["iters"] = args.iters
        if args.grid_size is not None:
            kw["grid_size"] = args.grid_size
        out.progress(f"{name}: running ...")
        summary = reproduce(name, args.out, **kw)
        out.print(f"{name}: wrote {args.out}/{name}.png and {args.out}/{name}.json")
        for line in summary["claims"]:
            out.print(f"  {line}")
        report["figures"][name] = {k: v for k, v in summary.items() if k not in ("trace", "runs")} | (
            {"runs": {M: {k: v for k, v in r.items() if k != "trace"} for M, r in summary["runs"].items()}}
            if "runs" in summary else {})
    report["out"] = args.out
    return report
