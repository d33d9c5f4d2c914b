from typing import Annotated

from platform_db.cli import Check, CommandError, UsageError, command, confirm
from platform_db.migrations.runner import app_argument


def migration_count(label: str, count: str) -> str:
    if count != "all" and not (count.isdigit() and int(count) > 0):
        raise UsageError(
            f"{label} must be a whole number of migrations (at least 1) or all, not {count!r}"
        )
    return count


@command
async def rollback(
    app: Annotated[str, app_argument()],
    count: Annotated[str, Check(migration_count)],
    yes: bool = False,
):
    """
    Reverse the newest migrations of an app: checked first (refused, with
    nothing changed, while a migration of an app that depends on it needs
    them, or while the data present would stop a backwards half way), then
    reversed together (all or none). Shows what it costs (data that will not
    come back, rewrites, scans) and asks first.

    :param app:
        The app, e.g. business.
    :param count:
        How many of its newest migrations to reverse, or all.
    :param yes:
        Go ahead without asking (for scripts), once the plan has been read.
    """
    from platform_db.migrations.rollback import execute_rollback, plan_rollback
    from platform_db.migrations.runner import MigrationError, Timeouts

    try:
        timeouts = Timeouts.from_environment()
        plan = await plan_rollback(app, count, timeouts)
        if not plan.files:
            print(f"nothing to reverse: {app} has no applied migration")
            return
        refusal = plan.refusal()
        if refusal:
            raise CommandError(refusal)
        confirm(plan.describe(), yes, action=f"reverse {len(plan.files)} migration(s) of {app}")
        await execute_rollback(plan, timeouts)
    except MigrationError as exc:
        raise CommandError(f"rollback failed: {exc}") from exc
    print(f"reversed {len(plan.files)} migration(s) of {app}")
