from tests.platform.lint_apps.changes import change

ID = "2026-12-01T05:00:08:000000"
VERSION = "1.38.0"
DESCRIPTION = "adding_required_field"

forwards = change("lint_helped", ID, DESCRIPTION)
