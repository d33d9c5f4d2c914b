"""Migrations that are safe on a live database: raw and online steps, the
runner every path shares, deploy, rollback, capture, lint and the checks.
May import ``platform_db.values`` and ``platform_db.database``.
"""
