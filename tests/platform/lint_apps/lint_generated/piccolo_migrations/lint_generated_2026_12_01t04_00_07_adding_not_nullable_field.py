from tests.platform.lint_apps.changes import change

ID = "2026-12-01T04:00:07:000000"
VERSION = "1.38.0"
DESCRIPTION = "adding_not_nullable_field"

forwards = change("lint_generated", ID, DESCRIPTION)
