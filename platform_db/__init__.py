"""Shared machinery of the project's Piccolo apps, in layers; a package may
import the ones listed before it, never one after it:

- ``values``: the rules a value must meet and the exceptions that say it
  does not (``DataRejected``, Choices CHECKs, JSON text, durations, the UTC
  clock, a command argument's bounds).
- ``database``: where the database is and how to reach it (the engine, the
  embedded server, the pooler, replicas and read routing, raw connections,
  scratch databases, catalog snapshots).
- ``secrets``: encryption at rest, key rotation, secret columns left out of
  default selects.
- ``migrations``: migrations that are safe on a live database (raw SQL and
  online steps, the runner and Piccolo's hooks, capture, deploy, rollback,
  lint, the drift and schema checks).
- ``cli``: how every project command meets its user (``@command``, prompts,
  the preflight).
- ``commands``: ``piccolo platform <command>``; ``piccolo_app`` registers them.
"""
