"""Bundles across an air gap: collect packages into one file, verify it, load it into a registry.

- ``collect_bundle`` resolves the closure of some specs (or takes exactly what agentops.lock pins),
  fetches each archive (verified against its registry record) and writes the bundle atomically,
  with ``FILE.sha256`` beside it;
- every record in a bundle carries its version's yank and deprecation marks as the registry had
  them at collection (resolution skips yanked versions, so only ``--lock`` or an exact spec
  collects one); ``load_bundle`` adds them to the target registry and never removes a mark it
  holds (services.bundle_verify, the registry's ``import_versions``), so the far side never
  installs a yanked version unknowingly;
- ``verify_bundle`` checks everything in it, deeply, before anything is imported: the tar itself,
  the manifest, every digest, every archive through the same reader and validation as publish and
  install, every signature against the trust stores (see services.bundle_verify);
- ``load_bundle`` verifies, then checks every package against the target registry, a directory or
  an oci:// registry (same version with other content, classification above the registry),
  before importing anything.

The bundle format itself is described in core.bundle_manifest.
"""

from __future__ import annotations

import hashlib
import json
import os

from agentpack.core.bundle_manifest import (
    MANIFEST_NAME,
    SIGNATURE_NAME,
    SIGNED_NAME,
    SIGNED_VERSION,
    build_manifest,
    chart_path,
    package_paths,
    render_manifest,
)
from agentpack.core.classification import Levels
from agentpack.core.records import dataclass, field
from agentpack.core.release_marks import DEPRECATED, YANKED, mark_text
from agentpack.errors import (
    AgentpackError,
    ClassificationError,
    IntegrityError,
    UsageError,
    WorkspaceError,
)
from agentpack.services.bundle_verify import BundledPackage, BundleReport, Progress, trust_policy, verify


