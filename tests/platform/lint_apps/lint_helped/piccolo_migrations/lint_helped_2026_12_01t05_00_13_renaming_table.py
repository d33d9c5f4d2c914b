from tests.platform.lint_apps.changes import ACKNOWLEDGED, change

ID = "2026-12-01T05:00:13:000000"
VERSION = "1.38.0"
DESCRIPTION = "renaming_table"
LINT_ACKNOWLEDGED = {"renaming-table": ACKNOWLEDGED}

forwards = change("lint_helped", ID, DESCRIPTION)
