"""Exact enumeration of the activation patterns (cells of ``{x_i^T theta = 0}``).

A direction ``theta`` activates the samples ``D(theta) = {i : <x_i, theta> > 0}``;
the sets ``{theta : D(theta) = D}`` are the open cells of the central
hyperplane arrangement of the inputs.  On the closure of a cell the ReLU
features are linear, ``relu(X theta) = D X theta``, which turns the BLASSO into
a finite convex program (:mod:`solvers.exact`).

Samples are grouped by hyperplane first (rows equal up to a positive or
negative factor share one hyperplane; zero rows have none), and the
enumeration runs over the ``h`` distinct hyperplanes:

* ``circle`` (d = 2): the ``2h`` breakpoints ``+-x_i^perp`` split the circle
  into ``2h`` arcs; each arc is a cell with the two breakpoints as extreme rays.
* ``sphere3`` (d = 3): every pair of great circles meets at two antipodal
  vertices ``+-x_i x x_j``; around a vertex lie four cells (the four sign
  choices of ``i`` and ``j``, every other sample's sign read at the vertex).
  Every cell of an arrangement in general position (no three circles through a
  point) has at least three vertices, so collecting the cells around all
  vertices finds every cell; its vertices are its extreme rays and the
  normalised sum of its vertices an interior direction.
* ``lp`` (any d, small n): incremental construction; hyperplane ``k`` splits a
  cell when the LP ``max t : s_i <x_i, theta> >= t (i < k), -<x_k, theta> s >= t,
  |theta|_inf <= 1`` (HiGHS) has ``t > 0``.  Handles any arrangement
  (parallel, coplanar, three circles through a point).

The count is checked against the number of regions of a central arrangement
of ``h`` hyperplanes in general position in R^d, ``2 sum_{k<d} C(h-1, k)``
(an upper bound for any central arrangement, reached in general position):
``circle`` and ``sphere3`` refuse data that are not in general position
(``auto`` then falls back to ``lp``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from math import comb

import numpy as np

from blasso.validation import BlassoInputError, check_choice, check_positive_int, check_rng, check_X

__all__ = ["Cells", "DEFAULT_MAX_CELLS", "LP_MAX_CELLS", "region_count", "hyperplane_groups",
           "cell_count_bound", "enumerate_cells", "sampling_check"]

#: Default budget (number of cells) of the enumeration and of the exact program.
DEFAULT_MAX_CELLS = 60_000
#: Budget of the LP-based enumeration (one small LP per cell and hyperplane).
LP_MAX_CELLS = 5_000
#: Smallest |<x_k, v>| (unit rows, unit vertex) accepted as "off the circle" in ``sphere3``.
GENERAL_POSITION_TOL = 1e-10


@dataclass
class Cells:
    """The cells of the arrangement of the rows of ``X``.

    Attributes
    ----------
    patterns : ndarray (P, n) of bool
        ``<x_i, theta> > 0`` on the cell (zero rows are never active).
    interior : ndarray (P, d)
        A unit direction strictly inside each cell.
    walls : list of int ndarray
        Rows of ``X`` whose hyperplanes bound the cell: the cone of the cell is
        ``{theta : s_i <x_i, theta> >= 0, i in walls}`` with ``s_i = +1`` where
        the pattern is on, ``-1`` where off.
    rays : list of ndarray (r_k, d) or None
        Extreme rays (unit) of each cell's cone (d = 2, 3).
    method : str
        ``circle``, ``sphere3`` or ``lp``.
    n_hyperplanes : int
        Distinct hyperplanes ``h`` (after grouping).
    closed_form : int
        ``2 sum_{k<d} C(h-1, k)``: the count in general position.
    general_position : bool
        The count equals ``closed_form``.
    wall_s : float
    info : dict
    """

    patterns: np.ndarray
    interior: np.ndarray
    walls: list
    rays: list | None
    method: str
    n_hyperplanes: int
    closed_form: int
    general_position: bool
    wall_s: float
    info: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.patterns.shape[0])

    def to_dict(self) -> dict:
        return {"n_cells": len(self), "method": self.method, "n_hyperplanes": self.n_hyperplanes,
                "closed_form": self.closed_form, "general_position": self.general_position,
                "wall_s": self.wall_s, **self.info}


def region_count(h: int, d: int) -> int:
    """Regions of a central arrangement of ``h`` hyperplanes in general position in R^d.

    ``2 sum_{k=0}^{d-1} C(h-1, k)`` for ``h >= 1`` (1 for ``h = 0``); an upper
    bound on the number of cells of any central arrangement of ``h`` hyperplanes.
    """
    h, d = int(h), int(d)
    if h <= 0:
        return 1
    return 2 * sum(comb(h - 1, k) for k in range(min(d, h)))


def hyperplane_groups(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Representatives of the distinct hyperplanes ``x_i^perp`` and every row's group.

    Rows are normalised and given a canonical sign (first non-zero entry
    positive); rows equal after that share a hyperplane.  Zero rows get group -1.

    Returns
    -------
    rep : int ndarray (h,)
        One row index per hyperplane.
    group : int ndarray (n,)
    """
    X = np.asarray(X, dtype=np.float64)
    nrm = np.linalg.norm(X, axis=1)
    nz = np.flatnonzero(nrm > 0)
    group = np.full(X.shape[0], -1)
    if nz.size == 0:
        return np.zeros(0, dtype=int), group
    U = X[nz] / nrm[nz, None]
    first = np.argmax(U != 0, axis=1)
    U = U * np.sign(U[np.arange(U.shape[0]), first])[:, None]
    _, rep_l, inv = np.unique(U, axis=0, return_index=True, return_inverse=True)
    group[nz] = inv.reshape(-1)
    return nz[rep_l], group


