"""Hostile bundles: whatever a bundle holds, verify and load refuse it before anything is imported,
and the refusal leaves nothing behind that could block the genuine bundle later.

Every hostile bundle here is unsigned and has every digest recomputed (manifest, records, outer
checksum), as an attacker who rewrote it would; so only the deep checks can refuse it.
"""

from __future__ import annotations

import json
import shutil
import tarfile
import unicodedata
import zlib
from pathlib import Path

import pytest

from conftest import Agentops, write_package
from tarcraft import (
    headers_only,
    member,
    package_files,
    package_tgz,
    sha,
    tar_bytes,
    tgz_bytes,
    write_with_sidecar,
)

SLOT = "packages/demo/1.0.0/"
ARCHIVE, RECORD = SLOT + "archive.tar.gz", SLOT + "record.json"


def collected_bundle(root: Path, names: list[str]) -> Path:
    """A real bundle of ``names`` at 1.0.0, published and collected by the real commands."""
    home = root / "home"
    home.mkdir()
    ops = Agentops(home)
    ops.publish_folders([write_package(root / "src" / name, name, "1.0.0") for name in names])
    bundle = root / "collected.bundle"
    ops("bundle", "collect", *[f"{name}@1.0.0" for name in names], "-o", bundle)
    return bundle


@pytest.fixture(scope="module")
def genuine(tmp_path_factory) -> Path:
    """A real bundle of demo@1.0.0, collected by the real command (never modified: copy it)."""
    return collected_bundle(tmp_path_factory.mktemp("genuine"), ["demo"])


def members_of(bundle: Path) -> dict[str, bytes]:
    with tarfile.open(bundle, "r:") as tar:
        return {info.name: tar.extractfile(info).read() for info in tar}


def with_archive(genuine: Path, archive: bytes) -> dict[str, bytes]:
    """The genuine bundle's members with demo's archive replaced and every digest made to match."""
    members = members_of(genuine)
    record = json.loads(members[RECORD])
    record["sha256"], record["size"] = sha(archive), len(archive)
    members[ARCHIVE], members[RECORD] = archive, json.dumps(record).encode()
    return with_digests(members)


def with_digests(members: dict[str, bytes]) -> dict[str, bytes]:
    """``members`` with manifest.yaml's digests recomputed for the archives and records present."""
    manifest = json.loads(members["manifest.yaml"])
    manifest["files"] = {name: sha(data) for name, data in members.items()
                         if name.startswith("packages/") and name in manifest["files"]}
    for entry in manifest["packages"]:
        archive = f"packages/{entry['name']}/{entry['version']}/archive.tar.gz"
        if archive in members:
            entry["sha256"] = sha(members[archive])
    return {"manifest.yaml": json.dumps(manifest).encode(),
            **{k: v for k, v in members.items() if k != "manifest.yaml"}}


def write_bundle(path: Path, members) -> Path:
    return write_with_sidecar(path, tar_bytes(list(members.items()) if isinstance(members, dict) else members))


def assert_refused_and_genuine_loads_after(far: Agentops, bundle: Path, genuine: Path, tmp_path: Path,
                                           words: str) -> None:
    registry = tmp_path / "far-registry"
    verified = far("bundle", "verify", bundle, expect=1)
    assert words in verified.err, verified.err
    loaded = far("bundle", "load", bundle, "--registry", registry, expect=1)
    assert words in loaded.err, loaded.err
    assert not registry.exists(), "a refused bundle must change nothing"
    # The genuine bundle of the very same version loads afterwards: no poison was left.
    far("bundle", "load", genuine, "--registry", registry)
    assert json.loads((registry / "index" / "demo.json").read_text())["versions"]["1.0.0"]["sha256"] == \
        json.loads(members_of(genuine)[RECORD])["sha256"]


# -- package archives inside the bundle: the same reader as install refuses them --------------------

def _files(**extra: bytes) -> dict[str, bytes]:
    return {**package_files("demo"), **extra}


