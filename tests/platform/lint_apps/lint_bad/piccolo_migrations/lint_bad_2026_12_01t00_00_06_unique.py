from tests.platform.lint_apps.migration import migration

ID = "2026-12-01T00:00:06:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique"

forwards = migration(
    "lint_bad",
    ID,
    DESCRIPTION,
    (
        "ALTER TABLE public.lint_victim ADD CONSTRAINT lint_victim_label_key UNIQUE (label)",
        "ALTER TABLE public.lint_victim DROP CONSTRAINT lint_victim_label_key",
    ),
)
