"""What a registry server is told at start: where its state is, and its limits."""

from __future__ import annotations

import sys
from typing import TextIO

from agentpack.core.classification import DEFAULT_LEVELS
from agentpack.core.records import dataclass, field

DEFAULT_MAX_UPLOAD = 1024**3  # the largest archive agentpack accepts (adapters.archive_rules)


@dataclass(frozen=True)
class ServerSettings:
    """``data_dir``: all server state (None: the user data directory's ``server`` folder);
    ``database_url``: a SQLAlchemy URL instead of ``DATA/registry.db``; ``blobs``: where the archives
    are instead of ``DATA/blobs``, a folder or ``oci://HOST[:PORT]/REPOSITORY`` (replicas share one;
    with a PostgreSQL ``database_url`` these two hold all shared state, so any number of servers can
    answer alike); ``max_upload``: bytes an upload may have (413 past it);
    ``download_flush_seconds``: how often download counts are written (in one batch); ``log``:
    where the one-JSON-object-per-line log goes; ``public_url``: the URL users install from,
    named by the web catalog's install commands;
    ``read_cache_seconds``: how long the read path serves its snapshot of the metadata before
    asking the database whether another process wrote (server.read_cache; this server's own
    writes are seen at once); ``public_tree``: a folder kept holding what anonymous readers may
    read, as static files for a front web server (server.public_tree; None: none); ``front_log``:
    that front server's log of the blobs it sent from the tree, counted as downloads
    (server.front_log; None: none); ``tier`` and ``classification``: the site's tier and the
    highest level this registry may hold (a Helm tier's ``global.*``; registry.json says the level,
    and a version above it is refused);
    ``metrics_dir``: the folder where the server's processes share
    their counts for ``/metrics`` (set by `registry serve` for each run; None: this process's
    counts only), each writing its own every ``metrics_flush_seconds``."""

    data_dir: str | None = None
    database_url: str | None = None
    blobs: str | None = None
    max_upload: int = DEFAULT_MAX_UPLOAD
    download_flush_seconds: float = 5.0
    levels: tuple[str, ...] = DEFAULT_LEVELS
    log: TextIO = field(default_factory=lambda: sys.stderr)
    public_url: str | None = None
    read_cache_seconds: float = 1.0
    public_tree: str | None = None
    front_log: str | None = None
    tier: str | None = None
    classification: str | None = None
    metrics_dir: str | None = None
    metrics_flush_seconds: float = 1.0
