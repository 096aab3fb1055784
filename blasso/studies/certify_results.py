"""Result objects of the public API, certificate side: certify, population certificate, assumptions, demo.

Same protocol as :mod:`blasso.studies.results` (one-line ``repr``, ``verdict``
and ``reason``, :meth:`summary`, :meth:`to_dict` = the JSON report's
``figures``, :meth:`plot` returning the Axes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..instance import Instance
from ..measure import Measure
from ..validation import BlassoInputError, check_choice
from .results import Result, _title, format_table, plot_axes

__all__ = ["CertifyResult", "PopulationCertificateResult", "AssumptionsResult", "DemoResult"]

_STATUS_COLOURS = {"holds": "#7fc97f", "certified": "#7fc97f", "fails": "#f0027f", "inconclusive": "#bdbdbd"}


def _f6(v) -> str:
    return "-" if v is None else f"{v:.6f}"


# ---------------------------------------------------------------------------- certify
@dataclass(repr=False)
class CertifyResult(Result):
    """Conditions (10) for a target, decided over the whole sphere, and a certified bracket (:func:`blasso.certify`).

    Attributes
    ----------
    verdict : str
        ``certified``, ``fails`` or ``inconclusive`` (conditions (10) for the target).
    reason : str
        What the verdict rests on (the rigorous sup, the violating direction, the missing step).
    margin : float
        ``1 - sup |eta_V|`` (a rigorous lower bound when ``certified``).
    bracket : (float, float) or (None, None)
        The certified bracket of ``J*`` (``lam > 0``) or of the basis-pursuit value (``lam = 0``).
    report : blasso.certificates.verdict.CertifyReport
        Everything else: ``conditions`` (``p_V``, the sup bracket, the margin curve), the grid
        dual, ``parts`` (what ran, what was skipped and why).
    population : PopulationCertificateResult or None
        The population (n -> infinity) certificate of the same target (``population=True``).
    instance, lam, solver
        The inputs.

    Examples
    --------
    >>> import blasso
    >>> cert = blasso.certify(blasso.make_instance(teacher="paper", n=40, d=2, m=2, seed=0), time_budget=10)
    >>> cert
    CertifyResult(certified, margin +3.516e-03, target teacher (2 atoms), bracketed)
    >>> print(cert.summary().splitlines()[0])
    n=40 d=2 lam=0  equiangular grid, G=1002, d=2 (ORACLE: +2 teacher atoms)
    >>> cert.to_dict()["verdict"] == cert.verdict
    True
    """

    instance: Instance
    lam: float
    report: object
    solver: str
    population: object = None

    @property
    def verdict(self) -> str:
        return self.report.verdict

    @property
    def reason(self) -> str:
        return self.report.reason

    @property
    def margin(self) -> float:
        return float(self.report.conditions.margin)

    @property
    def target(self) -> Measure:
        return self.report.target

    @property
    def bracket(self) -> tuple:
        return self.report.bracket_lo, self.report.bracket_hi

    def _headline(self) -> str:
        rep = self.report
        head = f"{rep.verdict}, margin {rep.conditions.margin:+.3e}, target {rep.target_kind} ({len(rep.target)} atoms)"
        if rep.bracket_lo is not None:
            head += f", J* in [{rep.bracket_lo:.8g}, {rep.bracket_hi:.8g}]" if self.lam > 0 else ", bracketed"
        return head

    def to_dict(self) -> dict:
        figures = {"lam": self.lam, **self.report.to_dict()}
        if self.population is not None:
            figures["population"] = self.population.to_dict()
        if figures.get("violating_theta") is not None:
            figures["violating_theta"] = np.asarray(figures["violating_theta"]).tolist()
        return figures

    def report_sections(self) -> dict:
        rep = self.report
        status = {f"{name} part": str(part.get("status")) for name, part in rep.parts.items() if isinstance(part, dict)}
        return {"measures": {"target": rep.target}, "solver_status": status,
                "sizes": {**self.instance.sizes(), "grid_size": rep.grid.size}, "solvers": [self.solver],
                "seeds": {"instance_seed": self.instance.seed}}

    def summary(self) -> str:
        rep, inst = self.report, self.instance
        lines = [f"n={inst.n} d={inst.d} lam={self.lam:g}  {rep.grid.describe()}",
                 format_table(rep.table_rows(), ["quantity", "value"]), f"reason: {rep.reason}"]
        for name, part in rep.parts.items():
            if part.get("status") != "ok":
                lines.append(f"{name}: {part['status']}: {part.get('reason', '')}")
        curve = rep.conditions.curve
        if curve:
            rows = [[f"{math.degrees(c['r']):.3g}", f"{c['margin_lo']:.3e}", f"{c['margin_hi']:.3e}"] for c in curve]
            lines.append("margin curve 1 - max|eta_V| outside balls of radius r around the support (JSON: r in radians):")
            lines.append(format_table(rows, ["r deg", "margin >=", "margin <="]))
        if self.population is not None:
            lines.append(self.population.summary())
        return "\n".join(lines)

    def figures(self) -> dict:
        """The figures ``blasso certify --plot DIR`` writes: ``{file name: Figure}`` (eta_V map, margin curve)."""
        from blasso.certificates.plot import report_figures

        return report_figures(self.report, self.instance.X)

    def plot(self, ax=None, *, kind: str = "auto"):
        """``eta_V`` over the circle (d = 2) or the sphere (d = 3), or the margin curve (any d).

        Parameters
        ----------
        ax : matplotlib Axes, optional
        kind : {"auto", "eta", "margin"}
            ``auto`` is ``eta`` in d = 2, 3 and ``margin`` otherwise.  ``eta``
            draws ``eta_V`` with the target's atoms and the violating direction
            (d = 2 also the grid dual's ``eta``); ``margin`` draws ``1 - max
            |eta_V|`` outside balls of radius r around the atoms.

        Returns
        -------
        Axes
        """
        from blasso.certificates.plot import plot_circle, plot_margin_curve, plot_sphere_map, report_title
        kind = check_choice(kind, ("auto", "eta", "margin"), name="kind")
        rep, X, d = self.report, self.instance.X, self.instance.d
        cond = rep.conditions
        kind = ("eta" if d in (2, 3) else "margin") if kind == "auto" else kind
        if kind == "margin":
            if not cond.curve:
                raise BlassoInputError("no margin curve in this report (the conditions stopped before it)")
            ax = plot_axes(ax, (7, 4.2))
            return plot_margin_curve(cond.curve, ax=ax, title=report_title(rep, X, "margin curve"))
        if d not in (2, 3):
            raise BlassoInputError(f"eta_V is drawn in d = 2 or 3 (here d = {d}); use kind='margin'")
        mark = None if cond.violating_theta is None else np.append(cond.violating_theta, cond.violating_eta)
        if d == 2:
            curves = {"eta_V (pre-certificate p_V)": cond.pre.p}
            if rep.p_grid is not None:
                curves[f"eta of the grid dual ({'p_0' if rep.lam == 0 else 'p_lam'})"] = rep.p_grid
            return plot_circle(X, curves, atoms=rep.target.theta, signs=rep.target.c, mark=mark,
                               ax=plot_axes(ax, (9, 4)), title=report_title(rep, X, "eta over the circle"))
        sup = None if cond.sup is None else cond.sup.hi
        return plot_sphere_map(X, cond.pre.p, atoms=rep.target.theta, signs=rep.target.c,
                               mark=None if mark is None else mark[:3], sup=sup, ax=plot_axes(ax, (9, 5.5)),
                               title=report_title(rep, X, "eta_V over the sphere"))


# ------------------------------------------------------------------------- population
@dataclass(repr=False)
class PopulationCertificateResult(Result):
    """Conditions (10) for the population (n -> infinity) ``eta_V`` of a target (:func:`blasso.population_certificate`).

    Attributes
    ----------
    verdict : str
        ``certified``, ``fails`` or ``inconclusive``.
    reason : str
    certificate : blasso.certificates.population.PopulationResult or None
        The certificate (margin curve, second-order margins, violating direction);
        None when the target was refused (``not_computed`` says why).
    target : Measure
    n, rows, reading, n_estimate, sample_verdict
        With a sample (a :class:`CertifyResult`): its size, the rows ``[r_deg,
        sample_lo, sample_hi, population_lo, population_hi]`` of ``max |eta_V|``
        outside r-balls, one sentence on structural vs sampling effect, and the
        ``n ~ n (e/mu)^2`` estimate (assumptions in :mod:`blasso.studies.population`).

    Examples
    --------
    >>> import numpy as np, blasso
    >>> pop = blasso.population_certificate(blasso.Measure(np.eye(2), [1.0, -1.0]), time_budget=10)
    >>> pop
    PopulationCertificateResult(certified, 2 atoms, d=2, second-order margin 1.54)
    >>> [r for r, lo, hi in pop.margin_curve][:3]
    [0.5, 1.0, 2.0]
    """

    target: Measure
    certificate: object
    not_computed: str | None = None
    n: int | None = None
    rows: list | None = None
    reading: str | None = None
    n_estimate: dict | None = None
    sample_verdict: str | None = None

    @property
    def verdict(self) -> str:
        return "inconclusive" if self.certificate is None else self.certificate.verdict

    @property
    def reason(self) -> str:
        return self.not_computed if self.certificate is None else self.certificate.reason

    @property
    def margin_curve(self) -> list:
        """``[r_deg, sup_lo, sup_hi]`` of the population ``|eta_V|`` outside r-balls around the atoms."""
        return [] if self.certificate is None else list(self.certificate.margin_curve)

    def _headline(self) -> str:
        head = f"{self.verdict}, {len(self.target)} atoms, d={self.target.d}"
        if self.certificate is not None and self.certificate.second_order_margin is not None:
            head += f", second-order margin {self.certificate.second_order_margin:.3g}"
        if self.sample_verdict is not None:
            head += f"; sample (n={self.n}) {self.sample_verdict}"
        return head

    def to_dict(self) -> dict:
        if self.certificate is None:
            out = {"verdict": "inconclusive", "reason": self.not_computed, "margin_curve": []}
        else:
            out = self.certificate.to_dict()
        if self.n is not None:
            out.update(sample_vs_population=self.rows, reading=self.reading, n_estimate=self.n_estimate)
        return out

    def summary(self) -> str:
        lines = [f"population (n -> infinity) certificate: {self.verdict}: {self.reason}"]
        if self.n is not None:
            rows = [[f"{r:g}", _f6(a), _f6(b), _f6(c), _f6(d)] for r, a, b, c, d in self.rows]
            lines.append(f"max |eta_V| outside balls of radius r (deg) around the support: sample (n = {self.n}) "
                         "vs population")
            lines.append(format_table(rows, ["r deg", "sample >=", "sample <=", "population >=", "population <="]))
            lines.append(f"reading: {self.reading}")
        elif self.margin_curve:
            rows = [[f"{r:g}", _f6(lo), _f6(hi)] for r, lo, hi in self.margin_curve]
            lines.append("max |eta_V| outside balls of radius r (deg) around the support:")
            lines.append(format_table(rows, ["r deg", "population >=", "population <="]))
        return "\n".join(lines)

    def plot(self, ax=None):
        """``max |eta_V|`` outside r-balls around the atoms against r (degrees): population band, sample's ends.

        Parameters
        ----------
        ax : matplotlib Axes, optional

        Returns
        -------
        Axes
        """
        from blasso.plotting import instance_title, place_legend

        ax = plot_axes(ax, (7, 4.2))
        rows = [r for r in self.margin_curve if r[1] is not None]
        if rows:
            r = np.array([row[0] for row in rows], dtype=float)
            lo = np.array([row[1] for row in rows], dtype=float)
            hi = np.array([np.nan if row[2] is None else row[2] for row in rows], dtype=float)
            ax.plot(r, lo, "o-", color="C2", label="population, attained (lower end)")
            ax.plot(r, hi, "s--", color="C2", mfc="none", label="population, rigorous upper bound")
        for k, (lab, mk) in enumerate((("sample, attained", "v"), ("sample, rigorous upper bound", "^"))):
            pts = [(row[0], row[1 + k]) for row in (self.rows or []) if row[1 + k] is not None]
            if pts:
                ax.plot(*np.array(pts).T, mk, color="C0", label=f"{lab} (n = {self.n})")
        ax.axhline(1.0, color="k", lw=0.8, ls="--", label="|eta_V| = 1 (certificate bound)")
        ax.set_xscale("log")
        ax.set_xlabel("radius r of the balls around the atoms (deg)")
        ax.set_ylabel("max |eta_V| outside the balls")
        ax.set_title(instance_title("population (n -> infinity) certificate of conditions (10)", d=self.target.d,
                                    m=len(self.target), verdict=self.verdict), fontsize=9)
        place_legend(ax)
        return ax


# ------------------------------------------------------------------------- assumptions
@dataclass(repr=False)
class AssumptionsResult(Result):
    """The paper's assumptions 3.1-4.7 and conditions (10) on an instance (:func:`blasso.check_assumptions`).

    Attributes
    ----------
    verdict : str
        ``holds`` when every row holds, ``fails`` when one fails, ``inconclusive`` otherwise.
    reason : str
        Which rows fail or are inconclusive.
    report : blasso.studies.assumptions.AssumptionsReport
        ``checks[id]`` (teacher / data) and ``optimum[id]`` (4.1, 4.3, 4.4, 4.5 at the
        certified optimum), each a :class:`blasso.studies.assumptions.Check`
        (status, value, threshold, reason).
    instance : Instance

    Examples
    --------
    >>> import blasso
    >>> res = blasso.check_assumptions(blasso.make_instance(teacher="paper", n=40, d=2, m=2, seed=0), time_budget=10)
    >>> res
    AssumptionsResult(inconclusive, 8 hold, 0 fail, 1 inconclusive; teacher only)
    >>> res.reason
    'inconclusive: 4.6'
    """

    instance: Instance
    report: object

    def _statuses(self) -> dict:
        out = {k: c.status for k, c in self.report.checks.items()}
        out.update({f"{k} (optimum)": c.status for k, c in self.report.optimum.items()})
        return out

    @property
    def verdict(self) -> str:
        st = set(self._statuses().values())
        return "fails" if "fails" in st else "inconclusive" if "inconclusive" in st else "holds"

    @property
    def reason(self) -> str:
        st = self._statuses()
        parts = [f"{s}: {', '.join(k for k, v in st.items() if v == s)}" for s in ("fails", "inconclusive")
                 if s in st.values()]
        return "; ".join(parts) if parts else "every assumption holds"

    def _headline(self) -> str:
        st = list(self._statuses().values())
        lam = "teacher only" if self.report.lam is None else f"lam={self.report.lam:g}"
        return (f"{self.verdict}, {st.count('holds')} hold, {st.count('fails')} fail, "
                f"{st.count('inconclusive')} inconclusive; {lam}")

    def to_dict(self) -> dict:
        return self.report.to_dict()

    def report_sections(self) -> dict:
        return {"sizes": self.instance.sizes(), "seeds": {"instance_seed": self.instance.seed}}

    def summary(self) -> str:
        rep, inst = self.report, self.instance
        lines = [f"n={inst.n} d={inst.d}" + (f" lam={rep.lam:g}" if rep.lam is not None else " (no lam: teacher only)"),
                 format_table(rep.table_rows(), ["id", "assumption", "teacher / data", "optimum at lam"])]
        lines += [f"{k} [{c.status}] {c.reason}" for k, c in rep.checks.items()]
        lines += [f"{k} at the optimum [{c.status}] {c.reason}" for k, c in rep.optimum.items()]
        return "\n".join(lines)

    def plot(self, ax=None):
        """The table of statuses: one row per assumption, a column for the teacher / data and for the optimum.

        Parameters
        ----------
        ax : matplotlib Axes, optional

        Returns
        -------
        Axes
        """
        from blasso.plotting import place_legend
        from blasso.studies.assumptions import ASSUMPTION_IDS

        ax = plot_axes(ax, (6.5, 5.2))        # first: a clear error without matplotlib
        from matplotlib.colors import to_rgb
        from matplotlib.patches import Patch

        cols = [("teacher / data", self.report.checks), ("optimum at lam", self.report.optimum)]
        img = np.ones((len(ASSUMPTION_IDS), len(cols), 3))
        for i, k in enumerate(ASSUMPTION_IDS):
            for j, (_, checks) in enumerate(cols):
                c = checks.get(k)
                if c is not None:
                    img[i, j] = to_rgb(_STATUS_COLOURS[c.status])
                    ax.text(j, i, c.status, ha="center", va="center", fontsize=8)
        ax.imshow(img, aspect="auto")
        ax.set_xticks(range(len(cols)), [c[0] for c in cols])
        ax.set_yticks(range(len(ASSUMPTION_IDS)), ASSUMPTION_IDS)
        ax.set_xlabel("target")
        ax.set_ylabel("assumption (Akiyama & Suzuki 2021)")
        lam = self.report.lam
        ax.set_title(_title("the paper's assumptions", self.instance, lam=lam, verdict=self.verdict), fontsize=9)
        handles = [Patch(color=_STATUS_COLOURS[s], label=s) for s in ("holds", "fails", "inconclusive")]
        place_legend(ax, handles=handles, labels=[h.get_label() for h in handles], where="right")
        return ax


# -------------------------------------------------------------------------------- demo
@dataclass(repr=False)
class DemoResult(Result):
    """The paper's Fig. 2 instance end to end (:func:`blasso.demo`): grid LASSO on a plain and an oracle grid,
    sampled checks, then the rigorous certificate.

    Attributes
    ----------
    verdict, reason : str
        The certificate's (conditions (10) for the teacher).
    certificate : blasso.certificates.verdict.CertifyReport
    runs : list of dict
        ``plain grid`` and ``oracle grid``: ``result`` (LassoResult), ``measure``, ``grid``,
        ``grid_certificate`` (sampled checks, never ``certified``), ``clusters`` (mass per teacher atom).
    instance, lam, seed, teacher, base_grid, covering, max_angle, n_probe
    """

    instance: Instance
    lam: float
    seed: int
    teacher: Measure
    runs: list
    certificate: object
    base_grid: object
    covering: dict
    max_angle: float
    n_probe: int

    @property
    def verdict(self) -> str:
        return self.certificate.verdict

    @property
    def reason(self) -> str:
        return self.certificate.reason

    def _headline(self) -> str:
        j = ", ".join(f"{r['label']} J={r['result'].objective:.8g}" for r in self.runs)
        return f"{self.verdict}; {j}"

    def to_dict(self) -> dict:
        cert = self.certificate
        return {"lam": self.lam, "J_teacher": self.lam * self.teacher.tv, "covering_radius": self.covering["radius"],
                "runs": [_run_figures(r) for r in self.runs], "verdict": cert.verdict, "reason": cert.reason,
                "certificate": cert.to_dict()}

    def report_sections(self) -> dict:
        return {"sizes": self.instance.sizes(), "seeds": {"instance_seed": self.seed},
                "measures": {"teacher": self.teacher, **{r["label"]: r["measure"] for r in self.runs}},
                "solver_status": {r["label"]: r["result"].status for r in self.runs},
                "solvers": sorted({r["result"].solver for r in self.runs} | {"CLARABEL"})}

    def summary(self) -> str:
        cert = self.certificate
        lines = [f"Paper's Fig. 2 instance: teacher m=5 (orthonormal, a°=1), d=5, n=100 uniform on the sphere, "
                 f"noiseless, seed={self.seed}, lam={self.lam:g}",
                 f"J(teacher) = lam * TV = {self.lam * self.teacher.tv:.6g} (an upper bound on J*)", "",
                 f"grid: {self.base_grid.describe()}, covering radius >= {np.degrees(self.covering['radius']):.1f} deg "
                 f"(from {self.n_probe} probes)",
                 format_table([_run_row(r) for r in self.runs],
                              ["grid", "G", "solver status", "J", "TV", "atoms", "max|eta| grid", "grid gap",
                               "max|eta| sampled", "continuous", "solve s"]), "", self._clusters(), ""]
        lines += [f"{r['label']}: {r['grid_certificate'].to_dict()['continuous_reason']}" for r in self.runs]
        lines += ["", "Certificates over the whole sphere (rigorous sups; oracle grid for the grid dual):",
                  format_table(cert.table_rows(), ["quantity", "value"]), f"verdict: {cert.verdict}: {cert.reason}"]
        return "\n".join(lines)

    def _clusters(self) -> str:
        teacher, runs = self.teacher, self.runs
        rows = [[j, f"{teacher.c[j]:.3f}"] + sum(
            ([f"{r['clusters']['mass'][j]:.4f}", int(r['clusters']['count'][j]),
              f"{np.degrees(r['clusters']['mean_angle'][j]):.2f}"] for r in runs), []) for j in range(len(teacher))]
        rows.append(["other", "-"] + sum(([f"{r['clusters']['unassigned_mass']:.4f}",
                                           int(r['clusters']['unassigned_count']), "-"] for r in runs), []))
        return (f"Atoms found vs teacher (atoms within {np.degrees(self.max_angle):.1f} deg of a teacher atom):\n"
                + format_table(rows, ["teacher j", "c°_j", "plain: mass", "atoms", "mean angle deg",
                                      "oracle: mass", "atoms", "mean angle deg"]))

    def plot(self, ax=None):
        """Mass the grid solutions put near each teacher atom (plain and oracle grid) against the teacher's weight.

        Parameters
        ----------
        ax : matplotlib Axes, optional

        Returns
        -------
        Axes
        """
        from blasso.plotting import place_legend

        ax = plot_axes(ax, (7, 4.2))
        m = len(self.teacher)
        x = np.arange(m + 1)
        width = 0.8 / (len(self.runs) + 1)
        ax.bar(x[:m], self.teacher.c, width, color="k", alpha=0.3, label="teacher weight c°_j")
        for k, r in enumerate(self.runs, start=1):
            cl = r["clusters"]
            ax.bar(x + k * width, list(cl["mass"]) + [cl["unassigned_mass"]], width,
                   label=f"{r['label']}: mass within {np.degrees(self.max_angle):.1f} deg")
        ax.set_xticks(x + 0.4 - width / 2, [f"atom {j}" for j in range(m)] + ["elsewhere"])
        ax.set_xlabel("teacher atom j (last: mass near no teacher atom)")
        ax.set_ylabel("summed weight of the grid solution's atoms")
        ax.set_title(_title("grid LASSO near the teacher's atoms (Fig. 2 instance)", self.instance, lam=self.lam,
                            verdict=f"conditions (10) {self.verdict}"), fontsize=9)
        place_legend(ax, where="right")
        return ax


def _run_row(r) -> list:
    res, cert, nu = r["result"], r["grid_certificate"], r["measure"]
    status = res.status + (" (gap-verified)" if res.status != "optimal" and not res.inaccurate else "")
    return [r["label"], r["grid"].size, status, f"{res.objective:.8f}", f"{nu.tv:.4f}", len(nu),
            f"{cert.grid_max.value:.6f}", f"{cert.grid_gap['rel_gap']:.1e}", f"{cert.random_max.value:.4f}",
            cert.verdict, f"{res.wall_s:.2f}"]


def _run_figures(r) -> dict:
    res, nu = r["result"], r["measure"]
    return {"label": r["label"], "grid_size": r["grid"].size, "oracle": r["grid"].oracle, "solver": res.solver,
            "status": res.status, "grid_rel_gap_solver": res.grid_rel_gap, "objective": res.objective, "tv": nu.tv,
            "n_atoms": len(nu), "solve_wall_s": res.wall_s, "p_mismatch": res.p_mismatch,
            "clusters": r["clusters"], **r["grid_certificate"].to_dict()}
