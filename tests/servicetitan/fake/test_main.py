"""``python -m servicetitan.fake`` as a user runs it: it prints the
environment as shell ``export`` lines, serves on 127.0.0.1 until
interrupted, and prints the same environment again for the same
arguments with ``--print-env``."""

import shlex
import signal
import subprocess
import sys

import httpx

from tests.support.commands import PROJECT

COMMAND = [sys.executable, "-m", "servicetitan.fake"]


def _exports(lines: list[str]) -> dict[str, str]:
    words = [shlex.split(line) for line in lines if line.startswith("export ")]
    return dict(word.split("=", 1) for _, word in words)


def _as_from_a_terminal() -> None:
    """Ctrl-C as a user's shell delivers it. A job started in the background
    of a script (CI's runs are) inherits SIGINT ignored: uvicorn then stops on
    it but cannot end by it, and exits 0."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_it_prints_the_environment_and_serves_until_interrupted():
    arguments = ["--tenants", "41", "42", "--records", "3", "--records", "jobs=7", "--seed", "5"]
    server = subprocess.Popen(
        [*COMMAND, "--port", "0", *arguments],
        cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=_as_from_a_terminal,
    )  # fmt: skip
    try:
        lines = [server.stdout.readline()]
        while not lines[-1].startswith("export SERVICETITAN_CLIENT_SECRET_2="):
            lines.append(server.stdout.readline())
            assert lines[-1], server.stderr.read()
        env = _exports(lines)
        url = env["SERVICETITAN_API_URL"]
        assert env["SERVICETITAN_AUTH_URL"] == url and url.startswith("http://127.0.0.1:")
        assert (env["SERVICETITAN_TENANT_ID"], env["SERVICETITAN_TENANT_ID_2"]) == ("41", "42")
        form = {
            "grant_type": "client_credentials",
            "client_id": env["SERVICETITAN_CLIENT_ID_2"],
            "client_secret": env["SERVICETITAN_CLIENT_SECRET_2"],
        }
        token = httpx.post(f"{url}/connect/token", data=form).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "ST-App-Key": env["SERVICETITAN_APP_KEY"]}
        page = httpx.get(f"{url}/jpm/v2/tenant/42/export/jobs", headers=headers).json()
        assert len(page["data"]) == 7
        port = url.rsplit(":", 1)[1]
        printed = subprocess.run(
            [*COMMAND, "--port", port, *arguments, "--print-env"],
            cwd=PROJECT, capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert _exports(printed.stdout.splitlines()) == env
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    # uvicorn stops, then ends by the signal it caught: the shell says 130
    assert server.returncode == -signal.SIGINT
    assert "Finished server process" in server.stderr.read()


def test_print_env_needs_the_port():
    refused = subprocess.run([*COMMAND, "--print-env"], cwd=PROJECT, capture_output=True, text=True)
    assert refused.returncode == 2
    assert "--print-env needs the --port" in refused.stderr
    wrong = subprocess.run(
        [*COMMAND, "--records", "widgets=3"], cwd=PROJECT, capture_output=True, text=True
    )
    assert wrong.returncode == 2 and "ENTITY one of locations" in wrong.stderr
