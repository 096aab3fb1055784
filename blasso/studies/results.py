"""Result objects of the public API (:mod:`blasso.studies.api`): solve, gd, compare.

Every result is a small dataclass with the same five members, modelled on the
result objects of CVXPY and scikit-learn:

* a one-line ``repr`` (status or verdict and the key numbers; never an array);
* ``status`` or ``verdict`` plus ``reason`` (one sentence saying why);
* :meth:`~Result.summary` -- the text the matching command prints;
* :meth:`~Result.to_dict` -- exactly the ``figures`` of the command's JSON report
  (:doc:`/report`), so a Python run and a ``--json`` run can be compared key by key;
* :meth:`~Result.plot` -- draws into ``ax`` (or a new figure) and returns the
  Axes; matplotlib is imported only there (``pip install 'blasso[plot]'``).

The certificate-side results live in :mod:`blasso.studies.certify_results`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..instance import Instance
from ..measure import Measure
from ..sphere import Grid, geodesic_distance

__all__ = ["Result", "SolveResult", "GDRunResult", "CompareResult", "format_table", "plot_axes", "STOP_REASONS"]

#: What each stop reason of Algorithm 1 means (``GDRunResult.reason``).
STOP_REASONS = {
    "max_iter": "the iteration cap was reached",
    "ftol": "F improved by less than ftol (relative) over check_every iterations (stalled)",
    "gtol": "the step norm over alpha fell below gtol",
    "target": "J reached the target (J_convex (1 + gap_target))",
    "callback": "the callback asked to stop",
}


def format_table(rows: list[list], header: list[str]) -> str:
    """A plain fixed-width text table (right-aligned columns, a rule under the header).

    Examples
    --------
    >>> print(format_table([[1, "a"], [10, "bb"]], ["n", "x"]))
     n   x
    --  --
     1   a
    10  bb
    """
    cells = [[str(h) for h in header]] + [[str(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


class Result:
    """What every API result offers; subclasses are dataclasses declared with ``repr=False``."""

    def _headline(self) -> str:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._headline()})"

    def summary(self) -> str:  # pragma: no cover - every subclass defines it
        """The text the matching command prints (one screen)."""
        raise NotImplementedError

    def to_dict(self) -> dict:  # pragma: no cover - every subclass defines it
        """The ``figures`` of the matching command's JSON report (numpy values allowed)."""
        raise NotImplementedError

    def report_sections(self) -> dict:
        """The other parts of a JSON report: ``measures``, ``solver_status``, ``solvers``, ``sizes``, ``seeds``."""
        return {}


def plot_axes(ax=None, figsize=(6.4, 4.8)):
    """``ax``, or the Axes of a new pyplot figure (so that ``plt.show()`` and notebooks display it).

    Unlike the commands' figures (:func:`blasso.plotting.new_figure`, never
    registered with pyplot), a result's ``plot()`` is interactive use: its new
    figure is a pyplot one.  Without matplotlib: one :class:`BlassoInputError` line.
    """
    from blasso.plotting import require_matplotlib

    if ax is not None:
        return ax
    require_matplotlib()
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize, layout="constrained")[1]


def _title(what: str, inst: Instance | None, **kw) -> str:
    from blasso.plotting import instance_title

    if inst is None:
        return instance_title(what, **kw)
    return instance_title(what, n=inst.n, d=inst.d, m=inst.m or None, **kw)


def _nearest_deg(theta: np.ndarray, ref: Measure) -> np.ndarray:
    """Angle (degrees) from each row of ``theta`` to the nearest atom of ``ref``."""
    if len(theta) == 0 or len(ref) == 0:
        return np.full(len(theta), np.nan)
    return np.degrees(geodesic_distance(theta, ref.theta).min(axis=1))


