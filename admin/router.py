"""Piccolo Admin as this project builds it: ``PlatformAdmin`` is Piccolo
Admin's own ``AdminRouter``, built with the project's PiccoloCRUD
(``admin.crud``) and the login / change-password endpoints with the
project's limits (``admin.throttle``), and with the tables only superusers
may see (users, sessions) left out of everyone else's sidebar.

``AdminRouter`` takes none of these as parameters; it looks them up in its
module while it builds its routes, so they are swapped in for that time
only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import piccolo_admin.endpoints
from piccolo_admin.endpoints import AdminRouter, GroupedTableNamesResponseModel, TableConfig
from starlette.requests import Request

from admin.crud import AdminCRUD
from admin.throttle import AdminThrottle, LimitedRateLimiting


@contextmanager
def _swapped(**replacements) -> Iterator[None]:
    module = piccolo_admin.endpoints
    originals = {name: getattr(module, name) for name in replacements}
    for name, value in replacements.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in originals.items():
            setattr(module, name, value)


class PlatformAdmin(AdminRouter):
    def __init__(
        self,
        *tables: TableConfig,
        superuser_tables: frozenset[str],
        throttle: AdminThrottle,
        csrf: type,
        **kwargs,
    ):
        self.superuser_tables = superuser_tables
        served = frozenset(config.table_class._meta.tablename for config in tables)
        crud = type("AdminCRUD", (AdminCRUD,), {"served_tables": served})
        with _swapped(
            PiccoloCRUD=crud,
            CSRFMiddleware=csrf,
            RateLimitingMiddleware=LimitedRateLimiting,
            session_login=throttle.session_login,
            change_password=throttle.change_password,
        ):
            super().__init__(*tables, rate_limit_provider=throttle.addresses, **kwargs)

    def _hidden_from(self, request: Request) -> frozenset[str]:
        return frozenset() if request.user.user.superuser else self.superuser_tables

    def get_table_list(self, request: Request) -> list[str]:
        hidden = self._hidden_from(request)
        return [name for name in super().get_table_list() if name not in hidden]

    def get_table_list_grouped(self, request: Request) -> GroupedTableNamesResponseModel:
        hidden = self._hidden_from(request)
        grouped = super().get_table_list_grouped()
        return GroupedTableNamesResponseModel(
            grouped={
                group: shown
                for group, names in grouped.grouped.items()
                if (shown := [name for name in names if name not in hidden])
            },
            ungrouped=[name for name in grouped.ungrouped if name not in hidden],
        )
