"""Fast grid LASSO: working sets, gap-safe screening, exact duality-gap stopping rule.

Solves the same problem as :mod:`blasso.solvers.lasso_cvxpy`,
``min_c P(c) = 1/(2n) ||y - A c||^2 + lam ||c||_1`` with
``A[i, g] = relu(<theta_g, x_i>)`` (the mathematics page), for grids of up to
millions of atoms.  The n x G matrix ``A`` is never formed beyond a bounded
block: feature columns are generated from ``X`` and the grid on demand
(:func:`blasso.features.iter_feature_chunks`), unless the whole matrix fits in
``cache_bytes`` (then it is built once and reused).

Outer loop (one full pass over the remaining atoms per iteration):

1. ``r = y - A c``; ``corr = A^T r`` over every atom not yet screened out.
2. Dual point ``theta = s r / lam`` with ``s = 1 / max(1, ||A^T r||_inf / (n lam))``
   (feasible: ``|a_g^T theta| / n <= 1`` for every atom); exact duality gap
   ``P(c) - D(theta)``, ``D(p) = (lam/n) <y, p> - lam^2/(2n) ||p||^2``.
   Stop when ``gap <= tol * P(c)``.
3. Gap-safe sphere screening: ``D`` is ``lam^2/n``-strongly concave, so the
   optimal dual lies in the ball ``B(theta, R)``, ``R = sqrt(2 n gap) / lam``;
   an atom with ``|a_g^T theta| / n + R ||a_g|| / n < 1`` has zero weight in
   every solution and is removed for good (the reduced problem has the same
   optimal value, so later gaps stay valid for the full problem).
4. Working set: the current support plus the atoms whose constraint is
   closest to (or beyond) being active, ranked by
   ``(1 - |a_g^T theta| / n) / (||a_g|| / n)``; its size grows by
   ``ws_growth`` each round and is at least twice the support.
5. The LASSO restricted to the working set is solved EXACTLY (up to
   rounding) by a primal active-set method (a Newton step on the current
   sign face with a ratio test, i.e. feature-sign search; the Gram matrix of
   the active columns is factored by Cholesky), warm-started.

Because the working-set solves are exact, a cold solve typically jumps from
a relative gap of ~1e-1 to ~1e-15 in one round, before the screening test
can remove anything; screening pays off on warm starts (``lasso_path``,
``warm_start=``), where the first gap is already small.

When screening removed atoms, a last pass over the FULL grid recomputes the
gap with the full-grid dual feasibility, and that gap decides the status.

The first full pass also gives ``lam_max = max_g |a_g^T y| / n`` (cached with
the column norms); for ``lam >= lam_max`` the answer is exactly ``c = 0``
(:func:`blasso.solvers.lasso_cvxpy.zero_result`, reason in ``info["zero_reason"]``).

Memory: ``O(G)`` vectors, one block of features, the dense cache when it fits
in ``cache_bytes``, and the working set; :func:`fast_memory` estimates the
peak and the solve is refused beforehand when it exceeds the available memory.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.linalg
import scipy.linalg.lapack

from blasso.features import iter_feature_chunks
from blasso.memory import check_memory
from blasso.sphere import Grid
from blasso.validation import (
    BlassoInputError,
    SolverError,
    check_lam,
    check_positive_int,
    check_tol,
    check_vector,
    check_X,
)

from ._checks import check_grid, check_lasso_problem
from .lasso_cvxpy import LassoResult, support_info, zero_result
from .screening import gap_safe_keep, residual_gap
from .threads import blas_threads as limit_blas

__all__ = ["FeatureOracle", "solve_grid_lasso_fast", "lasso_path", "active_set_lasso", "fast_memory"]

#: Block size for the feature passes (small blocks stay in cache and are fastest).
DEFAULT_PASS_BYTES = 2 * 2**20
#: Keywords of :func:`blasso.solvers.lasso_cvxpy.solve_grid_lasso` that mean nothing here.
CVXPY_ONLY_KEYWORDS = ("solver_opts", "solver", "polish", "gap_tol")
#: The dense matrix is kept when it needs at most this many bytes.
DEFAULT_CACHE_BYTES = 128 * 2**20
#: Length-G arrays alive at once in the outer loop (weights, correlations, norms, candidates, scores...).
_G_VECTORS = 14
#: Allowance for the working-set columns and Gram matrices.
_WORKING_SET_BYTES = 64 * 2**20


def fast_memory(n: int, G: int, *, chunk_bytes: int = DEFAULT_PASS_BYTES,
                cache_bytes: int = DEFAULT_CACHE_BYTES) -> int:
    """Estimated peak bytes of :func:`solve_grid_lasso_fast` beyond the grid itself."""
    dense = 8 * int(n) * int(G)
    return 8 * _G_VECTORS * int(G) + (dense if dense <= cache_bytes else int(chunk_bytes)) + _WORKING_SET_BYTES


class FeatureOracle:
    """Columns and correlations of ``A = relu(X theta^T)`` without storing ``A``.

    Parameters
    ----------
    X : ndarray (n, d)
    theta : ndarray (G, d)
        Grid directions.
    chunk_bytes : int
        Upper bound on the bytes of one generated block of features.
    cache_bytes : int
        Build and keep the dense ``A`` when ``8 n G <= cache_bytes``.
    A : ndarray (n, G), optional
        Precomputed dense features (used as is).

    Attributes
    ----------
    columns_evaluated : int
        Number of feature columns computed or read so far; divided by ``G``
        it counts full-grid matrix-vector products.
    """

    def __init__(self, X: np.ndarray, theta: np.ndarray, *, chunk_bytes: int = DEFAULT_PASS_BYTES,
                 cache_bytes: int = DEFAULT_CACHE_BYTES, A: np.ndarray | None = None):
        self.X = X
        self.theta = theta
        self.n, self.G = X.shape[0], theta.shape[0]
        self.columns_evaluated = 0
        self.chunk_bytes = int(chunk_bytes)
        if self.chunk_bytes < 8 * self.n:
            raise BlassoInputError(f"chunk_bytes={chunk_bytes} is below one column of features ({8 * self.n} bytes)")
        # dense features are kept transposed, (G, n) C-ordered: a working set is then a
        # contiguous row gather and A^T r a contiguous product
        self.AT: np.ndarray | None = None
        if A is not None:
            self.AT = np.ascontiguousarray(A.T)
        elif 8 * self.n * self.G <= cache_bytes:
            self.AT = theta @ X.T
            np.maximum(self.AT, 0.0, out=self.AT)
            self.columns_evaluated += self.G
        self._norms: np.ndarray | None = None
        self._aty: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def dense(self) -> bool:
        return self.AT is not None

    @property
    def passes(self) -> float:
        """Columns evaluated so far, in units of the full grid."""
        return self.columns_evaluated / self.G

    def columns(self, idx: np.ndarray) -> np.ndarray:
        """Dense block ``A[:, idx]`` (``idx`` is small: a working set)."""
        self.columns_evaluated += idx.size
        if self.AT is not None:
            return self.AT[idx].T
        return np.maximum(self.X @ self.theta[idx].T, 0.0)

    def aty(self, y: np.ndarray) -> np.ndarray:
        """``A^T y`` over the whole grid, cached for this ``y`` (the first full pass also records the norms)."""
        if self._aty is None or not np.array_equal(self._aty[0], y):
            self._aty = (y.copy(), self.correlate(y, None))
        return self._aty[1]

    def norms(self) -> np.ndarray:
        """Column norms ``||a_g||`` of the whole grid (one pass, then cached)."""
        if self._norms is None:
            self.correlate(np.zeros(self.n), None)
        return self._norms

    def correlate(self, r: np.ndarray, idx: np.ndarray | None) -> np.ndarray:
        """``A[:, idx]^T r`` (``idx=None``: the whole grid), computed blockwise.

        The first full pass also records the column norms.
        """
        want_norms = self._norms is None and idx is None
        if self.AT is not None:
            self.columns_evaluated += self.G
            if want_norms:
                self._norms = np.sqrt(np.einsum("ij,ij->i", self.AT, self.AT))
            out = self.AT @ r
            return out if idx is None else out[idx]
        theta = self.theta if idx is None else self.theta[idx]
        out = np.empty(theta.shape[0])
        norms = np.empty(theta.shape[0]) if want_norms else None
        for start, stop, block in iter_feature_chunks(self.X, theta, chunk_bytes=self.chunk_bytes):
            out[start:stop] = r @ block
            if norms is not None:
                norms[start:stop] = np.sqrt(np.einsum("ij,ij->j", block, block))
        self.columns_evaluated += theta.shape[0]
        if norms is not None:
            self._norms = norms
        return out


_potrf, _potrs = scipy.linalg.lapack.get_lapack_funcs(("potrf", "potrs"), dtype=np.float64)


def _face_direction(Q: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, bool]:
    """Newton direction ``-Q^{-1} g`` on a sign face, or a descent ray if ``Q`` is singular.

    Returns ``(d, full)``: ``full`` is True when ``c + d`` minimises the face
    quadratic; False when ``d`` is a null-space ray along which the quadratic
    decreases without bound (the caller must stop at a sign change).
    """
    L, info = _potrf(Q, lower=1, clean=1, overwrite_a=0)
    if info == 0:
        diag = np.abs(np.diag(L))
        if diag.min() ** 2 > 1e-13 * diag.max() ** 2:
            x, info = _potrs(L, g, lower=1)
            if info == 0:
                return -x, True
    w, V = np.linalg.eigh(Q)
    cut = 1e-12 * max(w[-1], 0.0)
    null = w <= cut
    coef = V.T @ g
    g_null = V[:, null] @ coef[null]
    if np.linalg.norm(g_null) > 1e-9 * np.linalg.norm(g):
        return -g_null, False
    rng = ~null
    return -(V[:, rng] @ (coef[rng] / w[rng])), True


def active_set_lasso(B: np.ndarray, y: np.ndarray, lam: float, c0: np.ndarray | None = None, *,
                     eps: float = 1e-13, max_steps: int | None = None) -> tuple[np.ndarray, int]:
    """Exact solution of ``min_c 1/(2n) ||y - B c||^2 + lam ||c||_1`` by a primal active-set method.

    Feature-sign search: on the face where the active coordinates keep their
    signs, the objective is a quadratic; step to its minimiser, stopping at
    the first coordinate that would change sign (which then leaves the active
    set); once the face is optimal, add the zero coordinate with the largest
    violation ``|grad_j| - lam`` (its sign is then a descent sign).  The
    objective decreases strictly, so no face repeats and the method ends in
    finitely many steps at a point with ``|grad_j| <= lam (1 + eps)`` off the
    support and ``grad_S = -lam sign(c_S)`` on it, ``grad = B^T (B c - y) / n``.
    Meant for a working set: ``B`` has few columns (the Gram matrix of the
    active columns is factored at every step).

    Parameters
    ----------
    B : ndarray (n, m)
    y : ndarray (n,)
    lam : float > 0
    c0 : ndarray (m,), optional
        Warm start.
    eps : float
        Relative tolerance on the optimality conditions of the zero coordinates.
    max_steps : int, optional
        Cap on the number of face steps (default ``20 m + 200``).

    Returns
    -------
    c : ndarray (m,)
    steps : int
        Face steps taken.
    """
    n, m = B.shape
    c = np.zeros(m) if c0 is None else np.array(c0, dtype=np.float64)
    max_steps = 20 * m + 200 if max_steps is None else max_steps
    BT = np.ascontiguousarray(B.T)
    S = np.flatnonzero(c)          # active coordinates, their values and signs
    cS, s = c[S], np.sign(c[S])
    BS = BT[S]
    res = BS.T @ cS - y            # minus the residual
    face_ok = S.size == 0
    thresh = lam * (1.0 + eps)
    steps = 0
    just_added = False
    while steps < max_steps:
        if not face_ok:
            steps += 1
            n_before = S.size
            d, full = _face_direction(BS @ BS.T / n, BS @ res / n + lam * s)
            # coordinates moving against their sign reach zero at t = -c/d (t = 0 for a
            # newly added coordinate whose Newton direction has the wrong sign)
            moving = s * d < 0
            t_hit = np.full(S.size, np.inf)
            t_hit[moving] = np.maximum(-cS[moving] / d[moving], 0.0)
            t = float(t_hit.min())
            if full and t >= 1.0:
                cS = cS + d
                face_ok = True
            elif np.isfinite(t):
                cS = cS + t * d
                keep = (t_hit > t) & (np.sign(cS) == s)
                S, cS, s, BS = S[keep], cS[keep], s[keep], BS[keep]
                face_ok = S.size == 0
                if t == 0.0 and just_added and S.size == n_before - 1 and not keep[-1]:
                    break   # the coordinate just added cannot move: its violation is rounding
            else:  # a ray without sign change would make the objective unbounded: impossible
                raise SolverError("active-set LASSO: unbounded face direction (non-finite data?)")
            res = BS.T @ cS - y
            just_added = False
            continue
        grad = BT @ res / n
        viol = np.abs(grad)
        viol[S] = 0.0
        j = int(np.argmax(viol))
        if viol[j] <= thresh:
            break
        S, cS, s = np.append(S, j), np.append(cS, 0.0), np.append(s, -np.sign(grad[j]))
        BS = np.vstack([BS, BT[j]])
        face_ok = False
        just_added = True
    c[:] = 0.0
    c[S] = cS
    return c, steps


def _check_inputs(X, y, lam, grid, warm_start):
    X, y, lam = check_lasso_problem(X, y, lam, grid)
    if warm_start is not None:
        warm_start = check_vector(warm_start, grid.size, name="warm_start")
    return X, y, lam, warm_start


def _solve(F: FeatureOracle, y: np.ndarray, lam: float, c: np.ndarray, *, tol: float,
           max_iter: int, ws_start: int, screen: bool, ws_growth: float = 2.0) -> tuple[np.ndarray, dict, dict]:
    """Working-set loop on the oracle ``F``; returns ``(c, gap, stats)`` (``stats["zero"]``: lam >= lam_max)."""
    n, G = F.n, F.G
    aty = F.aty(y)   # the first full pass also records the column norms
    stats = {"iterations": 0, "inner_steps": 0, "peak_working_set": 0, "screened": 0,
             "lam_max": float(np.max(np.abs(aty))) / n}
    if lam >= stats["lam_max"]:
        stats["zero"] = True
        return np.zeros(G), {}, stats
    cand = np.arange(G)
    W = np.flatnonzero(c)
    if W.size:
        r = y - F.columns(W) @ c[W]
        corr = F.correlate(r, None)
    else:
        r, corr = y.copy(), aty.copy()
    norms = F.norms()
    ws_size = max(ws_start, 2 * W.size)
    full_view = True   # corr covers the whole grid
    gap = residual_gap(r, float(np.abs(c).sum()), corr, y, lam)
    for it in range(max_iter + 1):
        if gap["rel_gap"] <= tol:
            if full_view:
                break
            # final dual feasibility check over the FULL grid
            corr_full = F.correlate(r, None)
            gap = residual_gap(r, float(np.abs(c).sum()), corr_full, y, lam)
            if gap["rel_gap"] <= tol:
                break
            cand, corr, full_view = np.arange(G), corr_full, True   # (never seen) undo screening
        if it == max_iter:
            break
        stats["iterations"] = it + 1
        scale = gap["scale"] / (n * lam)
        nrm = norms[cand] / n
        dist = 1.0 - scale * np.abs(corr)
        if screen:
            keep = gap_safe_keep(corr, norms[cand], gap, n, lam)
            keep[c[cand] != 0] = True   # the support is never screened (safe anyway; guards rounding)
            if not keep.all():
                cand, dist, nrm = cand[keep], dist[keep], nrm[keep]
                full_view = False
        score = dist / np.maximum(nrm, 1e-300)
        support = np.flatnonzero(c[cand])
        score[support] = -np.inf
        size = min(cand.size, max(ws_size, 2 * support.size))
        pick = np.argpartition(score, size - 1)[:size] if size < cand.size else np.arange(cand.size)
        W = np.sort(cand[pick])
        stats["peak_working_set"] = max(stats["peak_working_set"], W.size)
        Aw = F.columns(W)
        cw, steps = active_set_lasso(Aw, y, lam, c[W])
        stats["inner_steps"] += steps
        c[:] = 0.0
        c[W] = cw
        r = y - Aw @ cw
        corr = F.correlate(r, None if full_view else cand)
        gap = residual_gap(r, float(np.abs(cw).sum()), corr, y, lam)
        ws_size = int(ws_size * ws_growth)
    stats["screened"] = int(G - cand.size)
    return c, gap, stats


def solve_grid_lasso_fast(X, y, lam: float, grid: Grid, *, tol: float = 1e-10, max_iter: int = 50,
                          chunk_bytes: int = DEFAULT_PASS_BYTES, cache_bytes: int = DEFAULT_CACHE_BYTES,
                          warm_start=None, allow_inaccurate: bool = False, A: np.ndarray | None = None,
                          ws_start: int = 100, ws_growth: float = 1.5, screen: bool = True,
                          blas_threads: int | None = 1, oracle: FeatureOracle | None = None,
                          **ignored) -> LassoResult:
    """Solve the grid LASSO with the working-set / gap-safe screening fast path.

    Parameters
    ----------
    X : array_like (n, d)
    y : array_like (n,)
    lam : float > 0
    grid : Grid
    tol : float
        Target relative duality gap ``(P(c) - D(theta)) / P(c)`` (the
        CVXPY-style ``tol`` keyword of the dispatcher lands here too).
    max_iter : int
        Maximum number of outer (working-set) iterations.
    chunk_bytes : int
        Bytes of one generated block of features during a pass.
    cache_bytes : int
        Keep the dense features when they need at most this many bytes.
    warm_start : array_like (G,), optional
        Initial weights (e.g. the solution at a nearby ``lam``).
    allow_inaccurate : bool
        Return a result flagged ``optimal_inaccurate`` instead of raising when
        ``max_iter`` is reached before the gap target.
    A : ndarray (n, G), optional
        Precomputed dense features (must equal ``relu(X grid.theta^T)``).
    ws_start : int
        Initial working-set size.
    ws_growth : float >= 1
        Factor by which the working-set size grows at every outer iteration
        (it is also always at least twice the current support).
    screen : bool
        Apply gap-safe screening.
    blas_threads : int or None
        BLAS threads during the solve, set through ``threadpoolctl`` when it
        is installed (``None``: leave the BLAS alone).  The solver does many
        small products, for which one thread is fastest, especially on a
        busy machine.
    oracle : FeatureOracle, optional
        Reuse a feature oracle (column norms, cache) across calls on the same
        ``X`` and grid; :func:`lasso_path` does this.
    **ignored
        CVXPY-only keywords (:data:`CVXPY_ONLY_KEYWORDS`: ``solver_opts``,
        ``solver``, ``polish``, ``gap_tol``) are accepted and ignored; any
        other keyword raises.

    Returns
    -------
    LassoResult
        ``solver="FAST"``, ``status="optimal"`` when the relative gap (with
        dual feasibility checked on the full grid) is at most ``tol``;
        ``p = (y - A c) / lam``; ``p_multiplier=None``; ``grid_rel_gap`` the
        final relative gap; ``support_tol`` from
        :func:`blasso.measure.support_threshold` (the active-set solution has
        exact zeros; the threshold only drops weights the gap cannot resolve);
        for ``lam >= lam_max`` exactly ``c = 0`` with ``info["zero_reason"]``;
        otherwise ``info`` holds ``lam_max``, ``support``,
        ``gap``, ``rel_gap``, ``dual``, ``sup_eta`` (full-grid
        ``max |eta_p|``), ``iterations``, ``inner_steps``, ``full_passes``
        (feature columns evaluated or read, divided by ``G``: full-grid
        matrix-vector pair equivalents; building the dense cache counts one),
        ``screened_fraction``, ``peak_working_set``, ``dense``.

    Raises
    ------
    BlassoInputError
        On malformed input.
    SolverError
        If the gap target is not met within ``max_iter`` (unless ``allow_inaccurate``).
    """
    unknown = set(ignored) - set(CVXPY_ONLY_KEYWORDS)
    if unknown:
        raise BlassoInputError(f"unknown keyword(s) for the FAST solver: {sorted(unknown)}")
    X, y, lam, warm_start = _check_inputs(X, y, lam, grid, warm_start)
    tol = check_tol(tol, "tol (relative duality gap)")
    max_iter = check_positive_int(max_iter, name="max_iter")
    ws_start = check_positive_int(ws_start, name="ws_start")
    ws_growth = float(ws_growth)
    if not np.isfinite(ws_growth) or ws_growth < 1:
        raise BlassoInputError(f"ws_growth must be a finite number >= 1; got {ws_growth}")
    n, G = X.shape[0], grid.size
    if A is not None:
        A = np.asarray(A, dtype=np.float64)
        if A.shape != (n, G):
            raise BlassoInputError(f"A has shape {A.shape}, expected {(n, G)}")
    if oracle is None:
        check_memory(fast_memory(n, G, chunk_bytes=chunk_bytes, cache_bytes=cache_bytes if A is None else 0),
                     f"the FAST grid LASSO with n = {n} and G = {G:,}")
    t0 = time.perf_counter()
    passes0 = 0.0 if oracle is None else oracle.passes
    if oracle is None:
        oracle = FeatureOracle(X, grid.theta, chunk_bytes=chunk_bytes, cache_bytes=cache_bytes, A=A)
    elif oracle.G != G or oracle.n != n:
        raise BlassoInputError(f"oracle is for (n, G) = {(oracle.n, oracle.G)}, expected {(n, G)}")
    c0 = np.zeros(G) if warm_start is None else warm_start.copy()
    with limit_blas(blas_threads):
        c, gap, stats = _solve(oracle, y, lam, c0, tol=tol, max_iter=max_iter, ws_start=ws_start,
                               screen=screen, ws_growth=ws_growth)
    wall = time.perf_counter() - t0
    if stats.get("zero"):
        res = zero_result(y, lam, grid, stats["lam_max"], "FAST", wall)
        res.info.update(full_passes=oracle.passes - passes0, dense=oracle.dense, tol=tol)
        return res
    status = "optimal" if gap["rel_gap"] <= tol else "optimal_inaccurate"
    if status != "optimal" and not allow_inaccurate:
        raise SolverError(
            f"FAST grid LASSO stopped after {max_iter} iterations at relative gap {gap['rel_gap']:.3g} > tol={tol:g} "
            f"(G={G}); raise max_iter or pass allow_inaccurate=True")
    S = np.flatnonzero(c)
    pred = oracle.columns(S) @ c[S]
    r = y - pred
    objective = float(r @ r) / (2 * n) + lam * float(np.abs(c).sum())
    info = {**stats, "full_passes": oracle.passes - passes0,   # columns evaluated / G
            "screened_fraction": stats["screened"] / G, "gap": gap["gap"], "rel_gap": gap["rel_gap"],
            "dual": gap["dual"], "sup_eta": gap["sup_eta"], "dense": oracle.dense, "tol": tol}
    tau, info["support"] = support_info(c, gap["gap"], n, float(np.max(oracle.norms())))
    return LassoResult(c=c, objective=objective, solver_objective=gap["primal"], p=r / lam, p_multiplier=None,
                       p_mismatch=float("nan"), status=status, solver="FAST", wall_s=wall, grid=grid, lam=lam,
                       support_tol=tau, grid_rel_gap=gap["rel_gap"], info=info)


def lasso_path(X, y, lams, grid: Grid, *, tol: float = 1e-10, chunk_bytes: int = DEFAULT_PASS_BYTES,
               cache_bytes: int = DEFAULT_CACHE_BYTES, A: np.ndarray | None = None, **kw) -> list[LassoResult]:
    """Solve the grid LASSO for several ``lam`` with warm starts (pass ``lams`` decreasing for speed).

    The features (or their column norms) are computed once and shared.
    Extra keywords go to :func:`solve_grid_lasso_fast`.

    Returns
    -------
    list of LassoResult, in the order of ``lams``.
    """
    X = check_X(X)
    lams = np.atleast_1d(np.asarray(lams, dtype=np.float64))
    if lams.ndim != 1 or lams.size == 0:
        raise BlassoInputError(f"lams must be a non-empty 1-D sequence; got shape {lams.shape}")
    for lam in lams:
        check_lam(float(lam))
    check_grid(grid, X.shape[1])
    oracle = FeatureOracle(X, grid.theta, chunk_bytes=chunk_bytes, cache_bytes=cache_bytes, A=A)
    out: list[LassoResult] = []
    warm = None
    for lam in lams:
        res = solve_grid_lasso_fast(X, y, float(lam), grid, tol=tol, warm_start=warm, oracle=oracle, **kw)
        out.append(res)
        warm = res.c
    return out
