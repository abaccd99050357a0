"""What the package archive writer and reader share: the layout, the path rules and the limits.

A package archive is a gzip-compressed tar whose members all live under ``package/``, as in npm
tarballs. The writer checks every path against the same rules (``path_rule``, ``NameTable``) that
the reader enforces, so it can never produce an archive the reader would refuse. The reader's
ceilings (``ArchiveLimits``) and the errors it raises for a broken rule (``unsafe``, ``corrupt``)
live here too, beside the rules they report on.
"""

from __future__ import annotations

import unicodedata

from agentpack.core.names import RESERVED_SEGMENTS
from agentpack.core.records import dataclass
from agentpack.errors import UnsafeArchive

ARCHIVE_PREFIX = "package/"

TAR_BLOCK = 512
TAR_RECORD = 20 * TAR_BLOCK  # tar's traditional blocking factor; GNU tar and tarfile pad archives to it
POSIX_MAGIC = b"ustar\x0000"

_HINT = "The archive is damaged or was crafted to escape its folder; do not install it."


@dataclass(frozen=True)
class ArchiveLimits:
    """Ceilings applied while reading an archive, each checked before the bytes it guards are kept.

    Sizes are checked on each header before its content is decompressed, and the decompressed
    stream as a whole is metered too (see ``archive_reader._Inflater._meter``), so bytes that no
    header declares cannot slip by. ``max_ratio`` compares decompressed with compressed bytes as
    decompression goes, once more than 1 MiB has come out.
    """

    max_members: int = 100_000
    max_file_size: int = 64 * 1024 * 1024
    max_total_size: int = 1024 * 1024 * 1024
    max_ratio: int = 200

    @property
    def max_tar_size(self) -> int:
        """The most bytes a tar within these limits can take: its files, then a header and padding
        per member (up to four blocks with a pax name), and the final record."""
        return self.max_total_size + self.max_members * 4 * TAR_BLOCK + TAR_RECORD

    @property
    def max_archive_size(self) -> int:
        """The most bytes a gzip-compressed archive within these limits can take: deflate adds at
        most 5 bytes per 64 KiB block it cannot shrink, gzip 18 bytes of framing. A file above this
        is refused by its size alone, before any of it is read."""
        return self.max_tar_size + self.max_tar_size // 8192 + 1024 * 1024


def unsafe(where: str | None, member: str | None, rule: str) -> UnsafeArchive:
    """The error for an archive (``where``: its file, if any) whose ``member`` breaks ``rule``."""
    subject = "unsafe archive" if member is None else f"unsafe archive member {member!r}"
    return UnsafeArchive(f"{subject}: {rule}", path=where, hint=_HINT)


def corrupt(where: str | None, detail: str) -> UnsafeArchive:
    """The error for a truncated or corrupt gzip or tar stream, ``detail`` saying what was wrong."""
    return UnsafeArchive(f"archive is truncated or corrupt ({detail})", path=where, hint=_HINT)


def path_rule(name: str, is_dir: bool) -> str | None:
    """Why ``name`` may not be a member of a package archive, or None when it may."""
    if "\x00" in name:
        return "NUL character in name"
    if "\\" in name:
        return "backslash in name"
    if not name.isprintable() and any(ord(char) < 32 or ord(char) == 127 for char in name):
        return "control character in name"
    if name.startswith("/"):
        return "absolute path"
    parts = (name[:-1] if is_dir and name.endswith("/") else name).split("/")
    if ".." in parts:
        return "'..' path component"
    if parts[0] != "package" or (len(parts) == 1 and not is_dir):
        return "outside the 'package/' folder"
    if "" in parts or "." in parts:
        return "empty or '.' path component"
    for part in parts:
        if _device_name(part):
            return f"{part!r} is a device name on Windows (whatever its extension), so no file there can be called that"
    return None


_SUPERSCRIPT_PORTS = frozenset(f"{port}{digit}" for port in ("com", "lpt") for digit in "\u00b9\u00b2\u00b3")


_DEVICE_HEADS = frozenset(name[:3] for name in (*RESERVED_SEGMENTS, *_SUPERSCRIPT_PORTS))


def _device_name(part: str) -> bool:
    """Whether Windows opens a device for a file called ``part`` ("nul", "Con.md", "aux .txt", "com\u00b9")."""
    if part[:3].lower() not in _DEVICE_HEADS:  # every device name begins so: most parts stop here
        return False
    stem = part.split(".", 1)[0].rstrip(" ").lower()
    return stem in RESERVED_SEGMENTS or stem in _SUPERSCRIPT_PORTS


class NameTable:
    """Paths seen so far, to refuse duplicates and paths that one file system would merge.

    Keys are case-folded NFC forms: on macOS and Windows file systems (case-insensitive, and on
    macOS normalising) two such entries would land on one file, the second overwriting the first.
    """

    def __init__(self) -> None:
        self._exact: set[str] = set()
        self._folded: dict[str, tuple[str, bool]] = {}

    def add(self, path: str, is_dir: bool) -> str | None:
        """Record ``path`` and its parent folders; the rule it breaks, or None."""
        if path in self._exact:
            return "duplicate entry"
        self._exact.add(path)
        while path:
            key = path.lower() if path.isascii() else _fold(path)
            seen = self._folded.get(key)
            if seen is None:
                self._folded[key] = (path, is_dir)
            elif seen[0] != path:
                if unicodedata.normalize("NFC", seen[0]) == unicodedata.normalize("NFC", path):
                    return f"collides with {ascii(seen[0])}, the same name in another Unicode normalisation"
                return f"collides with {seen[0]!r} once letter case is ignored"
            elif not (seen[1] and is_dir):
                return f"{path!r} is both a file and a folder"
            else:
                return None  # a folder already known, and so are its parents
            path, is_dir = path.rpartition("/")[0], True
        return None


def _fold(path: str) -> str:
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", path).casefold())
