"""What ``check`` / ``lint`` / ``sql`` keep is keyed by the files that decide
it: a migration's key covers it, the project modules it imports and every
migration before it; a result seen before is used without any replay (the
scratch server may then be unreachable), and the live database is still read
every time."""

from pathlib import Path
from types import SimpleNamespace

from platform_db.migrations.fingerprints import migration_chain, module_files
from platform_db.migrations.runner import MigrationFile, all_migration_files
from tests.platform.test_sql_command import NOWHERE
from tests.support.commands import run_piccolo
from tests.support.databases import connect


def fake_files(folder: Path, texts: list[str]) -> list[MigrationFile]:
    files = []
    for number, text in enumerate(texts):
        path = folder / f"demo_{number}.py"
        path.write_text(text)
        files.append(MigrationFile("demo", f"id-{number}", SimpleNamespace(__file__=str(path))))
    return files


def test_a_key_stands_for_its_migration_and_every_one_before(tmp_path):
    files = fake_files(tmp_path, ["A = 1\n", "B = 1\n", "C = 1\n"])
    keys = migration_chain(files)
    assert migration_chain(files[:2]) == keys[:2]  # one added at the end: the rest stay
    (tmp_path / "demo_1.py").write_text("B = 2\n")
    module_files.cache_clear()
    changed = migration_chain(files)
    assert changed[0] == keys[0]
    assert changed[1] != keys[1] and changed[2] != keys[2]


def test_a_migration_s_key_covers_the_project_modules_it_imports():
    by_id = {f.migration_id: f for f in all_migration_files()}
    # partition_maintenance_in_short_locks imports partition_lock_order's SQL.
    short_locks = by_id["2026-12-01T10:03:24:840492"].module.__file__
    lock_order = "business_2026_11_22t05_26_00_partition_lock_order.py"
    assert lock_order in {p.name for p in module_files(Path(short_locks).resolve())}
    # platform_db is the machinery, in every key already.
    assert not any("platform_db" in p.parts for p in module_files(Path(short_locks).resolve()))


async def test_what_was_seen_before_is_not_replayed(migrated_copy, tmp_path):
    live = migrated_copy()
    kept = {"PLATFORM_CACHE_DIR": str(tmp_path / "kept")}
    first = run_piccolo("platform", "check", url=live, **kept)
    assert first.returncode == 0, first.stdout + first.stderr
    for args in (["lint"], ["sql", "reporting"]):
        done = run_piccolo("platform", *args, url=NOWHERE, **kept)
        assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "kept" / "captures").is_dir()

    # No scratch database can be made now: nothing may need one.
    nowhere = {**kept, "PLATFORM_SCRATCH_SERVER": NOWHERE}
    for args in (["check"], ["lint"], ["sql", "reporting"]):
        done = run_piccolo("platform", *args, url=live, **nowhere)
        assert done.returncode == 0, done.stdout + done.stderr

    # The database itself is read each time (a difference needs the scratch
    # server again, for the dump round trip).
    conn = await connect(live)
    try:
        await conn.execute("CREATE INDEX hand_made_idx ON public.companies (phone)")
    finally:
        await conn.close()
    done = run_piccolo("platform", "check", url=live, **kept)
    assert done.returncode == 32, done.stdout + done.stderr
    assert "indexes: public.hand_made_idx is not built by any migration" in done.stdout
