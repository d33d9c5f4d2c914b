from tests.platform.lint_apps.migration import migration

ID = "2026-12-01T00:00:08:000000"
VERSION = "1.38.0"
DESCRIPTION = "drop_column"

forwards = migration(
    "lint_bad",
    ID,
    DESCRIPTION,
    (
        "ALTER TABLE public.lint_victim DROP COLUMN new_name",
        "ALTER TABLE public.lint_victim ADD COLUMN new_name text",
    ),
)
