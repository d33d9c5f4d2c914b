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
    concurrent_lock_timeout: Annotated[str, duration("concurrent_lock_timeout")] = "",
    wait: Annotated[int, Bounds(0, 86_400)] = 600,
    ignore_lint: bool = False,
):
    """
    Apply every pending migration of every app, once, even when several
    instances run this at the same time (a PostgreSQL advisory lock
    serialises them). The pending migrations are linted first: an unsafe
    statement not acknowledged stops the deploy before anything runs. The
    deploy command; prefer it to plain `piccolo migrations forwards all` in
    production.

    :param lock_timeout:
        How long a statement may wait for a table lock before it gives up
        and is tried again (every writer of the table waits behind it
        meanwhile), e.g. 100ms or 2s (default: $PLATFORM_LOCK_TIMEOUT, else
        100ms).
    :param statement_timeout:
        How long one statement of a migration may run, e.g. 30min (default:
        $PLATFORM_STATEMENT_TIMEOUT, else 30min).
    :param attempts:
        How many times a statement that gave up on a lock is tried, 1-20
        (default: $PLATFORM_LOCK_ATTEMPTS, else 10).
    :param concurrent_lock_timeout:
        The lock timeout of CREATE / DROP INDEX CONCURRENTLY, VALIDATE
        CONSTRAINT and other statements writers do not wait for, which wait
        for every older transaction (default:
        $PLATFORM_CONCURRENT_LOCK_TIMEOUT, else 10min).
    :param wait:
        How many seconds to wait for another process's migration run, 0-86400.
    :param ignore_lint:
        Deploy even when the lint finds unsafe statements in the pending
        migrations.
    """
    from platform_db.migrations.deploy import migrate as run_migrate
    from platform_db.migrations.runner import MigrationError, Timeouts
    from platform_db.values.durations import InvalidDuration

    try:
        timeouts = Timeouts.from_environment(
            lock_timeout=lock_timeout,
            statement_timeout=statement_timeout,
            attempts=attempts or None,
            concurrent_lock_timeout=concurrent_lock_timeout,
        )
    except InvalidDuration as exc:
        raise UsageError(f"{exc} (nothing was run)") from None
    try:
        applied = await run_migrate(timeouts, wait_seconds=wait, lint=not ignore_lint)
    except MigrationError as exc:
        raise CommandError(f"migrate failed: {exc}") from exc
    if applied:
        print(f"migrations applied by this run: {len(applied)}")
    else:
        print("nothing left to do: every migration has run")
