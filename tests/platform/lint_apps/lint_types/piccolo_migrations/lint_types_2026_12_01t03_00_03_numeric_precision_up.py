from piccolo.columns.column_types import Numeric

from tests.platform.lint_apps.generated import alter_column

ID = "2026-12-01T03:00:03:000000"
VERSION = "1.38.0"
DESCRIPTION = "numeric_precision_up"

forwards = alter_column(
    ID,
    DESCRIPTION,
    "amount",
    params={"digits": (12, 2)},
    old_params={"digits": (10, 2)},
    column_class=Numeric,
    old_column_class=Numeric,
)