def plot_atoms(ax, measures: dict, ref: Measure, ref_label: str) -> None:
    """``|c|`` (log) against the angle (degrees) to the nearest atom of ``ref``, one marker per measure.

    Filled markers are positive weights, open ones negative; ``ref`` itself is
    drawn at its own nearest-other-atom angle 0 as stars.
    """
    from blasso.plotting import place_legend

    markers = ["o", "D", "s", "^"]
    ax.plot(np.zeros(len(ref)), np.abs(ref.c), "*", ms=14, color="k", mfc="gold", label=ref_label, zorder=3)
    for (label, nu), mk in zip(measures.items(), markers):
        ang, w = _nearest_deg(nu.theta, ref), np.abs(nu.c)
        pos = nu.c > 0
        line, = ax.plot(ang[pos], w[pos], mk, ls="none", alpha=0.8, label=f"{label} (weight > 0)")
        if (~pos).any():
            ax.plot(ang[~pos], w[~pos], mk, ls="none", mfc="none", color=line.get_color(),
                    label=f"{label} (weight < 0)")
    ax.set_yscale("log")
    ax.set_xlabel(f"angle to the nearest atom of the {ref_label} (deg)")
    ax.set_ylabel("|weight c| of the atom")
    place_legend(ax)


# ------------------------------------------------------------------------------ solve
@dataclass(repr=False)
class SolveResult(Result):
    """The grid LASSO on an instance and, with ``exact=True``, the certified optimum (:func:`blasso.solve`).

    Attributes
    ----------
    status : str
        The grid solver's status (``optimal``, ``optimal_inaccurate``).
    reason : str
        What the status rests on: the grid duality gap, the certified bracket.
    objective : float
        ``J`` of the grid solution (an upper bound on the continuous ``J*``).
    measure : Measure
        The grid solution's atoms, largest ``|c|`` first.
    exact : blasso.solvers.exact.ExactResult or None
        The certified optimum (``exact=True``): ``measure``, ``J_lower``, ``J_upper``, ``uniqueness``.
    lasso : blasso.solvers.LassoResult
        The grid solve itself (weights on the whole grid, dual ``p``, solver details).
    instance, lam, grid, covering, ground_truth
        The inputs, the covering-radius estimate of the grid, and ``"colgen"`` or ``"exact"`` (with ``exact``).

    Examples
    --------
    >>> import blasso
    >>> res = blasso.solve(blasso.make_instance(teacher="mixed-signs", n=30, d=2, m=2, seed=0), 1e-2, grid_size=360)
    >>> res
    SolveResult(optimal, J=0.01840195495, 4 atoms, G=360)
    >>> print(res.summary().splitlines()[1])  # doctest: +ELLIPSIS
    status optimal  J = 0.01840195495  TV = 1.69581  atoms = 4  solver ECOS  ...s
    >>> res.to_dict()["n_atoms"], res.measure
    (4, Measure(4 atoms, d=2, TV=1.69581))
    """

    instance: Instance
    lam: float
    grid: Grid
    lasso: object
    measure: Measure
    covering: dict
    exact: object = None
    ground_truth: str | None = None

    @property
    def status(self) -> str:
        return self.lasso.status

    @property
    def objective(self) -> float:
        return float(self.lasso.objective)

    @property
    def reason(self) -> str:
        res = self.lasso
        text = (f"grid optimum on {self.grid.describe()} ({res.solver}, exact grid duality gap "
                f"{res.grid_rel_gap:.1e} relative): an upper bound on J*")
        if self.exact is not None:
            u = self.exact.uniqueness or {}
            stopped = self.exact.cells.get("stopped")
            text += (f"; certified optimum ({self.ground_truth}): J* in [{self.exact.J_lower:.12g}, "
                     f"{self.exact.J_upper:.12g}] (relative width {self.exact.rel_width:.1e}"
                     + (f", stopped: {stopped}" if stopped not in (None, "converged") else "") + "), "
                     f"{len(self.exact.measure)} atoms, " + ("unique" if u.get("unique") else "uniqueness not proven"))
        return text

    def _headline(self) -> str:
        head = f"{self.status}, J={self.objective:.10g}, {len(self.measure)} atoms, G={self.grid.size}"
        if self.exact is not None:
            head += f"; exact: {len(self.exact.measure)} atoms, J* >= {self.exact.J_lower:.10g}"
        return head

    def to_dict(self) -> dict:
        res, nu, cov, grid = self.lasso, self.measure, self.covering, self.grid
        figures = {"lam": self.lam, "grid_size": grid.size, "grid_kind": grid.kind, "oracle_grid": grid.oracle,
                   "covering_radius": cov["radius"], "covering_radius_exact": cov["exact"],
                   "objective": res.objective, "grid_rel_gap": res.grid_rel_gap,
                   "solver_objective": res.solver_objective, "tv": nu.tv, "p": res.p, "p_mismatch": res.p_mismatch,
                   "solver": res.solver, "solve_wall_s": res.wall_s, "n_atoms": len(nu),
                   "lam_max": res.info.get("lam_max"), "zero_reason": res.info.get("zero_reason"),
                   "support": res.info.get("support"), "covering_radius_method": cov["method"]}
        if self.exact is not None:
            figures["ground_truth"] = self.ground_truth
            figures["exact"] = _exact_figures(self.exact)
        return figures

    def report_sections(self) -> dict:
        measures, status, solvers = {"solution": self.measure}, {"grid LASSO": self.status}, [self.lasso.solver]
        if self.exact is not None:
            measures["exact"] = self.exact.measure
            status["exact program"] = self.exact.info.get("status", "optimal")
            solvers.append(f"exact ({self.exact.solver})")
        return {"measures": measures, "solver_status": status, "solvers": solvers, "sizes": self.instance.sizes(),
                "seeds": {"instance_seed": self.instance.seed}}

    def summary(self) -> str:
        lines = _grid_lines(self.grid, self.lasso, self.measure, self.covering)
        if self.exact is not None:
            lines += _exact_lines(self.exact, self.objective)
        return "\n".join(lines)

    def plot(self, ax=None):
        """The atoms of the grid solution (and of the certified optimum) against the teacher's.

        ``|c|`` on a log scale against the angle to the nearest teacher atom
        (to the nearest atom of the certified optimum, or of the grid
        solution, when the instance has no teacher).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Draw here (default: a new figure).

        Returns
        -------
        Axes
        """
        ax = plot_axes(ax, (7.5, 4.6))
        measures = {"grid solution": self.measure}
        if self.exact is not None:
            measures["certified optimum"] = self.exact.measure
        if self.instance.has_teacher:
            ref, label = self.instance.teacher_measure(), "teacher"
        else:
            label = "certified optimum" if self.exact is not None else "grid solution"
            ref = measures.pop(label)
        plot_atoms(ax, measures, ref, label)
        verdict = self.status if self.exact is None else f"J* in [{self.exact.J_lower:.8g}, {self.exact.J_upper:.8g}]"
        ax.set_title(_title(f"atoms of the BLASSO solution vs the {label}", self.instance, lam=self.lam,
                            verdict=verdict, extra=self.grid.describe()), fontsize=9)
        return ax


