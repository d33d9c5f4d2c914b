"""piccolo_conf plus day2, the app of docs/migrations.md's day-2 examples
(PICCOLO_CONF=tests.platform.day2_conf; ``DAY2_FOLDER``: see its piccolo_app)."""

from piccolo.conf.apps import AppRegistry

from piccolo_conf import APP_REGISTRY as PROJECT_REGISTRY
from piccolo_conf import DB  # noqa: F401

APP_REGISTRY = AppRegistry(apps=[*PROJECT_REGISTRY.apps, "tests.platform.day2_app.piccolo_app"])
