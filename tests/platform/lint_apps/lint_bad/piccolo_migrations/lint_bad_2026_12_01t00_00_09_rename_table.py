from tests.platform.lint_apps.migration import migration

ID = "2026-12-01T00:00:09:000000"
VERSION = "1.38.0"
DESCRIPTION = "rename_table"

forwards = migration(
    "lint_bad",
    ID,
    DESCRIPTION,
    (
        "ALTER TABLE public.lint_victim RENAME TO lint_renamed",
        "ALTER TABLE public.lint_renamed RENAME TO lint_victim",
    ),
)
