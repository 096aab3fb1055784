"""Grids of directions on the unit sphere S^{d-1} and their geometry.

Kinds of grid:

``random``        i.i.d. uniform points (any d);
``equiangular``   ``G`` equally spaced angles on the circle (d = 2);
``fibonacci``     the spherical Fibonacci lattice (d = 3);
``cube``          a deterministic grid for any d: a regular lattice on every
                  face of the cube ``[-1, 1]^d``, projected onto the sphere.

A grid can be extended by the teacher's atoms (an "oracle grid"); the
:class:`Grid` records that so that every report can say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .validation import (
    BlassoInputError,
    check_choice,
    check_directions,
    check_positive_int,
    check_rng,
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
    "load_grid",
    "add_atoms",
    "geodesic_distance",
    "covering_radius",
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


def random_sphere(G: int, d: int, rng) -> np.ndarray:
    """``G`` i.i.d. uniform points on S^{d-1} (normalised Gaussians)."""
    G = check_positive_int(G, name="grid size")
    d = check_positive_int(d, name="d", minimum=2)
    rng = check_rng(rng)
    V = rng.standard_normal((G, d))
    norms = np.linalg.norm(V, axis=1)
    while np.any(norms < 1e-12):  # astronomically rare; redraw those rows
        bad = norms < 1e-12
        V[bad] = rng.standard_normal((int(bad.sum()), d))
        norms = np.linalg.norm(V, axis=1)
    return V / norms[:, None]


def equiangular_grid(G: int, offset: float = 0.0) -> np.ndarray:
    """``G`` equally spaced directions on the circle, starting at angle ``offset``."""
    G = check_positive_int(G, name="grid size")
    t = offset + 2 * np.pi * np.arange(G) / G
    return np.column_stack([np.cos(t), np.sin(t)])


def fibonacci_grid(G: int) -> np.ndarray:
    """Spherical Fibonacci lattice with ``G`` points on S^2."""
    G = check_positive_int(G, name="grid size")
    i = np.arange(G) + 0.5
    z = 1.0 - 2.0 * i / G
    r = np.sqrt(np.maximum(0.0, 1.0 - z * z))
    golden = np.pi * (3.0 - np.sqrt(5.0))
    phi = golden * i
    return np.column_stack([r * np.cos(phi), r * np.sin(phi), z])


def cube_grid(k: int, d: int) -> np.ndarray:
    """Deterministic grid for any d: a k^(d-1) lattice on each of the 2d cube faces.

    Points are the cell centres ``-1 + (2j + 1)/k`` of each face, projected to
    the sphere, so no point is shared between faces; ``G = 2 d k^(d-1)``.
    """
    k = check_positive_int(k, name="k")
    d = check_positive_int(d, name="d", minimum=2)
    ticks = -1.0 + (2.0 * np.arange(k) + 1.0) / k
    mesh = np.stack(np.meshgrid(*([ticks] * (d - 1)), indexing="ij"), axis=-1).reshape(-1, d - 1)
    faces = []
    for axis in range(d):
        for sign in (-1.0, 1.0):
            P = np.empty((mesh.shape[0], d))
            P[:, axis] = sign
            P[:, [a for a in range(d) if a != axis]] = mesh
            faces.append(P)
    return normalize(np.concatenate(faces, axis=0))


def _cube_k_for_size(G: int, d: int) -> int:
    """Smallest k with 2 d k^(d-1) >= G."""
    k = max(1, int(np.floor((G / (2 * d)) ** (1.0 / (d - 1)))))
    while 2 * d * k ** (d - 1) < G:
        k += 1
    return k


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
    """
    G = check_positive_int(G, name="grid size")
    d = check_positive_int(d, name="d", minimum=2)
    if kind == "auto":
        kind = {2: "equiangular", 3: "fibonacci"}.get(d, "cube")
    kind = check_choice(kind, GRID_KINDS, name="grid kind")
    if kind == "random":
        if rng is None:
            raise BlassoInputError("a random grid needs an explicit rng or seed")
        theta = random_sphere(G, d, rng)
    elif kind == "equiangular":
        if d != 2:
            raise BlassoInputError(f"the equiangular grid is for d = 2; got d = {d}")
        theta = equiangular_grid(G)
    elif kind == "fibonacci":
        if d != 3:
            raise BlassoInputError(f"the Fibonacci grid is for d = 3; got d = {d}")
        theta = fibonacci_grid(G)
    else:
        theta = cube_grid(_cube_k_for_size(G, d), d)
    grid = Grid(theta=theta, kind=kind)
    if oracle_atoms is not None:
        grid = add_atoms(grid, oracle_atoms)
    return grid


