"""``blasso theory``: the main paper's predictions measured -- Theorem 3.5 (``lam``), Theorem 4.8 (``gd-rate``)
and what Theorem 3.5 becomes at finite n (``near-field``: the law of ``eta_V`` next to the atoms)."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from blasso.validation import BlassoInputError

from ._common import OutputSpec, add_data_arguments, float_type, format_table, int_type, load_data, resolve_lam

NAME = "theory"
HELP = ("measure the paper's predictions: Theorem 3.5 (squared errors O(m lam^2), 'lam'), Theorem 4.8 "
        "(linear local rate of Algorithm 1, 'gd-rate') and the near-field law of eta_V at finite n ('near-field')")

#: Default seconds of the conditions check per seed of ``near-field`` (d <= 3, d >= 4).
NEAR_FIELD_BUDGET = (60.0, 120.0)


def _n_list(text: str) -> list:
    """``--n``: one sample size, or (near-field) a comma-separated list such as ``100,1000,1e4``."""
    out = []
    for part in text.split(","):
        try:
            v = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer or a comma-separated list; got {text!r}") from None
        if not (v >= 1 and v == int(v)):
            raise argparse.ArgumentTypeError(f"must be integers >= 1; got {part!r} in {text!r}")
        out.append(int(v))
    return out


_n_list.__name__ = "integer list"


def _lam_list(text: str) -> list:
    """``--lams``: comma-separated positive numbers."""
    try:
        out = [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be comma-separated numbers; got {text!r}") from None
    if not all(math.isfinite(v) and v > 0 for v in out):
        raise argparse.ArgumentTypeError(f"must be finite numbers > 0; got {text!r}")
    return out


_lam_list.__name__ = "number list"


def add_arguments(p) -> None:
    p.add_argument("which", choices=("lam", "gd-rate", "near-field"),
                   help="lam: Theorem 3.5 over a decreasing lam sequence; gd-rate: Theorem 4.8 at --lam with --M units;"
                        " near-field: the law of eta_V next to the atoms over --n and --seeds (paper teacher)")
    add_data_arguments(p)
    for a in p._actions:                    # --n takes a list for near-field (lam, gd-rate: one value)
        if "--n" in a.option_strings:
            a.type, a.default = _n_list, [100]
            a.help = "number of samples (default 100); near-field: a comma-separated list, e.g. 100,1000,1e4"
    nf = p.add_argument_group("near-field")
    nf.add_argument("--seeds", type=int_type(), default=40, help="near-field: seeds 0..K-1 at every n (default 40)")
    nf.add_argument("--store", metavar="FILE.sqlite",
                    help="near-field: a sweep store to read and extend (missing seeds run as sweep tasks; resumable)")
    nf.add_argument("--workers", type=int_type(), default=1, help="near-field: processes with --store (default 1)")
    nf.add_argument("--cert-budget", type=float_type(minimum=0.0, strict=True), default=None,
                    help="near-field: seconds of the conditions check per seed (default 60 in d <= 3, 120 above)")
    nf.add_argument("--law-samples", type=int_type(minimum=0), default=None,
                    help="near-field: limit fields simulated per atom (default 4000 d = 2, 400 d = 3, 100 above)")
    nf.add_argument("--from-json", nargs="+", metavar="REPORT.json",
                    help="near-field: no new seeds; read these near-field reports (--json of earlier runs), recompute "
                         "rows, fits and checks from their per-seed records, and report and draw them together")
    p.add_argument("--lam", type=float_type(minimum=0.0, strict=True), default=None,
                   help="gd-rate: BLASSO regularisation (default: the instance's, else 1e-2)")
    p.add_argument("--M", type=int_type(), default=20, help="gd-rate: network width (default 20)")
    p.add_argument("--iters", type=int_type(), default=300_000, help="gd-rate: iteration budget (default 300000)")
    p.add_argument("--alpha", type=float_type(minimum=0.0, strict=True), default=None,
                   help="gd-rate: step constant of Algorithm 1 (default: auto, blasso.solvers.gd.choose_alpha)")
    p.add_argument("--lam-min", type=float_type(minimum=0.0, strict=True), default=1e-6,
                   help="lam: smallest lam (default 1e-6)")
    p.add_argument("--max-points", type=int_type(minimum=2), default=12, help="lam: at most this many lam (default 12)")
    p.add_argument("--lams", type=_lam_list, default=None, metavar="LIST",
                   help="lam: these lam values (comma-separated, e.g. 1e-3,1e-4,1e-5,1e-6) instead of the automatic list")
    p.add_argument("--cluster-radius", type=float_type(minimum=0.0, strict=True, maximum=180.0), default=None,
                   help="lam: degrees; atoms this close to a teacher atom form its cluster (default: 0.1 rad = 5.73)")
    p.add_argument("--no-basis-pursuit", action="store_true", help="lam: skip the exact lam = 0 problem")
    p.add_argument("--grid-size", type=int_type(), default=2000, help="lam: grid on which lam_max (and so the automatic lam list) is computed (default 2000)")
    p.add_argument("--time-budget", type=float_type(minimum=0.0, strict=True), default=None,
                   help="lam, gd-rate: seconds of each rigorous sup of the certified optimum (default 10)")
    p.add_argument("--conditions", action="store_true", help="lam: also decide conditions (10) for the teacher")
    p.add_argument("--plot", metavar="FILE.png",
                   help="write the plot to FILE.png (needs matplotlib; its folder must exist); near-field: a folder "
                        "(created if missing, not its parent) for near_field_fraction.png, near_field_margin_dD_mM.png, "
                        "near_field_zoom_dD_mM.png")


def _stems(combos: list) -> list:
    """``dD_mM`` per study, with ``_sK`` (seeds) added where two studies share d and m."""
    dup = {(d, m) for d, m, _ in combos if sum((d, m) == (e, f) for e, f, _ in combos) > 1}
    return [f"d{d}_m{m}" + (f"_s{k}" if (d, m) in dup else "") for d, m, k in combos]


def _near_field_members(args) -> tuple:
    combos = ([(s["d"], s["m"], s["seeds"]) for s in _load_reports(args.from_json)] if args.from_json
              else [(args.d, args.m, args.seeds)])
    return ("near_field_fraction.png",) + tuple(f"near_field_{k}_{s}.png" for s in _stems(combos)
                                                for k in ("margin", "zoom"))


def outputs(args) -> list:
    if not args.plot:
        return []
    if args.which == "near-field":
        return [OutputSpec("--plot", Path(args.plot), kind="dir", members=_near_field_members(args))]
    return [OutputSpec("--plot", Path(args.plot))]


def _g(v, fmt=".3e") -> str:
    return "-" if v is None else format(v, fmt)


def run(args, out) -> dict:
    from blasso.studies.theory import theory_gd_rate, theory_lam

    if args.which == "near-field":
        return _near_field(args, out)
    if len(args.n) != 1:
        raise BlassoInputError(f"--n takes one value for theory {args.which}; got {args.n}")
    args.n = args.n[0]
    args.time_budget = 10.0 if args.time_budget is None else args.time_budget
    inst = load_data(args)
    if args.which == "lam":
        st = theory_lam(inst, args.lams, lam_min=args.lam_min, max_points=args.max_points, grid_size=args.grid_size,
                        sup_budget=args.time_budget, check_conditions=args.conditions, seed=0,
                        cluster_radius=None if args.cluster_radius is None else math.radians(args.cluster_radius),
                        basis_pursuit=not args.no_basis_pursuit, progress=out.progress)
        _print_lam(st, inst, out)
        figures = {"which": "lam", **st.to_dict()}
        if args.plot:
            from blasso.plotting import save_figure
            from blasso.studies.plots import plot_theory_lam

            save_figure(plot_theory_lam(st, n=inst.n, d=inst.d), args.plot)
    else:
        lam = resolve_lam(args, inst, default=1e-2)
        st = theory_gd_rate(inst, lam, args.M, max_iter=args.iters, alpha="auto" if args.alpha is None else args.alpha,
                            sup_budget=args.time_budget, seed=0,
                            progress=out.progress)
        out.print(f"Theorem 4.8 on n={inst.n} d={inst.d} lam={lam:g} M={args.M} alpha={st.alpha:g}")
        out.print(f"J* in [{st.J_star[0]:.10e}, {st.J_star[1]:.10e}] (solve_certified, relative width "
                  f"{_g(st.J_rel_width, '.1e')}); GD: {st.iterations} iterations, J_final - J_upper = {st.gap_final:.3e}")
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


def _print_lam(st, inst, out) -> None:
    """The bound-(9) table, the support's structure per lam (and lam = 0), the three verdicts."""
    out.print(f"Theorem 3.5 on n={inst.n} d={inst.d} m={st.m}: certified optimum at each lam (lam_path)")
    rows = [[f"{r['lam']:.3e}", r["n_atoms"], r["n_matched"], _g(r["err_r2"]), _g(r["err_theta2"]),
             _g(r["spurious_mass"]), _g(r.get("rel_width"), ".1e")] for r in st.rows]
    out.print(format_table(rows, ["lam", "atoms", "matched", "sum|dr|^2", "sum dist^2", "spurious", "rel width"]))
    for k, s in st.slopes.items():
        out.print(f"slope {k}: {_g(s['slope'], '.3f')} (R^2 {_g(s['r2'], '.4f')}, {s['n']} points)"
                  + (f" -- {s['reason']}" if s["reason"] else ""))
    out.print(f"verdict (9): {st.verdict} -- {st.reason}")
    r_deg = math.degrees(st.tolerances["cluster_radius"])
    out.print(f"support against the teacher (clusters: atoms within {r_deg:.3g} deg; per cluster atoms/mass/radius "
              f"in units of 1/n):")
    bp = st.basis_pursuit
    allrows = st.rows + ([{"lam": 0.0, "support_atoms": bp["n_atoms"], **bp}] if bp else [])
    tab = []
    for r in allrows:
        cl = " | ".join(f"{c['count']}/{c['mass']:.7f}/{_g(None if c['radius'] is None else c['radius'] * inst.n, '.3g')}"
                        for c in r["clusters"])
        tab.append([f"{r['lam']:.1e}", r["support_atoms"], cl, _g(r["outside_mass"], ".1e"),
                    _g(r.get("flat_distance"), ".2e"), _g(r.get("rel_width", r.get("rel_gap")), ".1e")])
    out.print(format_table(tab, ["lam", "atoms", "clusters (atoms/mass/radius n)", "outside", "flat dist",
                                 "rel width"]))
    for k, v in st.verdicts.items():
        out.print(f"{k}: {v['status']} -- {v['reason']}")


