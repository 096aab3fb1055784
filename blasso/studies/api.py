"""The public API: one function per question, one result object per answer.

Everything here is importable from :mod:`blasso` itself (``import blasso;
blasso.solve(...)``), loaded on first use so that ``import blasso`` stays light.

* :func:`solve` -- the grid LASSO and, with ``exact=True``, the certified optimum
  of the BLASSO (column generation in any d, with a verified bracket of ``J*``);
* :func:`certify` -- conditions (10) for a target over the whole sphere, a
  certified bracket, and (``population=True``) the population certificate;
* :func:`population_certificate` -- conditions (10) as ``n -> infinity``;
* :func:`gd` -- the paper's Algorithm 1 on an instance (:func:`run_gd` on arrays);
* :func:`compare` -- a GD run against the certified convex optimum;
* :func:`check_assumptions` -- one row per assumption of Akiyama & Suzuki (2021);
* :func:`demo` -- the paper's Fig. 2 instance end to end.

Each function takes an :class:`~blasso.Instance` (or an ``(X, y)`` pair, or an
instance file), validates its arguments once (a bad value is one
:class:`~blasso.BlassoInputError` line), and returns a result object with a
short ``repr``, ``status``/``verdict`` and ``reason``, ``summary()``,
``to_dict()`` (the ``figures`` of the matching command's ``--json`` report) and
``plot(ax=None)``.  The command line calls these functions and nothing else for
``solve``, ``certify``, ``gd``, ``compare``, ``assumptions`` and ``demo``, and
reads its defaults from their signatures.
"""

from __future__ import annotations

import math
import os

from ..instance import Instance, load_instance
from ..measure import Measure
from ..sphere import Grid, add_atoms, make_grid
from ..validation import (BlassoInputError, check_choice, check_lam, check_nonneg, check_number, check_positive,
                          check_positive_int, check_seed)
from blasso.solvers.gd import run_gd
from .certify_results import AssumptionsResult, CertifyResult, DemoResult, PopulationCertificateResult
from .compare import Tolerances
from .ground_truth import GROUND_TRUTH_MODES
from .population import POPULATION_RADII_DEG
from .results import CompareResult, GDRunResult, SolveResult

# Also served here (and as blasso.<name>), documented where they are defined: run_gd
# (blasso.solvers.gd), Tolerances (blasso.studies.compare), the result classes
# (blasso.studies.results, blasso.studies.certify_results).
__all__ = ["solve", "certify", "population_certificate", "gd", "compare", "check_assumptions", "demo", "as_instance",
           "DEFAULT_LAM", "DEFAULT_MERGE_ANGLE_DEG", "GRID_TRUTHS", "CERTIFY_TRUTHS"]

#: ``lam`` of :func:`solve`, :func:`gd` and :func:`compare` when neither the call nor the instance gives one.
DEFAULT_LAM = 1e-3
#: Degrees: solution atoms closer than this merge before :func:`certify` checks them (0.1 rad).
DEFAULT_MERGE_ANGLE_DEG = math.degrees(0.1)
#: ``ground_truth`` of :func:`solve` (``exact=True``); :data:`GROUND_TRUTH_MODES` are :func:`compare`'s.
GRID_TRUTHS = ("auto", "colgen", "exact")
#: ``ground_truth`` of :func:`certify`: ``grid`` computes no certified optimum.
CERTIFY_TRUTHS = ("auto", "colgen", "exact", "grid")


# ------------------------------------------------------------------------ inputs
def as_instance(data) -> Instance:
    """An :class:`~blasso.Instance` from an instance, an ``(X, y)`` pair or the path of an instance file.

    Examples
    --------
    >>> import numpy as np
    >>> as_instance((np.eye(2), np.ones(2)))
    Instance(n=2, d=2, teacher=None)
    """
    if isinstance(data, Instance):
        return data
    if isinstance(data, (str, os.PathLike)):
        return load_instance(data)
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return Instance(X=data[0], y=data[1])
    raise BlassoInputError(f"data must be a blasso.Instance, an (X, y) pair or an instance file; "
                           f"got {type(data).__name__}")


