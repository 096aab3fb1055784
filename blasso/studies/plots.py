"""Figures of ``blasso baseline --plot`` and ``blasso theory --plot`` (matplotlib imported lazily).

Each function draws one run's result into ``fig=None`` / ``ax=None`` and
returns the Figure / Axes; it writes nothing (the commands call
:func:`blasso.plotting.save_figure`).  The conventions are those of
:mod:`blasso.plotting`: a title with the instance and the verdict, a label on
every axis, one quantity per axis, a legend entry for every labelled line.
"""

from __future__ import annotations

import numpy as np

from blasso.plotting import instance_title, new_figure, place_legend

__all__ = ["plot_baseline", "plot_theory_lam", "plot_theory_gd_rate"]

_SYSTEMS = {"tensor-init": "tensor initialization + GD (Zhang et al. 2019)",
            "mild-overparam": "mild over-parameterization (Zhou, Ge, Jin 2021)",
            "abs-teacher": "|<w, x>| teacher (Li, Ma, Zhang 2020)"}


def _g(v, fmt=".3g") -> str:
    return "-" if v is None else format(v, fmt)


def _test_loss_bars(ax, rep: dict) -> None:
    """Held-out loss of the baseline, Algorithm 1 and the convex optimum, as bars (one quantity)."""
    names, vals, colors = [rep["baseline"]], [rep.get("test_loss")], ["C0"]
    if rep.get("algorithm1"):
        names.append(f"Algorithm 1 (M={rep['algorithm1']['M']})")
        vals.append(rep["algorithm1"].get("test_loss"))
        colors.append("C1")
    names.append("convex optimum")
    vals.append((rep.get("convex") or {}).get("test_loss"))
    colors.append("C2")
    keep = [(a, v, c) for a, v, c in zip(names, vals, colors) if v is not None and np.isfinite(v) and v > 0]
    if keep:
        ax.bar([k[0] for k in keep], [k[1] for k in keep], color=[k[2] for k in keep])
        ax.set_yscale("log")
    ax.set_ylabel("held-out loss 1/(2 n_test) sum (f - f°)^2")
    ax.set_xlabel("method (same data)")
    ax.tick_params(axis="x", labelsize=7, labelrotation=15)
    ax.set_title("test loss", fontsize=9)


def plot_baseline(rep: dict, *, sizes: dict | None = None, fig=None):
    """The figure of one ``blasso baseline`` run (:func:`blasso.studies.baselines.run_baseline`'s dict).

    * tensor-init: parameter error | training loss | test losses (three panels);
    * mild-overparam: training loss of the perturbed start | test losses;
    * abs-teacher: held-out loss of GD against the kernel baselines.

    Parameters
    ----------
    rep : dict
        The run's result.
    sizes : dict, optional
        ``n``, ``d``, ``m`` of the instance (default: ``rep``'s, when it has them).
    fig : Figure, optional
        An empty figure to draw into (default: a new one).

    Returns
    -------
    Figure
    """
    name = rep["baseline"]
    sz = {k: rep.get(k) for k in ("n", "d", "m")}
    sz.update({k: v for k, v in (sizes or {}).items() if k in ("n", "d", "m")})
    panels = {"tensor-init": 3, "mild-overparam": 2, "abs-teacher": 1}[name]
    if fig is None:
        fig = new_figure((max(10.0, 5.2 * panels + 1.0), 4.6), 1, panels)[0]
        axes = list(fig.axes)
    else:
        axes = list(np.atleast_1d(fig.subplots(1, panels)))
    if name == "tensor-init":
        e = np.array(rep["param_error_trace"], dtype=float)
        k = np.linspace(0, rep["iterations"], e.size)
        axes[0].semilogy(k, e, label="tensor init + GD")
        axes[0].set_ylabel("parameter error min_P ||W - P W*||_F / ||W*||_F")
        axes[0].set_title(f"parameter error: linear rate {_g(rep.get('rate'), '.4f')}, floor "
                          f"{_g(rep.get('param_error_final'))}", fontsize=9)
        tl = np.array(rep["train_loss_trace"], dtype=float)
        axes[1].semilogy(np.linspace(0, rep["iterations"], tl.size), tl, label="tensor init + GD")
        if rep.get("algorithm1") and rep["algorithm1"].get("train_loss"):
            axes[1].axhline(rep["algorithm1"]["train_loss"], color="C1", ls="--", lw=1,
                            label=f"Algorithm 1 (M={rep['algorithm1']['M']}), final")
        axes[1].set_ylabel("training loss")
        axes[1].set_title("training loss", fontsize=9)
        for ax in axes[:2]:
            ax.set_xlabel("iteration")
            place_legend(ax)
        _test_loss_bars(axes[2], rep)
    elif name == "mild-overparam":
        it = np.asarray(rep["loss_trace_iter"], dtype=float)
        axes[0].semilogy(it, np.maximum(np.asarray(rep["loss_trace"], dtype=float), 1e-300),
                         label=f"GD from a start perturbed by delta = {rep['delta']:g}")
        axes[0].set_xlabel("iteration")
        axes[0].set_ylabel("training loss")
        axes[0].set_title(f"k = {rep['k']} extra units; local radius {_g(rep.get('local_radius'))}", fontsize=9)
        place_legend(axes[0])
        _test_loss_bars(axes[1], rep)
    else:
        ax = axes[0]
        ax.semilogy(rep["trace_iter"], rep["test_loss_trace"], label="GD (|.| student) test loss")
        for key, lab, ls, col in (("test_loss_ntk", "NTK kernel ridge", "--", "C1"),
                                  ("test_loss_rf", "random-feature kernel ridge", ":", "C2"),
                                  ("test_loss_const", "best constant", "-.", "gray")):
            ax.axhline(rep[key], ls=ls, color=col, label=lab)
        if rep.get("algorithm1"):
            ax.axhline(rep["algorithm1"]["test_loss"], color="k", lw=0.8,
                       label=f"Algorithm 1 (M={rep['algorithm1']['M']}), final")
        if (rep.get("convex") or {}).get("test_loss") is not None:
            ax.axhline(rep["convex"]["test_loss"], color="C3", lw=0.8, ls=(0, (5, 1)), label="convex optimum")
        ax.set_xlabel("iteration")
        ax.set_ylabel("held-out loss 1/(2 n_test) sum (f - f°)^2")
        place_legend(ax)
    verdict = (rep.get("compare") or {}).get("verdict")
    fig.suptitle(instance_title(f"baseline {name}: {_SYSTEMS[name]}", n=sz["n"], d=sz["d"], m=sz["m"],
                                lam=rep.get("lam"),
                                verdict=None if verdict is None else f"{verdict} vs the convex optimum",
                                extra=f"recovered: {rep.get('recovered')}"), fontsize=10)
    return fig


