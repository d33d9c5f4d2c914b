"""piccolo_conf plus lint_acked (PICCOLO_CONF=tests.platform.lint_acked_conf): a migration that
acknowledges its lint finding in LINT_ACKNOWLEDGED, and one that acknowledges a rule that does
not fire."""

from piccolo.conf.apps import AppRegistry

from piccolo_conf import APP_REGISTRY as PROJECT_REGISTRY
from piccolo_conf import DB  # noqa: F401

APP_REGISTRY = AppRegistry(
    apps=[
        *PROJECT_REGISTRY.apps,
        "tests.platform.lint_apps.lint_acked.piccolo_app",
    ]
)
