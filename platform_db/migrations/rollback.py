"""Reversing an app's newest migrations so that a rollback never half-happens.

Checked before anything changes: a rollback is refused while an app that
depends on this one (directly or not, by ``migration_dependencies``) has
migrations applied after the first one to reverse, since they may rely on
what it built; the refusal names them and the command that reverses them
first. Then the migrations are reversed newest first in one transaction, so
either all of them are reversed or none (a migration that runs outside a
transaction, ``CREATE INDEX CONCURRENTLY``, is reversed on its own between
those transactions).

``piccolo platform rollback`` and Piccolo's own ``piccolo migrations
backwards`` (through ``platform_db.migrations.hooks``) both come here.
"""

from __future__ import annotations

from dataclasses import dataclass

from piccolo.conf.apps import Finder

from platform_db.migrations.runner import (
    Applied,
    MigrationError,
    MigrationFile,
    Timeouts,
    app_names,
    applied_migrations,
    apply,
    apply_together,
    migration_files,
)


class RollbackRefused(MigrationError):
    """Nothing was changed; the message says why and what to do first."""


@dataclass(frozen=True)
class Blocker:
    app: str
    count: int  # its migrations applied after the first one to reverse


@dataclass
class RollbackPlan:
    app: str
    files: list[MigrationFile]  # newest first
    blockers: list[Blocker]  # the most dependent app first
    drops: list[str]

    def refusal(self) -> str | None:
        if not self.blockers:
            return None
        names = ", ".join(f"{b.app} ({b.count} migration(s))" for b in self.blockers)
        first = "; then ".join(
            f"`piccolo platform rollback {b.app} {b.count}`" for b in self.blockers
        )
        return (
            f"refused: reversing {self.app} would remove what migrations of apps that depend "
            f"on it were built on: {names} applied after its first migration to reverse. "
            f"Reverse those first: {first}. Nothing was changed"
        )

    def describe(self) -> str:
        lines = [f"reverse {len(self.files)} migration(s) of {self.app}, newest first:"]
        lines += [f"  {f.migration_id}  {f.description}" for f in self.files]
        if self.drops:
            lines.append("this drops, with their data, or undoes:")
            lines += [f"  {drop}" for drop in self.drops]
        return "\n".join(lines)


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


async def plan_rollback(app: str, selection: str) -> RollbackPlan:
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
    blockers = []
    if chosen:
        first = min(a.serial for a in chosen)
        for name in dependents(app):
            later = [a for a in applied if a.app == name and a.serial > first]
            if later:
                blockers.append(Blocker(name, len(later)))
    newest_first = [files[a.migration_id] for a in reversed(chosen)]
    return RollbackPlan(app, newest_first, blockers, await _drops(newest_first))


async def _drops(files: list[MigrationFile]) -> list[str]:
    drops = []
    for file in files:
        manager = await file.manager()
        if manager is None:
            continue
        drops += [f"table {_name(t.schema, t.tablename)}" for t in manager.add_tables]
        drops += [
            f"column {_name(c.schema, c.tablename)}.{c.column._meta.db_column_name}"
            for c in manager.add_columns.add_columns
        ]
        if manager.raw_backwards:
            drops.append(
                f"what the {len(manager.raw_backwards)} raw SQL step(s) of {file.description} "
                "undo (read their backwards SQL: `piccolo platform sql "
                f"{file.app} {file.migration_id} --backwards`)"
            )
    return drops


def _name(schema: str | None, table: str) -> str:
    return f"{schema or 'public'}.{table}"


async def execute_rollback(plan: RollbackPlan, timeouts: Timeouts) -> None:
    refusal = plan.refusal()
    if refusal:
        raise RollbackRefused(refusal)
    together: list[MigrationFile] = []
    for file in plan.files:
        manager = await file.manager()
        if manager is None or manager.wrap_in_transaction:
            together.append(file)
            continue
        if together:
            await apply_together(together, timeouts, backwards=True)
            together = []
        await apply(file, timeouts, backwards=True)
    if together:
        await apply_together(together, timeouts, backwards=True)
