"""Loopback reachability: is something listening on a TCP port (services and engines both ask)."""

from __future__ import annotations

import socket


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    """Something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
