"""piccolo_conf plus backfill_demo (PICCOLO_CONF=tests.platform.history_conf): a
history with a dropped column and a ChangeColumnType, which ``platform sql``
must not print as a script and ``platform check`` must see rolled back."""

from piccolo.conf.apps import AppRegistry

from piccolo_conf import APP_REGISTRY as PROJECT_REGISTRY
from piccolo_conf import DB  # noqa: F401

APP_REGISTRY = AppRegistry(
    apps=[*PROJECT_REGISTRY.apps, "tests.platform.history_apps.backfill_demo.piccolo_app"]
)
