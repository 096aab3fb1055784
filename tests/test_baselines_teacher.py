"""The ``abs`` teacher (Li, Ma, Zhang 2020): its measure form equals ``sum_j a_j |<w_j, x>|`` pointwise."""

import numpy as np
import pytest

from blasso.instance import make_instance, make_teacher
from blasso.measure import Measure
from blasso.cli import main


@pytest.mark.parametrize("inputs", ["sphere", "gaussian"])
def test_abs_teacher_measure_equals_the_formula_pointwise(inputs):
    inst = make_instance(teacher="abs", n=300, d=6, m=4, seed=2, inputs=inputs)
    Q = inst.teacher_W[:4]
    np.testing.assert_allclose(Q @ Q.T, np.eye(4), atol=1e-12)              # orthonormal W*
    np.testing.assert_allclose(inst.teacher_W[4:], -Q, atol=0)               # atoms at +-w*_j
    assert inst.m == 8 and np.all(inst.teacher_a == 1.0)
    nu = inst.teacher_measure()
    assert len(nu) == 8 and nu.tv == pytest.approx(8.0)
    rng = np.random.default_rng(5)
    Z = np.vstack([inst.X, rng.standard_normal((500, 6)) * 3.0])             # also off the unit ball
    formula = np.abs(Z @ Q.T).sum(axis=1)
    np.testing.assert_allclose(nu.evaluate(Z), formula, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(inst.y, np.abs(inst.X @ Q.T).sum(axis=1), rtol=1e-13, atol=1e-13)
    assert np.linalg.norm(inst.X, axis=1).max() <= 1 + 1e-12               # Assumption 4.7 kept


def test_abs_teacher_refuses_more_terms_than_dimensions():
    from blasso.validation import BlassoInputError
    with pytest.raises(BlassoInputError, match="m = 4 > d = 3"):
        make_teacher("abs", 4, 3, np.random.default_rng(0))


def test_make_instance_cli_accepts_abs(tmp_path):
    out = tmp_path / "abs.npz"
    assert main(["make-instance", "--teacher", "abs", "--n", "30", "--d", "3", "--m", "2", "--out", str(out),
                 "--quiet"]) == 0
    from blasso.instance import load_instance
    inst = load_instance(out)
    assert inst.meta["teacher"] == "abs" and inst.teacher_W.shape == (4, 3)
    assert Measure.from_network(inst.teacher_a, inst.teacher_W).evaluate(inst.X) == pytest.approx(inst.y, abs=1e-13)
