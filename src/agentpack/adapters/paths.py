"""Where agentpack keeps its files on this machine, and how it writes a file safely.

The data directory holds the embedded default registry; the cache directory holds downloaded
archives; the state directory holds what the client remembers (the registry index serials seen).
All follow the platform's conventions through ``platformdirs``, which is imported only when a
location is actually needed (it is not free at start-up). ``XDG_DATA_HOME``, ``XDG_CACHE_HOME``
and ``XDG_STATE_HOME`` are honoured on every platform, as uv and pip do, so one setting moves
agentpack's files on macOS too (and tests can point them at a temporary directory). The result is always an
absolute path, whatever odd value the environment holds.

Every folder and file agentops writes (in a workspace, a registry, the download cache, a key or
trust store, build output) is written atomically and never through a symbolic link: the helpers
below check each component under the root the caller names with ``lstat`` and open final files
with ``O_NOFOLLOW``, and raise ``LinkRefused`` naming the link. The root itself, and whatever lies
above it, is the user's choice and may be a link (a home folder on another disk, ``-o`` naming a
linked folder); what lies inside may come from anywhere (a clone, an archive, a shared drive).
"""

from __future__ import annotations

import errno
import os
import stat

APP_NAME = "agentpack"
# O_NOFOLLOW is POSIX; where it is missing the lstat checks below are the only guard.
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)


def user_data_dir() -> str:
    """Agentpack's per-user data directory (``$XDG_DATA_HOME/agentpack`` when that is set)."""
    return _user_dir("XDG_DATA_HOME", "user_data_dir")


def user_cache_dir() -> str:
    """Agentpack's per-user cache directory (``$XDG_CACHE_HOME/agentpack`` when that is set)."""
    return _user_dir("XDG_CACHE_HOME", "user_cache_dir")


def user_state_dir() -> str:
    """Agentpack's per-user state directory (``$XDG_STATE_HOME/agentpack`` when that is set): what
    the client remembers between runs that is neither data nor a disposable cache."""
    return _user_dir("XDG_STATE_HOME", "user_state_dir")


def user_config_dir() -> str:
    """Agentpack's per-user configuration directory (``$XDG_CONFIG_HOME/agentpack`` when that is
    set): where ``agentops login`` keeps registry tokens."""
    return _user_dir("XDG_CONFIG_HOME", "user_config_dir")


# Where platformdirs puts each directory on Linux when its XDG variable is unset: written out here
# because importing platformdirs (with pathlib, tempfile and shutil) costs ~10 ms, a tenth of a
# first install. tests/adapters/test_paths.py holds them to platformdirs' own answers; any other
# platform, or a variable set to a relative path, asks platformdirs.
_LINUX_DEFAULTS = {"XDG_DATA_HOME": ".local/share", "XDG_CACHE_HOME": ".cache", "XDG_STATE_HOME": ".local/state",
                   "XDG_CONFIG_HOME": ".config"}


def _user_dir(variable: str, platformdirs_name: str) -> str:
    xdg = _xdg(variable)
    if xdg:
        return os.path.join(xdg, APP_NAME)
    import sys

    if sys.platform == "linux" and not os.environ.get(variable, "").strip() and not _android():
        return os.path.abspath(os.path.join(os.path.expanduser("~"), _LINUX_DEFAULTS[variable], APP_NAME))
    import platformdirs

    return os.path.abspath(getattr(platformdirs, platformdirs_name)(APP_NAME, appauthor=False))


def _android() -> bool:
    return os.environ.get("ANDROID_DATA") == "/data" and os.environ.get("ANDROID_ROOT") == "/system"


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


def link_refused(path: str, problems=()):
    """The ``LinkRefused`` error for ``path``, a symbolic link where agentops was about to write
    (``problems``: every such link, and other conflicts found with it, when there are several)."""
    from agentpack.errors import LinkRefused

    return LinkRefused(f"{path} is a symbolic link; agentops does not write through links", path=path,
                       problems=problems,
                       hint=f"remove the link {path} (or replace it with a real folder or file), then try again")


def refuse_links(root: str, path: str) -> None:
    """Raise ``LinkRefused`` if ``path``, or any folder between ``root`` and it, is a symbolic link.

    Only components below ``root`` are checked: ``root`` itself and the folders above it are the
    user's choice (a workspace reached through a linked home folder is fine), whereas what lies
    inside it may come from anywhere (a cloned repository, an unpacked archive, a shared drive).
    Components that do not exist yet are fine. ``path`` must be ``root`` or lie under it.
    """
    for current in _components(root, path):
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            return
        if stat.S_ISLNK(mode):
            raise link_refused(current)


