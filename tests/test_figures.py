"""Every figure a command writes explains itself: checked on the matplotlib objects, not on pixels.

Each command that writes figures runs once on a small instance inside
``blasso.plotting.keep_figures()``, which hands back the Figure object of every
PNG written.  Every figure must have a title naming the instance (n and d where
they are fixed) and the verdict when the run has one, a label on every axis, a
legend entry for every labelled line or marker, angles in degrees, colour
limits covering the data (the sphere map: also the rigorous sup, which a finite
map can miss), and no legend over a curve.  The legend check here samples the
drawn segments in display space (independently of
:func:`blasso.plotting.legend_covers_data`, which uses matplotlib's path
intersection).

Figures (file -> command): ``eta_circle.png``, ``eta_V_sphere.png``,
``margin_curve.png`` (``certify --plot``); ``fig1.png``, ``fig2.png``,
``fig3.png`` (``reproduce``); ``phase_<kind>.png``, ``margin_vs_n.png``
(``sweep report``); ``baseline_<name>.png`` (``baseline --plot``); the
``theory lam|gd-rate --plot`` file.
"""

import json
import re

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from blasso.cli import main  # noqa: E402
from blasso.plotting import keep_figures  # noqa: E402

#: Words that make an axis label an angle axis (which must then be in degrees).
ANGLE_WORDS = ("angle", "longitude", "latitude", "radius")


def _run(argv) -> dict:
    """Run a command; ``{file name: Figure}`` of every figure it wrote."""
    with keep_figures() as kept:
        assert main(list(argv) + ["--quiet"]) == 0, argv
    return {p.name: fig for p, fig in kept}


@pytest.fixture(scope="module")
def figs(tmp_path_factory):
    """Every figure-writing command once: ``{file name: (Figure, expected title facts)}``."""
    from blasso.studies.reproduce import reproduce_figures

    d = tmp_path_factory.mktemp("figs")
    out = {}

    def add(found, **facts):
        for name, fig in found.items():
            out[name if name not in out else f"{name}#{len(out)}"] = (fig, facts)

    # certify, d = 3: the sphere map of a failing teacher whose rigorous sup (1.016) exceeds the map's max
    rep3 = d / "c3.json"
    add(_run(["certify", "--teacher", "paper", "--n", "100", "--d", "3", "--m", "2", "--seed", "0",
              "--plot", str(d / "c3"), "--json", str(rep3)]), n=100, d=3, m=2, verdict="fails", json=rep3)
    # certify, d = 2, with a grid dual: the circle plot
    rep2 = d / "c2.json"
    add(_run(["certify", "--teacher", "mixed-signs", "--n", "40", "--d", "2", "--m", "2", "--lam", "1e-3",
              "--grid-size", "400", "--time-budget", "10", "--plot", str(d / "c2"), "--json", str(rep2)]),
        n=40, d=2, m=2, json=rep2)
    # reproduce: fig1 through the CLI, figs 2 and 3 through the library with tiny settings
    add(_run(["reproduce", "fig1", "--out", str(d / "r"), "--iters", "300", "--grid-size", "150",
              "--alpha", "0.5"]), n=100, d=2, m=2, verdict="claim", dir=d / "r")
    with keep_figures() as kept:
        reproduce_figures(["fig2", "fig3"], d / "r", iters=300, grid_size=300, sup_budget=1.0,
                          alpha=0.5)
    add({p.name: f for p, f in kept}, n=100, d=5, m=5, verdict="claim")
    # sweep report (phase diagram and margin vs n); d fixed, n on an axis
    (d / "s.toml").write_text('[sweep]\ntask = "certify"\n[grid]\nteacher = "paper"\nn = [20, 40]\nm = [1, 2]\n'
                              'd = 2\nseeds = 1\n[options]\ntime_budget = 10\n')
    assert main(["sweep", "run", str(d / "s.toml"), "--store", str(d / "s.sqlite"), "--serial", "--quiet"]) == 0
    add(_run(["sweep", "report", "--store", str(d / "s.sqlite"), "--out", str(d / "sr"),
              "--population-budget", "20"]), d=2)
    # baselines
    small = ["--iters", "200", "--alg1-iters", "200", "--grid-size", "200", "--refine-rounds", "1"]
    add(_run(["baseline", "tensor-init", "--n", "400", "--d", "3", "--m", "2", "--plot", str(d / "b")] + small),
        n=400, d=3, m=2, verdict="convex optimum")
    add(_run(["baseline", "mild-overparam", "--n", "120", "--d", "3", "--m", "2", "--k", "1", "--bisect-steps", "1",
              "--plot", str(d / "b")] + small), n=120, d=3, m=2, verdict="convex optimum")
    add(_run(["baseline", "abs-teacher", "--n", "40", "--d", "3", "--m", "2", "--plot", str(d / "b")] + small),
        n=40, d=3, m=2, verdict="convex optimum")
    # theory
    inst = d / "one.npz"
    assert main(["make-instance", "--teacher", "paper", "--n", "40", "--d", "2", "--m", "1", "--out", str(inst),
                 "--quiet"]) == 0
    add(_run(["theory", "gd-rate", "--instance", str(inst), "--lam", "1e-2", "--M", "6", "--iters", "3000",
              "--plot", str(d / "gd_rate.png")]), n=40, d=2, verdict="linear")
    add(_run(["theory", "lam", "--instance", str(inst), "--max-points", "3", "--plot", str(d / "lam.png")]),
        n=40, d=2, m=1, verdict="bound (9)")
    return out


