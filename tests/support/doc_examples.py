"""The day-2 examples of docs/migrations.md, read from the document itself:
each is a change to the example app's ``tables.py`` (a ```diff``` block)
and the migration file written for it (a ```python``` block), each block
after a marker ``<!-- day2-example: <name> tables.py -->`` or
``<!-- day2-example: <name> migration -->``. The test writes them into the
app's folder as they are, so the document cannot drift from what runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "migrations.md"
MARKED_BLOCK = re.compile(
    r"<!-- day2-example: (?P<name>\w+) (?P<part>tables\.py|migration) -->\s*\n"
    r"```\w*\n(?P<code>.*?)^```",
    re.DOTALL | re.MULTILINE,
)


@dataclass(frozen=True)
class Example:
    name: str
    tables_diff: str
    migration: str

    @property
    def migration_id(self) -> str:
        return re.search(r'^ID = "([^"]+)"', self.migration, re.MULTILINE).group(1)

    @property
    def file_name(self) -> str:
        """As Piccolo names the file for its ID, with the description after it."""
        stamp = re.sub(r"[-:]", "_", self.migration_id.lower()).rsplit("_", 1)[0]
        return f"day2_{stamp}_{self.name}.py"


def examples(doc: Path = DOC) -> list[Example]:
    """The document's examples, in its order."""
    parts: dict[str, dict[str, str]] = {}
    for block in MARKED_BLOCK.finditer(doc.read_text()):
        parts.setdefault(block["name"], {})[block["part"]] = block["code"]
    return [Example(name, p["tables.py"], p["migration"]) for name, p in parts.items()]


def apply_diff(text: str, diff: str) -> str:
    """``text`` with ``diff``'s hunks applied: each run of lines starting
    ``" "`` or ``"-"`` (context, removed), found once in ``text``, becomes
    the run of ``" "`` and ``"+"`` lines. Hunks are separated by a line
    ``...``."""
    for hunk in re.split(r"^\.\.\.\n", diff, flags=re.MULTILINE):
        lines = hunk.splitlines()
        old = "".join(line[1:] + "\n" for line in lines if line[:1] in (" ", "-"))
        new = "".join(line[1:] + "\n" for line in lines if line[:1] in (" ", "+"))
        if text.count(old) != 1:
            raise ValueError(f"the diff's lines are not found once in tables.py:\n{old}")
        text = text.replace(old, new)
    return text


def acknowledged(example: Example) -> dict[str, str]:
    """The example migration's ``LINT_ACKNOWLEDGED``, as its module says it."""
    namespace: dict = {}
    exec(compile(example.migration, example.file_name, "exec"), namespace)
    return dict(namespace.get("LINT_ACKNOWLEDGED") or {})
