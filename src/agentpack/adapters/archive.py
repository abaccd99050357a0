"""Package archives: reproducible writing of ``.tgz`` files, and the one module callers import.

A package archive is a gzip-compressed tar whose members all live under ``package/``, as in npm
tarballs. Writing is reproducible: one mapping of paths to bytes always gives the same archive bytes
(for a given zlib build), whatever the clock, umask, owner or file order. The writer is hand-written
over ``zlib`` instead of using ``tarfile`` and ``gzip``: emitting the headers ourselves fixes every
byte of the format, independently of how a given Python's tarfile lays out pax records or padding.

Reading lives in ``archive_reader`` and the rules both sides share in ``archive_rules``;
``read_archive``, ``read_member``, ``iter_tar``, ``ArchiveLimits`` and ``ARCHIVE_PREFIX`` are re-exported here so
that callers need only this module.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Iterable, Iterator, Mapping

from agentpack.adapters.archive_reader import TarMember, iter_tar, read_archive, read_member
from agentpack.adapters.archive_rules import (
    ARCHIVE_PREFIX,
    POSIX_MAGIC,
    TAR_BLOCK,
    TAR_RECORD,
    ArchiveLimits,
    NameTable,
    path_rule,
)
from agentpack.adapters.paths import refuse_links, write_atomic
from agentpack.core.records import dataclass
from agentpack.errors import AgentpackError, UnsafeArchive

__all__ = [
    "ARCHIVE_PREFIX",
    "ArchiveLimits",
    "BuiltArchive",
    "TarMember",
    "iter_tar",
    "read_archive",
    "read_member",
    "sha256_file",
    "write_tar",
    "write_archive",
]

_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # deflate, no name, mtime 0, XFL=max, OS unknown
_LEVEL = 9  # archives are built once and downloaded many times
MANIFEST_FILE = "package.yaml"


@dataclass(frozen=True)
class BuiltArchive:
    """An archive written by ``write_archive``: its path, the hex SHA-256 of its bytes, its size."""

    path: str
    sha256: str
    size: int


def write_archive(
    files: Mapping[str, bytes], out_path: str, *, executable: frozenset[str] = frozenset()
) -> BuiltArchive:
    """Write ``files`` (relative POSIX path -> content) as a reproducible package archive.

    Members are ``package/<path>`` regular files, ``package.yaml`` first (so that reading a package's
    identity inflates a few kilobytes, not the whole archive) and the rest in code-point order of
    path, stored byte for byte,
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
    paths = sorted(files, key=lambda path: (path != MANIFEST_FILE, path))
    names = NameTable()
    for path in paths:
        rule = "absolute path" if path.startswith("/") else path_rule(ARCHIVE_PREFIX + path, is_dir=False)
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


def write_tar(out_path: str, members: Iterable[tuple[str, bytes]], *, durable: bool = True) -> str:
    """Write an uncompressed tar of ``members`` ((name, content) pairs, taken one at a time, so only
    one is ever in memory) to ``out_path`` atomically, and return the SHA-256 of its bytes.

    Members get the same fixed metadata as package archives (mtime 0, uid/gid 0, mode 0644), so
    equal input gives equal bytes. The caller checks the names; this only lays them out. If
    ``members`` raises, the exception propagates and ``out_path`` is left as it was.
    """
    directory = os.path.dirname(os.path.abspath(out_path))
    os.makedirs(directory, exist_ok=True)
    refuse_links(directory, out_path)
    temp = os.path.join(directory, f".{os.path.basename(out_path)}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    digest = hashlib.sha256()
    try:
        with open(temp, "xb") as handle:
            from agentpack.adapters.behind import Behind

            def take(part: bytes) -> None:
                digest.update(part)
                handle.write(part)

            # Hashed and written in a thread of its own: the next member (an archive read from a
            # cache and verified) is made meanwhile.
            writer = Behind(take, name="agentpack-tar-writer")
            try:
                written = 0
                for name, content in members:
                    for part in _member_parts(name, content, 0o644, prefix=""):
                        writer.put(part)
                        written += len(part)
                writer.put(_end_blocks(written))
                writer.finish()
            finally:
                writer.close()  # before the file is closed (and removed) under it
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(temp, out_path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    return digest.hexdigest()


def _tar_blocks(paths: list[str], files: Mapping[str, bytes], executable: frozenset[str]) -> Iterator[bytes]:
    written = 0
    for path in paths:
        block = b"".join(_member_parts(path, files[path], 0o755 if path in executable else 0o644))
        written += len(block)
        yield block
    yield _end_blocks(written)


def _member_parts(path: str, content: bytes, mode: int, *, prefix: str = ARCHIVE_PREFIX) -> list[bytes]:
    """The tar blocks of one regular file: its pax record when needed, header, content, padding."""
    parts = []
    name = (prefix + path).encode("utf-8")
    if len(name) > 100 or not name.isascii():
        record = _pax_record(b"path", name)
        parts += [_header((prefix + "@PaxHeader").encode("ascii"), len(record), 0o644, b"x"), record,
                  bytes(-len(record) % TAR_BLOCK)]
        # Readers without pax support fall back to this name; pax readers ignore it.
        name = (prefix + path).encode("ascii", "replace")[:100]
    return [*parts, _header(name, len(content), mode, b"0"), content, bytes(-len(content) % TAR_BLOCK)]


def _end_blocks(written: int) -> bytes:
    """Two zero blocks, then zeros up to a whole tar record."""
    end = 2 * TAR_BLOCK
    return bytes(end + (-(written + end) % TAR_RECORD))


def _header(name: bytes, size: int, mode: int, typeflag: bytes) -> bytes:
    head = bytearray(TAR_BLOCK)
    head[0 : len(name)] = name
    head[100:108] = b"%07o\x00" % mode
    head[108:124] = b"0000000\x00" * 2  # uid, gid
    head[124:136] = b"%011o\x00" % size
    head[136:148] = b"00000000000\x00"  # mtime
    head[148:156] = b" " * 8  # the checksum is computed with its own field blank
    head[156:157] = typeflag
    head[257:265] = POSIX_MAGIC
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
