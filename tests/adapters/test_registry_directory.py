"""The directory registry (real directories, real processes) and the scheme table that opens it."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import threading
import time

import pytest

from agentpack.adapters.registry import DirectoryRegistry, open_registry, supported_schemes
from agentpack.errors import (
    IntegrityError,
    InvalidName,
    PackageNotFound,
    RegistryError,
    VersionExists,
)

_SPAWN = multiprocessing.get_context("spawn")
PUBLISHED_AT = "2024-05-01T12:00:00Z"


def make_record(name: str = "customer-service", version: str = "1.0.0", **extra) -> dict:
    return {
        "name": name,
        "version": version,
        "manifest": {"name": name, "version": version, "description": f"{name} for everyone"},
        "components": {"agents": 2, "workflows": 1, "patterns": 0, "validations": 1},
        "published_at": PUBLISHED_AT,
        **extra,
    }


def archive_for(name: str, version: str) -> bytes:
    return f"archive of {name}@{version}\n".encode() + bytes(range(256))


def publish(registry, name="customer-service", version="1.0.0", data=None, **extra) -> dict:
    payload = archive_for(name, version) if data is None else data
    return registry.publish(payload, make_record(name, version, **extra))


def tree(root) -> dict[str, bytes]:
    found = {}
    for directory, _, files in os.walk(root):
        for file in files:
            path = os.path.join(directory, file)
            with open(path, "rb") as stream:
                found[os.path.relpath(path, root)] = stream.read()
    return found


# -- round trip and layout -----------------------------------------------------------------------


def test_publish_then_read_round_trip(tmp_path):
    registry = DirectoryRegistry(str(tmp_path / "reg"))
    data = archive_for("customer-service", "1.0.0")
    stored = registry.publish(data, make_record(sha256="0" * 64, size=1))  # caller's values ignored

    digest = hashlib.sha256(data).hexdigest()
    assert stored == {
        "name": "customer-service",
        "version": "1.0.0",
        "sha256": digest,
        "size": len(data),
        "manifest": make_record()["manifest"],
        "components": {"agents": 2, "workflows": 1, "patterns": 0, "validations": 1,
                       "commands": 0, "rules": 0, "skills": 0},
        "published_at": PUBLISHED_AT,
    }
    assert registry.list_packages() == ["customer-service"]
    assert registry.package_index("customer-service") == {
        "name": "customer-service",
        "serial": registry.package_index("customer-service")["serial"],
        "versions": {"1.0.0": stored},
    }
    assert registry.fetch_archive("customer-service", "1.0.0") == data
    assert registry.read_blob(digest) == data


def test_on_disk_layout(tmp_path):
    root = tmp_path / "reg"
    stored = publish(DirectoryRegistry(str(root)), name="team/triage", version="0.1.0")
    assert json.loads((root / "registry.json").read_text()) == {"format": 1}
    assert json.loads((root / "config.json").read_text()) == {"protocol": 1, "blobs": "blobs/sha256/", "api": None}
    assert (root / "blobs" / "sha256" / stored["sha256"]).is_file()
    index = json.loads((root / "index" / "team" / "triage.json").read_text())
    assert index == {"name": "team/triage", "serial": index["serial"], "versions": {"0.1.0": stored}}
    assert isinstance(index["serial"], int) and index["serial"] > 1_700_000_000_000  # the clock, in ms
    catalog = json.loads((root / "catalog.json").read_text())
    assert catalog == {
        "packages": {
            "team/triage": {
                "latest": "0.1.0",
                "description": "team/triage for everyone",
                "keywords": [],
                "components": stored["components"],
                "versions": ["0.1.0"],
            }
        }
    }
    assert not [p for p in tree(root) if p.endswith(".tmp")]


def test_any_write_gives_a_registry_made_before_config_json_one(tmp_path):
    registry = DirectoryRegistry(str(tmp_path / "reg"), create=True)
    config = tmp_path / "reg" / "config.json"
    assert json.loads(config.read_text())["protocol"] == 1
    config.unlink()
    assert registry.list_packages() == []  # reading writes nothing
    assert not config.exists()
    publish(registry)
    assert json.loads(config.read_text()) == {"protocol": 1, "blobs": "blobs/sha256/", "api": None}
    config.write_text('{"protocol": 1, "blobs": "https://cdn.example/blobs/"}')
    publish(registry, version="1.0.1")
    assert "cdn.example" in config.read_text()  # an operator's own config is kept


def test_published_at_defaults_to_now_in_utc(tmp_path):
    registry = DirectoryRegistry(str(tmp_path))
    record = make_record()
    del record["published_at"]
    stored = registry.publish(b"x", record)
    stamp = stored["published_at"]
    assert len(stamp) == 20 and stamp[4] == "-" and stamp[10] == "T" and stamp.endswith("Z")


def test_yaml_dates_in_the_manifest_are_stored_as_text(tmp_path):
    import datetime

    record = make_record()
    record["manifest"]["released"] = datetime.date(2024, 5, 1)
    stored = DirectoryRegistry(str(tmp_path)).publish(b"x", record)
    index = DirectoryRegistry(str(tmp_path)).package_index("customer-service")
    assert index["versions"]["1.0.0"]["manifest"]["released"] == "2024-05-01"
    assert stored["manifest"]["released"] == "2024-05-01"  # the record as stored


def test_invalid_version_is_refused_before_anything_is_written(tmp_path):
    from agentpack.errors import InvalidVersion

    with pytest.raises(InvalidVersion):
        publish(DirectoryRegistry(str(tmp_path / "reg")), version="1.0")
    assert not (tmp_path / "reg").exists()


def test_missing_components_count_as_zero(tmp_path):
    record = make_record()
    record["components"] = {"agents": 3}
    stored = DirectoryRegistry(str(tmp_path)).publish(b"x", record)
    assert stored["components"] == {"agents": 3, "workflows": 0, "patterns": 0, "validations": 0,
                                    "commands": 0, "rules": 0, "skills": 0}


def test_versions_are_ordered_by_semver_precedence(tmp_path):
    registry = DirectoryRegistry(str(tmp_path))
    for version in ["1.10.0", "2.0.0-rc.1", "1.2.0", "1.2.0-beta.2", "1.2.0-beta.10", "0.9.0"]:
        publish(registry, version=version)
    expected = ["0.9.0", "1.2.0-beta.2", "1.2.0-beta.10", "1.2.0", "1.10.0", "2.0.0-rc.1"]
    assert list(registry.package_index("customer-service")["versions"]) == expected
    entry = registry.catalog()["packages"]["customer-service"]
    assert entry["versions"] == expected
    assert entry["latest"] == "1.10.0"  # a release is preferred over a newer pre-release


def test_latest_is_a_prerelease_when_there_is_nothing_else(tmp_path):
    registry = DirectoryRegistry(str(tmp_path))
    publish(registry, version="1.0.0-alpha.1")
    assert registry.catalog()["packages"]["customer-service"]["latest"] == "1.0.0-alpha.1"


def test_the_catalog_carries_the_category_of_the_version_it_describes(tmp_path):
    registry = DirectoryRegistry(str(tmp_path))
    publish(registry, name="plain")
    record = make_record("grouped", "1.0.0")
    record["manifest"]["category"] = "process"
    registry.publish(archive_for("grouped", "1.0.0"), record)
    packages = registry.catalog()["packages"]
    assert "category" not in packages["plain"]  # a registry without categories keeps its catalog
    assert packages["grouped"]["category"] == "process"
    record = make_record("grouped", "2.0.0")
    record["manifest"]["category"] = "meta"
    registry.publish(archive_for("grouped", "2.0.0"), record)
    assert registry.catalog()["packages"]["grouped"]["category"] == "meta"


def test_list_packages_is_sorted_and_includes_namespaces(tmp_path):
    registry = DirectoryRegistry(str(tmp_path))
    for name in ["zeta", "team/beta", "alpha", "team/alpha"]:
        publish(registry, name=name)
    assert registry.list_packages() == ["alpha", "team/alpha", "team/beta", "zeta"]


def test_create_makes_an_empty_registry(tmp_path):
    root = tmp_path / "new" / "reg"
    registry = DirectoryRegistry(str(root), create=True)
    assert (root / "registry.json").is_file()
    assert registry.list_packages() == []


def test_publish_creates_a_missing_registry(tmp_path):
    root = tmp_path / "does" / "not" / "exist"
    publish(DirectoryRegistry(str(root)))
    assert DirectoryRegistry(str(root)).list_packages() == ["customer-service"]


# -- immutability --------------------------------------------------------------------------------


def test_republishing_a_version_with_different_bytes_is_refused(tmp_path):
    registry = DirectoryRegistry(str(tmp_path))
    original = publish(registry, data=b"first")
    before = tree(tmp_path)
    with pytest.raises(VersionExists) as caught:
        publish(registry, data=b"second")
    assert "customer-service@1.0.0" in caught.value.message
    assert caught.value.hint
    assert tree(tmp_path) == before  # nothing written, not even the new blob
    assert registry.package_index("customer-service")["versions"]["1.0.0"] == original


def test_republishing_identical_bytes_is_refused_too(tmp_path):
    registry = DirectoryRegistry(str(tmp_path))
    publish(registry, data=b"same")
    with pytest.raises(VersionExists):
        publish(registry, data=b"same")


def test_versions_differing_only_in_build_metadata_clash(tmp_path):
    registry = DirectoryRegistry(str(tmp_path))
    publish(registry, version="1.0.0+build.1")
    with pytest.raises(VersionExists) as caught:
        publish(registry, version="1.0.0+build.2")
    assert "1.0.0+build.1" in caught.value.message


# -- concurrency (real processes) ----------------------------------------------------------------


def _publish_in_child(root, name, version, data, start, results) -> None:
    start.wait(60)
    try:
        DirectoryRegistry(root).publish(data, make_record(name, version))
        results.put((version, data, "published"))
    except VersionExists:
        results.put((version, data, "exists"))
    except Exception as error:  # reported to the parent, which fails the test with it
        results.put((version, data, repr(error)))


def _run_publishers(root: str, jobs: list[tuple[str, str, bytes]]) -> list[tuple]:
    return _run_children([(_publish_in_child, (root, name, version, data)) for name, version, data in jobs])


def _run_children(jobs: list[tuple]) -> list[tuple]:
    """Run each ``(target, args)`` in its own process, all released at once; their reports."""
    start, results = _SPAWN.Barrier(len(jobs)), _SPAWN.Queue()
    processes = [_SPAWN.Process(target=target, args=(*args, start, results)) for target, args in jobs]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    return outcomes


def test_concurrent_publishers_of_different_versions_all_land(tmp_path):
    root = str(tmp_path / "reg")
    registry = DirectoryRegistry(root, create=True)
    versions = [f"1.{i * 5}.0" for i in range(8)]  # 1.0.0, 1.5.0, 1.10.0 ... (not string order)

    # A reader polls throughout: it must never see a partial or malformed file.
    seen_errors: list[Exception] = []
    stop = threading.Event()

    def read_constantly() -> None:
        while not stop.is_set():
            try:
                registry.list_packages()
                registry.package_index("customer-service")
            except PackageNotFound:
                pass
            except Exception as error:
                seen_errors.append(error)
            time.sleep(0.001)  # leave the two CPUs of a small CI box to the publishers

    reader = threading.Thread(target=read_constantly)
    reader.start()
    try:
        jobs = [("customer-service", v, archive_for("customer-service", v)) for v in versions]
        outcomes = _run_publishers(root, jobs)
    finally:
        stop.set()
        reader.join()

    assert sorted(o[2] for o in outcomes) == ["published"] * 8, outcomes
    assert seen_errors == []
    with open(os.path.join(root, "index", "customer-service.json")) as stream:
        index = json.load(stream)
    assert list(index["versions"]) == versions
    assert registry.catalog()["packages"]["customer-service"]["versions"] == versions
    for version in versions:
        assert registry.fetch_archive("customer-service", version) == archive_for("customer-service", version)
    assert len(os.listdir(os.path.join(root, "blobs", "sha256"))) == 8
    assert not [p for p in tree(root) if p.endswith(".tmp")]


def test_concurrent_publishers_of_one_version_exactly_one_wins(tmp_path):
    root = str(tmp_path / "not-yet-created")  # they also race to create the registry
    jobs = [("customer-service", "2.0.0", f"variant {i}".encode()) for i in range(4)]
    outcomes = _run_publishers(root, jobs)

    winners = [o for o in outcomes if o[2] == "published"]
    assert len(winners) == 1, outcomes
    assert sorted(o[2] for o in outcomes if o not in winners) == ["exists"] * 3, outcomes
    registry = DirectoryRegistry(root)
    assert list(registry.package_index("customer-service")["versions"]) == ["2.0.0"]
    assert registry.fetch_archive("customer-service", "2.0.0") == winners[0][1]
    assert len(os.listdir(os.path.join(root, "blobs", "sha256"))) == 1


# -- integrity -----------------------------------------------------------------------------------


def test_tampered_blob_fails_verification(tmp_path):
    registry = DirectoryRegistry(str(tmp_path), url="file:///the/registry")
    stored = publish(registry)
    blob = tmp_path / "blobs" / "sha256" / stored["sha256"]
    data = bytearray(blob.read_bytes())
    data[10] ^= 0x01
    blob.write_bytes(bytes(data))

    with pytest.raises(IntegrityError) as caught:
        registry.fetch_archive("customer-service", "1.0.0")
    message = caught.value.message
    assert "customer-service@1.0.0" in message
    assert "file:///the/registry" in message
    assert stored["sha256"] in message
    assert hashlib.sha256(bytes(data)).hexdigest() in message
    assert registry.read_blob(stored["sha256"]) == bytes(data)  # the raw read does not verify


def test_missing_blob_is_a_registry_error(tmp_path):
    registry = DirectoryRegistry(str(tmp_path))
    stored = publish(registry)
    os.remove(tmp_path / "blobs" / "sha256" / stored["sha256"])
    with pytest.raises(RegistryError, match="no blob"):
        registry.fetch_archive("customer-service", "1.0.0")
    with pytest.raises(RegistryError, match="no blob"):
        registry.read_blob(stored["sha256"])


# -- not found, missing, malformed ---------------------------------------------------------------


def test_unknown_package_and_version(tmp_path):
    registry = DirectoryRegistry(str(tmp_path))
    publish(registry)
    with pytest.raises(PackageNotFound) as caught:
        registry.package_index("nobody")
    assert "nobody" in caught.value.message and caught.value.hint
    with pytest.raises(PackageNotFound) as caught:
        registry.fetch_archive("customer-service", "9.9.9")
    assert "1.0.0" in caught.value.hint


def test_missing_registry_is_reported_and_not_created(tmp_path):
    root = tmp_path / "absent"
    registry = DirectoryRegistry(str(root), url="./absent")
    for read in (
        registry.list_packages,
        lambda: registry.package_index("x"),
        lambda: registry.read_blob("a" * 64),
    ):
        with pytest.raises(RegistryError) as caught:
            read()
        assert not isinstance(caught.value, PackageNotFound)
        assert "./absent" in caught.value.message
        assert "AGENTOPS_REGISTRY" in caught.value.hint
    assert not root.exists()


def test_directory_that_is_not_a_registry(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    registry = DirectoryRegistry(str(tmp_path))
    with pytest.raises(RegistryError, match="not an agentpack registry"):
        registry.list_packages()
    with pytest.raises(RegistryError, match="not an agentpack registry"):
        publish(registry)
    assert os.listdir(tmp_path) == ["notes.txt"]


def test_newer_registry_format_is_refused(tmp_path):
    registry = DirectoryRegistry(str(tmp_path), create=True)
    (tmp_path / "registry.json").write_text('{"format": 99}')
    with pytest.raises(RegistryError, match="format 99"):
        registry.list_packages()


@pytest.mark.parametrize("content", ["{not json", '["a list"]', '{"versions": {"1.0.0": 3}}', "\xff",
                                     '{"serial": -1, "versions": {}}', '{"serial": true, "versions": {}}',
                                     '{"serial": "7", "versions": {}}', '{"serial": 1.5, "versions": {}}',
                                     '{"serial": 18014398509481984, "versions": {}}'])
def test_malformed_index_names_the_file(tmp_path, content):
    registry = DirectoryRegistry(str(tmp_path))
    publish(registry)
    index = tmp_path / "index" / "customer-service.json"
    index.write_bytes(content.encode("latin-1"))
    with pytest.raises(RegistryError) as caught:
        registry.package_index("customer-service")
    assert str(index) in caught.value.message
    assert caught.value.path == str(index)
    with pytest.raises(RegistryError, match="customer-service.json"):
        publish(registry, version="1.1.0")
    with pytest.raises(RegistryError, match="customer-service.json"):
        publish(registry, name="other")  # the catalog rebuild reads it too; nothing is half-written
    assert not (tmp_path / "index" / "other.json").exists()


def test_a_stale_catalog_is_rebuilt_by_a_write_that_adds_nothing(tmp_path):
    """A writer killed between the index and the catalog: re-importing what is already there
    (a second `bundle load`) repairs the catalog instead of leaving it behind the indexes."""
    registry = DirectoryRegistry(str(tmp_path))
    publish(registry)
    stale = (tmp_path / "catalog.json").read_bytes()
    data = archive_for("customer-service", "1.1.0")
    registry.publish(data, make_record(version="1.1.0"))
    (tmp_path / "catalog.json").write_bytes(stale)
    assert registry.catalog()["packages"]["customer-service"]["versions"] == ["1.0.0"]
    outcome = registry.import_versions([(data, make_record(version="1.1.0"))])
    assert [imported for _record, imported in outcome] == [False]
    assert registry.catalog()["packages"]["customer-service"]["versions"] == ["1.0.0", "1.1.0"]
    assert registry.stale_catalog() is None


def test_indexes_count_their_writes_in_a_serial(tmp_path):
    registry = DirectoryRegistry(str(tmp_path))
    serials = []
    for version in ("1.0.0", "1.0.1", "2.0.0-rc.1"):
        publish(registry, version=version)
        serials.append(registry.package_index("customer-service")["serial"])
    assert serials == sorted(set(serials))  # strictly increasing
    publish(registry, name="other")  # another package's write leaves this index alone
    assert registry.package_index("customer-service")["serial"] == serials[-1]
    legacy = tmp_path / "index" / "other.json"
    index = json.loads(legacy.read_text())
    del index["serial"]
    legacy.write_text(json.dumps(index))
    assert registry.package_index("other")["serial"] == 0  # written before serials: still readable
    publish(registry, name="other", version="1.1.0")
    assert registry.package_index("other")["serial"] > 0


def test_malformed_catalog_names_the_file_and_publish_rebuilds_it(tmp_path):
    registry = DirectoryRegistry(str(tmp_path))
    publish(registry)
    (tmp_path / "catalog.json").write_text("{")
    with pytest.raises(RegistryError, match="catalog.json"):
        registry.list_packages()
    publish(registry, name="second")
    assert registry.list_packages() == ["customer-service", "second"]


# -- path safety ---------------------------------------------------------------------------------

BAD_NAMES = [
    "../x",
    "..",
    "a/../../x",
    "team/../../../etc/passwd",
    "a/b/c",
    "/abs",
    "x/",
    "",
    "Upper",
    "a.b",
    7,
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_names_that_could_escape_are_rejected(tmp_path, name):
    root = tmp_path / "reg"
    registry = DirectoryRegistry(str(root), create=True)
    before = tree(tmp_path)
    with pytest.raises(InvalidName):
        registry.package_index(name)
    with pytest.raises(InvalidName):
        registry.fetch_archive(name, "1.0.0")
    with pytest.raises(InvalidName):
        registry.publish(b"evil", make_record(name=name))
    assert tree(tmp_path) == before


@pytest.mark.parametrize("digest", ["../../registry.json", "A" * 64, "", "g" * 64])
def test_read_blob_rejects_non_digests(tmp_path, digest):
    registry = DirectoryRegistry(str(tmp_path), create=True)
    with pytest.raises(RegistryError, match="not a sha256 digest"):
        registry.read_blob(digest)


# -- read-only use -------------------------------------------------------------------------------


def test_reads_write_nothing(tmp_path):
    registry = DirectoryRegistry(str(tmp_path))
    stored = publish(registry)
    before = tree(tmp_path)
    registry.list_packages()
    registry.package_index("customer-service")
    registry.fetch_archive("customer-service", "1.0.0")
    registry.read_blob(stored["sha256"])
    assert tree(tmp_path) == before


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores permissions")
def test_reads_work_on_a_read_only_tree(tmp_path):
    root = tmp_path / "reg"
    registry = DirectoryRegistry(str(root))
    publish(registry)
    modes = []
    for directory, _, _ in os.walk(root):
        modes.append(directory)
    try:
        for directory in modes:
            os.chmod(directory, 0o555)
        assert registry.fetch_archive("customer-service", "1.0.0")
        with pytest.raises(RegistryError, match="cannot write"):
            publish(registry, version="2.0.0")
    finally:
        for directory in modes:
            os.chmod(directory, 0o755)


# -- open_registry: the scheme table -------------------------------------------------------------


def test_plain_path(tmp_path):
    registry = open_registry(str(tmp_path))
    assert isinstance(registry, DirectoryRegistry)
    assert registry.root == str(tmp_path)
    assert registry.url == str(tmp_path)


def test_relative_path_is_taken_from_base_dir(tmp_path):
    registry = open_registry("registry", base_dir=str(tmp_path / "project"))
    assert registry.root == str(tmp_path / "project" / "registry")
    assert registry.url == "registry"
    absolute = open_registry(str(tmp_path / "elsewhere"), base_dir=str(tmp_path / "project"))
    assert absolute.root == str(tmp_path / "elsewhere")


def test_relative_path_without_base_dir_uses_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert open_registry("./reg").root == str(tmp_path / "reg")


def test_home_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert open_registry("~/reg", base_dir="/somewhere/else").root == str(tmp_path / "reg")


def test_file_urls(tmp_path):
    publish(DirectoryRegistry(str(tmp_path / "my reg")))
    for url in (
        f"file://{tmp_path}/my%20reg",
        f"file://localhost{tmp_path}/my%20reg",
        f"FILE://{tmp_path}/my reg",
    ):
        registry = open_registry(url)
        assert registry.root == str(tmp_path / "my reg")
        assert registry.url == url
        assert registry.list_packages() == ["customer-service"]


def test_file_url_with_a_remote_host_is_refused():
    with pytest.raises(RegistryError, match="absolute local path"):
        open_registry("file://server/share/registry")


@pytest.mark.parametrize("location", ["gs://bucket/team", "s3://bucket/registry"])
def test_unknown_scheme_lists_the_supported_ones(location):
    with pytest.raises(RegistryError) as caught:
        open_registry(location)
    scheme = location.split("://")[0]
    assert f"{scheme}://" in caught.value.message
    assert "file://" in caught.value.hint and "http://" in caught.value.hint and "oci://" in caught.value.hint and "directory path" in caught.value.hint


def test_empty_location_is_refused():
    with pytest.raises(RegistryError):
        open_registry("  ")


def test_supported_schemes():
    assert supported_schemes() == ["", "file", "http", "https", "oci"]


# -- importing many versions at once (bundle load) ---------------------------------------------


def test_import_versions_adds_all_under_one_catalog_and_keeps_identical_ones(tmp_path):
    registry = DirectoryRegistry(str(tmp_path / "reg"))
    publish(registry, "triage", "1.0.0")
    items = [(archive_for(n, v), make_record(n, v)) for n, v in
             (("triage", "1.0.0"), ("triage", "1.1.0"), ("routing", "2.0.0"), ("team/intake", "0.1.0"))]
    outcome = registry.import_versions(items)
    assert [imported for _, imported in outcome] == [False, True, True, True]
    assert [record["sha256"] for record, _ in outcome] == [hashlib.sha256(a).hexdigest() for a, _ in items]
    assert list(registry.package_index("triage")["versions"]) == ["1.0.0", "1.1.0"]
    catalog = registry.catalog()["packages"]
    assert sorted(catalog) == ["routing", "team/intake", "triage"]
    assert catalog["triage"]["latest"] == "1.1.0"
    for archive, record in items:
        assert registry.fetch_archive(record["name"], record["version"]) == archive
    before = tree(tmp_path / "reg")
    again = registry.import_versions(items)  # idempotent: nothing changes
    assert [imported for _, imported in again] == [False] * 4
    assert tree(tmp_path / "reg") == before


def test_a_new_registrys_first_indexes_appear_at_once(tmp_path, monkeypatch):
    """Imported into a registry without indexes, they are written in a folder beside index/ and
    renamed into place in one step; into one with indexes, each is replaced on its own."""
    renamed, real_rename = [], os.rename
    monkeypatch.setattr(os, "rename", lambda src, dst: (renamed.append((src, dst)), real_rename(src, dst))[1])
    registry = DirectoryRegistry(str(tmp_path / "reg"))
    items = [(archive_for(n, v), make_record(n, v)) for n, v in
             (("triage", "1.0.0"), ("team/intake", "0.1.0"), ("team/routing", "2.0.0"))]
    registry.import_versions(items)
    assert [os.path.basename(dst) for _, dst in renamed] == ["index"]
    assert os.path.basename(renamed[0][0]).startswith(".index.") and renamed[0][0].endswith(".tmp")
    for archive, record in items:
        assert registry.fetch_archive(record["name"], record["version"]) == archive
    assert sorted(registry.catalog()["packages"]) == ["team/intake", "team/routing", "triage"]
    assert sorted(os.listdir(tmp_path / "reg")) == [".lock", "blobs", "catalog.json", "config.json", "index",
                                                    "registry.json"]

    registry.import_versions([(archive_for("triage", "1.1.0"), make_record("triage", "1.1.0")),
                              (archive_for("other", "1.0.0"), make_record("other", "1.0.0"))])
    assert len(renamed) == 1  # index/ exists: written file by file (os.replace)
    assert list(registry.package_index("triage")["versions"]) == ["1.0.0", "1.1.0"]


def test_import_versions_restores_a_missing_blob_of_a_version_it_already_holds(tmp_path):
    registry = DirectoryRegistry(str(tmp_path / "reg"))
    stored = publish(registry, "triage", "1.0.0")
    (tmp_path / "reg" / "blobs" / "sha256" / stored["sha256"]).unlink()
    [(record, imported)] = registry.import_versions([(archive_for("triage", "1.0.0"), make_record("triage"))])
    assert not imported and record["sha256"] == stored["sha256"]
    assert registry.fetch_archive("triage", "1.0.0") == archive_for("triage", "1.0.0")


def test_import_versions_refuses_other_content_naming_every_conflict_and_writes_nothing(tmp_path):
    registry = DirectoryRegistry(str(tmp_path / "reg"))
    publish(registry, "triage", "1.0.0")
    publish(registry, "routing", "2.0.0+build.1")
    before = tree(tmp_path / "reg")
    items = [(archive_for("fresh", "1.0.0"), make_record("fresh", "1.0.0")),
             (b"other bytes", make_record("triage", "1.0.0")),
             (archive_for("routing", "2.0.0+build.2"), make_record("routing", "2.0.0+build.2"))]
    with pytest.raises(VersionExists) as caught:
        registry.import_versions(items)
    message = caught.value.message
    assert "triage@1.0.0 (other content: registry sha256" in message
    assert "routing@2.0.0+build.2 (same precedence as 2.0.0+build.1)" in message
    assert "fresh" not in message
    assert tree(tmp_path / "reg") == before  # not even the package without a conflict


def test_publish_still_refuses_an_identical_existing_version(tmp_path):
    registry = DirectoryRegistry(str(tmp_path / "reg"))
    publish(registry, "triage", "1.0.0")
    with pytest.raises(VersionExists, match=r"triage@1\.0\.0 already exists in registry"):
        publish(registry, "triage", "1.0.0")


@pytest.mark.parametrize("name", ["Alpha", "a--b", "-alpha", "../alpha", "x" * 65, "alpha\x1b[2J"])
def test_names_read_from_the_registry_follow_the_rule_for_typed_names(tmp_path, name):
    """A name in catalog.json or an index file name that a user could not type is never listed,
    and never used to find a file."""
    registry = DirectoryRegistry(str(tmp_path))
    publish(registry, name="alpha")
    catalog_path = tmp_path / "catalog.json"
    catalog = json.loads(catalog_path.read_text())
    catalog["packages"][name] = catalog["packages"]["alpha"]
    catalog_path.write_text(json.dumps(catalog))
    assert registry.list_packages() == ["alpha"]
    with pytest.raises(InvalidName):
        registry.package_index(name)
    if "/" not in name and "\x1b" not in name:
        (tmp_path / "index" / f"{name}.json").write_text((tmp_path / "index" / "alpha.json").read_text())
        publish(registry, name="beta")  # rebuilds the catalog from the index files
        assert registry.list_packages() == ["alpha", "beta"]


# -- yank and deprecate ----------------------------------------------------------------------------

YANK = {"reason": "leaks tokens", "at": "2024-05-02T08:00:00Z"}


def test_yank_marks_the_record_raises_the_serial_and_keeps_the_archive(tmp_path):
    registry = DirectoryRegistry(str(tmp_path))
    for version in ("1.0.0", "1.1.0"):
        publish(registry, version=version)
    blobs = {path: data for path, data in tree(tmp_path).items() if path.startswith("blobs")}
    serial = registry.package_index("customer-service")["serial"]
    assert registry.mark_yanked("customer-service", "1.1.0", YANK) is True
    index = registry.package_index("customer-service")
    assert index["versions"]["1.1.0"]["yanked"] == YANK
    assert "yanked" not in index["versions"]["1.0.0"]
    assert list(index["versions"]) == ["1.0.0", "1.1.0"] and index["serial"] > serial
    assert registry.fetch_archive("customer-service", "1.1.0") == archive_for("customer-service", "1.1.0")
    assert {p: d for p, d in tree(tmp_path).items() if p.startswith("blobs")} == blobs
    entry = registry.catalog()["packages"]["customer-service"]
    assert entry["latest"] == "1.0.0" and entry["yanked"] == ["1.1.0"]
    assert entry["versions"] == ["1.0.0", "1.1.0"]
    assert registry.stale_catalog() is None


def test_yanking_again_or_undoing_nothing_writes_nothing(tmp_path):
    registry = DirectoryRegistry(str(tmp_path))
    publish(registry)
    assert registry.mark_yanked("customer-service", "1.0.0", None) is False
    registry.mark_yanked("customer-service", "1.0.0", YANK)
    before = tree(tmp_path)
    assert registry.mark_yanked("customer-service", "1.0.0", dict(YANK, at="2030-01-01T00:00:00Z")) is False
    assert tree(tmp_path) == before
    serial = registry.package_index("customer-service")["serial"]
    assert registry.mark_yanked("customer-service", "1.0.0", None) is True  # --undo
    index = registry.package_index("customer-service")
    assert "yanked" not in index["versions"]["1.0.0"] and index["serial"] > serial
    assert "yanked" not in registry.catalog()["packages"]["customer-service"]


def test_a_package_whose_versions_are_all_yanked_has_no_latest_but_stays_listed(tmp_path):
    registry = DirectoryRegistry(str(tmp_path))
    publish(registry, version="1.0.0")
    publish(registry, version="2.0.0-rc.1")
    for version in ("1.0.0", "2.0.0-rc.1"):
        registry.mark_yanked("customer-service", version, YANK)
    entry = registry.catalog()["packages"]["customer-service"]
    assert entry["latest"] is None and entry["yanked"] == ["1.0.0", "2.0.0-rc.1"]
    assert entry["description"] == "customer-service for everyone"  # the highest version describes it
    assert registry.list_packages() == ["customer-service"]
    registry.mark_yanked("customer-service", "1.0.0", None)
    assert registry.catalog()["packages"]["customer-service"]["latest"] == "1.0.0"


def test_yank_of_an_unknown_package_or_version_lists_what_there_is(tmp_path):
    registry = DirectoryRegistry(str(tmp_path))
    publish(registry)
    with pytest.raises(PackageNotFound) as caught:
        registry.mark_yanked("customer-service", "9.9.9", YANK)
    assert "customer-service@9.9.9" in caught.value.message and "1.0.0" in caught.value.hint
    with pytest.raises(PackageNotFound):
        registry.mark_yanked("nobody", "1.0.0", YANK)
    with pytest.raises(InvalidName):
        registry.mark_yanked("../escape", "1.0.0", YANK)


def test_marking_never_creates_a_registry(tmp_path):
    with pytest.raises(RegistryError, match="does not exist"):
        DirectoryRegistry(str(tmp_path / "none")).mark_yanked("a", "1.0.0", YANK)
    assert not (tmp_path / "none").exists()


def test_deprecate_marks_every_version_in_a_range_prereleases_included(tmp_path):
    registry = DirectoryRegistry(str(tmp_path))
    for version in ("1.0.0", "1.5.0", "1.6.0-beta.1", "2.0.0"):
        publish(registry, version=version)
    mark = {"message": "use 2.x", "at": "2024-05-02T08:00:00Z"}
    assert registry.mark_deprecated("customer-service", "<2", mark) == {"1.0.0": True, "1.5.0": True,
                                                                        "1.6.0-beta.1": True}
    versions = registry.package_index("customer-service")["versions"]
    assert [v for v, r in versions.items() if "deprecated" in r] == ["1.0.0", "1.5.0", "1.6.0-beta.1"]
    assert "deprecated" not in registry.catalog()["packages"]["customer-service"]  # latest 2.0.0 is not
    assert registry.mark_deprecated("customer-service", "*", mark)["2.0.0"] is True
    assert registry.catalog()["packages"]["customer-service"]["deprecated"] == "use 2.x"
    assert registry.mark_deprecated("customer-service", "*", None) == dict.fromkeys(versions, True)
    assert registry.mark_deprecated("customer-service", "*", None) == dict.fromkeys(versions, False)
    with pytest.raises(PackageNotFound) as caught:
        registry.mark_deprecated("customer-service", ">=3", mark)
    assert "2.0.0" in caught.value.hint


def test_a_bundle_import_adds_marks_to_versions_held_and_never_removes_one(tmp_path):
    registry = DirectoryRegistry(str(tmp_path / "reg"))
    publish(registry, "triage", "1.0.0")
    deprecated = {"message": "use routing", "at": "2024-05-02T08:00:00Z"}
    items = [(archive_for("triage", "1.0.0"), make_record("triage", yanked=YANK)),
             (archive_for("triage", "1.1.0"), make_record("triage", "1.1.0", deprecated=deprecated))]
    serial = registry.package_index("triage")["serial"]
    outcome = registry.import_versions(items)
    assert [imported for _, imported in outcome] == [False, True]
    versions = registry.package_index("triage")["versions"]
    assert versions["1.0.0"]["yanked"] == YANK and versions["1.1.0"]["deprecated"] == deprecated
    assert registry.package_index("triage")["serial"] > serial
    registry.mark_yanked("triage", "1.0.0", None)  # taken back on this side, on purpose
    registry.import_versions([(archive_for("triage", "1.0.0"), make_record("triage"))])
    assert "yanked" not in registry.package_index("triage")["versions"]["1.0.0"]
    registry.mark_yanked("triage", "1.0.0", dict(YANK, reason="ours"))
    registry.import_versions(items[:1])
    assert registry.package_index("triage")["versions"]["1.0.0"]["yanked"]["reason"] == "ours"
    assert registry.stale_catalog() is None


def test_publish_keeps_no_mark_it_was_not_given_and_a_bad_mark_is_a_malformed_index(tmp_path):
    registry = DirectoryRegistry(str(tmp_path))
    assert "yanked" not in publish(registry)
    path = tmp_path / "index" / "customer-service.json"
    index = json.loads(path.read_text())
    index["versions"]["1.0.0"]["yanked"] = True
    path.write_text(json.dumps(index))
    with pytest.raises(RegistryError, match="'yanked' must be an object"):
        registry.package_index("customer-service")


def _yank_in_child(root, version, start, results) -> None:
    start.wait(60)
    try:
        DirectoryRegistry(root).mark_yanked("customer-service", version, dict(YANK, reason=f"yank {version}"))
        results.put((version, None, "yanked"))
    except Exception as error:  # reported to the parent, which fails the test with it
        results.put((version, None, repr(error)))


def test_yanks_and_publishes_racing_on_one_index_all_land(tmp_path):
    root = str(tmp_path / "reg")
    registry = DirectoryRegistry(root, create=True)
    old = [f"1.{i}.0" for i in range(3)]
    for version in old:
        publish(registry, version=version)
    new = [f"2.{i}.0" for i in range(3)]
    outcomes = _run_children([(_yank_in_child, (root, v)) for v in old]
                             + [(_publish_in_child, (root, "customer-service", v, archive_for("customer-service", v)))
                                for v in new])
    assert sorted(o[2] for o in outcomes) == ["published"] * 3 + ["yanked"] * 3, outcomes
    versions = registry.package_index("customer-service")["versions"]
    assert list(versions) == old + new
    assert [v for v, r in versions.items() if r.get("yanked")] == old
    assert all(versions[v]["yanked"]["reason"] == f"yank {v}" for v in old)
    assert registry.stale_catalog() is None