def _notes(res, cov) -> list[str]:
    """What the solver and the diagnostics decided on their own (zero measure, dropped weights, capped probes)."""
    notes = []
    if "zero_reason" in res.info:
        notes.append(f"zero measure: {res.info['zero_reason']}")
    drop = res.info.get("support", {})
    if drop.get("dropped_atoms"):
        notes.append(f"{drop['dropped_atoms']} weights <= {drop['threshold']:.2e} (TV {drop['dropped_tv']:.2e}) "
                     "are below the solver's accuracy and not reported as atoms")
    if cov.get("capped") or cov.get("skipped"):
        notes.append(f"covering radius: {cov['method']}")
    return notes


def _atom_table(nu: Measure, precision: int, digits: int) -> str:
    rows = [[k, f"{nu.c[k]:+.{digits}f}", np.array2string(nu.theta[k], precision=precision)]
            for k in range(min(len(nu), 12))]
    return format_table(rows, ["#", "c", "theta"])


def _grid_lines(grid: Grid, res, nu: Measure, cov: dict) -> list[str]:
    radius = ("not estimated (see below)" if cov.get("skipped") else
              f"{'=' if cov['exact'] else '>='} {np.degrees(cov['radius']):.2f} deg")
    lines = [f"grid: {grid.describe()}, covering radius {radius}",
             f"status {res.status}  J = {res.objective:.10g}  TV = {nu.tv:.6g}  atoms = {len(nu)}  "
             f"solver {res.solver}  {res.wall_s:.2f}s"]
    lines += _notes(res, cov)
    if res.p_multiplier is not None:
        lines.append(f"p from residual vs CVXPY multiplier: max rel. difference {res.p_mismatch:.2e}")
    lines.append(f"grid duality gap (exact, from p): {res.grid_rel_gap:.2e} relative")
    lines.append(_atom_table(nu, 3, 5))
    if len(nu) > 12:
        lines.append(f"... {len(nu) - 12} more atoms (see --json)")
    return lines


