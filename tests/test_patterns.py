"""Exact enumeration of the activation patterns (blasso.solvers.patterns) against the closed form,
an independent algorithm (incremental LPs) and dense random sampling."""

import time

import numpy as np
import pytest

from blasso.validation import BlassoInputError
from blasso.solvers.patterns import cell_count_bound, enumerate_cells, region_count, sampling_check


def _sphere(n, d, seed):
    X = np.random.default_rng(seed).standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def _keys(cells):
    return {row.tobytes() for row in np.packbits(cells.patterns, axis=1)}


def test_region_count_closed_form_small_cases():
    # central arrangements in general position: lines in R^2 give 2h sectors, planes in R^3 h^2 - h + 2 regions
    for h in range(1, 12):
        assert region_count(h, 2) == 2 * h
        assert region_count(h, 3) == h * h - h + 2
    assert region_count(3, 5) == 2 ** 3          # h <= d: every sign pattern (coordinate hyperplanes)
    assert region_count(0, 4) == 1


@pytest.mark.parametrize("d,n", [(2, 300), (3, 60), (4, 10)])
def test_count_equals_closed_form_and_sampling_misses_nothing(d, n):
    X = _sphere(n, d, seed=d)
    cells = enumerate_cells(X)
    assert len(cells) == region_count(n, d) == cells.closed_form and cells.general_position
    assert len(_keys(cells)) == len(cells)                      # distinct patterns
    assert np.array_equal((cells.interior @ X.T) > 0, cells.patterns)
    chk = sampling_check(cells, X, n_samples=300_000, rng=1)
    assert chk["missed"] == 0 and chk["distinct_sampled"] >= 0.5 * len(cells)


def test_sphere3_and_incremental_lp_find_the_same_cells():
    X = _sphere(14, 3, seed=7)
    a, b = enumerate_cells(X, method="sphere3"), enumerate_cells(X, method="lp")
    assert a.method == "sphere3" and b.method == "lp"
    assert _keys(a) == _keys(b) and len(a) == region_count(14, 3)


def test_rays_and_walls_describe_the_cell_cone():
    X = _sphere(25, 3, seed=3)
    cells = enumerate_cells(X)
    rng = np.random.default_rng(0)
    for k in rng.choice(len(cells), 40, replace=False):
        R = cells.rays[k]
        th = rng.random(len(R)) @ R                           # a point of the cone of the extreme rays
        pat = (X @ th) > 0
        w = cells.walls[k]
        assert np.array_equal(pat[w], cells.patterns[k, w])
        assert np.array_equal(pat, cells.patterns[k])          # strictly inside: same pattern everywhere
        s = np.where(cells.patterns[k, w], 1.0, -1.0)
        assert np.all(s * (X[w] @ R.T).T >= -1e-12)            # rays satisfy the wall constraints


def test_duplicated_antipodal_and_zero_rows_are_grouped():
    X = _sphere(20, 2, seed=4)
    Xd = np.vstack([X, 2.0 * X[:5], -X[5:9], np.zeros((2, 2))])
    cells = enumerate_cells(Xd)
    assert cells.n_hyperplanes == 20 and len(cells) == 40
    assert not cells.patterns[:, -2:].any()                     # zero rows never active
    assert np.array_equal(cells.patterns[:, 20:25], cells.patterns[:, :5])
    assert np.array_equal(cells.patterns[:, 25:29], ~cells.patterns[:, 5:9])


def test_three_circles_through_a_point_route_to_lp():
    X = _sphere(9, 3, seed=5)
    X[8] = np.cross(np.cross(X[0], X[1]), np.array([0.3, -0.2, 0.9]))   # x_8 orthogonal to x_0 x x_1
    X[8] /= np.linalg.norm(X[8])
    cells = enumerate_cells(X)
    assert cells.method == "lp" and "routed" in cells.info
    assert len(cells) < region_count(9, 3) and not cells.general_position
    assert sampling_check(cells, X, n_samples=200_000, rng=2)["missed"] == 0


def test_budget_is_refused_before_enumerating():
    X = _sphere(3000, 3, seed=6)
    t0 = time.perf_counter()
    assert cell_count_bound(X) == region_count(3000, 3)
    with pytest.raises(BlassoInputError, match="over the budget"):
        enumerate_cells(X)
    with pytest.raises(BlassoInputError, match="max_cells = 50"):
        enumerate_cells(_sphere(30, 2, 0), max_cells=50)
    assert time.perf_counter() - t0 < 2.0
