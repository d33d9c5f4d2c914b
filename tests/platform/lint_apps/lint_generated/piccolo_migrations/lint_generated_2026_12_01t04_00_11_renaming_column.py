from tests.platform.lint_apps.changes import change

ID = "2026-12-01T04:00:11:000000"
VERSION = "1.38.0"
DESCRIPTION = "renaming_column"

forwards = change("lint_generated", ID, DESCRIPTION)
