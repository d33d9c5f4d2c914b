"""piccolo_conf plus index_demo (PICCOLO_CONF=tests.platform.index_conf): an
index built by ConcurrentIndex under a name of its own, then dropped by a
generated migration that finds nothing to drop."""

from piccolo.conf.apps import AppRegistry

from piccolo_conf import APP_REGISTRY as PROJECT_REGISTRY
from piccolo_conf import DB  # noqa: F401

APP_REGISTRY = AppRegistry(
    apps=[*PROJECT_REGISTRY.apps, "tests.platform.history_apps.index_demo.piccolo_app"]
)