def _exact_figures(ex) -> dict:
    u = ex.uniqueness or {}
    return {"J_upper": ex.J_upper, "J_lower": ex.J_lower, "width": ex.width, "rel_width": ex.rel_width,
            "n_atoms": len(ex.measure), "tv": ex.measure.tv, "n_cells": ex.cells["n_cells"],
            "cells_closed_form": ex.cells.get("closed_form"), "cells_method": ex.cells["method"],
            "rounds": len(ex.rounds), "polish": ex.polish, "sup": ex.sup, "unique": u.get("unique"),
            "exactly_m": u.get("exactly_m"), "uniqueness": u, "timings": ex.timings, "solver": ex.solver}


def _exact_lines(ex, J_grid: float) -> list[str]:
    u = ex.uniqueness or {}
    if ex.cells["method"] == "column generation":
        lines = [f"exact: column generation, {ex.cells['n_cells']} working cells (no enumeration), "
                 f"{len(ex.rounds)} rounds, {ex.timings['total_s']:.2f}s ({ex.cells['stopped']})"]
    else:
        lines = [f"exact: {ex.cells['n_cells']} activation patterns ({ex.cells['method']}, closed form "
                 f"{ex.cells['closed_form']}), {len(ex.rounds)} column-generation rounds, {ex.timings['total_s']:.2f}s"]
    lines.append(f"exact: J* in [{ex.J_lower:.12g}, {ex.J_upper:.12g}] (relative width {ex.rel_width:.1e}; "
                 f"sup |eta_p| <= {ex.sup['hi']:.12f}, {ex.sup['method']}); grid J - J* <= {J_grid - ex.J_lower:.3e}")
    verdict = ("unique, exactly" if u.get("exactly_m") else "unique, at most" if u.get("unique") else
               "uniqueness not proven:")
    lines.append(f"exact: nu* has {len(ex.measure)} atoms (TV {ex.measure.tv:.6g}); {verdict} "
                 + (f"{len(ex.measure)} atoms" if u.get("unique") else u.get("reason", "")))
    lines.append(_atom_table(ex.measure, 4, 6))
    return lines