EXPECTED = {"eta_V_sphere.png", "eta_circle.png", "margin_curve.png", "fig1.png", "fig2.png", "fig3.png",
            "phase_certify.png", "margin_vs_n.png", "baseline_tensor-init.png", "baseline_mild-overparam.png",
            "baseline_abs-teacher.png", "gd_rate.png", "lam.png"}


def _names(figs):
    return {k.split("#")[0] for k in figs}


def test_every_figure_writing_command_was_run(figs):
    assert _names(figs) == EXPECTED


def _title(fig) -> str:
    parts = [fig._suptitle.get_text()] if fig._suptitle is not None else []
    parts += [ax.get_title() for ax in fig.axes if ax.get_visible()]
    return "\n".join(p for p in parts if p)


def _plot_axes(fig):
    return [ax for ax in fig.axes if ax.get_visible() and not hasattr(ax, "_colorbar")]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_title_names_instance_and_verdict(figs, name):
    for key, (fig, facts) in figs.items():
        if key.split("#")[0] != name:
            continue
        title = _title(fig)
        assert title.strip(), name
        for k in ("n", "d", "m"):
            if k in facts:
                assert re.search(rf"\b{k}={facts[k]}\b", title), (name, k, title)
        if "verdict" in facts:
            assert facts["verdict"] in title, (name, title)
        if "json" in facts:                      # certify: the run's own verdict and lam
            rep = json.loads(facts["json"].read_text())["figures"]
            assert f"conditions (10): {rep['verdict']}" in title and f"lam={rep['lam']:g}" in title, title


def _legend_texts(fig) -> set:
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None] + list(fig.legends)
    return {t.get_text() for leg in legends for t in leg.get_texts()}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_axis_labelled_every_labelled_artist_in_a_legend(figs, name):
    for key, (fig, _) in figs.items():
        if key.split("#")[0] != name:
            continue
        texts = _legend_texts(fig)
        for ax in fig.axes:
            if not ax.get_visible():
                continue
            if hasattr(ax, "_colorbar"):
                assert ax.get_ylabel() or ax.get_xlabel(), (name, "colour bar without a label")
                continue
            assert ax.get_xlabel().strip() and ax.get_ylabel().strip(), (name, ax.get_title())
            for art in list(ax.lines) + list(ax.collections) + list(ax.patches):
                lab = art.get_label()
                if lab and not lab.startswith("_"):
                    assert lab in texts, (name, lab, texts)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_angles_in_degrees(figs, name):
    for key, (fig, _) in figs.items():
        if key.split("#")[0] != name:
            continue
        for ax in _plot_axes(fig):
            for label in (ax.get_xlabel(), ax.get_ylabel()):
                if any(w in label.lower() for w in ANGLE_WORDS):
                    assert "(deg" in label, (name, label)
                assert "(rad)" not in label, (name, label)


def test_colour_limits_cover_the_data(figs):
    seen = 0
    for key, (fig, facts) in figs.items():
        for ax in _plot_axes(fig):
            for art in ax.get_children():
                if type(art).__name__ not in ("QuadMesh", "AxesImage") or art.get_array() is None:
                    continue                     # colour maps of data (contour lines carry their levels)
                data = np.ma.masked_invalid(np.asarray(art.get_array(), dtype=float))
                if data.count() == 0:
                    continue
                lo, hi = art.get_clim()
                assert lo <= data.min() and hi >= data.max(), (key, (lo, hi), (data.min(), data.max()))
                seen += 1
                if key.startswith("eta_V_sphere"):       # symmetric, and the rigorous sup of |eta_V| inside
                    sup = json.loads(facts["json"].read_text())["figures"]["eta_V_sup_hi"]
                    assert sup > 1.01 and hi >= sup and lo == -hi, (hi, sup)
                    assert hi > data.max()              # the map alone would have clipped the sup
    assert seen >= 2                                    # the sphere map and the phase diagram


