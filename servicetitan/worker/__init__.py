"""Scheduled ServiceTitan syncs on a PostgreSQL task queue (procrastinate).

- ``settings``: how often each feed is synced and how the queue behaves,
  from the environment;
- ``queue``: the procrastinate app and its connection;
- ``jobs``: the sync job itself (one run of one feed of one credential),
  its locks, retries and cooperative stop;
- ``schedule``: which feeds are due, and queueing them;
- ``recovery``: jobs of dead workers found and run again, their sync logs
  closed as failed;
- ``periodic``: what a tick does (due feeds, stalled jobs, gauges), and
  the hourly purge of finished jobs;
- ``metrics``: what the worker serves to Prometheus;
- ``overview``: the queue as the admin shows it;
- ``runner``: ``piccolo servicetitan worker``.

May import ``platform_db``, ``servicetitan.enums``, ``servicetitan.tables``,
``servicetitan.cache``, ``servicetitan.api`` and ``servicetitan.sync``.
"""
