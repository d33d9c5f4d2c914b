"""Reversing an app's newest migrations so that a rollback never half-happens.

Checked before anything changes, and refused with nothing changed:

- what truly depends on them: when apps that depend on this one
  (``migration_dependencies``, directly or not) have migrations applied after
  the first one to reverse, the database's history is replayed on a scratch
  database without the migrations to reverse; a migration that no longer
  builds needs them, and the refusal names its app and the command that
  reverses it first. One that still builds does not stand in the way, so a
  migration can be rolled back alone on a database built by ``forwards all``;
- what the backwards needs of the data present (a narrower CHECK, a NOT
  NULL, a unique index, ...: ``platform_db.migrations.rollback_plan``), which
  would stop it half way.

The plan also says what the rollback costs (data that will not come back,
rewrites, scans under a lock, Squawk on the backwards SQL). Then the
migrations are reversed newest first in one transaction, so either all of
them are reversed or none; a migration that runs outside a transaction
(``CREATE INDEX CONCURRENTLY``) is reversed on its own between those
transactions, and a failure says which migrations were reversed and which
stay applied.

``piccolo platform rollback`` and Piccolo's own ``piccolo migrations
backwards`` (through ``platform_db.migrations.hooks``) both come here.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from dataclasses import dataclass

import asyncpg
from piccolo.conf.apps import Finder

from platform_db.database.scratch import (
    piccolo_on,
    scratch_database,
    scratch_server,
    server_version,
)
from platform_db.migrations import cache
from platform_db.migrations.fingerprints import digest, migration_chain
from platform_db.migrations.rollback_plan import Analysis, PlanFailed, analyse
from platform_db.migrations.runner import (
    Applied,
    MigrationError,
    MigrationFile,
    Timeouts,
    all_migration_files,
    app_names,
    applied_migrations,
    apply,
    apply_together,
    ensure_migration_table,
    migration_files,
)


class RollbackRefused(MigrationError):
    """Nothing was changed; the message says why and what to do first."""


@dataclass(frozen=True)
class Blocker:
    app: str
    count: int  # its migrations to reverse first: from the one that needs ours to its newest
    needing: str  # that migration, and why it does not build without ours


@dataclass
class RollbackPlan:
    app: str
    files: list[MigrationFile]  # newest first
    blockers: list[Blocker]  # the most dependent app first
    analysis: Analysis | None = None
    problem: str | None = None  # why the rollback could not be planned

    def refusal(self) -> str | None:
        if self.blockers:
            names = ", ".join(f"{b.app} ({b.count} migration(s))" for b in self.blockers)
            first = "; then ".join(
                f"`piccolo platform rollback {b.app} {b.count}`" for b in self.blockers
            )
            why = "; ".join(b.needing for b in self.blockers)
            return (
                f"refused: reversing {self.app} would remove what migrations of apps that depend "
                f"on it were built on: {names} ({why}). Reverse those first: {first}. "
                "Nothing was changed"
            )
        if self.problem:
            return (
                f"refused: the rollback could not be planned ({self.problem}). Nothing was changed"
            )
        if self.analysis is not None and self.analysis.obstacles:
            return (
                "refused: "
                + "; ".join(str(o) for o in self.analysis.obstacles)
                + ". Nothing was changed (the rollback was checked whole before its first step): "
                "change those rows first, or leave the migration applied and fix forwards"
            )
        return None

    def describe(self) -> str:
        lines = [f"reverse {len(self.files)} migration(s) of {self.app}, newest first:"]
        outside = (
            {c.file.label for c in self.analysis.migrations if not c.transactional}
            if (self.analysis)
            else set()
        )
        lines += [
            f"  {f.migration_id}  {f.description}"
            + (
                "  (outside a transaction: its statements commit one by one)"
                if f.label in outside
                else ""
            )
            for f in self.files
        ]
        if self.analysis is None:
            return "\n".join(lines)
        costs = [m for m in self.analysis.migrations if m.lines]
        if costs:
            lines.append("what its backwards SQL does to the data (read before anything runs):")
            for migration in costs:
                lines.append(f"  {migration.file.description}:")
                lines += [f"    {line}" for line in migration.lines]
        findings = [f for m in self.analysis.migrations for f in m.findings]
        if findings:
            lines.append("Squawk on the backwards SQL:")
            lines += [
                f"  {f.migration.file.description}: {f.rule}: {f.statement}" for f in findings
            ]
        lines.append(f"(the SQL itself: `piccolo platform sql {self.app} <ID> --backwards`)")
        return "\n".join(lines)


class RollbackFailed(MigrationError):
    pass


def dependents(app: str) -> list[str]:
    """Apps that depend on ``app``, directly or not, most dependent first."""
    finder = Finder()
    depends_on = {
        name: {c.app_name for c in finder.get_app_config(name).migration_dependency_app_configs}
        for name in app_names()
    }
    found = {app}
    changed = True
    while changed:
        changed = False
        for name, needs in depends_on.items():
            if name not in found and needs & found:
                found.add(name)
                changed = True
    return [name for name in reversed(app_names()) if name in found and name != app]


def _select(app: str, ran: list[Applied], selection: str) -> list[Applied]:
    """Piccolo's choices: ``all``, a count ``n`` (``1`` is the newest), or a
    migration ID (it and every newer one)."""
    if selection == "all":
        return ran
    if selection.isdigit():
        return ran[-int(selection) :] if int(selection) else []
    ids = [a.migration_id for a in ran]
    if selection not in ids:
        raise RollbackRefused(
            f"{app} has no applied migration {selection!r}; applied: {', '.join(ids) or 'none'}"
        )
    return ran[ids.index(selection) :]


async def plan_rollback(app: str, selection: str, timeouts: Timeouts | None = None) -> RollbackPlan:
    timeouts = timeouts or Timeouts.from_environment()
    applied = await applied_migrations()
    chosen = _select(app, [a for a in applied if a.app == app], selection)
    files = {f.migration_id: f for f in migration_files(app)}
    missing = [a.migration_id for a in chosen if a.migration_id not in files]
    if missing:
        raise RollbackRefused(
            f"{app} {missing[0]} is applied but its migration file is gone, so it cannot be "
            "reversed; restore the file (or remove its record with `piccolo migrations clean` "
            "if the schema no longer has what it built). Nothing was changed"
        )
    newest_first = [files[a.migration_id] for a in reversed(chosen)]
    plan = RollbackPlan(app, newest_first, [])
    try:
        plan.blockers = await _blockers(app, chosen, applied)
    except Exception as exc:  # the scratch database could not be had
        plan.problem = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        return plan
    if newest_first and not plan.blockers:
        try:
            plan.analysis = await analyse(newest_first, timeouts)
        except PlanFailed as exc:
            plan.problem = str(exc)
    return plan


async def _blockers(app: str, chosen: list[Applied], applied: list[Applied]) -> list[Blocker]:
    """The apps whose applied migrations need ``chosen``: replayed without
    them on a scratch database, the first migration of each that fails.

    What the replay finds depends only on the migrations replayed, in their
    order, the machinery that runs them and the scratch server: it is kept
    (``platform_db.migrations.cache``) by the fingerprint of those, so that
    planning the same rollback again costs no replay, however long the
    history."""
    if not chosen:
        return []
    first = min(a.serial for a in chosen)
    candidates = dependents(app)
    if not any(a.app in candidates and a.serial > first for a in applied):
        return []
    files = {(f.app, f.migration_id): f for f in all_migration_files()}
    leave_out = {(a.app, a.migration_id) for a in chosen}
    replayed = [
        files[(a.app, a.migration_id)]
        for a in applied
        if (a.app, a.migration_id) in files and (a.app, a.migration_id) not in leave_out
    ]
    server = scratch_server()
    key = digest(
        "blockers",
        server,
        str(await server_version(server)),
        *migration_chain(replayed)[-1:],
    )
    failed = cache.load("blockers", key)
    if failed is None:
        failed, settled = await _replay(replayed)
        if settled:
            cache.store("blockers", key, failed)
    serial = {(a.app, a.migration_id): a.serial for a in applied}
    found = {}
    for name, (migration_id, needing) in failed.items():
        count = sum(
            1 for a in applied if a.app == name and a.serial >= serial[(name, migration_id)]
        )
        found[name] = Blocker(name, count, needing)
    order = candidates + sorted(set(found) - set(candidates))
    return [found[name] for name in order if name in found]


# Failures that say something about the moment, not the migrations: a
# replay that met one is not kept.
TRANSIENT = (
    asyncpg.QueryCanceledError,  # statement_timeout on a busy server
    asyncpg.LockNotAvailableError,
    asyncpg.OperatorInterventionError,  # the server shutting down, the session killed
    asyncpg.InsufficientResourcesError,
)


async def _replay(replayed: list[MigrationFile]) -> tuple[dict[str, tuple[str, str]], bool]:
    """``replayed`` run in order on a scratch database through the runner,
    an app's migrations left out after its first that fails: for each such
    app, that migration's ID and why it failed; and whether that answer is
    settled by the migrations alone (every failure an error PostgreSQL
    raised about what they run, none about the moment), so it may be kept."""
    failed: dict[str, tuple[str, str]] = {}
    settled = True
    async with scratch_database("platform_rollback") as url:
        with piccolo_on(url) as engine, redirect_stdout(io.StringIO()):
            await engine.start_connection_pool(min_size=1, max_size=2)
            try:
                await ensure_migration_table()
                for file in replayed:
                    if file.app in failed:
                        continue
                    try:
                        await apply(file, Timeouts(attempts=1))
                    except MigrationError as exc:
                        cause = exc.__cause__ or exc
                        settled &= isinstance(cause, asyncpg.PostgresError) and not isinstance(
                            cause, TRANSIENT
                        )
                        reason = " ".join(f"{type(cause).__name__}: {cause}".split())[:300]
                        failed[file.app] = (file.migration_id, f"{file.label}: {reason}")
            finally:
                await engine.close_connection_pool()
    return failed, settled


async def execute_rollback(plan: RollbackPlan, timeouts: Timeouts) -> None:
    refusal = plan.refusal()
    if refusal:
        raise RollbackRefused(refusal)
    # Runs of transactional migrations go together, in one transaction each.
    groups: list[tuple[bool, list[MigrationFile]]] = []
    for file in plan.files:
        transactional = await file.transactional()
        if transactional and groups and groups[-1][0]:
            groups[-1][1].append(file)
        else:
            groups.append((transactional, [file]))
    done: list[MigrationFile] = []
    for transactional, group in groups:
        try:
            if transactional:
                await apply_together(group, timeouts, backwards=True)
            else:
                await apply(group[0], timeouts, backwards=True)
        except MigrationError as exc:
            raise RollbackFailed(f"{exc}. {_reversed_so_far(plan, done)}") from exc
        done += group


def _reversed_so_far(plan: RollbackPlan, done: list[MigrationFile]) -> str:
    stay = [f for f in plan.files if f not in done]
    reversed_ = ", ".join(f.label for f in done) if done else "none"
    return f"Reversed by this rollback, and recorded so: {reversed_}. Still applied: " + ", ".join(
        f.label for f in stay
    )
