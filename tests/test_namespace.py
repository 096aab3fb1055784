"""One namespace: the algorithms install as ``blasso.solvers`` and ``blasso.certificates``.

The repository keeps the folders ``solvers/`` and ``certificates/`` at its top;
``pyproject.toml`` maps them into the ``blasso`` package.  Run from a folder
outside the repository, so that the checkout itself is not on ``sys.path``.
"""

import subprocess
import sys


def _run(code: str, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)


def test_subpackages_import_under_blasso(tmp_path):
    r = _run("import blasso.solvers, blasso.certificates, blasso.solvers.baselines;"
             "from blasso.certificates.sup import sup_abs_eta; from blasso.solvers.gd import run_gd;"
             "print(blasso.solvers.__name__, blasso.certificates.__name__)", tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["blasso.solvers", "blasso.certificates"]


def test_no_generic_top_level_packages(tmp_path):
    for name in ("solvers", "certificates"):
        r = _run(f"import {name}", tmp_path)
        assert r.returncode != 0 and "No module named" in r.stderr, (name, r.stdout, r.stderr)
