"""Serving the fake with uvicorn on 127.0.0.1: in the foreground
(``python -m servicetitan.fake``) or in a background thread (tests).

The socket is bound before uvicorn starts, so the port (0: a free one) is
known before the first request. uvicorn's HTTP/1.1 protocol is extended by
one thing: the app can close a request's connection without answering
(the ``drop`` fault), which ASGI has no message for. The connection is
handed to the app in the request's scope (``scope["extensions"]``).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from servicetitan.fake.app import CONNECTION

HOST = "127.0.0.1"


class Connection:
    """One client connection, which the app may close."""

    def __init__(self, transport: asyncio.Transport):
        self.transport = transport
        self.lost = asyncio.Event()

    async def close(self) -> None:
        """Closes it (what was sent is flushed first) and waits until it is
        gone, so the server does not answer in the app's place."""
        self.transport.close()
        await self.lost.wait()


def _protocol(connections: dict) -> type[H11Protocol]:
    class Protocol(H11Protocol):
        def connection_made(self, transport):
            super().connection_made(transport)
            connections[self.client] = Connection(transport)

        def connection_lost(self, exc):
            connection = connections.pop(self.client, None)
            if connection is not None:
                connection.lost.set()
            super().connection_lost(exc)

        def shutdown(self):
            """A stopping fake closes every connection at once, answering
            or not: a test server owes no one a slow answer."""
            self.transport.close()

    return Protocol


def _with_connections(app, connections: dict):
    async def served(scope, receive, send):
        if scope["type"] == "http":
            extensions = scope.get("extensions") or {}
            connection = connections.get(scope["client"])
            scope = scope | {"extensions": extensions | {CONNECTION: connection}}
        await app(scope, receive, send)

    return served


def bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    return sock


def url(sock: socket.socket) -> str:
    return f"http://{HOST}:{sock.getsockname()[1]}"


def server(app, log_level: str = "warning") -> uvicorn.Server:
    connections: dict = {}
    config = uvicorn.Config(
        _with_connections(app, connections),
        http=_protocol(connections),
        ws="none",
        lifespan="off",
        log_level=log_level,
        access_log=False,
    )
    return uvicorn.Server(config)


@contextmanager
def serve_in_thread(app, port: int = 0) -> Iterator[str]:
    """Serves ``app`` in a background thread; yields its URL; stops it."""
    sock = bind(port)
    running = server(app)
    thread = threading.Thread(
        target=running.run, kwargs={"sockets": [sock]}, name="fake-servicetitan", daemon=True
    )
    thread.start()
    try:
        while not running.started:
            if not thread.is_alive():
                raise RuntimeError("the fake ServiceTitan did not start")
            thread.join(0.01)
        yield url(sock)
    finally:
        running.should_exit = True
        thread.join()
        sock.close()
