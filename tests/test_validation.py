"""Bad inputs: each raises a clear error that names the problem."""

import numpy as np
import pytest

from blasso import Measure, eta, load_instance, make_grid, make_instance
from blasso.instance import Instance
from blasso.sphere import load_grid
from blasso.validation import BlassoInputError, check_rng
from solvers import solve_lasso

X = np.eye(3)[:2] * 0.5
Y = np.array([1.0, 2.0])
GRID = make_grid("fibonacci", 20, 3)


def _nan_X():
    Z = X.copy()
    Z[0, 1] = np.nan
    return Z


CASES = [
    ("NaN in X", lambda: solve_lasso(_nan_X(), Y, 0.1, GRID), "NaN"),
    ("inf in y", lambda: solve_lasso(X, np.array([1.0, np.inf]), 0.1, GRID), "non-finite"),
    ("X 1-D", lambda: solve_lasso(np.ones(3), Y, 0.1, GRID), "2-D"),
    ("y wrong length", lambda: solve_lasso(X, np.ones(3), 0.1, GRID), "length 3, expected 2"),
    ("y column vector", lambda: solve_lasso(X, Y[:, None], 0.1, GRID), "1-D"),
    ("empty X", lambda: solve_lasso(np.zeros((0, 3)), np.zeros(0), 0.1, GRID), "empty"),
    ("d mismatch", lambda: solve_lasso(np.ones((2, 4)) / 4, Y, 0.1, GRID), "dimension"),
    ("lam zero", lambda: solve_lasso(X, Y, 0.0, GRID), "lam must be > 0"),
    ("lam negative", lambda: solve_lasso(X, Y, -1.0, GRID), "lam must be > 0"),
    ("lam NaN", lambda: solve_lasso(X, Y, float("nan"), GRID), "finite"),
    ("lam string", lambda: solve_lasso(X, Y, "0.1", GRID), "real number"),
    ("unknown solver", lambda: solve_lasso(X, Y, 0.1, GRID, solver="nope"), "unknown solver"),
    ("grid not a Grid", lambda: solve_lasso(X, Y, 0.1, GRID.theta), "Grid"),
    ("empty grid", lambda: eta(np.ones(2), X, np.zeros((0, 3))), "empty"),
    ("non-unit grid", lambda: eta(np.ones(2), X, np.ones((4, 3))), "unit vector"),
    ("p wrong length", lambda: eta(np.ones(5), X, GRID.theta), "length 5, expected 2"),
    ("unknown grid kind", lambda: make_grid("hexagonal", 10, 3), "unknown grid kind"),
    ("grid size 0", lambda: make_grid("cube", 0, 3), "grid size must be >= 1"),
    ("unknown teacher", lambda: make_instance(teacher="bogus"), "unknown teacher"),
    ("orthonormal m > d", lambda: make_instance(teacher="paper", m=6, d=5), "m = 6 > d = 5"),
    ("negative noise", lambda: make_instance(noise=-1.0), "noise"),
    ("no seed", lambda: check_rng(None), "seed"),
    ("teacher_W without a", lambda: Instance(X=X, y=Y, teacher_W=np.eye(3)[:1]), "together"),
    ("missing file", lambda: load_instance("/nonexistent/inst.npz"), "does not exist"),
    ("measure weights NaN", lambda: Measure(np.eye(3)[:1], np.array([np.nan])), "NaN"),
    ("X outside unit ball when required",
     lambda: __import__("blasso.validation", fromlist=["check_X"]).check_X(np.ones((2, 3)), max_norm=1.0),
     "Assumption 4.7"),
]


@pytest.mark.parametrize("name,call,match", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_clear_error(name, call, match):
    with pytest.raises(BlassoInputError, match=match):
        call()


def test_unreadable_files(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"\x00\x01not a zip")
    with pytest.raises(BlassoInputError, match="cannot read instance"):
        load_instance(junk)
    np.savez(tmp_path / "noy.npz", X=X)
    with pytest.raises(BlassoInputError, match="no array 'y'"):
        load_instance(tmp_path / "noy.npz")
    np.save(tmp_path / "g.npy", np.ones((3, 2)) / np.sqrt(2))
    with pytest.raises(BlassoInputError, match="dimension 2"):
        load_grid(tmp_path / "g.npy", 3)
