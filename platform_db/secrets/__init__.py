"""Secrets at rest: Fernet encryption, re-encryption under the newest key,
secret columns left out of a default select.
May import ``platform_db.values`` and ``platform_db.database``.
"""