def _bomb() -> bytes:
    return package_tgz(_files(**{"docs/big.md": bytes(16 * 1024 * 1024)}))


def _declared_huge() -> bytes:
    info = tarfile.TarInfo("package/docs/huge.md")
    info.size = 8 * 1024**3
    body = headers_only([(f"package/{k}", v) for k, v in package_files("demo").items()])
    return zlib.compress(body + info.tobuf(tarfile.GNU_FORMAT) + bytes(4096), wbits=31)


def _pax_override() -> bytes:
    return package_tgz(extra=[member("package/docs/fine.md", b"x", pax_headers={"path": "package/../../evil.md"})])


def _global_pax() -> bytes:
    return tgz_bytes([(f"package/{k}", v) for k, v in package_files("demo").items()],
                     global_headers={"path": "package/evil.md"})


def _gnu_long_dotdot() -> bytes:
    name = "package/" + "a/" * 60 + "../" * 70 + "evil.md"
    return tgz_bytes([*((f"package/{k}", v) for k, v in package_files("demo").items()), (name, b"x")],
                     fmt=tarfile.GNU_FORMAT)


def _nfc_collision() -> bytes:
    return package_tgz(_files(**{unicodedata.normalize("NFC", "docs/café.md"): b"a",
                                 unicodedata.normalize("NFD", "docs/café.md"): b"b"}))


def _duplicate() -> bytes:
    return package_tgz(extra=[member("package/agents/helper.md", b"---\nname: helper\n---\nother\n")])


HOSTILE_ARCHIVES = {
    "dotdot": (lambda: package_tgz(extra=[member("package/../evil.md", b"x")]), "'..' path component"),
    "absolute": (lambda: package_tgz(extra=[member("/etc/evil", b"x")]), "absolute path"),
    "symlink": (lambda: package_tgz(extra=[member("package/docs/link.md", type=tarfile.SYMTYPE,
                                                  linkname="/etc/passwd")]), "symbolic links are not allowed"),
    "hardlink": (lambda: package_tgz(extra=[member("package/docs/hard.md", type=tarfile.LNKTYPE,
                                                   linkname="package/README.md")]), "hard links are not allowed"),
    "character-device": (lambda: package_tgz(extra=[member("package/docs/tty", type=tarfile.CHRTYPE, devmajor=5,
                                                           devminor=0)]), "character devices are not allowed"),
    "fifo": (lambda: package_tgz(extra=[member("package/docs/pipe", type=tarfile.FIFOTYPE)]), "FIFOs are not allowed"),
    "duplicate": (_duplicate, "duplicate entry"),
    "case-collision": (lambda: package_tgz(_files(**{"readme.md": b"# other\n"})), "once letter case is ignored"),
    "nfc-collision": (_nfc_collision, "another Unicode normalisation"),
    "pax-path-override": (_pax_override, "'..' path component"),
    "global-pax-rename": (_global_pax, "a global pax header may not rename"),
    "gnu-long-name-dotdot": (_gnu_long_dotdot, "'..' path component"),
    "gzip-bomb": (_bomb, "a gzip bomb"),
    "declared-8-gib-member": (_declared_huge, "over the single-file limit"),
    "truncated-gzip": (lambda: package_tgz()[:-12], "truncated or corrupt"),
    "trailing-garbage": (lambda: package_tgz() + b"garbage after the gzip stream", "truncated or corrupt"),
    "not-gzip": (lambda: tar_bytes([(f"package/{k}", v) for k, v in package_files("demo").items()]),
                 "truncated or corrupt"),
    "hidden-unicode": (lambda: package_tgz(_files(**{"agents/helper.md": "---\nname: helper\ndescription: Helps\n"
                                                     "---\n\nHandle\u202e the request.\n".encode()})),
                       "is not a valid package"),
    "invalid-package": (lambda: package_tgz({k: v for k, v in package_files("demo").items()
                                             if k != "agents/helper.md"}), "is not a valid package"),
    "device-name-inside": (lambda: package_tgz(package_files("con")), "is not a valid package"),
    "device-name-file": (lambda: package_tgz(_files(**{"docs/Aux.md": b"x"})), "device name on Windows"),
}


