from tests.platform.lint_apps.changes import change

ID = "2026-12-01T05:00:09:000000"
VERSION = "1.38.0"
DESCRIPTION = "adding_field_with_default"

forwards = change("lint_helped", ID, DESCRIPTION)
