"""``piccolo servicetitan add_credential`` and ``set_tenant_id`` as an operator
runs them: the secret piped in or typed at a prompt that does not echo it,
stored encrypted; a tenant id set, or replaced after saying so."""

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

from servicetitan.tables import ServiceTitanCredential

PROJECT = Path(__file__).resolve().parents[2]
PICCOLO = str(Path(sys.executable).with_name("piccolo"))
SECRET = "cs-from-the-portal-5f1e"


def servicetitan(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [PICCOLO, "servicetitan", *args], cwd=PROJECT, input=stdin, capture_output=True,
        text=True, timeout=60,
    )


async def stored(company, environment="integration") -> ServiceTitanCredential:
    return (
        await ServiceTitanCredential.objects()
        .where(ServiceTitanCredential.company == company.id)
        .where(ServiceTitanCredential.environment == environment)
        .first()
    )


async def test_add_credential_reads_the_secret_from_stdin(conn, company, tenant):
    done = servicetitan(
        "add_credential", company.name, "integration", "client-77", str(tenant), stdin=SECRET + "\n"
    )
    assert done.returncode == 0, done.stderr
    credential = await stored(company)
    assert done.stdout.strip() == (
        f"credential {credential.id}: {company.name} (integration), tenant {tenant}"
    )
    assert (credential.client_id, credential.tenant_id) == ("client-77", tenant)
    assert (await credential.secrets()).client_secret == SECRET
    raw = await conn.fetchval(
        "SELECT client_secret FROM servicetitan_credentials WHERE id = $1", credential.id
    )
    assert SECRET not in raw and SECRET not in done.stdout + done.stderr


async def test_add_credential_prompts_without_echo_on_a_terminal(company, tenant):
    pid, terminal = pty.fork()
    if pid == 0:  # the child, on the pseudo-terminal
        try:
            os.chdir(PROJECT)
            os.execv(PICCOLO, [PICCOLO, "servicetitan", "add_credential", str(company.id),
                               "production", "client-88", str(tenant)])  # fmt: skip
        finally:
            os._exit(127)  # never back into pytest
    seen = b""

    def read_until(marker: bytes, seconds: float = 30) -> None:
        nonlocal seen
        while marker not in seen:
            ready, _, _ = select.select([terminal], [], [], seconds)
            assert ready, f"no {marker!r} in {seen!r}"
            try:
                chunk = os.read(terminal, 1024)
            except OSError:  # the child closed the terminal
                chunk = b""
            assert chunk, f"no {marker!r} in {seen!r}"
            seen += chunk

    read_until(b"client secret: ")
    os.write(terminal, SECRET.encode() + b"\n")
    read_until(b"tenant ")
    _, status = os.waitpid(pid, 0)
    os.close(terminal)
    assert os.waitstatus_to_exitcode(status) == 0, seen
    assert SECRET.encode() not in seen  # not echoed
    assert (await (await stored(company, "production")).secrets()).client_secret == SECRET


async def test_set_tenant_id_sets_one_and_replaces_one_only_when_told(conn, company, tenant):
    credential = await ServiceTitanCredential.register(company.id, "integration", "c", "s")
    first = servicetitan("set_tenant_id", company.name, "integration", str(tenant))
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == (
        f"credential {credential.id}: {company.name} (integration), tenant {tenant}"
    )
    replaced = servicetitan("set_tenant_id", str(company.id), "integration", str(tenant + 1), "--yes")
    assert replaced.returncode == 0, replaced.stderr
    assert replaced.stdout.splitlines()[0].startswith(
        f"credential {credential.id} ({company.name}, integration): tenant {tenant} -> {tenant + 1}."
    )
    assert (await stored(company)).tenant_id == tenant + 1
