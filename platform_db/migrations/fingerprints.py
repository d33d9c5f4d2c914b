"""Fingerprints of the source files that decide what the migrations do, so
that a result worked out from them (what each migration ran on a scratch
database, the schema they build, how the table classes differ from them) can
be kept and used again until one of those files changes
(``platform_db.migrations.cache``).

- ``machinery()``: every module of ``platform_db`` (the runner and its
  timeouts, the SQL steps, the online helpers, the capture itself), the
  versions of Piccolo and asyncpg, and the timeouts this environment gives a
  migration (the ``SET`` lines of each script).
- ``migration_chain(files)``: one key per migration, made from the key of the
  one before it, its app and ID, and the files of its module and of every
  project module it imports (``business.piccolo_migrations.<another>``, a
  test app's helper): the state a migration starts from is everything before
  it, so a key stands for the whole history up to it. A migration added at
  the end leaves the keys of the ones before it as they were.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from platform_db.database.engine import PROJECT_ROOT

MACHINERY = PROJECT_ROOT / "platform_db"


def digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else part.encode())
        h.update(b"\0")
    return h.hexdigest()


def _label(path: Path) -> str:
    """``path`` relative to the project (a checkout moved keeps its keys)."""
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def files_digest(paths: Iterable[Path]) -> str:
    parts: list[str | bytes] = []
    for path in sorted(set(paths)):
        parts += [_label(path), path.read_bytes()]
    return digest(*parts)


@cache
def machinery() -> str:
    import asyncpg
    import piccolo

    from platform_db.migrations.runner import Timeouts

    return digest(
        f"piccolo {piccolo.__VERSION__}, asyncpg {asyncpg.__version__}",
        repr(Timeouts.from_environment()),
        files_digest(MACHINERY.rglob("*.py")),
    )


def _ours(path: str | None) -> Path | None:
    """``path`` if it is a project source file outside ``platform_db`` (which
    ``machinery()`` covers whole) and outside hidden folders (``.venv``)."""
    if not path or not path.endswith(".py"):
        return None
    path = os.path.abspath(path)
    root = str(PROJECT_ROOT) + os.sep
    if not path.startswith(root):
        return None
    relative = path[len(root) :]
    if relative.startswith(".") or relative.startswith(MACHINERY.name + os.sep):
        return None
    return Path(path)


@cache
def _project_packages() -> frozenset[str]:
    """The top-level names a project module can have (``business``,
    ``tests``, ``piccolo_conf``, ...), ``platform_db`` left out."""
    names = {
        path.stem
        for path in PROJECT_ROOT.iterdir()
        if not path.name.startswith(".")
        and (path.suffix == ".py" or (path / "__init__.py").exists())
    }
    return frozenset(names - {MACHINERY.name})


def _source(name: str) -> str | None:
    """The project file of the module ``name``, found without importing it
    (importing ``admin.app`` to look at it would cost a second)."""
    parts = name.split(".")
    if parts[0] not in _project_packages():
        return None
    base = PROJECT_ROOT.joinpath(*parts)
    for candidate in (base.parent / f"{base.name}.py", base / "__init__.py"):
        if candidate.is_file():
            return str(candidate)
    return None


_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n]+)|import[ \t]+([^\n]+))",
    re.M,
)


@cache
def _imports(path: Path) -> frozenset[Path]:
    """The project files ``path`` imports (``from a import b`` may name the
    module ``a.b``: both are tried). Read with a pattern, not parsed: it runs
    on every command, and a name too many only costs a look-up."""
    package = Path(_label(path)).with_suffix("").parts[:-1]
    names = set()
    for base, imported, plain in _IMPORT.findall(path.read_text()):
        if plain:
            names |= {part.split()[0] for part in plain.split(",") if part.strip()}
            continue
        dots = len(base) - len(base.lstrip("."))
        if dots:
            parent = package[: len(package) - dots + 1]
            base = ".".join([*parent, *([base[dots:]] if base[dots:] else [])])
        words = imported.strip("()").replace("\n", " ").split(",")
        names |= {base, *(f"{base}.{w.split()[0]}" for w in words if w.split())}
    found = (_ours(_source(name)) for name in names)
    return frozenset(other for other in found if other is not None)


@cache
def module_files(path: Path) -> frozenset[Path]:
    """``path`` and the project files it imports, transitively."""
    found = {path}
    pending = [path]
    while pending:
        for other in _imports(pending.pop()) - found:
            found.add(other)
            pending.append(other)
    return frozenset(found)


def migration_chain(files) -> list[str]:
    """One key per migration of ``files`` (``runner.MigrationFile``, in the
    order they are applied)."""
    key = machinery()
    keys = []
    for file in files:
        own = module_files(Path(file.module.__file__).resolve())
        key = digest(key, file.app, file.migration_id, files_digest(own))
        keys.append(key)
    return keys


def loaded_project_files() -> frozenset[Path]:
    """The project's source files this process has loaded (the table
    classes, the apps, the migrations) and what they import."""
    found: set[Path] = set()
    for module in list(sys.modules.values()):
        path = _ours(getattr(module, "__file__", None))
        if path is not None:
            found |= module_files(path)
    return frozenset(found)


def environment(*names: str) -> str:
    return digest(*(f"{name}={os.environ.get(name, '')}" for name in names))