def make_dirs(root: str, directory: str, mode: int = 0o777) -> None:
    """``os.makedirs(directory, exist_ok=True)`` that never creates or enters a folder through a
    symbolic link below ``root`` (``LinkRefused``); ``root`` itself is created as it is named.
    ``mode`` (e.g. 0o700 for a key folder) is for ``directory`` and the folders made on the way
    below ``root``, not for ``root`` when ``directory`` lies below it.

    A component that is a file raises ``NotADirectoryError``; other failures propagate as ``OSError``.
    """
    below = _components(root, directory)
    os.makedirs(root, 0o777 if below else mode, exist_ok=True)
    for current in below:
        try:
            found = os.lstat(current).st_mode
        except FileNotFoundError:
            try:
                os.mkdir(current, mode)
                continue
            except FileExistsError:  # made by another process meanwhile
                found = os.lstat(current).st_mode
        if stat.S_ISLNK(found):
            raise link_refused(current)
        if not stat.S_ISDIR(found):
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), current)


def open_no_follow(path: str, flags: int, mode: int = 0o666) -> int:
    """``os.open(path, flags)`` that refuses (``LinkRefused``) when ``path`` itself is a symbolic
    link, instead of opening, creating or truncating the file it points to."""
    try:
        return os.open(path, flags | _NO_FOLLOW | os.O_CLOEXEC, mode)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK) and os.path.islink(path):
            raise link_refused(path) from None
        raise


def _components(root: str, path: str) -> list[str]:
    """The paths from the first component below ``root`` down to ``path`` itself."""
    root = os.path.abspath(root)
    relative = os.path.relpath(os.path.abspath(path), root)
    if relative == os.curdir:
        return []
    parts = relative.split(os.sep)
    if parts[0] == os.pardir:
        raise ValueError(f"{path} is not inside {root}")
    found = []
    for part in parts:
        root = os.path.join(root, part)
        found.append(root)
    return found


def write_fully(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` (``os.write`` may write less than it is given)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def write_atomic(path: str, data: bytes, *, durable: bool = True, root: str | None = None) -> None:
    """Replace ``path`` with ``data`` so that a reader sees the old file or the new one, never a part.

    The bytes go to a uniquely named temporary file in the same directory (created if missing),
    are flushed to disk, then renamed over ``path`` with ``os.replace``, which is atomic on one
    filesystem. On failure the temporary file is removed and the error propagates as ``OSError``.
    The new file gets the usual ``0o644`` (minus umask) so that a static web server can serve it.
    ``durable=False`` skips the fsync, for data that is verified on every read and can be fetched
    again (the download cache): it survives a killed process, only not a power loss.

    Nothing is written through a symbolic link: ``LinkRefused`` is raised when ``path`` is one, or
    any folder between ``root`` (default: the folder of ``path``) and it (see ``refuse_links``).
    """
    directory = os.path.dirname(path) or "."
    make_dirs(directory if root is None else root, directory)
    refuse_links(directory, path)
    temp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        try:
            write_fully(fd, data)
            # Without fsync a crash soon after the rename can leave an empty file under the final name.
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)  # replaces a link planted meanwhile, never writes through it
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def read_within(stream, limit: int) -> bytes | None:
    """All of an open binary file's bytes, or None when it holds more than ``limit`` bytes.

    The size is checked before anything is read, and the read stops one byte past the limit, so a
    huge (or sparse, or still growing) file never makes the process allocate more than ``limit``.
    """
    want = limit + 1
    try:
        size = os.fstat(stream.fileno()).st_size
        if size > limit:
            return None
        # Asking for the stated size (and one byte more, to see a file still growing) rather than
        # for the limit: a read of n bytes sets n bytes aside first, which for a limit of a
        # gigabyte costs more than reading a small file.
        want = size + 1
    except (AttributeError, OSError):
        pass  # not a plain file: the bounded read below still holds
    data = stream.read(want)
    if len(data) == want and want <= limit:  # grew past its stated size: read on, within the limit
        data += stream.read(limit + 1 - want)
    return None if len(data) > limit else data
