"""Grids of directions on the unit sphere S^{d-1} and their geometry.

Kinds of grid:

``random``
    i.i.d. uniform points (any d);
``equiangular``
    ``G`` equally spaced angles on the circle (d = 2);
``fibonacci``
    the spherical Fibonacci lattice (d = 3);
``cube``
    a deterministic grid for any d: a regular lattice on every
    face of the cube ``[-1, 1]^d``, projected onto the sphere.

A grid can be extended by the teacher's atoms (an "oracle grid"); the
:class:`Grid` records that so that every report can say so.

Memory: every builder checks the size of the grid it is asked for against the
available memory (:func:`blasso.memory.check_memory`) before allocating it,
and fills it in chunks of :func:`blasso.memory.chunk_bytes`; distances and
the covering radius walk probes and grid in bounded blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .memory import check_memory, chunk_bytes, chunks
from .validation import (
    BlassoInputError,
    check_choice,
    check_directions,
    check_positive_int,
    check_rng,
    read_npy_file,
)

__all__ = [
    "GRID_KINDS",
    "Grid",
    "normalize",
    "random_sphere",
    "equiangular_grid",
    "fibonacci_grid",
    "cube_grid",
    "make_grid",
    "planned_grid_size",
    "grid_memory",
    "load_grid",
    "add_atoms",
    "geodesic_distance",
    "covering_radius",
    "COVERING_MAX_WORK",
    "COVERING_MIN_PROBES",
    "COVERING_TREE_MAX_D",
]

GRID_KINDS = ("random", "equiangular", "fibonacci", "cube")


@dataclass(frozen=True)
class Grid:
    """A finite set of unit directions.

    Attributes
    ----------
    theta : ndarray of shape (G, d)
        Unit vectors.
    kind : str
        How the grid was made (one of :data:`GRID_KINDS`, ``"file"``).
    oracle : bool
        True when the teacher's atoms were added to the grid.
    n_oracle : int
        Number of atoms added (they are the last ``n_oracle`` rows).
    """

    theta: np.ndarray
    kind: str
    oracle: bool = False
    n_oracle: int = 0
    meta: dict = field(default_factory=dict)

    @property
    def size(self) -> int:
        return int(self.theta.shape[0])

    @property
    def d(self) -> int:
        return int(self.theta.shape[1])

    def __repr__(self) -> str:
        """One line: ``Grid('fibonacci', G=4000, d=3)`` (the directions are ``theta``)."""
        extra = f", oracle +{self.n_oracle}" if self.oracle else ""
        return f"Grid({self.kind!r}, G={self.size}, d={self.d}{extra})"

    def describe(self) -> str:
        s = f"{self.kind} grid, G={self.size}, d={self.d}"
        if self.oracle:
            s += f" (ORACLE: +{self.n_oracle} teacher atoms)"
        return s


def normalize(V: np.ndarray) -> np.ndarray:
    """Rows of ``V`` scaled to unit norm; raises on a zero row."""
    V = np.asarray(V, dtype=np.float64)
    norms = np.linalg.norm(V, axis=-1, keepdims=True)
    if np.any(norms == 0):
        raise BlassoInputError("cannot normalize a zero vector onto the sphere")
    return V / norms


def _count(k: int) -> str:
    """An exact count with separators, or its order of magnitude when it has more than 15 digits."""
    k = int(k)
    return f"{k:,}" if k < 10**15 else f"about 10^{len(str(k)) - 1}"


def _check_grid_memory(G: int, d: int, what: str, at_least: bool = False) -> None:
    check_memory(grid_memory(G, d), f"{what} of {'at least ' if at_least else ''}{_count(G)} directions in d = {d}")


def grid_memory(G: int, d: int) -> int:
    """Estimated peak bytes of building a grid of ``G`` directions in dimension ``d``.

    The array itself (``8 G d`` bytes) plus one chunk of temporaries (at most its size).
    """
    nbytes = 8 * int(G) * int(d)
    return nbytes + min(nbytes, chunk_bytes())


def _random_into(out: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Fill ``out`` (G, d) with uniform points on the sphere, chunk by chunk (same stream as one draw)."""
    d = out.shape[1]
    for s, e in chunks(out.shape[0], 16 * d):
        block = out[s:e]
        rng.standard_normal(out=block)
        norms = np.linalg.norm(block, axis=1)
        while np.any(norms < 1e-12):  # astronomically rare; redraw those rows
            bad = norms < 1e-12
            block[bad] = rng.standard_normal((int(bad.sum()), d))
            norms = np.linalg.norm(block, axis=1)
        block /= norms[:, None]
    return out


