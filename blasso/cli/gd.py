"""``blasso gd``: the paper's Algorithm 1 (norm-dependent GD) on an instance."""

from __future__ import annotations

import json
import time

import numpy as np

from blasso.jsonio import to_jsonable
from blasso.report import atomic_output, measure_record, with_suffix
from blasso.studies.train import train_network
from blasso.solvers.gd import PENALTIES, STEPS

from ._common import OutputSpec, add_data_arguments, float_type, format_table, int_type, load_data, resolve_lam, seed_type

NAME = "gd"
HELP = "train the student network with the paper's Algorithm 1 (L1 or L2 penalty) and report J of its measure"


def parse_alpha(text: str):
    """argparse type: ``auto`` or a finite float > 0."""
    if str(text).lower() == "auto":
        return "auto"
    return float_type(minimum=0.0, strict=True)(text)


def add_gd_arguments(p, *, iters: int, alpha: str = "auto", ftol: float = 0.0) -> None:
    """Options shared by ``gd`` and ``compare``."""
    g = p.add_argument_group("gradient descent (Algorithm 1)")
    g.add_argument("--lam", type=float_type(minimum=0.0, strict=True), default=None,
                   help="regularisation (default: instance's, else 1e-3)")
    g.add_argument("--M", type=int_type(), default=100, help="student width (default 100)")
    g.add_argument("--penalty", default="l1", choices=PENALTIES, help="l1 = eq. (4), l2 = eq. (13) (default l1)")
    g.add_argument("--step", default="norm", choices=STEPS,
                   help="norm = Algorithm 1's eta_j (eq. 11); constant = plain GD (default norm)")
    g.add_argument("--iters", type=int_type(minimum=0), default=iters, help=f"maximum iterations (default {iters})")
    g.add_argument("--alpha", default=alpha, type=parse_alpha,
                   help="step constant > 0, or 'auto' = largest stable of 8,4,2,1,0.5 by 2000-iteration probes "
                        f"(default {alpha})")
    g.add_argument("--init-seed", type=seed_type, default=None,
                   help="seed of the initial directions (default: --seed)")
    g.add_argument("--ftol", type=float_type(minimum=0.0), default=ftol,
                   help=f"stop when the best F improves by < ftol (relative) over --check-every iterations "
                        f"(default {ftol:g}; 0 off)")
    g.add_argument("--gtol", type=float_type(minimum=0.0), default=0.0,
                   help="stop when ||eta * grad|| / alpha <= gtol (default 0 = off)")
    g.add_argument("--check-every", type=int_type(), default=1000,
                   help="iterations between stopping checks (default 1000)")


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
    add_gd_arguments(p, iters=100000)
    p.add_argument("--trace-points", type=int_type(minimum=2), default=60, help="log-spaced trace points (default 60)")
    p.add_argument("--save", metavar="FILE.npz",
                   help="save final (a, W), the trace, the unit trajectories and the report to FILE.npz "
                        "('.npz' appended when missing; its folder must exist; blasso.load_report reads it back)")


def outputs(args) -> list:
    if not args.save:
        return []
    args.save = str(with_suffix(args.save, ".npz"))
    return [OutputSpec("--save", args.save)]


def _print(out, args, run, seed) -> None:
    res, nu = run["result"], run["measure"]
    tr = res.trace
    out.print(f"Algorithm 1 ({args.penalty}, M={args.M}, alpha={run['alpha']:g}, seed {seed}): "
              f"{res.n_iter} iterations ({res.stop_reason}) in {res.wall_s:.2f}s, {res.iters_per_s:.0f} it/s")
    out.print(f"F = {res.F:.10g}   J(measure) = {res.J:.10g}   TV = {nu.tv:.6g}   "
              f"active units = {tr['active'][-1]} / {args.M}   |step|/alpha = {tr['grad_norm'][-1]:.2e}")
    idx = np.unique(np.linspace(0, len(tr["iter"]) - 1, 8).round().astype(int))
    out.print(format_table([[int(tr["iter"][i]), f"{tr['F'][i]:.8g}", f"{tr['J'][i]:.8g}", f"{tr['tv'][i]:.4g}",
                             int(tr["active"][i])] for i in idx], ["iter", "F", "J", "TV", "active"]))
    if res.info["sign_flips"]:
        out.print(f"WARNING: {res.info['sign_flips']} output weight(s) changed sign: alpha={run['alpha']:g} is "
                  "too large for Algorithm 1's sign-preserving regime")


def _save(args, out, res, figures, nu) -> None:
    tr = res.trace
    summary = {"command": NAME, "figures": figures, "measures": {"gd": measure_record(nu)}}
    with atomic_output(args.save, suffix=".npz") as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, a=res.a, W=res.W, **{f"trace_{k}": v for k, v in tr.items()},
                     traj_iter=res.trajectory["iter"], traj_a=res.trajectory["a"], traj_W=res.trajectory["W"],
                     report_json=np.array(json.dumps(to_jsonable(summary))))
    out.wrote("gd run", args.save)
    out.info(f"saved parameters, trace, trajectories and report to {args.save}")


def run(args, out) -> dict:
    inst = load_data(args)
    lam = resolve_lam(args, inst)
    seed = args.seed if args.init_seed is None else args.init_seed
    run = train_network(inst, lam, args.M, penalty=args.penalty, step=args.step, alpha=args.alpha, seed=seed,
                        iters=args.iters, ftol=args.ftol, gtol=args.gtol, check_every=args.check_every,
                        n_trace=args.trace_points, record_units=bool(args.save), callback=progress_callback(out),
                        progress=out.progress)
    _print(out, args, run, seed)
    res, nu = run["result"], run["measure"]
    tr = res.trace
    figures = {"lam": lam, "M": args.M, "penalty": args.penalty, "step": args.step, "alpha": run["alpha"],
               "alpha_auto": run["alpha_probe"], "iters": args.iters, "n_iter": res.n_iter,
               "stop_reason": res.stop_reason, "F": res.F, "J_gd": res.J, "tv": nu.tv,
               "active_units": int(tr["active"][-1]), "sign_flips": res.info["sign_flips"], "gd_wall_s": res.wall_s,
               "iters_per_s": res.iters_per_s, "trace": dict(tr), "a": res.a, "W": res.W}
    if args.save:
        _save(args, out, res, figures, nu)
    return {"figures": figures, "measures": {"gd": nu}, "sizes": {**inst.sizes(), "M": args.M},
            "seeds": {"init_seed": seed, "instance_seed": inst.seed}}
