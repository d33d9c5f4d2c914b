"""ServiceTitan's page envelopes, as the API and its JSON dumps hold them.

List endpoints answer ``{"page", "pageSize", "hasMore", "totalCount", "data"}``,
export endpoints ``{"hasMore", "continueFrom", "data"}``; either way the
records are in ``data``.
"""

from __future__ import annotations

import json
from pathlib import Path


class InvalidPage(ValueError):
    """Something that is not a ServiceTitan list or export page."""


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


def pages_in_file(path: Path) -> list:
    """The pages a JSON file holds: one page, a list of pages, or a list of
    records (one page)."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidPage(f"{path}: not a readable JSON file ({exc})") from None
    if isinstance(content, list) and content and all(_is_envelope(i) for i in content):
        pages = content
    else:
        pages = [content]
    for number, page in enumerate(pages, start=1):
        page_records(page, f"{path} (page {number})")
    return pages


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
