"""Syncing ServiceTitan records into the cache: a logged run of pages into a
cache table (``run``), and the live sync of export feeds (``feeds``: each
page one transaction with its position in the feed, resumed where it
stopped; ``locks``: one sync of a tenant at a time, across processes).

May import ``platform_db``, ``servicetitan.enums``, ``servicetitan.tables``,
``servicetitan.cache`` and ``servicetitan.api``.
"""
