"""The contract step of an expand / contract release: the drop is meant."""

from tests.platform.lint_apps.migration import migration

ID = "2026-12-01T02:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "contract"

LINT_ACKNOWLEDGED = {
    "ban-drop-column": "contract step of release 2; readers stopped in release 1",
}

forwards = migration(
    "lint_acked",
    ID,
    DESCRIPTION,
    (
        "ALTER TABLE public.lint_acked_demo DROP COLUMN old_name",
        "ALTER TABLE public.lint_acked_demo ADD COLUMN old_name text",
    ),
)
