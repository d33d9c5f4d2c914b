from platform_db.cli import CommandError, command, without_pending_count


@without_pending_count
@command
async def lint(show_baselined: bool = False):
    """
    Judge every migration's SQL with Squawk (the rules in .squawk.toml), as
    the migration really runs it, raw steps included; captured on a scratch
    database ($PLATFORM_SCRATCH_SERVER, else the embedded server), never the
    configured one. The migrations in platform_db/migrations/lint_baseline.txt landed
    before this check and are not judged. A migration whose SQL depends on
    the rows is judged on what it ran on the empty scratch database, and
    said so. Exit status 1 when something is found.

    :param show_baselined:
        Also print what Squawk finds in the baselined migrations.
    """
    from platform_db.migrations.lint import (
        LintError,
        acknowledgement,
        metadata_only_line,
        partly_seen,
    )
    from platform_db.migrations.lint import lint as run_lint

    try:
        report = await run_lint()
    except LintError as exc:
        raise CommandError(str(exc)) from None
    shown = report.findings + (report.baselined if show_baselined else [])
    for finding in shown:
        print(finding)
    for finding in report.acknowledged:
        print(acknowledgement(finding))
    for change in report.metadata_only:
        print(metadata_only_line(*change))
    for problem in report.problems:
        print(problem)
    for migration in report.partial:
        print(partly_seen(migration))
    migrations = {(f.migration.file.app, f.migration.file.migration_id) for f in report.findings}
    print(
        f"lint: {report.judged} migration(s) judged, {len(report.findings)} finding(s) in "
        f"{len(migrations)}; {len({(f.migration.file.app, f.migration.file.migration_id) for f in report.baselined})} "
        f"baselined migration(s) not judged ({len(report.baselined)} finding(s))"
        + (f"; {len(report.partial)} judged only in part" if report.partial else "")
        + (f"; {len(report.acknowledged)} acknowledged" if report.acknowledged else "")
    )
    if not report.clean:
        raise CommandError(
            f"lint found {len(report.findings)} problem(s) in {len(migrations)} migration(s)"
            + (
                f" and {len(report.problems)} in the baseline or the acknowledgements (above)"
                if report.problems
                else ""
            )
        )