def random_sphere(G: int, d: int, rng) -> np.ndarray:
    """``G`` i.i.d. uniform points on S^{d-1} (normalised Gaussians).

    Raises
    ------
    BlassoInputError
        On bad sizes, or when the ``8 G d`` bytes exceed the available memory.
    """
    G = check_positive_int(G, name="grid size")
    d = check_positive_int(d, name="d", minimum=2)
    rng = check_rng(rng)
    _check_grid_memory(G, d, "a random set")
    return _random_into(np.empty((G, d)), rng)


def _equiangular(G: int, offset: float) -> np.ndarray:
    out = np.empty((G, 2))
    for s, e in chunks(G, 48):
        t = offset + 2 * np.pi * np.arange(s, e) / G
        out[s:e, 0] = np.cos(t)
        out[s:e, 1] = np.sin(t)
    return out


def equiangular_grid(G: int, offset: float = 0.0) -> np.ndarray:
    """``G`` equally spaced directions on the circle, starting at angle ``offset``."""
    G = check_positive_int(G, name="grid size")
    _check_grid_memory(G, 2, "an equiangular grid")
    return _equiangular(G, float(offset))


def _fibonacci(G: int) -> np.ndarray:
    out = np.empty((G, 3))
    golden = np.pi * (3.0 - np.sqrt(5.0))
    for s, e in chunks(G, 64):
        i = np.arange(s, e) + 0.5
        z = 1.0 - 2.0 * i / G
        r = np.sqrt(np.maximum(0.0, 1.0 - z * z))
        phi = golden * i
        out[s:e, 0] = r * np.cos(phi)
        out[s:e, 1] = r * np.sin(phi)
        out[s:e, 2] = z
    return out


def fibonacci_grid(G: int) -> np.ndarray:
    """Spherical Fibonacci lattice with ``G`` points on S^2."""
    G = check_positive_int(G, name="grid size")
    _check_grid_memory(G, 3, "a Fibonacci grid")
    return _fibonacci(G)


