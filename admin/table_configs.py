"""Which tables Piccolo Admin shows, and how: every table of every app in
the registry, grouped by app, so tables other apps add appear by
themselves, except those the admin shows read-only on pages of its own
(``admin.inspected``, the ServiceTitan credentials and sync logs).

Every table gets the same rules (secrets out of lists, filters and writes,
JSON out of lists, newest first, the tenant first among filters, times to
the millisecond, the finest Piccolo Admin's form takes); users and sessions
are for superusers only, reads included.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import JSON, JSONB, BigSerial, Column, Serial, Timestamp, Timestamptz
from piccolo.conf.apps import AppConfig, Finder
from piccolo.table import Table
from piccolo_admin.endpoints import TableConfig, get_all_tables
from piccolo_api.crud.endpoints import OrderBy
from piccolo_api.crud.validators import Validators

from admin.cascades import refuse_history_deletes
from admin.validators import (
    refuse_secret_params,
    refuse_secret_writes,
    refuse_weak_passwords,
    superusers_only,
)

# The first of these a table has orders its list, newest first.
NEWEST_FIRST = ("started_at", "created_at")
TENANT_COLUMN = "tenant_id"


class AdminTableNameClash(ValueError):
    """Two tables Piccolo Admin would serve under the same URL."""


def _hidden_from_lists(table: type[Table]) -> list[Column]:
    return [c for c in table._meta.columns if c._meta.secret or isinstance(c, (JSON, JSONB))]


def _filters(table: type[Table]) -> list[Column]:
    hidden = {c._meta.name for c in _hidden_from_lists(table)}
    columns = [c for c in table._meta.columns if c._meta.name not in hidden]
    return sorted(columns, key=lambda c: c._meta.name != TENANT_COLUMN)


def _newest_first(table: type[Table]) -> list[OrderBy] | None:
    """By the first time column of NEWEST_FIRST, else by a serial primary key
    (piccolo_user: the newest user on the first page, not the 16th)."""
    by_name = {c._meta.name: c for c in table._meta.columns}
    for name in NEWEST_FIRST:
        if name in by_name:
            return [OrderBy(column=by_name[name], ascending=False)]
    if isinstance(table._meta.primary_key, (Serial, BigSerial)):
        return [OrderBy(column=table._meta.primary_key, ascending=False)]
    return None


def _validators(
    table: type[Table], auth_table: type[BaseUser], superuser_tables: Collection[type[Table]]
) -> Validators:
    # The auth table's secret is the password, which Piccolo hashes on write:
    # it must pass the password policy.
    if table is auth_table:
        writes = [refuse_weak_passwords]
    else:
        writes = [refuse_secret_writes] if table._meta.secret_columns else []
    return Validators(
        every=[refuse_secret_params, *([superusers_only] if table in superuser_tables else [])],
        post_single=writes,
        put_single=writes,
        patch_single=writes,
        delete_single=[refuse_history_deletes],
        delete_all=[refuse_history_deletes],
    )


def generic_config(
    table: type[Table],
    menu_group: str,
    auth_table: type[BaseUser] = BaseUser,
    superuser_tables: Collection[type[Table]] = (),
) -> TableConfig:
    return TableConfig(
        table_class=table,
        exclude_visible_columns=_hidden_from_lists(table) or None,
        visible_filters=_filters(table),
        order_by=_newest_first(table),
        validators=_validators(table, auth_table, superuser_tables),
        menu_group=menu_group,
        time_resolution={
            c: 0.001 for c in table._meta.columns if isinstance(c, (Timestamp, Timestamptz))
        }
        or None,
    )


def _described(table: type[Table]) -> str:
    schema = table._meta.schema or "public"
    return f"{schema}.{table._meta.tablename} ({table.__module__}.{table.__name__})"


def refuse_links_elsewhere(configs: Sequence[TableConfig]) -> None:
    """A foreign key from a Piccolo Admin table to one it does not serve
    would make Piccolo Admin add that table back, with none of its rules."""
    served = {config.table_class for config in configs}
    for config in configs:
        for column in config.table_class._meta.foreign_key_columns:
            target = column._foreign_key_meta.resolved_references
            if target not in served:
                raise AdminTableNameClash(
                    f"{_described(config.table_class)}.{column._meta.name} points to "
                    f"{_described(target)}, which Piccolo Admin does not serve"
                )


def refuse_name_clashes(tables: Sequence[type[Table]]) -> None:
    """Piccolo Admin keys its routes by bare table name: two tables of the
    same name in different schemas would share (and break) one URL."""
    seen: dict[str, type[Table]] = {}
    for table in get_all_tables(tables):
        name = table._meta.tablename
        other = seen.setdefault(name, table)
        if other is not table:
            raise AdminTableNameClash(
                f"Piccolo Admin would serve both {_described(other)} and "
                f"{_described(table)} at /api/tables/{name}/: "
                "rename one of them or leave one out of the admin"
            )


def table_configs(
    app_configs: Sequence[AppConfig] | None = None,
    auth_table: type[BaseUser] = BaseUser,
    elsewhere: Collection[type[Table]] = (),
    superuser_tables: Collection[type[Table]] = (),
) -> list[TableConfig]:
    """A TableConfig per table of every registered app, grouped by app,
    but for the tables shown ``elsewhere`` (the admin's own pages)."""
    if app_configs is None:
        app_configs = Finder().get_app_configs()
    configs = [
        generic_config(table, app.app_name, auth_table, superuser_tables)
        for app in app_configs
        for table in app.table_classes
        if table not in elsewhere
    ]
    refuse_name_clashes([config.table_class for config in configs])
    refuse_links_elsewhere(configs)
    return configs