# --------------------------------------------------------------------------------- gd
@dataclass(repr=False)
class GDRunResult(Result):
    """One run of the paper's Algorithm 1 on an instance (:func:`blasso.gd`).

    Attributes
    ----------
    status : str
        Why the run stopped: ``max_iter``, ``ftol``, ``gtol``, ``target`` or ``callback``.
    reason : str
        That, in words.
    J, F : float
        BLASSO objective of the network's measure, and the loss with the run's penalty.
    measure : Measure
        The network's measure (atoms above ``1e-6 max|c|``, largest first).
    result : blasso.solvers.gd.GDResult
        The run itself: final ``(a, W)``, ``trace``, ``trajectory`` (``record_units=True``).
    alpha : float
        The step constant used; ``alpha_probe`` is :func:`blasso.solvers.gd.choose_alpha`'s
        report when it was ``"auto"``.
    instance, lam, M, seed, iters
        The inputs (``iters``: the iteration cap).

    Examples
    --------
    >>> import blasso
    >>> run = blasso.gd(blasso.make_instance(teacher="mixed-signs", n=30, d=2, m=2, seed=0), 1e-2, M=10, iters=3000)
    >>> run.status, run.reason
    ('max_iter', 'the iteration cap was reached after 3000 iterations')
    >>> run.to_dict()["J_gd"] == run.J == run.result.J
    True
    """

    instance: Instance
    lam: float
    M: int
    seed: int
    iters: int
    result: object
    measure: Measure
    alpha: float
    alpha_probe: dict | None = None

    @property
    def status(self) -> str:
        return self.result.stop_reason

    @property
    def reason(self) -> str:
        return f"{STOP_REASONS.get(self.status, self.status)} after {self.result.n_iter} iterations"

    @property
    def J(self) -> float:
        return float(self.result.J)

    @property
    def F(self) -> float:
        return float(self.result.F)

    def _headline(self) -> str:
        p = self.result.params
        return (f"{self.status}, {p['penalty']}, M={self.M}, alpha={self.alpha:g}, {self.result.n_iter} iterations, "
                f"J={self.J:.10g}, {len(self.measure)} atoms")

    def to_dict(self) -> dict:
        res, p = self.result, self.result.params
        tr = res.trace
        return {"lam": self.lam, "M": self.M, "penalty": p["penalty"], "step": p["step"], "alpha": self.alpha,
                "alpha_auto": self.alpha_probe, "iters": self.iters, "n_iter": res.n_iter,
                "stop_reason": res.stop_reason, "F": res.F, "J_gd": res.J, "tv": self.measure.tv,
                "active_units": int(tr["active"][-1]), "sign_flips": res.info["sign_flips"], "gd_wall_s": res.wall_s,
                "iters_per_s": res.iters_per_s, "trace": dict(tr), "a": res.a, "W": res.W}

    def report_sections(self) -> dict:
        return {"measures": {"gd": self.measure}, "sizes": {**self.instance.sizes(), "M": self.M},
                "seeds": {"init_seed": self.seed, "instance_seed": self.instance.seed}}

    def summary(self) -> str:
        res, nu, p = self.result, self.measure, self.result.params
        tr = res.trace
        lines = [f"Algorithm 1 ({p['penalty']}, M={self.M}, alpha={self.alpha:g}, seed {self.seed}): "
                 f"{res.n_iter} iterations ({res.stop_reason}) in {res.wall_s:.2f}s, {res.iters_per_s:.0f} it/s",
                 f"F = {res.F:.10g}   J(measure) = {res.J:.10g}   TV = {nu.tv:.6g}   "
                 f"active units = {tr['active'][-1]} / {self.M}   |step|/alpha = {tr['grad_norm'][-1]:.2e}"]
        idx = np.unique(np.linspace(0, len(tr["iter"]) - 1, 8).round().astype(int))
        lines.append(format_table([[int(tr["iter"][i]), f"{tr['F'][i]:.8g}", f"{tr['J'][i]:.8g}",
                                    f"{tr['tv'][i]:.4g}", int(tr["active"][i])] for i in idx],
                                  ["iter", "F", "J", "TV", "active"]))
        if res.info["sign_flips"]:
            lines.append(f"WARNING: {res.info['sign_flips']} output weight(s) changed sign: alpha={self.alpha:g} is "
                         "too large for Algorithm 1's sign-preserving regime")
        return "\n".join(lines)

    def save(self, path) -> Path:
        """Write ``(a, W)``, the trace, the unit trajectories and the report to ``path`` (``.npz``), atomically.

        What ``blasso gd --save`` writes; :func:`blasso.load_report` reads it
        back and :func:`blasso.check_assumptions` takes it as ``gd_trace``.
        ``.npz`` is appended when missing; the written path is returned.
        """
        import json

        from ..jsonio import to_jsonable
        from ..report import measure_record, save_npz_atomic, with_suffix

        res = self.result
        traj = res.trajectory or {"iter": np.zeros(0, dtype=np.int64), "a": np.zeros((0, self.M)),
                                  "W": np.zeros((0, self.M, self.instance.d))}
        summary = {"command": "gd", "figures": self.to_dict(), "measures": {"gd": measure_record(self.measure)}}
        return save_npz_atomic(with_suffix(path, ".npz"), a=res.a, W=res.W,
                               **{f"trace_{k}": v for k, v in res.trace.items()}, traj_iter=traj["iter"],
                               traj_a=traj["a"], traj_W=traj["W"], report_json=np.array(json.dumps(to_jsonable(summary))))

    def plot(self, ax=None):
        """``J`` of the network's measure along the run (log-log), with the loss ``F`` when it differs (L2).

        Parameters
        ----------
        ax : matplotlib Axes, optional

        Returns
        -------
        Axes
        """
        from blasso.plotting import place_legend

        ax = plot_axes(ax, (7, 4.4))
        tr = self.result.trace
        it = np.maximum(np.asarray(tr["iter"], dtype=float), 1.0)
        ax.loglog(it, tr["J"], label="J of the network's measure (BLASSO objective)")
        if self.result.params["penalty"] != "l1":
            ax.loglog(it, tr["F"], "--", label=f"F, the {self.result.params['penalty']} training loss")
        ax.set_xlabel("iteration k (0 drawn at 1)")
        ax.set_ylabel("objective value")
        ax.set_title(_title("Algorithm 1", self.instance, lam=self.lam, M=self.M, verdict=self.status,
                            extra=f"alpha={self.alpha:g}"), fontsize=9)
        place_legend(ax)
        return ax


