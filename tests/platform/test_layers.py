"""``platform_db``'s packages are layers: each package's ``__init__`` says in
its docstring which packages it may import, that is what its modules import
(at the top or inside a function), and none imports a package listed after
it in ``platform_db/__init__.py``; no two modules import each other, even
through others."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "platform_db"
PACKAGES = [p.name for p in sorted(ROOT.iterdir()) if (p / "__init__.py").exists()]
PACKAGES.remove("piccolo_migrations")  # Piccolo's folder for the app's (no) migrations


def module_name(path: Path) -> str:
    parts = ("platform_db", *path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(path): path for path in ROOT.rglob("*.py")}


def imports(name: str) -> set[str]:
    """The ``platform_db`` modules ``name`` imports, wherever in it."""
    path = modules()[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            # `from platform_db.database import embedded` imports a module.
            targets = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules()]
            targets = targets or [base]
        else:
            continue
        found |= {t for t in targets if t.startswith("platform_db.") and t in modules()}
    return found - {name}


def package_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in PACKAGES else None


def layer_order() -> list[str]:
    doc = ast.get_docstring(ast.parse((ROOT / "__init__.py").read_text()))
    return re.findall(r"^- ``(\w+)``", doc, re.M)


def allowed(package: str) -> set[str]:
    doc = ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text())) or ""
    said = doc.partition("May import")[2]
    if not said:
        return set()
    if said.lstrip().startswith("every other package"):
        return set(PACKAGES) - {package}
    return set(re.findall(r"``platform_db\.(\w+)``", said))


def test_every_package_is_in_the_layer_order():
    assert sorted(layer_order()) == sorted(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_says_what_it_holds_and_may_import(package):
    doc = ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text())) or ""
    holds, _, may = doc.partition("May import")
    assert holds.strip(), f"{package}/__init__.py: say what the package holds"
    assert may or package == "values", f"{package}/__init__.py: say what it may import"
    order = layer_order()
    above = set(order[order.index(package) + 1 :])
    assert not allowed(package) & above, f"{package} may not import a package above it"


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_imports_only_what_it_says(package):
    wrong = sorted(
        f"{name} imports {target}"
        for name in modules()
        if package_of(name) == package
        for target in imports(name)
        if package_of(target) not in (package, *allowed(package))
    )
    assert not wrong


def test_no_import_circles():
    graph = {name: imports(name) for name in modules()}
    circles, state = [], {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                circles.append(" -> ".join(path[path.index(target) :] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not circles


# Imported where they are used, not by every ``piccolo`` command (~0.07 s a
# launch together): the SQL parser when a migration step's SQL is read
# (platform_db/migrations/steps.py), the progress bars when a load or a sync
# runs.
LAZY = ["pglast", "tqdm"]


@pytest.fixture(scope="module")
def loaded_by_every_command() -> set[str]:
    """The modules a ``piccolo`` command has imported before it runs: every
    app with its commands, and every migration (Piccolo counts the unapplied
    ones before each command)."""
    import subprocess
    import sys

    script = (
        "import sys, piccolo_conf\n"
        "from piccolo.apps.migrations.commands.base import BaseMigrationManager\n"
        "base = BaseMigrationManager()\n"
        "for config in piccolo_conf.APP_REGISTRY.app_configs.values():\n"
        "    base.get_migration_modules(config.resolved_migrations_folder_path)\n"
        "print('\\n'.join(sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT.parent, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert any(".piccolo_migrations." in name for name in loaded)
    return loaded


@pytest.mark.parametrize("module", LAZY)
def test_commands_import_it_only_when_they_use_it(loaded_by_every_command, module):
    for user in ("platform_db.migrations.steps", "business.commands.load_sample_data",
                 "servicetitan.commands.load", "servicetitan.commands.sync"):  # fmt: skip
        assert user in loaded_by_every_command
    assert module not in loaded_by_every_command
