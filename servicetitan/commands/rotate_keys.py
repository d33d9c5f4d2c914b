import asyncio


def rotate_keys():
    """
    Re-encrypt every stored ServiceTitan secret with the newest key of
    CREDENTIALS_ENCRYPTION_KEYS. Put the new key first, keep the old ones
    after it, run this, then remove the old keys.
    """
    from servicetitan.tables import ServiceTitanCredential

    changed = asyncio.run(ServiceTitanCredential.rotate_encryption())
    print(f"re-encrypted {changed} credential(s) with the newest key")
