"""piccolo_conf plus lint_generated and lint_helped (PICCOLO_CONF=tests.platform.lint_helpers_conf):
each change a lint rule flags, as --auto generates it and through the helper the rule names."""

from piccolo.conf.apps import AppRegistry

from piccolo_conf import APP_REGISTRY as PROJECT_REGISTRY
from piccolo_conf import DB  # noqa: F401

APP_REGISTRY = AppRegistry(
    apps=[
        *PROJECT_REGISTRY.apps,
        "tests.platform.lint_apps.lint_generated.piccolo_app",
        "tests.platform.lint_apps.lint_helped.piccolo_app",
    ]
)
