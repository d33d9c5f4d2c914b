from tests.platform.lint_apps.changes import change

ID = "2026-12-01T05:00:05:000000"
VERSION = "1.38.0"
DESCRIPTION = "adding_foreign_key_constraint"

forwards = change("lint_helped", ID, DESCRIPTION)