def _lam(lam, inst: Instance, default: float | None, *, allow_zero: bool = False) -> float | None:
    """``lam`` if given, else the instance's, else ``default``; checked."""
    lam = inst.lam if lam is None else lam
    lam = default if lam is None else lam
    return None if lam is None else check_lam(lam, allow_zero=allow_zero)


def _grid(inst: Instance, grid, size, kind: str, seed, oracle: bool) -> Grid:
    """The given grid, or ``make_grid(kind, size, d, rng=seed)``; plus the teacher's atoms when ``oracle``."""
    if grid is None:
        grid = make_grid(kind, size, inst.d, rng=check_seed(seed, name="grid_seed"))
    elif not isinstance(grid, Grid):
        raise BlassoInputError(f"grid must be a blasso.Grid (blasso.make_grid, blasso.load_grid); "
                               f"got {type(grid).__name__}")
    elif grid.d != inst.d:
        raise BlassoInputError(f"grid has dimension {grid.d}, the data d = {inst.d}")
    if oracle:
        if not inst.has_teacher:
            raise BlassoInputError("oracle=True (--oracle) needs an instance with a teacher")
        grid = add_atoms(grid, inst.teacher_measure().theta)
    return grid


def _solver(name, allowed) -> str:
    return check_choice(str(name).upper(), allowed, name="solver")


# ------------------------------------------------------------------------- solve
def solve(data, lam: float | None = None, *, grid: Grid | None = None, grid_size: int = 4000,
          grid_kind: str = "auto", grid_seed: int = 0, oracle: bool = False, solver: str = "AUTO",
          allow_inaccurate: bool = False, exact: bool = False, ground_truth: str = "auto",
          max_cells: int | None = None, time_budget: float = 300.0, progress=None) -> SolveResult:
    """Solve the BLASSO on a grid and, with ``exact=True``, exactly, with a certified bracket of ``J*``.

    Parameters
    ----------
    data : Instance, (X, y) or path
        The problem.
    lam : float, optional
        Regularisation ``> 0`` (default: the instance's, else :data:`DEFAULT_LAM`).
    grid : Grid, optional
        Directions of the grid LASSO (default: ``make_grid(grid_kind, grid_size, d, rng=grid_seed)``).
    grid_size, grid_kind, grid_seed
        The default grid (``auto``: equiangular in d = 2, Fibonacci in d = 3, cube otherwise).
    oracle : bool
        Add the teacher's directions to the grid (an ORACLE grid, reported as such).
    solver : {"AUTO", "FAST", "ECOS", "CLARABEL", "SCS"}
        Grid LASSO solver; ``AUTO`` is the fast path above 20000 atoms or when ECOS
        is estimated to take over 5 s, ECOS otherwise.
    allow_inaccurate : bool
        Return an ``optimal_inaccurate`` solve (flagged) instead of raising ``SolverError``.
    exact : bool
        Also the continuous optimum: the finite convex program over activation
        cells, by column generation priced by the rigorous sup (any d), with a
        verified bracket ``[J_lower, J_upper]`` and the uniqueness test.
    ground_truth : {"auto", "colgen", "exact"}
        ``exact=True``: ``auto`` = ``colgen``; ``exact`` enumerates every cell (a
        cross-check for small instances, refused over ``max_cells`` before any work).
    max_cells : int, optional
        Cell budget of ``ground_truth="exact"``.
    time_budget : float
        Seconds for the column generation (the bracket reached is reported).
    progress : callable, optional
        A :mod:`blasso.progress` hook.

    Returns
    -------
    SolveResult

    Examples
    --------
    >>> import blasso
    >>> inst = blasso.make_instance(teacher="mixed-signs", n=30, d=2, m=2, seed=0)
    >>> res = blasso.solve(inst, 1e-2, grid_size=360, exact=True)
    >>> res.status, len(res.exact.measure), res.exact.rel_width < 1e-10
    ('optimal', 2, True)
    >>> res.exact.J_lower <= res.exact.J_upper <= res.objective
    True
    """
    from blasso.solvers import LASSO_SOLVERS

    from .solve import exact_solution, solve_on_grid

    inst = as_instance(data)
    lam = _lam(lam, inst, DEFAULT_LAM)
    solver = _solver(solver, LASSO_SOLVERS)
    ground_truth = check_choice(ground_truth, GRID_TRUTHS, name="ground_truth")
    time_budget = check_positive(time_budget, "time_budget")
    if exact and ground_truth == "exact":
        _refuse_enumeration(inst, max_cells)
    grid = _grid(inst, grid, grid_size, grid_kind, grid_seed, oracle)
    sol = solve_on_grid(inst, lam, grid, solver=solver, allow_inaccurate=allow_inaccurate, progress=progress)
    ex = None
    if exact:
        ex = exact_solution(inst, lam, method=ground_truth, max_cells=max_cells, time_budget=time_budget,
                            start=sol["measure"], progress=progress)
    return SolveResult(inst, lam, grid, sol["result"], sol["measure"], sol["covering"], ex,
                       (("exact" if ground_truth == "exact" else "colgen") if exact else None))


