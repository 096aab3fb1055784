"""Describing a generated instance (what ``blasso make-instance`` reports)."""

from __future__ import annotations

import numpy as np

from ..instance import Instance

__all__ = ["teacher_summary"]


def teacher_summary(inst: Instance) -> dict:
    """The teacher measure and its smallest pairwise angle in degrees (NaN for m < 2)."""
    nu = inst.teacher_measure()
    G = nu.theta @ nu.theta.T
    off = G[~np.eye(len(nu), dtype=bool)]
    min_angle = float(np.degrees(np.arccos(np.clip(off.max(), -1, 1)))) if off.size else float("nan")
    return {"teacher": nu, "min_angle_deg": min_angle}
