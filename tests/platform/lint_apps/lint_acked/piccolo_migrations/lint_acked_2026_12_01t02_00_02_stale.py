"""An acknowledgement of a rule that does not fire: the lint says it is stale."""

from tests.platform.lint_apps.migration import migration

ID = "2026-12-01T02:00:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "stale"

LINT_ACKNOWLEDGED = {"renaming-table": "a maintenance window"}

forwards = migration(
    "lint_acked",
    ID,
    DESCRIPTION,
    (
        "ALTER TABLE public.lint_acked_demo ADD COLUMN note text",
        "ALTER TABLE public.lint_acked_demo DROP COLUMN note",
    ),
)
