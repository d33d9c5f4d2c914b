from typing import Annotated

from platform_db.cli import CommandError, UsageError, command, without_pending_count
from platform_db.migrations.runner import app_argument


@without_pending_count
@command
async def sql(
    app: Annotated[str, app_argument("all")], migration_id: str = "", backwards: bool = False
):
    """
    Print the exact SQL a migration runs, raw steps included, as a script
    psql can apply (psql "$URL" -v ON_ERROR_STOP=1 -f script.sql): in its
    transaction, with the deploy's timeouts, recorded in the migration
    table. Captured by running the migrations on a scratch database
    ($PLATFORM_SCRATCH_SERVER, else the embedded server); the configured
    database is not used. A migration whose SQL depends on the rows (a
    raw step in Python, DATA_ONLY, ChangeColumnType's batches) runs only
    through `piccolo platform migrate`: it is refused by its ID, and a
    script of several migrations stops before it (exit status 1).

    :param app:
        The app, e.g. business; all for every app, in the order
        `piccolo migrations forwards all` runs them.
    :param migration_id:
        One migration's ID (default: every migration of the app, oldest
        first; newest first with --backwards).
    :param backwards:
        The SQL that reverses it instead.
    """
    from platform_db.migrations.capture import (
        capture,
        migrate_only,
        migration_table_sql,
        only_through,
    )
    from platform_db.migrations.runner import all_migration_files, migration_files

    if app == "all" and migration_id:
        raise UsageError("a migration id needs its app, not all")
    files = all_migration_files() if app == "all" else migration_files(app)
    if not files:
        raise UsageError(f"{app} has no migrations: there is no SQL to print")
    if migration_id:
        chosen = [f for f in files if f.migration_id == migration_id]
        if not chosen:
            ids = ", ".join(f.migration_id for f in files[-3:])
            raise UsageError(f"{app} has no migration {migration_id!r} (its newest: {ids})")
    else:
        chosen = list(reversed(files)) if backwards else files
    unscriptable = await migrate_only(chosen, backwards)
    if migration_id and unscriptable:
        raise UsageError(_refused(chosen[0], unscriptable[chosen[0]], backwards))
    stop = next((i for i, f in enumerate(chosen) if f in unscriptable), len(chosen))
    captured = await capture([(f, backwards) for f in chosen[:stop]])
    order = {(f.app, f.migration_id): i for i, f in enumerate(chosen)}
    captured.sort(key=lambda c: order[(c.file.app, c.file.migration_id)])
    # What a capture itself showed (a value computed as it ran).
    late = next((i for i, c in enumerate(captured) if c.migrate_only), len(captured))
    if late < stop:
        stop = late
        unscriptable[chosen[stop]] = captured[stop].migrate_only
        if migration_id:
            raise CommandError(_refused(chosen[0], unscriptable[chosen[0]], backwards))

    command_line = " ".join(
        ["piccolo platform sql", app, migration_id, "--backwards" if backwards else ""]
    ).split()
    print(f"-- {' '.join(command_line)}: the SQL `piccolo platform migrate` runs for it")
    print('-- apply with: psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f <this file>')
    for file, why in unscriptable.items():
        print(f"-- {file.label} {file.description} {only_through(backwards)}: {'; '.join(why)}")
    print("\\set ON_ERROR_STOP on")
    print(migration_table_sql() + "\n")
    print("\n".join(c.script() for c in captured[:stop]), end="")
    if stop < len(chosen):
        raise _stopped(chosen[stop], unscriptable[chosen[stop]], backwards)


def _refused(file, why: list[str], backwards: bool) -> str:
    from platform_db.migrations.capture import only_through

    record = "as reversed" if backwards else "as applied"
    return (
        f"{file.label} {file.description} {only_through(backwards)}: {'; '.join(why)}. A "
        f"script of it would record it {record} without doing that work"
    )


def _stopped(file, why: list[str], backwards: bool) -> CommandError:
    """The end of a script that stops before ``file`` (a statement that
    fails on purpose, so that psql applies what came before and no more),
    and the command's refusal."""
    from platform_db.migrations.capture import only_through

    what = f"{file.label} {file.description} {only_through(backwards)}"
    if backwards:
        instead = f"`piccolo platform rollback {file.app} <n>` reverses it"
    else:
        instead = "`piccolo platform migrate` applies it and every migration after it"
    print(
        f"\n-- The script stops here: {what}.\n"
        f"-- {instead}.\n"
        "DO $$ BEGIN RAISE EXCEPTION '"
        + f"{what}: this script stops before it".replace("'", "''")
        + "'; END $$;"
    )
    return CommandError(f"the script stops before {what} ({'; '.join(why)}); {instead}")
