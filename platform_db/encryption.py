"""Encryption at rest for credentials (Fernet, from ``cryptography``).

Keys come from ``CREDENTIALS_ENCRYPTION_KEYS``: comma-separated Fernet keys,
newest first. Values are encrypted with the first key and decrypted with any
of them, so a new key can be put in front, ``rotate`` re-encrypts the rows,
and the old key is removed afterwards, all without downtime.

On the embedded development database, with no keys set, a key is generated
once into the git-ignored ``.dev-secret-keys`` file, with a warning.
"""

from __future__ import annotations

import os
import warnings
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from platform_db.database import PROJECT_ROOT, uses_embedded

KEYS_VARIABLE = "CREDENTIALS_ENCRYPTION_KEYS"
DEV_KEY_FILE = PROJECT_ROOT / ".dev-secret-keys"


class EncryptionKeyMissing(RuntimeError):
    pass


class DecryptionFailed(RuntimeError):
    pass


def _configured_keys() -> list[str]:
    raw = os.environ.get(KEYS_VARIABLE, "")
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if keys:
        return keys
    if not uses_embedded():
        raise EncryptionKeyMissing(
            f"{KEYS_VARIABLE} is not set. Generate a key with "
            "`python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'` and set it."
        )
    if not DEV_KEY_FILE.exists():
        DEV_KEY_FILE.write_text(Fernet.generate_key().decode() + "\n")
        DEV_KEY_FILE.chmod(0o600)
    warnings.warn(
        f"{KEYS_VARIABLE} is not set: using the development key in "
        f"{DEV_KEY_FILE.name}. Never use it in production.",
        stacklevel=2,
    )
    return [DEV_KEY_FILE.read_text().strip()]


@lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...]) -> tuple[Fernet, ...]:
    try:
        return tuple(Fernet(k.encode()) for k in keys)
    except (ValueError, TypeError) as exc:
        raise EncryptionKeyMissing(
            f"{KEYS_VARIABLE} holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from exc


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet(list(_fernets(keys)))


def cipher() -> MultiFernet:
    return _fernet(tuple(_configured_keys()))


def encrypt(plaintext: str | None) -> str | None:
    if plaintext is None:
        return None
    return cipher().encrypt(plaintext.encode()).decode()


def decrypt(token: str | None) -> str | None:
    if token is None:
        return None
    try:
        return cipher().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed(
            "A stored secret cannot be decrypted with any key in "
            f"{KEYS_VARIABLE}: was a key removed before `rotate_keys` ran?"
        ) from exc


def rotate(token: str | None) -> str | None:
    """The same secret, encrypted with the newest key."""
    if token is None:
        return None
    try:
        return cipher().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed(
            "A stored secret cannot be re-encrypted: no key in "
            f"{KEYS_VARIABLE} decrypts it (was its key removed before rotation?)"
        ) from exc


def key_index(token: str) -> int | None:
    """Which configured key ``token`` was encrypted with (0: the newest), or
    None if none was. Checks the signature only, decrypting nothing."""
    for index, fernet in enumerate(_fernets(tuple(_configured_keys()))):
        try:
            fernet.extract_timestamp(token.encode())
        except InvalidToken:
            continue
        return index
    return None


def is_current(token: str) -> bool:
    """True when ``token`` was encrypted with the newest key."""
    return key_index(token) == 0
