"""BLAS thread limits for code made of many small dense products.

On a shared 2-core machine extra BLAS threads only contend: a kernel ridge fit
or the fast LASSO's small solves run several times faster on one thread.
"""

from __future__ import annotations

import contextlib

__all__ = ["blas_threads"]


def blas_threads(threads: int | None):
    """Context manager limiting the BLAS to ``threads`` threads.

    Uses ``threadpoolctl`` when installed (it comes with scikit-learn);
    otherwise, or with ``threads=None``, leaves the BLAS alone.

    Parameters
    ----------
    threads : int or None
    """
    if threads is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        return contextlib.nullcontext()
    return threadpool_limits(limits=threads, user_api="blas")
