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
