from tests.platform.lint_apps.migration import migration

ID = "2026-12-01T02:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tables"

forwards = migration(
    "lint_acked",
    ID,
    DESCRIPTION,
    (
        "CREATE TABLE public.lint_acked_demo (id bigint PRIMARY KEY, old_name text)",
        "DROP TABLE public.lint_acked_demo",
    ),
)
