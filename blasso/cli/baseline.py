"""``blasso baseline NAME``: a related teacher-student system (tensor init, mild over-parameterization, abs teacher) against the convex optimum and Algorithm 1."""

from __future__ import annotations

from pathlib import Path

from ._common import OutputSpec, float_type, format_table, int_type, seed_type

NAME = "baseline"
HELP = ("run a related teacher-student system (tensor-init: Zhang et al. 2019; mild-overparam: Zhou, Ge, Jin "
        "2021; abs-teacher: Li, Ma, Zhang 2020) and judge it by the convex optimum and Algorithm 1 on the same data")

_NAMES = ("tensor-init", "mild-overparam", "abs-teacher")


def add_arguments(p) -> None:
    from blasso.studies.baselines import DEFAULTS, MILD_TEACHERS

    p.add_argument("name", choices=_NAMES, help="which system")
    dflt = "; ".join(f"{k}: " + ", ".join(f"{a}={v}" for a, v in d.items()) for k, d in DEFAULTS.items())
    g = p.add_argument_group("instance (standard Gaussian inputs; defaults per system: " + dflt + ")")
    g.add_argument("--n", type=int_type(), default=None, help="samples")
    g.add_argument("--d", type=int_type(minimum=2), default=None, help="input dimension")
    g.add_argument("--m", type=int_type(), default=None, help="teacher neurons (abs-teacher: terms |<w_j, x>|)")
    g.add_argument("--k", type=int_type(minimum=0), default=None, help="mild-overparam: extra student units")
    g.add_argument("--seed", type=seed_type, default=0, help="seed of the instance (default 0)")
    g.add_argument("--noise", type=float_type(minimum=0.0), default=None, help="label noise standard deviation")
    g.add_argument("--teacher", choices=MILD_TEACHERS, default="min-angle",
                   help="mild-overparam: teacher (default min-angle: positive weights, angles >= 60 deg)")
    b = p.add_argument_group("baseline")
    b.add_argument("--iters", type=int_type(), default=None, help="iterations of the baseline's gradient descent")
    b.add_argument("--delta", type=float_type(minimum=0.0), default=0.1,
                   help="mild-overparam: perturbation scale of the start (default 0.1)")
    b.add_argument("--delta-max", type=float_type(minimum=0.0, strict=True), default=2.0,
                   help="mild-overparam: upper end of the local-radius bisection (default 2)")
    b.add_argument("--bisect-steps", type=int_type(), default=5, help="mild-overparam: bisection steps (default 5)")
    c = p.add_argument_group("convex optimum and Algorithm 1 (on X / max ||x_i||, same labels)")
    c.add_argument("--lam", type=float_type(minimum=0.0, strict=True), default=1e-3, help="BLASSO lam (default 1e-3)")
    c.add_argument("--M", type=int_type(), default=None, metavar="WIDTH",
                   help="Algorithm 1's width and the abs-teacher student's (default max(10, 4 m))")
    c.add_argument("--alg1-iters", type=int_type(minimum=0), default=5000,
                   help="Algorithm 1's iterations (default 5000; 0 skips it)")
    c.add_argument("--grid-size", type=int_type(), default=2000, help="base grid of the convex optimum (default 2000)")
    c.add_argument("--refine-rounds", type=int_type(minimum=0), default=2, help="exchange rounds (default 2)")
    c.add_argument("--certify", action="store_true",
                   help="rigorous sup over the sphere in each round: a certified lower bound J_lower (slower)")
    c.add_argument("--sup-budget", type=float_type(minimum=0.0, strict=True), default=5.0,
                   help="seconds of branch and bound per round with --certify (default 5)")
    p.add_argument("--plot", metavar="DIR",
                   help="write DIR/baseline_NAME.png (needs matplotlib; DIR is created if missing, its parent must exist)")


def _plot_path(args) -> Path:
    return Path(args.plot) / f"baseline_{args.name}.png"


def outputs(args) -> list:
    return [OutputSpec("--plot", Path(args.plot), kind="dir", members=(_plot_path(args).name,))] if args.plot else []


def _g(v, fmt=".3e") -> str:
    return "-" if v is None else format(v, fmt)