def _covered(fig) -> list:
    """(legend text, axes title) of every curve sampled inside a legend box (display coordinates)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None] + list(fig.legends)
    hits = []
    for leg in legends:
        box = leg.get_window_extent(renderer)
        for ax in _plot_axes(fig):
            clip = ax.bbox
            for line in ax.lines:
                xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
                xy = xy[np.all(np.isfinite(xy), axis=1)]
                if len(xy) == 0:
                    continue
                if len(xy) > 1:                  # 50 points on every drawn segment
                    t = np.linspace(0, 1, 50)[:, None, None]
                    xy = (xy[:-1][None] * (1 - t) + xy[1:][None] * t).reshape(-1, 2)
                inside_axes = ((xy[:, 0] >= clip.x0) & (xy[:, 0] <= clip.x1) & (xy[:, 1] >= clip.y0)
                               & (xy[:, 1] <= clip.y1))
                inside_leg = ((xy[:, 0] > box.x0) & (xy[:, 0] < box.x1) & (xy[:, 1] > box.y0)
                              & (xy[:, 1] < box.y1))
                if np.any(inside_axes & inside_leg):
                    hits.append((line.get_label(), ax.get_title()))
            if any(type(a).__name__ in ("QuadMesh", "AxesImage") for a in ax.get_children()):
                inter = box.intersection(box, clip)
                if inter is not None and inter.width > 0 and inter.height > 0:
                    hits.append(("colour map", ax.get_title()))
    return hits


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_legend_covers_a_curve(figs, name):
    for key, (fig, _) in figs.items():
        if key.split("#")[0] == name:
            assert not _covered(fig), (name, _covered(fig))


def test_the_legend_check_can_fail():
    """A legend forced onto a curve is reported by the sampling check (and by the library's)."""
    from blasso.plotting import legend_covers_data, new_figure

    fig, ax = new_figure((4, 3))
    x = np.linspace(0, 1, 50)
    ax.plot(x, np.full_like(x, 0.9), label="a flat line near the top")
    ax.set_ylim(0, 1)
    leg = ax.legend(loc="upper center")
    fig.canvas.draw()
    assert _covered(fig) and legend_covers_data(leg)


def test_place_legend_moves_a_covering_legend_outside():
    from blasso.plotting import new_figure, place_legend

    fig, ax = new_figure((4, 3))
    x = np.linspace(0, 1, 400)
    for k in range(12):                                  # curves everywhere: no room inside
        ax.plot(x, (x * (k + 1)) % 1.0, label=f"curve {k}" if k < 3 else "_nolegend_")
    place_legend(ax)
    assert not _covered(fig)
    assert ax.get_legend().get_window_extent(fig.canvas.get_renderer()).x0 >= ax.bbox.x1   # outside, right


def test_plotting_functions_take_an_axes_and_return_it(figs):
    """ax=None / fig=None plotting functions draw into what they are given (the future ``.plot(ax=None)``)."""
    from blasso.certificates.plot import plot_margin_curve
    from blasso.plotting import new_figure
    from blasso.studies.reproduce import plot_fig1, plot_fig2

    r = json.loads(next(f for k, (fig, f) in figs.items() if k.startswith("eta_V_sphere"))["json"].read_text())
    fig, ax = new_figure()
    assert plot_margin_curve(r["figures"]["margin_curve"], ax=ax) is ax and ax.get_xlabel().endswith("(deg)")
    # degrees on the axis: the radii of the JSON (radians) converted
    assert np.allclose(ax.lines[0].get_xdata(), np.degrees([c["r"] for c in r["figures"]["margin_curve"]]))
    # a figure is redrawn from its JSON file alone
    folder = next(f["dir"] for k, (fig, f) in figs.items() if k.startswith("fig1"))
    fig, ax = new_figure()
    assert plot_fig1(json.loads((folder / "fig1.json").read_text()), ax=ax) is ax and "claim" in ax.get_title()
    f2 = new_figure((16, 5))[0]
    f2.clear()
    assert plot_fig2(json.loads((folder / "fig2.json").read_text()), fig=f2) is f2 and len(f2.axes) == 3
