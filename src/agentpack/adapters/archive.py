"""Package archives: reproducible writing and safe, streaming reading of ``.tgz`` files.

A package archive is a gzip-compressed tar whose members all live under ``package/``, as in npm
tarballs. Writing is reproducible: one mapping of paths to bytes always gives the same archive bytes
(for a given zlib build), whatever the clock, umask, owner or file order. Reading trusts nothing:
every member is checked here against the path, type, uniqueness and size rules before any byte of
it is returned, and nothing is written to disk, so a caller only ever materialises checked content.

Both directions are hand-written over ``zlib`` instead of using ``tarfile`` and ``gzip``. Reading:
tarfile costs several times more per member than this reader (see ``bench/bench_archive.py``; a
package is many small files, so per-member cost dominates), its extraction filters in this Python
have known bypasses, and it cannot meter the bytes it decompresses. Accepting only the subset of
tar that packages need (ustar/GNU headers, pax ``x``/``g`` records, GNU long names) keeps what an
attacker can reach small. Writing: emitting the headers ourselves fixes every byte of the format,
independently of how a given Python's tarfile lays out pax records or padding.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from agentpack.adapters.paths import write_atomic
from agentpack.errors import AgentpackError, IntegrityError, UnsafeArchive

ARCHIVE_PREFIX = "package/"

_BLOCK = 512
_ZERO_BLOCK = bytes(_BLOCK)
_RECORD = 20 * _BLOCK  # tar's traditional blocking factor; GNU tar and tarfile pad archives to it
_IN_STEP = 256 * 1024  # compressed bytes handed to zlib at a time
_OUT_STEP = 1024 * 1024  # most bytes one zlib call may produce, so that a limit bites after one step
# Below this much output the ratio is not judged: an archive of a few tiny files is mostly zero
# padding, which deflate squeezes a thousandfold, and such an archive is harmless whatever its ratio.
_RATIO_GRACE = 1024 * 1024
_META_MAX = 1024 * 1024  # largest pax or GNU long-name record accepted
_META_RUN = 8  # headers read looking for a real member; writers put one or two extended ones first
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # deflate, no name, mtime 0, XFL=max, OS unknown
_LEVEL = 9  # archives are built once and downloaded many times
_POSIX_MAGIC = b"ustar\x0000"
_GNU_MAGIC = b"ustar  \x00"
_META_TYPES = frozenset((b"x", b"g", b"L", b"K"))
_REGULAR_TYPES = frozenset((b"0", b"\x00"))
_TYPE_RULES = {
    b"1": "hard links are not allowed",
    b"2": "symbolic links are not allowed",
    b"3": "character devices are not allowed",
    b"4": "block devices are not allowed",
    b"6": "FIFOs are not allowed",
    b"S": "sparse files are not allowed",
}
_HINT = "The archive is damaged or was crafted to escape its folder; do not install it."


@dataclass(frozen=True)
class ArchiveLimits:
    """Ceilings applied while reading an archive, each checked before the bytes it guards are kept.

    Sizes are checked on each header before its content is decompressed, and the decompressed
    stream as a whole is metered too (see ``_Inflater._meter``), so bytes that no header declares
    cannot slip by. ``max_ratio`` compares decompressed with compressed bytes as decompression goes,
    once more than 1 MiB has come out.
    """

    max_members: int = 100_000
    max_file_size: int = 64 * 1024 * 1024
    max_total_size: int = 1024 * 1024 * 1024
    max_ratio: int = 200


@dataclass(frozen=True)
class BuiltArchive:
    """An archive written by ``write_archive``: its path, the hex SHA-256 of its bytes, its size."""

    path: str
    sha256: str
    size: int


# -- writing ---------------------------------------------------------------------------------------


def write_archive(
    files: Mapping[str, bytes], out_path: str, *, executable: frozenset[str] = frozenset()
) -> BuiltArchive:
    """Write ``files`` (relative POSIX path -> content) as a reproducible package archive.

    Members are ``package/<path>`` regular files in code-point order of path, stored byte for byte,
    with mtime 0, uid/gid 0, empty owner names and mode 0644 (0755 for paths in ``executable``;
    other entries of ``executable`` are ignored). No directory entries are written, as in npm
    tarballs: directories are implied by file paths, so empty ones are not packaged and extractors
    choose directory modes. Names that are not ASCII or longer than 100 bytes go in a pax ``path``
    record and nothing else ever does, so no timestamp can leak. The gzip header is fixed (mtime 0,
    no file name) and the level is 9, so the bytes depend only on ``files``, ``executable`` and the
    zlib build. A path the reader would refuse (``..``, absolute, backslash, control characters,
    collisions after case folding or NFC, a file that is also a folder) raises ``UnsafeArchive``
    before anything is written. The archive, then ``out_path + ".sha256"`` (``"<hex>  <basename>\\n"``,
    as sha256sum writes it), each replace their target atomically (missing folders are created);
    an ``OSError`` becomes an ``AgentpackError`` naming the file.
    """
    paths = sorted(files)
    names = _NameTable()
    for path in paths:
        rule = "absolute path" if path.startswith("/") else _path_rule(ARCHIVE_PREFIX + path, is_dir=False)
        rule = rule or names.add(path, is_dir=False)
        if rule:
            raise UnsafeArchive(f"cannot package {path!r}: {rule}", path=path)
        if len(files[path]) >= 8**11:
            raise AgentpackError(f"cannot package {path!r}: files of 8 GiB or more are not supported")
    data = b"".join(_gzip(_tar_blocks(paths, files, executable)))
    digest = hashlib.sha256(data).hexdigest()
    sidecar = f"{digest}  {os.path.basename(out_path)}\n".encode()
    for target, content in ((out_path, data), (out_path + ".sha256", sidecar)):
        try:
            write_atomic(target, content)
        except OSError as exc:
            raise AgentpackError(f"cannot write {target}: {exc.strerror or exc}", path=target) from exc
    return BuiltArchive(path=out_path, sha256=digest, size=len(data))


def sha256_file(path: str) -> str:
    """The lowercase hex SHA-256 of the file at ``path``, read in chunks (never whole in memory).

    An ``OSError`` becomes an ``AgentpackError`` naming the file.
    """
    try:
        with open(path, "rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest()
    except OSError as exc:
        raise AgentpackError(f"cannot read {path}: {exc.strerror or exc}", path=os.fspath(path)) from exc


def _tar_blocks(paths: list[str], files: Mapping[str, bytes], executable: frozenset[str]) -> Iterator[bytes]:
    entries: list[tuple[bytes, bytes, int, bytes]] = []  # name, content, mode, type
    for path in paths:
        name = (ARCHIVE_PREFIX + path).encode("utf-8")
        if len(name) > 100 or not name.isascii():
            entries.append((b"package/@PaxHeader", _pax_record(b"path", name), 0o644, b"x"))
            # Readers without pax support fall back to this name; pax readers ignore it.
            name = (ARCHIVE_PREFIX + path).encode("ascii", "replace")[:100]
        entries.append((name, files[path], 0o755 if path in executable else 0o644, b"0"))
    written = 0
    for name, content, mode, typeflag in entries:
        padding = bytes(-len(content) % _BLOCK)
        yield _header(name, len(content), mode, typeflag) + content + padding
        written += _BLOCK + len(content) + len(padding)
    end = 2 * _BLOCK
    yield bytes(end + (-(written + end) % _RECORD))


def _header(name: bytes, size: int, mode: int, typeflag: bytes) -> bytes:
    head = bytearray(_BLOCK)
    head[0 : len(name)] = name
    head[100:108] = b"%07o\x00" % mode
    head[108:124] = b"0000000\x00" * 2  # uid, gid
    head[124:136] = b"%011o\x00" % size
    head[136:148] = b"00000000000\x00"  # mtime
    head[148:156] = b" " * 8  # the checksum is computed with its own field blank
    head[156:157] = typeflag
    head[257:265] = _POSIX_MAGIC
    head[329:345] = b"0000000\x00" * 2  # device major, minor
    head[148:156] = b"%06o\x00 " % sum(head)
    return bytes(head)


def _pax_record(key: bytes, value: bytes) -> bytes:
    body = b" " + key + b"=" + value + b"\n"
    length = len(body) + len(str(len(body)))
    length += len(str(length)) - len(str(len(body)))  # the length counts its own digits
    return b"%d" % length + body


def _gzip(blocks: Iterator[bytes]) -> Iterator[bytes]:
    # zlib's own gzip wrapper writes an OS byte that differs between platforms; framing the raw
    # deflate stream here keeps the header identical everywhere.
    deflate = zlib.compressobj(_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS, 8, zlib.Z_DEFAULT_STRATEGY)
    crc = size = 0
    yield _GZIP_HEADER
    for block in blocks:
        crc = zlib.crc32(block, crc)
        size += len(block)
        yield deflate.compress(block)
    yield deflate.flush() + crc.to_bytes(4, "little") + (size & 0xFFFFFFFF).to_bytes(4, "little")


# -- reading ---------------------------------------------------------------------------------------


def read_archive(
    source: bytes | str, *, limits: ArchiveLimits = ArchiveLimits(), expected_sha256: str | None = None
) -> dict[str, bytes]:
    """Every file of a package archive, as ``{path without 'package/': content}`` in archive order.

    ``source`` is the archive's bytes or a file path. Each member is checked before its content is
    kept, and ``UnsafeArchive`` (message naming the member and the rule; ``path`` = the archive file
    when ``source`` is a path) is raised for: absolute paths, ``..``, ``.`` or empty components,
    backslashes, NUL or other control characters in names, members outside ``package/``, any type
    but regular file and directory (links, devices, FIFOs, sparse files...), duplicate entries,
    entries that collide after case folding or NFC normalisation (or are both file and folder), and
    breaking ``limits``. A truncated or corrupt gzip or tar stream (including a bad CRC) raises
    ``UnsafeArchive`` saying "archive is truncated or corrupt". The whole input is read, so the gzip
    CRC is verified before anything is returned. With ``expected_sha256``, a digest mismatch of the
    archive bytes raises ``IntegrityError`` (a tampered archive may trip a safety rule first).
    Directory entries are accepted but not returned. Nothing is written to disk.
    """
    with _open(source, expected_sha256) as (stream, where):
        files = dict(_iter_files(stream, limits, want=None))
        stream.drain()
    if expected_sha256 is not None and stream.sha256 != expected_sha256.lower():
        raise IntegrityError(
            f"archive digest is {stream.sha256}, expected {expected_sha256}",
            path=where,
            hint="The archive changed after its digest was recorded; do not install it.",
        )
    return files


def read_member(source: bytes | str, name: str, *, limits: ArchiveLimits = ArchiveLimits()) -> bytes | None:
    """The content of one file of an archive (``name`` relative to ``package/``), or None if absent.

    Members are streamed and only the wanted one is kept in memory. Every member read before it gets
    the same checks as in ``read_archive`` (raising ``UnsafeArchive``); reading stops at the first
    match, so problems that lie only after it, including a damaged gzip trailer, go unnoticed:
    ``read_archive`` remains the gate before installing. When ``name`` is absent the whole archive
    has been checked.
    """
    with _open(source, None) as (stream, _where):
        for _path, content in _iter_files(stream, limits, want=name):
            return content
        stream.drain()
    return None


@contextmanager
def _open(source: bytes | str, expected_sha256: str | None) -> Iterator[tuple[_Inflater, str | None]]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        view = memoryview(source)
        chunks = (view[i : i + _IN_STEP] for i in range(0, len(view), _IN_STEP))
        yield _Inflater(chunks, None, expected_sha256 is not None), None
        return
    where = os.fspath(source)
    try:
        with open(where, "rb") as file:
            yield _Inflater(iter(lambda: file.read(_IN_STEP), b""), where, expected_sha256 is not None), where
    except OSError as exc:
        raise AgentpackError(f"cannot read archive {where}: {exc.strerror or exc}", path=where) from exc


def _unsafe(where: str | None, member: str | None, rule: str) -> UnsafeArchive:
    subject = "unsafe archive" if member is None else f"unsafe archive member {member!r}"
    return UnsafeArchive(f"{subject}: {rule}", path=where, hint=_HINT)


def _corrupt(where: str | None, detail: str) -> UnsafeArchive:
    return UnsafeArchive(f"archive is truncated or corrupt ({detail})", path=where, hint=_HINT)


class _Inflater:
    """The decompressed tar stream, produced on demand and metered against the limits as it comes."""

    def __init__(self, chunks: Iterator[bytes], where: str | None, hashing: bool) -> None:
        self._chunks = chunks
        self.where = where
        self.limits = ArchiveLimits()
        self.member: str | None = None  # being read, to name it when a limit trips
        self._hash = hashlib.sha256() if hashing else None
        self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._buf = b""
        self._pos = 0
        self._consumed = 0
        self._produced = 0

    @property
    def sha256(self) -> str | None:
        """Hex SHA-256 of the compressed bytes read so far, when hashing was asked for."""
        return self._hash.hexdigest() if self._hash else None

    def take(self, size: int, keep: bool = True) -> bytes:
        """The next ``size`` bytes (or b"" with ``keep=False``, which only skips them)."""
        end = self._pos + size
        if end <= len(self._buf):
            data = self._buf[self._pos : end] if keep else b""
            self._pos = end
            return data
        parts = [self._buf[self._pos :]] if keep else []
        need = end - len(self._buf)
        while True:
            block = self._inflate()
            if not block:
                raise _corrupt(self.where, "the tar stream ends early")
            if len(block) >= need:
                if keep:
                    parts.append(block[:need])
                self._buf, self._pos = block, need
                return b"".join(parts)
            if keep:
                parts.append(block)
            need -= len(block)

    def drain(self) -> None:
        """Read to the end of the input, so that every gzip CRC is checked and all input metered."""
        self.member, self._buf, self._pos = None, b"", 0
        while self._inflate():
            pass

    def _next_chunk(self) -> bytes:
        chunk = next(self._chunks, b"")
        if self._hash:
            self._hash.update(chunk)
        return chunk

    def _inflate(self) -> bytes:
        # Returns b"" only at the clean end: every gzip member complete (concatenated members are
        # valid gzip) and no input left. Anything after a member that is not gzip is corruption.
        while True:
            if self._zlib.eof:
                data = self._zlib.unused_data or self._next_chunk()
                if not data:
                    return b""
                self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
            else:
                data = self._zlib.unconsumed_tail or self._next_chunk()
                if not data:
                    raise _corrupt(self.where, "the gzip stream ends early")
            try:
                out = self._zlib.decompress(data, _OUT_STEP)
            except zlib.error as exc:
                raise _corrupt(self.where, f"gzip: {exc}") from None
            self._consumed += len(data) - len(self._zlib.unconsumed_tail) - len(self._zlib.unused_data)
            if out:
                self._meter(len(out))
                return out

    def _meter(self, produced: int) -> None:
        self._produced += produced
        limits = self.limits
        # File contents are limited exactly by their declared sizes; this catches bytes no header
        # declares (oversized extended headers, data after the end of the archive), allowing tar's
        # own overhead: a header and padding per member, up to four blocks with a pax name, and the
        # final record.
        cap = limits.max_total_size + limits.max_members * 4 * _BLOCK + _RECORD
        if self._produced > cap:
            raise _unsafe(self.where, self.member, f"more than {cap} bytes once decompressed")
        if self._produced > _RATIO_GRACE and self._produced > limits.max_ratio * self._consumed:
            rule = f"decompresses more than {limits.max_ratio} times its compressed size (a gzip bomb?)"
            raise _unsafe(self.where, self.member, rule)


def _iter_files(stream: _Inflater, limits: ArchiveLimits, want: str | None) -> Iterator[tuple[str, bytes]]:
    """Check members one by one and yield (path, content) for the regular files wanted (all if None)."""
    stream.limits = limits
    names = _NameTable()
    members = declared = 0
    while (found := _next_member(stream)) is not None:
        typeflag, size, member = found
        stream.member = member
        members += 1
        declared += size
        is_dir = typeflag == b"5"
        path = member[len(ARCHIVE_PREFIX) :]
        path = path.rstrip("/") if is_dir else path
        rule = _member_rule(typeflag, size, member, members, declared, limits)
        if not rule and path:  # "package/" itself is the only member with an empty path
            rule = names.add(path, is_dir)
        if rule:
            raise _unsafe(stream.where, member, rule)
        if is_dir:
            continue
        keep = want is None or path == want
        content = stream.take(size, keep)
        stream.take(-size % _BLOCK, keep=False)
        if keep:
            yield path, content


def _next_member(stream: _Inflater) -> tuple[bytes, int, str] | None:
    """The next real member's (type, size, name) with its extended headers applied; None at the end."""
    where = stream.where
    stream.member = None
    pax: dict[bytes, bytes] = {}
    long_name = b""
    for _ in range(_META_RUN):
        header = stream.take(_BLOCK)
        if header == _ZERO_BLOCK:
            return None  # end of archive; what follows is padding, which drain still meters
        typeflag, size, name = _parse_header(header, where)
        if typeflag not in _META_TYPES:
            break
        if size > _META_MAX:
            raise _corrupt(where, f"extended header of {size} bytes")
        data = stream.take(size)
        stream.take(-size % _BLOCK, keep=False)
        if typeflag == b"x":
            pax.update(_parse_pax(data, where))
        elif typeflag == b"g" and {b"path", b"size", b"linkpath"} & _parse_pax(data, where).keys():
            raise _unsafe(where, None, "a global pax header may not rename or resize members")
        elif typeflag == b"L":
            long_name = data.split(b"\x00", 1)[0]
        # "K" only names a link target, and links are refused when their own header comes.
    else:
        raise _corrupt(where, "too many extended headers in a row")
    if b"size" in pax:
        size = _decimal(pax[b"size"], where)
    if any(key.startswith(b"GNU.sparse.") for key in pax):
        typeflag = b"S"  # a sparse file dressed as a regular one: its data is not its content
    raw_name = pax.get(b"path") or long_name or name
    try:
        return typeflag, size, raw_name.decode("utf-8")
    except UnicodeDecodeError:
        member = raw_name.decode("utf-8", "backslashreplace")
        raise _unsafe(where, member, "name is not valid UTF-8") from None


