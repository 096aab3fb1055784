"""Plots of certificates (matplotlib is imported lazily: install the ``plot`` extra).

* d = 2: ``eta_V`` (and the grid dual's ``eta``) over the circle, with the atoms
  and the violating direction (:func:`plot_circle`);
* d = 3: ``eta_V`` on a longitude/latitude map of the sphere, in degrees, with a
  colour scale that covers the map and the rigorous sup (:func:`plot_sphere_map`);
* any d: the margin curve ``1 - max |eta_V|`` outside balls of radius r, r in
  degrees (:func:`plot_margin_curve`).

Each plotting function takes ``ax=None`` and returns the Axes; none writes a
file.  :func:`report_figures` builds the figures of a
:class:`blasso.certificates.verdict.CertifyReport` (titled with the verdict and
the instance: n, d, m, lam), :func:`plot_report` writes them as PNG
(:func:`blasso.plotting.save_figure`, atomic).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from blasso.features import eta as eta_direct
from blasso.plotting import axes_or_new, instance_title, new_figure, place_legend, proxy_line, save_figure

__all__ = ["plot_circle", "plot_sphere_map", "plot_margin_curve", "report_title", "report_figures", "plot_report"]

#: Marker styles of the atoms by sign of their weight, and of the violating direction.
_ATOM_STYLE = {1: dict(marker="*", color="tab:green", ms=12, mec="k", mew=0.5),
               -1: dict(marker="v", color="tab:purple", ms=9, mec="k", mew=0.5)}
_MARK_STYLE = dict(marker="X", color="k", ms=9, mfc="yellow", mew=1.0, ls="none")


def _signs(atoms, signs) -> np.ndarray:
    k = 0 if atoms is None else len(atoms)
    return np.ones(k) if signs is None else np.sign(np.asarray(signs, dtype=float)).reshape(k)


def _atom_label(s: int) -> str:
    return f"target atom (weight {'> 0' if s > 0 else '< 0'})"


def plot_circle(X, curves: dict, atoms: np.ndarray | None = None, mark=None, *, signs=None, ax=None,
                title: str | None = None, n_points: int = 20000):
    """``eta_p(t)`` for each ``{label: p}`` over the direction angle t of the circle (d = 2), t in degrees.

    Parameters
    ----------
    X : ndarray (n, 2)
        The samples.
    curves : dict
        ``{legend label: p}``, dual vectors of length n.
    atoms : ndarray (k, 2), optional
        Atom directions, drawn as vertical lines styled by the sign of ``signs``.
    mark : (3,) array, optional
        ``(theta_1, theta_2, eta)`` of a violating direction.
    signs : ndarray (k,), optional
        Signs (or weights) of the atoms; default all positive.
    ax : Axes, optional
        Draw into this axes (default: a new figure).
    title : str, optional
    n_points : int
        Directions evaluated.

    Returns
    -------
    Axes
    """
    ax = axes_or_new(ax, (9, 4))
    t = np.linspace(-np.pi, np.pi, n_points, endpoint=False)
    T = np.column_stack([np.cos(t), np.sin(t)])
    deg = np.degrees(t)
    for label, p in curves.items():
        ax.plot(deg, eta_direct(p, X, T), lw=1, label=label)
    ax.axhline(1, color="k", lw=0.6, ls="--", label="|eta| = 1 (certificate bound)")
    ax.axhline(-1, color="k", lw=0.6, ls="--")
    if atoms is not None:
        seen = set()
        for th, s in zip(atoms, _signs(atoms, signs)):
            s = 1 if s >= 0 else -1
            ax.axvline(np.degrees(np.arctan2(th[1], th[0])), color=_ATOM_STYLE[s]["color"], lw=1.0, alpha=0.8,
                       ls="-" if s > 0 else "-.", label="_nolegend_" if s in seen else _atom_label(s))
            seen.add(s)
    if mark is not None:
        ax.plot([np.degrees(np.arctan2(mark[1], mark[0]))], [mark[2]],
                label=f"violating direction, eta = {mark[2]:.6g}", **_MARK_STYLE)
    ax.set_xlim(-180, 180)
    ax.set_xticks(np.arange(-180, 181, 45))
    ax.set_xlabel("direction angle of theta (deg)")
    ax.set_ylabel("eta(theta)")
    if title:
        ax.set_title(title, fontsize=9)
    place_legend(ax, where="right")
    return ax


def _lonlat_deg(v) -> tuple[float, float]:
    return float(np.degrees(np.arctan2(v[1], v[0]))), float(np.degrees(np.arcsin(np.clip(v[2], -1, 1))))


def plot_sphere_map(X, p, atoms: np.ndarray | None = None, mark=None, *, signs=None, sup=None, ax=None,
                    title: str | None = None, label: str = "eta_V", n_lon: int = 360, n_lat: int = 180):
    """``eta_p`` on a longitude/latitude map of S^2 (d = 3), both in degrees.

    The colour scale is symmetric and covers the map, ``sup`` (the rigorous
    upper end of ``sup |eta_p|`` when known, which a finite map can miss) and
    ``|eta|`` at ``mark``; the colour bar marks ``eta = +-1``, and the contour
    ``|eta_p| = 1`` is drawn where the map reaches it.

    Parameters
    ----------
    X : ndarray (n, 3)
    p : ndarray (n,)
    atoms : ndarray (k, 3), optional
    mark : (3,) array, optional
        A violating direction.
    signs : ndarray (k,), optional
        Signs (or weights) of the atoms; default all positive.
    sup : float, optional
        A known upper bound of ``sup |eta_p|`` (included in the colour limits).
    ax : Axes, optional
    title : str, optional
    label : str
        Name of the plotted function (colour-bar label).
    n_lon, n_lat : int
        Map resolution.

    Returns
    -------
    Axes
        ``ax.blasso_map_max`` is the largest ``|eta_p|`` on the map.
    """
    ax = axes_or_new(ax, (9, 5))
    lon = np.linspace(-180.0, 180.0, n_lon)
    lat = np.linspace(-90.0, 90.0, n_lat)
    LO, LA = np.meshgrid(np.radians(lon), np.radians(lat))
    T = np.column_stack([(np.cos(LA) * np.cos(LO)).ravel(), (np.cos(LA) * np.sin(LO)).ravel(), np.sin(LA).ravel()])
    E = eta_direct(p, X, T).reshape(LA.shape)
    map_max = float(np.abs(E).max())
    lim = max(1.0, map_max)
    if sup is not None and np.isfinite(sup):
        lim = max(lim, float(sup))
    if mark is not None:
        lim = max(lim, abs(float(eta_direct(p, X, np.asarray(mark, float)[None, :3])[0])))
    im = ax.pcolormesh(lon, lat, E, cmap="RdBu_r", vmin=-lim, vmax=lim, shading="auto")
    cb = ax.figure.colorbar(im, ax=ax, label=f"{label}(theta)")
    for v in (-1.0, 1.0):
        cb.ax.axhline(v, color="k", lw=1.0)
    handles = []
    if map_max >= 1.0:
        ax.contour(lon, lat, np.abs(E), levels=[1.0], colors="k", linewidths=0.8)
        handles.append(proxy_line(color="k", lw=0.8, label=f"|{label}| = 1 (certificate bound)"))
    if atoms is not None:
        for s in (1, -1):
            sel = [a for a, g in zip(atoms, _signs(atoms, signs)) if (g >= 0) == (s > 0)]
            if sel:
                ll = np.array([_lonlat_deg(a) for a in sel])
                handles += ax.plot(ll[:, 0], ll[:, 1], ls="none", label=_atom_label(s), **_ATOM_STYLE[s])
    if mark is not None:
        e = float(eta_direct(p, X, np.asarray(mark, float)[None, :3])[0])
        handles += ax.plot(*_lonlat_deg(mark), label=f"violating direction, {label} = {e:.6g}", **_MARK_STYLE)
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_xticks(np.arange(-180, 181, 60))
    ax.set_yticks(np.arange(-90, 91, 30))
    ax.set_xlabel("longitude (deg)")
    ax.set_ylabel("latitude (deg)")
    if title:
        ax.set_title(title, fontsize=9)
    ax.blasso_map_max = map_max
    place_legend(ax, handles=handles, labels=[h.get_label() for h in handles], where="below", ncols=2)
    return ax


def plot_margin_curve(curve: list[dict], *, ax=None, title: str | None = None):
    """Margin bracket ``[margin_lo, margin_hi]`` against the radius r of the balls around the support, r in degrees.

    Parameters
    ----------
    curve : list of dict
        ``{"r" (radians), "margin_lo", "margin_hi"}`` rows
        (:attr:`blasso.certificates.verdict.ConditionsResult.curve`).
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
    """
    ax = axes_or_new(ax, (6.5, 4))
    r = np.degrees([c["r"] for c in curve])
    lo = np.array([np.nan if c["margin_lo"] is None else c["margin_lo"] for c in curve], dtype=float)
    hi = np.array([np.nan if c["margin_hi"] is None else c["margin_hi"] for c in curve], dtype=float)
    ax.plot(r, lo, "o-", label="rigorous lower bound of the margin")
    ax.plot(r, hi, "s--", label="evaluated margin (an upper bound)")
    ax.axhline(0, color="k", lw=0.8, label="margin 0: certified needs the lower bound > 0")
    if len(r) and np.all(r > 0):
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("radius r of the balls around the support atoms (deg)")
    ax.set_ylabel("margin 1 - max |eta_V| outside the balls")
    if title:
        ax.set_title(title, fontsize=9)
    place_legend(ax)
    return ax


def report_title(report, X, what: str) -> str:
    """``"<what>: <verdict>\\nn=.., d=.., m=.., lam=.., target ..."`` for a :class:`CertifyReport`."""
    n, d = X.shape
    return instance_title(f"{what} -- conditions (10)", n=n, d=d, m=len(report.target), lam=report.lam,
                          verdict=report.verdict, extra=f"target: {report.target_kind}")


def report_figures(report, X) -> dict:
    """The figures of a :class:`blasso.certificates.verdict.CertifyReport`: ``{file name: Figure}``.

    ``eta_circle.png`` (d = 2) or ``eta_V_sphere.png`` (d = 3), and
    ``margin_curve.png`` when the report has a margin curve.
    """
    cond = report.conditions
    d = X.shape[1]
    mark = None
    if cond.violating_theta is not None:
        mark = np.append(cond.violating_theta, cond.violating_eta)
    out = {}
    if d == 2:
        curves = {"eta_V (pre-certificate p_V)": cond.pre.p}
        if report.p_grid is not None:
            curves[f"eta of the grid dual ({'p_0' if report.lam == 0 else 'p_lam'})"] = report.p_grid
        fig, ax = new_figure((9, 4))
        plot_circle(X, curves, atoms=report.target.theta, signs=report.target.c, mark=mark, ax=ax,
                    title=report_title(report, X, "eta over the circle"))
        out["eta_circle.png"] = fig
    elif d == 3:
        fig, ax = new_figure((9, 5.5))
        sup = None if cond.sup is None else cond.sup.hi
        plot_sphere_map(X, cond.pre.p, atoms=report.target.theta, signs=report.target.c,
                        mark=None if mark is None else mark[:3], sup=sup, ax=ax,
                        title=report_title(report, X, "eta_V over the sphere"))
        note = "" if cond.sup is None else f"; rigorous sup off the atom cells in [{cond.sup.lo:.6g}, {cond.sup.hi:.6g}]"
        ax.set_title(ax.get_title() + f"\nmap max |eta_V| = {ax.blasso_map_max:.6g} on a 1-degree grid{note}",
                     fontsize=9)
        out["eta_V_sphere.png"] = fig
    if cond.curve:
        fig, ax = new_figure((7, 4.2))
        plot_margin_curve(cond.curve, ax=ax, title=report_title(report, X, "margin curve"))
        out["margin_curve.png"] = fig
    return out


def plot_report(report, X, directory) -> list[Path]:
    """Write the figures of :func:`report_figures` into ``directory`` (created if missing); their paths."""
    figs = report_figures(report, X)
    if not figs:
        return []
    out = Path(directory)
    out.mkdir(exist_ok=True)
    return [save_figure(fig, out / name) for name, fig in figs.items()]
