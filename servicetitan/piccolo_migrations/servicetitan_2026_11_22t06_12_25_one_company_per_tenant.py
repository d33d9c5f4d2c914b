from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.constraints import Unique

ID = "2026-11-22T06:12:25:811325"
VERSION = "1.38.0"
DESCRIPTION = "one_company_per_tenant"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="servicetitan", description=DESCRIPTION
    )

    manager.add_constraint(
        table_class_name="ServiceTitanCredential",
        tablename="servicetitan_credentials",
        constraint_name="servicetitan_credentials_tenant_id_environment_key",
        constraint_class=Unique,
        params={"columns": ["tenant_id", "environment"], "nulls_distinct": True},
        schema=None,
    )

    return manager
