"""What a sweep found: the flat table (CSV), phase-diagram fractions and heatmaps, margin-vs-n curves.

* :func:`flat_rows` -- one dict per task: ``key``, the grid axes (:data:`.spec.AXES`),
  ``status``, ``error``, ``wall_s``, ``host``, then the task's scalar figures
  (lists and dicts stay in the store).  :func:`write_csv` writes it.
* :func:`phase_cells` -- per task kind, per value of the other varying axes
  (a *facet*), per cell ``(x, y)``: ``seeds`` (done tasks), ``successes``
  (the kind's success figure, :data:`.tasks.SUCCESS`, true), ``failed`` (not
  counted in the fraction), ``fraction = successes / seeds``, ``verdicts`` (counts of
  the tasks' ``verdict`` figure, e.g. how many of the uncertified seeds are
  ``fails`` and how many ``inconclusive``).
* :func:`margin_curves` -- certify tasks: median ``margin`` and median
  far-field margin over the seeds, against n, per (teacher, m, d, facet).
* :func:`population_margins` -- the population (n -> infinity) pre-certificate
  of each orthonormal teacher (``paper``, ``mixed-signs``), computed once per
  (teacher, m, d): its verdict and far-field margin ``1 - sup |eta_V|`` outside
  60 degrees (:func:`blasso.certificates.population.population_certificate`).
* :func:`write_report` -- all of it into a folder: ``tasks.csv``,
  ``summary.json``, ``phase_<kind>[_<facet>].png`` (:func:`plot_phase`),
  ``margin_vs_n.png`` (:func:`plot_margin_vs_n`); the plotting functions take
  ``ax=None`` / ``fig=None``, return the Axes / Figure and write nothing.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from blasso.jsonio import to_jsonable
from blasso.report import atomic_output, write_json_atomic
from blasso.validation import BlassoInputError

from .spec import AXES
from .tasks import FAR_RADIUS_DEG, SUCCESS

__all__ = ["flat_rows", "write_csv", "phase_cells", "margin_curves", "population_margins", "write_report",
           "report_files", "plot_phase", "plot_margin_vs_n",
           "BASE_COLUMNS"]

#: The first CSV columns (then the figures, sorted by name).
BASE_COLUMNS = ("key",) + AXES + ("status", "error", "wall_s", "host", "attempts", "code")

_ORTHONORMAL = {"paper": 1.0, "mixed-signs": None}


def _scalar(v) -> bool:
    return v is None or isinstance(v, (bool, int, float, str))


def flat_rows(rows: list) -> list:
    """One flat dict per task (see the module docstring)."""
    out = []
    for r in rows:
        p = r["params"]
        flat = {"key": r["key"], **{a: p.get(a) for a in AXES}, "status": r["status"], "error": r["error"],
                "wall_s": r["wall_s"], "host": r["host"], "attempts": r["attempts"], "code": r.get("code")}
        for k, v in (r["result"] or {}).items():
            if _scalar(v) and k not in flat:
                flat[k] = v
        out.append(flat)
    return out


def columns(flat: list) -> list:
    """The CSV header: :data:`BASE_COLUMNS` (axes present), then every figure name, sorted."""
    present = {k for row in flat for k, v in row.items() if v is not None}
    base = [c for c in BASE_COLUMNS if c in present or c in ("key", "task", "status", "error")]
    return base + sorted({k for row in flat for k in row} - set(BASE_COLUMNS))


def write_csv(flat: list, path) -> Path:
    """The flat table as CSV (atomically); booleans as ``True``/``False``, ``None`` as an empty cell."""
    cols = columns(flat)
    with atomic_output(path, suffix=".csv") as tmp:
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
            w.writeheader()
            for row in flat:
                w.writerow({k: "" if row.get(k) is None else row.get(k) for k in cols})
    return Path(path)


def _varying(flat: list, exclude) -> list:
    return [a for a in AXES if a not in exclude and len({r.get(a) for r in flat}) > 1]


def _sort_key(v):
    return (0, v, "") if isinstance(v, (int, float)) and not isinstance(v, bool) else (1, 0, str(v))


def phase_cells(flat: list, *, x: str = "n", y: str = "m") -> list:
    """Fractions of seeds with the kind's success figure true, per (kind, facet, x, y); see the module docstring."""
    for a in (x, y):
        if a not in AXES or a in ("task", "seed"):
            raise BlassoInputError(f"axis {a!r} cannot be a phase-diagram axis; choose from "
                                   f"{[b for b in AXES if b not in ('task', 'seed')]}")
    if x == y:
        raise BlassoInputError(f"the two phase-diagram axes must differ; got {x!r} twice")
    cells: dict = {}
    for kind in sorted({r["task"] for r in flat}):
        rows = [r for r in flat if r["task"] == kind]
        facet_axes = _varying(rows, ("task", "seed", x, y))
        figure = SUCCESS.get(kind, "success")
        for r in rows:
            facet = tuple((a, r.get(a)) for a in facet_axes)
            c = cells.setdefault((kind, facet, r.get(x), r.get(y)), {
                "task": kind, "figure": figure, "facet": dict(facet), x: r.get(x), y: r.get(y),
                "x_axis": x, "y_axis": y, "seeds": 0, "successes": 0, "failed": 0, "pending": 0, "verdicts": {}})
            if r["status"] == "done":
                c["seeds"] += 1
                c["successes"] += bool(r.get(figure))
                if isinstance(r.get("verdict"), str):
                    c["verdicts"][r["verdict"]] = c["verdicts"].get(r["verdict"], 0) + 1
            else:
                c[r["status"]] += 1
    out = sorted(cells.values(), key=lambda c: (c["task"], str(c["facet"]), _sort_key(c[x]), _sort_key(c[y])))
    for c in out:
        c["fraction"] = c["successes"] / c["seeds"] if c["seeds"] else None
    return out


