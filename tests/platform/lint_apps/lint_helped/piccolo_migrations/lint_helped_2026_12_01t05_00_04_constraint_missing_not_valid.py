from tests.platform.lint_apps.changes import change

ID = "2026-12-01T05:00:04:000000"
VERSION = "1.38.0"
DESCRIPTION = "constraint_missing_not_valid"

forwards = change("lint_helped", ID, DESCRIPTION)
