"""Secret columns left out of a table's ``select()`` unless asked for.

Piccolo marks a column ``secret=True`` but still returns it from a plain
``select()``: ``exclude_secrets`` defaults to False. A table class with this
mixin flips that default, so a service's ``await Table.select()`` (or a
debugging session's) never carries a token or a ciphertext; naming the
columns with ``exclude_secrets=False`` returns them. ``objects()`` is
unchanged: it builds whole rows, and piccolo_api's session lookup relies on
it.
"""

from __future__ import annotations


class SecretsLeftOut:
    """Mixin (before ``Table``): ``select()`` leaves ``secret=True`` columns out."""

    @classmethod
    def select(cls, *columns, exclude_secrets: bool = True):
        """Like ``Table.select``, but secrets are left out unless asked for."""
        named = [getattr(getattr(c, "_meta", None), "name", None) for c in columns]
        secret = {c._meta.name for c in cls._meta.secret_columns}
        if exclude_secrets and named and set(named) <= secret:
            # Piccolo would drop every column and send "SELECT ALL FROM ...".
            raise ValueError(
                f"{cls._meta.tablename}: {', '.join(named)} selected with "
                "exclude_secrets=True; pass exclude_secrets=False"
            )
        return super().select(*columns, exclude_secrets=exclude_secrets)
