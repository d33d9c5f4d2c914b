from tests.platform.lint_apps.migration import migration

ID = "2026-12-01T00:00:07:000000"
VERSION = "1.38.0"
DESCRIPTION = "rename_column"

forwards = migration(
    "lint_bad",
    ID,
    DESCRIPTION,
    (
        "ALTER TABLE public.lint_victim RENAME COLUMN old_name TO new_name",
        "ALTER TABLE public.lint_victim RENAME COLUMN new_name TO old_name",
    ),
)