def _member_rule(
    typeflag: bytes, size: int, member: str, members: int, declared: int, limits: ArchiveLimits
) -> str | None:
    """Why this member (the ``members``-th, ``declared`` bytes so far) is refused, or None."""
    is_dir = typeflag == b"5"
    if members > limits.max_members:
        return f"more than {limits.max_members} members"
    if not is_dir and typeflag not in _REGULAR_TYPES:
        return _TYPE_RULES.get(typeflag, f"member type {typeflag!r} is not allowed (only files and folders)")
    if is_dir and size:
        return "a directory entry may not carry data"
    if size > limits.max_file_size:
        return f"{size} bytes is over the single-file limit of {limits.max_file_size}"
    if declared > limits.max_total_size:
        return f"the files add up to more than {limits.max_total_size} bytes"
    return _path_rule(member, is_dir)


def _parse_header(header: bytes, where: str | None) -> tuple[bytes, int, bytes]:
    magic = header[257:265]
    if magic != _POSIX_MAGIC and magic != _GNU_MAGIC:
        raise _corrupt(where, "not a ustar, pax or GNU tar header")
    if _number(header[148:156], where) != sum(header[:148]) + 256 + sum(header[156:]):
        raise _corrupt(where, "tar header checksum mismatch")
    name = header[:100].split(b"\x00", 1)[0]
    if magic == _POSIX_MAGIC and header[345]:  # GNU tar keeps other fields where ustar has its prefix
        name = header[345:500].split(b"\x00", 1)[0] + b"/" + name
    return header[156:157], _number(header[124:136], where), name


