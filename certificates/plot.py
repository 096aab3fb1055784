"""Plots of certificates (matplotlib is imported lazily: install the ``plot`` extra).

* d = 2: ``eta_V`` (and the grid dual's ``eta``) over the circle, with the atoms
  and the violating direction;
* d = 3: ``eta_V`` on a longitude/latitude map of the sphere;
* any d: the margin curve ``1 - max |eta_V|`` outside balls of radius r.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from blasso.features import eta as eta_direct
from blasso.validation import BlassoInputError

__all__ = ["plot_circle", "plot_sphere_map", "plot_margin_curve", "plot_report"]


def _plt():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise BlassoInputError("plotting needs matplotlib (pip install 'blasso[plot]')") from exc
    return plt


def plot_circle(path, X, curves: dict, atoms: np.ndarray | None = None, mark=None, n_points: int = 20000):
    """``eta_p(t)`` for each ``{label: p}`` over the angle t of the circle (d = 2)."""
    plt = _plt()
    t = np.linspace(-np.pi, np.pi, n_points, endpoint=False)
    T = np.column_stack([np.cos(t), np.sin(t)])
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for label, p in curves.items():
        ax.plot(t, eta_direct(p, X, T), lw=1, label=label)
    for y in (-1, 1):
        ax.axhline(y, color="k", lw=0.6, ls="--")
    if atoms is not None:
        for th in atoms:
            ax.axvline(np.arctan2(th[1], th[0]), color="g", lw=0.8, alpha=0.7)
    if mark is not None:
        ax.plot([np.arctan2(mark[1], mark[0])], [mark[2]], "rx", ms=8, label="violation")
    ax.set_xlabel("angle of theta (rad)")
    ax.set_ylabel("eta(theta)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def plot_sphere_map(path, X, p, atoms: np.ndarray | None = None, mark=None, n_lon: int = 360, n_lat: int = 180):
    """``eta_p`` on a longitude/latitude map of S^2 (d = 3)."""
    plt = _plt()
    lon = np.linspace(-np.pi, np.pi, n_lon)
    lat = np.linspace(-np.pi / 2, np.pi / 2, n_lat)
    LO, LA = np.meshgrid(lon, lat)
    T = np.column_stack([(np.cos(LA) * np.cos(LO)).ravel(), (np.cos(LA) * np.sin(LO)).ravel(), np.sin(LA).ravel()])
    E = eta_direct(p, X, T).reshape(LA.shape)
    fig, ax = plt.subplots(figsize=(8, 4))
    lim = max(1.0, float(np.abs(E).max()))
    im = ax.pcolormesh(LO, LA, E, cmap="RdBu_r", vmin=-lim, vmax=lim, shading="auto")
    ax.contour(LO, LA, np.abs(E), levels=[1.0], colors="k", linewidths=0.8)
    fig.colorbar(im, ax=ax, label="eta")

    def lonlat(v):
        return np.arctan2(v[1], v[0]), np.arcsin(np.clip(v[2], -1, 1))

    if atoms is not None:
        for th in atoms:
            ax.plot(*lonlat(th), "g*", ms=10)
    if mark is not None:
        ax.plot(*lonlat(mark), "kx", ms=9)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def plot_margin_curve(path, curve: list[dict]):
    """Margin bracket ``[margin_lo, margin_hi]`` against the radius r."""
    plt = _plt()
    r = np.array([c["r"] for c in curve])
    lo = np.array([c["margin_lo"] for c in curve], dtype=float)
    hi = np.array([c["margin_hi"] for c in curve], dtype=float)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(r, lo, "o-", label="rigorous lower bound")
    ax.plot(r, hi, "s--", label="evaluated (upper bound)")
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xlabel("r (rad)")
    ax.set_ylabel("1 - max |eta_V| outside balls")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def plot_report(report, X, directory) -> list[Path]:
    """All plots of a :class:`blasso.certificates.verdict.CertifyReport` into ``directory``."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    cond = report.conditions
    d = X.shape[1]
    mark = None
    if cond.violating_theta is not None:
        mark = np.append(cond.violating_theta, cond.violating_eta)
    paths = []
    if d == 2:
        curves = {"eta_V": cond.pre.p}
        if report.p_grid is not None:
            curves["eta of grid p"] = report.p_grid
        paths.append(plot_circle(out / "eta_circle.png", X, curves,
                                 atoms=report.target.theta, mark=mark))
    elif d == 3:
        paths.append(plot_sphere_map(out / "eta_V_sphere.png", X, cond.pre.p, atoms=report.target.theta,
                                     mark=None if mark is None else mark[:3]))
    if cond.curve:
        paths.append(plot_margin_curve(out / "margin_curve.png", cond.curve))
    return paths