def cell_count_bound(X) -> int:
    """Closed-form bound on the number of cells (computed before enumerating)."""
    X = check_X(X)
    rep, _ = hyperplane_groups(X)
    return region_count(len(rep), X.shape[1])


def _unit(V: np.ndarray) -> np.ndarray:
    return V / np.linalg.norm(V, axis=-1, keepdims=True)


# ------------------------------------------------------------------ d = 2
def _circle(R: np.ndarray):
    """Arcs of the circle cut by the lines ``R_i^perp`` (R unit rows, pairwise non-parallel)."""
    phi = np.arctan2(R[:, 1], R[:, 0])
    b = np.mod(np.concatenate([phi + np.pi / 2, phi - np.pi / 2]), 2 * np.pi)
    wall = np.concatenate([np.arange(len(R)), np.arange(len(R))])
    order = np.argsort(b)
    b, wall = b[order], wall[order]
    ends = np.append(b[1:], b[0] + 2 * np.pi)
    if np.min(ends - b) < 1e-12:
        raise BlassoInputError("circle enumeration: two breakpoints closer than 1e-12 rad")
    mid = 0.5 * (b + ends)
    interior = np.column_stack([np.cos(mid), np.sin(mid)])
    r0 = np.column_stack([np.cos(b), np.sin(b)])
    r1 = np.column_stack([np.cos(ends), np.sin(ends)])
    rays = [np.vstack([r0[k], r1[k]]) for k in range(len(b))]
    walls = [np.array([wall[k], wall[(k + 1) % len(b)]]) for k in range(len(b))]
    return interior, walls, rays


