"""piccolo_conf plus the lint's test apps (PICCOLO_CONF=tests.platform.lint_conf): lint_bad
has one migration per unsafe pattern, lint_safe each online pattern."""

from piccolo.conf.apps import AppRegistry

from piccolo_conf import APP_REGISTRY as PROJECT_REGISTRY
from piccolo_conf import DB  # noqa: F401

APP_REGISTRY = AppRegistry(
    apps=[
        *PROJECT_REGISTRY.apps,
        "tests.platform.lint_apps.lint_bad.piccolo_app",
        "tests.platform.lint_apps.lint_safe.piccolo_app",
    ]
)
