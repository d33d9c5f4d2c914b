"""The multi-tenant weekly reporting schema (seed 003)."""
