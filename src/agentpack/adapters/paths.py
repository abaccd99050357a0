"""Where agentpack keeps its files on this machine, and how it replaces a file safely.

The data directory holds the embedded default registry; the cache directory holds downloaded
archives; the state directory holds what the client remembers (the registry index serials seen).
All follow the platform's conventions through ``platformdirs``, which is imported only when a
location is actually needed (it is not free at start-up). ``XDG_DATA_HOME``, ``XDG_CACHE_HOME``
and ``XDG_STATE_HOME`` are honoured on every platform, as uv and pip do, so one setting moves
agentpack's files on macOS too (and tests can point them at a temporary directory). The result is always an
absolute path, whatever odd value the environment holds.
"""

from __future__ import annotations

import os

APP_NAME = "agentpack"


def user_data_dir() -> str:
    """Agentpack's per-user data directory (``$XDG_DATA_HOME/agentpack`` when that is set)."""
    xdg = _xdg("XDG_DATA_HOME")
    if xdg:
        return os.path.join(xdg, APP_NAME)
    from platformdirs import user_data_dir as platform_data_dir

    return os.path.abspath(platform_data_dir(APP_NAME, appauthor=False))


def user_cache_dir() -> str:
    """Agentpack's per-user cache directory (``$XDG_CACHE_HOME/agentpack`` when that is set)."""
    xdg = _xdg("XDG_CACHE_HOME")
    if xdg:
        return os.path.join(xdg, APP_NAME)
    from platformdirs import user_cache_dir as platform_cache_dir

    return os.path.abspath(platform_cache_dir(APP_NAME, appauthor=False))


def user_state_dir() -> str:
    """Agentpack's per-user state directory (``$XDG_STATE_HOME/agentpack`` when that is set): what
    the client remembers between runs that is neither data nor a disposable cache."""
    xdg = _xdg("XDG_STATE_HOME")
    if xdg:
        return os.path.join(xdg, APP_NAME)
    from platformdirs import user_state_dir as platform_state_dir

    return os.path.abspath(platform_state_dir(APP_NAME, appauthor=False))


def default_registry_dir() -> str:
    """The embedded default registry used when no ``--registry`` is configured."""
    return os.path.join(user_data_dir(), "registry")


def cache_dir() -> str:
    """The root of the download cache (see ``agentpack.adapters.cache.BlobCache``)."""
    return user_cache_dir()


def _xdg(variable: str) -> str | None:
    # The XDG spec calls relative values invalid, so only an absolute one short-cuts platformdirs.
    value = os.environ.get(variable, "")
    return value if os.path.isabs(value) else None


def write_atomic(path: str, data: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` so that a reader sees the old file or the new one, never a part.

    The bytes go to a uniquely named temporary file in the same directory (created if missing),
    are flushed to disk, then renamed over ``path`` with ``os.replace``, which is atomic on one
    filesystem. On failure the temporary file is removed and the error propagates as ``OSError``.
    The new file gets the usual ``0o644`` (minus umask) so that a static web server can serve it.
    ``durable=False`` skips the fsync, for data that is verified on every read and can be fetched
    again (the download cache): it survives a killed process, only not a power loss.
    """
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    temp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            # Without fsync a crash soon after the rename can leave an empty file under the final name.
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
