from tests.platform.lint_apps.migration import migration

ID = "2026-12-01T00:00:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "check_without_not_valid"

forwards = migration(
    "lint_bad",
    ID,
    DESCRIPTION,
    (
        "ALTER TABLE public.lint_victim ADD CONSTRAINT lint_victim_n_positive CHECK (n > 0)",
        "ALTER TABLE public.lint_victim DROP CONSTRAINT lint_victim_n_positive",
    ),
)
