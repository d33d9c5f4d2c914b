from tests.platform.lint_apps.migration import migration

ID = "2026-12-01T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "victim"

forwards = migration(
    "lint_bad",
    ID,
    DESCRIPTION,
    (
        "CREATE TABLE public.lint_victim (id bigint PRIMARY KEY, n integer, label text, old_name text)",
        "DROP TABLE public.lint_victim",
    ),
)
