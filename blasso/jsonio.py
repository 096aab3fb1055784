"""Plain-JSON conversion of results (numpy scalars and arrays, NaN/inf as null)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

__all__ = ["to_jsonable"]


def to_jsonable(obj):
    """Convert numpy types (and nested containers) to plain JSON values; NaN/inf become null."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj
