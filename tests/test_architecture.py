"""Pure packages stay pure: no Flask, SQLAlchemy, models, operations or clock imports."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "scheduling"
PURE = [
    "availability",
    "routing",
    "attribution",
    "ical",
    "errors.py",
    "security",
    "web/csvsafe.py",
    "delivery/backoff.py",
    "remote/netguard.py",
]
FORBIDDEN = ("flask", "flask_", "sqlalchemy", "werkzeug")
FORBIDDEN_LOCAL = ("models", "operations", "clock", "extensions", "public", "api", "web")


def pure_files():
    for name in PURE:
        path = ROOT / name
        if path.is_dir():
            yield from sorted(path.rglob("*.py"))
        elif path.exists():
            yield path


def imported_modules(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield 0, alias.name
        elif isinstance(node, ast.ImportFrom):
            yield node.level, node.module or ""


@pytest.mark.parametrize("path", list(pure_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_module_has_no_framework_or_db_imports(path):
    for level, module in imported_modules(path):
        top = module.split(".")[0]
        if level == 0:
            assert not top.startswith(FORBIDDEN), f"{path.name} imports {module}"
            assert module != "scheduling" and not module.startswith(
                tuple(f"scheduling.{n}" for n in FORBIDDEN_LOCAL)
            ), f"{path.name} imports {module}"
        else:
            assert top not in FORBIDDEN_LOCAL, f"{path.name} imports .{module}"


@pytest.mark.parametrize("path", list(pure_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_module_does_not_read_the_clock(path):
    source = path.read_text()
    for call in ("datetime.now(", "datetime.utcnow(", "date.today(", "time.time("):
        assert call not in source, f"{path.name} reads the clock via {call}"


def test_pure_modules_exist():
    assert len(list(pure_files())) >= 5