@dataclass
class LoadResult:
    registry: str
    report: BundleReport
    imported: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)  # {name, version, reference or None, pushed}

    def to_dict(self) -> dict:
        data = {**self.report.to_dict(), "registry": self.registry, "imported": self.imported,
                "skipped": self.skipped}
        if self.charts:
            data["loaded_charts"] = self.charts
        return data


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _dump_json(data: dict) -> bytes:
    # Compact on purpose: json's C encoder is used only without indent.
    return (json.dumps(data, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


# -- collect --------------------------------------------------------------------------------------

def collect_bundle(directory: str | None, specs: list[str], settings, out_path: str, *, use_lock: bool = False,
                   tier: str | None = None, classification: str | None = None, signer=None,
                   progress: Progress | None = None, chart: str | None = None, images: bool = False) -> BundleReport:
    """Write the bundle of ``specs``' closure (or of agentops.lock with ``use_lock``) to ``out_path``;
    with ``chart`` (a chart folder) also its archive, and with ``images`` the images its templates
    run for the tier (services.bundle_chart)."""
    from agentpack.services.sources import PackageSource
    from agentpack.services.workspace import open_workspace

    if specs and use_lock or not (specs or use_lock or chart):
        raise UsageError("give package specs or --lock (not both), or a --chart",
                         hint="e.g. agentops bundle collect customer-service -o site.bundle")
    if images and not chart:
        raise UsageError("--images lists what a chart's templates run: give the chart with --chart")
    ws = open_workspace(directory)
    manifest = ws.load_manifest()
    tier = tier or (manifest.tier if manifest else None)
    chart_entry, image_list = None, []
    if chart is not None:  # packaged (and its images listed) first: a broken chart writes nothing
        from agentpack.services.bundle_chart import chart_images, package_chart_folder

        archive = package_chart_folder(chart)
        chart_entry = {"name": archive.name, "version": archive.version, "sha256": archive.sha256,
                       "data": archive.data}
        image_list = chart_images(chart, tier) if images else []
    levels = manifest.levels if manifest else Levels()
    if classification is not None and levels.check(classification):
        raise UsageError(f"--classification: {levels.check(classification)}")
    # A bundle is itself the copy kept for later: the indexes it reads need none in the cache.
    source = PackageSource(lambda: settings.registry_routing(manifest, ws.root), settings.resolved_cache_dir,
                           registry_options=settings.registry_options, keep_indexes=False)
    pins = _lock_pins(ws) if use_lock else _resolve_pins(specs, source, manifest) if specs else {}
    records = {name: source.record(name, version) for name, (version, _sha256) in pins.items()}
    entries = []
    above = []
    for name, (version, sha256) in sorted(pins.items()):
        record = records[name]
        if record.get("sha256") != sha256:
            raise IntegrityError(f"{name}@{version} in {source.answered_by(name)} has sha256 {record.get('sha256')}, "
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
    charts: list[dict] = []
    if chart_entry is not None:
        files[chart_path(chart_entry["name"], chart_entry["version"])] = chart_entry["sha256"]
        charts = [chart_entry]
    created = settings.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    document = build_manifest(created=created, tier=tier, classification=classification, packages=entries,
                              files=files, charts=charts, images=image_list)
    manifest_bytes = render_manifest(document)
    head = [(MANIFEST_NAME, manifest_bytes)]
    signed_by = None
    if signer is not None:
        signature = signer.document(SIGNED_NAME, SIGNED_VERSION, _sha(manifest_bytes))
        head.append((SIGNATURE_NAME, _dump_json(signature)))
        signed_by = signature["key"]

    def members():
        yield from head
        for entry in charts:
            yield chart_path(entry["name"], entry["version"]), entry["data"]
        for done, entry in enumerate(entries, 1):
            name, version = entry["name"], entry["version"]
            archive_path, record_path = package_paths(name, version)
            yield archive_path, source.archive(name, version, entry["sha256"])  # verified against it
            yield record_path, record_bytes[name]
            if progress:
                progress(done, len(entries), f"{name}@{version}")

    digest = _write_tar(out_path, members())
    packages = [BundledPackage(e["name"], e["version"], e["sha256"], e["classification"],
                               (records[e["name"]].get("signature") or {}).get("key"),
                               yanked=mark_text(records[e["name"]], YANKED),
                               deprecated=mark_text(records[e["name"]], DEPRECATED)) for e in entries]
    return BundleReport(out_path, digest, created, tier, classification, packages, signed_by,
                        charts=document.get("charts", []), images=document.get("images", []))


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

def verify_bundle(path: str, *, trust: list[str] = (), allow_untrusted: bool = False,
                  directory: str | None = None) -> BundleReport:
    """Verify the bundle at ``path`` (see services.bundle_verify for every check) under the trust
    policy of ``bundle_verify.trust_policy``: signers must be in the user's or the workspace's
    trust store or in ``trust`` (public key files or base64 keys, which also make signatures
    required), unless ``allow_untrusted``."""
    policy = trust_policy(trust, allow_untrusted=allow_untrusted, directory=directory)
    return verify(path, policy).report


# -- load -----------------------------------------------------------------------------------------

_STAGE_FROM = 4  # archives; below this a load's writes are too few to be worth writing ahead

def load_bundle(path: str, registry_location: str, *, trust: list[str] = (), allow_untrusted: bool = False,
                directory: str | None = None, progress: Progress | None = None, options=None) -> LoadResult:
    """Verify the bundle as ``verify_bundle`` does, then import it into the registry at
    ``registry_location``: a directory (created if missing) or an oci:// registry, reached with
    ``options`` (RegistryOptions). Every package is checked first: a version the registry holds
    with other content, or a package classified above the registry's level, stops the load before
    anything is written."""
    from agentpack.services.registry_import import import_into, import_target
    from agentpack.services.workspace import open_workspace

    registry = import_target(registry_location, "bundle load", options)
    policy = trust_policy(trust, allow_untrusted=allow_untrusted, directory=directory)
    staged = None

    def write_ahead(archives: dict[str, tuple[str, list[bytes]]]) -> None:
        # While the archives are checked, a directory registry gets them as temporary files: the
        # import renames them into place, and whatever it does not take is removed below. Never
        # into a registry that records a classification level: content above it must not reach
        # its storage even for a moment, and that is known only once the archives are checked.
        nonlocal staged
        if not hasattr(registry, "stage_blobs") or len(archives) < _STAGE_FROM:
            return
        try:
            if registry.settings().get("classification") is None:
                # Their digests are checked against the bundle's manifest by verify meanwhile,
                # and a load that fails discards what was staged: not hashed a second time here.
                staged = registry.stage_blobs(archives.values(), checked=True)
        except (OSError, AgentpackError):
            pass  # an optimisation only: the import writes them, and reports what is wrong

    try:
        verified = verify(path, policy, progress, write_ahead)
        items = {key: (verified.archives[key], verified.records[key]) for key in sorted(verified.records)}
        from agentpack.services.bundle_chart import check_charts, push_charts

        check_charts(registry, verified.charts, path)  # a chart the registry holds otherwise stops the load first
        imported, skipped = import_into(
            registry, items, open_workspace(directory).load_manifest(), what=f"bundle {path} not loaded",
            hint="published versions cannot be replaced; bump the version and collect again",
            staged=staged) if items else ([], [])
    finally:
        if staged is not None:
            staged.discard()
    charts = push_charts(registry, verified.charts)
    return LoadResult(registry=registry.url, report=verified.report, imported=imported, skipped=skipped,
                      charts=charts)
