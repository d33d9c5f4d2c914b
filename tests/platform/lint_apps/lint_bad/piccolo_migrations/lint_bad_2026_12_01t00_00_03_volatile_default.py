from tests.platform.lint_apps.migration import migration

ID = "2026-12-01T00:00:03:000000"
VERSION = "1.38.0"
DESCRIPTION = "volatile_default"

forwards = migration(
    "lint_bad",
    ID,
    DESCRIPTION,
    (
        "ALTER TABLE public.lint_victim ADD COLUMN token uuid DEFAULT gen_random_uuid()",
        "ALTER TABLE public.lint_victim DROP COLUMN token",
    ),
)
