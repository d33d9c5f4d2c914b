from tests.platform.lint_apps.migration import migration

ID = "2026-12-01T00:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "plain_index"

forwards = migration(
    "lint_bad",
    ID,
    DESCRIPTION,
    (
        "CREATE INDEX lint_victim_n_idx ON public.lint_victim (n)",
        "DROP INDEX public.lint_victim_n_idx",
    ),
)
