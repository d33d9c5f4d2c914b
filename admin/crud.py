"""The admin's PiccoloCRUD: every request Piccolo Admin's API serves goes
through this class, so it is where bad input is refused and where its reads
(lists, rows, counts, ids) are allowed to come from a read replica
(``admin.read_routing``; writes and the reads they make stay on the primary).

What piccolo_api's own PiccoloCRUD gets wrong here:

- A column whose database name differs from its Python name
  (``company = ForeignKey(Company, db_column_name="company_id")``): its
  pydantic models key the schema by the database name but the rows by the
  Python name, so Piccolo Admin's list view breaks on such a foreign key, a
  filter on it matches nothing and an edit form's value is dropped. The
  schema here is keyed by Python name and the models read either name.
- Malformed requests answered with a 500 (a schemathesis run found each):
  an unknown or empty ``__order`` column, a parameter given twice, a
  negative or huge ``limit`` / ``__page`` / ``__page_size``, a JSON column
  as a filter, a time zone on a ``TIMESTAMP`` column, a NUL character, an
  integer beyond its column's range (in a filter, a body or a row id), a
  body that is not a JSON object or names no column. Each is a 4xx here
  whose text says what was wrong; a database refusal not caught by
  piccolo_api becomes a 422 naming the constraint (never the row).
- Piccolo Admin's edit form sends every field back, its times cut to the
  millisecond: saving a row rewrote its times. A time sent back equal to
  the stored one so cut is the stored one here.
- Piccolo Admin shows a boolean as an icon with no text (a page read as
  text, or by a screen reader, shows nothing); the schema here gives every
  boolean column the choices "yes" / "no", which it shows as text. A
  ``TIMESTAMP`` column (which holds UTC: ``piccolo admin serve`` runs in
  UTC) is listed with its zone, ``Z``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import asyncpg
import pydantic
from piccolo.columns import (
    JSON,
    BigInt,
    BigSerial,
    Boolean,
    Column,
    Integer,
    Serial,
    SmallInt,
    Timestamp,
    Timestamptz,
)
from piccolo.query.methods.count import Count
from piccolo_api.crud.endpoints import CustomJSONResponse, ParamException, PiccoloCRUD
from piccolo_api.crud.exceptions import MalformedQuery
from piccolo_api.crud.validators import apply_validators
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from admin.log_redaction import scrub
from admin.read_routing import inspection_reads
from servicetitan.cache import api_values

# Query parameters that take one value; a second one is refused.
SINGLE_VALUED = ("__page", "__page_size", "__readable", "__range_header", "__range_header_name")
MAX_PAGE = 1_000_000
# How Piccolo Admin shows a boolean column, as text (its "choices").
YES_NO = {
    "yes": {"display_name": "yes", "value": True},
    "no": {"display_name": "no", "value": False},
}


def _by_name_too(model: type[pydantic.BaseModel]) -> type[pydantic.BaseModel]:
    config = {**model.model_config, "populate_by_name": True}
    return type(model.__name__, (model,), {"model_config": config})


def _integer_bits(column: Column) -> int | None:
    if isinstance(column, (SmallInt,)):
        return 16
    if isinstance(column, (BigInt, BigSerial)):
        return 64
    if isinstance(column, (Integer, Serial)):
        return 32
    return None


def _one_line(exc: pydantic.ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
        for error in exc.errors(include_url=False)
    )


class BadInput(ValueError):
    """A value the admin refuses before it reaches piccolo_api or the database."""


def _bounded_int(label: str, text: Any, minimum: int, maximum: int) -> int:
    try:
        number = int(text)
    except (TypeError, ValueError):
        raise BadInput(f"{label} must be a whole number, not {str(text)[:40]!r}") from None
    if not minimum <= number <= maximum:
        raise BadInput(f"{label} must be between {minimum} and {maximum}, not {number}")
    return number


def checked_value(column: Column, label: str, value: Any) -> Any:
    """``value`` for ``column`` as PostgreSQL will take it, or BadInput:
    integers within the column's range, no NUL in text, and a time with a
    zone turned into the naive UTC that ``TIMESTAMP`` columns hold."""
    if isinstance(value, list):
        return [checked_value(column, label, item) for item in value]
    if isinstance(value, str) and "\x00" in value:
        raise BadInput(f"{label} contains a NUL character, which PostgreSQL cannot store")
    bits = _integer_bits(column)
    if bits and value is not None and not isinstance(value, bool):
        try:
            number = int(value)
        except (TypeError, ValueError):
            return value  # pydantic names the type error
        if not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
            raise BadInput(f"{label}: {number} is out of range for a {bits}-bit integer column")
    if type(column) is Timestamp and isinstance(value, str):
        try:
            moment = api_values.timestamp(value)  # without a zone: UTC
        except ValueError:
            return value  # pydantic names the format error
        return moment.replace(tzinfo=None).isoformat()
    return value


def _same_to_the_millisecond(sent: Any, stored: datetime | None) -> bool:
    """Whether ``sent`` is ``stored`` as Piccolo Admin's form sends it back
    (cut to the millisecond); ``TIMESTAMP`` values are UTC."""
    if stored is None or not isinstance(sent, str):
        return False
    try:
        moment = api_values.timestamp(sent)
    except ValueError:
        return False
    if stored.tzinfo is None:
        stored = stored.replace(tzinfo=timezone.utc)
    return moment == stored.replace(microsecond=stored.microsecond // 1000 * 1000)


class AdminCRUD(PiccoloCRUD):
    # The tables Piccolo Admin serves (set by admin.router.PlatformAdmin):
    # "Show referencing tables" lists only those.
    served_tables: frozenset[str] = frozenset()

    @property
    def pydantic_model(self) -> type[pydantic.BaseModel]:
        return _by_name_too(super().pydantic_model)

    @property
    def pydantic_model_optional(self) -> type[pydantic.BaseModel]:
        return _by_name_too(super().pydantic_model_optional)

    @property
    def pydantic_model_filters(self) -> type[pydantic.BaseModel]:
        return _by_name_too(super().pydantic_model_filters)

    @apply_validators
    async def get_schema(self, request: Request) -> JSONResponse:
        schema = self.pydantic_model.model_json_schema(by_alias=False)
        for column in self.table._meta.columns:
            extra = schema["properties"].get(column._meta.name, {}).get("extra", {})
            if isinstance(column, Boolean) and not extra.get("choices"):
                extra["choices"] = YES_NO
        return JSONResponse(schema)

    @apply_validators
    async def get_references(self, request: Request) -> JSONResponse:
        references = [
            {"tableName": column._meta.table._meta.tablename, "columnName": column._meta.name}
            for column in self.table._meta.foreign_key_references
            if column._meta.table._meta.tablename in self.served_tables
        ]
        return JSONResponse({"references": references})

    # Query parameters -----------------------------------------------------

    def _split_params(self, params: dict[str, Any]):
        for key, value in params.items():
            if isinstance(value, list) and (
                key in SINGLE_VALUED or key.endswith(("__operator", "__match"))
            ):
                raise ParamException(f"{key} is given more than once")
        try:
            split = super()._split_params(params)
        except ValueError as exc:  # an unknown column in __order / __visible_fields
            raise ParamException(f"__order / __visible_fields: {exc}") from None
        try:
            _bounded_int("__page", split.page, -MAX_PAGE, MAX_PAGE)
            if split.page_size is not None:
                _bounded_int("__page_size", split.page_size, 0, self.max_page_size)
        except BadInput as exc:
            raise ParamException(str(exc)) from None
        return split

    def _apply_filters(self, query, params):
        for name, value in list(params.fields.items()):
            column = next((c for c in self.table._meta.columns if c._meta.name == name), None)
            if column is None:
                continue  # piccolo_api says "isn't a valid field name"
            if isinstance(column, JSON):  # JSONB too
                raise MalformedQuery(f"{name} is a JSON column: it cannot be used as a filter")
            try:
                params.fields[name] = checked_value(column, name, value)
            except BadInput as exc:
                raise MalformedQuery(str(exc)) from None
        try:
            return super()._apply_filters(query, params)
        except pydantic.ValidationError as exc:
            raise MalformedQuery(f"bad filter: {_one_line(exc)}") from None

    @apply_validators
    async def get_ids(self, request: Request) -> Response:
        query = request.query_params
        try:
            for name, maximum in (("limit", self.max_page_size), ("offset", 2**63 - 1)):
                if len(query.getlist(name)) > 1:
                    raise BadInput(f"{name} is given more than once")
                if name in query:
                    _bounded_int(name, query[name], 0, maximum)
            if "\x00" in query.get("search", ""):
                raise BadInput("search contains a NUL character")
        except BadInput as exc:
            return PlainTextResponse(str(exc), status_code=400)

        async def respond():
            with inspection_reads():
                return await super(AdminCRUD, self).get_ids(request)

        return await self._answered(respond)

    async def get_all(self, request: Request, params: dict | None = None) -> Response:
        """piccolo_api's, but a ``TIMESTAMP`` column's values (UTC) with their
        zone, and the total of ``__range_header`` counted through ``Count``
        (piccolo_api calls ``table.count()``: see ``get_count``)."""
        params = dict(params or {})
        ranged = params.get("__range_header") in ("true", "True", "1")  # given twice: a list
        if ranged:
            del params["__range_header"]
        with inspection_reads():
            response = await super().get_all(request, params=params)
            if response.status_code != 200:
                return response
            body = json.loads(response.body)
            headers = {}
            if ranged:
                headers["Content-Range"] = await self._content_range(params, len(body["rows"]))
        naive = [c._meta.name for c in self.table._meta.columns if type(c) is Timestamp]
        for row in body["rows"]:
            for name in naive:
                if isinstance(row.get(name), str):
                    row[name] += "Z"
        return CustomJSONResponse(json.dumps(body), headers=headers)

    async def _content_range(self, params: dict, rows: int) -> str:
        """As piccolo_api writes it: the rows of this page out of the table's."""
        split = self._split_params(self._clean_data(params))
        offset = (split.page_size or self.page_size) * (split.page - 1) if split.page > 1 else 0
        name = split.range_header_name or self.table._meta.tablename
        return f"{name} {offset}-{offset + max(rows - 1, 0)}/{await Count(table=self.table).run()}"

    # Bodies and row ids ---------------------------------------------------

    def _checked_row_id(self, request: Request) -> None:
        bits = _integer_bits(self.table._meta.primary_key)
        row_id = request.path_params.get("row_id")
        if bits and row_id is not None:
            _bounded_int("the row id", row_id, 1, 2 ** (bits - 1) - 1)

    async def _checked_body(self, request: Request) -> None:
        """Refuse a body piccolo_api would fail on; in place, turn times with
        a zone into UTC for TIMESTAMP columns (Starlette keeps the parsed body,
        so piccolo_api reads the same dict)."""
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            raise BadInput("the body is not JSON") from None
        if not isinstance(body, dict):
            raise BadInput("the body must be a JSON object of column names and values")
        columns = {column._meta.name: column for column in self.table._meta.columns}
        for key, value in body.items():
            if key not in columns:
                raise BadInput(
                    f"{self.table._meta.tablename} has no column {key!r} "
                    f"(columns: {', '.join(columns)})"
                )
            body[key] = checked_value(columns[key], key, value)

    async def _stored_times_kept(self, request: Request) -> None:
        """In the body, in place: each time that is the stored one cut to the
        millisecond (as Piccolo Admin's form sends every field back) is the
        stored one, so saving a row does not rewrite its times."""
        body = await request.json()
        times = [
            c for c in self.table._meta.columns
            if isinstance(c, (Timestamp, Timestamptz)) and isinstance(body.get(c._meta.name), str)
        ]
        primary_key = self.table._meta.primary_key
        try:
            row_id = primary_key.value_type(request.path_params["row_id"])
        except ValueError:
            return  # piccolo_api says the id is invalid
        if not times:
            return
        stored = await self.table.select(*times).where(primary_key == row_id).first()
        for column in times if stored else ():
            name = column._meta.name
            if _same_to_the_millisecond(body[name], stored[name]):
                body[name] = stored[name].isoformat()

    async def _answered(self, respond) -> Response:
        """``respond()``, with bad input as a 400 and a database refusal that
        piccolo_api does not catch (a value too long, a bad UUID, ...) as a
        422 carrying its message only, never the DETAIL with the row."""
        try:
            return await respond()
        except BadInput as exc:
            return PlainTextResponse(str(exc), status_code=400)
        except (asyncpg.PostgresError, asyncpg.exceptions._base.DataError) as exc:
            message = exc.args[0] if exc.args else type(exc).__name__
            return JSONResponse({"db_error": scrub(str(message))}, status_code=422)

    async def root(self, request: Request) -> Response:
        async def respond():
            if request.method == "POST":
                await self._checked_body(request)
            return await super(AdminCRUD, self).root(request)

        return await self._answered(respond)

    async def detail(self, request: Request) -> Response:
        async def respond():
            self._checked_row_id(request)
            if request.method == "GET":
                with inspection_reads():
                    return await super(AdminCRUD, self).detail(request)
            if request.method in ("PUT", "PATCH"):
                await self._checked_body(request)
                await self._stored_times_kept(request)
            return await super(AdminCRUD, self).detail(request)

        return await self._answered(respond)

    @apply_validators
    async def get_count(self, request: Request) -> Response:
        """piccolo_api's, but through ``Count`` itself: piccolo_api calls
        ``table.count()``, which a column named ``count`` shadows
        (reporting's ``pipeline_stage_counts.count``: a TypeError, a 500)."""

        async def respond():
            try:
                split = self._split_params(self._parse_params(request.query_params))
                query = self._apply_filters(Count(table=self.table), split)
            except (ParamException, MalformedQuery) as exc:
                return PlainTextResponse(str(exc), status_code=400)
            with inspection_reads():
                count = await query.run()
            return JSONResponse({"count": count, "page_size": self.page_size})

        return await self._answered(respond)
