from tests.platform.lint_apps.changes import tables

ID = "2026-12-01T05:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tables"

forwards = tables("lint_helped", ID)
