"""Layers a reader can see: the problem core imports no algorithm, the CLI holds no math."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = sorted(p for p in (ROOT / "blasso").glob("*.py"))
CLI = sorted((ROOT / "blasso" / "cli").glob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (lazy imports inside functions included)."""
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module)
    return out


@pytest.mark.parametrize("path", CORE, ids=[p.name for p in CORE])
def test_core_imports_neither_solvers_nor_certificates(path):
    bad = {m for m in _imports(path) if m.startswith(("blasso.solvers", "blasso.certificates"))}
    bad |= {m for m in _imports(path) if m.split(".")[0] in ("solvers", "certificates")}
    bad |= {m for m in _imports(path) if m.startswith("blasso.studies") or m.startswith("blasso.cli")}
    assert not bad, f"{path.name} imports {sorted(bad)}"


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
