"""Reproductions of the paper's Figs. 1-3 (Section 5) against the convex ground truth.

Each ``figN`` function runs Algorithm 1, computes the convex reference
(Figs. 1-2: the certified optimum of :func:`blasso.studies.ground_truth.ground_truth`,
column generation over activation cells with a verified bracket for J*;
Fig. 3: :func:`blasso.solvers.refine.convex_reference`, grid LASSO + off-grid
refinement, an upper bound on J*), writes ``figN.png`` (matplotlib, imported
lazily) and ``figN.json`` into ``out_dir``, and returns a summary whose
``claims`` are a few lines saying whether the paper's claim holds on this run,
with the tolerance used.

* Fig. 1: d = 2, m = 2 (teacher ``theta° = e1, e2``, ``r° = 1``), n = 100,
  M = 15: paths of the units' measure atoms ``a_j w_j = c_j theta_j`` in the
  plane, teacher and convex optimum overlaid.
* Fig. 2: m = d = 5, n = 100, M in (5, 10, 100): training objective J and
  test loss ``1/(2 n_test) ||f - f°||^2`` (fresh inputs) against iterations,
  with J* as a line.
* Fig. 3: L1 vs L2 penalty, m = d = 5, n = 100, M = 10, same initialisation
  and alpha: loss curves side by side, flat distance between final measures.

The paper gives neither lam nor alpha nor the number of iterations; the
defaults here are lam = 1e-3, ``alpha = "auto"`` (:func:`blasso.solvers.gd.choose_alpha`)
and iteration counts that fit a few minutes on 2 cores.

``quick=True`` (``blasso reproduce --quick``) runs all three figures in about a
minute on the project's 2-core machine with the reductions of :data:`QUICK`
(fewer iterations, smaller grids; the certified optimum is the same); each summary says what
was reduced (``quick``, ``reduced``).  :func:`estimate_seconds` is the cost
model behind the estimates announced before long runs.

Each figure is drawn from its summary alone (``plot_fig1(summary)``, ...: the
``figN.json`` file read back works too); the plotting functions take
``ax=None`` / ``fig=None`` and return the Axes / Figure, and only
:func:`_finish` writes files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..instance import make_instance
from ..plotting import instance_title, new_figure, place_legend, save_figure
from ..progress import announce_estimate, as_progress, format_seconds
from ..report import write_json_atomic
from ..sphere import make_grid, random_sphere
from .compare import compare_measures, flat_distance

__all__ = ["FIGURES", "DEFAULTS", "QUICK", "fig1", "fig2", "fig3", "plot_fig1", "plot_fig2", "plot_fig3",
           "reproduce", "reproduce_figures", "estimate_seconds", "settings"]

FIGURES = ("fig1", "fig2", "fig3")

#: The full runs' settings per figure (``grid_size``: the grid of the reported grid optimum ``J_grid``,
#: ``sup_budget``: seconds of each rigorous sup of the certified optimum).
DEFAULTS = {"fig1": {"iters": 100000, "grid_size": 3600, "sup_budget": 20.0},
            "fig2": {"iters": 200000, "grid_size": 10000, "sup_budget": 20.0},
            "fig3": {"iters": 100000, "grid_size": 10000, "sup_budget": 20.0}}

#: ``--quick``: what is reduced (fig2's M = 100 run is within 2e-3 of J* after ~20000 iterations).
QUICK = {"fig1": {"iters": 30000},
         "fig2": {"iters": 30000, "grid_size": 4000},
         "fig3": {"iters": 30000, "grid_size": 4000}}

_SIZES = {"fig1": (100, 2, (15,)), "fig2": (100, 5, (5, 10, 100)), "fig3": (100, 5, (10, 10))}


def settings(name: str, *, quick: bool = False, **kw) -> dict:
    """The settings a figure runs with: :data:`DEFAULTS`, then :data:`QUICK` if ``quick``, then ``kw`` (not None)."""
    out = dict(DEFAULTS[name])
    if quick:
        out.update(QUICK[name])
    out.update({k: v for k, v in kw.items() if k in out and v is not None})
    return out


def reduced(name: str, used: dict) -> list[str]:
    """What differs from the full run, as ``"iters 30000 (full 200000)"`` items."""
    return [f"{k} {used[k]:g} (full {v:g})" for k, v in DEFAULTS[name].items() if used.get(k) != v]


def estimate_seconds(name: str, *, quick: bool = False, **kw) -> float:
    """Cost model of one figure (seconds on the project's 2-core machine).

    A fixed 4 s (instance, comparison of the final measures, the figure);
    the convex reference: a grid LASSO (~1 s per 4000 directions) and the
    certified optimum (:func:`blasso.solvers.colgen.colgen_seconds`).  Algorithm 1:
    the alpha probe (5 candidates x 2000 iterations; Fig. 3 probes both
    penalties) and each run, :func:`blasso.solvers.gd.gd_seconds`.
    """
    from blasso.solvers.colgen import colgen_seconds
    from blasso.solvers.gd import gd_seconds

    st = settings(name, quick=quick, **kw)
    n, d, widths = _SIZES[name]
    t = 4.0 + st["grid_size"] / 4000 + colgen_seconds(n, d)
    if name == "fig3":
        t += gd_seconds(n, d, widths[0], 10000)         # the L2 alpha probe
    for M in widths:
        t += gd_seconds(n, d, M, 10000 + st["iters"])
    return t


def _finish(fig, out_dir: Path, name: str, summary: dict, convex) -> dict:
    """Save ``name.png`` and ``name.json`` atomically; return the summary.

    The returned summary also carries ``_convex_measure`` (the convex reference,
    a :class:`blasso.measure.Measure`), which is not written to the JSON file,
    and ``_figure`` (the matplotlib Figure).
    """
    save_figure(fig, out_dir / f"{name}.png")
    write_json_atomic(out_dir / f"{name}.json", summary)
    return {**summary, "_convex_measure": convex, "_figure": fig}


def _claim_word(holds) -> str:
    return "claim HOLDS" if holds else "claim does NOT hold"


def _run_note(summary: dict) -> str:
    note = f"seed {summary['seed']}, {summary['iters']} iterations"
    return note + (", QUICK run (reduced)" if summary.get("quick") else "")


def _reference(inst, lam, grid_size, say, seed: int = 0, sup_budget: float = 20.0):
    """The certified optimum (column generation, bracket for J*) and ``J_grid`` on the ``auto`` grid."""
    from .ground_truth import ground_truth

    grid = make_grid("auto", grid_size, inst.d)
    say(f"convex reference: the certified optimum (column generation; J_grid on {grid.describe()}) ...")
    return ground_truth(inst.X, inst.y, lam, grid, sup_budget=max(5.0, sup_budget), check_unique=False, progress=say)


def _bracket_line(ref) -> str:
    if ref.J_lower is None:
        return f"J* <= {ref.J:.10g} (upper bound only)"
    return (f"certified bracket {ref.J_lower:.10g} <= J* <= {ref.J:.10g} "
            f"(relative width {(ref.J - ref.J_lower) / ref.J:.1e})")


def _alpha(alpha, inst, lam, init, penalty="l1"):
    from blasso.solvers.gd import choose_alpha
    if alpha == "auto":
        pick = choose_alpha(inst.X, inst.y, lam, init=init, penalty=penalty)
        return pick["alpha"], pick
    return float(alpha), None


def _iters_to(trace, level):
    """First traced iteration with J <= level (None if never)."""
    hit = np.flatnonzero(np.asarray(trace["J"]) <= level)
    return int(trace["iter"][hit[0]]) if hit.size else None


# ----------------------------------------------------------------------------- Fig. 1
def fig1(out_dir, *, seed: int = 0, lam: float = 1e-3, M: int = 15, iters: int | None = None, alpha="auto",
         grid_size: int | None = None, sup_budget: float | None = None,
         quick: bool = False, progress=None) -> dict:
    """Fig. 1: unit trajectories in d = 2 (m = 2 canonical teacher, n = 100, M = 15).

    ``iters``, ``grid_size``, ``sup_budget``: default :data:`DEFAULTS` (or :data:`QUICK` with ``quick``).
    """
    from blasso.solvers.gd import init_network, run_gd

    say = as_progress(progress)
    st = settings("fig1", quick=quick, iters=iters, grid_size=grid_size, sup_budget=sup_budget)
    iters = st["iters"]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    inst = make_instance(teacher="paper", n=100, d=2, m=2, seed=seed, basis="canonical")
    ref = _reference(inst, lam, st["grid_size"], say, seed=seed, sup_budget=st["sup_budget"])
    init = init_network(M, 2, seed)
    alpha, pick = _alpha(alpha, inst, lam, init)
    say(f"Algorithm 1, M={M}, alpha={alpha:g}, {iters} iterations ...")
    res = run_gd(inst.X, inst.y, lam, init=init, alpha=alpha, max_iter=iters, n_trace=400, record_units=True,
                 progress=say)
    cmp = compare_measures(res.measure(), ref.measure, inst.X, inst.y, lam, J_nu=res.J, J_ref=ref.J, rng=seed)
    teacher = inst.teacher_measure()
    c_fin = np.abs(res.a) * np.linalg.norm(res.W, axis=1)
    alive = c_fin > 1e-3 * c_fin.max()
    th0 = init[1] / np.linalg.norm(init[1], axis=1, keepdims=True)
    ang0 = np.degrees(np.arccos(np.clip((th0 @ teacher.theta.T).max(axis=1), -1, 1)))
    th_f = res.W / np.maximum(np.linalg.norm(res.W, axis=1, keepdims=True), 1e-300)
    angf = np.degrees(np.arccos(np.clip((th_f @ teacher.theta.T).max(axis=1), -1, 1)))
    pos = init[0] > 0
    # claim: surviving units end at teacher atoms; units far from any teacher atom vanish
    near_end = bool(np.all(angf[alive] < 5.0))
    vanish_far = bool(np.all(~alive[(ang0 > 45.0)])) if np.any(ang0 > 45.0) else True
    claims = [
        f"{int(alive.sum())} of {M} units survive (|c_j| > 1e-3 max); all within 5 deg of a teacher atom: "
        f"{'yes' if near_end else 'no'} (max {angf[alive].max():.2f} deg)",
        f"units starting more than 45 deg from every teacher atom vanish: {'yes' if vanish_far else 'no'}; "
        f"negative-weight units alive at the end: {int((alive & ~pos).sum())}",
        f"final J = {res.J:.8g}; {_bracket_line(ref)}; relative gap {cmp['objective_gap_rel']:.2e}; "
        f"comparison verdict {cmp['verdict']}; claim {'HOLDS' if near_end and vanish_far else 'does NOT hold'}",
    ]
    summary = {"figure": "fig1", "n": 100, "d": 2, "m": 2, "M": M, "lam": lam, "seed": seed, "alpha": alpha,
               "alpha_auto": pick, "iters": res.n_iter, "J_gd": res.J, "J_convex": ref.J, "J_lower": ref.J_lower,
               "J_grid": ref.J_grid,
               "objective_gap_rel": cmp["objective_gap_rel"], "verdict": cmp["verdict"],
               "distance_rel": cmp["distance_rel"], "alive": alive, "init_angle_to_teacher_deg": ang0,
               "final_angle_to_teacher_deg": angf, "sign_flips": res.info["sign_flips"], "claims": claims,
               "claim_holds": bool(near_end and vanish_far),
               "convex_theta": ref.measure.theta, "convex_c": ref.measure.c, "gd_wall_s": res.wall_s,
               "teacher_theta": teacher.theta, "teacher_c": teacher.c,
               "quick": bool(quick), "settings": st, "reduced": reduced("fig1", st),
               "trace": {"iter": res.trajectory["iter"], "a": res.trajectory["a"], "W": res.trajectory["W"]}}
    fig, ax = new_figure((9.5, 5.8))
    plot_fig1(summary, ax=ax)
    return _finish(fig, out_dir, "fig1", summary, ref.measure)


def plot_fig1(summary: dict, *, ax=None):
    """Fig. 1 from its summary (or ``fig1.json``): the paths of ``a_j w_j`` in the plane, teacher, convex optimum.

    Parameters
    ----------
    summary : dict
        What :func:`fig1` returns / writes (``trace`` with ``a`` (T, M) and ``W`` (T, M, 2)).
    ax : Axes, optional
        Default: a new figure.

    Returns
    -------
    Axes
    """
    if ax is None:
        ax = new_figure((9.5, 5.8))[1]
    tr = summary["trace"]
    P = np.asarray(tr["a"], dtype=float)[:, :, None] * np.asarray(tr["W"], dtype=float)   # c_j theta_j = a_j w_j
    pos = np.asarray(tr["a"], dtype=float)[0] > 0                      # sign of a_j at initialisation
    for j in range(P.shape[1]):
        lab = "_nolegend_"
        if j == int(np.argmax(pos)) and pos.any():
            lab = "path of a unit with a_j > 0"
        elif j == int(np.argmax(~pos)) and (~pos).any():
            lab = "path of a unit with a_j < 0"
        ax.plot(P[:, j, 0], P[:, j, 1], "-", lw=0.8, color="tab:blue" if pos[j] else "tab:green", alpha=0.7,
                label=lab)
    ax.plot(P[0, :, 0], P[0, :, 1], "+", color="orange", ms=10, ls="none", label="units at initialisation")
    ax.plot(P[-1, :, 0], P[-1, :, 1], "o", mfc="none", color="red", ms=8, ls="none",
            label=f"units after {summary['iters']} iterations")
    tm = np.asarray(summary["teacher_c"], dtype=float)[:, None] * np.asarray(summary["teacher_theta"], dtype=float)
    ax.plot(tm[:, 0], tm[:, 1], "*", color="k", ms=14, ls="none", label="teacher atoms c°_j theta°_j")
    rm = np.asarray(summary["convex_c"], dtype=float)[:, None] * np.asarray(summary["convex_theta"], dtype=float)
    ax.plot(rm[:, 0], rm[:, 1], "x", color="purple", ms=9, ls="none", label="convex optimum atoms c_k theta_k")
    t = np.linspace(0, 2 * np.pi, 200)
    ax.plot(np.cos(t), np.sin(t), ":", color="grey", lw=0.6, label="unit circle (teacher weight 1)")
    ax.set_aspect("equal")
    ax.set_xlabel("first coordinate of a_j w_j")
    ax.set_ylabel("second coordinate of a_j w_j")
    ax.set_title(instance_title("Fig. 1: units a_j w_j under Algorithm 1", n=summary["n"], d=summary["d"],
                                m=summary["m"], lam=summary["lam"], M=summary["M"],
                                verdict=_claim_word(summary.get("claim_holds")), extra=_run_note(summary)),
                 fontsize=9)
    place_legend(ax)
    return ax


# ----------------------------------------------------------------------------- Fig. 2
def fig2(out_dir, *, seed: int = 0, lam: float = 1e-3, widths=(5, 10, 100), iters: int | None = None, alpha="auto",
         grid_size: int | None = None, n_test: int = 2000,
         sup_budget: float | None = None, quick: bool = False, progress=None) -> dict:
    """Fig. 2: training objective and test loss against iterations for M in ``widths``.

    ``iters``, ``grid_size``, ``sup_budget``: default :data:`DEFAULTS` (or :data:`QUICK` with ``quick``).
    """
    from blasso.solvers.gd import init_network, run_gd

    say = as_progress(progress)
    st = settings("fig2", quick=quick, iters=iters, grid_size=grid_size, sup_budget=sup_budget)
    iters = st["iters"]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    inst = make_instance(teacher="paper", n=100, d=5, m=5, seed=seed)
    ref = _reference(inst, lam, st["grid_size"], say, seed=seed, sup_budget=st["sup_budget"])
    Xt = random_sphere(n_test, 5, np.random.default_rng([seed, 2]))
    yt = inst.teacher_measure().evaluate(Xt)
    rt = ref.measure.evaluate(Xt) - yt
    test_ref = float(rt @ rt) / (2 * n_test)
    runs = {}
    for M in widths:
        init = init_network(M, 5, seed)
        alpha_M, pick = _alpha(alpha, inst, lam, init)
        say(f"Algorithm 1, M={M}, alpha={alpha_M:g}, {iters} iterations ...")
        res = run_gd(inst.X, inst.y, lam, init=init, alpha=alpha_M, max_iter=iters, n_trace=300, progress=say,
                     X_test=Xt, y_test=yt)
        tr = res.trace
        gap = (res.J - ref.J) / ref.J
        runs[M] = {"alpha": alpha_M, "alpha_auto": pick, "J_final": res.J, "gap_rel": gap,
                   "datafit_final": float(tr["datafit"][-1]), "test_loss_final": float(tr["test_loss"][-1]),
                   "iters_to_1e-2": _iters_to(tr, ref.J * 1.01), "iters_to_1e-3": _iters_to(tr, ref.J * 1.001),
                   "active_final": int(tr["active"][-1]), "sign_flips": res.info["sign_flips"],
                   "wall_s": res.wall_s, "trace": {k: tr[k] for k in ("iter", "J", "datafit", "test_loss")}}
        say(f"M={M}: J = {res.J:.8g}, gap {gap:.2e}, test loss {tr['test_loss'][-1]:.3e}")
    big, small = max(widths), min(widths)
    holds = runs[big]["gap_rel"] <= 2e-3 and runs[small]["gap_rel"] >= 1e-2
    claims = [f"M={M}: J = {r['J_final']:.8g}, relative gap to J* {r['gap_rel']:.2e} after {iters} iterations "
              f"(within 1e-2 at iteration {r['iters_to_1e-2']}, within 1e-3 at {r['iters_to_1e-3']}); "
              f"train datafit {r['datafit_final']:.2e}, test loss {r['test_loss_final']:.2e}"
              for M, r in runs.items()]
    claims.append(f"convex optimum: {_bracket_line(ref)}; {len(ref.measure)} atoms; its test loss {test_ref:.2e}")
    claims.append(f"claim 'M={big} reaches the optimum, M={small} does not' (gap <= 2e-3 vs >= 1e-2): "
                  f"{'HOLDS' if holds else 'does NOT hold'} on this run")
    summary = {"figure": "fig2", "n": 100, "d": 5, "m": 5, "lam": lam, "seed": seed, "iters": iters,
               "J_convex": ref.J, "J_lower": ref.J_lower, "J_grid": ref.J_grid, "convex_atoms": len(ref.measure),
               "test_loss_convex": test_ref, "n_test": n_test,
               "runs": runs, "claim_holds": holds, "claims": claims,
               "quick": bool(quick), "settings": st, "reduced": reduced("fig2", st)}
    fig = plot_fig2(summary)
    return _finish(fig, out_dir, "fig2", summary, ref.measure)


def plot_fig2(summary: dict, *, fig=None):
    """Fig. 2 from its summary (or ``fig2.json``): J, its gap to the convex optimum and the test loss vs iterations.

    Three panels, one quantity each, log-log, one line per width M.

    Parameters
    ----------
    summary : dict
        What :func:`fig2` returns / writes (``runs`` with their ``trace``).
    fig : Figure, optional
        An empty figure to draw into (default: a new one).

    Returns
    -------
    Figure
    """
    if fig is None:
        fig = new_figure((16, 4.8), 1, 3)[0]
        axes = fig.axes
    else:
        axes = fig.subplots(1, 3)
    J_ref = summary["J_convex"]
    for M, r in summary["runs"].items():
        tr = r["trace"]
        it = np.maximum(np.asarray(tr["iter"], dtype=float), 1)
        J = np.asarray(tr["J"], dtype=float)
        axes[0].loglog(it, J, label=f"Algorithm 1, M={M}")
        axes[1].loglog(it, np.maximum(J / J_ref - 1, 1e-12), label=f"Algorithm 1, M={M}")
        axes[2].loglog(it, np.asarray(tr["test_loss"], dtype=float), label=f"Algorithm 1, M={M}")
    axes[0].axhline(J_ref, color="k", ls="--", lw=1, label="convex optimum (upper end of the J* bracket)")
    axes[1].axhline(2e-3, color="gray", ls=":", lw=1, label="claim threshold 2e-3")
    axes[2].axhline(summary["test_loss_convex"], color="k", ls="--", lw=1, label="convex optimum")
    axes[0].set_ylabel("training objective J")
    axes[1].set_ylabel("relative gap J / J_convex - 1")
    axes[2].set_ylabel("test loss")
    titles = ("training objective J (BLASSO objective of the network)",
              "relative gap to the convex optimum (floored at 1e-12)",
              f"test loss 1/(2 n_test) sum (f - f°)^2, n_test={summary.get('n_test', 2000)}")
    for ax, what in zip(axes, titles):
        ax.set_xlabel("iteration")
        ax.set_title(what, fontsize=9)
        place_legend(ax)
    fig.suptitle(instance_title("Fig. 2: Algorithm 1 with M units vs the convex optimum", n=summary["n"],
                                d=summary["d"], m=summary["m"], lam=summary["lam"],
                                verdict=_claim_word(summary.get("claim_holds")), extra=_run_note(summary)),
                 fontsize=10)
    return fig


# ----------------------------------------------------------------------------- Fig. 3
def fig3(out_dir, *, seed: int = 0, lam: float = 1e-3, M: int = 10, iters: int | None = None, alpha="auto",
         grid_size: int | None = None, sup_budget: float | None = None,
         quick: bool = False, progress=None) -> dict:
    """Fig. 3: L1 vs L2 penalty from the same initialisation and alpha (m = d = 5, n = 100, M = 10).

    ``iters``, ``grid_size``, ``sup_budget``: default :data:`DEFAULTS` (or :data:`QUICK` with ``quick``).
    """
    from blasso.solvers.gd import init_network, run_gd

    say = as_progress(progress)
    st = settings("fig3", quick=quick, iters=iters, grid_size=grid_size, sup_budget=sup_budget)
    iters = st["iters"]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    inst = make_instance(teacher="paper", n=100, d=5, m=5, seed=seed)
    ref = _reference(inst, lam, st["grid_size"], say, seed=seed, sup_budget=st["sup_budget"])
    init = init_network(M, 5, seed)
    alpha, pick = _alpha(alpha, inst, lam, init)
    if pick is not None:  # the alpha must be stable for both penalties
        a2, _ = _alpha("auto", inst, lam, init, penalty="l2")
        alpha = min(alpha, a2)
    runs = {}
    for pen in ("l1", "l2"):
        say(f"Algorithm 1, penalty {pen}, M={M}, alpha={alpha:g}, {iters} iterations ...")
        runs[pen] = run_gd(inst.X, inst.y, lam, init=init, penalty=pen, alpha=alpha, max_iter=iters, n_trace=300,
                           progress=say)
    r1, r2 = runs["l1"], runs["l2"]
    J1, J2 = r1.trace["J"], r2.trace["J"]
    rel_curve = np.abs(J1 - J2) / np.minimum(J1, J2)
    late = r1.trace["iter"] >= 100
    dist = flat_distance(r2.measure(), r1.measure())
    cmp = compare_measures(r2.measure(), r1.measure(), inst.X, inst.y, lam, J_nu=r2.J, J_ref=r1.J, rng=seed)
    holds = float(rel_curve[late].max()) <= 0.1 and cmp["distance_rel"] <= 0.05
    k_max = int(r1.trace["iter"][int(np.argmax(rel_curve))])
    claims = [
        f"J along the run: max relative difference L1 vs L2 {rel_curve.max():.2e} at iteration {k_max} (after "
        f"iteration 100: {rel_curve[late].max():.2e}); final J: L1 {r1.J:.8g}, L2 {r2.J:.8g} (J* <= {ref.J:.8g}); "
        f"final F: L1 {r1.F:.6g}, L2 {r2.F:.6g}",
        f"final measures: flat distance {dist:.3e} ({cmp['distance_rel']:.3e} TV), verdict {cmp['verdict']}; "
        f"F_L2 - J = {r2.F - r2.J:.3e} (dead units keep ||w_j||: eta_j -> 0 freezes them)",
        f"claim 'L1 and L2 give almost the same trajectory' (curves within 10% after iteration 100, final "
        f"measures within 0.05 TV): {'HOLDS' if holds else 'does NOT hold'} on this run",
    ]
    summary = {"figure": "fig3", "n": 100, "d": 5, "m": 5, "M": M, "lam": lam, "seed": seed, "alpha": alpha,
               "alpha_auto": pick, "iters": iters, "J_convex": ref.J, "J_l1": r1.J, "J_l2": r2.J, "F_l2": r2.F,
               "max_rel_curve_diff": float(rel_curve.max()), "max_rel_curve_diff_iter": k_max,
               "F_l1": r1.F, "max_rel_curve_diff_after_100": float(rel_curve[late].max()),
               "distance": dist, "distance_rel": cmp["distance_rel"], "verdict": cmp["verdict"],
               "sign_flips": {"l1": r1.info["sign_flips"], "l2": r2.info["sign_flips"]},
               "claim_holds": holds, "claims": claims,
               "quick": bool(quick), "settings": st, "reduced": reduced("fig3", st),
               "trace": {"iter": r1.trace["iter"], "J_l1": J1, "J_l2": J2, "F_l1": r1.trace["F"], "F_l2": r2.trace["F"]}}
    fig = plot_fig3(summary)
    return _finish(fig, out_dir, "fig3", summary, ref.measure)


def plot_fig3(summary: dict, *, fig=None):
    """Fig. 3 from its summary (or ``fig3.json``): objective values under the L1 and the L2 penalty vs iterations.

    Two panels (L1, L2) sharing the objective axis: the network loss F, the
    BLASSO objective J of its measure, and the convex optimum's J.

    Parameters
    ----------
    summary : dict
        What :func:`fig3` returns / writes (``trace`` with ``F_l1``, ``J_l1``, ``F_l2``, ``J_l2``).
    fig : Figure, optional
        An empty figure to draw into (default: a new one).

    Returns
    -------
    Figure
    """
    if fig is None:
        fig = new_figure((12, 4.8), 1, 2, sharey=True)[0]
        axes = fig.axes
    else:
        axes = fig.subplots(1, 2, sharey=True)
    tr = summary["trace"]
    it = np.maximum(np.asarray(tr["iter"], dtype=float), 1)
    for ax, pen in zip(axes, ("l1", "l2")):
        ax.loglog(it, np.asarray(tr[f"F_{pen}"], dtype=float), label=f"network loss F ({pen.upper()} penalty)")
        ax.loglog(it, np.asarray(tr[f"J_{pen}"], dtype=float), "--", label="BLASSO objective J of its measure")
        ax.axhline(summary["J_convex"], color="k", ls=":", lw=1, label="convex optimum J (upper bound on J*)")
        ax.set_title(f"{pen.upper()} penalty, M={summary['M']}, alpha={summary['alpha']:g}", fontsize=9)
        ax.set_xlabel("iteration")
        ax.set_ylabel("objective value")
        place_legend(ax)
    fig.suptitle(instance_title("Fig. 3: L1 vs L2 penalty from the same start", n=summary["n"], d=summary["d"],
                                m=summary["m"], lam=summary["lam"], M=summary["M"],
                                verdict=_claim_word(summary.get("claim_holds")), extra=_run_note(summary)),
                 fontsize=10)
    return fig


def reproduce(which: str, out_dir, **kw) -> dict:
    """Run ``fig1``, ``fig2`` or ``fig3`` (keyword arguments passed through)."""
    from ..validation import check_choice
    which = check_choice(which, FIGURES, name="figure")
    return {"fig1": fig1, "fig2": fig2, "fig3": fig3}[which](out_dir, **kw)


def _without_traces(summary: dict) -> dict:
    out = {k: v for k, v in summary.items() if k not in ("trace", "_figure")}
    if "runs" in out:
        out["runs"] = {M: {k: v for k, v in r.items() if k != "trace"} for M, r in out["runs"].items()}
    return out


def reproduce_figures(which, out_dir, *, progress=None, **kw) -> dict:
    """Run several figures in order; return ``{name: summary}`` without the per-iteration traces.

    Parameters
    ----------
    which : iterable of str
        Names from :data:`FIGURES`.
    out_dir : str or Path
        Folder for ``figN.png`` and ``figN.json`` (full traces are in the JSON files).
    progress : callable, optional
        A :mod:`blasso.progress` hook (``"reproduce figures"`` bar, plus each figure's messages).
    **kw
        Passed to every figure function (``seed``, ``lam``, ``alpha``, ``iters``, ``grid_size``,
        ``sup_budget``, ``quick``).  A step expected to exceed 30 s is announced
        first (:func:`estimate_seconds`).

    Returns
    -------
    dict
    """
    say = as_progress(progress)
    names = list(which)
    quick = bool(kw.get("quick"))
    est_kw = {k: kw.get(k) for k in ("iters", "grid_size", "sup_budget")}
    est = {name: estimate_seconds(name, quick=quick, **est_kw) for name in names}
    if len(names) > 1:
        announce_estimate(say, f"reproduce {', '.join(names)}{' (quick)' if quick else ''}", sum(est.values()),
                          "cost model blasso.studies.reproduce.estimate_seconds: "
                          + ", ".join(f"{n} ~{format_seconds(t)}" for n, t in est.items()))
    done = {}
    for k, name in enumerate(names):
        say("reproduce figures", k, len(names))
        say(f"{name}: running ...")
        announce_estimate(say, f"{name}{' (quick)' if quick else ''}", est[name],
                          "cost model blasso.studies.reproduce.estimate_seconds")
        done[name] = _without_traces(reproduce(name, out_dir, progress=say, **kw))
    say("reproduce figures", len(names), len(names))
    return done
