"""The package's shape is a rule, not a habit: measures never protect, and the report never needs the sample."""
import ast
from pathlib import Path

import pytest

PPLIB = Path(__file__).resolve().parents[1] / "pplib"
PURE = ("reference", "records", "measures", "figures")  # below the disclosure boundary
PROTECTOR = ("pplib.disclosure.plan", "pplib.disclosure.tables", "pplib.disclosure.render", "pplib.report")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (lazy imports inside functions count too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _modules(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (PPLIB / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _modules(*PURE), ids=lambda p: str(p.relative_to(PPLIB)))
def test_nothing_below_the_boundary_imports_the_protector(path):
    protecting = {m for m in imported_modules(path) if m.startswith(PROTECTOR)}
    assert not protecting, f"{path.relative_to(PPLIB)} imports {sorted(protecting)}"


def test_only_the_sample_commands_import_the_sample_generator():
    importers = {str(p.relative_to(PPLIB)) for p in PPLIB.rglob("*.py")
                 if any(m == "sample" or m.startswith("sample.") for m in imported_modules(p))}
    assert importers <= {"cli.py"}


def test_the_checks_see_a_planted_import(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("def f():\n    from pplib.disclosure.tables import protect\n", encoding="utf-8")
    assert "pplib.disclosure.tables" in imported_modules(planted)
