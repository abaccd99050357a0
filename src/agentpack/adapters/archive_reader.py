"""Safe, streaming reading of package archives (``.tgz`` files whose members live under ``package/``).

Reading trusts nothing: every member is checked here against the path, type, uniqueness and size
rules (see ``archive_rules``) before any byte of it is returned, and nothing is written to disk, so a
caller only ever materialises checked content.

The reader is hand-written over ``zlib`` instead of using ``tarfile`` and ``gzip``: tarfile costs
several times more per member than this reader (see ``bench/bench_archive.py``; a package is many
small files, so per-member cost dominates), its extraction filters in this Python have known
bypasses, and it cannot meter the bytes it decompresses. Accepting only the subset of tar that
packages need (ustar/GNU headers, pax ``x``/``g`` records, GNU long names) keeps what an attacker
can reach small.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from zlib import adler32

from agentpack.adapters.archive_rules import (
    ARCHIVE_PREFIX,
    POSIX_MAGIC,
    TAR_BLOCK,
    ArchiveLimits,
    NameTable,
    corrupt,
    path_rule,
    unsafe,
)
from agentpack.adapters.inflate import InflateError, gzip_inflater
from agentpack.errors import AgentpackError, IntegrityError

# Shared by every call: ArchiveLimits is frozen. (Ruff cannot see that across modules, hence a name.)
_DEFAULT_LIMITS = ArchiveLimits()
_ZERO_BLOCK = bytes(TAR_BLOCK)
_IN_STEP = 256 * 1024  # compressed bytes handed to zlib at a time
_OUT_STEP = 1024 * 1024  # most bytes one zlib call may produce, so that a limit bites after one step
_SEEK_STEP = 32 * 1024  # the same when looking for one member
_START_PROBE = 512  # compressed bytes inflated to judge that input starts as gzip
# Below this much output the ratio is not judged: an archive of a few tiny files is mostly zero
# padding, which deflate squeezes a thousandfold, and such an archive is harmless whatever its ratio.
_RATIO_GRACE = 1024 * 1024
_META_MAX = 1024 * 1024  # largest pax or GNU long-name record accepted
_META_RUN = 8  # headers read looking for a real member; writers put one or two extended ones first
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


def read_archive(
    source: bytes | str | Iterable[bytes], *, limits: ArchiveLimits = _DEFAULT_LIMITS, expected_sha256: str | None = None
) -> dict[str, bytes]:
    """Every file of a package archive, as ``{path without 'package/': content}`` in archive order.

    ``source`` is the archive's bytes, a file path, or an iterable of its bytes in pieces (read as
    it is consumed, e.g. a member of a bundle being streamed). An archive larger than any within
    ``limits`` can be (``max_archive_size``) is refused by its size, before it is read. Each
    member is checked before its content is kept, and ``UnsafeArchive`` (message naming the member and the rule; ``path`` = the archive file
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
    with _open(source, expected_sha256, limits) as (stream, where):
        files = dict(_iter_files(stream, limits, want=None))
        stream.drain()
    if expected_sha256 is not None and stream.sha256 != expected_sha256.lower():
        raise IntegrityError(
            f"archive digest is {stream.sha256}, expected {expected_sha256}",
            path=where,
            hint="The archive changed after its digest was recorded; do not install it.",
        )
    return files


def check_gzip_start(piece: bytes, where: str | None = None) -> None:
    """Refuse, as ``read_archive`` would, input whose first ``piece`` is not the start of a gzip
    stream (a bad header, or a first deflate block that cannot be): ``UnsafeArchive`` saying the
    archive is truncated or corrupt. For a reader that holds an archive's pieces before reading it
    whole elsewhere, so that a bundle member declaring a gigabyte of zeros is refused at once."""
    import zlib  # a few hundred bytes: zlib's inflater is quicker to set up than ISA-L's

    try:
        zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(piece[:_START_PROBE], _START_PROBE)
    except zlib.error as exc:
        raise corrupt(where, f"gzip: {exc}") from None


def read_member(source: bytes | str, name: str, *, limits: ArchiveLimits = _DEFAULT_LIMITS) -> bytes | None:
    """The content of one file of an archive (``name`` relative to ``package/``), or None if absent.

    Members are streamed and only the wanted one is kept in memory. Every member read before it gets
    the same checks as in ``read_archive`` (raising ``UnsafeArchive``); reading stops at the first
    match, so problems that lie only after it, including a damaged gzip trailer, go unnoticed:
    ``read_archive`` remains the gate before installing. When ``name`` is absent the whole archive
    has been checked.
    """
    with _open(source, None, limits) as (stream, _where):
        stream.out_step = _SEEK_STEP  # the wanted member is often first (package.yaml): inflate little
        for _path, content in _iter_files(stream, limits, want=name):
            return content
        stream.drain()
    return None


class TarMember:
    """One regular file of a tar streamed by ``iter_tar``: its name and declared size, already
    checked. Its content is read once, in pieces, with ``chunks()`` (or ``read()``), before the
    next member is asked for; whatever is left unread is skipped."""

    def __init__(self, name: str, size: int, stream: _Inflater) -> None:
        self.name = name
        self.size = size
        self._stream = stream
        self._left = size

    def chunks(self) -> Iterator[bytes]:
        """The content in pieces of at most 256 KiB, read from the tar as they are consumed."""
        while self._left:
            piece = self._stream.take(min(self._left, _IN_STEP))
            self._left -= len(piece)
            yield piece

    def read(self) -> bytes:
        """The whole content (the caller has bounded ``size`` through ``iter_tar``'s rule)."""
        return b"".join(self.chunks())

    def _finish(self) -> None:
        self._stream.take(self._left + (-self.size % TAR_BLOCK), keep=False)
        self._left = 0


def iter_tar(path: str, rule: Callable[[str, int], str | None], *, max_members: int,
             digest=None) -> Iterator[TarMember]:
    """Stream the members of the uncompressed tar file at ``path`` (a bundle), one at a time.

    Every header is checked before any of its content is read, by the same header parser as
    package archives (ustar/GNU headers, pax records, GNU long names; a global pax header may not
    rename or resize members): only regular files are accepted (links, devices, FIFOs, folders and
    sparse files are refused), so are at most ``max_members`` of them, no name twice or colliding
    with another after case folding or NFC normalisation, and ``rule(name, declared size)`` must
    return None (else its text is the reason). A truncated stream, or anything but zero bytes after
    the end-of-archive blocks, is refused too. Every refusal is ``UnsafeArchive`` naming the member.
    The file is read in 256 KiB pieces: nothing is held but what the caller keeps. ``digest`` (a
    hashlib object), when given, is updated with every byte read, so that once the iteration has
    ended it holds the whole file's digest.
    """
    with _open(path, None, _DEFAULT_LIMITS, gzip=False, digest=digest) as (stream, where):
        names = NameTable()
        count = 0
        while (found := _next_member(stream)) is not None:
            typeflag, size, name = found
            count += 1
            stream.member = name
            if count > max_members:
                problem = f"more than {max_members} members"
            elif typeflag not in _REGULAR_TYPES:
                problem = _TYPE_RULES.get(typeflag, f"member type {typeflag!r} is not allowed (only regular files)")
                problem = "folders are not allowed in a bundle" if typeflag == b"5" else problem
            else:
                problem = rule(name, size) or names.add(name, is_dir=False)
            if problem:
                raise unsafe(where, name, problem)
            member = TarMember(name, size, stream)
            yield member
            member._finish()
        if not stream.drain_zeros():
            raise unsafe(where, None, "data after the end of the archive")


@contextmanager
def _open(
    source: bytes | str | Iterable[bytes], expected_sha256: str | None, limits: ArchiveLimits, gzip: bool = True,
    digest=None,
) -> Iterator[tuple[_Inflater, str | None]]:
    hashing = digest or (hashlib.sha256() if expected_sha256 is not None else None)
    if isinstance(source, (bytes, bytearray, memoryview)):
        view = memoryview(source)
        if gzip and len(view) > limits.max_archive_size:
            raise unsafe(None, None, f"{len(view)} bytes is over the archive limit of {limits.max_archive_size}")
        chunks = (view[i : i + _IN_STEP] for i in range(0, len(view), _IN_STEP))
        yield _Inflater(chunks, None, hashing, gzip), None
        return
    if not isinstance(source, (str, os.PathLike)):
        yield _Inflater(iter(source), None, hashing, gzip), None
        return
    where = os.fspath(source)
    try:
        with open(where, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            if gzip and size > limits.max_archive_size:
                raise unsafe(where, None, f"{size} bytes is over the archive limit of {limits.max_archive_size}")
            yield _Inflater(iter(lambda: file.read(_IN_STEP), b""), where, hashing, gzip), where
    except OSError as exc:
        raise AgentpackError(f"cannot read archive {where}: {exc.strerror or exc}", path=where) from exc


class _Inflater:
    """The decompressed tar stream, produced on demand and metered against the limits as it comes."""

    def __init__(self, chunks: Iterator[bytes], where: str | None, hashing, gzip: bool = True) -> None:
        self._chunks = chunks
        self._gzip = gzip  # False: a plain tar, passed through as read
        self.where = where
        self.limits = ArchiveLimits()
        self.member: str | None = None  # being read, to name it when a limit trips
        self._hash = hashing  # a hashlib object fed every input byte, or None
        self._zlib = gzip_inflater()
        self._buf = b""
        self._pos = 0
        self._consumed = 0
        self._produced = 0
        self.out_step = _OUT_STEP

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
                raise corrupt(self.where, "the tar stream ends early")
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

    def drain_zeros(self) -> bool:
        """Read to the end of the input, as ``drain``; whether all that was left is zero bytes."""
        clean = not bytes(self._buf[self._pos :]).strip(b"\x00")
        self.member, self._buf, self._pos = None, b"", 0
        while block := self._inflate():
            clean = clean and not bytes(block).strip(b"\x00")
        return clean

    def _next_chunk(self) -> bytes:
        chunk = next(self._chunks, b"")
        if self._hash:
            self._hash.update(chunk)
        return chunk

    def _inflate(self) -> bytes:
        # Returns b"" only at the clean end: every gzip member complete (concatenated members are
        # valid gzip) and no input left. Anything after a member that is not gzip is corruption.
        if not self._gzip:
            return self._next_chunk()
        while True:
            if self._zlib.eof:
                data = self._zlib.unused_data or self._next_chunk()
                if not data:
                    return b""
                self._zlib = gzip_inflater()
            else:
                data = self._zlib.unconsumed_tail or self._next_chunk()
                if not data:
                    raise corrupt(self.where, "the gzip stream ends early")
            try:
                out = self._zlib.decompress(data, self.out_step)
            except InflateError as exc:
                raise corrupt(self.where, f"gzip: {exc}") from None
            self._consumed += len(data) - len(self._zlib.unconsumed_tail) - len(self._zlib.unused_data)
            if self._consumed > self.limits.max_archive_size:  # e.g. endless empty gzip members
                raise unsafe(self.where, self.member, f"more than {self.limits.max_archive_size} bytes compressed")
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
        cap = limits.max_tar_size
        if self._produced > cap:
            raise unsafe(self.where, self.member, f"more than {cap} bytes once decompressed")
        if self._produced > _RATIO_GRACE and self._produced > limits.max_ratio * self._consumed:
            rule = f"decompresses more than {limits.max_ratio} times its compressed size (a gzip bomb?)"
            raise unsafe(self.where, self.member, rule)


def _iter_files(stream: _Inflater, limits: ArchiveLimits, want: str | None) -> Iterator[tuple[str, bytes]]:
    """Check members one by one and yield (path, content) for the regular files wanted (all if None)."""
    stream.limits = limits
    names = NameTable()
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
            raise unsafe(stream.where, member, rule)
        if is_dir:
            continue
        keep = want is None or path == want
        content = stream.take(size, keep)
        stream.take(-size % TAR_BLOCK, keep=False)
        if keep:
            yield path, content


def _next_member(stream: _Inflater) -> tuple[bytes, int, str] | None:
    """The next real member's (type, size, name) with its extended headers applied; None at the end."""
    where = stream.where
    stream.member = None
    pax: dict[bytes, bytes] = {}
    long_name = b""
    for _ in range(_META_RUN):
        header = stream.take(TAR_BLOCK)
        if header == _ZERO_BLOCK:
            return None  # end of archive; what follows is padding, which drain still meters
        typeflag, size, name = _parse_header(header, where)
        if typeflag not in _META_TYPES:
            break
        if size > _META_MAX:
            raise corrupt(where, f"extended header of {size} bytes")
        data = stream.take(size)
        stream.take(-size % TAR_BLOCK, keep=False)
        if typeflag == b"x":
            pax.update(_parse_pax(data, where))
        elif typeflag == b"g" and {b"path", b"size", b"linkpath"} & _parse_pax(data, where).keys():
            raise unsafe(where, None, "a global pax header may not rename or resize members")
        elif typeflag == b"L":
            long_name = data.split(b"\x00", 1)[0]
        # "K" only names a link target, and links are refused when their own header comes.
    else:
        raise corrupt(where, "too many extended headers in a row")
    if b"size" in pax:
        size = _decimal(pax[b"size"], where)
    if any(key.startswith(b"GNU.sparse.") for key in pax):
        typeflag = b"S"  # a sparse file dressed as a regular one: its data is not its content
    raw_name = pax.get(b"path") or long_name or name
    try:
        return typeflag, size, raw_name.decode("utf-8")
    except UnicodeDecodeError:
        member = raw_name.decode("utf-8", "backslashreplace")
        raise unsafe(where, member, "name is not valid UTF-8") from None


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
    return path_rule(member, is_dir)


def _parse_header(header: bytes, where: str | None) -> tuple[bytes, int, bytes]:
    magic = header[257:265]
    if magic != POSIX_MAGIC and magic != _GNU_MAGIC:
        raise corrupt(where, "not a ustar, pax or GNU tar header")
    if _number(header[148:156], where) != _header_sum(header):
        raise corrupt(where, "tar header checksum mismatch")
    name = header[:100].split(b"\x00", 1)[0]
    if magic == POSIX_MAGIC and header[345]:  # GNU tar keeps other fields where ustar has its prefix
        name = header[345:500].split(b"\x00", 1)[0] + b"/" + name
    return header[156:157], _number(header[124:136], where), name


def _header_sum(header: bytes) -> int:
    """The tar checksum of a 512-byte header: the sum of its bytes, the checksum field counted as
    spaces. Taken with zlib's Adler-32, whose first half is 1 + the sum of the bytes modulo 65521:
    exact for pieces of at most 256 bytes (256 x 255 < 65520), and computed in C, where ``sum``
    over a header costs ~5 us of Python per member (a bundle of 10,000 files)."""
    view = memoryview(header)
    return ((adler32(view[:148]) & 0xFFFF) + (adler32(view[156:412]) & 0xFFFF)
            + (adler32(view[412:512]) & 0xFFFF) - 3 + 8 * 0x20)


def _number(field: bytes, where: str | None) -> int:
    if field[0] & 0x80:  # GNU base-256, used for values octal cannot hold
        if field[0] != 0x80:
            raise corrupt(where, "negative number in a tar header")
        return int.from_bytes(field[1:], "big")
    digits = field.strip(b" \x00")
    # int() alone would also take signs, underscores and "0o" prefixes.
    if digits.translate(None, b"01234567"):
        raise corrupt(where, "malformed number in a tar header")
    return int(digits, 8) if digits else 0


def _decimal(value: bytes, where: str | None) -> int:
    if not value.isdigit():
        raise corrupt(where, "malformed number in a pax header")
    return int(value)


def _parse_pax(data: bytes, where: str | None) -> dict[bytes, bytes]:
    records: dict[bytes, bytes] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        length = _decimal(data[pos:space], where) if space > pos else 0
        end = pos + length
        if length <= space - pos or end > len(data) or data[end - 1] != 0x0A:
            raise corrupt(where, "malformed pax record")
        key, equals, value = data[space + 1 : end - 1].partition(b"=")
        if not equals:
            raise corrupt(where, "malformed pax record")
        records[key] = value
        pos = end
    return records
