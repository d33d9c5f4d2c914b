"""piccolo_conf plus the test-only fault_app (PICCOLO_CONF=tests.reliability.fault_conf)."""

from piccolo.conf.apps import AppRegistry

from piccolo_conf import APP_REGISTRY as PROJECT_REGISTRY
from piccolo_conf import DB  # noqa: F401

APP_REGISTRY = AppRegistry(apps=[*PROJECT_REGISTRY.apps, "tests.reliability.fault_app.piccolo_app"])
