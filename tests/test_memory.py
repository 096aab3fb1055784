"""Bounded memory: the shared chunking helper, size checks before allocating, and the peak RSS of real commands."""

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from blasso import memory
from blasso.features import feature_matrix, phi_adjoint
from blasso.instance import make_instance
from blasso.sphere import covering_radius, geodesic_distance, make_grid, random_sphere
from blasso.validation import BlassoInputError

ROOT = Path(__file__).resolve().parents[1]

#: Runs ``blasso.cli.main(argv)`` and prints, as its last stdout line, JSON with the exit code, the
#: wall time and this program's own peak RSS (VmHWM of a fresh interpreter: nothing else counts in it);
#: the same wrapper as ``benchmarks/bench_memory.py``, read from there so that the two cannot drift.
_spec = importlib.util.spec_from_file_location("bench_memory", ROOT / "benchmarks" / "bench_memory.py")
_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_bench)
_WRAPPER = _bench._WRAPPER


def run_measured(args, timeout=120):
    """Run ``blasso ARGS`` in a fresh interpreter; return (report dict, stderr)."""
    proc = subprocess.run([sys.executable, "-c", _WRAPPER, *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def test_chunks_cover_the_rows_within_the_budget():
    spans = list(memory.chunks(1003, 40, 400))
    assert spans[0] == (0, 10) and spans[-1] == (1000, 1003)
    assert sum(e - s for s, e in spans) == 1003
    assert all((e - s) * 40 <= 400 for s, e in spans)
    assert list(memory.chunks(0, 8, 64)) == []
    with pytest.raises(BlassoInputError, match="chunk_bytes=16 is below one row"):
        list(memory.chunks(5, 40, 16))


def test_check_memory_refuses_with_the_estimate_and_the_limit():
    with pytest.raises(BlassoInputError, match=r"a thing needs about 2\.0 GiB, more than the 1\.0 GiB of the "
                                               r"given limit"):
        memory.check_memory(2 * 2**30, "a thing", limit=2**30)
    assert memory.check_memory(100, "a small thing", limit=2**30) == 100
    with memory.limits(max_memory=2**20):
        assert memory.max_memory() == 2**20
        with pytest.raises(BlassoInputError, match="--max-memory limit"):
            memory.check_memory(2**21, "two MiB")
    assert memory.max_memory() is None
    avail = memory.available_memory()
    assert avail is None or avail > 0


def test_parse_and_format_bytes():
    assert memory.parse_bytes("2G") == 2 * 2**30
    assert memory.parse_bytes("512MiB") == 512 * 2**20
    assert memory.parse_bytes("1e9") == 10**9
    assert memory.parse_bytes("1.5kb") == 1500
    for bad in ("-1G", "lots", "0", "2X"):
        with pytest.raises(BlassoInputError, match="memory size"):
            memory.parse_bytes(bad)
    assert memory.format_bytes(1536) == "1.5 KiB"
    assert memory.format_bytes(40 * 10**12) == "36.4 TiB"
    assert memory.format_bytes(10**400) == "10^400 bytes"


def test_sizes_are_checked_before_allocating():
    t0 = time.perf_counter()
    with pytest.raises(BlassoInputError, match=r"random grid of 1,000,000,000,000 directions in d = 5 needs "
                                               r"about 36\.4 TiB"):
        make_grid("random", 10**12, 5, rng=0)
    with pytest.raises(BlassoInputError, match=r"about 10\^605 directions in d = 2000"):
        make_grid("cube", 10**6, 2000)
    with pytest.raises(BlassoInputError, match="d = 100,000"):
        make_instance(n=100, d=100_000, m=5)
    many = np.broadcast_to(np.array([1.0, 0.0, 0.0]), (10**7, 3))     # a view: no memory
    with pytest.raises(BlassoInputError, match="10,000,000 x 10,000,000 distance matrix needs about 727.6 TiB"):
        geodesic_distance(many, many)
    assert time.perf_counter() - t0 < 2.0
    X, th = random_sphere(100, 5, 0), random_sphere(2000, 5, 1)
    with memory.limits(max_memory=2**20):
        with pytest.raises(BlassoInputError, match="--max-memory"):
            random_sphere(100_000, 5, 0)
        with pytest.raises(BlassoInputError, match=r"the dense 100 x 2,000 feature matrix needs about 1\.5 MiB"):
            feature_matrix(X, th)
        assert random_sphere(1000, 5, 0).shape == (1000, 5)      # 78 KiB fits


def test_high_dimension_cube_grid_is_the_signed_basis():
    # d = 2000 used to hit numpy's 64-dimension meshgrid limit; with k = 1 the grid is exactly {+-e_i}
    g = make_grid("auto", 4000, 2000)
    assert g.size == 4000
    np.testing.assert_array_equal(np.abs(g.theta).sum(axis=1), 1.0)
    np.testing.assert_array_equal(np.sort(np.abs(g.theta).argmax(axis=1)), np.repeat(np.arange(2000), 2))


def test_small_chunks_give_the_same_numbers():
    X = random_sphere(37, 4, 1)
    th = random_sphere(501, 4, 2)
    r = np.random.default_rng(3).standard_normal(37)
    ref = np.maximum(X @ th.T, 0.0).T @ r
    with memory.limits(chunk_bytes=8 * 37 * 3):
        np.testing.assert_allclose(phi_adjoint(X, th, r), ref, rtol=1e-13, atol=1e-13)
        D = geodesic_distance(th[:50], th)
    np.testing.assert_allclose(np.cos(D), th[:50] @ th.T, atol=1e-12)


def test_covering_radius_by_tree_equals_brute_force():
    th = random_sphere(3000, 5, 8)
    brute = covering_radius(th, n_probe=2000, rng=3, max_work=None)
    tree = covering_radius(th, n_probe=2000, rng=3, max_work=1)      # forces the k-d tree (d = 5 <= 8)
    assert "k-d tree" in tree["method"] and not tree["capped"] and tree["n_probe"] == 2000
    assert abs(tree["radius"] - brute["radius"]) < 1e-9


def test_covering_radius_is_capped_or_skipped_and_says_so():
    th = random_sphere(5000, 9, 5)
    full = covering_radius(th, n_probe=1000, rng=1, max_work=None)
    capped = covering_radius(th, n_probe=1000, rng=1, max_work=500 * 5000 * 9)
    assert not full["capped"] and capped["capped"] and capped["n_probe"] == 500
    assert "capped from 1000" in capped["method"]
    assert capped["radius"] <= full["radius"]      # its probes are the first 500 of the same stream
    skipped = covering_radius(th, n_probe=1000, rng=1, max_work=10 * 5000 * 9)
    assert skipped["skipped"] and np.isnan(skipped["radius"]) and "skipped" in skipped["method"]
    # the blocked max-min equals a brute-force one on the same probes
    with memory.limits(chunk_bytes=4096):
        small = covering_radius(th[:300], n_probe=400, rng=7)
    probes = random_sphere(400, 9, np.random.default_rng(np.random.SeedSequence(7).spawn(1)[0]))
    brute = float(np.max(np.arccos(np.clip(np.max(probes @ th[:300].T, axis=1), -1, 1))))
    assert abs(small["radius"] - brute) < 1e-12


def test_huge_grid_is_refused_with_exit_2_and_a_small_peak():
    rep, err = run_measured(["solve", "--solver", "fast", "--grid-size", str(10**12), "--grid-kind", "random",
                             "--quiet"], timeout=60)
    assert rep["rc"] == 2, (rep, err)
    assert "36.4 TiB" in err and "Traceback" not in err, err
    assert rep["peak_rss_mib"] < 400, rep
    assert rep["wall_s"] < 10, rep


@pytest.mark.slow
def test_million_atom_fast_solve_stays_under_one_gib():
    """The issue's command: it peaked at 15.8 GB (covering radius: 2000 probes x the whole grid at once)."""
    rep, err = run_measured(["solve", "--solver", "fast", "--grid-size", "1000000", "--grid-kind", "random",
                             "--grid-seed", "0", "--quiet"], timeout=300)
    assert rep["rc"] == 0, err
    assert rep["peak_rss_mib"] < 1024, rep


def test_ctrl_c_stops_a_large_fast_solve_within_a_second_or_two():
    proc = subprocess.Popen([sys.executable, "-m", "blasso.cli", "solve", "--solver", "fast", "--grid-size",
                             "1000000", "--grid-kind", "random", "--grid-seed", "0"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)},
                            # a runner started in the background ignores SIGINT, and its children inherit that
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        line = ""
        t_start = time.perf_counter()
        while "solving with" not in line and time.perf_counter() - t_start < 60:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                break
        time.sleep(0.5)          # inside the solve
        t0 = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        waited = time.perf_counter() - t0
        assert proc.returncode == 130
        assert waited < 5.0, waited      # about a second alone; slack for a loaded 2-core machine (load 10 seen)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_max_memory_option_refuses_before_allocating(capsys):
    from blasso.cli import main

    with memory.limits():        # the option sets a process-wide limit; restore it afterwards
        rc = main(["solve", "--max-memory", "10M", "--grid-size", "1000000", "--grid-kind", "random",
                   "--solver", "fast", "--quiet"])
        err = capsys.readouterr().err
        assert rc == 2
        assert "a random grid of 1,000,000 directions in d = 5 needs about 76.3 MiB, more than the 10.0 MiB of " \
               "the --max-memory limit" in err
        assert main(["solve", "--max-memory", "lots", "--quiet"]) == 2
        assert "'lots'" in capsys.readouterr().err
    assert memory.max_memory() is None
