"""Serve an ASGI app with uvicorn on a socket bound here, so that port 0 (any free port) works and
the caller learns the address before the first request arrives."""

from __future__ import annotations

import socket
from collections.abc import Callable


def serve(app, host: str, port: int, ready: Callable[[str], None]) -> None:
    """Bind ``host:port`` (0: a free port), call ``ready(url)`` with the address bound, then serve
    ``app`` until interrupted (Ctrl-C, SIGTERM). Raises ``OSError`` when the address cannot be bound."""
    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        bound = sock.getsockname()[1]
        ready(f"http://{f'[{host}]' if family == socket.AF_INET6 else host}:{bound}/")
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
        server.run(sockets=[sock])
    finally:
        sock.close()