def _number(field: bytes, where: str | None) -> int:
    if field[0] & 0x80:  # GNU base-256, used for values octal cannot hold
        if field[0] != 0x80:
            raise _corrupt(where, "negative number in a tar header")
        return int.from_bytes(field[1:], "big")
    digits = field.strip(b" \x00")
    # int() alone would also take signs, underscores and "0o" prefixes.
    if digits.translate(None, b"01234567"):
        raise _corrupt(where, "malformed number in a tar header")
    return int(digits, 8) if digits else 0


def _decimal(value: bytes, where: str | None) -> int:
    if not value.isdigit():
        raise _corrupt(where, "malformed number in a pax header")
    return int(value)


def _parse_pax(data: bytes, where: str | None) -> dict[bytes, bytes]:
    records: dict[bytes, bytes] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        length = _decimal(data[pos:space], where) if space > pos else 0
        end = pos + length
        if length <= space - pos or end > len(data) or data[end - 1] != 0x0A:
            raise _corrupt(where, "malformed pax record")
        key, equals, value = data[space + 1 : end - 1].partition(b"=")
        if not equals:
            raise _corrupt(where, "malformed pax record")
        records[key] = value
        pos = end
    return records


def _path_rule(name: str, is_dir: bool) -> str | None:
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
    return None


class _NameTable:
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
