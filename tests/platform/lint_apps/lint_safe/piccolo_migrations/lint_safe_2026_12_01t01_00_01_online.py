"""Each online pattern of docs/migrations.md on a table that already exists."""

from platform_db.migrations.online import (
    ChangeColumnType,
    ConcurrentIndex,
    SetNotNull,
    UniqueUsingIndex,
    online_constraint,
)
from tests.platform.lint_apps.migration import migration

ID = "2026-12-01T01:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "online"

UNIQUE_N = ConcurrentIndex("lint_demo_n_key", "public.lint_demo", "(n)", unique=True)

forwards = migration(
    "lint_safe",
    ID,
    DESCRIPTION,
    ChangeColumnType("public.lint_demo", "amount", "bigint", old_type="integer"),
    ConcurrentIndex("lint_demo_parent_idx", "public.lint_demo", "(parent_id)"),
    UNIQUE_N,
    UniqueUsingIndex(UNIQUE_N),
    *online_constraint("public.lint_demo", "lint_demo_n_positive", "CHECK (n > 0)"),
    *online_constraint(
        "public.lint_demo",
        "lint_demo_parent_fk",
        "FOREIGN KEY (parent_id) REFERENCES public.lint_parent (id)",
    ),
    SetNotNull("public.lint_demo", "label"),
    (
        "DROP INDEX CONCURRENTLY public.lint_demo_label_idx",
        "CREATE INDEX CONCURRENTLY lint_demo_label_idx ON public.lint_demo (label)",
    ),
    transaction=False,
)
