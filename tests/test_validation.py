"""Bad inputs: each raises a clear error that names the problem."""

import numpy as np
import pytest

from blasso import Measure, eta, load_instance, make_grid, make_instance
from blasso.instance import Instance
from blasso.sphere import load_grid
from blasso.validation import BlassoInputError, check_rng
from blasso.solvers import solve_lasso

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


# ------------------------------------------------------------- issue 10: part B
import pickle  # noqa: E402
import warnings  # noqa: E402
import zipfile  # noqa: E402

from blasso.validation import (BlassoInputWarning, check_angle, check_nonneg, check_positive,  # noqa: E402
                               check_seed, check_tol)


@pytest.mark.parametrize("call,message", [
    (lambda: check_nonneg(-1e-9, "--tol"), "--tol must be >= 0; got -1e-09"),
    (lambda: check_nonneg(float("nan"), "--time-budget"), "--time-budget must be finite; got nan"),
    (lambda: check_positive(0, "--time-budget"), "--time-budget must be > 0; got 0"),
    (lambda: check_positive("5", "step"), "step must be a real number; got '5'"),
    (lambda: check_tol(1.5), "tol must be < 1; got 1.5"),
    (lambda: check_tol(0.0, "gap_tol"), "gap_tol must be > 0; got 0"),
    (lambda: check_angle(-2, "--merge-angle-deg"), r"--merge-angle-deg \(degrees\) must be >= 0; got -2"),
    (lambda: check_angle(4.0, "merge angle", unit="rad"), r"merge angle \(radians\) must be <= 3.14159; got 4"),
    (lambda: check_seed(10**23), "seed must be between 0 and 2\\*\\*63 - 1 = 9223372036854775807; got "
                                 "100000000000000000000000"),
    (lambda: check_seed(-1), "got -1"),
    (lambda: make_instance(seed=10**23), "got 100000000000000000000000"),
    (lambda: Measure(np.eye(3)[:2], np.ones(2)).merge(-0.1), r"merge angle \(radians\) must be >= 0; got -0.1"),
    (lambda: solve_lasso(X, Y, 0.1, GRID, tol=-1e-8), "tol must be > 0; got -1e-08"),
    (lambda: solve_lasso(X, Y, 0.1, GRID, solver="FAST", tol=-1.0), "tol .* must be > 0; got -1"),
])
def test_negative_tolerances_budgets_angles_are_refused_with_the_value(call, message):
    with pytest.raises(BlassoInputError, match=message) as info:
        call()
    assert "\n" not in str(info.value)
    assert check_nonneg(0.0, "x") == 0.0 and check_positive(2, "x") == 2.0 and check_angle(180, "a") == 180.0


def test_rows_outside_the_unit_ball_or_zero_warn_with_their_indices(rng):
    Xb = rng.standard_normal((12, 3))
    Xb /= np.linalg.norm(Xb, axis=1, keepdims=True)
    Xb[[2, 9]] *= 3.0
    Xb[5] = 0.0
    y = rng.standard_normal(12)
    with pytest.warns(BlassoInputWarning) as rec:
        inst = Instance(X=Xb, y=y)
    texts = [str(w.message) for w in rec]
    assert any("2 row(s) (2, 9) with norm > 1 (largest 3)" in t and "Assumption 4.7" in t for t in texts)
    assert any("1 row(s) (5) equal to zero" in t for t in texts)
    # the solver that receives the same X does not repeat it; the BLASSO is still solved
    with warnings.catch_warnings():
        warnings.simplefilter("error", BlassoInputWarning)
        res = solve_lasso(inst.X, inst.y, 0.05, GRID)
    assert res.status == "optimal"
    many = np.ones((40, 3))
    with pytest.warns(BlassoInputWarning, match=r"40 row\(s\) \(0, 1, 2, 3, 4, \.\.\.\)"):
        Instance(X=many, y=np.ones(40))


def test_gaussian_and_sphere_inputs_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", BlassoInputWarning)
        make_instance(n=50, d=3, m=2, inputs="gaussian", seed=4)
        make_instance(n=50, d=3, m=2, inputs="sphere", seed=4)


def _garbage_files(tmp_path):
    files = {}
    files["random bytes"] = tmp_path / "random.npz"
    files["random bytes"].write_bytes(np.random.default_rng(0).bytes(300))
    files["a pickle"] = tmp_path / "pickle.npz"
    files["a pickle"].write_bytes(pickle.dumps({"X": [1, 2]}))
    files["an empty file"] = tmp_path / "empty.npz"
    files["an empty file"].write_bytes(b"")
    files["a zip without X"] = tmp_path / "nox.npz"
    with zipfile.ZipFile(files["a zip without X"], "w") as z:
        z.writestr("readme.txt", "hello")
    files["an npz without X"] = tmp_path / "onlyy.npz"
    np.savez(files["an npz without X"], y=Y)
    files["an object array"] = tmp_path / "obj.npz"
    np.savez(files["an object array"], X=np.array([{"a": 1}, None], dtype=object), y=Y)
    files["a .npy array"] = tmp_path / "single.npz"
    with open(files["a .npy array"], "wb") as f:
        np.save(f, X)
    files["a truncated zip"] = tmp_path / "cut.npz"
    np.savez(tmp_path / "whole.npz", X=X, y=Y)
    files["a truncated zip"].write_bytes((tmp_path / "whole.npz").read_bytes()[:120])
    return files


EXPECTED_INSTANCE = {
    "random bytes": "does not start with a numpy or zip header",
    "a pickle": "it is a Python pickle, which blasso never loads",
    "an empty file": "it is empty",
    "a zip without X": "member 'readme.txt' is not a .npy array",
    "an npz without X": "has no array 'X'",
    "an object array": "holds Python objects",
    "a .npy array": "it is a single .npy array, not an .npz archive",
    "a truncated zip": "damaged zip archive|truncated",
}


def test_garbage_instance_files_are_refused_in_one_line(tmp_path):
    for what, path in _garbage_files(tmp_path).items():
        with pytest.raises(BlassoInputError, match=EXPECTED_INSTANCE[what]) as info:
            load_instance(path)
        msg = str(info.value)
        assert "\n" not in msg and "allow_pickle" not in msg and str(path.name) in msg, (what, msg)


def test_garbage_grid_files_are_refused_in_one_line(tmp_path):
    cases = {"junk.npy": b"\x00\x01junk", "pickle.npy": pickle.dumps([1.0]), "empty.npy": b""}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    np.savez(tmp_path / "arch.npz", theta=np.eye(3))
    with open(tmp_path / "obj.npy", "wb") as f:
        np.save(f, np.array([None, 1], dtype=object), allow_pickle=True)
    with open(tmp_path / "cut.npy", "wb") as f:
        np.save(f, np.eye(3))
    (tmp_path / "cut.npy").write_bytes((tmp_path / "cut.npy").read_bytes()[:-10])
    expected = {"junk.npy": "numpy or zip header", "pickle.npy": "Python pickle", "empty.npy": "empty",
                "arch.npz": r"zip archive \(.npz\), not a single .npy array", "obj.npy": "Python objects",
                "cut.npy": "truncated"}
    for name, match in expected.items():
        with pytest.raises(BlassoInputError, match=match) as info:
            load_grid(tmp_path / name, 3)
        assert "\n" not in str(info.value) and "allow_pickle" not in str(info.value)
