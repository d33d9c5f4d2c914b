from tests.platform.lint_apps.changes import change

ID = "2026-12-01T05:00:06:000000"
VERSION = "1.38.0"
DESCRIPTION = "disallowed_unique_constraint"

forwards = change("lint_helped", ID, DESCRIPTION)
