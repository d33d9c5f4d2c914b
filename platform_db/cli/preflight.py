"""A project command's arguments checked before Piccolo's CLI opens the
database.

Before it runs any command, ``piccolo`` counts the migrations not yet applied
(``CheckMigrationManager.havent_ran_count``, one connection per migration), so
a command refused for its arguments had already connected, and on the
embedded default started the server (about a second). The platform app
(``platform_db/piccolo_app.py``) wraps that count: when the command line
names a project command (one made by ``platform_db.cli.command``), its
arguments are checked first, as targ will hand them over, and a refusal ends
the run there with its one line and exit status 2, the database untouched.
Any other command line goes straight to the count. A command marked
``without_pending_count`` skips it: one that never opens the configured
database (``platform sql``, ``platform lint``), or reports pending migrations
itself (``platform check``); Piccolo's warning would only be noise there.
Any other command gets Piccolo's count from one query of the migrations
table, not one connection per migration (some fifty, before every command).
"""

from __future__ import annotations

import inspect
import sys
from typing import Any, Callable

from piccolo.apps.migrations.commands.check import CheckMigrationManager

from platform_db.cli.command_line import report
from platform_db.values.arguments import UsageError


def _command_for(argv: list[str]) -> tuple[Callable, list[str]] | None:
    """The project command ``piccolo <app> <command> ...`` names, and the
    rest of the line; None for anything else."""
    from piccolo.conf.apps import Finder

    if len(argv) < 3:
        return None
    app_name, command_name, *rest = argv[1:]
    try:
        app = Finder().get_app_config(app_name)
    except Exception:  # not an app of the registry (or a Piccolo app's name)
        return None
    for one in app.get_commands():
        names = {one.command_name or one.callable.__name__, *one.aliases}
        if command_name in names and hasattr(one.callable, "check_arguments"):
            return one.callable, rest
    return None


def _as_targ_gives(func: Callable, rest: list[str]) -> dict[str, Any]:
    """The keyword arguments targ will call ``func`` with: ``--name=value``
    and ``--flag`` by name, the others by position (targ's own reading)."""
    from targ import CLI

    rest = [arg for arg in rest if arg != "--trace"]  # targ takes it for itself
    given = CLI()._get_arg_class(rest)
    names = inspect.getfullargspec(func).args
    if len(given.args) > len(names):
        raise UsageError(
            f"too many arguments: {' '.join(map(str, given.args[len(names):]))!r} "
            f"(usage: {func.__name__} {' '.join(names)})"
        )
    return {**given.kwargs, **dict(zip(names, given.args))}


def check_command_line(argv: list[str] | None = None) -> None:
    """Exit with the refusal if the command line's project command would
    refuse its arguments."""
    argv = sys.argv if argv is None else argv
    found = _command_for(argv)
    if found is None:
        return
    func, rest = found
    try:
        given = _as_targ_gives(func, rest)
        if given.get("help"):
            return  # targ prints the command's help instead of calling it
        func.check_arguments(given)
    except UsageError as exc:
        sys.exit(report(exc))


def without_pending_count(func: Callable) -> Callable:
    """Mark the ``@command`` ``func`` as one Piccolo's CLI runs without
    counting the pending migrations first."""
    func.skips_pending_count = True
    return func


async def pending_count(manager: CheckMigrationManager) -> int:
    """What Piccolo's ``havent_ran_count`` counts (its table made first, as
    it does): the migrations of ``manager.app_name`` (or ``all``) that the
    migrations table does not list for their app."""
    from piccolo.apps.migrations.tables import Migration

    await manager.create_migration_table()
    ran = {
        (row["app_name"], row["name"])
        for row in await Migration.select(Migration.app_name, Migration.name)
    }
    pending = 0
    for app_module in manager.get_app_modules():
        app_config = app_module.APP_CONFIG
        if manager.app_name not in ("all", app_config.app_name):
            continue
        modules = manager.get_migration_modules(app_config.resolved_migrations_folder_path)
        pending += sum(
            (app_config.app_name, migration_id) not in ran
            for migration_id in manager.get_migration_ids(modules)
        )
    return pending


async def havent_ran_count(self: CheckMigrationManager) -> int:
    check_command_line()
    found = _command_for(sys.argv)
    if found is not None and getattr(found[0], "skips_pending_count", False):
        return 0
    return await pending_count(self)


def install() -> None:
    """Idempotent: the platform app may be loaded more than once."""
    CheckMigrationManager.havent_ran_count = havent_ran_count
