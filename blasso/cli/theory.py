"""``blasso theory``: the main paper's predictions measured -- Theorem 3.5 (``lam``) and Theorem 4.8 (``gd-rate``)."""

from __future__ import annotations

from pathlib import Path

from blasso.report import atomic_output

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
    p.add_argument("--plot", metavar="FILE.png", help="write the plot to FILE.png (needs matplotlib)")


def outputs(args) -> list:
    return [OutputSpec("--plot", Path(args.plot))] if args.plot else []


def _g(v, fmt=".3e") -> str:
    return "-" if v is None else format(v, fmt)


def _plot_lam(study, path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(6, 4.5))
    lam = np.array([r["lam"] for r in study.rows])
    for key, label in (("err_r2", "sum |r°-r*|^2"), ("err_theta2", "sum dist^2(theta*, theta°)"),
                       ("spurious_mass", "spurious mass")):
        v = np.array([r[key] for r in study.rows])
        pos = v > 0
        if not pos.any():
            continue
        line, = ax.loglog(lam[pos], v[pos], "o", label=label)
        s = study.slopes[key]
        if s["n"] >= 2 and np.isfinite(s["slope"]):
            ax.loglog(lam, 10 ** (s["intercept"] + s["slope"] * np.log10(lam)), "-", color=line.get_color(),
                      label=f"fit slope {s['slope']:.2f}")
    _save(plt, fig, ax, "lam", f"Theorem 3.5: {study.verdict}", path)


def _plot_gd(study, path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    k = np.array(study.history["iter"])
    gap = np.array(study.history["gap"])
    fig, ax = plt.subplots(figsize=(6, 4.5))
    pos = gap > 0
    ax.semilogy(k[pos], gap[pos], "-", label="J_k - J_lower")
    ax.axhline(study.floor, color="gray", ls=":", label="resolved floor")
    if study.k0 is not None:
        ax.axvline(study.k0, color="k", ls="--", label=f"k0 = {study.k0}")
        kk = np.array([study.k0, study.k_end])
        g0 = gap[k == study.k0][0]
        ax.semilogy(kk, g0 * study.rate ** (kk - study.k0), "r-", label=f"rate {study.rate:.5f}")
    _save(plt, fig, ax, "iteration k", f"Theorem 4.8: {study.verdict} (phase 1 | phase 2 at k0)", path)


def _save(plt, fig, ax, xlabel: str, title: str, path) -> None:
    """Label, write the PNG atomically and close the figure (both plots)."""
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic_output(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)


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
            _plot_lam(st, args.plot)
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
            _plot_gd(st, args.plot)
    if args.plot:
        out.wrote("plot", args.plot)
    return {"figures": figures, "sizes": inst.sizes(), "seeds": {"instance_seed": inst.seed}}
