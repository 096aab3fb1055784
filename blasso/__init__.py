"""blasso: convex certificates for gradient descent on two-layer ReLU networks.

A network ``sum_j a_j relu(<w_j, x>)`` is a sparse measure on the sphere; its
penalised training problem equals the BLASSO over measures.  This package
holds the data side (instances, sphere grids, features, measures, objectives);
``blasso.solvers`` and ``blasso.certificates`` hold the algorithms and the verdicts.
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
]
