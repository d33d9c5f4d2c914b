"""piccolo_conf plus slow_app, whose migration sleeps (PICCOLO_CONF=tests.reliability.slow_conf)."""

from piccolo.conf.apps import AppRegistry

from piccolo_conf import APP_REGISTRY as PROJECT_REGISTRY
from piccolo_conf import DB  # noqa: F401

APP_REGISTRY = AppRegistry(apps=[*PROJECT_REGISTRY.apps, "tests.reliability.slow_app.piccolo_app"])
