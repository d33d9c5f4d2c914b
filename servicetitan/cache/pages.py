"""ServiceTitan's page envelopes, as the API and its JSON dumps hold them.

List endpoints answer ``{"page", "pageSize", "hasMore", "totalCount", "data"}``,
export endpoints ``{"hasMore", "continueFrom", "data"}``; either way the
records are in ``data``. A dump file holds one page, a list of pages or a
list of records (one page).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from servicetitan.cache.entities import page_problem


class InvalidPage(ValueError):
    """Something that is not a ServiceTitan list or export page."""


@dataclass(frozen=True)
class Page:
    """A page's records and where they came from: the page's number (from 1)
    in its file, or in the run when there is no file."""

    records: list
    number: int
    file: str | None = None


def page_records(page, where: str = "page") -> list:
    """The records of a list or export page (a bare list of records too)."""
    if isinstance(page, list):
        return page
    if isinstance(page, dict) and isinstance(page.get("data"), list):
        return page["data"]
    raise InvalidPage(
        f"{where} is not a ServiceTitan list or export page: expected a JSON object "
        "with a 'data' list of records, or a list of records"
    )


def _is_envelope(item) -> bool:
    return isinstance(item, dict) and "data" in item


def pages_in_file(path: Path) -> list[Page]:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidPage(f"{path}: not a readable JSON file ({exc})") from None
    if isinstance(content, list) and content and all(_is_envelope(i) for i in content):
        pages = content
    else:
        pages = [content]
    return [
        Page(page_records(page, f"{path} page {number}"), number, str(path))
        for number, page in enumerate(pages, start=1)
    ]


def json_files(path: Path) -> list[Path]:
    """``path`` itself, or the ``*.json`` files of a folder in name order."""
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        if not files:
            raise InvalidPage(f"{path} holds no .json files")
        return files
    if not path.exists():
        raise InvalidPage(f"{path} does not exist")
    return [path]


def check_files(files: list[Path], table: str) -> int:
    """Read every file before anything is loaded: each must hold pages of
    ``table``'s entity (``InvalidPage`` says which file, page and record
    does not). Returns how many records the files hold."""
    records = 0
    for path in files:
        for page in pages_in_file(path):
            problem = page_problem(table, page.records)
            if problem:
                raise InvalidPage(f"{path} page {page.number}: {problem}")
            records += len(page.records)
    return records


def file_pages(files: list[Path]) -> Iterator[Page]:
    """The pages of ``files``, one file read at a time."""
    for path in files:
        yield from pages_in_file(path)
