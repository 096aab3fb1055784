"""Shared plotting helpers: figures that say what they show, legends that cover no curve, atomic PNG writes.

matplotlib is an optional extra (``pip install 'blasso[plot]'``) and is imported
only inside these functions.  The conventions every figure of the toolkit follows
(``tests/test_figures.py`` checks them on the matplotlib objects):

* a title naming the instance (``n``, ``d``, ``m``, ``lam``) and the verdict when
  there is one (:func:`instance_title`);
* a label on every axis, one quantity per axis (twin axes or panels otherwise),
  angles in degrees, colour limits covering the data;
* every labelled line or marker in a legend, and no legend over a curve
  (:func:`place_legend` tries ``loc="best"``, checks the result, and moves the
  legend outside the axes when it covers data; :func:`save_figure` re-checks
  after the final layout).

Plotting functions take ``ax=None`` (or ``fig=None`` for multi-panel figures)
and return the Axes (or Figure); they never write files.  Writers call
:func:`save_figure`, which writes the PNG atomically.  Figures are built
without pyplot (:func:`new_figure`), so no global figure state is kept and
nothing needs closing; :func:`keep_figures` lets a caller (the tests) collect
every Figure written inside a block.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

from .validation import BlassoInputError

__all__ = ["require_matplotlib", "new_figure", "axes_or_new", "instance_title", "place_legend",
           "legend_covers_data", "fix_legends", "save_figure", "keep_figures", "proxy_line"]

#: Figures collected by :func:`keep_figures` (None: not collecting).
_KEPT: list | None = None


def require_matplotlib():
    """The ``matplotlib`` module, or a one-line :class:`BlassoInputError` naming the extra to install."""
    try:
        import matplotlib
    except ImportError:
        raise BlassoInputError("plotting needs matplotlib: pip install 'blasso[plot]'") from None
    return matplotlib


def new_figure(figsize=(6.4, 4.8), nrows: int = 1, ncols: int = 1, **subplot_kw):
    """A pyplot-free Figure (Agg canvas, constrained layout) and its axes.

    Parameters
    ----------
    figsize : (float, float)
        Inches.
    nrows, ncols : int
        Panels; one panel returns a single Axes, several an array (``squeeze=True``).
    **subplot_kw
        Passed to :meth:`matplotlib.figure.Figure.subplots` (``sharey=True``, ...).

    Returns
    -------
    (Figure, Axes or ndarray of Axes)
    """
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, **subplot_kw)
    return fig, axes


def axes_or_new(ax, figsize=(6.4, 4.8)):
    """``ax`` itself, or the single Axes of a :func:`new_figure`."""
    if ax is not None:
        return ax
    return new_figure(figsize)[1]


def instance_title(what: str, *, n=None, d=None, m=None, lam=None, M=None, verdict: str | None = None,
                   extra: str | None = None) -> str:
    """``"<what>: <verdict>\\nn=100, d=5, m=5, lam=0.001, M=10"`` (the parts that are given).

    Parameters
    ----------
    what : str
        What the figure shows.
    n, d, m, lam, M : optional
        The instance (samples, dimension, teacher width or target atoms, regularisation, student width).
    verdict : str, optional
        The run's verdict, appended to ``what``.
    extra : str, optional
        Appended to the second line.
    """
    head = what if verdict is None else f"{what}: {verdict}"
    parts = [f"{k}={v}" for k, v in (("n", n), ("d", d), ("m", m)) if v is not None]
    if lam is not None:
        parts.append(f"lam={lam:g}")
    if M is not None:
        parts.append(f"M={M}")
    if extra:
        parts.append(extra)
    return head + ("\n" + ", ".join(parts) if parts else "")


def proxy_line(**kw):
    """A Line2D that is drawn nowhere, for a legend entry of an artist without one (contours)."""
    from matplotlib.lines import Line2D
    return Line2D([], [], **kw)


def _renderer(fig):
    canvas = fig.canvas
    if hasattr(canvas, "get_renderer"):
        return canvas.get_renderer()
    return fig._get_renderer()          # pragma: no cover - non-Agg canvases


def _data_paths(ax):
    """Display-space paths of the curves and markers of ``ax`` (what a legend must not cover)."""
    from matplotlib.collections import PathCollection
    from matplotlib.path import Path as MPath

    out = []
    for line in ax.lines:
        if not line.get_visible() or len(line.get_xydata()) == 0:
            continue
        tpath = line.get_transform().transform_path(line.get_path())
        out.append(tpath)
    for coll in ax.collections:
        if isinstance(coll, PathCollection) and coll.get_visible():
            pts = coll.get_offset_transform().transform(coll.get_offsets())
            if len(pts):
                out.extend(MPath([p, p]) for p in pts)
    return out


def _has_map(ax) -> bool:
    from matplotlib.collections import QuadMesh
    from matplotlib.image import AxesImage
    return any(isinstance(a, (QuadMesh, AxesImage)) for a in ax.get_children())


def legend_covers_data(legend, renderer=None) -> bool:
    """Whether ``legend`` (of an Axes or the Figure) overlaps a curve, marker or map of any axes of its figure.

    Lines are tested segment by segment against the legend's box clipped to each
    axes (outside the axes nothing is drawn); an axes showing a colour map is
    covered by any overlap at all.
    """
    fig = legend.figure
    renderer = renderer or _renderer(fig)
    box = legend.get_window_extent(renderer)
    for ax in fig.axes:
        if not ax.get_visible() or hasattr(ax, "_colorbar"):
            continue
        inter = box.intersection(box, ax.bbox)
        if inter is None or inter.width <= 0 or inter.height <= 0:
            continue
        if _has_map(ax):
            return True
        if any(p.intersects_bbox(inter, filled=False) for p in _data_paths(ax)):
            return True
    return False


def _anchor_below(ax, renderer) -> float:
    """The axes-fraction y just below the axes' tick labels and x label."""
    tight = ax.get_tightbbox(renderer, for_layout_only=True)
    y0 = ax.transAxes.inverted().transform((0.0, tight.y0))[1]
    return float(y0) - 0.02


