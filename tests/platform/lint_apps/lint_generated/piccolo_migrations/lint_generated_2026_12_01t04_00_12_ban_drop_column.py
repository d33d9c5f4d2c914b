from tests.platform.lint_apps.changes import change

ID = "2026-12-01T04:00:12:000000"
VERSION = "1.38.0"
DESCRIPTION = "ban_drop_column"

forwards = change("lint_generated", ID, DESCRIPTION)
