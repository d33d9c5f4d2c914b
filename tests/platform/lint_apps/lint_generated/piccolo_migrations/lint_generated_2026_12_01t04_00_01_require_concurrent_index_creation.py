from tests.platform.lint_apps.changes import change

ID = "2026-12-01T04:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "require_concurrent_index_creation"

forwards = change("lint_generated", ID, DESCRIPTION)
