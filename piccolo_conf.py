from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

from platform_db.database import announce, database_url, engine_config

_url = database_url()
announce(_url)

DB = PostgresEngine(config=engine_config(_url))

APP_REGISTRY = AppRegistry(
    apps=[
        "business.piccolo_app",
        "servicetitan.piccolo_app",
        "reporting.piccolo_app",
        "platform_db.piccolo_app",
        # Admin users (piccolo_user) and the admin's sessions and pages.
        "piccolo.apps.user.piccolo_app",
        "admin.piccolo_app",
    ]
)
