from tests.platform.lint_apps.migration import migration

ID = "2026-12-01T01:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tables"

# New tables may take any index or constraint at once: nobody uses them yet.
forwards = migration(
    "lint_safe",
    ID,
    DESCRIPTION,
    (
        "CREATE TABLE public.lint_parent (id bigint PRIMARY KEY);"
        " CREATE TABLE public.lint_demo (id bigint PRIMARY KEY, n integer, label text,"
        " parent_id bigint, amount integer);"
        " CREATE INDEX lint_demo_label_idx ON public.lint_demo (label)",
        "DROP TABLE public.lint_demo; DROP TABLE public.lint_parent",
    ),
)
