"""Which tables the admin shows, and how: every table of every app in the
registry, grouped by app, so tables other apps add appear by themselves.

Every table gets the same rules (secrets out of lists, filters and writes,
JSON out of lists, newest first, the tenant first among filters); the
ServiceTitan credentials, sync logs and raw cache (``admin/cache_configs.py``)
get their own columns and filters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import JSON, JSONB, Column
from piccolo.conf.apps import AppConfig, Finder
from piccolo.table import Table
from piccolo_admin.endpoints import TableConfig, get_all_tables
from piccolo_api.crud.endpoints import OrderBy
from piccolo_api.crud.validators import Validators

from admin.cache_configs import CACHE_CONFIGS
from admin.validators import only_writable, refuse, refuse_secret_params, refuse_secret_writes
from servicetitan.tables import ServiceTitanCredential, ServiceTitanSyncLog

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
    by_name = {c._meta.name: c for c in table._meta.columns}
    for name in NEWEST_FIRST:
        if name in by_name:
            return [OrderBy(column=by_name[name], ascending=False)]
    return None


def _validators(table: type[Table], auth_table: type[BaseUser]) -> Validators:
    # The auth table's secret is the password, which Piccolo hashes on write.
    writes = [] if table is auth_table or not table._meta.secret_columns else [refuse_secret_writes]
    return Validators(
        every=[refuse_secret_params],
        post_single=writes,
        put_single=writes,
        patch_single=writes,
    )


def generic_config(
    table: type[Table], menu_group: str, auth_table: type[BaseUser] = BaseUser
) -> TableConfig:
    return TableConfig(
        table_class=table,
        exclude_visible_columns=_hidden_from_lists(table) or None,
        visible_filters=_filters(table),
        order_by=_newest_first(table),
        validators=_validators(table, auth_table),
        menu_group=menu_group,
    )


def credentials_config(menu_group: str) -> TableConfig:
    """Credentials are for inspection; only the connection status may change
    (e.g. set ``inactive`` to stop a broken credential being used)."""
    c = ServiceTitanCredential
    read_only = "servicetitan_credentials is read-only in the admin except connection_status"
    return TableConfig(
        table_class=c,
        visible_columns=[
            c.client_id,
            c.company,
            c.environment,
            c.connection_status,
            c.token_expires_at,
            c.last_connection_attempt,
            c.updated_at,
        ],
        link_column=c.client_id,
        visible_filters=[c.company, c.environment, c.connection_status],
        order_by=[OrderBy(column=c.updated_at, ascending=False)],
        validators=Validators(
            every=[refuse_secret_params],
            post_single=[refuse(read_only + ": register credentials with the API")],
            put_single=[refuse(read_only)],
            delete_single=[refuse(read_only)],
            delete_all=[refuse(read_only)],
            patch_single=[only_writable(c.connection_status)],
        ),
        menu_group=menu_group,
    )


def sync_logs_config(menu_group: str) -> TableConfig:
    log = ServiceTitanSyncLog
    return TableConfig(
        table_class=log,
        visible_columns=[
            log.started_at,
            log.servicetitan_credential,
            log.sync_type,
            log.data_type,
            log.status,
            log.processing_time_seconds,
            log.records_processed,
            log.records_successful,
            log.records_failed,
            log.error_message,
        ],
        link_column=log.started_at,
        visible_filters=[
            log.status,
            log.sync_type,
            log.data_type,
            log.started_at,
            log.servicetitan_credential,
        ],
        order_by=[OrderBy(column=log.started_at, ascending=False)],
        validators=Validators(every=[refuse_secret_params]),
        menu_group=menu_group,
    )


SPECIFIC: dict[type[Table], Callable[[str], TableConfig]] = {
    ServiceTitanCredential: credentials_config,
    ServiceTitanSyncLog: sync_logs_config,
    **CACHE_CONFIGS,
}


def _described(table: type[Table]) -> str:
    schema = table._meta.schema or "public"
    return f"{schema}.{table._meta.tablename} ({table.__module__}.{table.__name__})"


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
    app_configs: Sequence[AppConfig] | None = None, auth_table: type[BaseUser] = BaseUser
) -> list[TableConfig]:
    """A TableConfig per table of every registered app, grouped by app."""
    if app_configs is None:
        app_configs = Finder().get_app_configs()
    configs = [
        SPECIFIC[table](app.app_name)
        if table in SPECIFIC
        else generic_config(table, app.app_name, auth_table)
        for app in app_configs
        for table in app.table_classes
    ]
    refuse_name_clashes([config.table_class for config in configs])
    return configs
