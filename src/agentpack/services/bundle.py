"""Bundles across an air gap: collect packages into one file, verify it, load it into a registry.

- ``collect_bundle`` resolves the closure of some specs (or takes exactly what agentops.lock pins),
  fetches each archive (verified against its registry record) and writes the bundle atomically,
  with ``FILE.sha256`` beside it;
- ``verify_bundle`` checks the outer checksum, the member set, every inner digest, each archive
  against its record, manifest entry and own package.yaml, and every signature;
- ``load_bundle`` verifies, then checks every package against the target directory registry (same
  version with other content, classification above the registry) before importing anything.

The bundle format itself is described in core.bundle_manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field

from agentpack.core.bundle_manifest import (
    MANIFEST_NAME,
    SIGNATURE_NAME,
    SIGNED_NAME,
    SIGNED_VERSION,
    build_manifest,
    check_manifest,
    member_rule,
    package_paths,
    parse_manifest,
    render_manifest,
)
from agentpack.core.classification import Levels
from agentpack.errors import (
    AgentpackError,
    ClassificationError,
    IntegrityError,
    SignatureError,
    UsageError,
    VersionExists,
    WorkspaceError,
)

Progress = Callable[[int, int, str], None]
_MAX_MEMBER = 1 << 31  # a single member above 2 GiB is refused rather than read into memory


@dataclass(frozen=True)
class BundledPackage:
    name: str
    version: str
    sha256: str
    classification: str
    signed_by: str | None = None

    def to_dict(self) -> dict:
        return {"name": self.name, "version": self.version, "sha256": self.sha256,
                "classification": self.classification, "signed_by": self.signed_by}


@dataclass
class BundleReport:
    """What a bundle holds, as verified (or as just written)."""

    path: str
    sha256: str
    created: str
    tier: str | None
    classification: str | None
    packages: list[BundledPackage] = field(default_factory=list)
    signed_by: str | None = None

    def to_dict(self) -> dict:
        return {"bundle": self.path, "sha256": self.sha256, "created": self.created, "tier": self.tier,
                "classification": self.classification, "signed_by": self.signed_by,
                "packages": [p.to_dict() for p in self.packages]}


@dataclass
class LoadResult:
    registry: str
    report: BundleReport
    imported: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {**self.report.to_dict(), "registry": self.registry, "imported": self.imported,
                "skipped": self.skipped}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _dump_json(data: dict) -> bytes:
    # Compact on purpose: json's C encoder is used only without indent.
    return (json.dumps(data, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


# -- collect --------------------------------------------------------------------------------------

def collect_bundle(directory: str | None, specs: list[str], settings, out_path: str, *, use_lock: bool = False,
                   tier: str | None = None, classification: str | None = None, signer=None,
                   progress: Progress | None = None) -> BundleReport:
    """Write the bundle of ``specs``' closure (or of agentops.lock with ``use_lock``) to ``out_path``."""
    from agentpack.services.sources import PackageSource
    from agentpack.services.workspace import open_workspace

    if bool(specs) == use_lock:
        raise UsageError("give package specs or --lock (not both)",
                         hint="e.g. agentops bundle collect customer-service -o site.bundle")
    ws = open_workspace(directory)
    manifest = ws.load_manifest()
    levels = manifest.levels if manifest else Levels()
    if classification is not None and levels.check(classification):
        raise UsageError(f"--classification: {levels.check(classification)}")
    source = PackageSource(lambda: settings.registry_locations(manifest, ws.root), settings.resolved_cache_dir)
    pins = _lock_pins(ws) if use_lock else _resolve_pins(specs, source, manifest)
    records = {name: source.record(name, version) for name, (version, _sha256) in pins.items()}
    entries = []
    above = []
    for name, (version, sha256) in sorted(pins.items()):
        record = records[name]
        if record.get("sha256") != sha256:
            raise IntegrityError(f"{name}@{version} in {source.describe()} has sha256 {record.get('sha256')}, "
                                 f"but agentops.lock pins {sha256}", hint="nothing was written")
        level = (record.get("manifest") or {}).get("classification") or levels.lowest
        if levels.check(level):
            raise ClassificationError(f"{name}@{version}: {levels.check(level)}; nothing was written")
        if classification is not None and levels.above(level, classification):
            above.append(f"{name}@{version} is {level!r}")
        entries.append({"name": name, "version": version, "sha256": sha256, "classification": level})
    if above:
        raise ClassificationError(
            f"refused to bundle above {classification!r}: {', '.join(above)}; nothing was written",
            hint="collect at the level of the packages, or leave them out")
    # Every digest the manifest lists is known before any archive is read (an archive's is the one
    # it is fetched and verified against), so the bundle is written in one pass, one archive in
    # memory at a time.
    record_bytes = {entry["name"]: _dump_json(records[entry["name"]]) for entry in entries}
    files = {}
    for entry in entries:
        archive_path, record_path = package_paths(entry["name"], entry["version"])
        files[archive_path], files[record_path] = entry["sha256"], _sha(record_bytes[entry["name"]])
    created = settings.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    tier = tier or (manifest.tier if manifest else None)
    document = build_manifest(created=created, tier=tier, classification=classification, packages=entries,
                              files=files)
    manifest_bytes = render_manifest(document)
    head = [(MANIFEST_NAME, manifest_bytes)]
    signed_by = None
    if signer is not None:
        signature = signer.document(SIGNED_NAME, SIGNED_VERSION, _sha(manifest_bytes))
        head.append((SIGNATURE_NAME, _dump_json(signature)))
        signed_by = signature["key"]

    def members():
        yield from head
        for done, entry in enumerate(entries, 1):
            name, version = entry["name"], entry["version"]
            archive_path, record_path = package_paths(name, version)
            yield archive_path, source.archive(name, version, entry["sha256"])  # verified against it
            yield record_path, record_bytes[name]
            if progress:
                progress(done, len(entries), f"{name}@{version}")

    digest = _write_tar(out_path, members())
    packages = [BundledPackage(e["name"], e["version"], e["sha256"], e["classification"],
                               (records[e["name"]].get("signature") or {}).get("key")) for e in entries]
    return BundleReport(out_path, digest, created, tier, classification, packages, signed_by)


