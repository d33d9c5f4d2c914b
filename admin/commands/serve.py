import socket
from typing import Annotated

from platform_db.cli import Bounds, CommandError, command

# Loopback only: the admin is an inspection tool for whoever runs it; put it
# behind a reverse proxy with HTTPS (and --production) to share it.
HOST = "127.0.0.1"


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
def serve(port: Annotated[int, Bounds(1, 65535)] = 8000, production: bool = False):
    """
    Serve Piccolo Admin on http://127.0.0.1:<port>/admin/ against the
    project's database (the same one as every other piccolo command).

    :param port:
        The TCP port to listen on (1 to 65535).
    :param production:
        Set when served behind HTTPS: the session cookie gets the Secure flag.
    """
    _check_free(port)
    # Imported here, not at module level: every `piccolo` command loads this
    # app's config, and only this one needs uvicorn, FastAPI and the admin.
    import uvicorn

    from admin.app import create_app

    uvicorn.run(create_app(production=production), host=HOST, port=port)
