import os
import socket
import time
from typing import Annotated

from platform_db.cli import Bounds, CommandError, UsageError, command

# Loopback only: the admin is an inspection tool for whoever runs it; put it
# behind a reverse proxy with HTTPS (and --production) to share it.
HOST = "127.0.0.1"


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _check_free(port: int) -> None:
    """Refuse a port another process listens on in one line (uvicorn logs
    the error and exits); bound as uvicorn binds, with SO_REUSEADDR."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            raise CommandError(f"cannot listen on {HOST}:{port}: {exc.strerror}") from None


@command
def serve(
    port: Annotated[int, Bounds(1, 65535)] = 8000,
    production: bool = False,
    allowed_hosts: str = "",
    trusted_proxies: str = "",
):
    """
    Serve the admin on http://127.0.0.1:<port>/admin/ against the project's
    database (the same one as every other piccolo command).

    :param port:
        The TCP port to listen on (1 to 65535).
    :param production:
        Served behind an HTTPS reverse proxy: cookies get the Secure flag,
        answers Strict-Transport-Security. Needs --allowed_hosts and
        --trusted_proxies.
    :param allowed_hosts:
        Comma-separated host names the admin is reached by over HTTPS (e.g.
        admin.example.com): a form or API call from a page of another host
        is refused.
    :param trusted_proxies:
        Comma-separated addresses of the reverse proxies in front (e.g.
        127.0.0.1): only from them are X-Forwarded-For (the client address
        the login limit counts) and X-Forwarded-Proto (https) believed.
        Empty: those headers are ignored.
    """
    hosts, proxies = _names(allowed_hosts), _names(trusted_proxies)
    if production and not hosts:
        raise UsageError(
            "--production needs --allowed_hosts (the host names the admin is reached by "
            "over HTTPS): without them every login and form behind HTTPS is refused"
        )
    if production and not proxies:
        raise UsageError(
            "--production needs --trusted_proxies (the address of the HTTPS proxy in front, "
            "e.g. 127.0.0.1): without it the admin sees neither HTTPS nor the clients' "
            "addresses, so every client would share one login limit"
        )
    _check_free(port)
    # Piccolo's login writes piccolo_user.last_login and piccolo_api's sessions
    # their expiry with datetime.now(), the process's local time, in TIMESTAMP
    # columns the admin shows as UTC, as every TIMESTAMP of the project holds.
    os.environ["TZ"] = "UTC"
    time.tzset()
    # Imported here, not at module level: every `piccolo` command loads this
    # app's config, and only this one needs uvicorn, FastAPI and the admin.
    import uvicorn

    from admin.app import create_app
    from admin.log_redaction import uvicorn_log_config

    uvicorn.run(
        create_app(production=production, allowed_hosts=hosts),
        host=HOST,
        port=port,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
        log_config=uvicorn_log_config(),
    )
