from tests.platform.lint_apps.changes import change

ID = "2026-12-01T04:00:09:000000"
VERSION = "1.38.0"
DESCRIPTION = "adding_field_with_default"

forwards = change("lint_generated", ID, DESCRIPTION)
