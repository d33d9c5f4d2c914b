"""piccolo_conf plus drift_app, a table class without a migration."""

from piccolo.conf.apps import AppRegistry

from piccolo_conf import APP_REGISTRY as PROJECT_REGISTRY
from piccolo_conf import DB  # noqa: F401

APP_REGISTRY = AppRegistry(apps=[*PROJECT_REGISTRY.apps, "tests.platform.drift_app.piccolo_app"])
