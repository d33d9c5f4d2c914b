"""Benchmark: encrypting, rotating and decrypting a filled ``whatsapp_auth_keys``
(the ``whatsapp_key_values_encrypted`` migration forwards, ``rotate_encryption``
after a new key, the migration backwards) against a baseline: the same
batched compare-and-set rewrite storing each value as it is (all of the
database's work, none of the encryption). Prints rows/s of each, the ratio
to the baseline, and the longest batch (how long one batch's rows stay locked).

Runs on a database of its own on the server of ``DATABASE_URL``, or the
embedded one:

    .venv/bin/python -m bench.encrypted_columns [--rows 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import random
import statistics
import time

from cryptography.fernet import Fernet

from bench.database import throwaway_database


def key_value(rng: random.Random) -> str:
    """About 300 bytes of JSON, shaped like a Baileys session record."""
    blob = lambda n: rng.randbytes(n).hex()  # noqa: E731
    return json.dumps(
        {
            "registrationId": rng.randrange(1 << 14),
            "currentRatchet": {"rootKey": blob(32), "ephemeralKeyPair": {"private": blob(32)}},
            "indexInfo": {"baseKey": blob(33), "used": rng.randrange(1 << 40)},
        }
    )


async def timed_rewrite(conn, column, transform) -> tuple[float, float]:
    """Seconds of a whole rewrite, and of its longest batch."""
    from platform_db.secrets import key_rotation

    longest, started = 0.0, time.perf_counter()
    real_write = key_rotation.EncryptedColumn._write

    async def write(self, conn, changes):
        nonlocal longest
        begun = time.perf_counter()
        try:
            return await real_write(self, conn, changes)
        finally:
            longest = max(longest, time.perf_counter() - begun)

    key_rotation.EncryptedColumn._write = write
    try:
        await column.rewrite(conn, transform)
    finally:
        key_rotation.EncryptedColumn._write = real_write
    return time.perf_counter() - started, longest


async def bench(args) -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    import piccolo_conf
    from business.piccolo_migrations.business_2026_12_01t10_11_43_whatsapp_key_values_encrypted import (  # noqa: E501
        VALUES,
        _decrypted,
        _encrypted,
    )
    from platform_db.secrets import encryption

    with contextlib.redirect_stdout(io.StringIO()):
        result = await run_forwards("all")
    assert result.success, result.message
    conn = await piccolo_conf.DB.get_new_connection()
    company = await conn.fetchval("INSERT INTO companies (name) VALUES ('Bench') RETURNING id")
    rng = random.Random(4)
    await conn.copy_records_to_table(
        "whatsapp_auth_keys",
        columns=["company_id", "key_type", "key_id", "value"],
        records=[(company, "session", f"k{i}", key_value(rng)) for i in range(args.rows)],
    )
    old = os.environ["CREDENTIALS_ENCRYPTION_KEYS"]
    new = Fernet.generate_key().decode()

    steps = {
        "baseline (rewrite as it is)": (lambda stored: stored, old),
        "encrypt (migration forwards)": (_encrypted, old),
        "rotate (rotate_encryption)": (VALUES.rotated, f"{new},{old}"),
        "decrypt (migration backwards)": (_decrypted, f"{new},{old}"),
    }
    seconds = {name: [] for name in steps}
    longest = {name: [] for name in steps}
    for _ in range(args.rounds):
        for name, (transform, keys) in steps.items():
            os.environ["CREDENTIALS_ENCRYPTION_KEYS"] = keys
            total, batch = await timed_rewrite(conn, VALUES, transform)
            seconds[name].append(total)
            longest[name].append(batch)
        assert encryption.json_token(
            await conn.fetchval("SELECT value::text FROM whatsapp_auth_keys LIMIT 1")
        ) is None  # back in plaintext for the next round
    await conn.close()
    print(f"\n{args.rows:,} keys of ~300 bytes, batches of 500, {args.rounds} round(s), medians")
    base = statistics.median(seconds["baseline (rewrite as it is)"])
    for name in steps:
        median = statistics.median(seconds[name])
        print(
            f"{name:32} {args.rows / median:9,.0f} rows/s  {median:6.1f} s  "
            f"x{median / base:4.2f} baseline  longest batch {max(longest[name]) * 1000:5.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("CREDENTIALS_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    with throwaway_database("bench_encrypted"):
        asyncio.run(bench(args))


if __name__ == "__main__":
    main()
