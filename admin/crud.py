"""PiccoloCRUD for columns whose database name differs from their Python
name, e.g. ``company = ForeignKey(Company, db_column_name="company_id")``.

Piccolo's pydantic models give such a column the database name as an alias.
PiccoloCRUD then sends rows keyed by Python name but the schema keyed by
alias, and its input and filter models read only the alias: Piccolo Admin's
list view breaks on the foreign key (the UI looks the row's key up in the
schema), a filter on it matches nothing, and an edit form's value is dropped.
This subclass keys the schema by Python name and lets the models read
either name.
"""

from __future__ import annotations

from contextlib import contextmanager

import piccolo_admin.endpoints
import pydantic
from piccolo_api.crud.endpoints import PiccoloCRUD
from piccolo_api.crud.validators import apply_validators
from starlette.requests import Request
from starlette.responses import JSONResponse


def _by_name_too(model: type[pydantic.BaseModel]) -> type[pydantic.BaseModel]:
    config = {**model.model_config, "populate_by_name": True}
    return type(model.__name__, (model,), {"model_config": config})


class ColumnNameCRUD(PiccoloCRUD):
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
        return JSONResponse(self.pydantic_model.model_json_schema(by_alias=False))


@contextmanager
def column_name_crud():
    """While Piccolo Admin builds its routes, its PiccoloCRUD is this one:
    ``create_admin`` has no parameter for it."""
    original = piccolo_admin.endpoints.PiccoloCRUD
    piccolo_admin.endpoints.PiccoloCRUD = ColumnNameCRUD
    try:
        yield
    finally:
        piccolo_admin.endpoints.PiccoloCRUD = original