def _refuse_enumeration(inst: Instance, max_cells) -> None:
    """``ground_truth="exact"`` over its cell budget: one line, before any work."""
    from blasso.solvers.exact import exact_affordable

    ok, bound, budget = exact_affordable(inst.X, max_cells)
    if not ok:
        raise BlassoInputError(f"exact solve refused (ground truth 'exact'): up to {bound:,} activation patterns "
                               f"(cells) for n = {inst.n}, d = {inst.d}, over the budget of {budget:,} (max_cells,"
                               " --max-cells; the column generation needs no enumeration)")


# ----------------------------------------------------------------------- certify
def certify(data, lam: float | None = None, *, target="teacher", grid: Grid | None = None,
            grid_size: int | None = None, grid_kind: str = "auto", seed: int = 0, oracle: bool = False,
            time_budget: float = 60.0, tol: float | None = None, merge_angle_deg: float = DEFAULT_MERGE_ANGLE_DEG,
            solver: str = "CLARABEL", ground_truth: str = "auto", population: bool = False,
            population_budget: float = 60.0, progress=None) -> CertifyResult:
    """Decide conditions (10) for a target over the whole sphere, and bracket ``J*`` (or the basis-pursuit value).

    The verdict (``certified`` / ``fails`` / ``inconclusive``) rests on the
    pre-certificate ``p_V`` of the target and a rigorous sup of ``|eta_V|``
    (:func:`blasso.certificates.verdict.check_conditions`); the grid problem, the
    sup of its dual and the bracket are auxiliary parts that never change it
    (:func:`blasso.certificates.verdict.certify_instance`).

    Parameters
    ----------
    data : Instance, (X, y) or path
    lam : float, optional
        ``0`` = basis pursuit (``p_0``); ``> 0`` = the BLASSO (default: the instance's, else 0).
    target : "teacher", "solution" or Measure
        Whose conditions (10): the teacher, the computed optimum at ``lam``
        (atoms closer than ``merge_angle_deg`` merged), or any measure.
    grid, grid_size, grid_kind, seed, oracle
        The auxiliary grid (default size: ``clip(4 n, 1000, 2000)`` in d <= 3,
        2000 otherwise); ``seed`` also seeds every random start.
    time_budget : float
        Seconds for the whole check (the grid part is skipped above 0.3 of it, never the verdict).
    tol : float, optional
        ``certified`` needs ``sup |eta_V| <= 1 - tol L`` off the atom cells
        (default :data:`blasso.certificates.verdict.CONDITIONS_TOL`, 1e-12).
    merge_angle_deg : float
        Degrees (``target="solution"``).
    solver : {"CLARABEL", "ECOS", "SCS", "AUTO", "FAST"}
        Solver of the grid problems (basis pursuit always uses a conic solver).
    ground_truth : {"auto", "colgen", "exact", "grid"}
        ``lam > 0``: the certified optimum by column generation (``auto``), by
        enumeration (``exact``), or none (``grid``: the grid bracket only).
    population : bool
        Also the population (n -> infinity) certificate of the target, beside the sample's margin curve.
    population_budget : float
        Seconds for it.
    progress : callable, optional

    Returns
    -------
    CertifyResult

    Examples
    --------
    >>> import blasso
    >>> inst = blasso.make_instance(teacher="mixed-signs", n=40, d=2, m=2, seed=0)
    >>> cert = blasso.certify(inst, time_budget=10)
    >>> cert.verdict, cert.margin > 0
    ('certified', True)
    """
    from blasso.certificates.verdict import CONDITIONS_TOL, certify_instance, default_grid_size
    from blasso.solvers import LASSO_SOLVERS

    inst = as_instance(data)
    lam = _lam(lam, inst, 0.0, allow_zero=True)
    solver = _solver(solver, LASSO_SOLVERS)
    if not isinstance(target, Measure):
        target = check_choice(target, ("teacher", "solution"), name="target")
    merge = math.radians(check_number(merge_angle_deg, name="merge_angle_deg (degrees)", minimum=0.0, maximum=180.0))
    tol = CONDITIONS_TOL if tol is None else check_nonneg(tol, "tol")
    ground_truth = check_choice(ground_truth, CERTIFY_TRUTHS, name="ground_truth")
    population_budget = check_positive(population_budget, "population_budget")
    size = default_grid_size(inst.n, inst.d) if grid_size is None else check_positive_int(grid_size, name="grid_size")
    grid = _grid(inst, grid, size, grid_kind, seed, oracle)
    extra = {"radii": tuple(math.radians(r) for r in POPULATION_RADII_DEG)} if population else {}
    rep = certify_instance(inst, lam=lam, target=target, grid=grid, time_budget=time_budget, tol=tol, seed=seed,
                           solver=solver, merge_angle=merge, ground_truth=ground_truth, progress=progress, **extra)
    pop = None
    if population:
        if progress is not None:
            progress("population certificate (n -> infinity) ...")
        pop = _population(rep.target, (inst.n, rep), population_budget, check_seed(seed))
    return CertifyResult(inst, lam, rep, solver, pop)