def _median(vals):
    v = [float(a) for a in vals if a is not None and math.isfinite(float(a))]
    return float(np.median(v)) if v else None


def margin_curves(flat: list) -> list:
    """Certify tasks: per (teacher, m, d, facet) and n, the median ``margin`` and ``far_margin`` over the seeds."""
    rows = [r for r in flat if r["task"] == "certify" and r["status"] == "done"]
    facet_axes = _varying(rows, ("task", "seed", "n", "teacher", "m", "d"))
    groups: dict = {}
    for r in rows:
        g = (r["teacher"], r["m"], r["d"], tuple((a, r.get(a)) for a in facet_axes))
        groups.setdefault(g, {}).setdefault(r["n"], []).append(r)
    out = []
    for (teacher, m, d, facet), by_n in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2],
                                                                                 str(kv[0][3]))):
        pts = []
        for n in sorted(by_n):
            rs = by_n[n]
            pts.append({"n": n, "seeds": len(rs), "certified": sum(bool(r.get("certified")) for r in rs),
                        "median_margin": _median(r.get("margin") for r in rs),
                        "median_far_margin": _median(r.get("far_margin") for r in rs),
                        "median_wall_s": _median(r.get("wall_s") for r in rs)})
        out.append({"teacher": teacher, "m": m, "d": d, "facet": dict(facet), "points": pts})
    return out


def population_margins(curves: list, *, time_budget: float = 120.0, progress=None) -> list:
    """The population certificate of each orthonormal teacher of ``curves``, once per (teacher, m, d)."""
    from blasso.certificates.population import population_certificate

    from blasso.measure import Measure
    from blasso.progress import as_progress

    say = as_progress(progress)
    out, seen = [], set()
    for c in curves:
        k = (c["teacher"], c["m"], c["d"])
        if k in seen:
            continue
        seen.add(k)
        teacher, m, d = k
        if teacher not in _ORTHONORMAL or m > d or (teacher == "mixed-signs" and m < 2):
            out.append({"teacher": teacher, "m": m, "d": d, "verdict": None,
                        "reason": "population margin drawn for the orthonormal teachers only (paper, mixed-signs)"})
            continue
        signs = np.where(np.arange(m) % 2 == 0, 1.0, -1.0) if teacher == "mixed-signs" else np.ones(m)
        say(f"sweep report: population certificate of the {teacher} teacher m={m} d={d}")
        res = population_certificate(Measure(np.eye(d)[:m], signs), d, time_budget=time_budget, canonical=True)
        far = next((row for row in res.margin_curve if abs(row[0] - FAR_RADIUS_DEG) < 1e-9), None)
        out.append({"teacher": teacher, "m": m, "d": d, "verdict": res.verdict, "reason": res.reason,
                    "far_radius_deg": FAR_RADIUS_DEG,
                    "far_margin": None if far is None or far[1] is None else 1.0 - far[1],
                    "far_margin_lo": None if far is None or far[2] is None else 1.0 - far[2],
                    "wall_s": res.wall_s})
    return out