def _lock_pins(ws) -> dict[str, tuple[str, str]]:
    from agentpack.core.lockfile import REGISTRY_SOURCE

    lock = ws.load_lock()
    if not lock.packages:
        raise WorkspaceError(f"agentops.lock in {ws.root} pins no packages", path=ws.root,
                             hint="run `agentops package install` first, or name the packages to bundle")
    local = sorted(n for n, p in lock.packages.items() if p.source != REGISTRY_SOURCE)
    if local:
        raise WorkspaceError(f"cannot bundle packages installed from archive files: {', '.join(local)}",
                             hint="publish them to a registry first")
    return {name: (pin.version, pin.sha256) for name, pin in lock.packages.items()}


def _resolve_pins(specs: list[str], source, manifest) -> dict[str, tuple[str, str]]:
    from agentpack.core.resolver import resolve
    from agentpack.core.spec import parse_spec

    requests = {}
    for text in specs:
        parsed = parse_spec(text)
        requests[parsed.name] = parsed.range_text
    resolution = resolve(requests, source, overrides=dict(manifest.overrides) if manifest else {})
    pins = {}
    for name, candidate in resolution.packages.items():
        version = str(candidate.version)
        pins[name] = (version, source.record(name, version)["sha256"])
    return pins


def _write_tar(out_path: str, members) -> str:
    """Write ``members`` as an uncompressed tar, atomically, then ``out_path.sha256``; return the digest."""
    from agentpack.adapters.archive import write_tar
    from agentpack.adapters.paths import write_atomic

    try:
        # No fsync, as with `tar cf` or `cp`: the file never replaces a good one half-written
        # (atomic rename), and whatever reaches the far side is checked against FILE.sha256.
        digest = write_tar(out_path, members, durable=False)
        write_atomic(out_path + ".sha256", f"{digest}  {os.path.basename(out_path)}\n".encode(), durable=False)
    except OSError as exc:
        raise AgentpackError(f"cannot write {out_path}: {exc.strerror or exc}", path=out_path) from exc
    return digest


# -- verify ---------------------------------------------------------------------------------------

@dataclass
class _Verified:
    report: BundleReport
    records: dict[str, dict]  # "name@version" -> record
    archives: dict[str, bytes]


def verify_bundle(path: str, *, trust: list[str] = ()) -> BundleReport:
    """Verify the bundle at ``path``; with ``trust`` (public key files or base64 keys), its manifest
    must be signed by one of them and every package signature must be by one of them."""
    return _verify(path, _trusted(trust)).report


def _trusted(trust) -> set[str] | None:
    if not trust:
        return None
    from agentpack.adapters.keys import parse_public_key
    from agentpack.core.signing import fingerprint

    found = set()
    for key in trust:
        if os.path.isfile(key):
            with open(key, "rb") as handle:
                found.add(fingerprint(parse_public_key(handle.read(), where=key)))
        else:
            found.add(fingerprint(parse_public_key(key.encode("utf-8"), where="--trust")))
    return found


