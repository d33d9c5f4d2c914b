"""Results worked out from the migrations, kept by the fingerprint of what
decides them (``platform_db.migrations.fingerprints``): replaying the whole
history on a scratch database costs more with every migration, and its
result changes only when those files change.

One JSON file per result, in ``$PLATFORM_CACHE_DIR``, else
``.platform-cache/`` in the project (git-ignored), under a folder per kind.
A result is written whole, under a temporary name then renamed, so that a
reader sees it complete or not at all (several commands may run at once).
A file that cannot be read is a miss; a folder that cannot be written
leaves the command as it was, only slower. Files unused for
``KEEP_DAYS`` are removed.

Nothing secret is kept: what ran on a scratch database, which holds no rows,
and schema descriptions.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from platform_db.database.engine import PROJECT_ROOT

CACHE_DIR_ENV = "PLATFORM_CACHE_DIR"
KEEP_DAYS = 30

_pruned: set[str] = set()


def folder(kind: str) -> Path:
    return Path(os.environ.get(CACHE_DIR_ENV) or PROJECT_ROOT / ".platform-cache") / kind


def load(kind: str, key: str) -> Any | None:
    path = folder(kind) / f"{key}.json"
    try:
        value = json.loads(path.read_text())
        os.utime(path)  # still in use: not pruned
    except (OSError, ValueError):
        return None
    return value


def store(kind: str, key: str, value: Any) -> None:
    where = folder(kind)
    try:
        where.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=where, prefix=".", suffix=".tmp")
        with os.fdopen(handle, "w") as out:
            json.dump(value, out)
        os.replace(temporary, where / f"{key}.json")
        _prune(kind, where)
    except OSError:
        return


def _prune(kind: str, where: Path) -> None:
    if kind in _pruned:
        return
    _pruned.add(kind)
    old = time.time() - KEEP_DAYS * 86_400
    for path in where.iterdir():
        try:
            if path.stat().st_mtime < old:
                path.unlink()
        except OSError:
            continue
