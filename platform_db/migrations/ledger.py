"""What a migration outside a transaction has done so far: the statements
that committed, in order. Such a migration commits statement by statement,
so a failure half way leaves the ones before it in place; the runner's
message names them (``platform_db.migrations.runner.MigrationFailed``),
so that what it says stays is what stays.

Every statement of such a migration runs on a connection the ledger hears
(``platform_db.migrations.steps.own_session``, the generated operations of
``platform_db.migrations.hooks``); a statement inside an explicit
``BEGIN`` ... ``COMMIT`` counts once its transaction committed.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from platform_db.migrations.sessions import BOOKKEEPING

_current: contextvars.ContextVar[Ledger | None] = contextvars.ContextVar(
    "platform_migration_ledger", default=None
)


def _one_line(sql: str, width: int = 100) -> str:
    lines = [line.strip() for line in sql.splitlines()]
    text = " ".join(line for line in lines if line and not line.startswith("--"))
    return text if len(text) <= width else text[: width - 3] + "..."


class Ledger:
    def __init__(self) -> None:
        self.done: list[str] = []

    def committed(self, sql: str) -> None:
        self.done.append(_one_line(sql))

    def listener(self):
        """An asyncpg query logger for one connection
        (``Connection.add_query_logger``)."""
        open_transaction: list[list[str]] = []

        def hear(record) -> None:
            sql = record.query.strip()
            if record.exception is not None or not sql or sql.startswith(BOOKKEEPING.strip()):
                return
            word = sql.split(None, 1)[0].rstrip(";").upper()
            if word in ("BEGIN", "START"):
                open_transaction[:] = [[]]
            elif word == "COMMIT" and open_transaction:
                self.done.extend(open_transaction.pop())
            elif word == "ROLLBACK":
                open_transaction.clear()
            elif word in ("SET", "SHOW"):
                return
            elif open_transaction:
                open_transaction[0].append(_one_line(sql))
            else:
                self.committed(sql)

        return hear

    def summary(self) -> str:
        if not self.done:
            return "none of its statements had committed"
        counted: dict[str, int] = {}
        for sql in self.done:
            counted[sql] = counted.get(sql, 0) + 1
        listed = "; ".join(f"`{sql}`" + (f" (x{n})" if n > 1 else "") for sql, n in counted.items())
        return f"{len(self.done)} of its statements had committed and stay: {listed}"


@contextmanager
def keeping(ledger: Ledger) -> Iterator[Ledger]:
    token = _current.set(ledger)
    try:
        yield ledger
    finally:
        _current.reset(token)


def current() -> Ledger | None:
    return _current.get()
