"""Where the database is and how to reach it: the engine and its settings,
the embedded server, the pooler, replicas and read routing, raw connections.
May import ``platform_db.values``.
"""