def population_certificate(target, *, time_budget: float = 60.0, seed: int = 0, radii_deg=POPULATION_RADII_DEG,
                           canonical: bool = True) -> PopulationCertificateResult:
    """Decide conditions (10) for the population ``eta_V`` (inputs uniform on the sphere, ``n -> infinity``).

    Closed forms through the arc-cosine kernel and a rigorous verdict in ball
    arithmetic (:func:`blasso.certificates.population.population_certificate`).
    With a sample (a :class:`CertifyResult`), its margin curve is put beside the
    population's and a failure is read as structural or as a sampling effect,
    with a sample-size estimate (:mod:`blasso.studies.population`).

    Parameters
    ----------
    target : Measure, Instance or CertifyResult
        The measure (an instance: its teacher; a certify result: its target, and
        its sample as ``sample``).
    time_budget : float
        Seconds.
    seed : int
    radii_deg : sequence of float
        Radii (degrees) of the margin curve (the default with a sample, whose
        margin curve is at those radii).
    canonical : bool
        Certify an orthonormal target (to 1e-9) as the exactly orthonormal
        teacher with the same signs (rotation equivariance), as ``certify --population`` does.

    Returns
    -------
    PopulationCertificateResult

    Examples
    --------
    >>> import numpy as np, blasso
    >>> pop = blasso.population_certificate(blasso.Measure(np.eye(3)[:2], [1.0, 1.0]), time_budget=20)
    >>> pop.verdict
    'certified'
    """
    sample = None
    if isinstance(target, CertifyResult):
        target, sample = target.target, (target.instance.n, target.report)
    elif isinstance(target, Instance):
        target = target.teacher_measure()
    if not isinstance(target, Measure):
        raise BlassoInputError(f"target must be a Measure, an Instance or a CertifyResult; got {type(target).__name__}")
    return _population(target, sample, check_positive(time_budget, "time_budget"), check_seed(seed), radii_deg,
                       canonical)


