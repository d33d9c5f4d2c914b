from tests.platform.lint_apps.migration import migration

ID = "2026-12-01T00:00:10:000000"
VERSION = "1.38.0"
DESCRIPTION = "drop_table"

forwards = migration(
    "lint_bad",
    ID,
    DESCRIPTION,
    (
        "DROP TABLE public.lint_renamed",
        "CREATE TABLE public.lint_renamed (id bigint PRIMARY KEY)",
    ),
)