def _cube(k: int, d: int) -> np.ndarray:
    """The cube grid, face by face and chunk by chunk (no meshgrid: any d)."""
    ticks = -1.0 + (2.0 * np.arange(k) + 1.0) / k
    K = k ** (d - 1)                      # lattice points per face
    powers = np.array([k ** (d - 2 - j) for j in range(d - 1)], dtype=np.int64)
    out = np.empty((2 * d * K, d))
    row = 0
    for axis in range(d):
        others = [a for a in range(d) if a != axis]
        for sign in (-1.0, 1.0):
            for s, e in chunks(K, 24 * d):
                # lattice point r has coordinate j at tick (r // k^(d-2-j)) % k ("ij" meshgrid order)
                digits = (np.arange(s, e, dtype=np.int64)[:, None] // powers) % k
                block = out[row + s:row + e]
                block[:, axis] = sign
                block[:, others] = ticks[digits]
                block /= np.linalg.norm(block, axis=1, keepdims=True)
            row += K
    return out


def cube_grid(k: int, d: int) -> np.ndarray:
    """Deterministic grid for any d: a k^(d-1) lattice on each of the 2d cube faces.

    Points are the cell centres ``-1 + (2j + 1)/k`` of each face, projected to
    the sphere, so no point is shared between faces; ``G = 2 d k^(d-1)``.
    """
    k = check_positive_int(k, name="k")
    d = check_positive_int(d, name="d", minimum=2)
    _check_grid_memory(2 * d * k ** (d - 1), d, "a cube grid")
    return _cube(k, d)


def _cube_k_for_size(G: int, d: int) -> int:
    """Smallest k with 2 d k^(d-1) >= G, by exact integer bisection (any size of G and d)."""
    target, e = -(-G // (2 * d)), d - 1
    lo, hi = 1, 1
    while hi ** e < target:
        hi *= 2
    while lo < hi:
        mid = (lo + hi) // 2
        if mid ** e >= target:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _resolve_kind(kind: str, d: int) -> str:
    if kind == "auto":
        kind = {2: "equiangular", 3: "fibonacci"}.get(d, "cube")
    kind = check_choice(kind, GRID_KINDS, name="grid kind")
    if kind == "equiangular" and d != 2:
        raise BlassoInputError(f"the equiangular grid is for d = 2; got d = {d}")
    if kind == "fibonacci" and d != 3:
        raise BlassoInputError(f"the Fibonacci grid is for d = 3; got d = {d}")
    return kind


def planned_grid_size(kind: str, G: int, d: int) -> int:
    """Number of directions :func:`make_grid` returns for ``(kind, G, d)``, computed without building it.

    ``G`` itself except for the cube grid (``2 d k^(d-1)`` for the smallest
    such k with at least ``G`` points, which can be far larger than ``G`` in
    high dimension).  A Python int, exact for any size.
    """
    G = check_positive_int(G, name="grid size")
    d = check_positive_int(d, name="d", minimum=2)
    kind = _resolve_kind(kind, d)
    return 2 * d * _cube_k_for_size(G, d) ** (d - 1) if kind == "cube" else G


def make_grid(kind: str, G: int, d: int, *, rng=None, oracle_atoms: np.ndarray | None = None) -> Grid:
    """Build a grid of (about) ``G`` directions in dimension ``d``.

    Parameters
    ----------
    kind : {"random", "equiangular", "fibonacci", "cube", "auto"}
        ``auto`` picks equiangular for d = 2, Fibonacci for d = 3, else cube.
        The cube grid has ``2 d k^(d-1)`` points for the smallest such k with at
        least ``G`` points.
    rng : Generator or int, required for ``random``.
    oracle_atoms : ndarray of shape (m, d), optional
        Teacher directions to append (the grid is then marked as an oracle grid).

    Raises
    ------
    BlassoInputError
        On bad arguments, or before allocating anything when the grid would
        not fit in the available memory (the message gives the estimate).
    """
    G = check_positive_int(G, name="grid size")
    d = check_positive_int(d, name="d", minimum=2)
    kind = _resolve_kind(kind, d)
    if kind == "random" and rng is None:
        raise BlassoInputError("a random grid needs an explicit rng or seed")
    _check_grid_memory(G, d, f"a {kind} grid", at_least=kind == "cube")   # before computing the cube's size
    size = planned_grid_size(kind, G, d)
    m = 0 if oracle_atoms is None else int(np.shape(oracle_atoms)[0])
    what = f"a {kind} grid" + (f" (for --grid-size {_count(G)})" if size != G else "")
    _check_grid_memory(size + m, d, what)
    if kind == "random":
        theta = _random_into(np.empty((G, d)), check_rng(rng))
    elif kind == "equiangular":
        theta = _equiangular(G, 0.0)
    elif kind == "fibonacci":
        theta = _fibonacci(G)
    else:
        theta = _cube(_cube_k_for_size(G, d), d)
    grid = Grid(theta=theta, kind=kind)
    if oracle_atoms is not None:
        grid = add_atoms(grid, oracle_atoms)
    return grid


def load_grid(path: str | Path, d: int | None = None) -> Grid:
    """Read a grid from a ``.npy`` array of unit vectors of shape (G, d).

    Raises
    ------
    BlassoInputError
        Missing file, not a ``.npy`` array (random bytes, a pickle, an
        ``.npz``), object arrays, an array larger than the available memory,
        or rows that are not unit vectors.
    """
    path = Path(path)
    arr = read_npy_file(path, what=f"grid file {str(path)!r}")
    theta = check_directions(arr, d, name=f"grid from {path.name}", tol=1e-6)
    return Grid(theta=theta / np.linalg.norm(theta, axis=1, keepdims=True), kind="file",
                meta={"path": str(path)})


def add_atoms(grid: Grid, atoms) -> Grid:
    """Append directions (e.g. the teacher's) to a grid and mark it as an oracle grid."""
    atoms = check_directions(atoms, grid.d, name="oracle atoms", tol=1e-6)
    atoms = atoms / np.linalg.norm(atoms, axis=1, keepdims=True)
    _check_grid_memory(grid.size + atoms.shape[0], grid.d, "an oracle grid")
    return Grid(
        theta=np.concatenate([grid.theta, atoms], axis=0),
        kind=grid.kind,
        oracle=True,
        n_oracle=grid.n_oracle + atoms.shape[0],
        meta=dict(grid.meta),
    )


def geodesic_distance(a, b, *, chunk_bytes: int | None = None) -> np.ndarray:
    """Pairwise angles ``arccos(<a_i, b_j>)`` between unit vectors, shape (len(a), len(b)).

    Computed as ``2 asin(||a_i - b_j|| / 2)`` from explicit differences (in
    blocks of at most ``chunk_bytes``, default :func:`blasso.memory.chunk_bytes`),
    which stays accurate at tiny angles where ``arccos`` of an inner product
    loses all digits.  The ``8 len(a) len(b)`` bytes of the result are checked
    against the available memory first.
    """
    a = np.atleast_2d(np.asarray(a, dtype=np.float64))
    b = np.atleast_2d(np.asarray(b, dtype=np.float64))
    if a.shape[1] != b.shape[1]:
        raise BlassoInputError(f"dimension mismatch: {a.shape[1]} vs {b.shape[1]}")
    la, lb, d = a.shape[0], b.shape[0], a.shape[1]
    check_memory(8 * la * lb, f"a {_count(la)} x {_count(lb)} distance matrix")
    out = np.empty((la, lb))
    budget = chunk_bytes
    for bs, be in chunks(lb, 8 * d, budget):
        for s, e in chunks(la, 8 * d * (be - bs), budget):
            diff = a[s:e, None, :] - b[None, bs:be, :]
            chord = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
            out[s:e, bs:be] = 2.0 * np.arcsin(np.minimum(1.0, chord / 2.0))
    return out


#: Default cap on the work of a sampled covering radius, in probe-grid coordinate products
#: (``n_probe * G * d``): about a second, less than the solves it accompanies.
COVERING_MAX_WORK = 10**9

#: Below this many probes a sampled covering radius says too little: it is skipped instead.
COVERING_MIN_PROBES = 100

#: Up to this dimension, when brute force would exceed the work cap, a k-d tree finds each
#: probe's nearest grid point instead (exact; 1e6 directions, d = 5, 5000 probes: about 0.3 s).
COVERING_TREE_MAX_D = 8


def _max_min_angle_tree(probes: np.ndarray, theta: np.ndarray) -> float:
    """``max_u min_g angle(u, theta_g)`` by nearest-neighbour queries in a k-d tree (chord distances)."""
    from scipy.spatial import cKDTree

    tree = cKDTree(theta, balanced_tree=False, compact_nodes=False)
    worst = 0.0
    for s in range(0, probes.shape[0], 1000):      # blocks of queries: Ctrl-C is handled between them
        dist, _ = tree.query(probes[s:s + 1000], k=1)
        worst = max(worst, float(np.max(dist)))
    return float(2.0 * np.arcsin(min(1.0, worst / 2.0)))


def _max_min_angle(probes: np.ndarray, theta: np.ndarray, budget: int | None) -> float:
    """``max_u min_g angle(u, theta_g)`` over the probes, walking probes x grid in bounded blocks."""
    budget = chunk_bytes() if budget is None else int(budget)
    pstep = min(probes.shape[0], 256, max(1, budget // 8))
    worst = 0.0
    for s in range(0, probes.shape[0], pstep):
        P = probes[s:s + pstep]
        best = np.full(P.shape[0], -np.inf)
        for gs, ge in chunks(theta.shape[0], 8 * P.shape[0], budget):
            np.maximum(best, np.max(P @ theta[gs:ge].T, axis=1), out=best)
        worst = max(worst, float(np.arccos(np.clip(best.min(), -1.0, 1.0))))
    return worst


def covering_radius(theta, *, n_probe: int = 20000, rng=0, max_work: int | None = COVERING_MAX_WORK,
                    chunk_bytes: int | None = None) -> dict:
    """Covering radius ``max_{u in S^{d-1}} min_g angle(u, theta_g)`` of a grid.

    For d = 2 the value is exact (half the largest gap between sorted angles).
    Otherwise it is estimated from ``n_probe`` random probes, which gives a
    LOWER bound on the true radius; the result says which.  An int ``rng``
    seeds a child stream, so the probes never coincide with a random grid
    drawn from the same int seed.

    By brute force the estimate costs ``n_probe * G * d`` multiply-adds.  When
    that exceeds ``max_work`` (``None``: no cap): for ``d <=``
    :data:`COVERING_TREE_MAX_D` a k-d tree finds each probe's nearest grid
    point instead (same answer, a fraction of the work); in higher dimension
    the number of probes is capped so that the work stays below ``max_work``,
    and when fewer than :data:`COVERING_MIN_PROBES` probes would remain the
    estimate is skipped (``radius`` is NaN).  Probes and grid are walked in blocks of at most
    ``chunk_bytes`` (default :func:`blasso.memory.chunk_bytes`).

    Returns
    -------
    dict with ``radius`` (radians, NaN if skipped), ``exact`` (bool),
    ``method`` (says how, and whether capped or skipped), ``n_probe`` (probes
    used), ``capped`` and ``skipped`` (bool).
    """
    theta = check_directions(theta, name="grid")
    n_probe = check_positive_int(n_probe, name="n_probe")
    G, d = theta.shape
    if d == 2:
        check_memory(32 * G, f"the exact covering radius of {_count(G)} directions")
        ang = np.sort(np.mod(np.arctan2(theta[:, 1], theta[:, 0]), 2 * np.pi))
        gaps = np.diff(np.concatenate([ang, [ang[0] + 2 * np.pi]]))
        return {"radius": float(gaps.max() / 2), "exact": True, "method": "sorted angles (d=2)",
                "n_probe": 0, "capped": False, "skipped": False}
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        # a child stream: a random grid made with the same int seed must not share its points
        rng = np.random.default_rng(np.random.SeedSequence(int(rng)).spawn(1)[0])
    if max_work is not None and n_probe * G * d > max_work and d <= COVERING_TREE_MAX_D:
        check_memory(16 * G * d + 16 * G, f"a k-d tree over {_count(G)} directions")
        probes = random_sphere(n_probe, d, check_rng(rng))
        return {"radius": _max_min_angle_tree(probes, theta), "exact": False, "n_probe": n_probe,
                "capped": False, "skipped": False,
                "method": f"max over {n_probe} random probes, nearest grid point by k-d tree "
                          "(a lower bound on the true radius)"}
    used = n_probe if max_work is None else min(n_probe, int(max_work) // (G * d))
    capped = used < n_probe
    cap_text = (f", capped from {n_probe} so that probes x grid x d stays below {float(max_work):.0e}"
                if capped else "")
    if used < COVERING_MIN_PROBES:
        return {"radius": float("nan"), "exact": False, "n_probe": 0, "capped": True, "skipped": True,
                "method": f"skipped: {COVERING_MIN_PROBES} probes x {_count(G)} directions x d = {d} exceed "
                          f"the work cap {float(max_work):.0e} (covering_radius(max_work=None) forces it)"}
    probes = random_sphere(used, d, check_rng(rng))
    return {
        "radius": _max_min_angle(probes, theta, chunk_bytes),
        "exact": False,
        "method": f"max over {used} random probes{cap_text} (a lower bound on the true radius)",
        "n_probe": used, "capped": capped, "skipped": False,
    }
