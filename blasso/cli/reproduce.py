"""``blasso reproduce fig1|fig2|fig3|all --out DIR``: the paper's Figs. 1-3 against the convex optimum."""

from __future__ import annotations

from pathlib import Path

from blasso.studies.reproduce import DEFAULTS, FIGURES, QUICK, reproduce_figures

from ._common import OutputSpec, float_type, int_type, seed_type
from .gd import parse_alpha

NAME = "reproduce"
HELP = "reproduce the paper's Fig. 1, 2 or 3 (PNG + JSON + whether the claim holds on this run)"


def add_arguments(p) -> None:
    p.add_argument("figure", choices=FIGURES + ("all",), help="which figure")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="output folder for figN.png / figN.json (created if missing; its parent folder must exist)")
    p.add_argument("--seed", type=seed_type, default=0, help="instance and initialisation seed (default 0)")
    p.add_argument("--lam", type=float_type(minimum=0.0, strict=True), default=1e-3,
                   help="regularisation (default 1e-3; the paper gives none)")
    p.add_argument("--iters", type=int_type(), default=None,
                   help="iterations per run (default: fig1 100000, fig2 200000, fig3 100000; --quick: 30000)")
    quick = "; ".join(f"{name}: " + ", ".join(f"{k} {v:g} (full {DEFAULTS[name][k]:g})" for k, v in q.items())
                      for name, q in QUICK.items())
    p.add_argument("--quick", action="store_true",
                   help="all three figures within about two minutes on 2 cores: " + quick
                        + " (fewer GD iterations, a smaller grid for J_grid; the certified optimum is the same);"
                        " the output and the JSON say what was reduced")
    p.add_argument("--alpha", default="auto", type=parse_alpha, help="step constant or 'auto' (default auto)")
    p.add_argument("--grid-size", type=int_type(), default=None,
                   help="grid of the reported grid optimum J_grid (default: 3600 for d=2, 10000 for d=5; FAST"
                        " solver); the reference itself is the certified optimum (column generation)")


def _figures(args) -> tuple:
    return FIGURES if args.figure == "all" else (args.figure,)


def outputs(args) -> list:
    members = tuple(f"{name}.{ext}" for name in _figures(args) for ext in ("png", "json"))
    return [OutputSpec("--out", Path(args.out), kind="dir", members=members)]


def run(args, out) -> dict:
    kw = {"seed": args.seed, "lam": args.lam, "alpha": args.alpha}
    if args.iters is not None:
        kw["iters"] = args.iters
    if args.grid_size is not None:
        kw["grid_size"] = args.grid_size
    if args.quick:
        kw["quick"] = True
    done = reproduce_figures(_figures(args), args.out, progress=out.progress, **kw)
    report, measures = {}, {}
    for name, summary in done.items():
        png, js = Path(args.out) / f"{name}.png", Path(args.out) / f"{name}.json"
        out.wrote(f"{name} figure", png)
        out.wrote(f"{name} summary", js)
        out.print(f"{name}: wrote {png} and {js}")
        if summary.get("reduced"):
            out.print(f"  {'QUICK run' if summary.get('quick') else 'reduced run'}, reduced from the full "
                      f"settings: {', '.join(summary['reduced'])}")
        for line in summary["claims"]:
            out.print(f"  {line}")
        measures[f"{name} convex"] = summary.pop("_convex_measure")
        report[name] = summary
    return {"figures": {"figures": report, "out": str(args.out), "quick": bool(args.quick)}, "measures": measures,
            "seeds": {"seed": args.seed}}