def _constants(flat: list, kind: str, exclude) -> dict:
    """The axes with one value over the ``kind`` tasks (named in the plots' titles: d, teacher, lam, ...)."""
    rows = [r for r in flat if r["task"] == kind]
    out = {}
    for a in AXES:
        if a in exclude or a in ("task", "seed"):
            continue
        vals = {r.get(a) for r in rows}
        if len(vals) == 1 and None not in vals:
            out[a] = vals.pop()
    return out


def _facet_name(facet: dict) -> str:
    return "_".join(f"{k}{v}" for k, v in facet.items()).replace("/", "-")


def plot_phase(cells: list, *, constants: dict | None = None, ax=None):
    """Heatmap of one (task kind, facet): the fraction of seeds with the kind's success figure true per (x, y) cell.

    Parameters
    ----------
    cells : list of dict
        One group of :func:`phase_cells` (same task and facet).
    constants : dict, optional
        Axes with a single value (``{"d": 5, "teacher": "paper"}``), named in the title.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    from blasso.plotting import new_figure

    c0 = cells[0]
    x, y = c0["x_axis"], c0["y_axis"]
    xs = sorted({c[x] for c in cells}, key=_sort_key)
    ys = sorted({c[y] for c in cells}, key=_sort_key)
    width = max(4.5, 2.0 + 0.9 * len(xs))
    if ax is None:
        ax = new_figure((width, 2.3 + 0.7 * len(ys)))[1]
    F = np.full((len(ys), len(xs)), np.nan)
    for c in cells:
        i, j = ys.index(c[y]), xs.index(c[x])
        if c["fraction"] is not None:
            F[i, j] = c["fraction"]
        label = "-" if c["fraction"] is None else f"{c['fraction']:.2f}"
        extra = f"\n{c['seeds']} seeds" + (f"\n{c['failed']} failed" if c["failed"] else "")
        if c["verdicts"].get("inconclusive"):
            extra += f"\n{c['verdicts']['inconclusive']} inconcl."
        ax.text(j, i, label + extra, ha="center", va="center", fontsize=7,
                color="white" if c["fraction"] is not None and c["fraction"] < 0.5 else "black")
    im = ax.imshow(F, origin="lower", cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(xs)), [str(v) for v in xs])
    ax.set_yticks(range(len(ys)), [str(v) for v in ys])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    import textwrap

    fixed = {**(constants or {}), **c0["facet"]}
    facet = textwrap.fill(", ".join(f"{k}={v}" for k, v in fixed.items()), width=int(9 * width))
    ax.set_title(f"{c0['task']}: fraction of seeds {c0['figure']}" + (f"\n{facet}" if facet else ""), fontsize=8)
    ax.figure.colorbar(im, ax=ax, fraction=0.05, label=f"fraction of seeds {c0['figure']} (0 to 1)")
    return ax


def plot_margin_vs_n(curves: list, pops: list, *, fig=None):
    """One panel per (teacher, m, d, facet): median margins over the seeds vs n, and the population far field.

    Parameters
    ----------
    curves : list of dict
        :func:`margin_curves`.
    pops : list of dict
        :func:`population_margins` (may be empty).
    fig : Figure, optional
        An empty figure to draw into (default: a new one).

    Returns
    -------
    Figure
        One legend for all panels, below them (it covers no curve).
    """
    from blasso.plotting import new_figure, require_matplotlib

    require_matplotlib()
    from matplotlib.ticker import FuncFormatter

    pop = {(p["teacher"], p["m"], p["d"]): p for p in pops}
    k = len(curves)
    cols = min(3, k)
    rows = -(-k // cols)
    if fig is None:
        fig, axes = new_figure((4.4 * cols, 3.4 * rows + 0.9), rows, cols, squeeze=False)
    else:
        axes = np.atleast_2d(fig.subplots(rows, cols, squeeze=False))
    handles = {}
    for ax, c in zip(axes.ravel(), curves):
        n = [p["n"] for p in c["points"]]
        far = [np.nan if p["median_far_margin"] is None else p["median_far_margin"] for p in c["points"]]
        mar = [np.nan if p["median_margin"] is None else p["median_margin"] for p in c["points"]]
        h1, = ax.plot(n, far, "o-", color="C0", label=f"far field (>= {FAR_RADIUS_DEG:g} deg from the atoms), sampled")
        h2, = ax.plot(n, mar, "s:", color="C1", label="margin off the atom cells")
        handles.setdefault(h1.get_label(), h1)
        handles.setdefault(h2.get_label(), h2)
        p = pop.get((c["teacher"], c["m"], c["d"]))
        title = f"{c['teacher']} teacher, m={c['m']}, d={c['d']}" + "".join(f", {a}={v}" for a, v in c["facet"].items())
        if p and p.get("far_margin") is not None:
            h3 = ax.axhline(p["far_margin"], color="C0", ls="--", lw=1, label="population far field (n -> infinity)")
            handles.setdefault(h3.get_label(), h3)
            title += f"\npopulation far-field margin {p['far_margin']:.4f}"
        h0 = ax.axhline(0.0, color="k", lw=0.8, label="margin 0 (certified needs a rigorous margin > 0)")
        handles.setdefault(h0.get_label(), h0)
        for x, pt in zip(n, c["points"]):
            ax.annotate(f"{pt['certified']}/{pt['seeds']}", (x, 0), xycoords=("data", "axes fraction"),
                        textcoords="offset points", xytext=(0, 3), ha="center", fontsize=6)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _pos: f"{v:g}" if v in n else ""))
        ax.set_yscale("symlog", linthresh=1e-3)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("n (certified/seeds at the bottom)", fontsize=8)
        ax.set_ylabel("median of 1 - sup |eta_V| over seeds", fontsize=8)
    for ax in axes.ravel()[k:]:
        ax.set_visible(False)
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=2, fontsize=7)
    fig.suptitle("conditions (10): margin vs n (certified needs a rigorous margin > 0)", fontsize=10)
    return fig


def _phase_groups(cells: list) -> dict:
    groups: dict = {}
    for c in cells:
        groups.setdefault((c["task"], tuple(c["facet"].items())), []).append(c)
    return groups


def _phase_name(kind: str, facet: tuple) -> str:
    return f"phase_{kind.replace(':', '-')}" + (f"_{_facet_name(dict(facet))}" if facet else "") + ".png"


def report_files(rows: list, *, x: str = "n", y: str = "m", plots: bool = True) -> list:
    """Names of the files :func:`write_report` writes for these store rows (checked before the work)."""
    flat = flat_rows(rows)
    names = ["tasks.csv", "summary.json"]
    if plots:
        names += [_phase_name(k, f) for k, f in _phase_groups(phase_cells(flat, x=x, y=y))]
        names += ["margin_vs_n.png"] if any(r["task"] == "certify" and r["status"] == "done" for r in flat) else []
    return names


def write_report(rows: list, out_dir, *, x: str = "n", y: str = "m", population: bool = True,
                 population_budget: float = 120.0, plots: bool = True, status: dict | None = None,
                 progress=None) -> dict:
    """Write ``tasks.csv``, ``summary.json`` and the plots into ``out_dir``; the summary.

    ``rows`` are :meth:`.store.Store.rows`; ``status`` (:func:`.coordinator.sweep_status`,
    optional) is copied into the summary (counts, time per task, total wall time).
    Returns the summary (``cells``, ``margin_curves``, ``population``, ``status``, ``files``).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    flat = flat_rows(rows)
    cells = phase_cells(flat, x=x, y=y)
    curves = margin_curves(flat)
    pops = population_margins(curves, time_budget=population_budget, progress=progress) if population and curves else []
    files = [write_csv(flat, out_dir / "tasks.csv")]
    if plots:
        from blasso.plotting import save_figure
        for (kind, facet), cs in _phase_groups(cells).items():
            name = _phase_name(kind, facet)
            ax = plot_phase(cs, constants=_constants(flat, kind, (x, y) + tuple(dict(facet))))
            files.append(save_figure(ax.figure, out_dir / name, dpi=110))
        if curves:
            files.append(save_figure(plot_margin_vs_n(curves, pops), out_dir / "margin_vs_n.png", dpi=110))
    summary = {"x": x, "y": y, "tasks": len(flat), "cells": cells, "margin_curves": curves, "population": pops,
               "status": status, "files": [str(f) for f in files] + [str(out_dir / "summary.json")]}
    write_json_atomic(out_dir / "summary.json", to_jsonable(summary))
    return summary
