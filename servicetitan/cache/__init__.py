"""The ServiceTitan cache in the ``raw`` schema: its tables
(``raw_tables``: the cached entities and ``raw.sync_state``) and how an API
record becomes a cached row: its values (``api_values``), which entity it
is (``entities``), its row or why not (``records``), the bulk upsert
(``bulk_upsert``), the pages records come in (``pages``).

May import ``platform_db`` and ``servicetitan.enums``. Nothing here (this
``__init__`` included) imports more than the standard library at import
time of ``api_values``: it runs under the oldest Python the project claims.
"""
