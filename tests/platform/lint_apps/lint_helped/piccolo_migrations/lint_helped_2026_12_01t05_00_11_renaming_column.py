from tests.platform.lint_apps.changes import ACKNOWLEDGED, change

ID = "2026-12-01T05:00:11:000000"
VERSION = "1.38.0"
DESCRIPTION = "renaming_column"
LINT_ACKNOWLEDGED = {"renaming-column": ACKNOWLEDGED}

forwards = change("lint_helped", ID, DESCRIPTION)
