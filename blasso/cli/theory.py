"""``blasso theory``: the main paper's predictions measured -- Theorem 3.5 (``lam``) and Theorem 4.8 (``gd-rate``)."""

from __future__ import annotations

from pathlib import Path

from ._common import OutputSpec, add_data_arguments, float_type, format_table, int_type, load_data, resolve_lam

NAME = "theory"
HELP = ("measure the paper's predictions: Theorem 3.5 (squared errors O(m lam^2), 'lam') and Theorem 4.8 "
        "(linear local rate of Algorithm 1, 'gd-rate')")


def add_arguments(p) -> None:
    p.add_argument("which", choices=("lam", "gd-rate"),
                   help="lam: Theorem 3.5 over a decreasing lam sequence; gd-rate: Theorem 4.8 at --lam with --M units")
    add_data_arguments(p)
    p.add_argument("--lam", type=float_type(minimum=0.0, strict=True), default=None,
                   help="gd-rate: BLASSO regularisation (default: the instance's, else 1e-2)")
    p.add_argument("--M", type=int_type(), default=20, help="gd-rate: network width (default 20)")
    p.add_argument("--iters", type=int_type(), default=300_000, help="gd-rate: iteration budget (default 300000)")
    p.add_argument("--alpha", type=float_type(minimum=0.0, strict=True), default=None,
                   help="gd-rate: step constant of Algorithm 1 (default: auto, blasso.solvers.gd.choose_alpha)")
    p.add_argument("--lam-min", type=float_type(minimum=0.0, strict=True), default=1e-6,
                   help="lam: smallest lam (default 1e-6)")
    p.add_argument("--max-points", type=int_type(minimum=2), default=12, help="lam: at most this many lam (default 12)")
    p.add_argument("--grid-size", type=int_type(), default=2000, help="base grid of the convex optimum (default 2000)")
    p.add_argument("--time-budget", type=float_type(minimum=0.0, strict=True), default=10.0,
                   help="seconds of branch and bound per exchange round in d >= 4 (default 10)")
    p.add_argument("--conditions", action="store_true", help="lam: also decide conditions (10) for the teacher")
    p.add_argument("--plot", metavar="FILE.png",
                   help="write the plot to FILE.png (needs matplotlib; its folder must exist)")


def outputs(args) -> list:
    return [OutputSpec("--plot", Path(args.plot))] if args.plot else []


def _g(v, fmt=".3e") -> str:
    return "-" if v is None else format(v, fmt)


def run(args, out) -> dict:
    from blasso.studies.theory import theory_gd_rate, theory_lam

    inst = load_data(args)
    if args.which == "lam":
        st = theory_lam(inst, lam_min=args.lam_min, max_points=args.max_points, grid_size=args.grid_size,
                        sup_budget=args.time_budget, check_conditions=args.conditions, seed=0,
                        progress=out.progress)
        out.print(f"Theorem 3.5 on n={inst.n} d={inst.d} m={st.m}: certified convex optimum at each lam")
        rows = [[f"{r['lam']:.3e}", r["n_atoms"], r["n_matched"], _g(r["err_r2"]), _g(r["err_theta2"]),
                 _g(r["spurious_mass"]), _g(None if r["J_lower"] is None else r["J"] - r["J_lower"], ".1e")]
                for r in st.rows]
        out.print(format_table(rows, ["lam", "atoms", "matched", "sum|dr|^2", "sum dist^2", "spurious",
                                      "bracket"]))
        for k, s in st.slopes.items():
            out.print(f"slope {k}: {_g(s['slope'], '.3f')} (R^2 {_g(s['r2'], '.4f')}, {s['n']} points)"
                      + (f" -- {s['reason']}" if s["reason"] else ""))
        out.print(f"verdict (9): {st.verdict} -- {st.reason}")
        figures = {"which": "lam", **st.to_dict()}
        if args.plot:
            from blasso.plotting import save_figure
            from blasso.studies.plots import plot_theory_lam

            save_figure(plot_theory_lam(st, n=inst.n, d=inst.d), args.plot)
    else:
        lam = resolve_lam(args, inst, default=1e-2)
        st = theory_gd_rate(inst, lam, args.M, max_iter=args.iters, alpha="auto" if args.alpha is None else args.alpha,
                            grid_size=args.grid_size, sup_budget=args.time_budget, seed=0,
                            progress=out.progress)
        out.print(f"Theorem 4.8 on n={inst.n} d={inst.d} lam={lam:g} M={args.M} alpha={st.alpha:g}")
        out.print(f"J* in [{st.J_star[0]:.10e}, {st.J_star[1]:.10e}]; GD: {st.iterations} iterations, "
                  f"J_final - J_upper = {st.gap_final:.3e}")
        out.print(f"k0 = {st.k0}  rate = {_g(st.rate, '.6f')}  R^2 = {_g(st.r2, '.4f')}  decades = {st.decades:.2f}")
        out.print(f"verdict: {st.verdict} -- {st.reason}")
        figures = {"which": "gd-rate", **st.to_dict()}
        if args.plot:
            from blasso.plotting import save_figure
            from blasso.studies.plots import plot_theory_gd_rate

            save_figure(plot_theory_gd_rate(st, n=inst.n, d=inst.d, lam=lam, M=args.M).figure, args.plot)
    if args.plot:
        out.wrote("plot", args.plot)
    return {"figures": figures, "sizes": inst.sizes(), "seeds": {"instance_seed": inst.seed}}