def _population(target: Measure, sample, time_budget: float, seed: int, radii_deg=POPULATION_RADII_DEG,
                canonical: bool = True) -> PopulationCertificateResult:
    """The population certificate of ``target``, beside ``sample = (n, CertifyReport)`` when given."""
    from .population import population_of, sample_comparison

    pop, why = population_of(target, time_budget=time_budget, seed=seed, radii_deg=radii_deg, canonical=canonical)
    if sample is None:
        return PopulationCertificateResult(target, pop, why)
    n, rep = sample
    cmp = sample_comparison(n, target, rep.conditions, pop, why)
    return PopulationCertificateResult(target, pop, why, n, cmp["rows"], cmp["reading"], cmp["n_estimate"],
                                       rep.conditions.verdict)


# ---------------------------------------------------------------------------- gd
def gd(data, lam: float | None = None, M: int = 100, *, penalty: str = "l1", step: str = "norm",
       alpha: float | str = "auto", seed: int = 0, iters: int = 100000, ftol: float = 0.0, gtol: float = 0.0,
       check_every: int = 1000, n_trace: int = 60, record_units: bool = False, callback=None,
       progress=None) -> GDRunResult:
    """Train the student network with the paper's Algorithm 1 (norm-dependent GD, init ``+-2/M``).

    Parameters
    ----------
    data : Instance, (X, y) or path
    lam : float, optional
        Default: the instance's, else :data:`DEFAULT_LAM`.
    M : int
        Student width.
    penalty : {"l1", "l2"}
        Eq. (4) or eq. (13).
    step : {"norm", "constant"}
        Algorithm 1's step (eq. 11) or plain GD.
    alpha : float or "auto"
        Step constant; ``auto`` = the largest stable of 8, 4, 2, 1, 0.5 by short
        probes (:func:`blasso.solvers.gd.choose_alpha`; Algorithm 1 only).
    seed : int
        Seed of the initial directions.
    iters : int
        Iteration cap.
    ftol, gtol, check_every
        Stopping rules (:func:`blasso.solvers.gd.run_gd`; 0 = off).
    n_trace : int
        Log-spaced trace points.
    record_units : bool
        Keep ``(a, W)`` at the trace points (needed by :meth:`GDRunResult.save` for trajectories).
    callback : callable, optional
        Called every ``check_every`` iterations with a dict; True stops the run.
    progress : callable, optional

    Returns
    -------
    GDRunResult

    Examples
    --------
    >>> import blasso
    >>> inst = blasso.make_instance(teacher="mixed-signs", n=30, d=2, m=2, seed=0)
    >>> run = blasso.gd(inst, 1e-2, M=10, iters=3000)
    >>> run
    GDRunResult(max_iter, l1, M=10, alpha=4, 3000 iterations, J=0.01840177569, 3 atoms)
    >>> run.alpha_probe["probe"][8.0] is None        # alpha = 8 flipped a sign or diverged in the probe
    True
    """
    from .train import train_network

    inst = as_instance(data)
    lam = _lam(lam, inst, DEFAULT_LAM)
    M = check_positive_int(M, name="M")
    seed = check_seed(seed)
    iters = check_positive_int(iters, name="iters", minimum=0)
    run = train_network(inst, lam, M, penalty=penalty, step=step, alpha=alpha, seed=seed, iters=iters, ftol=ftol,
                        gtol=gtol, check_every=check_every, n_trace=n_trace, record_units=record_units,
                        callback=callback, progress=progress)
    return GDRunResult(inst, lam, M, seed, iters, run["result"], run["measure"], run["alpha"], run["alpha_probe"])


