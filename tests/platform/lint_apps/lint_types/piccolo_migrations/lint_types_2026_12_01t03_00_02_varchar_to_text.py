from piccolo.columns.column_types import Text, Varchar

from tests.platform.lint_apps.generated import alter_column

ID = "2026-12-01T03:00:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "varchar_to_text"

forwards = alter_column(
    ID,
    DESCRIPTION,
    "notes",
    params={},
    old_params={},
    column_class=Text,
    old_column_class=Varchar,
)
