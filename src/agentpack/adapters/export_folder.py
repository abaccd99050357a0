"""Writing a generated folder (an exported plugin or marketplace) in one atomic step.

The files go to a fresh temporary folder beside OUT, which then takes OUT's place with one rename
(a previous OUT, allowed by ``force``, is moved aside first and removed after). Nothing is ever
written through a symlink: OUT itself may not be one, every file is created new (``O_EXCL``,
``O_NOFOLLOW``) inside the new folder, and no path may leave it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping

from agentpack.errors import AgentpackError, LinkRefused, UnsafeArchive

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


def write_folder(out: str, files: Mapping[str, bytes], *, force: bool = False) -> None:
    """Make the folder ``out`` hold exactly ``files`` (``{relative POSIX path: bytes}``).

    Raises ``LinkRefused`` when ``out`` is a symlink, ``AgentpackError`` when ``out`` is a file or
    a non-empty folder and ``force`` is false, ``UnsafeArchive`` for a path that is absolute or
    climbs out (``..``). On any failure ``out`` is left as it was.
    """
    out = os.path.abspath(out)
    _check_target(out, force)
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".agentops-export-", dir=parent)
    try:
        for relpath in sorted(files):
            _write_file(staging, relpath, files[relpath])
        os.chmod(staging, 0o755)
        _replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _check_target(out: str, force: bool) -> None:
    if os.path.islink(out):
        raise LinkRefused(f"{out} is a symlink; agentops does not write through symlinks", path=out,
                          hint="give a real folder as -o")
    if os.path.isfile(out):
        raise AgentpackError(f"{out} is a file, not a folder", path=out, hint="give a folder as -o")
    if os.path.isdir(out) and os.listdir(out) and not force:
        raise AgentpackError(f"{out} is not empty", path=out,
                             hint="give an empty or new folder, or add --force to replace its content")


def _write_file(root: str, relpath: str, content: bytes) -> None:
    parts = relpath.split("/")
    if relpath.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise UnsafeArchive(f"refusing to write {relpath!r}: not a plain relative path", path=relpath)
    folder = root
    for part in parts[:-1]:
        folder = os.path.join(folder, part)
        if not os.path.isdir(folder) or os.path.islink(folder):
            os.mkdir(folder, 0o755)
    descriptor = os.open(os.path.join(folder, parts[-1]), _FLAGS, 0o644)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)


def _replace(staging: str, out: str) -> None:
    if not os.path.lexists(out):
        os.rename(staging, out)
        return
    aside = tempfile.mkdtemp(prefix=".agentops-old-", dir=os.path.dirname(out))
    old = os.path.join(aside, "old")
    os.rename(out, old)
    try:
        os.rename(staging, out)
    except BaseException:
        os.rename(old, out)
        raise
    finally:
        shutil.rmtree(aside, ignore_errors=True)