# ------------------------------------------------------------------ near-field
def _load_reports(paths) -> list:
    """Near-field studies (dicts) from ``--json`` reports of earlier near-field runs."""
    out = []
    for path in paths:
        try:
            fig = json.loads(Path(path).read_text())["figures"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BlassoInputError(f"--from-json {str(path)!r}: not a blasso report ({type(exc).__name__})") from None
        if fig.get("which") != "near-field":
            raise BlassoInputError(f"--from-json {str(path)!r}: not a near-field report (figures.which = "
                                   f"{fig.get('which')!r})")
        out.extend(fig.get("studies", [fig]))
    return out


def _near_field_table(st) -> str:
    def g(v, fmt):
        return "-" if v is None else format(v, fmt)

    rows = [[r.n, r.seeds, f"{r.violating} = {r.violating_fraction:.3g} ({g(r.pred_violating_fraction, '.3g')})",
             f"{g(r.margin_median, '.2e')} ({g(r.pred_margin_median, '.1e')})", g(r.margin_q10, ".1e"),
             g(r.margin_q90, ".1e"), f"{g(r.angle_median_deg, '.3g')} ({g(r.pred_angle_median_deg, '.2g')})",
             g(r.far_margin_median, ".2e"), f"{r.far_certified}/{r.seeds}", r.inconclusive] for r in st.rows]
    return format_table(rows, ["n", "seeds", "violating (pred)", "margin median (pred)", "q10", "q90",
                               "angle deg (pred)", "far margin", "far certified", "inconcl."])


def _print_study(st, out) -> None:
    def g(v, fmt):
        return "-" if v is None else format(v, fmt)

    law = st.law
    out.print(f"near field, paper teacher d={st.d} m={st.m}: kappa_min = {law.kappa_min:.4f} (Poisson marks "
              f"{law.kappa_min_poisson:.4f}), sigma^2 = {law.sigma2:.3f}, s* = {law.s_star:.1f}/n"
              + (f", m = 1: P(violation) ~ {law.m1_constant:.3f}/sqrt(n)" if st.m == 1 else
                 f", limit P(violation) = {law.simulation.get('q', float('nan')):.3f}"))
    out.print(_near_field_table(st))
    for k, f in st.fits.items():
        if k == "fraction":
            est = "-" if f["estimate"] is None else f"{f['estimate']:.3g}"
            out.print(f"violation rate, {f['quantity']}: {est} [{f['ci'][0]:.3g}, {f['ci'][1]:.3g}] "
                      f"({f['violating']}/{f['seeds']} seeds); predicted {g(f['predicted'], '.3g')}")
        elif f["slope"] is None:
            out.print(f"fit {k}: none ({len(f['ns'])} near-field n values)")
        else:
            out.print(f"fit {k}: slope {f['slope']:.3f} [{f['ci'][0]:.3f}, {f['ci'][1]:.3f}] (R^2 {f['r2']:.4f}, "
                      f"n = {f['ns'][0]}..{f['ns'][-1]}; predicted {f['predicted_slope']:g})")
    out.print(f"law: {st.check['status']} -- {st.check['reason']}")


def _near_field(args, out) -> dict:
    from blasso.studies.near_field import near_field_study, study_from_dict

    if args.from_json:
        studies = [study_from_dict(s) for s in _load_reports(args.from_json)]
    else:
        budget = args.cert_budget or NEAR_FIELD_BUDGET[0 if args.d <= 3 else 1]
        studies = [near_field_study(args.d, args.m, args.n, args.seeds, store=args.store, workers=args.workers,
                                    cert_budget=budget, law_samples=args.law_samples, progress=out.progress)]
    for st in studies:
        _print_study(st, out)
    if args.plot:
        _near_field_plots(studies, Path(args.plot), out)
    one = studies[0].to_dict() if len(studies) == 1 else {"studies": [s.to_dict() for s in studies]}
    return {"figures": {"which": "near-field", **one}, "seeds": {"seeds": args.seeds}}


def _near_field_plots(studies, folder: Path, out) -> None:
    from blasso.plotting import save_figure
    from blasso.studies.near_field import plot_fraction, plot_margin

    from ._common import publish_dir

    def make(tmp):
        files = [save_figure(plot_fraction(studies), Path(tmp) / "near_field_fraction.png")]
        for st, stem in zip(studies, _stems([(s.d, s.m, s.seeds) for s in studies])):
            files.append(save_figure(plot_margin(st), Path(tmp) / f"near_field_margin_{stem}.png"))
            files.append(save_figure(_zoom(st, out).figure, Path(tmp) / f"near_field_zoom_{stem}.png"))
        return files

    for f in publish_dir(make, folder):
        out.wrote("plot", f)


def _zoom(st, out):
    """The zoom figure of a typical violating seed (median angle; within 10 degrees of an atom when there is one)
    at the n nearest 1e4 that has one."""
    from blasso.certificates.verdict import check_conditions
    from blasso.studies.near_field import _spec, plot_zoom
    from blasso.studies.sweep.tasks import build_instance

    near = math.radians(10.0)     # prefer a near-field violation, then any violation, then any worst point
    bad = [r for r in st.records if r["verdict"] == "fails" and r["angle"] is not None and r["angle"] < near] or \
        [r for r in st.records if r["verdict"] == "fails" and r["angle"] is not None] or \
        [r for r in st.records if r["angle"] is not None]
    n = min({r["n"] for r in bad}, key=lambda v: abs(math.log10(v) - 4.0))
    pick = sorted((r for r in bad if r["n"] == n), key=lambda r: r["angle"])
    rec = pick[len(pick) // 2]
    params = _spec(st.d, st.m, {n: [rec["seed"]]}, 60.0).tasks[0].params
    out.progress(f"near field: zoom on d = {st.d}, m = {st.m}, n = {n}, seed {rec['seed']}")
    inst = build_instance(params)
    res = check_conditions(inst.X, inst.teacher_measure(), time_budget=NEAR_FIELD_BUDGET[0 if st.d <= 3 else 1],
                           rng=int(inst.seed) % 2 ** 32)
    worst = res.violating_theta if res.violating_theta is not None else res.sup.theta_lo
    return plot_zoom(inst.X, inst.teacher_measure(), res.pre.p, worst, verdict=f"{res.verdict} (seed {rec['seed']})")