# ------------------------------------------------------------------ d = 3
def _sphere3(R: np.ndarray):
    """Cells of the great-circle arrangement ``{R_i^perp}`` around its vertices (general position)."""
    h = R.shape[0]
    I, J = np.triu_indices(h, 1)
    C = np.cross(R[I], R[J])
    cn = np.linalg.norm(C, axis=1)
    if np.min(cn) < 1e-9:
        raise BlassoInputError("sphere3 enumeration: two hyperplanes nearly parallel")
    Vx = np.vstack([C / cn[:, None], -C / cn[:, None]])
    I2, J2 = np.concatenate([I, I]), np.concatenate([J, J])
    G = Vx @ R.T                                       # (2 C(h,2), h)
    rows = np.arange(Vx.shape[0])
    G[rows, I2] = np.inf
    G[rows, J2] = np.inf
    if np.min(np.abs(G)) < GENERAL_POSITION_TOL:
        raise BlassoInputError("sphere3 enumeration: three great circles through a point (not in general position)")
    S = G > 0
    pats, verts, wi, wj = [], [], [], []
    for si in (False, True):
        for sj in (False, True):
            P = S.copy()
            P[rows, I2] = si
            P[rows, J2] = sj
            pats.append(P)
            verts.append(Vx)
            wi.append(I2)
            wj.append(J2)
    P = np.vstack(pats)
    Vall = np.vstack(verts)
    Wi, Wj = np.concatenate(wi), np.concatenate(wj)
    packed = np.packbits(P, axis=1)
    _, first, inv = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    inv = inv.reshape(-1)
    ncell = first.size
    order = np.argsort(inv, kind="stable")
    splits = np.cumsum(np.bincount(inv, minlength=ncell))[:-1]
    vgroups = np.split(order, splits)
    interior = np.zeros((ncell, 3))
    np.add.at(interior, inv, Vall)
    if np.min(np.linalg.norm(interior, axis=1)) < 1e-12:
        raise BlassoInputError("sphere3 enumeration: a cell with antipodal vertices (fewer than 3 circles)")
    interior = _unit(interior)
    rays = [Vall[g] for g in vgroups]
    walls = [np.unique(np.concatenate([Wi[g], Wj[g]])) for g in vgroups]
    return P[first], interior, walls, rays


# ------------------------------------------------------------------ any d
def _lp_margin(A: np.ndarray, d: int):
    """``max t`` s.t. ``A theta >= t``, ``|theta|_inf <= 1``, ``t <= 1``: (t, theta)."""
    from scipy.optimize import linprog

    k = A.shape[0]
    c = np.zeros(d + 1)
    c[-1] = -1.0
    A_ub = np.hstack([-A, np.ones((k, 1))])
    bounds = [(-1.0, 1.0)] * d + [(None, 1.0)]
    res = linprog(c, A_ub=A_ub, b_ub=np.zeros(k), bounds=bounds, method="highs")
    if res.status != 0:
        return -np.inf, None
    return float(res.x[-1]), res.x[:d]


def _incremental(R: np.ndarray, d: int, max_cells: int, deadline: float, tol: float = 1e-9):
    """Incremental construction with one LP per (cell, new hyperplane)."""
    signs = [np.zeros(0)]
    points = [_unit(np.ones(d))]
    for k in range(R.shape[0]):
        if time.perf_counter() > deadline:
            raise BlassoInputError(f"lp enumeration: time budget spent after {k} of {R.shape[0]} hyperplanes")
        new_s, new_p = [], []
        for s, th in zip(signs, points):
            g = float(R[k] @ th)
            side = 1.0 if g > 0 else -1.0
            if abs(g) > tol:
                new_s.append(np.append(s, side))
                new_p.append(th)
                other = -side
            else:
                other = None
            for sd in ((other,) if other is not None else (1.0, -1.0)):
                A = np.vstack([s[:, None] * R[:k], sd * R[k][None, :]])
                t, x = _lp_margin(A, d)
                if t > tol:
                    new_s.append(np.append(s, sd))
                    new_p.append(_unit(x))
        signs, points = new_s, new_p
        if len(signs) > max_cells:
            raise BlassoInputError(f"lp enumeration: more than max_cells = {max_cells} cells")
    return np.array(points).reshape(-1, d)


