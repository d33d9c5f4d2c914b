"""The admin in a real browser: `piccolo admin serve` on a free loopback port
against the test database, driven by headless Chromium (Debian's package,
through Playwright). Log in, open the credentials list (and export it as CSV) and one credential,
a failed sync log, the schema-health page (with a message in the DEFAULT
partition and raw.sync_state after real syncs), the raw jobs of one tenant
and one raw job with its full_data; screenshot each into
test-artifacts/screenshots/; no secret (plaintext or ciphertext) may appear
in any page or in any response the browser received."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from platform_db.database import PROJECT_ROOT
from tests.admin.support import PASSWORD, assert_no_secret, create_admin_user

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"no Chromium at {CHROMIUM}: scripts/test installs Debian's `chromium` "
    "package when run as root; the HTTP-level admin tests still ran",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _wait_until_listening(port: int, process: subprocess.Popen, timeout: float = 60):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"piccolo admin serve exited with {process.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@pytest.fixture(scope="module")
async def server(migrated):
    """The documented command, as a user runs it, on the test database
    (tests/conftest.py put DATABASE_URL and the keys in the environment)."""
    port = _free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "piccolo"), "admin", "serve", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PLATFORM_DB_QUIET": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        await _wait_until_listening(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


class Recorder:
    """Every response the page received, with its body."""

    def __init__(self, page):
        self.bodies: list[tuple[str, str, str]] = []  # (url, content type, text)
        self._pending: set[asyncio.Task] = set()
        page.on("response", self._on_response)

    def _on_response(self, response) -> None:
        task = asyncio.ensure_future(self._read(response))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _read(self, response) -> None:
        try:
            body = await response.text()
        except Exception:  # redirects have no body
            body = ""
        self.bodies.append((response.url, response.headers.get("content-type", ""), body))

    async def settle(self) -> None:
        while self._pending:
            await asyncio.gather(*list(self._pending))

    def json_urls(self) -> list[str]:
        return [url for url, kind, _ in self.bodies if "json" in kind]


SHOWN = """text => document.body.innerText.includes(text)
    || [...document.querySelectorAll("input, textarea")].some(f => f.value.includes(text))"""


async def _show(page, url: str, shot: str, expect: str) -> str:
    """Open ``url``, wait until ``expect`` is shown (as text or in a form
    field), screenshot; the page's HTML and the values of its form fields."""
    await page.goto(url)
    await page.wait_for_function(SHOWN, arg=expect, timeout=15000)
    await page.wait_for_load_state("networkidle")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / shot, full_page=True)
    values = await page.eval_on_selector_all(
        "input, textarea, select", "fields => fields.map(f => f.value)"
    )
    return await page.content() + "\n".join(values)


async def _export_csv(page) -> str:
    """Piccolo Admin's "Export CSV" of the list on screen: the file's text."""
    await page.click("[data-uitest=csv_button]")
    async with page.expect_download(timeout=15000) as download:
        await page.click("[data-uitest=csv_modal] button")
    path = await (await download.value).path()
    return Path(path).read_text()


@pytest.fixture
async def message_without_a_partition(conn):
    """A message of a month that has no partition: the DEFAULT partition
    holds it, which the schema-health page must show."""
    message_id = await conn.fetchval(
        "INSERT INTO messages (company_id, phone, direction, created_at)"
        " SELECT id, '79001234567', 'incoming', '2045-06-15T12:00:00Z' FROM companies LIMIT 1"
        " RETURNING id"
    )
    yield
    await conn.execute("DELETE FROM messages WHERE id = $1", message_id)


async def test_an_admin_user_inspects_credentials_and_sync_logs(
    server, browser, known_credential, failed_log, synced_tenant, message_without_a_partition
):
    from servicetitan.tables import ServiceTitanCredential as C

    from servicetitan.raw_tables import StJob

    client_id = (await C.select(C.client_id).where(C.id == known_credential.id).first())[
        "client_id"
    ]
    job_row = (
        await StJob.for_tenant(synced_tenant, StJob.row_id).where(StJob.id == 3).first()
    )["row_id"]
    username = await create_admin_user()
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    recorder = Recorder(page)

    await page.goto(f"{server}/admin/")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("[data-uitest=login_button]")
    await page.wait_for_url(lambda url: "login" not in url, timeout=15000)

    seen = {
        "home": await _show(page, f"{server}/admin/#/", "01_home.png", "Servicetitan Credentials"),
        "credentials list": await _show(
            page,
            f"{server}/admin/#/servicetitan_credentials/",
            "02_credentials_list.png",
            client_id,
        ),
        "credentials CSV export": await _export_csv(page),
        "one credential": await _show(
            page,
            f"{server}/admin/#/servicetitan_credentials/{known_credential.id}/",
            "03_credential_detail.png",
            client_id,
        ),
        "failed sync log": await _show(
            page,
            f"{server}/admin/#/servicetitan_sync_logs/{failed_log.id}/",
            "04_failed_sync_log.png",
            failed_log.error_message,
        ),
        "schema health": await _show(
            page, f"{server}/health/", "05_schema_health.png", "the DEFAULT partition holds"
        ),
        "raw jobs of the tenant": await _show(
            page,
            f"{server}/admin/#/st_jobs?tenant_id={synced_tenant}",
            "06_raw_jobs_by_tenant.png",
            "Completed",
        ),
        "one raw job": await _show(
            page, f"{server}/admin/#/st_jobs/{job_row}/", "07_raw_job_detail.png", "Gate code"
        ),
    }
    await recorder.settle()
    await page.close()

    for where, html in seen.items():
        assert_no_secret(html, known_credential, f"the {where} page")
    for url, kind, body in recorder.bodies:
        assert_no_secret(body, known_credential, f"the response of {url} ({kind})")

    # Not vacuous: the browser did load the rows it was asked for.
    json_urls = recorder.json_urls()
    assert any("/api/tables/servicetitan_credentials/" in u for u in json_urls), json_urls
    assert any(str(known_credential.id) in u for u in json_urls), json_urls
    assert any(str(failed_log.id) in u for u in json_urls), json_urls
    assert client_id in seen["credentials CSV export"]
    assert failed_log.error_message in seen["failed sync log"]
    assert failed_log.error_message in seen["schema health"]
    assert "429 Too Many Requests" in seen["schema health"]  # raw.sync_state's last error
    assert any("/api/tables/st_jobs/?" in u and f"tenant_id={synced_tenant}" in u
               for u in json_urls), json_urls
    assert "Gate code" in seen["one raw job"]
