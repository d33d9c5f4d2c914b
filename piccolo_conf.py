from piccolo.conf.apps import AppRegistry

from platform_db.cli import help_requested
from platform_db.database.replicas import ReplicatedEngine, replica_nodes

# Connects (and starts the embedded server) at the first query, not here.
# Piccolo's CLI counts unapplied migrations before every command, `--help`
# included; a run that only prints help opens no database (the count then
# fails quietly, as Piccolo lets it).
# DATABASE_REPLICA_URLS: read replicas, for reads that may be a little stale.
DB = ReplicatedEngine(offline=help_requested(), extra_nodes=replica_nodes())

APP_REGISTRY = AppRegistry(
    apps=[
        "business.piccolo_app",
        "servicetitan.piccolo_app",
        "reporting.piccolo_app",
        "platform_db.piccolo_app",
        # The admin's sessions and pages. Its migration dependency brings in
        # Piccolo's user app (admin users): listed here as well, the user
        # app's commands would be registered twice (`user list` twice in
        # `piccolo --help`), for Piccolo registers them for itself too.
        "admin.piccolo_app",
    ]
)
