from typing import Annotated

from platform_db.cli import Bounds, Check, CommandError, UsageError, command


def duration(setting: str) -> Check:
    """A PostgreSQL duration within ``setting``'s limits, or "" (not given)."""

    def rule(label: str, text: str) -> str:
        from platform_db.migrations.runner import setting_value
        from platform_db.values.durations import InvalidDuration

        if text == "":
            return text
        try:
            return setting_value(setting, label, text)
        except InvalidDuration as exc:
            raise UsageError(f"{exc} (nothing was run)") from None

    return Check(rule)


@command
async def migrate(
    lock_timeout: Annotated[str, duration("lock_timeout")] = "",
    statement_timeout: Annotated[str, duration("statement_timeout")] = "",
    attempts: Annotated[int, Bounds(1, 20)] = 0,
    wait: Annotated[int, Bounds(0, 86_400)] = 600,
):
    """
    Apply every pending migration of every app, once, even when several
    instances run this at the same time (a PostgreSQL advisory lock
    serialises them). The deploy command; prefer it to plain
    `piccolo migrations forwards all` in production.

    :param lock_timeout:
        How long a migration may wait for a table lock before it gives up
        and is tried again, e.g. 5s or 500ms (default: $PLATFORM_LOCK_TIMEOUT,
        else 5s).
    :param statement_timeout:
        How long one statement of a migration may run, e.g. 30min (default:
        $PLATFORM_STATEMENT_TIMEOUT, else 30min).
    :param attempts:
        How many times a migration that gave up on a lock is tried, 1-20
        (default: $PLATFORM_LOCK_ATTEMPTS, else 4).
    :param wait:
        How many seconds to wait for another process's migration run, 0-86400.
    """
    from platform_db.migrations.deploy import migrate as run_migrate
    from platform_db.migrations.runner import MigrationError, Timeouts
    from platform_db.values.durations import InvalidDuration

    try:
        timeouts = Timeouts.from_environment(
            lock_timeout=lock_timeout,
            statement_timeout=statement_timeout,
            attempts=attempts or None,
        )
    except InvalidDuration as exc:
        raise UsageError(f"{exc} (nothing was run)") from None
    try:
        applied = await run_migrate(timeouts, wait_seconds=wait)
    except MigrationError as exc:
        raise CommandError(f"migrate failed: {exc}") from exc
    if applied:
        print(f"migrations applied by this run: {len(applied)}")
    else:
        print("nothing left to do: every migration has run")
