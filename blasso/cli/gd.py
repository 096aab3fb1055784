"""``blasso gd``: the paper's Algorithm 1 (norm-dependent GD) on an instance (API: :func:`blasso.gd`)."""

from __future__ import annotations

import time

from blasso.report import with_suffix
from blasso.solvers.gd import PENALTIES, STEPS
from blasso.studies import api

from ._common import OutputSpec, add_data_arguments, api_defaults, float_type, int_type, load_data, seed_type

NAME = "gd"
HELP = "train the student network with the paper's Algorithm 1 (L1 or L2 penalty) and report J of its measure"
DEFAULTS = api_defaults(api.gd)


def parse_alpha(text: str):
    """argparse type: ``auto`` or a finite float > 0."""
    if str(text).lower() == "auto":
        return "auto"
    return float_type(minimum=0.0, strict=True)(text)


def add_gd_arguments(p, func=api.gd) -> None:
    """Options shared by ``gd`` and ``compare``; defaults from ``func`` (:func:`blasso.gd`, :func:`blasso.compare`)."""
    d = api_defaults(func)
    g = p.add_argument_group("gradient descent (Algorithm 1)")
    g.add_argument("--lam", type=float_type(minimum=0.0, strict=True), default=None,
                   help=f"regularisation (default: instance's, else {api.DEFAULT_LAM:g})")
    g.add_argument("--M", type=int_type(), default=d["M"], help=f"student width (default {d['M']})")
    g.add_argument("--penalty", default=d["penalty"], choices=PENALTIES,
                   help=f"l1 = eq. (4), l2 = eq. (13) (default {d['penalty']})")
    g.add_argument("--step", default=d["step"], choices=STEPS,
                   help=f"norm = Algorithm 1's eta_j (eq. 11); constant = plain GD (default {d['step']})")
    g.add_argument("--iters", type=int_type(minimum=0), default=d["iters"],
                   help=f"maximum iterations (default {d['iters']})")
    g.add_argument("--alpha", default=d["alpha"], type=parse_alpha,
                   help="step constant > 0, or 'auto' = largest stable of 8,4,2,1,0.5 by 2000-iteration probes "
                        f"(default {d['alpha']})")
    g.add_argument("--init-seed", type=seed_type, default=None,
                   help="seed of the initial directions (default: --seed)")
    g.add_argument("--ftol", type=float_type(minimum=0.0), default=d["ftol"],
                   help=f"stop when the best F improves by < ftol (relative) over --check-every iterations "
                        f"(default {d['ftol']:g}; 0 off)")
    if "gtol" in d:
        g.add_argument("--gtol", type=float_type(minimum=0.0), default=d["gtol"],
                       help=f"stop when ||eta * grad|| / alpha <= gtol (default {d['gtol']:g} = off)")
    g.add_argument("--check-every", type=int_type(), default=d["check_every"],
                   help=f"iterations between stopping checks (default {d['check_every']})")


def init_seed(args) -> int:
    """``--init-seed``, else ``--seed`` (also with ``--instance``, where ``--seed`` generates nothing)."""
    return args.seed if args.init_seed is None else args.init_seed


def progress_callback(out, every_s: float = 2.0):
    """A run_gd callback printing J every ``every_s`` seconds (only when no progress bar is drawn)."""
    if out.quiet or out.progress.bars:
        return None
    last = [time.perf_counter()]

    def cb(info):
        now = time.perf_counter()
        if now - last[0] >= every_s:
            last[0] = now
            out.progress(f"iteration {info['iter']}: J = {info['J']:.10g}  F = {info['F']:.10g}  "
                         f"|step|/alpha = {info['grad_norm']:.2e}")
        return False
    return cb


def add_arguments(p) -> None:
    add_data_arguments(p)
    add_gd_arguments(p)
    p.add_argument("--trace-points", type=int_type(minimum=2), default=DEFAULTS["n_trace"],
                   help=f"log-spaced trace points (default {DEFAULTS['n_trace']})")
    p.add_argument("--save", metavar="FILE.npz",
                   help="save final (a, W), the trace, the unit trajectories and the report to FILE.npz "
                        "('.npz' appended when missing; its folder must exist; blasso.load_report reads it back)")


def outputs(args) -> list:
    if not args.save:
        return []
    args.save = str(with_suffix(args.save, ".npz"))
    return [OutputSpec("--save", args.save)]


def run(args, out) -> dict:
    inst = load_data(args)
    res = api.gd(inst, args.lam, args.M, penalty=args.penalty, step=args.step, alpha=args.alpha, seed=init_seed(args),
                 iters=args.iters, ftol=args.ftol, gtol=args.gtol, check_every=args.check_every,
                 n_trace=args.trace_points, record_units=bool(args.save), callback=progress_callback(out),
                 progress=out.progress)
    out.print(res.summary())
    if args.save:
        res.save(args.save)
        out.wrote("gd run", args.save)
        out.info(f"saved parameters, trace, trajectories and report to {args.save}")
    return {"figures": res.to_dict(), **res.report_sections()}