def _fail(path: str, reason: str, hint: str = "the bundle is damaged or was altered; nothing was imported"):
    return IntegrityError(f"bundle {path} refused: {reason}", path=path, hint=hint)


def _verify(path: str, trusted: set[str] | None, progress: Progress | None = None) -> _Verified:
    if not os.path.isfile(path):
        raise UsageError(f"no bundle at {path}", path=path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise AgentpackError(f"cannot read {path}: {exc.strerror or exc}", path=path) from exc
    digest = _sha(raw)
    sidecar = path + ".sha256"
    if os.path.isfile(sidecar):
        with open(sidecar, encoding="utf-8", errors="replace") as handle:
            expected = (handle.read().split() or [""])[0].lower()
        if expected != digest:
            raise _fail(path, f"outer checksum mismatch: sha256 is {digest}, {os.path.basename(sidecar)} says "
                              f"{expected or 'nothing'}")
    members = _read_members(path, raw)
    del raw
    if MANIFEST_NAME not in members:
        raise _fail(path, f"no {MANIFEST_NAME} in the bundle (truncated, or not a bundle)")
    data = _load_manifest(path, members[MANIFEST_NAME])
    manifest = check_manifest(data, f"{path}:{MANIFEST_NAME}")
    listed = set(manifest["files"]) | {MANIFEST_NAME, SIGNATURE_NAME}
    extra = sorted(set(members) - listed)
    missing = sorted(set(manifest["files"]) - set(members))
    if extra:
        raise _fail(path, f"file(s) not listed in {MANIFEST_NAME}: {', '.join(extra)}")
    if missing:
        raise _fail(path, f"file(s) listed in {MANIFEST_NAME} are missing: {', '.join(missing)}")
    for name, expected in manifest["files"].items():
        actual = _sha(members[name])
        if actual != expected:
            raise _fail(path, f"{name} has sha256 {actual}, {MANIFEST_NAME} says {expected}")
    signed_by = _check_manifest_signature(path, members, trusted)
    report = BundleReport(path, digest, str(manifest.get("created")), manifest.get("tier"),
                          manifest.get("classification"), signed_by=signed_by)
    records, archives = {}, {}
    for done, entry in enumerate(manifest["packages"], 1):
        key, package = _check_package(path, entry, members, manifest["files"], trusted)
        archive_path, record_path = package_paths(entry["name"], entry["version"])
        records[key], archives[key] = json.loads(members[record_path]), members[archive_path]
        report.packages.append(package)
        if progress:
            progress(done, len(manifest["packages"]), key)
    return _Verified(report, records, archives)


def _load_manifest(path: str, raw: bytes) -> object:
    """The manifest as written (JSON form), or else as any YAML: a manifest someone rewrote with a
    YAML tool is still read, so that what is wrong with it can be named."""
    try:
        return parse_manifest(raw)
    except ValueError:
        pass
    from agentpack.adapters.yamlio import load_yaml

    try:
        return load_yaml(raw, source=MANIFEST_NAME)[0]
    except AgentpackError as exc:
        raise _fail(path, f"{MANIFEST_NAME} is unreadable: {exc.message}") from None


def _read_members(path: str, raw: bytes) -> dict[str, bytes]:
    import io

    members: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
            for info in tar:
                rule = member_rule(info.name)
                if rule:
                    raise _fail(path, f"member {info.name!r}: {rule}")
                if not info.isreg():
                    raise _fail(path, f"member {info.name!r} is not a regular file (links and folders are refused)")
                if info.name in members:
                    raise _fail(path, f"member {info.name!r} appears twice")
                if info.size > _MAX_MEMBER:
                    raise _fail(path, f"member {info.name!r} is too large ({info.size} bytes)")
                stream = tar.extractfile(info)
                data = stream.read() if stream is not None else b""
                if len(data) != info.size:
                    raise _fail(path, f"member {info.name!r} is truncated")
                members[info.name] = data
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise _fail(path, f"the bundle is truncated or corrupt ({exc})") from None
    return members


def _check_manifest_signature(path: str, members: dict[str, bytes], trusted: set[str] | None) -> str | None:
    from agentpack.services.signing import verify_document

    raw = members.get(SIGNATURE_NAME)
    if raw is None:
        if trusted is not None:
            raise SignatureError(f"bundle {path} refused: it is not signed, and --trust requires a signature",
                                 path=path, hint="collect it with `--sign KEY`")
        return None
    try:
        document = json.loads(raw)
    except ValueError:
        raise _fail(path, f"{SIGNATURE_NAME} is not a JSON signature document") from None
    key = verify_document(document, name=SIGNED_NAME, version=SIGNED_VERSION, sha256=_sha(members[MANIFEST_NAME]),
                          where=f"{path}:{SIGNATURE_NAME}")
    if trusted is not None and key not in trusted:
        raise SignatureError(f"bundle {path} refused: its manifest is signed by key {key}, which is not trusted",
                             path=path, hint="pass the public key of whoever collected it with --trust")
    return key


def _check_package(path: str, entry: dict, members: dict[str, bytes], digests: dict[str, str],
                   trusted: set[str] | None):
    """Check one package's slot; ``digests`` are the member digests, already checked against the bytes."""
    from agentpack.adapters.archive import read_member
    from agentpack.adapters.yamlio import load_yaml
    from agentpack.services.signing import verify_document

    name, version, sha256 = entry["name"], entry["version"], entry["sha256"]
    slot = f"{name}@{version}"
    archive_path, record_path = package_paths(name, version)
    archive = members[archive_path]
    actual = digests[archive_path]
    if actual != sha256:
        raise _fail(path, f"the archive in the slot of {slot} has sha256 {actual}, {MANIFEST_NAME} lists {sha256}")
    try:
        record = json.loads(members[record_path])
    except ValueError:
        raise _fail(path, f"{record_path} is not JSON") from None
    if not isinstance(record, dict) or (record.get("name"), record.get("version")) != (name, version):
        raise _fail(path, f"{record_path} is not the record of {slot}")
    if record.get("sha256") != actual:
        raise _fail(path, f"the archive of {slot} has sha256 {actual}, its record says {record.get('sha256')}")
    try:
        declared, _lines = load_yaml(read_member(archive, "package.yaml") or b"", source=f"{slot}:package.yaml")
    except AgentpackError as exc:
        raise _fail(path, f"the archive of {slot} is unreadable: {exc.message}") from None
    if not isinstance(declared, dict) or (declared.get("name"), str(declared.get("version"))) != (name, version):
        found = f"{declared.get('name')}@{declared.get('version')}" if isinstance(declared, dict) else "nothing"
        raise _fail(path, f"the archive in the slot of {slot} holds {found}")
    signed_by = None
    if record.get("signature") is not None:
        signed_by = verify_document(record["signature"], name=name, version=version, sha256=actual,
                                    where=f"{path}:{record_path}")
        if trusted is not None and signed_by not in trusted:
            raise SignatureError(f"bundle {path} refused: {slot} is signed by key {signed_by}, which is not trusted",
                                 path=path, hint="pass the publisher's public key with --trust as well")
    level = str(entry.get("classification") or (record.get("manifest") or {}).get("classification") or "")
    return slot, BundledPackage(name, version, actual, level, signed_by)


# -- load -----------------------------------------------------------------------------------------

def load_bundle(path: str, registry_dir: str, *, trust: list[str] = (), directory: str | None = None,
                progress: Progress | None = None) -> LoadResult:
    """Verify the bundle, then import it into the directory registry ``registry_dir`` (created if
    missing). Every package is checked first: a version the registry holds with other content, or
    a package classified above the registry's level, stops the load before anything is written."""
    from agentpack.adapters.registry.directory import DirectoryRegistry
    from agentpack.services.classification import check_publish_all
    from agentpack.services.workspace import open_workspace

    verified = _verify(path, _trusted(trust), progress)
    registry = DirectoryRegistry(registry_dir)
    try:
        ws_manifest = open_workspace(directory).load_manifest()
    except AgentpackError:
        ws_manifest = None
    keys = sorted(verified.records)
    records = [verified.records[key] for key in keys]
    check_publish_all(ws_manifest, [dict(r.get("manifest") or {}, name=r["name"], version=r["version"])
                                    for r in records], registry)  # no write down
    try:
        outcome = registry.import_versions([(verified.archives[key], verified.records[key]) for key in keys])
    except VersionExists as exc:
        raise VersionExists(f"bundle {path} not loaded: {exc.message}; nothing was imported",
                            hint="published versions cannot be replaced; bump the version and collect again") from None
    result = LoadResult(registry=registry.url, report=verified.report)
    for key, (_stored, imported) in zip(keys, outcome, strict=True):
        (result.imported if imported else result.skipped).append(key)
    return result