def enumerate_cells(X, *, method: str = "auto", max_cells: int | None = None,
                    time_budget: float = 600.0) -> Cells:
    """Every cell (activation pattern) of the arrangement ``{x_i^perp}``.

    Parameters
    ----------
    X : array_like (n, d)
    method : {"auto", "circle", "sphere3", "lp"}
        ``auto``: ``circle`` for d = 2, ``sphere3`` for d = 3 (``lp`` when the
        data are not in general position for them), ``lp`` for d >= 4.
    max_cells : int, optional
        Budget: refuse (``BlassoInputError``) when the closed-form count
        ``2 sum_{k<d} C(h-1, k)`` exceeds it, before enumerating.  Default
        :data:`DEFAULT_MAX_CELLS` (``circle``/``sphere3``), :data:`LP_MAX_CELLS` (``lp``).
    time_budget : float
        Seconds (the ``lp`` construction stops with an error when spent).

    Returns
    -------
    Cells
    """
    t0 = time.perf_counter()
    X = check_X(X)
    n, d = X.shape
    method = check_choice(method, ("auto", "circle", "sphere3", "lp"), name="method")
    if method == "circle" and d != 2 or method == "sphere3" and d != 3:
        raise BlassoInputError(f"method {method!r} needs d = {2 if method == 'circle' else 3}; got d = {d}")
    rep, _ = hyperplane_groups(X)
    h = len(rep)
    bound = region_count(h, d)
    fast = {2: "circle", 3: "sphere3"}.get(d)
    want = method if method != "auto" else (fast or "lp")
    if want in ("circle", "sphere3") and h < d:
        if method != "auto":
            raise BlassoInputError(f"{want} needs at least {d} distinct hyperplanes; got {h}")
        want = "lp"
    limit = (DEFAULT_MAX_CELLS if want != "lp" else LP_MAX_CELLS) if max_cells is None else \
        check_positive_int(max_cells, name="max_cells")
    if bound > limit:
        raise BlassoInputError(
            f"the arrangement of {h} hyperplanes in R^{d} has up to {bound} cells (2 sum_{{k<{d}}} C({h - 1}, k)), "
            f"over the budget max_cells = {limit}")
    R = X[rep] / np.linalg.norm(X[rep], axis=1, keepdims=True)
    info: dict = {}
    rays = None
    if want == "circle":
        interior, walls_r, rays = _circle(R)
    elif want == "sphere3":
        try:
            _, interior, walls_r, rays = _sphere3(R)
        except BlassoInputError as err:
            if method != "auto":
                raise
            info["routed"] = f"sphere3 -> lp: {err}"
            want, rays = "lp", None
            limit = LP_MAX_CELLS if max_cells is None else limit
            if bound > limit:
                raise BlassoInputError(f"{err}; the lp enumeration would need up to {bound} cells, over its "
                                       f"budget max_cells = {limit}") from None
    if want == "lp":
        interior = _incremental(R, d, limit, t0 + time_budget)
        walls_r = [np.arange(h)] * interior.shape[0]
    walls = [rep[w] for w in walls_r]
    patterns = (interior @ X.T) > 0
    return Cells(patterns=patterns, interior=interior, walls=walls, rays=rays, method=want, n_hyperplanes=h,
                 closed_form=bound, general_position=bool(len(interior) == bound),
                 wall_s=time.perf_counter() - t0, info=info)


def sampling_check(cells: Cells, X, n_samples: int = 100_000, rng=0, chunk: int = 20_000) -> dict:
    """Dense random sampling of the sphere: every sampled pattern must be an enumerated cell.

    Returns ``{"samples", "distinct_sampled", "missed", "enumerated"}`` (``missed``:
    sampled patterns not in the enumeration; must be 0).
    """
    X = check_X(X)
    gen = check_rng(rng)
    known = {row.tobytes() for row in np.packbits(cells.patterns, axis=1)}
    seen: set = set()
    for a in range(0, int(n_samples), chunk):
        T = gen.standard_normal((min(chunk, int(n_samples) - a), X.shape[1]))
        seen.update(row.tobytes() for row in np.packbits((T @ X.T) > 0, axis=1))
    return {"samples": int(n_samples), "distinct_sampled": len(seen), "missed": len(seen - known),
            "enumerated": len(known)}
