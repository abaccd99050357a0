"""Running a registry server with uvicorn (`agentops registry serve`).

With ``workers`` above one, uvicorn starts that many processes, each of which builds its own app
(``worker_app``) from the settings handed down in the environment: a process holds nothing another
needs (the metadata is in the database, archives in the blob folder; each process counts its own
downloads and writes them to the database in batches). Each run has a folder under the data
directory (``run/metrics/<pid>``) where its processes add up their counts for ``/metrics``
(adapters.process_counters), so that whichever process answers reports the whole server.
"""

from __future__ import annotations

import json
import logging
import os
import time

from agentpack.core.records import fields, replace

SETTINGS_VARIABLE = "AGENTPACK_SERVER_SETTINGS"  # the settings a worker process builds its app from


class _JsonLines(logging.Formatter):
    """uvicorn's own messages as one JSON object per line, like the server's."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
                           "event": "server", "level": record.levelname.lower(), "message": record.getMessage()})


def serve(settings, *, host: str, port: int, workers: int = 1) -> None:
    """Serve ``create_app(settings)`` on ``host:port`` until interrupted (SIGINT, SIGTERM), in
    ``workers`` processes (each logs to standard error; ``settings.log`` is for one process)."""
    import uvicorn

    from agentpack.adapters.process_counters import end_run, start_run
    from agentpack.services.registry_admin import default_data_dir

    _log_uvicorn_to(settings.log)
    options = {"host": host, "port": port, "log_config": None, "access_log": False, "lifespan": "on",
               "timeout_graceful_shutdown": 10}
    data_dir = os.path.abspath(os.path.expanduser(settings.data_dir or default_data_dir()))
    folder = start_run(data_dir)  # where this run's processes add up their metrics
    settings = replace(settings, metrics_dir=folder)
    try:
        if workers > 1:
            values = {f.name: getattr(settings, f.name) for f in fields(settings) if f.name != "log"}
            os.environ[SETTINGS_VARIABLE] = json.dumps(values)
            uvicorn.run("agentpack.server.run:worker_app", factory=True, workers=workers, **options)
            return
        from agentpack.server.app import create_app

        uvicorn.run(create_app(settings), **options)
    finally:
        end_run(folder)


def worker_app():
    """The app of one worker process, from the settings ``serve`` put in the environment."""
    from agentpack.server.app import create_app
    from agentpack.server.settings import ServerSettings

    fields = json.loads(os.environ[SETTINGS_VARIABLE])
    settings = ServerSettings(**dict(fields, levels=tuple(fields["levels"])))
    _log_uvicorn_to(settings.log)
    return create_app(settings)


def _log_uvicorn_to(stream) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_JsonLines())
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
