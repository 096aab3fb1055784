import numpy as np
import pytest

from blasso.sphere import (add_atoms, covering_radius, cube_grid, equiangular_grid, fibonacci_grid,
                           geodesic_distance, load_grid, make_grid, random_sphere)
from blasso.validation import BlassoInputError


@pytest.mark.parametrize("kind,d,G", [("random", 4, 500), ("equiangular", 2, 64), ("fibonacci", 3, 400),
                                      ("cube", 5, 3000), ("cube", 2, 40), ("auto", 3, 100)])
def test_grids_are_unit_and_sized(kind, d, G):
    g = make_grid(kind, G, d, rng=0)
    np.testing.assert_allclose(np.linalg.norm(g.theta, axis=1), 1.0, atol=1e-14)
    assert g.size >= G
    assert not g.oracle


def test_cube_grid_size_formula():
    for k, d in [(1, 3), (3, 4), (4, 5)]:
        assert cube_grid(k, d).shape == (2 * d * k ** (d - 1), d)
    # no duplicate points across faces
    th = cube_grid(3, 4)
    D = geodesic_distance(th, th) + np.eye(th.shape[0]) * 10
    assert D.min() > 1e-6


def test_equiangular_covering_radius_exact():
    # closed form: half the spacing, pi / G
    for G in (7, 64, 360):
        cov = covering_radius(equiangular_grid(G))
        assert cov["exact"]
        assert abs(cov["radius"] - np.pi / G) < 1e-12


def test_sampled_covering_radius_is_lower_bound_and_close():
    # Fibonacci lattice on S^2: compare the probe estimate with a much denser brute-force probe.
    th = fibonacci_grid(200)
    est = covering_radius(th, n_probe=2000, rng=1)
    assert not est["exact"]
    dense = covering_radius(th, n_probe=200000, rng=2)["radius"]
    assert est["radius"] <= dense + 1e-12
    assert est["radius"] > 0.8 * dense


def test_geodesic_distance_small_angles():
    t = 1e-9
    a = np.array([[1.0, 0.0]])
    b = np.array([[np.cos(t), np.sin(t)]])
    assert abs(geodesic_distance(a, b)[0, 0] - t) < 1e-18
    assert abs(geodesic_distance(a, -a)[0, 0] - np.pi) < 1e-12


def test_oracle_grid_and_file_roundtrip(tmp_path):
    g = make_grid("cube", 100, 3)
    atoms = random_sphere(2, 3, 0)
    go = add_atoms(g, atoms)
    assert go.oracle and go.n_oracle == 2 and go.size == g.size + 2
    np.testing.assert_allclose(go.theta[-2:], atoms)
    assert "ORACLE" in go.describe()
    f = tmp_path / "grid.npy"
    np.save(f, g.theta)
    g2 = load_grid(f, 3)
    np.testing.assert_allclose(g2.theta, g.theta, atol=1e-15)
    assert g2.kind == "file"


def test_grid_errors(tmp_path):
    with pytest.raises(BlassoInputError, match="d = 2"):
        make_grid("equiangular", 10, 3)
    with pytest.raises(BlassoInputError, match="rng"):
        make_grid("random", 10, 3)
    bad = tmp_path / "bad.npy"
    np.save(bad, np.ones((4, 3)))
    with pytest.raises(BlassoInputError, match="unit vector"):
        load_grid(bad, 3)
    junk = tmp_path / "junk.npy"
    junk.write_text("not a numpy file")
    with pytest.raises(BlassoInputError, match="cannot read"):
        load_grid(junk, 3)


def _cube_reference(k, d):
    """The cube grid written the direct way (meshgrid, concatenate, normalise): fine for small d."""
    ticks = -1.0 + (2.0 * np.arange(k) + 1.0) / k
    mesh = np.stack(np.meshgrid(*([ticks] * (d - 1)), indexing="ij"), axis=-1).reshape(-1, d - 1)
    faces = []
    for axis in range(d):
        for sign in (-1.0, 1.0):
            P = np.empty((mesh.shape[0], d))
            P[:, axis] = sign
            P[:, [a for a in range(d) if a != axis]] = mesh
            faces.append(P)
    V = np.concatenate(faces)
    return V / np.linalg.norm(V, axis=1, keepdims=True)


@pytest.mark.parametrize("k,d", [(1, 3), (3, 4), (4, 5), (2, 7), (5, 2)])
def test_chunked_builders_match_direct_constructions(k, d):
    from blasso import memory

    with memory.limits(chunk_bytes=512):       # many tiny chunks
        np.testing.assert_array_equal(cube_grid(k, d), _cube_reference(k, d))
        V = np.random.default_rng(11).standard_normal((777, d))
        np.testing.assert_array_equal(random_sphere(777, d, 11), V / np.linalg.norm(V, axis=1, keepdims=True))
        i = np.arange(301) + 0.5
        z = 1 - 2 * i / 301
        r = np.sqrt(1 - z * z)
        phi = np.pi * (3 - np.sqrt(5)) * i
        np.testing.assert_allclose(fibonacci_grid(301), np.column_stack([r * np.cos(phi), r * np.sin(phi), z]),
                                   atol=1e-15)


def test_planned_grid_size_is_exact_without_building():
    from blasso.sphere import planned_grid_size

    for G, d in [(4000, 5), (12960, 5), (12961, 5), (7, 9), (100, 3), (50, 2)]:
        assert planned_grid_size("auto", G, d) == make_grid("auto", G, d).size
    assert planned_grid_size("cube", 12961, 5) == 2 * 5 * 7**4
    assert planned_grid_size("cube", 10**6, 2000) == 2 * 2000 * 2**1999
    assert planned_grid_size("random", 10**12, 5) == 10**12
