from piccolo.columns.column_types import Varchar

from tests.platform.lint_apps.generated import alter_column

ID = "2026-12-01T03:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "varchar_wider"

forwards = alter_column(
    ID,
    DESCRIPTION,
    "email",
    params={"length": 320},
    old_params={"length": 255},
    column_class=Varchar,
    old_column_class=Varchar,
)