def test_a_well_formed_hand_made_archive_loads(genuine, far, tmp_path):
    """The control for the cases below: the rewriting itself is not what they are refused for."""
    bundle = write_bundle(tmp_path / "control.bundle", with_archive(genuine, package_tgz()))
    far("bundle", "verify", bundle)
    far("bundle", "load", bundle, "--registry", tmp_path / "control-registry")


@pytest.mark.parametrize("case", sorted(HOSTILE_ARCHIVES))
def test_a_hostile_package_archive_is_refused_before_anything_is_imported(genuine, far, tmp_path, case):
    make, words = HOSTILE_ARCHIVES[case]
    bundle = write_bundle(tmp_path / "hostile.bundle", with_archive(genuine, make()))
    assert_refused_and_genuine_loads_after(far, bundle, genuine, tmp_path, words)


# -- the bundle tar itself ------------------------------------------------------------------------

def _bundle_with(genuine: Path, *extra, drop: tuple[str, ...] = ()) -> list:
    return [*((k, v) for k, v in members_of(genuine).items() if k not in drop), *extra]


HOSTILE_BUNDLES = {
    "symlink-member": (lambda g: _bundle_with(g, member(SLOT + "extra", type=tarfile.SYMTYPE, linkname="/etc")),
                       "symbolic links are not allowed"),
    "character-device-record": (lambda g: _bundle_with(g, member(RECORD, type=tarfile.CHRTYPE), drop=(RECORD,)),
                                "character devices are not allowed"),
    "hardlink-record": (lambda g: _bundle_with(g, member(RECORD, type=tarfile.LNKTYPE, linkname="manifest.yaml"),
                                               drop=(RECORD,)), "hard links are not allowed"),
    "directory-member": (lambda g: _bundle_with(g, member("packages/", type=tarfile.DIRTYPE)),
                         "folders are not allowed in a bundle"),
    "duplicate-record": (lambda g: _bundle_with(g, (RECORD, members_of(g)[RECORD])), "duplicate entry"),
    "case-variant": (lambda g: _bundle_with(g, ("packages/Demo/1.0.0/record.json", b"{}")), "uppercase"),
    "dotdot-member": (lambda g: _bundle_with(g, ("packages/../../etc/cron.d/x", b"x")), "'..'"),
    "absolute-member": (lambda g: _bundle_with(g, ("/etc/cron.d/x", b"x")), "absolute"),
    "pax-path-override": (lambda g: _bundle_with(g, member(SLOT + "notes", b"x", pax_headers={"path": "../../x"})),
                          "'..'"),
    "unlisted-package": (lambda g: _bundle_with(g, ("packages/evil/1.0.0/record.json", b"{}")),
                         "not listed in manifest.yaml: packages/evil/1.0.0/record.json"),
    "manifest-not-first": (lambda g: list(reversed(_bundle_with(g))), "its first member must be manifest.yaml"),
    "oversized-record": (lambda g: _bundle_with(g, (RECORD, b" " * (2 * 1024 * 1024)), drop=(RECORD,)),
                         "over the limit"),
    "device-name-member": (lambda g: _bundle_with(g, ("packages/con/1.0.0/record.json", b"{}")),
                           "device name on Windows"),
    "bad-version-member": (lambda g: _bundle_with(g, ("packages/demo/1.0/record.json", b"{}")), "1.0"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_BUNDLES))
def test_a_hostile_bundle_tar_is_refused_before_anything_is_imported(genuine, far, tmp_path, case):
    make, words = HOSTILE_BUNDLES[case]
    bundle = write_bundle(tmp_path / "hostile.bundle", make(genuine))
    assert_refused_and_genuine_loads_after(far, bundle, genuine, tmp_path, words)