# ---------------------------------------------------------------------------- compare
@dataclass(repr=False)
class CompareResult(Result):
    """A GD run judged against the certified convex optimum (:func:`blasso.compare`).

    Attributes
    ----------
    verdict : str
        ``same-measure``, ``different-measure`` or ``inconclusive``.
    reasons : list of str
        Why (``reason`` joins them).
    figures : dict
        The whole comparison (objective gap, matched atoms, flat distance, held-out
        error, ``gd``, ``convex``, ``tolerances``): :meth:`to_dict` returns it.
    gd : blasso.solvers.gd.GDResult
        The GD run (``gd.measure()`` is its measure).
    reference : Measure
        The convex reference (the certified optimum unless one was given).
    lam : float
    instance : Instance or None
        Set by :func:`blasso.compare` (None from :func:`blasso.studies.compare.gd_vs_convex`).

    Examples
    --------
    >>> import blasso
    >>> inst = blasso.make_instance(teacher="mixed-signs", n=30, d=2, m=2, seed=0)
    >>> cmp = blasso.compare(inst, 1e-2, M=10, iters=20000, grid_size=360)
    >>> cmp.verdict, cmp.reference, cmp.to_dict()["n_matched"]
    ('same-measure', Measure(2 atoms, d=2, TV=1.69539), 2)
    """

    figures: dict
    gd: object
    reference: Measure
    lam: float
    instance: Instance | None = None
    sizes: dict = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return self.figures["verdict"]

    @property
    def reasons(self) -> list:
        return list(self.figures["reasons"])

    @property
    def reason(self) -> str:
        return "; ".join(self.figures["reasons"])

    def _headline(self) -> str:
        f = self.figures
        return (f"{f['verdict']}, gap {f['objective_gap_rel']:.2e} (relative), matched {f['n_matched']} of "
                f"{f['n_atoms_gd']} GD / {f['n_atoms_convex']} convex atoms, M={f['gd']['M']}")

    def to_dict(self) -> dict:
        return dict(self.figures)

    def report_sections(self) -> dict:
        g, cv = self.figures["gd"], self.figures["convex"]
        sizes = dict(self.instance.sizes() if self.instance is not None else self.sizes)
        sizes["M"] = g["M"]
        if cv.get("grid_size") is not None:
            sizes["grid_size"] = cv["grid_size"]
        seeds = {"init_seed": g["seed"]}
        if self.instance is not None:
            seeds["instance_seed"] = self.instance.seed
        solver = cv.get("solver")
        return {"measures": {"gd": self.gd.measure(), "convex": self.reference}, "solver_status": {},
                "solvers": [solver] if solver else [], "sizes": sizes, "seeds": seeds}

    def summary(self) -> str:
        rep = self.figures
        gd, cv = rep["gd"], rep["convex"]
        oracle = " (ORACLE grid: teacher atoms added)" if cv.get("oracle_grid") else ""
        how = {"exact": "exact finite program over every activation pattern",
               "colgen": "column generation over activation cells",
               "exchange": "after refinement and exchange rounds"}.get(cv.get("ground_truth"), "given:")
        grid_j = "n/a" if cv.get("J_grid") is None else f"{cv['J_grid']:.10g}"
        lines = [f"convex reference{oracle} (ground truth: {cv.get('ground_truth', 'given')}): grid J = {grid_j} "
                 f"({cv.get('grid')}), {how} J_convex = {rep['J_convex']:.10g} (an upper bound on J*), "
                 f"{len(self.reference)} atoms",
                 f"GD: {'Algorithm 1' if gd['step'] == 'norm' else 'plain GD'} {gd['penalty']}, M={gd['M']}, "
                 f"alpha={gd['alpha']:g}, seed {gd['seed']}: {gd['n_iter']} iterations ({gd['stop_reason']}) in "
                 f"{gd['wall_s']:.1f}s; J_gd = {rep['J_gd']:.10g}, {gd['active_units']} active units"]
        if cv.get("J_lower") is not None:
            lines.append(f"certified bracket: {cv['J_lower']:.10g} <= J* <= {rep['J_convex']:.10g} "
                         f"(relative width {(rep['J_convex'] - cv['J_lower']) / rep['J_convex']:.2e}; rigorous sup "
                         "of |eta_p| over the sphere)")
        lines.append(f"remaining gap J_gd - J_convex = {rep['objective_gap']:.4g} "
                     f"(relative {rep['objective_gap_rel']:.3e}; target {rep['gap_target']:g})"
                     + (f"; J_gd - J* <= {rep['objective_gap_upper']:.4g} (relative "
                        f"{rep['objective_gap_upper'] / rep['J_convex']:.3e})" if "objective_gap_upper" in rep else ""))
        rows = [[m["gd"], m["convex"], f"{np.degrees(m['angle']):.3f}", f"{m['c_gd']:+.5f}", f"{m['c_convex']:+.5f}"]
                for m in rep["matched"]]
        if rows:
            lines.append(format_table(rows, ["gd atom", "convex atom", "angle deg", "c_gd", "c_convex"]))
        lines.append(f"matched {rep['n_matched']} of {rep['n_atoms_gd']} GD / {rep['n_atoms_convex']} convex atoms; "
                     f"unmatched mass {rep['unmatched_mass']:.4g} ({rep['unmatched_mass_rel']:.3f} TV); "
                     f"flat distance {rep['distance']:.4g} ({rep['distance_rel']:.3f} TV); "
                     f"held-out prediction error {rep['prediction_rel_error']:.3e} (relative RMS)")
        lines.append(f"verdict: {rep['verdict']} -- " + "; ".join(rep["reasons"]))
        return "\n".join(lines)

    def plot(self, ax=None, *, kind: str = "gap"):
        """The GD run against the convex optimum.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        kind : {"gap", "atoms"}
            ``gap``: the relative objective gap ``(J_k - J_convex) / J_convex``
            of GD along the run (log-log), with the stopping target and the
            certified bracket's width; ``atoms``: ``|c|`` of the GD measure's
            and the reference's atoms against the angle to the nearest
            reference atom.

        Returns
        -------
        Axes
        """
        from blasso.plotting import place_legend
        from blasso.validation import check_choice

        kind = check_choice(kind, ("gap", "atoms"), name="kind")
        ax = plot_axes(ax, (7.5, 4.6))
        f = self.figures
        title = _title("Algorithm 1 vs the convex optimum", self.instance, lam=self.lam, M=f["gd"]["M"],
                       verdict=f["verdict"])
        if kind == "atoms":
            plot_atoms(ax, {"GD measure": self.gd.measure(prune_rtol=1e-6)}, self.reference, "convex optimum")
            ax.set_title(title, fontsize=9)
            return ax
        tr = self.gd.trace
        J_ref = f["J_convex"]
        it = np.maximum(np.asarray(tr["iter"], dtype=float), 1.0)
        gap = (np.asarray(tr["J"], dtype=float) - J_ref) / J_ref
        ok = gap > 0
        ax.loglog(it[ok], gap[ok], label="(J_k - J_convex) / J_convex, Algorithm 1")
        if f["gap_target"] > 0:
            ax.axhline(f["gap_target"], color="C1", ls="--", lw=1, label=f"stopping target {f['gap_target']:g}")
        lo = f["convex"].get("J_lower")
        if lo is not None and J_ref > lo:
            ax.axhline((J_ref - lo) / J_ref, color="gray", ls=":", label="certified bracket width (relative)")
        ax.set_xlabel("iteration k (0 drawn at 1)")
        ax.set_ylabel("relative objective gap to J_convex")
        ax.set_title(title, fontsize=9)
        place_legend(ax)
        return ax
