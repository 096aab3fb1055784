"""Layers a reader can see: the problem core imports no algorithm, the CLI holds no math.

One exception, exactly: ``blasso/__init__.py`` serves the public API
(:mod:`blasso.studies.api`) through a PEP 562 ``__getattr__`` that imports it
on first use, so ``import blasso`` stays light while ``blasso.solve`` works.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = sorted(p for p in (ROOT / "blasso").glob("*.py"))
CLI = sorted((ROOT / "blasso" / "cli").glob("*.py"))
#: Commands that call the public API (blasso.studies.api) and no other study, solver or certificate code.
API_COMMANDS = ("solve", "certify", "compare", "gd", "assumptions", "demo", "make_instance")


def _imports(tree) -> set[str]:
    """Every module a tree imports, at any depth (lazy imports inside functions included)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module)
    return out


def _facade(tree) -> tuple[ast.Module, list]:
    """``tree`` without its module-level ``__getattr__``, and the imports inside that function."""
    keep, inside = [], []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            inside = [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
        else:
            keep.append(node)
    return ast.Module(body=keep, type_ignores=[]), inside


@pytest.mark.parametrize("path", CORE, ids=[p.name for p in CORE])
def test_core_imports_neither_solvers_nor_certificates(path):
    tree = ast.parse(path.read_text())
    if path.name == "__init__.py":
        tree, inside = _facade(tree)
        assert [(type(n).__name__, getattr(n, "module", None), [a.name for a in n.names]) for n in inside] == \
            [("ImportFrom", "blasso.studies", ["api"])], "blasso.__getattr__ may import blasso.studies.api only"
    mods = _imports(tree)
    bad = {m for m in mods if m.startswith(("blasso.solvers", "blasso.certificates"))}
    bad |= {m for m in mods if m.split(".")[0] in ("solvers", "certificates")}
    bad |= {m for m in mods if m.startswith("blasso.studies") or m.startswith("blasso.cli")}
    assert not bad, f"{path.name} imports {sorted(bad)}"


def test_import_blasso_stays_light(tmp_path):
    code = ("import sys, blasso; heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('scipy', 'cvxpy', 'matplotlib', 'flint', 'mpmath') or m.startswith(('blasso.studies', "
            "'blasso.solvers', 'blasso.certificates', 'blasso.cli'))); print(heavy)")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]", r.stdout


def test_cli_calls_studies_not_the_numerical_libraries():
    # the CLI may read constants (solver names, penalties) and the plot module, not run algorithms itself
    allowed = {"blasso.solvers": {"LASSO_SOLVERS"}, "blasso.solvers.gd": {"PENALTIES", "STEPS"}}
    for path in CLI:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in allowed:
                names = {a.name for a in node.names}
                assert names <= allowed[node.module], (path.name, node.module, names)
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                assert not node.module.startswith(("scipy", "cvxpy", "blasso.solvers.lasso", "blasso.solvers.refine")), \
                    (path.name, node.module)


@pytest.mark.parametrize("name", API_COMMANDS)
def test_api_commands_call_the_public_api_only(name):
    """These commands parse, call one blasso.studies.api function, print its summary and report its to_dict()."""
    tree = ast.parse((ROOT / "blasso" / "cli" / f"{name}.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mod = node.module
            assert not mod.startswith(("blasso.certificates", "blasso.studies.")), (name, mod)
            if mod == "blasso.studies":
                assert [a.name for a in node.names] == ["api"], (name, [a.name for a in node.names])
        if isinstance(node, ast.Import):
            assert not any(a.name.startswith(("blasso.studies", "blasso.certificates")) for a in node.names), name