def test_data_after_the_end_of_the_bundle_is_refused(genuine, far, tmp_path):
    bundle = write_with_sidecar(tmp_path / "hostile.bundle", genuine.read_bytes() + b"hidden payload")
    assert_refused_and_genuine_loads_after(far, bundle, genuine, tmp_path, "data after the end of the archive")


def test_a_truncated_bundle_without_checksum_is_refused(genuine, far, tmp_path):
    bundle = tmp_path / "hostile.bundle"
    bundle.write_bytes(genuine.read_bytes()[:1200])
    assert_refused_and_genuine_loads_after(far, bundle, genuine, tmp_path, "truncated or corrupt")


@pytest.mark.parametrize(("entry", "words"), [
    ({"name": "nul", "version": "1.0.0"}, "device name on Windows"),
    ({"name": "../../etc", "version": "1.0.0"}, "../../etc"),
    ({"name": "Demo", "version": "1.0.0"}, "uppercase"),
    ({"name": "demo", "version": "../../../x"}, "../../../x"),
])
def test_names_and_versions_in_the_manifest_are_validated(genuine, far, tmp_path, entry, words):
    members = members_of(genuine)
    manifest = json.loads(members["manifest.yaml"])
    old = manifest["packages"][0]
    new_slot = f"packages/{entry['name']}/{entry['version']}/"
    manifest["packages"] = [dict(old, **entry)]
    manifest["files"] = {new_slot + "archive.tar.gz": manifest["files"][ARCHIVE],
                         new_slot + "record.json": manifest["files"][RECORD]}
    members["manifest.yaml"] = json.dumps(manifest).encode()
    bundle = write_bundle(tmp_path / "hostile.bundle", members)
    assert_refused_and_genuine_loads_after(far, bundle, genuine, tmp_path, words)


def test_a_record_cannot_smuggle_dependencies_beside_its_archive(genuine, far, tmp_path):
    members = members_of(genuine)
    record = json.loads(members[RECORD])
    record["manifest"]["dependencies"] = ["evil@^1.0.0"]
    record["manifest"]["classification"] = "unclassified"
    members[RECORD] = json.dumps(record).encode()
    bundle = write_bundle(tmp_path / "rewritten.bundle", with_digests(members))
    registry = tmp_path / "far-registry"
    far("bundle", "load", bundle, "--registry", registry)
    stored = json.loads((registry / "index" / "demo.json").read_text())["versions"]["1.0.0"]
    assert "dependencies" not in stored["manifest"] or stored["manifest"]["dependencies"] == []
    assert stored["sha256"] == record["sha256"]


# -- resource limits: refused by the documented limits, never by running out of memory -------------

