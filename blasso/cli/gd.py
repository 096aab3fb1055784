"""``blasso gd``: the paper's Algorithm 1 (norm-dependent GD) on an instance."""

from __future__ import annotations

import time

import numpy as np

from blasso.validation import BlassoInputError
from solvers.gd import PENALTIES, STEPS, choose_alpha, init_network, run_gd

from ._common import add_data_arguments, format_table, load_data, resolve_lam

NAME = "gd"
HELP = "train the student network with the paper's Algorithm 1 (L1 or L2 penalty) and report J of its measure"


def parse_alpha(text: str):
    """``auto`` or a positive float."""
    if str(text).lower() == "auto":
        return "auto"
    try:
        v = float(text)
    except ValueError:
        raise BlassoInputError(f"--alpha must be a positive number or 'auto'; got {text!r}") from None
    if not np.isfinite(v) or v <= 0:
        raise BlassoInputError(f"--alpha must be > 0; got {text!r}")
    return v


def add_gd_arguments(p, *, iters: int, alpha: str = "auto", ftol: float = 0.0) -> None:
    """Options shared by ``gd``, ``compare`` (and read by ``reproduce``)."""
    g = p.add_argument_group("gradient descent (Algorithm 1)")
    g.add_argument("--lam", type=float, default=None, help="regularisation (default: instance's, else 1e-3)")
    g.add_argument("--M", type=int, default=100, help="student width (default 100)")
    g.add_argument("--penalty", default="l1", choices=PENALTIES, help="l1 = eq. (4), l2 = eq. (13) (default l1)")
    g.add_argument("--step", default="norm", choices=STEPS,
                   help="norm = Algorithm 1's eta_j (eq. 11); constant = plain GD (default norm)")
    g.add_argument("--iters", type=int, default=iters, help=f"maximum iterations (default {iters})")
    g.add_argument("--alpha", default=alpha, type=str,
                   help="step constant, or 'auto' = largest stable of 8,4,2,1,0.5 by 2000-iteration probes "
                        f"(default {alpha})")
    g.add_argument("--init-seed", type=int, default=None,
                   help="seed of the initial directions (default: --seed)")
    g.add_argument("--ftol", type=float, default=ftol,
                   help=f"stop when the best F improves by < ftol (relative) over --check-every iterations (default {ftol:g}; 0 off)")
    g.add_argument("--gtol", type=float, default=0.0, help="stop when ||eta * grad|| / alpha <= gtol (default 0 = off)")
    g.add_argument("--check-every", type=int, default=1000, help="iterations between stopping checks (default 1000)")


def gd_settings(args, inst) -> dict:
    """Resolve lam, seed, alpha (probing if 'auto') and the initial network."""
    lam = resolve_lam(args, inst)
    seed = args.seed if args.init_seed is None else args.init_seed
    init = init_network(args.M, inst.d, seed)
    alpha = parse_alpha(args.alpha)
    probe = None
    if alpha == "auto":
        if args.step != "norm":
            raise BlassoInputError("--alpha auto is for Algorithm 1 (--step norm); give a number for plain GD")
        probe = choose_alpha(inst.X, inst.y, lam, init=init, penalty=args.penalty)
        alpha = probe["alpha"]
    return {"lam": lam, "seed": seed, "init": init, "alpha": alpha, "alpha_probe": probe}


def progress_callback(out, every_s: float = 2.0):
    """A run_gd callback printing J every ``every_s`` seconds on stderr."""
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
    p.add_argument("--trace-points", type=int, default=60, help="log-spaced trace points (default 60)")
    p.add_argument("--save", metavar="FILE.npz",
                   help="save final (a, W), the trace and the unit trajectories to FILE.npz")


def run(args, out) -> dict:
    inst = load_data(args)
    s = gd_settings(args, inst)
    if s["alpha_probe"]:
        out.progress(f"alpha auto: probe J after {s['alpha_probe']['probe_iter']} iterations "
                     f"{s['alpha_probe']['probe']} -> alpha = {s['alpha']:g}")
    out.progress(f"Algorithm 1: M={args.M}, penalty {args.penalty}, step {args.step}, alpha={s['alpha']:g}, "
                 f"lam={s['lam']:g}, n={inst.n}, d={inst.d}, up to {args.iters} iterations ...")
    res = run_gd(inst.X, inst.y, s["lam"], init=s["init"], penalty=args.penalty, step=args.step,
                 alpha=s["alpha"], max_iter=args.iters, ftol=args.ftol, gtol=args.gtol,
                 check_every=args.check_every, n_trace=args.trace_points, record_units=bool(args.save),
                 callback=progress_callback(out))
    nu = res.measure(prune_rtol=1e-6).sorted()
    tr = res.trace
    out.print(f"Algorithm 1 ({args.penalty}, M={args.M}, alpha={s['alpha']:g}, seed {s['seed']}): "
              f"{res.n_iter} iterations ({res.stop_reason}) in {res.wall_s:.2f}s, "
              f"{res.iters_per_s:.0f} it/s")
    out.print(f"F = {res.F:.10g}   J(measure) = {res.J:.10g}   TV = {nu.tv:.6g}   "
              f"active units = {tr['active'][-1]} / {args.M}   |step|/alpha = {tr['grad_norm'][-1]:.2e}")
    idx = np.unique(np.linspace(0, len(tr["iter"]) - 1, 8).round().astype(int))
    out.print(format_table([[int(tr["iter"][i]), f"{tr['F'][i]:.8g}", f"{tr['J'][i]:.8g}", f"{tr['tv'][i]:.4g}",
                             int(tr["active"][i])] for i in idx], ["iter", "F", "J", "TV", "active"]))
    if res.info["sign_flips"]:
        out.print(f"WARNING: {res.info['sign_flips']} output weight(s) changed sign: alpha={s['alpha']:g} is too "
                  "large for Algorithm 1's sign-preserving regime")
    if args.save:
        np.savez(args.save, a=res.a, W=res.W, **{f"trace_{k}": v for k, v in tr.items()},
                 traj_iter=res.trajectory["iter"], traj_a=res.trajectory["a"], traj_W=res.trajectory["W"])
        out.info(f"saved parameters, trace and trajectories to {args.save}")
    return {
        **inst.sizes(), "lam": s["lam"], "M": args.M, "penalty": args.penalty, "step": args.step,
        "alpha": s["alpha"], "alpha_auto": s["alpha_probe"], "seed": s["seed"], "iters": args.iters,
        "n_iter": res.n_iter, "stop_reason": res.stop_reason, "F": res.F, "J_gd": res.J, "tv": nu.tv,
        "active_units": int(tr["active"][-1]), "sign_flips": res.info["sign_flips"], "gd_wall_s": res.wall_s, "iters_per_s": res.iters_per_s,
        "trace": {k: v for k, v in tr.items()}, "theta": nu.theta, "c": nu.c, "a": res.a, "W": res.W,
    }
