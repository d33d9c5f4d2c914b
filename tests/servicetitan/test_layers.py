"""``servicetitan``'s packages are layers, as ``platform_db``'s are
(tests/platform/test_layers.py): each package's ``__init__`` says what it
holds and which of the app's modules it may import ("May import
``servicetitan.x``"), its modules import no other (at the top or inside a
function), and none imports a package listed after it in
``servicetitan/__init__.py``. The fake ServiceTitan imports none of them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "servicetitan"
PACKAGES = ["cache", "api", "sync", "worker"]


def _docstring(path: Path) -> str:
    return ast.get_docstring(ast.parse(path.read_text())) or ""


def _imported(path: Path) -> set[str]:
    """The ``servicetitan`` modules or packages ``path`` imports: their first
    name after ``servicetitan.``."""
    package = ".".join(("servicetitan", *path.relative_to(ROOT).parent.parts))
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            names = [base]
        else:
            continue
        found |= {n.split(".")[1] for n in names if n.startswith("servicetitan.")}
    return found


def layer_order() -> list[str]:
    return re.findall(r"^- ``(\w+)``", _docstring(ROOT / "__init__.py"), re.M)


def allowed(package: str) -> set[str]:
    said = _docstring(ROOT / package / "__init__.py").partition("May import")[2]
    return set(re.findall(r"``servicetitan\.(\w+)``", said))


def test_every_package_is_in_the_layer_order():
    assert layer_order() == PACKAGES


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_says_what_it_holds_and_imports_only_what_it_says(package):
    holds, _, may = _docstring(ROOT / package / "__init__.py").partition("May import")
    assert holds.strip() and may, f"{package}/__init__.py: say what it holds and may import"
    order = layer_order()
    assert not allowed(package) & set(order[order.index(package) + 1 :])
    wrong = sorted(
        f"{path.relative_to(ROOT)} imports servicetitan.{target}"
        for path in (ROOT / package).rglob("*.py")
        for target in _imported(path)
        if target not in {package, *allowed(package)}
    )
    assert not wrong


def test_the_credential_tables_import_no_package_and_the_fake_none_of_the_app():
    assert _imported(ROOT / "tables.py") <= {"enums"}
    fake = ROOT / "fake"
    assert not {t for p in fake.rglob("*.py") for t in _imported(p)} - {"fake"}


def test_commands_import_the_api_client_only_when_they_run():
    """Every ``piccolo`` command registers ``sync`` and ``test_connection``:
    the API client (httpx) and the sync come in when one of them runs, so
    the others do not pay for them; the entities ``sync`` offers are the
    sync's own."""
    import subprocess
    import sys

    from servicetitan.commands.sync import ENTITIES
    from servicetitan.sync.feeds import ENTITIES as SYNCED

    assert ENTITIES == SYNCED
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, servicetitan.piccolo_app; print(sorted(sys.modules))"],
        cwd=ROOT.parent, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "'httpx'" not in loaded and "'servicetitan.sync.feeds'" not in loaded
