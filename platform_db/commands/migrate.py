import asyncio
import sys


def migrate(lock_timeout: str = "5s", wait: int = 600):
    """
    Apply every pending migration of every app, once, even when several
    instances run this at the same time (a PostgreSQL advisory lock
    serialises them). The deploy command; prefer it to plain
    `piccolo migrations forwards all` in production.

    :param lock_timeout:
        How long a migration may wait for a table lock before failing,
        e.g. 5s or 500ms.
    :param wait:
        How many seconds to wait for another process's migration run.
    """
    from platform_db.cli import CommandError
    from platform_db.deploy import migrate as run_migrate

    # asyncio.run, not piccolo's run_sync: run_sync retries a coroutine that
    # raised RuntimeError, hiding the real error behind "cannot reuse".
    try:
        applied = asyncio.run(run_migrate(lock_timeout=lock_timeout, wait_seconds=wait))
    except CommandError as exc:  # refused before anything ran
        print(exc, file=sys.stderr)
        sys.exit(exc.exit_code)
    except Exception as exc:
        print(
            f"\nmigrate failed: {exc}\nThe failing migration was rolled back and is not "
            "recorded; migrations before it stay applied. Fix it and run migrate again.",
            file=sys.stderr,
        )
        sys.exit(1)
    print("migrations applied" if applied else "nothing left to do: every migration has run")
