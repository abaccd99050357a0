"""Running a registry server with uvicorn (`agentops registry serve`)."""

from __future__ import annotations

import json
import logging
import time


class _JsonLines(logging.Formatter):
    """uvicorn's own messages as one JSON object per line, like the server's."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
                           "event": "server", "level": record.levelname.lower(), "message": record.getMessage()})


def serve(settings, *, host: str, port: int) -> None:
    """Serve ``create_app(settings)`` on ``host:port`` until interrupted (SIGINT, SIGTERM)."""
    import uvicorn

    from agentpack.server.app import create_app

    handler = logging.StreamHandler(settings.log)
    handler.setFormatter(_JsonLines())
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, lifespan="on",
                timeout_graceful_shutdown=10)
