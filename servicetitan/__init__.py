"""The ServiceTitan app: client credentials that obtain their own tokens,
export feeds synced into a cache of each tenant's records, and the logs of
those syncs. Piccolo's places stay where Piccolo wants them
(``piccolo_app.py``, ``tables.py``: the credentials and sync logs,
``enums.py``: their Choices, ``commands/``, ``piccolo_migrations/``); the
rest is in packages, in layers; a package may import the ones listed
before it, never one after it:

- ``cache``: the ``raw`` schema's tables (``raw_tables``) and how an API
  record becomes a cached row: its values (``api_values``), which entity it
  is (``entities``), its row (``records``), the bulk upsert
  (``bulk_upsert``), page envelopes (``pages``), promoted columns derived
  again for rows already cached (``backfill``).
- ``api``: talking to ServiceTitan: configuration (``settings``), errors,
  the credential's token lifecycle (``tokens``, ``auth``), the rate limit
  (``limits``), retries (``retries``), the HTTP client and its export feeds
  (``client``, ``feeds``).
- ``sync``: a sync run into the cache (``run``: pages in, a sync log out)
  and the live sync of an export feed (``feeds``: one transaction a page,
  resumed where it stopped; ``locks``: one sync of a tenant at a time).
- ``worker``: scheduled syncs on a PostgreSQL task queue (procrastinate):
  the schedule, the sync job with its locks and retries, stalled-job
  recovery, the worker process (``piccolo servicetitan worker``), its
  metrics and the queue as the admin shows it.

``fake`` (a fake ServiceTitan for tests and trying the project) imports
none of them.
"""
