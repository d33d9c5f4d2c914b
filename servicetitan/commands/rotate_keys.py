"""``piccolo servicetitan rotate_keys``: every stored secret under the newest key."""

from __future__ import annotations

from platform_db.cli import CommandError, command, confirm
from platform_db.encryption import KEYS_VARIABLE, DecryptionFailed
from platform_db.key_rotation import ColumnCheck
from servicetitan.tables import ServiceTitanCredential

# Every table with encrypted columns (platform_db.key_rotation.EncryptedAtRest).
ENCRYPTED_TABLES = (ServiceTitanCredential,)


async def _checks() -> list[ColumnCheck]:
    return [check for table in ENCRYPTED_TABLES for check in await table.encryption_check()]


def _counts(checks: list[ColumnCheck], field: str) -> tuple[int, str]:
    found = [(c.column, getattr(c, field)) for c in checks if getattr(c, field)]
    return sum(n for _, n in found), ", ".join(f"{column}: {n}" for column, n in found)


def _refuse_unless_current(checks: list[ColumnCheck]) -> None:
    """``CommandError`` (exit 1) naming what is not under the newest key."""
    problems = []
    undecryptable, where = _counts(checks, "undecryptable")
    if undecryptable:
        problems.append(f"{undecryptable} value(s) that no configured key decrypts ({where})")
    stale, where = _counts(checks, "stale")
    if stale:
        problems.append(f"{stale} value(s) still under an old key ({where})")
    if problems:
        raise CommandError(
            "; ".join(problems) + ": keep every key in "
            f"{KEYS_VARIABLE} until `rotate_keys --check` passes"
        )


def _summary(checks: list[ColumnCheck]) -> str:
    values = sum(c.values for c in checks)
    return f"every stored secret is under the newest key ({values} value(s) checked)"


@command
async def rotate_keys(check: bool = False, yes: bool = False):
    """
    Re-encrypt every stored secret (the ServiceTitan credentials' secrets)
    with the newest key of CREDENTIALS_ENCRYPTION_KEYS. Put the new key
    first, keep the old ones after it, run this, then remove the old keys
    once `rotate_keys --check` passes.

    :param check:
        Change nothing: exit 1, naming them, if any value is still under an
        old key or under no configured key.
    :param yes:
        Re-encrypt without asking, once the plan is printed.
    """
    checks = await _checks()
    if check:
        _refuse_unless_current(checks)
        print(_summary(checks))
        return
    undecryptable, where = _counts(checks, "undecryptable")
    if undecryptable:
        raise CommandError(
            f"{undecryptable} value(s) that no configured key decrypts ({where}): "
            f"was a key removed from {KEYS_VARIABLE} too early? Nothing was changed"
        )
    stale, where = _counts(checks, "stale")
    if not stale:
        print(f"nothing to re-encrypt: {_summary(checks)}")
        return
    confirm(
        f"re-encrypt {stale} value(s) with the newest key (the first in {KEYS_VARIABLE}): "
        f"{where}",
        yes,
        action="re-encrypt",
    )
    for table in ENCRYPTED_TABLES:
        try:
            changed = await table.rotate_encryption()
        except DecryptionFailed as exc:
            raise CommandError(f"{table._meta.tablename}: {exc}") from None
        print(f"{table._meta.tablename}: re-encrypted {changed} value(s) with the newest key")
    checks = await _checks()
    _refuse_unless_current(checks)
    print(_summary(checks))
