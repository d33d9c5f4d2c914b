"""``piccolo platform rotate_keys`` (also ``piccolo servicetitan rotate_keys``,
where it started): every stored secret under the newest key, in every table
that declares encrypted columns (``key_rotation.encrypted_tables()``)."""

from __future__ import annotations

from platform_db.cli import CommandError, command, confirm
from platform_db.secrets.encryption import KEYS_VARIABLE, DecryptionFailed, EncryptionKeyMissing
from platform_db.secrets.key_rotation import ColumnCheck, encrypted_tables

UNREADABLE = {"undecryptable": "that no configured key decrypts"}
TO_ROTATE = {"stale": "under an old key", "plaintext": "not encrypted"}


async def _checks() -> list[ColumnCheck]:
    return [check for table in encrypted_tables() for check in await table.encryption_check()]


def _problems(checks: list[ColumnCheck], kinds: dict[str, str]) -> list[str]:
    """``N value(s) <kind> (table.column: n, ...)`` for each kind found."""
    found = []
    for field, wording in kinds.items():
        columns = [(c.column, getattr(c, field)) for c in checks if getattr(c, field)]
        if columns:
            total = sum(n for _, n in columns)
            where = ", ".join(f"{column}: {n}" for column, n in columns)
            found.append(f"{total} value(s) {wording} ({where})")
    return found


def _refuse_unless_current(checks: list[ColumnCheck]) -> None:
    problems = _problems(checks, {**UNREADABLE, **TO_ROTATE})
    if problems:
        raise CommandError(
            "; ".join(problems)
            + f": keep every key in {KEYS_VARIABLE} until `rotate_keys --check` passes"
        )
    values = sum(c.values for c in checks)
    print(f"every stored secret is under the newest key ({values} value(s) checked)")


@command
async def rotate_keys(check: bool = False, yes: bool = False):
    """
    Re-encrypt every stored secret (the ServiceTitan credentials' secrets,
    the WhatsApp session keys, the admin's MFA secrets) with the newest key of
    CREDENTIALS_ENCRYPTION_KEYS. Put the new key first, keep the old ones
    after it, run this, then remove the old keys once `rotate_keys --check`
    passes.

    :param check:
        Change nothing: exit 1, naming them, if any value is under an old
        key, under no configured key, or not encrypted.
    :param yes:
        Re-encrypt without asking, once the plan is printed.
    """
    try:
        await _rotate(check, yes)
    except (EncryptionKeyMissing, DecryptionFailed) as exc:
        raise CommandError(str(exc)) from None


async def _rotate(check: bool, yes: bool) -> None:
    checks = await _checks()
    if check:
        _refuse_unless_current(checks)
        return
    unreadable = _problems(checks, UNREADABLE)
    if unreadable:
        raise CommandError(
            f"{unreadable[0]}: was a key removed from {KEYS_VARIABLE} too early? "
            "Nothing was changed"
        )
    plan = _problems(checks, TO_ROTATE)
    if not plan:
        _refuse_unless_current(checks)
        return
    confirm(
        f"re-encrypt with the newest key (the first in {KEYS_VARIABLE}): " + "; ".join(plan),
        yes,
        action="re-encrypt",
    )
    for table in encrypted_tables():
        changed = await table.rotate_encryption()
        print(f"{table._meta.tablename}: re-encrypted {changed} value(s) with the newest key")
    _refuse_unless_current(await _checks())
