"""piccolo_conf plus lint_types (PICCOLO_CONF=tests.platform.lint_types_conf): type changes as
Piccolo generates them, metadata only (a wider varchar, varchar -> text, numeric precision up)
and one that rewrites the table (integer -> bigint)."""

from piccolo.conf.apps import AppRegistry

from piccolo_conf import APP_REGISTRY as PROJECT_REGISTRY
from piccolo_conf import DB  # noqa: F401

APP_REGISTRY = AppRegistry(
    apps=[
        *PROJECT_REGISTRY.apps,
        "tests.platform.lint_apps.lint_types.piccolo_app",
    ]
)
