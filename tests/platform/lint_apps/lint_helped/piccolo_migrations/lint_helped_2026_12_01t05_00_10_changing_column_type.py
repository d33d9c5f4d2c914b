from tests.platform.lint_apps.changes import change

ID = "2026-12-01T05:00:10:000000"
VERSION = "1.38.0"
DESCRIPTION = "changing_column_type"

forwards = change("lint_helped", ID, DESCRIPTION)
