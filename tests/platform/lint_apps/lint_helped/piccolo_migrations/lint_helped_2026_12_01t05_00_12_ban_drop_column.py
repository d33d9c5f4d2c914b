from tests.platform.lint_apps.changes import ACKNOWLEDGED, change

ID = "2026-12-01T05:00:12:000000"
VERSION = "1.38.0"
DESCRIPTION = "ban_drop_column"
LINT_ACKNOWLEDGED = {"ban-drop-column": ACKNOWLEDGED}

forwards = change("lint_helped", ID, DESCRIPTION)
