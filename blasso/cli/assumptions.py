"""``blasso assumptions``: the main paper's assumptions and conditions (10) on an instance."""

from __future__ import annotations

from ._common import add_data_arguments, float_type, format_table, load_data

NAME = "assumptions"
HELP = "check the paper's assumptions 3.1-4.7 and conditions (10) on an instance (teacher and optimum)"


def add_arguments(p) -> None:
    add_data_arguments(p)
    p.add_argument("--lam", type=float_type(minimum=0.0, strict=True), default=None,
                   help="BLASSO regularisation of the optimum target (default: the instance's; without one only "
                        "the teacher target is checked)")
    p.add_argument("--gd-trace", metavar="FILE.npz", help="a blasso gd --save file, for Assumption 4.6 (C_F)")
    p.add_argument("--time-budget", type=float_type(minimum=0.0, strict=True), default=60.0,
                   help="seconds for the rigorous sups (default 60)")


def run(args, out) -> dict:
    from blasso.studies.assumptions import check_assumptions, load_gd_trace

    inst = load_data(args)
    trace = load_gd_trace(args.gd_trace) if args.gd_trace else None
    rep = check_assumptions(inst, lam=args.lam, gd_trace=trace, time_budget=args.time_budget, seed=args.seed,
                            progress=out.progress)
    out.print(f"n={inst.n} d={inst.d}" + (f" lam={rep.lam:g}" if rep.lam is not None else " (no lam: teacher only)"))
    out.print(format_table(rep.table_rows(), ["id", "assumption", "teacher / data", "optimum at lam"]))
    for k, c in rep.checks.items():
        out.print(f"{k} [{c.status}] {c.reason}")
    for k, c in rep.optimum.items():
        out.print(f"{k} at the optimum [{c.status}] {c.reason}")
    figures = rep.to_dict()
    return {"figures": figures, "sizes": inst.sizes(), "seeds": {"instance_seed": inst.seed}}
