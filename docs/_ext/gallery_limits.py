"""A wall-time limit for every gallery example, checked while sphinx-gallery runs them.

sphinx-gallery calls ``reset_modules`` callables before and after each example it
executes; :func:`time_limit` notes the start and, afterwards, logs a Sphinx warning
when the example ran longer than ``BLASSO_EXAMPLE_LIMIT_S`` seconds (default 60), so
the ``-W`` docs build fails on a slow example instead of slowing CI silently.
"""

from __future__ import annotations

import os
import time

from sphinx.util import logging

logger = logging.getLogger(__name__)

_started: dict[str, float] = {}

#: the wall-time limit of one example, in seconds
LIMIT_S = float(os.environ.get("BLASSO_EXAMPLE_LIMIT_S", "60"))


def time_limit(gallery_conf, fname, when):
    """``reset_modules`` hook: time each example, warn above :data:`LIMIT_S`."""
    if when == "before":
        _started[fname] = time.perf_counter()
        return
    start = _started.pop(fname, None)
    if start is None:
        return
    took = time.perf_counter() - start
    if took > LIMIT_S:
        logger.warning("gallery example %s ran %.1f s, over the %.0f s limit (BLASSO_EXAMPLE_LIMIT_S)",
                       fname, took, LIMIT_S)

