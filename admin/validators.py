"""Piccolo API validators that keep the admin away from secret columns.

Piccolo Admin already leaves ``secret=True`` columns out of what it reads, but
it still lets a request order or select by them (also through a join), and its
edit form sends the empty secret fields back, overwriting what is stored
(piccolo_admin PR #168). These validators refuse such requests with a 403
that says why.
"""

from __future__ import annotations

from collections.abc import Iterable

from piccolo.columns import Column
from piccolo.table import Table
from piccolo_api.crud.endpoints import PiccoloCRUD
from starlette.exceptions import HTTPException
from starlette.requests import Request

from admin.passwords import WeakPassword, check_password

# Query parameters whose value names columns (``-`` marks descending order).
_COLUMN_LIST_PARAMS = ("__order", "__visible_fields")
# Suffixes of filter parameters that qualify a column's filter.
_FILTER_SUFFIXES = ("__operator", "__match")


def _refuse(detail: str) -> None:
    raise HTTPException(status_code=403, detail=detail)


def _columns_named_in(params: Iterable[tuple[str, str]]) -> set[str]:
    names = set()
    for key, value in params:
        # As piccolo_api reads it: every trailing "[" and "]" stripped, so
        # "__order[][]" is "__order" (PiccoloCRUD._parse_params).
        key = key.rstrip("[]")
        if key in _COLUMN_LIST_PARAMS:
            names.update(part.strip().lstrip("-") for part in value.split(","))
        elif not key.startswith("__"):
            for suffix in _FILTER_SUFFIXES:
                key = key.removesuffix(suffix)
            names.add(key)
    return names


def _secret(table: type[Table], name: str) -> bool:
    try:
        column: Column = table._meta.get_column_by_name(name)
    except (ValueError, AttributeError):
        return False  # not a column: PiccoloCRUD itself answers 400
    return column._meta.secret


def refuse_secret_params(piccolo_crud: PiccoloCRUD, request: Request) -> None:
    """No filtering, ordering or selecting by a secret column, even joined."""
    table = piccolo_crud.table
    named = _columns_named_in(request.query_params.multi_items())
    secret = sorted(name for name in named if _secret(table, name))
    if secret:
        _refuse(
            f"{', '.join(secret)}: secret, so the admin never filters, orders " "or shows by it"
        )


async def _body_keys(request: Request) -> set[str]:
    body = await request.json()
    return set(body) if isinstance(body, dict) else set()


async def refuse_secret_writes(piccolo_crud: PiccoloCRUD, request: Request) -> None:
    """A body naming a secret column is refused, even with an empty value."""
    table = piccolo_crud.table
    secret = {column._meta.name for column in table._meta.secret_columns}
    named = sorted(secret & await _body_keys(request))
    if named:
        _refuse(
            f"{table._meta.tablename}: {', '.join(named)} cannot be written " "through the admin"
        )


def superusers_only(piccolo_crud: PiccoloCRUD, request: Request) -> None:
    """Users and sessions (emails, who is logged in) are for superusers:
    Piccolo Admin itself guards only their writes."""
    if not request.user.user.superuser:
        _refuse(f"{piccolo_crud.table._meta.tablename}: only superusers can see this table")


async def refuse_weak_passwords(piccolo_crud: PiccoloCRUD, request: Request) -> None:
    """A user's new password (Piccolo Admin's add or edit of a user) must
    pass the admin's password policy (``admin.passwords``)."""
    body = await request.json()
    if not isinstance(body, dict) or not body.get("password"):
        return  # no password given: the stored one stays
    table = piccolo_crud.table
    username = body.get("username")
    if username is None and "row_id" in request.path_params:
        primary_key = table._meta.primary_key
        row = (
            await table.select(table.username)
            .where(primary_key == primary_key.value_type(request.path_params["row_id"]))
            .first()
        )
        username = row["username"] if row else ""
    try:
        check_password(body["password"], str(username or ""))
    except WeakPassword as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
