"""Dual certificates: ``eta_p`` on grids and samples, rigorous sups over the sphere, verdicts.

Verdict vocabulary (the verdicts page of the documentation): ``certified`` only when a rigorous
bound over the whole sphere proves the condition with a positive margin;
``fails`` with a violating direction; ``inconclusive`` with the reason.
"""

from .grid_check import GridCertificate, grid_certificate
from .sampling import SetMax, eta_at_atoms, max_abs_eta, max_abs_eta_random

from .verdict import VERDICTS, certify_instance, check_conditions

__all__ = ["VERDICTS", "certify_instance", "check_conditions", "GridCertificate", "grid_certificate", "SetMax", "eta_at_atoms", "max_abs_eta",
           "max_abs_eta_random"]
