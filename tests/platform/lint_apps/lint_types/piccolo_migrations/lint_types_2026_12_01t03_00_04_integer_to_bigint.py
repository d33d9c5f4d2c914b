from piccolo.columns.column_types import BigInt, Integer

from tests.platform.lint_apps.generated import alter_column

ID = "2026-12-01T03:00:04:000000"
VERSION = "1.38.0"
DESCRIPTION = "integer_to_bigint"

forwards = alter_column(
    ID,
    DESCRIPTION,
    "n",
    params={},
    old_params={},
    column_class=BigInt,
    old_column_class=Integer,
)
