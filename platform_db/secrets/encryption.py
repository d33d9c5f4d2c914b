"""Encryption at rest for credentials (Fernet, from ``cryptography``).

Keys come from ``CREDENTIALS_ENCRYPTION_KEYS``: comma-separated Fernet keys,
newest first. Values are encrypted with the first key and decrypted with any
of them, so a new key can be put in front, ``rotate`` re-encrypts the rows,
and the old key is removed afterwards, all without downtime.

On the embedded development database, with no keys set, a key is generated
once into the git-ignored ``.dev-secret-keys`` file, with a one-line warning
(once per process).
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from platform_db.database.engine import PROJECT_ROOT, uses_embedded
from platform_db.values.json_text import json_text

KEYS_VARIABLE = "CREDENTIALS_ENCRYPTION_KEYS"
# How every Fernet token begins (version byte 0x80, then a timestamp whose
# top 28 bits are 0 until the year 4147).
FERNET_PREFIX = "gAAAAA"
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
    return [_development_key(DEV_KEY_FILE)]


# Key file -> key, read once per process; and whether the warning was shown.
_development_keys: dict[Path, str] = {}
_warned = False


def _development_key(path: Path) -> str:
    global _warned
    if path not in _development_keys:
        if not path.exists():
            _create_key_file(path)
        # Every process reads the file, its creator too: whoever linked it
        # first made the one key.
        _development_keys[path] = path.read_text().strip()
    if not _warned:
        _warned = True
        print(
            f"[platform-data] warning: {KEYS_VARIABLE} is not set: using the development "
            f"key in {path}. Never use it in production.",
            file=sys.stderr,
        )
    return _development_keys[path]


def _create_key_file(path: Path) -> None:
    """Write a new key to ``path`` unless another process does first.

    The key goes whole into a file of this process's own, private (0600)
    from its creation (``O_CREAT | O_EXCL``), which is then hard-linked to
    ``path``: the link is atomic and fails if ``path`` exists, so processes
    starting together agree on one key, and none ever reads a half-written
    file.
    """
    staging = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(Fernet.generate_key().decode() + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(staging, path)
        except FileExistsError:
            pass
    finally:
        staging.unlink(missing_ok=True)


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


def encrypt_json(value: Any) -> str:
    """``value`` (JSON text, or a value to serialize: ``platform_db.values.json_text``)
    encrypted, as a ``json`` / ``jsonb`` column stores it: the JSON string of
    the Fernet token of its JSON text."""
    return json.dumps(encrypt(json_text(value)))


def json_token(stored: str) -> str | None:
    """The token in what ``encrypt_json`` stored (a ``json`` / ``jsonb``
    column's text), or None if ``stored`` is plaintext JSON."""
    if stored.startswith('"' + FERNET_PREFIX):
        return json.loads(stored)
    return None


def decrypt_json(stored: str) -> Any:
    """The value ``encrypt_json`` stored; plaintext JSON as it is (written by
    something that does not encrypt: ``rotate_keys --check`` reports it)."""
    token = json_token(stored)
    return json.loads(stored if token is None else decrypt(token))