def plot_theory_lam(study, *, n: int | None = None, d: int | None = None, fig=None):
    """Theorem 3.5: the squared errors and the spurious mass of the BLASSO optimum against lam, with their fits.

    One panel per quantity (log-log), each with its fitted slope (the theorem
    predicts 2 for both squared errors).

    Parameters
    ----------
    study : blasso.studies.theory.LamStudy
    n, d : int, optional
        The instance, for the title.
    fig : Figure, optional

    Returns
    -------
    Figure
    """
    quantities = (("err_r2", "sum |r°_j - r*_j|^2", "squared weight error"),
                  ("err_theta2", "sum dist^2(theta*_j, theta°_j) (rad^2)", "squared direction error"),
                  ("spurious_mass", "spurious mass (TV farther than 0.1 rad)", "spurious mass"))
    if fig is None:
        fig = new_figure((16, 4.6), 1, 3)[0]
        axes = list(fig.axes)
    else:
        axes = list(fig.subplots(1, 3))
    lam = np.array([r["lam"] for r in study.rows], dtype=float)
    for ax, (key, ylabel, what) in zip(axes, quantities):
        v = np.array([np.nan if r[key] is None else r[key] for r in study.rows], dtype=float)
        pos = v > 0
        if pos.any():
            line, = ax.loglog(lam[pos], v[pos], "o", label=what)
            s = study.slopes[key]
            if s["n"] >= 2 and s["slope"] is not None and np.isfinite(s["slope"]):
                ax.loglog(lam, 10 ** (s["intercept"] + s["slope"] * np.log10(lam)), "-", color=line.get_color(),
                          label=f"fit: slope {s['slope']:.2f} (R^2 {_g(s.get('r2'), '.3f')})")
        else:
            ax.set_xscale("log")
            if lam.size:
                ax.set_xlim(lam.min() / 1.5, lam.max() * 1.5)
            ax.text(0.5, 0.5, "zero at every lam", transform=ax.transAxes, ha="center")
        ax.set_xlabel("lam")
        ax.set_ylabel(ylabel)
        ax.set_title(what + (" (predicted slope 2)" if key != "spurious_mass" else ""), fontsize=9)
        place_legend(ax)
    fig.suptitle(instance_title("Theorem 3.5: the BLASSO optimum as lam -> 0", n=n, d=d, m=study.m,
                                verdict=f"bound (9) {study.verdict}"), fontsize=10)
    return fig


def plot_theory_gd_rate(study, *, n: int | None = None, d: int | None = None, lam: float | None = None,
                        M: int | None = None, ax=None):
    """Theorem 4.8: ``J_k - J_lower`` of Algorithm 1 against k, the resolved floor and the fitted linear phase.

    Parameters
    ----------
    study : blasso.studies.theory.GDRateStudy
    n, d, lam, M : optional
        The instance and the width, for the title.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    if ax is None:
        ax = new_figure((7.5, 4.8))[1]
    k = np.asarray(study.history["iter"], dtype=float)
    gap = np.asarray(study.history["gap"], dtype=float)
    pos = gap > 0
    ax.semilogy(k[pos], gap[pos], "-", label="J_k - J_lower (Algorithm 1)")
    ax.axhline(study.floor, color="gray", ls=":", label="floor resolved by the J* bracket")
    if study.k0 is not None:
        ax.axvline(study.k0, color="k", ls="--", label=f"k0 = {study.k0} (start of phase 2)")
        kk = np.array([study.k0, study.k_end], dtype=float)
        g0 = gap[k == study.k0][0]
        ax.semilogy(kk, g0 * study.rate ** (kk - study.k0), "r-", label=f"linear fit: rate {study.rate:.5f}")
    ax.set_xlabel("iteration k")
    ax.set_ylabel("J_k - J_lower")
    ax.set_title(instance_title("Theorem 4.8: linear local rate of Algorithm 1", n=n, d=d, lam=lam, M=M,
                                verdict=study.verdict, extra=f"alpha={study.alpha:g}"), fontsize=9)
    place_legend(ax)
    return ax
