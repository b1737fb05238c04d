"""The layers of docs/architecture.md, checked on the import graph of the `scheduling` package.

pure domain <- models <- operations <- delivery / web plumbing <- blueprints; cli and the factory
on top. Every import counts, also one inside a function: a lazy import is still a dependency.
"""

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "scheduling"
PKG = "scheduling"

# Pure: no Flask, SQLAlchemy or app state; fast to test, importable anywhere.
PURE = (
    "scheduling.availability",
    "scheduling.routing",
    "scheduling.attribution",
    "scheduling.ical",
    "scheduling.security",
    "scheduling.errors",
    "scheduling.delivery.backoff",
    "scheduling.remote.netguard",
    "scheduling.web.csvsafe",
    "scheduling.web.locale_formats",
)
FRAMEWORKS = ("flask", "flask_sqlalchemy", "flask_wtf", "flask_babel", "sqlalchemy", "werkzeug")
BLUEPRINTS = ("admin", "public", "api", "feeds", "embed")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def is_pure(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in PURE)


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def blueprint_of(module: str) -> str | None:
    for name in BLUEPRINTS:
        if within(module, f"{PKG}.web.{name}"):
            return name
    return None


@cache
def imports(module: str) -> tuple[tuple[str, bool], ...]:
    """(imported module, at module level) for every import statement of one module."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    top_level = set(map(id, tree.body))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top_level) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.append((sub if sub in MODULES else target, id(node) in top_level))
    return tuple(found)


def local_imports(module: str):
    return [(m, top) for m, top in imports(module) if within(m, PKG)]


def violations(rule):
    return [
        f"{module} imports {target}"
        for module in MODULES
        for target, _ in local_imports(module)
        if rule(module, target)
    ]


@pytest.mark.parametrize("module", [m for m in MODULES if is_pure(m)])
def test_pure_modules_import_no_framework_and_no_app(module):
    for target, _ in imports(module):
        assert target.split(".")[0] not in FRAMEWORKS, f"{module} imports {target}"
        if within(target, PKG):
            assert is_pure(target), f"{module} (pure) imports {target}"


@pytest.mark.parametrize("module", [m for m in MODULES if is_pure(m)])
def test_pure_modules_do_not_read_the_clock(module):
    source = MODULES[module].read_text()
    for call in ("datetime.now(", "datetime.utcnow(", "date.today(", "time.time("):
        assert call not in source, f"{module} reads the clock via {call}"


def test_models_import_only_extensions_and_pure_code():
    def rule(module, target):
        return within(module, f"{PKG}.models") and not (
            within(target, f"{PKG}.models") or target == f"{PKG}.extensions" or is_pure(target)
        )

    assert violations(rule) == [], violations(rule)


def test_operations_import_no_web_delivery_or_cli():
    """Operations are called by the edges; they reach delivery only through outbox rows."""

    def rule(module, target):
        return within(module, f"{PKG}.operations") and any(
            within(target, f"{PKG}.{layer}") for layer in ("web", "delivery", "cli")
        )

    assert violations(rule) == [], violations(rule)


def test_delivery_imports_no_blueprint_and_no_cli():
    def rule(module, target):
        return within(module, f"{PKG}.delivery") and (
            blueprint_of(target) is not None or within(target, f"{PKG}.cli")
        )

    assert violations(rule) == [], violations(rule)


def test_remote_clients_import_no_app_layers():
    def rule(module, target):
        return within(module, f"{PKG}.remote") and not (
            within(target, f"{PKG}.remote") or is_pure(target)
        )

    assert violations(rule) == [], violations(rule)


def test_blueprints_do_not_import_each_other():
    def rule(module, target):
        mine, theirs = blueprint_of(module), blueprint_of(target)
        return mine is not None and theirs is not None and mine != theirs

    assert violations(rule) == [], violations(rule)


def test_only_the_factory_imports_blueprints():
    def rule(module, target):
        return blueprint_of(target) is not None and blueprint_of(module) is None and module != PKG

    assert violations(rule) == [], violations(rule)


def test_web_plumbing_imports_no_blueprint():
    def rule(module, target):
        plumbing = within(module, f"{PKG}.web") and blueprint_of(module) is None
        return plumbing and blueprint_of(target) is not None

    assert violations(rule) == [], violations(rule)


def test_no_import_cycles_at_module_level():
    """A cycle makes import order matter; blueprints keep `bp` in blueprint.py to avoid one."""
    graph = {m: {t for t, top in local_imports(m) if top and t in MODULES} for m in MODULES}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                pytest.fail("import cycle: " + " -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


@pytest.mark.parametrize(
    "package", sorted(m for m, p in MODULES.items() if p.name == "__init__.py")
)
def test_every_package_says_what_lives_there(package):
    doc = ast.get_docstring(ast.parse(MODULES[package].read_text()))
    assert doc and len(doc.split()) >= 6, f"{package}/__init__.py needs a docstring"


def test_the_top_of_the_package_stays_small():
    """Every entry counts: code goes into the package it belongs to, and so does data (the
    gettext catalogues live in web/translations/)."""
    entries = [p for p in ROOT.iterdir() if p.name != "__pycache__"]
    assert len(entries) <= 16, sorted(p.name for p in entries)


def test_rules_see_the_layers():
    """The rules above would pass vacuously if the module names were wrong."""
    assert sum(is_pure(m) for m in MODULES) >= 20
    assert {blueprint_of(m) for m in MODULES} >= set(BLUEPRINTS)
    assert any(within(m, f"{PKG}.operations") for m in MODULES)
    assert any(within(m, f"{PKG}.delivery") for m in MODULES)
