"""Shared machinery of the project's Piccolo apps: where the database is,
how secrets are encrypted, how enums become CHECK constraints and how raw
SQL steps are added to migrations."""