def load_grid(path: str | Path, d: int | None = None) -> Grid:
    """Read a grid from a ``.npy`` array of unit vectors of shape (G, d)."""
    path = Path(path)
    if not path.is_file():
        raise BlassoInputError(f"grid file {str(path)!r} does not exist")
    try:
        arr = np.load(path, allow_pickle=False)
    except Exception as exc:  # numpy raises several types for garbage files
        raise BlassoInputError(f"cannot read grid file {str(path)!r} as a .npy array: {exc}") from None
    theta = check_directions(arr, d, name=f"grid from {path.name}", tol=1e-6)
    return Grid(theta=theta / np.linalg.norm(theta, axis=1, keepdims=True), kind="file",
                meta={"path": str(path)})


def add_atoms(grid: Grid, atoms) -> Grid:
    """Append directions (e.g. the teacher's) to a grid and mark it as an oracle grid."""
    atoms = check_directions(atoms, grid.d, name="oracle atoms", tol=1e-6)
    atoms = atoms / np.linalg.norm(atoms, axis=1, keepdims=True)
    return Grid(
        theta=np.concatenate([grid.theta, atoms], axis=0),
        kind=grid.kind,
        oracle=True,
        n_oracle=grid.n_oracle + atoms.shape[0],
        meta=dict(grid.meta),
    )


def geodesic_distance(a, b, *, chunk_bytes: int = 32 * 2**20) -> np.ndarray:
    """Pairwise angles ``arccos(<a_i, b_j>)`` between unit vectors, shape (len(a), len(b)).

    Computed as ``2 asin(||a_i - b_j|| / 2)`` from explicit differences (in
    bounded chunks), which stays accurate at tiny angles where ``arccos`` of
    an inner product loses all digits.
    """
    a = np.atleast_2d(np.asarray(a, dtype=np.float64))
    b = np.atleast_2d(np.asarray(b, dtype=np.float64))
    if a.shape[1] != b.shape[1]:
        raise BlassoInputError(f"dimension mismatch: {a.shape[1]} vs {b.shape[1]}")
    out = np.empty((a.shape[0], b.shape[0]))
    rows = max(1, chunk_bytes // (8 * max(1, b.shape[0] * b.shape[1])))
    for s in range(0, a.shape[0], rows):
        diff = a[s:s + rows, None, :] - b[None, :, :]
        chord = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
        out[s:s + rows] = 2.0 * np.arcsin(np.minimum(1.0, chord / 2.0))
    return out


def covering_radius(theta, *, n_probe: int = 20000, rng=0, chunk: int = 2000) -> dict:
    """Covering radius ``max_{u in S^{d-1}} min_g angle(u, theta_g)`` of a grid.

    For d = 2 the value is exact (half the largest gap between sorted angles).
    An int ``rng`` seeds a child stream, so the probes never coincide with a
    random grid drawn from the same int seed.  Otherwise it is estimated from ``n_probe`` random probes, which gives a
    LOWER bound on the true radius; the result says which.

    Returns
    -------
    dict with ``radius`` (radians), ``exact`` (bool) and ``method``.
    """
    theta = check_directions(theta, name="grid")
    d = theta.shape[1]
    if d == 2:
        ang = np.sort(np.mod(np.arctan2(theta[:, 1], theta[:, 0]), 2 * np.pi))
        gaps = np.diff(np.concatenate([ang, [ang[0] + 2 * np.pi]]))
        return {"radius": float(gaps.max() / 2), "exact": True, "method": "sorted angles (d=2)"}
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        # a child stream: a random grid made with the same int seed must not share its points
        rng = np.random.default_rng(np.random.SeedSequence(int(rng)).spawn(1)[0])
    rng = check_rng(rng)
    probes = random_sphere(n_probe, d, rng)
    worst = 0.0
    for s in range(0, n_probe, chunk):
        P = probes[s:s + chunk]
        best = np.max(P @ theta.T, axis=1)
        worst = max(worst, float(np.arccos(np.clip(best.min(), -1.0, 1.0))))
    return {
        "radius": worst,
        "exact": False,
        "method": f"max over {n_probe} random probes (a lower bound on the true radius)",
    }
