from typing import Annotated

from platform_db.cli import UsageError, command
from platform_db.migrations.runner import app_argument


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
    database is not used.

    :param app:
        The app, e.g. business; all for every app, in the order
        `piccolo migrations forwards all` runs them.
    :param migration_id:
        One migration's ID (default: every migration of the app, oldest
        first; newest first with --backwards).
    :param backwards:
        The SQL that reverses it instead.
    """
    from platform_db.migrations.capture import capture, migration_table_sql
    from platform_db.migrations.runner import all_migration_files, migration_files

    if app == "all" and migration_id:
        raise UsageError("a migration id needs its app, not all")
    files = all_migration_files() if app == "all" else migration_files(app)
    if migration_id:
        chosen = [f for f in files if f.migration_id == migration_id]
        if not chosen:
            ids = ", ".join(f.migration_id for f in files[-3:])
            raise UsageError(f"{app} has no migration {migration_id!r} (its newest: {ids})")
    else:
        chosen = list(reversed(files)) if backwards else files
    captured = await capture([(f, backwards) for f in chosen])
    order = {(f.app, f.migration_id): i for i, f in enumerate(chosen)}
    captured.sort(key=lambda c: order[(c.file.app, c.file.migration_id)])
    command_line = " ".join(
        ["piccolo platform sql", app, migration_id, "--backwards" if backwards else ""]
    ).split()
    print(f"-- {' '.join(command_line)}: the SQL `piccolo platform migrate` runs for it")
    print('-- apply with: psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f <this file>')
    print(migration_table_sql() + "\n")
    print("\n".join(c.script() for c in captured), end="")