def _run_limited(far: Agentops, *args, cwd: Path) -> tuple[int, str]:
    """The real command under a 2 GiB address-space limit (prlimit)."""
    import subprocess

    from conftest import agentops_command

    proc = subprocess.run(["prlimit", f"--as={2 * 1024**3}", *agentops_command(), *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env=far.env, timeout=300)
    return proc.returncode, proc.stderr


def _sparse(path: Path, head: bytes, size: int) -> Path:
    with open(path, "wb") as handle:
        handle.write(head)
        handle.truncate(size)
    return path


@pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs prlimit")
@pytest.mark.parametrize("declared", [1024**3, 3 * 1024**3])
def test_a_bundle_declaring_more_than_memory_holds_is_refused_under_a_2_gib_limit(genuine, far, tmp_path, declared):
    manifest = members_of(genuine)["manifest.yaml"]
    header = member(ARCHIVE)[0]
    header.size = declared
    head = headers_only([("manifest.yaml", manifest)]) + header.tobuf(tarfile.PAX_FORMAT)
    bundle = _sparse(tmp_path / "sparse.bundle", head, len(head) + declared + 10240)
    for verb in (("verify", bundle), ("load", bundle, "--registry", tmp_path / "far-registry")):
        code, err = _run_limited(far, "bundle", *verb, cwd=tmp_path)
        assert code == 1, err
        assert "Traceback" not in err and "internal error" not in err and "MemoryError" not in err, err
        assert ("over the limit" if declared > 2 * 1024**3 else "truncated or corrupt") in err, err
    assert not (tmp_path / "far-registry").exists()


@pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs prlimit")
def test_an_archive_file_larger_than_any_valid_archive_is_refused_unread(far, tmp_path):
    archive = _sparse(tmp_path / "demo-1.0.0.tar.gz", package_tgz(), 3 * 1024**3)
    ws = tmp_path / "ws"
    ws.mkdir()
    for args in (("package", "publish", archive), ("package", "install", archive)):
        code, err = _run_limited(far, *args, cwd=ws)
        assert code == 1, err
        assert "over the archive limit" in err and "Traceback" not in err and "internal error" not in err, err


@pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs prlimit")
def test_a_declared_8_gib_member_is_refused_under_a_2_gib_limit(far, tmp_path):
    archive = tmp_path / "demo-1.0.0.tar.gz"
    archive.write_bytes(_declared_huge())
    code, err = _run_limited(far, "package", "publish", archive, cwd=tmp_path)
    assert code == 1 and "over the single-file limit" in err and "Traceback" not in err, err


def test_bundle_members_are_read_with_their_gzip_checked_as_they_stream(genuine, far, tmp_path):
    """An archive member that is not gzip is refused on its first piece (not after reading it whole)."""
    members = with_archive(genuine, bytes(3 * 1024 * 1024))
    bundle = write_bundle(tmp_path / "hostile.bundle", members)
    assert_refused_and_genuine_loads_after(far, bundle, genuine, tmp_path, "truncated or corrupt")


def _nested_record(genuine: Path) -> dict[str, bytes]:
    return with_digests({**members_of(genuine), RECORD: b"[" * 200_000})


def _nested_manifest(genuine: Path) -> list:
    return [("manifest.yaml", b"[" * 200_000), *((k, v) for k, v in members_of(genuine).items() if k != "manifest.yaml")]


def _bad_signature(document) -> object:
    def make(genuine: Path) -> dict[str, bytes]:
        members = members_of(genuine)
        record = json.loads(members[RECORD])
        record["signature"] = document
        return with_digests({**members, RECORD: json.dumps(record).encode()})
    return make


@pytest.mark.parametrize(("make", "words"), [
    (_nested_record, "record.json is not JSON"),
    (_nested_manifest, "manifest.yaml"),
    (_bad_signature([]), "signature"),
    (_bad_signature("x"), "signature"),
    (_bad_signature({"key": 5, "signature": None}), "signature"),
], ids=["nested-record", "nested-manifest", "signature-list", "signature-string", "signature-wrong-types"])
def test_malformed_documents_inside_a_bundle_are_refused_cleanly(genuine, far, tmp_path, make, words):
    bundle = write_bundle(tmp_path / "hostile.bundle", make(genuine))
    assert_refused_and_genuine_loads_after(far, bundle, genuine, tmp_path, words)


def test_a_bundle_holding_more_than_the_bundle_limit_is_refused_before_reading_it(genuine, far, tmp_path):
    """A load holds every archive until the registry takes them: 1 GiB in all, checked on the headers."""
    header = member(ARCHIVE)[0]
    header.size = 1024**3 + 1  # within one archive's limit, over the bundle's
    head = headers_only([("manifest.yaml", members_of(genuine)["manifest.yaml"])]) + header.tobuf(tarfile.PAX_FORMAT)
    bundle = _sparse(tmp_path / "big.bundle", head, len(head) + header.size + 10240)
    run = far("bundle", "verify", bundle, expect=1)
    assert "more than 1073741824 bytes (the bundle limit)" in run.err, run.err


def test_text_from_a_bundle_reaches_neither_the_terminal_nor_the_registry_raw(genuine, far, tmp_path):
    members = members_of(genuine)
    manifest = json.loads(members["manifest.yaml"])
    manifest["tier"], manifest["created"] = "\x1b]0;owned\x07", "\x1b[2J"
    record = json.loads(members[RECORD])
    record["published_at"] = "\x1b[31mnot a date" + "x" * 1000
    members.update({"manifest.yaml": json.dumps(manifest).encode(), RECORD: json.dumps(record).encode()})
    bundle = write_bundle(tmp_path / "escapes.bundle", with_digests(members))
    shown = far("bundle", "verify", bundle)
    assert "\x1b" not in shown.out and "\\x1b" in shown.out
    registry = tmp_path / "far-registry"
    far("bundle", "load", bundle, "--registry", registry)
    stored = json.loads((registry / "index" / "demo.json").read_text())["versions"]["1.0.0"]
    assert "\x1b" not in stored["published_at"] and len(stored["published_at"]) == 20


@pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs prlimit")
@pytest.mark.parametrize("where", ["registry", "cache"])
def test_a_huge_blob_in_a_registry_or_the_cache_is_refused_unread(agentops, tmp_path, where):
    """A registry blob or a cache file grown past any valid archive (a sparse 3 GiB file here) is
    refused by its size under a 2 GiB address-space limit, not read into memory."""
    from conftest import write_package

    agentops.publish_folder(write_package(tmp_path / "src", "demo", "1.0.0"))
    index = json.loads((agentops.default_registry / "index" / "demo.json").read_text())
    sha = index["versions"]["1.0.0"]["sha256"]
    if where == "registry":
        target = agentops.default_registry / "blobs" / "sha256" / sha
    else:
        warm = tmp_path / "warm"
        warm.mkdir()
        agentops("package", "install", "demo", cwd=warm)
        [target] = [p for p in (agentops.home / "cache").rglob(sha) if p.is_file()]
    target.chmod(0o644)
    _sparse(target, b"\x1f\x8b", 3 * 1024**3)
    ws = tmp_path / "ws"
    ws.mkdir()
    code, err = _run_limited(agentops, "package", "install", "demo", cwd=ws)
    assert code == 1, err
    assert "larger than any valid archive" in err and "Traceback" not in err and "internal error" not in err, err
    assert not (ws / "agents").exists()


# -- many archives: checked side by side in forked processes, judged as one process would -----------

@pytest.fixture(scope="module")
def several(tmp_path_factory) -> Path:
    """A real bundle of six packages (enough to be checked in forked processes)."""
    return collected_bundle(tmp_path_factory.mktemp("several"), [f"pkg-{i}" for i in range(6)])


@pytest.mark.parametrize("hostile", ["pkg-2", "pkg-2+pkg-4"])
def test_a_hostile_archive_among_many_is_refused_alike_in_parallel_and_alone(several, far, tmp_path, hostile):
    members = members_of(several)
    for name in hostile.split("+"):
        slot = f"packages/{name}/1.0.0/"
        files = {**package_files(name), "docs/big.md": bytes(16 * 1024 * 1024)}  # a gzip bomb
        archive = package_tgz(files)
        record = json.loads(members[slot + "record.json"])
        record["sha256"], record["size"] = sha(archive), len(archive)
        members[slot + "archive.tar.gz"], members[slot + "record.json"] = archive, json.dumps(record).encode()
    bundle = write_bundle(tmp_path / "hostile.bundle", with_digests(members))
    registry = tmp_path / "far-registry"
    errors = set()
    for jobs in ("1", "2", "3"):
        for verb in (("verify", bundle), ("load", bundle, "--registry", registry)):
            refused = far("bundle", *verb, env={"AGENTOPS_JOBS": jobs}, expect=1)
            errors.add(refused.err)
    assert len(errors) == 1, errors  # the same first refusal, in member order, whatever the split
    assert "packages/pkg-2/1.0.0/archive.tar.gz" in errors.pop()
    assert not registry.exists()
    far("bundle", "load", several, "--registry", registry, env={"AGENTOPS_JOBS": "2"})
    assert len(list((registry / "index").iterdir())) == 6
