"""Read a foreign source folder from disk as a ``Listing``, within limits and without following links.

``extract`` hands readers a ``Listing``; this module is the only place that builds one from disk.
The walk never follows a symbolic link (a link is reported, not read: it could point anywhere on
the machine), skips sockets, FIFOs and devices (reported too), and skips version-control and tool
folders (``.git``...). It reuses the package archive's ceilings (``ArchiveLimits``): at most
``max_members`` files, each at most ``max_file_size`` bytes, ``max_total_size`` in all; a file over
its limit is left out with a finding, and once the count or total is reached the rest is left out
with one finding. Sizes come from ``lstat``; contents are read lazily, on first lookup, and kept.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping

from agentpack.adapters.archive_rules import ArchiveLimits
from agentpack.adapters.paths import open_no_follow
from agentpack.core.readers import Listing
from agentpack.errors import Problem, UsageError

SKIPPED_NAMES = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".agentops", ".DS_Store"})


class _LazyFiles(Mapping[str, bytes]):
    """``{relative path: bytes}`` over files found by the walk, each read (no-follow) when first used."""

    def __init__(self, root: str, sizes: dict[str, int], limit: int) -> None:
        self._root, self._sizes, self._limit = root, sizes, limit
        self._cache: dict[str, bytes] = {}

    def __getitem__(self, path: str) -> bytes:
        if path not in self._sizes:
            raise KeyError(path)
        data = self._cache.get(path)
        if data is None:
            data = self._cache[path] = _read(os.path.join(self._root, *path.split("/")), self._limit)
        return data

    def __iter__(self) -> Iterator[str]:
        return iter(self._sizes)

    def __len__(self) -> int:
        return len(self._sizes)

    def __contains__(self, path: object) -> bool:
        return path in self._sizes


DEFAULT_LIMITS = ArchiveLimits()


def read_source_folder(root: str, limits: ArchiveLimits = DEFAULT_LIMITS) -> tuple[Listing, list[Problem]]:
    """The listing of folder ``root`` and the findings of the walk (links, special or oversized files).

    Raises ``UsageError`` when ``root`` is not a directory (or is itself a symbolic link). Never
    raises for anything inside it: unreadable folders are findings too.
    """
    if os.path.islink(root) or not os.path.isdir(root):
        raise UsageError(f"{root} is not a folder", path=root, hint="give the folder to extract packages from")
    sizes: dict[str, int] = {}
    findings: list[Problem] = []
    total = 0
    stopped = False
    for rel, entry_stat in _walk(root, "", findings):
        mode = entry_stat.st_mode
        if stat.S_ISLNK(mode):
            findings.append(Problem("warning", "symlink", f"{rel} is a symbolic link; links are not followed, "
                                    "so it is left out", path=rel))
        elif not stat.S_ISREG(mode):
            findings.append(Problem("warning", "special-file", f"{rel} is not a regular file; it is left out",
                                    path=rel))
        elif entry_stat.st_size > limits.max_file_size:
            findings.append(Problem("error", "file-too-large", f"{rel} has {entry_stat.st_size} bytes, over the "
                                    f"limit of {limits.max_file_size}; it is left out", path=rel))
        elif stopped or len(sizes) >= limits.max_members or total + entry_stat.st_size > limits.max_total_size:
            if not stopped:
                findings.append(Problem("error", "too-many-files", f"the folder holds more than "
                                        f"{limits.max_members} files or {limits.max_total_size} bytes; "
                                        f"{rel} and every file after it are left out", path=rel))
            stopped = True
        else:
            sizes[rel] = entry_stat.st_size
            total += entry_stat.st_size
    name = os.path.basename(os.path.abspath(root)) or "source"
    return Listing(_LazyFiles(root, sizes, limits.max_file_size), name), findings


def _walk(root: str, prefix: str, findings: list[Problem]) -> Iterator[tuple[str, os.stat_result]]:
    """(relative POSIX path, lstat) of every entry below ``root``/``prefix``, sorted, links not entered."""
    folder = os.path.join(root, *prefix.split("/")) if prefix else root
    try:
        with os.scandir(folder) as entries:
            listed = sorted(entries, key=lambda e: e.name)
    except OSError as exc:
        findings.append(Problem("warning", "unreadable", f"cannot list {prefix or '.'}: {exc.strerror}",
                                path=prefix or None))
        return
    for entry in listed:
        if entry.name in SKIPPED_NAMES:
            continue
        rel = f"{prefix}/{entry.name}" if prefix else entry.name
        entry_stat = entry.stat(follow_symlinks=False)
        if stat.S_ISDIR(entry_stat.st_mode):
            yield from _walk(root, rel, findings)
        else:
            yield rel, entry_stat


def _read(path: str, limit: int) -> bytes:
    """The bytes of ``path``, opened without following a link, at most ``limit`` bytes."""
    fd = open_no_follow(path, os.O_RDONLY)
    with os.fdopen(fd, "rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise OSError(f"{path} grew past {limit} bytes while being read")
    return data
