from tests.platform.lint_apps.changes import change

ID = "2026-12-01T05:00:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "require_concurrent_index_creation_partitioned"

forwards = change("lint_helped", ID, DESCRIPTION)