# ----------------------------------------------------------------------- compare
def compare(data, lam: float | None = None, M: int = 100, *, grid: Grid | None = None, grid_size: int = 10000,
            grid_kind: str = "auto", grid_seed: int = 0, oracle: bool = False, penalty: str = "l1",
            step: str = "norm", alpha: float | str = "auto", seed: int = 0, iters: int = 1_000_000,
            gap_target: float = 1e-4, ftol: float = 1e-9, check_every: int = 1000, solver: str = "FAST",
            refine_rounds: int = 8, certify: bool = True, sup_budget: float = 20.0, ground_truth: str = "auto",
            tolerances: Tolerances | None = None, callback=None, progress=None) -> CompareResult:
    """Run Algorithm 1 and judge its measure against the certified convex optimum.

    The reference is the certified optimum (column generation over activation
    cells in any d, bracket ``[J_lower, J_upper]``); GD runs until ``J <=
    J_convex (1 + gap_target)``, a stall (``ftol``) or ``iters``; then the
    objective gap, a Hungarian matching of atoms, the flat distance and the
    held-out error give ``same-measure`` / ``different-measure`` /
    ``inconclusive`` (:func:`blasso.studies.compare.gd_vs_convex`).

    Parameters
    ----------
    data : Instance, (X, y) or path
    lam : float, optional
        Default: the instance's, else :data:`DEFAULT_LAM`.
    M : int
        Student width.
    grid, grid_size, grid_kind, grid_seed, oracle
        The base grid (the grid LASSO value ``J_grid``; the exchange rounds' start).
    penalty, step, alpha, seed, iters, ftol, check_every
        Algorithm 1 (as in :func:`gd`; ``seed`` seeds the initial directions and the held-out inputs).
    gap_target : float
        Stop GD once ``J <= J_convex (1 + gap_target)``.
    solver : str
        Grid LASSO solver of the reference (``FAST``: the exchange rounds re-solve often).
    refine_rounds, certify, sup_budget
        ``ground_truth="exchange"``: rounds, the rigorous sphere sup, seconds per sup.
    ground_truth : {"auto", "colgen", "exact", "exchange"}
        The convex reference.
    tolerances : Tolerances, optional
        Of the verdict (angles in radians).
    callback, progress : callable, optional

    Returns
    -------
    CompareResult

    Examples
    --------
    >>> import blasso
    >>> inst = blasso.make_instance(teacher="mixed-signs", n=30, d=2, m=2, seed=0)
    >>> cmp = blasso.compare(inst, 1e-2, M=10, iters=20000, grid_size=360)
    >>> cmp.verdict
    'same-measure'
    """
    from blasso.solvers import LASSO_SOLVERS

    from .compare import gd_vs_convex

    inst = as_instance(data)
    lam = _lam(lam, inst, DEFAULT_LAM)
    solver = _solver(solver, LASSO_SOLVERS)
    ground_truth = check_choice(ground_truth, GROUND_TRUTH_MODES, name="ground_truth")
    if tolerances is not None and not isinstance(tolerances, Tolerances):
        raise BlassoInputError(f"tolerances must be a blasso.Tolerances; got {type(tolerances).__name__}")
    grid = _grid(inst, grid, grid_size, grid_kind, grid_seed, oracle)
    res = gd_vs_convex(inst.X, inst.y, lam, check_positive_int(M, name="M"), grid=grid, penalty=penalty, step=step,
                       alpha=alpha, seed=check_seed(seed), max_iter=iters, gap_target=gap_target, ftol=ftol,
                       check_every=check_every, lasso_solver=solver, refine_rounds=refine_rounds, certify=certify,
                       sup_budget=sup_budget, tol=tolerances, callback=callback, progress=progress,
                       exact=ground_truth)
    res.instance = inst
    return res


