from platform_db.cli import CommandError, command, without_pending_count


@without_pending_count
@command
async def check(skip_schema: bool = False):
    """
    For CI and deploys: exit status 0 when the table classes, the migration
    files and the database agree; else the sum of what was found:
    4 table classes differ from their migrations (what --auto would
    generate, constraint / index definitions, an index not named as
    Piccolo names it), 8 migrations pending, 16 applied migrations whose
    file is gone, 32 the database's schema differs from what its applied
    migrations build (printed as a diff; built on a scratch database on
    $PLATFORM_SCRATCH_SERVER, else on the database's own server, which must
    let the role create databases; kept by the migration files'
    fingerprint in $PLATFORM_CACHE_DIR, else .platform-cache/). Column
    order, and months kept by maintain_partitions --keep_tables, are said,
    not counted. 1 and 2 keep their meaning: the check could not run, a
    bad argument.

    :param skip_schema:
        Leave out the schema comparison (no scratch database needed).
    """
    from platform_db.migrations.schema_check import KINDS, SchemaCheckError
    from platform_db.migrations.schema_check import check as run_check

    try:
        report = await run_check(schema=not skip_schema)
    except SchemaCheckError as exc:
        raise CommandError(str(exc)) from None
    if not report.findings:
        for note in report.notes:
            print(note)
        print("check: table classes, migration files and the database agree")
        return
    print(report.text())
    failure = CommandError(
        "check found: "
        + "; ".join(KINDS[kind] for kind in sorted(report.findings))
        + f" (exit status {report.exit_code})"
    )
    failure.exit_code = report.exit_code
    raise failure
