from piccolo.conf.apps import AppRegistry

from platform_db.database import announce, database_url, engine_config
from platform_db.replicas import ReplicatedEngine, replica_nodes

_url = database_url()
announce(_url)

# DATABASE_REPLICA_URLS: read replicas, for reads that may be a little stale.
DB = ReplicatedEngine(config=engine_config(_url), extra_nodes=replica_nodes())

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