def _rows(rep: dict) -> list:
    rows = [[rep["baseline"], _g(rep["test_loss"]), _g(rep["train_loss"]), _g(rep["J"], ".6g"),
             _g(rep["gap_to_convex"]), str(rep["recovered"]), _g(rep["angle_error_deg"], ".2f"), rep["iterations"],
             _g(rep["wall_s"], ".2f")]]
    a1 = rep.get("algorithm1")
    if a1 is not None:
        rows.append([f"Algorithm 1 (M={a1['M']})", _g(a1["test_loss"]), _g(a1["train_loss"]), _g(a1["J"], ".6g"),
                     _g(a1["gap"]), str(a1["recovered"]), _g(a1["angle_error_deg"], ".2f"), a1["iterations"],
                     _g(a1["wall_s"], ".2f")])
    cv = rep["convex"]
    rows.append(["convex optimum", _g(cv["test_loss"]), "-", _g(cv["J"], ".6g"),
                 "0" if cv["J_lower"] is None else f"<= {cv['J'] - cv['J_lower']:.1e}", str(cv["recovered"]),
                 _g(cv["angle_error_deg"], ".2f"), "-",
                 _g(cv["wall_s"], ".2f")])
    return rows


def _specific(rep: dict) -> list[str]:
    name = rep["baseline"]
    if name == "tensor-init":
        return [f"parameter error min_P ||W - P W*||_F / ||W*||_F: after the tensor initialization "
                f"{rep['param_error_init']:.4f} (largest angle {rep['init_angle_error_deg']:.2f} deg), after GD "
                f"{rep['param_error_final']:.4g}; linear rate {_g(rep['rate'], '.5f')} per iteration (eta = {rep['eta']:.3g})"]
    if name == "mild-overparam":
        units = ", ".join(f"{i}:{'-' if u['teacher'] is None else u['teacher']}/{u['weight']:.3g}/{u['outcome']}"
                          for i, u in enumerate(rep["units"]))
        br = rep["local_radius_bracket"]
        return [f"units (index:teacher/weight a||w||/outcome) after GD from delta = {rep['delta']:g}: {units}",
                f"success (every unit matched or vanished, loss -> 0): {rep['success']}; local radius "
                f"{rep['local_radius']:.4g} (bracket [{br[0]:.4g}, {'-' if br[1] is None else format(br[1], '.4g')}], "
                f"{len(rep['local_radius_probes'])} GD runs)"]
    return [f"test loss at n={rep['n']}, d={rep['d']}: GD {rep['test_loss_gd']:.3e}, NTK ridge {rep['test_loss_ntk']:.3e}, "
            f"random-feature ridge {rep['test_loss_rf']:.3e}, best constant {rep['test_loss_const']:.3e}"]


def run(args, out) -> dict:
    from blasso.studies.baselines import default_config, run_baseline

    cfg = default_config(args.name, n=args.n, d=args.d, m=args.m, k=args.k, seed=args.seed, noise=args.noise,
                         iters=args.iters, lam=args.lam, M=args.M, alg1_iters=args.alg1_iters,
                         grid_size=args.grid_size, refine_rounds=args.refine_rounds, certify=args.certify,
                         sup_budget=args.sup_budget, teacher=args.teacher, delta=args.delta,
                         delta_max=args.delta_max, bisect_steps=args.bisect_steps)
    rep = run_baseline(args.name, cfg, progress=out.progress)
    measures = rep.pop("_measures")
    out.print(f"{args.name}: n={cfg.n} d={cfg.d} m={cfg.m} noise={cfg.noise:g} seed={cfg.seed}; BLASSO on X/s, "
              f"s = {rep['input_scale']:.4g}, lam = {cfg.lam:g}")
    out.print(format_table(_rows(rep), ["system", "test loss", "train loss", "J(lam)", "gap to convex", "recovered",
                                        "max angle", "iterations", "time s"]))
    for line in _specific(rep):
        out.print(line)
    cmp = rep["compare"]
    out.print(f"{args.name} vs convex optimum: {cmp['verdict']} (flat distance {cmp['distance_rel']:.3f} TV, "
              f"unmatched mass {cmp['unmatched_mass_rel']:.3f} TV, held-out error {cmp['prediction_rel_error']:.3g})")
    sizes = {"n": cfg.n, "d": cfg.d, "m": cfg.m, "k": cfg.k}
    if args.plot:
        from blasso.plotting import save_figure
        from blasso.studies.plots import plot_baseline

        Path(args.plot).mkdir(exist_ok=True)
        save_figure(plot_baseline(rep, sizes=sizes), _plot_path(args))
        out.wrote("plot", str(_plot_path(args)))
    return {"figures": rep, "measures": measures, "sizes": sizes, "seeds": {"instance_seed": cfg.seed}}
