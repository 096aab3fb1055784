"""``blasso assumptions``: the main paper's assumptions and conditions (10) on an instance
(API: :func:`blasso.check_assumptions`)."""

from __future__ import annotations

from blasso.studies import api

from ._common import add_data_arguments, api_defaults, float_type, load_data

NAME = "assumptions"
HELP = "check the paper's assumptions 3.1-4.7 and conditions (10) on an instance (teacher and optimum)"
DEFAULTS = api_defaults(api.check_assumptions)


def add_arguments(p) -> None:
    add_data_arguments(p)
    p.add_argument("--lam", type=float_type(minimum=0.0, strict=True), default=None,
                   help="BLASSO regularisation of the optimum target (default: the instance's; without one only "
                        "the teacher target is checked)")
    p.add_argument("--gd-trace", metavar="FILE.npz", help="a blasso gd --save file, for Assumption 4.6 (C_F)")
    p.add_argument("--time-budget", type=float_type(minimum=0.0, strict=True), default=DEFAULTS["time_budget"],
                   help=f"seconds for the rigorous sups (default {DEFAULTS['time_budget']:g})")


def run(args, out) -> dict:
    inst = load_data(args)
    res = api.check_assumptions(inst, args.lam, gd_trace=args.gd_trace, time_budget=args.time_budget, seed=args.seed,
                                progress=out.progress)
    out.print(res.summary())
    return {"figures": res.to_dict(), **res.report_sections()}
