"""The rules a value must meet and the exceptions that say it does not: what
PostgreSQL would refuse, checked and explained first (``DataRejected``).
Imports nothing of ``platform_db``: every other package builds on it.
"""