# ------------------------------------------------------------------- assumptions
def check_assumptions(data, lam: float | None = None, *, gd_trace=None, time_budget: float = 60.0, seed: int = 0,
                      progress=None) -> AssumptionsResult:
    """Check the paper's assumptions 3.1-4.7 and conditions (10) on an instance, one row each.

    The assumptions about the optimum (4.1, 4.3, 4.4, 4.5) are checked for the
    teacher (the ``lam -> 0`` limit) and for the certified BLASSO optimum at
    ``lam``; what each verdict rests on is in :mod:`blasso.studies.assumptions`.

    Parameters
    ----------
    data : Instance, (X, y) or path
    lam : float, optional
        The optimum's regularisation (default: the instance's; without one only the teacher is checked).
    gd_trace : GDRunResult, GDResult, dict with key "F", or path of a ``gd --save`` file, optional
        For Assumption 4.6 (``C_F``, the largest F along GD).
    time_budget : float
        Seconds for the rigorous sups.
    seed : int
    progress : callable, optional

    Returns
    -------
    AssumptionsResult

    Examples
    --------
    >>> import blasso
    >>> inst = blasso.make_instance(teacher="paper", n=40, d=2, m=2, seed=0)
    >>> res = blasso.check_assumptions(inst, time_budget=10)
    >>> res.report.checks["3.2"].status, res.report.checks["4.6"].status
    ('holds', 'inconclusive')
    """
    from .assumptions import check_assumptions as _check, load_gd_trace

    inst = as_instance(data)
    lam = _lam(lam, inst, None)
    if isinstance(gd_trace, GDRunResult):
        gd_trace = gd_trace.result.trace
    elif isinstance(gd_trace, (str, os.PathLike)):
        gd_trace = load_gd_trace(gd_trace)
    elif gd_trace is not None and not isinstance(gd_trace, dict):
        gd_trace = getattr(gd_trace, "trace", gd_trace)
        if not isinstance(gd_trace, dict):
            raise BlassoInputError("gd_trace must be a GD run, a dict with key 'F' or a 'blasso gd --save' file")
    rep = _check(inst, lam=lam, gd_trace=gd_trace, time_budget=check_positive(time_budget, "time_budget"),
                 seed=check_seed(seed), progress=progress)
    return AssumptionsResult(inst, rep)


# -------------------------------------------------------------------------- demo
def demo(*, seed: int = 0, lam: float = 1e-3, grid_size: int = 10000, solver: str = "AUTO", n_random: int = 200000,
         time_budget: float = 60.0, progress=None) -> DemoResult:
    """The paper's Fig. 2 instance end to end: grid LASSO on a plain and an oracle grid, sampled checks, certificate.

    Teacher of Assumption 3.2 (m = d = 5, orthonormal, weights 1), n = 100
    inputs uniform on S^4, noiseless; the certificate decides conditions (10)
    for the teacher and brackets ``J*`` (about 30 s in all).

    Parameters
    ----------
    seed : int
        Instance seed.
    lam : float
    grid_size : int
        Approximate size of the plain grid.
    solver : str
        Grid LASSO solver (``AUTO`` resolved per grid).
    n_random : int
        Random directions of the sampled ``|eta|`` check.
    time_budget : float
        Seconds for the rigorous sups.
    progress : callable, optional

    Returns
    -------
    DemoResult

    Examples
    --------
    >>> import blasso
    >>> blasso.demo(grid_size=2000, n_random=1000, time_budget=5).verdict    # doctest: +SKIP
    'fails'
    """
    from blasso.solvers import LASSO_SOLVERS

    from .demo import run_demo

    seed = check_seed(seed)
    lam = check_lam(lam)
    d = run_demo(seed=seed, lam=lam, grid_size=check_positive_int(grid_size, name="grid_size"),
                 solver=_solver(solver, LASSO_SOLVERS), n_random=check_positive_int(n_random, name="n_random"),
                 time_budget=check_positive(time_budget, "time_budget"), progress=progress)
    return DemoResult(d["instance"], lam, seed, d["teacher"], d["runs"], d["certificate"], d["base_grid"],
                      d["covering"], d["max_angle"], d["n_probe"])
