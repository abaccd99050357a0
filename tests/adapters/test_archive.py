"""Package archives: reproducible writing, byte-for-byte round trips, and refusal of hostile archives.

Hostile archives are built by hand with ``tarfile`` (which happily writes what the reader must
refuse), or by damaging good archives; every one must raise ``UnsafeArchive`` and leave the disk
as it was.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import zlib
from pathlib import Path

import pytest

from agentpack.adapters.archive import (
    ARCHIVE_PREFIX,
    ArchiveLimits,
    BuiltArchive,
    read_archive,
    read_member,
    sha256_file,
    write_archive,
)
from agentpack.errors import AgentpackError, IntegrityError, UnsafeArchive
from conftest import CORPUS, require_corpus

SAMPLE = {
    "package.yaml": b"name: demo\nversion: 1.0.0\n",
    "agents/crlf.md": b"---\r\nname: crlf\r\n---\r\n# Title\r\n\r\nBody\r\n",
    "agents/bom.md": b"\xef\xbb\xbf# Starts with a UTF-8 BOM\n",
    "agents/no-final-newline.md": b"# No newline at the end",
    "docs/empty.md": b"",
    "docs/d\u00e9j\u00e0-vu/\u65e5\u672c\u8a9e.md": "# caf\u00e9 \u2014 \U0001f600\n".encode(),
    "docs/nfd-cafe\u0301.md": b"decomposed name, kept as written\n",
    "workflows/" + "long-name-" * 12 + ".md": b"a name of more than 100 bytes\n",
    "a/b/c/d/e/f/g/deep.yaml": b"deep: true\n",
    "bin/all-bytes.bin": bytes(range(256)) * 4,
    "scripts/run.sh": b"#!/bin/sh\necho hi\n",
}


def _snapshot(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _collect(root: Path) -> dict[str, bytes]:
    # Directory order on purpose (no sorting): the writer must not depend on it.
    files = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


# -- writing ----------------------------------------------------------------------------------------


def _make_tree(root: Path, order: list[str], *, umask: int, mtime: float | None, uid: int | None) -> None:
    old = os.umask(umask)
    try:
        for rel in order:
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(SAMPLE[rel])
            if mtime is not None:
                os.utime(path, (mtime, mtime))
            if uid is not None:
                os.chown(path, uid, uid)
    finally:
        os.umask(old)


def test_same_bytes_whatever_mtime_umask_owner_order_and_run(tmp_path: Path) -> None:
    can_chown = hasattr(os, "geteuid") and os.geteuid() == 0
    _make_tree(tmp_path / "one", sorted(SAMPLE), umask=0o022, mtime=None, uid=None)
    _make_tree(
        tmp_path / "two",
        sorted(SAMPLE, reverse=True),
        umask=0o077,
        mtime=1e9,
        uid=4242 if can_chown else None,
    )
    exe = frozenset({"scripts/run.sh"})
    built = []
    for name, umask in (("one", 0o022), ("two", 0o077), ("one", 0o002)):
        old = os.umask(umask)
        try:
            out = tmp_path / f"{name}-{len(built)}.tgz"
            built.append(write_archive(_collect(tmp_path / name), str(out), executable=exe))
        finally:
            os.umask(old)
    contents = {Path(b.path).read_bytes() for b in built}
    assert len(contents) == 1
    assert {b.sha256 for b in built} == {hashlib.sha256(contents.pop()).hexdigest()}


def test_layout_is_fixed(tmp_path: Path) -> None:
    built = write_archive(
        SAMPLE, str(tmp_path / "demo.tgz"), executable=frozenset({"scripts/run.sh", "nope"})
    )
    data = Path(built.path).read_bytes()
    # gzip: deflate, no flags (so no file name), mtime 0, no OS-specific byte.
    assert data[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    with tarfile.open(built.path) as tar:
        members = tar.getmembers()
    order = ["package.yaml", *sorted(set(SAMPLE) - {"package.yaml"})]  # the manifest first, then by path
    assert [m.name for m in members] == [ARCHIVE_PREFIX + p for p in order]
    for member in members:
        assert member.isreg()
        assert (member.mtime, member.uid, member.gid, member.uname, member.gname) == (0, 0, 0, "", "")
        assert member.mode == (0o755 if member.name.endswith("run.sh") else 0o644)
        # Only non-ASCII or long names get a pax record, and it holds the path and nothing else.
        assert set(member.pax_headers) <= {"path"}
        if member.name.isascii() and len(member.name) <= 100:
            assert member.pax_headers == {}
    assert len(zlib.decompress(data, 31)) % 10240 == 0


def test_sidecar_and_result(tmp_path: Path) -> None:
    out = tmp_path / "demo-1.0.0.tgz"
    built = write_archive(SAMPLE, str(out))
    data = out.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert built == BuiltArchive(path=str(out), sha256=digest, size=len(data))
    assert sha256_file(str(out)) == digest
    assert (tmp_path / "demo-1.0.0.tgz.sha256").read_text() == f"{digest}  demo-1.0.0.tgz\n"
    if shutil.which("sha256sum"):
        subprocess.run(["sha256sum", "--check", "--quiet", "demo-1.0.0.tgz.sha256"], cwd=tmp_path, check=True)


def test_write_replaces_atomically_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    out = tmp_path / "demo.tgz"
    write_archive({"a.md": b"old"}, str(out))
    write_archive(SAMPLE, str(out))
    assert read_archive(str(out)) == {p: SAMPLE[p] for p in sorted(SAMPLE)}
    assert _snapshot(tmp_path) == ["demo.tgz", "demo.tgz.sha256"]


@pytest.mark.parametrize(
    ("files", "rule"),
    [
        ({"../evil.md": b""}, "'..'"),
        ({"/etc/passwd": b""}, "absolute path"),
        ({"a\\b.md": b""}, "backslash"),
        ({"a\x00b.md": b""}, "NUL"),
        ({"a\nb.md": b""}, "control character"),
        ({"./a.md": b""}, "'.'"),
        ({"A.md": b"", "a.md": b""}, "collides"),
        ({"caf\u00e9.md": b"", "cafe\u0301.md": b""}, "collides"),
        ({"a": b"", "a/b.md": b""}, "both a file and a folder"),
    ],
)
def test_writer_refuses_what_the_reader_would_refuse(tmp_path: Path, files: dict, rule: str) -> None:
    with pytest.raises(UnsafeArchive, match=rule):
        write_archive(files, str(tmp_path / "bad.tgz"))
    assert _snapshot(tmp_path) == []


# -- round trips ----------------------------------------------------------------------------------------


def test_round_trip_is_byte_for_byte(tmp_path: Path) -> None:
    built = write_archive(SAMPLE, str(tmp_path / "demo.tgz"))
    by_path = read_archive(built.path)
    assert by_path == SAMPLE
    assert list(by_path) == ["package.yaml", *sorted(set(SAMPLE) - {"package.yaml"})]  # archive order
    assert read_archive(Path(built.path).read_bytes()) == SAMPLE
    for name, content in SAMPLE.items():
        assert read_member(built.path, name) == content


def test_tarfile_and_gnu_tar_read_what_we_write(tmp_path: Path) -> None:
    built = write_archive(SAMPLE, str(tmp_path / "demo.tgz"), executable=frozenset({"scripts/run.sh"}))
    with tarfile.open(built.path) as tar:
        assert {m.name[len(ARCHIVE_PREFIX) :]: tar.extractfile(m).read() for m in tar} == SAMPLE
    if not shutil.which("tar"):
        pytest.skip("no tar command")
    dest = tmp_path / "out"
    dest.mkdir()
    subprocess.run(["tar", "xzf", built.path, "-C", str(dest)], check=True)
    assert _collect(dest / "package") == SAMPLE
    assert os.access(dest / "package" / "scripts" / "run.sh", os.X_OK)


def test_round_trip_of_real_agent_files(tmp_path: Path) -> None:
    require_corpus()
    files: dict[str, bytes] = {}
    for path in sorted(CORPUS.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.stat().st_size < 1_000_000:
            files[path.relative_to(CORPUS).as_posix()] = path.read_bytes()
        if len(files) >= 2000:
            break
    built = write_archive(files, str(tmp_path / "corpus.tgz"))
    assert read_archive(built.path) == files


def test_reads_other_writers_archives(tmp_path: Path) -> None:
    # Directory entries, GNU long names and concatenated gzip members are all valid input.
    buffer = io.BytesIO()
    long_name = "package/" + "x" * 120 + ".md"
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name in ("package", "package/agents"):
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            tar.addfile(info)
        for name, data in (("package/agents/a.md", b"a\n"), (long_name, b"long\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    raw = buffer.getvalue()
    expected = {"agents/a.md": b"a\n", long_name[len(ARCHIVE_PREFIX) :]: b"long\n"}
    assert read_archive(gzip.compress(raw)) == expected
    assert read_archive(gzip.compress(raw[:700]) + gzip.compress(raw[700:])) == expected


def test_global_pax_comment_is_accepted() -> None:
    # git archive writes one of these (the commit id) at the front of every tarball.
    archive = _tgz(_file("package/a.md", b"a"), pax_headers={"comment": "0123abcd"})
    assert read_archive(archive) == {"a.md": b"a"}


# -- reading one member, digests, errors that are not about safety --------------------------------------


def test_read_member_streams_and_stops_at_the_match(tmp_path: Path) -> None:
    noise = os.urandom(300_000)
    data = Path(write_archive({"a.md": b"first", "z.bin": noise}, str(tmp_path / "p.tgz")).path).read_bytes()
    cut = data[: len(data) // 2]
    assert read_member(cut, "a.md") == b"first"
    assert read_member(data, "missing.md") is None
    with pytest.raises(UnsafeArchive, match="truncated or corrupt"):
        read_archive(cut)


def test_expected_sha256(tmp_path: Path) -> None:
    built = write_archive(SAMPLE, str(tmp_path / "demo.tgz"))
    assert read_archive(built.path, expected_sha256=built.sha256.upper()) == SAMPLE
    with pytest.raises(IntegrityError) as caught:
        read_archive(built.path, expected_sha256="0" * 64)
    assert caught.value.path == built.path


def test_missing_file_is_an_ordinary_error(tmp_path: Path) -> None:
    with pytest.raises(AgentpackError, match="cannot read archive") as caught:
        read_archive(str(tmp_path / "absent.tgz"))
    assert not isinstance(caught.value, UnsafeArchive)
    with pytest.raises(AgentpackError, match="cannot read"):
        sha256_file(str(tmp_path / "absent.tgz"))


# -- hostile archives ---------------------------------------------------------------------------------


def _tgz(*members: tuple[tarfile.TarInfo, bytes | None], **options) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", **options) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def _file(name: str, data: bytes = b"x", **pax: str) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.pax_headers = pax
    return info, data


def _special(name: str, kind: bytes, linkname: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        info.devmajor, info.devminor = 1, 3
    return info, None


def _bomb() -> bytes:
    info = tarfile.TarInfo("package/zeros.md")
    info.size = 20 * 1024 * 1024  # under the 64 MiB file limit: only the ratio can stop it
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.addfile(info, io.BytesIO(bytes(info.size)))
    return buffer.getvalue()


def _padding_bomb() -> bytes:
    # Tiny declared sizes, then 20 MiB of zeros after the end of the tar: only metering the bytes
    # actually decompressed can catch it.
    info, data = _file("package/a.md")
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w") as archive:
        archive.addfile(info, io.BytesIO(data))
    return gzip.compress(tar.getvalue() + bytes(20 * 1024 * 1024))


def _good() -> bytes:
    return _tgz(*(_file(f"package/f{i}.md", os.urandom(3000)) for i in range(5)))


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0xFF]) + data[index + 1 :]


def _bad_tar_checksum() -> bytes:
    raw = bytearray(gzip.decompress(_good()))
    raw[10] ^= 0x01  # inside the first member's name: its header checksum no longer matches
    return gzip.compress(bytes(raw))


SMALL = ArchiveLimits(max_members=10, max_file_size=1000, max_total_size=5000)

HOSTILE = {
    "absolute path": (lambda: _tgz(_file("/etc/passwd")), "absolute path", "/etc/passwd", None),
    "dot-dot traversal": (lambda: _tgz(_file("package/../../evil.md")), "'..'", "evil.md", None),
    "outside package/": (lambda: _tgz(_file("other/x.md")), "outside", "other/x.md", None),
    "file named package": (lambda: _tgz(_file("package")), "outside", "package", None),
    "pax path traversal": (
        lambda: _tgz(_file("package/ok.md", path="package/../../evil.md")),
        "'..'",
        "evil",
        None,
    ),
    "GNU long name traversal": (
        lambda: _tgz(_file("package/" + "../" * 40 + "evil.md"), format=tarfile.GNU_FORMAT),
        "'..'",
        "evil.md",
        None,
    ),
    "global pax header renaming members": (
        lambda: _tgz(_file("package/a.md"), pax_headers={"path": "package/../evil.md"}),
        "global pax header",
        "",
        None,
    ),
    "backslash": (lambda: _tgz(_file("package\\..\\evil.md")), "backslash", "evil.md", None),
    "NUL in name": (lambda: _tgz(_file("package/a.md", path="package/a\x00.md")), "NUL", "package/a", None),
    "control character": (lambda: _tgz(_file("package/a\x1b[2J.md")), "control character", "a", None),
    "empty component": (lambda: _tgz(_file("package//a.md")), "empty or '.'", "package//a.md", None),
    "symlink": (
        lambda: _tgz(_special("package/l", tarfile.SYMTYPE, "/etc/passwd")),
        "symbolic link",
        "package/l",
        None,
    ),
    "hardlink": (
        lambda: _tgz(_file("package/a.md"), _special("package/h", tarfile.LNKTYPE, "package/a.md")),
        "hard link",
        "package/h",
        None,
    ),
    "character device": (
        lambda: _tgz(_special("package/c", tarfile.CHRTYPE)),
        "character device",
        "package/c",
        None,
    ),
    "block device": (lambda: _tgz(_special("package/b", tarfile.BLKTYPE)), "block device", "package/b", None),
    "fifo": (lambda: _tgz(_special("package/f", tarfile.FIFOTYPE)), "FIFO", "package/f", None),
    "contiguous file type": (
        lambda: _tgz(_special("package/c7", tarfile.CONTTYPE)),
        "not allowed",
        "c7",
        None,
    ),
    "pax sparse file": (
        lambda: _tgz(_file("package/s.md", **{"GNU.sparse.major": "1", "GNU.sparse.minor": "0"})),
        "sparse",
        "package/s.md",
        None,
    ),
    "invalid UTF-8 name": (
        lambda: _tgz(_file("package/\u00e9.md"), format=tarfile.USTAR_FORMAT, encoding="latin-1"),
        "not valid UTF-8",
        "package/",
        None,
    ),
    "duplicate": (
        lambda: _tgz(_file("package/a.md"), _file("package/a.md")),
        "duplicate",
        "package/a.md",
        None,
    ),
    "case collision": (
        lambda: _tgz(_file("package/A.md"), _file("package/a.md")),
        "collides",
        "package/a.md",
        None,
    ),
    "case collision of folders": (
        lambda: _tgz(_file("package/Docs/a.md"), _file("package/docs/b.md")),
        "collides",
        "package/docs/b.md",
        None,
    ),
    "NFC/NFD collision": (
        lambda: _tgz(_file("package/caf\u00e9.md"), _file("package/cafe\u0301.md")),
        "collides",
        "cafe\u0301.md",
        None,
    ),
    "file and folder": (
        lambda: _tgz(_file("package/a"), _file("package/a/b.md")),
        "both a file and a folder",
        "a",
        None,
    ),
    "too many members": (
        lambda: _tgz(*(_file(f"package/{i}.md") for i in range(11))),
        "more than 10 members",
        "package/10.md",
        SMALL,
    ),
    "oversize file": (
        lambda: _tgz(_file("package/big.md", b"x" * 1001)),
        "single-file limit",
        "big.md",
        SMALL,
    ),
    "total size": (
        lambda: _tgz(*(_file(f"package/{i}.md", b"x" * 900) for i in range(6))),
        "add up to more",
        "package/5.md",
        SMALL,
    ),
    "gzip bomb (ratio)": (_bomb, "times its compressed size", "zeros.md", None),
    "bytes beyond the declared sizes": (
        _padding_bomb,
        "once decompressed",
        "unsafe archive",
        ArchiveLimits(max_members=10, max_total_size=1024 * 1024, max_ratio=10**9),
    ),
    "truncated": (lambda: _good()[: len(_good()) // 2], "truncated or corrupt", "", None),
    "random bytes": (lambda: os.urandom(4096), "truncated or corrupt", "", None),
    "empty file": (lambda: b"", "truncated or corrupt", "", None),
    "bad gzip CRC": (lambda: _flip(_good(), -6), "truncated or corrupt", "", None),
    "gzip of something else": (lambda: gzip.compress(os.urandom(5000)), "truncated or corrupt", "", None),
    "trailing garbage": (lambda: _good() + b"garbage", "truncated or corrupt", "", None),
    "bad tar checksum": (_bad_tar_checksum, "checksum", "", None),
}


@pytest.mark.parametrize("how", ["bytes", "path", "read_member"])
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archive_is_refused_and_nothing_is_written(
    case: str, how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build, rule, member, limits = HOSTILE[case]
    limits = limits or ArchiveLimits()
    archive = tmp_path / "hostile.tgz"
    archive.write_bytes(build())
    monkeypatch.chdir(tmp_path)
    before = _snapshot(tmp_path)
    with pytest.raises(UnsafeArchive) as caught:
        if how == "bytes":
            read_archive(archive.read_bytes(), limits=limits)
        elif how == "path":
            read_archive(str(archive), limits=limits)
        else:
            read_member(str(archive), "not-in-the-archive.md", limits=limits)
    assert rule in caught.value.message
    assert member in caught.value.message
    assert caught.value.path == (None if how == "bytes" else str(archive))
    assert _snapshot(tmp_path) == before


def test_hostile_member_before_the_wanted_one_is_refused() -> None:
    archive = _tgz(_special("package/l", tarfile.SYMTYPE, "/etc/passwd"), _file("package/package.yaml"))
    with pytest.raises(UnsafeArchive, match="symbolic link"):
        read_member(archive, "package.yaml")


def test_reading_package_yaml_stops_before_the_rest_of_the_archive(tmp_path: Path) -> None:
    # package.yaml is written first, so reading a package's identity never inflates the files
    # after it: here a member over the single-file limit, which reading the whole archive refuses.
    limits = ArchiveLimits(max_file_size=1024 * 1024)
    files = {"package.yaml": b"name: big\nversion: 1.0.0\n", "agents/huge.md": b"a" * (4 * 1024 * 1024)}
    built = write_archive(files, str(tmp_path / "big.tgz"))
    assert read_member(built.path, "package.yaml", limits=limits) == files["package.yaml"]
    with pytest.raises(UnsafeArchive, match="single-file limit"):
        read_archive(built.path, limits=limits)