def place_legend(ax, *, handles=None, labels=None, where: str = "best", fontsize: float = 8, **kw):
    """A legend for ``ax`` that covers no curve of the figure; returns it (None if there is nothing to list).

    Parameters
    ----------
    ax : Axes
    handles, labels : optional
        Default: the labelled artists of ``ax``.
    where : {"best", "right", "below"}
        First placement to try: ``"best"`` (inside, matplotlib's choice, then
        checked with :func:`legend_covers_data`), ``"right"`` (outside, right of
        the axes) or ``"below"`` (outside, under the x label).  A placement that
        covers data falls through to the next of best -> right -> below.
    fontsize : float
    **kw
        Passed to :meth:`Axes.legend` (``ncols``, ``title``, ...).
    """
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    order = ["best", "right", "below"]
    order = order[order.index(where):]
    renderer = _renderer(ax.figure)
    leg = None
    for place in order:
        if leg is not None:
            leg.remove()
        if place == "best":
            leg = ax.legend(handles, labels, loc="best", fontsize=fontsize, **kw)
        elif place == "right":
            leg = ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                            fontsize=fontsize, **kw)
        else:
            y = _anchor_below(ax, renderer)
            leg = ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, y), borderaxespad=0.0,
                            fontsize=fontsize, **kw)
        leg._blasso_place = (place, list(handles), list(labels), fontsize, dict(kw))
        ax.figure.canvas.draw()         # the final layout decides "best" and the outside room
        if not legend_covers_data(leg, renderer):
            break
    return leg


def fix_legends(fig, *, max_passes: int = 3) -> None:
    """After the final layout, move any legend placed by :func:`place_legend` that now covers data.

    Constrained layout resizes the axes when a colour bar or an outside legend
    is added, which can move a ``"best"`` legend onto a curve; this re-checks
    every such legend and re-places it from its next placement on.
    """
    for _ in range(max_passes):
        fig.canvas.draw()
        renderer = _renderer(fig)
        moved = False
        for ax in fig.axes:
            leg = ax.get_legend()
            info = getattr(leg, "_blasso_place", None)
            if leg is None or info is None or not legend_covers_data(leg, renderer):
                continue
            place, handles, labels, fontsize, kw = info
            order = ["best", "right", "below"]
            if place == "below":
                continue                # the last resort: nothing further out to try
            place_legend(ax, handles=handles, labels=labels, where=order[order.index(place) + 1],
                         fontsize=fontsize, **kw)
            moved = True
        if not moved:
            return


def save_figure(fig, path, *, dpi: int = 120) -> Path:
    """Write ``fig`` as PNG to ``path`` atomically (legends re-checked first); return the path.

    Inside :func:`keep_figures` the Figure is also recorded with its path.
    """
    from .report import atomic_output

    fix_legends(fig)
    path = Path(path)
    with atomic_output(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    if _KEPT is not None:
        _KEPT.append((path, fig))
    return path


@contextlib.contextmanager
def keep_figures() -> Iterator[list]:
    """Collect ``(path, Figure)`` for every figure :func:`save_figure` writes inside the block.

    Examples
    --------
    >>> with keep_figures() as kept:                      # doctest: +SKIP
    ...     main(["certify", "--d", "3", "--m", "2", "--plot", "figs"])
    >>> [p.name for p, fig in kept]                       # doctest: +SKIP
    ['eta_V_sphere.png', 'margin_curve.png']
    """
    global _KEPT
    previous, _KEPT = _KEPT, []
    try:
        yield _KEPT
    finally:
        _KEPT = previous
