"""Serve a static site (the Great Expectations Data Docs) over HTTP on 127.0.0.1 only."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path

from infra.errors import ServiceError

HOST = "127.0.0.1"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files without a log line per request (the terminal shows only the URL)."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib's name)
        return


def open_server(directory: Path, port: int) -> http.server.ThreadingHTTPServer:
    """A server for `directory` bound to 127.0.0.1:`port` (0: any free port), not yet serving.

    ServiceError when the port cannot be bound (taken, or privileged).
    """
    handler = functools.partial(_QuietHandler, directory=str(directory))
    try:
        return http.server.ThreadingHTTPServer((HOST, port), handler)
    except OSError as exc:
        raise ServiceError(
            f"cannot serve on {HOST}:{port} ({exc.strerror or type(exc).__name__})",
            hint="choose another port with --port",
        ) from None


def url(server: http.server.ThreadingHTTPServer, page: str = "index.html") -> str:
    """The address of `page` on `server` (with the port actually bound)."""
    return f"http://{HOST}:{server.server_address[1]}/{page}"


def serve_until_interrupted(server: http.server.ThreadingHTTPServer) -> None:
    """Serve until Ctrl-C (or SIGTERM's KeyboardInterrupt), then release the port."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
