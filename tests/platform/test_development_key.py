"""The development key of the embedded database: one key, whoever makes it,
private from the start, and one warning line per process."""

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken

from platform_db.secrets import encryption

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 8
ROUNDS = 30


@pytest.fixture
def development(monkeypatch, tmp_path):
    """No keys configured, the embedded database, a key file of the test's own."""
    monkeypatch.delenv(encryption.KEYS_VARIABLE)
    monkeypatch.delenv("DATABASE_URL")
    return tmp_path


def _encrypt_once_started(key_file, barrier, results) -> None:
    encryption.DEV_KEY_FILE = key_file
    barrier.wait()
    results.put(encryption.encrypt(f"secret of {os.getpid()}"))


def test_processes_starting_together_share_one_key(development):
    fork = multiprocessing.get_context("fork")
    for round_ in range(ROUNDS):
        key_file = development / f"round-{round_}" / ".dev-secret-keys"
        key_file.parent.mkdir()
        barrier, results = fork.Barrier(PROCESSES), fork.SimpleQueue()
        workers = [
            fork.Process(target=_encrypt_once_started, args=(key_file, barrier, results))
            for _ in range(PROCESSES)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(30)
            assert worker.exitcode == 0
        tokens = [results.get() for _ in workers]
        final = Fernet(key_file.read_text().strip().encode())
        unreadable = 0
        for token in tokens:
            try:
                final.decrypt(token.encode())
            except InvalidToken:
                unreadable += 1
        assert unreadable == 0, f"round {round_}: {unreadable} secret(s) under a lost key"
        assert key_file.stat().st_mode & 0o777 == 0o600
        assert [p.name for p in key_file.parent.iterdir()] == [".dev-secret-keys"]


def test_the_warning_is_one_line_once_per_process(development):
    key_file = development / ".dev-secret-keys"
    script = (
        "import sys; from pathlib import Path; from platform_db.secrets import encryption as e; "
        "e.DEV_KEY_FILE = Path(sys.argv[1]); t = e.encrypt('x'); e.decrypt(t); "
        "e.is_current(t); e.rotate(t); e.key_index(t)"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", encryption.KEYS_VARIABLE)}
    run = subprocess.run(
        [sys.executable, "-c", script, str(key_file)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "development key" in lines[0] and key_file.name in lines[0]
    assert "encryption.py" not in lines[0]  # no source location
