from tests.platform.lint_apps.migration import migration

ID = "2026-12-01T00:00:05:000000"
VERSION = "1.38.0"
DESCRIPTION = "type_change"

forwards = migration(
    "lint_bad",
    ID,
    DESCRIPTION,
    (
        "ALTER TABLE public.lint_victim ALTER COLUMN n TYPE bigint",
        "ALTER TABLE public.lint_victim ALTER COLUMN n TYPE integer",
    ),
)
