from tests.platform.lint_apps.migration import migration

ID = "2026-12-01T00:00:04:000000"
VERSION = "1.38.0"
DESCRIPTION = "set_not_null"

forwards = migration(
    "lint_bad",
    ID,
    DESCRIPTION,
    (
        "ALTER TABLE public.lint_victim ALTER COLUMN label SET NOT NULL",
        "ALTER TABLE public.lint_victim ALTER COLUMN label DROP NOT NULL",
    ),
)
