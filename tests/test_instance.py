import numpy as np

from blasso.instance import load_instance, make_instance, make_teacher, save_instance


def test_paper_teacher_satisfies_assumption_3_2():
    for basis in ("canonical", "random"):
        W, a = make_teacher("paper", 4, 6, np.random.default_rng(1), basis=basis)
        np.testing.assert_allclose(W @ W.T, np.eye(4), atol=1e-12)
        assert np.all(a > 0)


def test_teacher_zoo_properties():
    rng = np.random.default_rng(0)
    W, a = make_teacher("mixed-signs", 4, 5, rng)
    assert (a > 0).any() and (a < 0).any()
    W, a = make_teacher("min-angle", 6, 4, rng, min_angle=0.7)
    G = np.clip(W @ W.T, -1, 1)
    ang = np.arccos(G[~np.eye(6, dtype=bool)])
    assert ang.min() >= 0.7 - 1e-12
    W, a = make_teacher("near-duplicate", 3, 5, rng, dup_angle=0.03)
    assert abs(np.arccos(np.clip(W[0] @ W[-1], -1, 1)) - 0.03) < 1e-9
    assert abs(W[0] @ W[1]) < 1e-12


def test_labels_are_teacher_outputs_and_inputs_in_ball():
    inst = make_instance(teacher="random", n=50, d=4, m=3, seed=7, inputs="gaussian")
    assert np.all(np.linalg.norm(inst.X, axis=1) <= 1 + 1e-12)
    y_loop = [sum(inst.teacher_a[j] * max(0.0, inst.teacher_W[j] @ x) for j in range(3)) for x in inst.X]
    np.testing.assert_allclose(inst.y, y_loop, rtol=1e-12, atol=1e-14)
    noisy = make_instance(teacher="random", n=50, d=4, m=3, seed=7, inputs="gaussian", noise=0.1)
    r = noisy.y - inst.y
    assert 0.05 < r.std() < 0.2


def test_npz_roundtrip(tmp_path):
    inst = make_instance(teacher="mixed-signs", n=20, d=3, m=2, seed=4, lam=0.01)
    path = save_instance(inst, tmp_path / "inst.npz")
    back = load_instance(path)
    np.testing.assert_array_equal(back.X, inst.X)
    np.testing.assert_array_equal(back.y, inst.y)
    np.testing.assert_array_equal(back.teacher_W, inst.teacher_W)
    np.testing.assert_array_equal(back.teacher_a, inst.teacher_a)
    assert back.lam == 0.01 and back.seed == 4 and back.meta["teacher"] == "mixed-signs"
    # a minimal file with only X and y is valid (the instance file contract)
    np.savez(tmp_path / "min.npz", X=inst.X, y=inst.y)
    m = load_instance(tmp_path / "min.npz")
    assert m.lam is None and not m.has_teacher


def test_same_seed_same_instance():
    a = make_instance(seed=11)
    b = make_instance(seed=11)
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, make_instance(seed=12).X)
