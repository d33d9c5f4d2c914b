"""The ``keys`` fixture's machinery: the session's encryption key and a new
one, for tests that rotate keys (``tests/conftest.py``)."""

from __future__ import annotations

from cryptography.fernet import Fernet

from platform_db.secrets import encryption
from platform_db.secrets.key_rotation import encrypted_tables


class Keys:
    """The session's key (``old``) and a new one; ``use`` configures keys."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch
        self.old = encryption._configured_keys()[0]
        self.new = Fernet.generate_key().decode()

    def use(self, *keys: str) -> str:
        value = ",".join(keys)
        self.monkeypatch.setenv(encryption.KEYS_VARIABLE, value)
        return value

    async def restore(self) -> None:
        """Every value rotated back under the session's key, for the tests after."""
        self.use(self.old, self.new)
        for table in encrypted_tables():
            await table.rotate_encryption()
