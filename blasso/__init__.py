"""blasso: convex certificates for gradient descent on two-layer ReLU networks.

A network ``sum_j a_j relu(<w_j, x>)`` is a sparse measure on the sphere; its
penalised training problem equals the BLASSO over measures.  This package
holds the data side (instances, sphere grids, features, measures, objectives);
``blasso.solvers`` and ``blasso.certificates`` hold the algorithms and the verdicts.

One import gives the whole public API (:mod:`blasso.studies.api`)::

    import blasso
    inst = blasso.make_instance(teacher="paper", n=100, d=5, m=5, seed=0)
    blasso.certify(inst)                    # conditions (10), rigorous: CertifyResult
    blasso.solve(inst, 1e-3, exact=True)    # grid LASSO + certified optimum: SolveResult
    blasso.compare(inst, 1e-3, M=100)       # Algorithm 1 vs the optimum: CompareResult

``solve``, ``certify``, ``population_certificate``, ``gd``, ``run_gd``,
``compare``, ``check_assumptions``, ``demo``, ``Tolerances`` and the result
classes are loaded on first use (PEP 562), so ``import blasso`` imports no
solver, certificate or plotting code.
"""

from .features import eta, feature_matrix, phi, phi_adjoint
from .instance import Instance, load_instance, make_instance, paper_instance, save_instance
from .measure import Measure
from .objective import (
    blasso_objective,
    dual_from_residual,
    dual_objective,
    duality_gap,
    network_objective,
    network_output,
)
from .report import load_report
from .sphere import Grid, covering_radius, load_grid, make_grid
from .validation import BlassoInputError, SolverError

__version__ = "0.1.0"

#: Names served by :mod:`blasso.studies.api`, imported on first access.
_API = ("solve", "certify", "population_certificate", "gd", "run_gd", "compare", "check_assumptions", "demo",
        "Tolerances", "SolveResult", "CertifyResult", "PopulationCertificateResult", "GDRunResult", "CompareResult",
        "AssumptionsResult", "DemoResult")


def __getattr__(name: str):
    """PEP 562: the public API of :mod:`blasso.studies.api`, loaded when first used."""
    if name in _API:
        from blasso.studies import api

        value = getattr(api, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'blasso' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))


__all__ = [
    "__version__",
    "BlassoInputError",
    "SolverError",
    "Instance",
    "make_instance",
    "paper_instance",
    "load_instance",
    "save_instance",
    "Grid",
    "make_grid",
    "load_grid",
    "covering_radius",
    "Measure",
    "eta",
    "phi",
    "phi_adjoint",
    "feature_matrix",
    "blasso_objective",
    "network_objective",
    "network_output",
    "dual_objective",
    "dual_from_residual",
    "duality_gap",
    "load_report",
    *_API,
]
