"""piccolo_conf plus the test-only apps (PICCOLO_CONF=tests.reliability.fault_conf):
fault_app fails half way unless FAULT_FIXED=1, lock_app needs a lock on companies."""

from piccolo.conf.apps import AppRegistry

from piccolo_conf import APP_REGISTRY as PROJECT_REGISTRY
from piccolo_conf import DB  # noqa: F401

APP_REGISTRY = AppRegistry(
    apps=[
        *PROJECT_REGISTRY.apps,
        "tests.reliability.fault_app.piccolo_app",
        "tests.reliability.lock_app.piccolo_app",
    ]
)
