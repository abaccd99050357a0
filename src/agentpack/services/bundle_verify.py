"""Verifying a bundle (``bundle verify``, and ``bundle load`` before it imports anything).

Nothing in a bundle is trusted until checked, and everything is checked before anything is
imported, in one streaming pass over the file:

1. the outer sha256 against ``FILE.sha256`` when it is there;
2. the tar itself, header by header before any content is read (``adapters.archive_reader.iter_tar``):
   regular files only, no name twice or colliding by case or Unicode form, only the members a
   bundle holds (``manifest.yaml`` first, then ``manifest.sig`` if signed, then
   ``packages/NAME/VERSION/archive.tar.gz`` and ``record.json`` with valid names and versions),
   each within its size limit, nothing after the end of the archive;
3. the manifest's shape, its entries' names, versions and digests, and its signature against the
   trust policy (``TrustPolicy``), before any package is read;
4. every member against its digest in the manifest (a package archive's first thing in its own
   check, below), and nothing missing or unlisted;
5. every archive through the same safe reader and package validation as publish and install
   (``services.local_archive.inspect_archive_data``), several at once in forked processes
   (``adapters.forked_map``); the reader meters what it inflates, so a bomb is refused within
   its first piece;
6. each package's slot: the archive holds the package the manifest and record name, the record's
   digest is the archive's, and its signature verifies and passes the trust policy.

The registry record a load imports is rebuilt from the archive itself (manifest, components,
size, digest); only the publish date, the allow-breaking mark, the verified signature and the
yank and deprecation marks (their texts cleaned and bounded) are taken from the bundle's
record.json, so no dependency or classification can be smuggled in beside an archive that says
otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from agentpack.core.bounded_json import parse_json
from agentpack.core.bundle_manifest import (
    ARCHIVE_FILE,
    CHARTS_DIR,
    MANIFEST_NAME,
    RECORD_FILE,
    SIGNATURE_NAME,
    SIGNED_NAME,
    SIGNED_VERSION,
    chart_path,
    check_manifest,
    member_rule,
    package_paths,
    parse_manifest,
)
from agentpack.core.names import check_name
from agentpack.core.records import dataclass, field
from agentpack.core.release_marks import DEPRECATED, YANKED, mark_text
from agentpack.errors import (
    AgentpackError,
    IntegrityError,
    InvalidVersion,
    SignatureError,
    UnsafeArchive,
    UsageError,
    ValidationError,
)

Progress = Callable[[int, int, str], None]
MAX_PACKAGES = 100_000  # per bundle, as an archive holds at most 100,000 members
_MAX_SMALL = 1024 * 1024  # record.json and manifest.sig
_MAX_MANIFEST = 64 * 1024 * 1024  # the single-file limit; ~300,000 packages' lines
# A load holds every archive in memory until the registry takes them all at once, so a bundle is
# bounded like an archive: 1 GiB of members in all (records and archives, as declared).
MAX_BUNDLE_CONTENT = 1024 * 1024 * 1024
_PACKAGES_DIR = "packages/"
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class BundledPackage:
    name: str
    version: str
    sha256: str
    classification: str
    signed_by: str | None = None
    trusted: bool | None = None  # None: unsigned
    yanked: str | None = None  # the reason, when its registry had yanked it (cleaned for printing)
    deprecated: str | None = None  # the message, when deprecated

    def to_dict(self) -> dict:
        return {"name": self.name, "version": self.version, "sha256": self.sha256,
                "classification": self.classification, "signed_by": self.signed_by, "trusted": self.trusted,
                "yanked": self.yanked, "deprecated": self.deprecated}


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
    trusted: bool | None = None  # whether the manifest's signer is trusted here; None: unsigned
    charts: list[dict] = field(default_factory=list)  # {name, version, sha256} (format 2)
    images: list[dict] = field(default_factory=list)  # {image, digest} (format 2)

    def to_dict(self) -> dict:
        data = {"bundle": self.path, "sha256": self.sha256, "created": self.created, "tier": self.tier,
                "classification": self.classification, "signed_by": self.signed_by, "trusted": self.trusted,
                "packages": [p.to_dict() for p in self.packages]}
        if self.charts or self.images:
            data.update(charts=self.charts, images=self.images)
        return data

    @property
    def untrusted(self) -> list[str]:
        """The signers accepted only because untrusted ones were allowed (fingerprints, sorted)."""
        keys = {p.signed_by for p in self.packages if p.trusted is False}
        if self.trusted is False:
            keys.add(self.signed_by)
        return sorted(k for k in keys if k)

    @property
    def unsigned(self) -> list[str]:
        """What no signature vouches for: nothing when the manifest is signed (it lists every
        member's digest), else "manifest" and name@version of each unsigned package."""
        if self.signed_by is not None:
            return []
        return ["manifest"] + [f"{p.name}@{p.version}" for p in self.packages if p.signed_by is None]


@dataclass(frozen=True)
class TrustPolicy:
    """Which signers a bundle may carry: keys in ``trusted`` (fingerprints) pass; others only with
    ``allow_untrusted``; an unsigned manifest or package only when not ``required`` (why says why)."""

    trusted: frozenset[str]
    required: str | None = None  # e.g. "--trust requires a signature"; None: unsigned is accepted
    allow_untrusted: bool = False

    def admit(self, key: str | None, what: str, path: str) -> bool | None:
        """Whether ``what`` (signed by ``key``, None if unsigned) is signed by a trusted key; raises
        SignatureError when the policy refuses it."""
        if key is None:
            if self.required:
                raise SignatureError(f"bundle {path} refused: {what} not signed, and {self.required}", path=path,
                                     hint="collect it with `--sign KEY`")
            return None
        if key in self.trusted:
            return True
        if self.allow_untrusted:
            return False
        raise SignatureError(
            f"bundle {path} refused: {what} signed by key {key}, which is not trusted on this machine",
            path=path, hint="trust the signer's public key with `agentops trust add KEY.pub` (or pass it with "
            "--trust), or accept it knowingly with --allow-untrusted")


def trust_policy(trust: list[str] | tuple[str, ...] = (), *, allow_untrusted: bool = False,
                 directory: str | None = None) -> TrustPolicy:
    """The policy for a bundle: keys from the user's and the workspace's trust stores plus ``trust``
    (public key files or base64 keys). ``trust`` also requires every part to be signed, as does
    ``require_signatures: true`` in the workspace's agentops.yaml. ``trust`` with
    ``allow_untrusted`` is a UsageError: one asks for given signers, the other for any."""
    from agentpack.services.keys import trusted_fingerprints
    from agentpack.services.workspace import open_workspace

    if trust and allow_untrusted:
        raise UsageError("--trust and --allow-untrusted contradict each other",
                         hint="--trust KEY requires signatures by KEY; --allow-untrusted accepts any signer")
    ws = open_workspace(directory)
    manifest = ws.load_manifest()
    keys = set(trusted_fingerprints(ws.root)) | _given_keys(trust)
    required = ("--trust requires a signature" if trust else
                "agentops.yaml sets require_signatures" if manifest is not None and manifest.require_signatures
                else None)
    return TrustPolicy(frozenset(keys), required, allow_untrusted)


def _given_keys(trust) -> set[str]:
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


@dataclass
class VerifiedBundle:
    """A bundle that passed every check: its report, and per "name@version" the archive bytes and
    the registry record to import (rebuilt from the archive)."""

    report: BundleReport
    records: dict[str, dict]
    archives: dict[str, bytes]
    charts: dict[str, tuple[dict, bytes]] = field(default_factory=dict)  # name@version -> (Chart.yaml, archive)


def fail(path: str, reason: str, hint: str = "the bundle is damaged or was altered; nothing was imported"):
    """The error refusing the bundle at ``path`` for ``reason``."""
    return IntegrityError(f"bundle {path} refused: {reason}", path=path, hint=hint)


def verify(path: str, policy: TrustPolicy, progress: Progress | None = None,
           meanwhile: Callable[[dict[str, tuple[str, list[bytes]]]], None] | None = None) -> VerifiedBundle:
    """Run every check of this module's docstring over the bundle at ``path``; raise on the first
    failure (IntegrityError, SignatureError, ValidationError for an invalid package), else return
    what a load needs. ``meanwhile`` is given ``{member name: (sha256, pieces)}`` of the package
    archives once all are read and match the manifest, while they are still being checked (a load
    writes them ahead meanwhile; nothing it does may count until ``verify`` returns)."""
    import hashlib

    from agentpack.adapters.archive import sha256_file

    if not os.path.isfile(path):
        raise UsageError(f"no bundle at {path}", path=path)
    # The file's digest is taken in the same pass as everything else. With FILE.sha256 beside it,
    # a damaged copy is named as such: when the digest does not match, that is the error, whatever
    # else the pass found wrong first (then the rest of the file is hashed to know).
    sidecar = path + ".sha256"
    expected = None
    if os.path.isfile(sidecar):
        with open(sidecar, encoding="utf-8", errors="replace") as handle:
            expected = (handle.read(256).split() or [""])[0].lower()
    digest = _DigestBehind(hashlib.sha256())

    def damaged(actual: str) -> IntegrityError | None:
        if expected is None or actual == expected:
            return None
        return fail(path, f"outer checksum mismatch: sha256 is {actual}, {os.path.basename(sidecar)} says "
                          f"{expected or 'nothing'}")

    try:
        verified = _read(path, digest, policy, progress, meanwhile)
    except AgentpackError as exc:
        digest.finish()
        mismatch = damaged(sha256_file(path)) if expected is not None else None
        if mismatch is not None:
            raise mismatch from None
        if isinstance(exc, UnsafeArchive):
            raise fail(path, exc.message) from None
        raise
    except BaseException:
        digest.finish()
        raise
    verified.report.sha256 = digest.finish()
    mismatch = damaged(verified.report.sha256)
    if mismatch is not None:
        raise mismatch
    return verified


class _DigestBehind:
    """A hashlib object fed from a thread of its own (adapters.behind), so that hashing the whole
    file overlaps with reading and checking it. ``finish`` waits for it and gives the hex digest;
    it must run before this process forks, since a fork copies only the calling thread."""

    def __init__(self, digest) -> None:
        from agentpack.adapters.behind import Behind

        self._digest = digest
        self._behind = Behind(digest.update, name="agentpack-digest")
        self.update = self._behind.put

    def finish(self) -> str:
        self._behind.finish()
        return self._digest.hexdigest()


def _read(path: str, digest, policy: TrustPolicy, progress: Progress | None, meanwhile=None) -> VerifiedBundle:
    """Everything but the outer checksum; ``digest`` (a hashlib object) is fed the whole file."""
    from agentpack.adapters.archive import iter_tar

    members = iter_tar(path, member_limit, max_members=2 * MAX_PACKAGES + 2, digest=digest)
    first = next(members, None)
    if first is None or first.name != MANIFEST_NAME:
        raise fail(path, f"its first member must be {MANIFEST_NAME} (truncated, or not a bundle)")
    manifest_raw = first.read()
    manifest = _check_entries(path, check_manifest(_load_manifest(path, manifest_raw), f"{path}:{MANIFEST_NAME}"))
    report = BundleReport(path, "", str(manifest.get("created")),
                          manifest.get("tier"), manifest.get("classification"),
                          charts=list(manifest.get("charts", [])), images=list(manifest.get("images", [])))
    verified = VerifiedBundle(report, {}, {})
    records, archives, checked = _read_members(path, members, manifest, manifest_raw, report, policy, progress,
                                               verified.charts, meanwhile, digest.finish)
    for entry in manifest["packages"]:
        archive_path, record_path = package_paths(entry["name"], entry["version"])
        _check_slot(path, entry, archives[archive_path], checked[archive_path], records[record_path], policy,
                    verified)
    return verified


def _read_members(path: str, members, manifest: dict, manifest_raw: bytes, report: BundleReport,
                  policy: TrustPolicy, progress: Progress | None, charts: dict,
                  meanwhile=None, read=None) -> tuple[dict, dict, dict]:
    """Read the members after the manifest: (records, archives, the registry records their
    validation gave) by member name, every digest matching the manifest and nothing missing;
    chart archives go to ``charts`` (see ``_read_chart``)."""
    listed_charts = {chart_path(c["name"], c["version"]): c for c in manifest.get("charts", [])}
    files: dict[str, str] = manifest["files"]
    records: dict[str, bytes] = {}
    archives: dict[str, bytes] = {}
    signature: bytes | None = None
    judged = False
    held = 0
    for member in members:
        name = member.name
        held += member.size
        if held > MAX_BUNDLE_CONTENT:
            raise fail(path, f"its members add up to more than {MAX_BUNDLE_CONTENT} bytes (the bundle limit); "
                             "split it into several bundles")
        if name == SIGNATURE_NAME and not judged:
            signature = member.read()
            continue
        if not judged:  # the signature is judged before any package is read
            report.signed_by, report.trusted = _judge_manifest(path, manifest_raw, signature, policy)
            judged = True
        if name not in files:
            raise fail(path, f"file(s) not listed in {MANIFEST_NAME}: {name}")
        if name in listed_charts:
            _read_chart(path, member, files[name], listed_charts[name], charts)
            continue
        if name.endswith("/" + RECORD_FILE):
            data = records[name] = member.read()
            _check_digest(path, name, files[name], data)
        else:  # its digest is checked first thing in its check (``_check_archive``), side by side
            archives[name] = _archive_pieces(path, member)
    if not judged:
        report.signed_by, report.trusted = _judge_manifest(path, manifest_raw, signature, policy)
    missing = sorted(set(files) - set(records) - set(archives) - set(listed_charts))
    missing += sorted(p for p, c in listed_charts.items() if f"{c['name']}@{c['version']}" not in charts)
    if missing:
        raise fail(path, f"file(s) listed in {MANIFEST_NAME} are missing: {', '.join(missing)}")
    if read is not None:
        read()  # the file is read to its end: its digest's thread is done before any fork
    checked = _check_archives(path, archives, files, progress, meanwhile)
    # Joined only now, one at a time: a member that was refused never costs twice its size.
    return records, {name: b"".join(archives.pop(name)) for name in list(archives)}, checked


def _archive_pieces(path: str, member) -> list[bytes]:
    """The package archive ``member`` as read, in pieces; one that does not even start as gzip
    (a gigabyte of zeros) is refused at its first piece, before the rest is read."""
    from agentpack.adapters.archive_reader import check_gzip_start

    pieces = []
    for piece in member.chunks():
        if not pieces:
            try:
                check_gzip_start(piece)
            except UnsafeArchive as exc:
                raise fail(path, f"{member.name}: {exc.message}") from None
        pieces.append(piece)
    return pieces


def _check_archives(path: str, archives: dict[str, list[bytes]], digests: dict[str, str],
                    progress: Progress | None, meanwhile=None) -> dict[str, dict]:
    """The registry record of each archive (by member name) once it passed the safe reader and
    publish's validation, checked side by side in forked processes (``adapters.forked_map``); the
    first failure in member order is raised, as one process checking them in turn would."""
    import pickle  # noqa: F401 - imported here once, not again in every child

    import yaml  # noqa: F401

    from agentpack.adapters.forked_map import forked_map
    from agentpack.services import local_archive  # noqa: F401

    names = list(archives)
    done = 0

    def report(index: int) -> None:
        nonlocal done
        done += 1
        if progress:
            package, _, version = names[index][len(_PACKAGES_DIR) : -len(ARCHIVE_FILE) - 1].rpartition("/")
            progress(done, len(names), f"{package}@{version}")

    ahead = (lambda: meanwhile({name: (digests[name], archives[name]) for name in names})) if meanwhile else None
    outcomes = forked_map(_check_archive, [(path, name, archives[name], digests[name]) for name in names], report,
                          ahead)
    checked = {}
    for name, (ok, value) in zip(names, outcomes, strict=True):
        if not ok:
            raise value
        checked[name] = value
    return checked


def _check_digest(path: str, name: str, expected: str, *pieces: bytes) -> None:
    actual = _sha(*pieces)
    if actual != expected:
        raise fail(path, f"{name} has sha256 {actual}, {MANIFEST_NAME} says {expected}")


def _check_archive(task: tuple[str, str, list[bytes], str]) -> dict:
    """The registry record of one package archive (given in pieces) once its digest is the
    manifest's: read by the safe reader, which meters what it inflates, then validated."""
    from agentpack.adapters.archive import read_archive

    path, name, pieces, sha256 = task
    _check_digest(path, name, sha256, *pieces)
    try:
        files = read_archive(iter(pieces))
    except UnsafeArchive as exc:
        raise fail(path, f"{name}: {exc.message}") from None
    return _validate(path, name, b"".join(pieces), files, sha256)


def _read_chart(path: str, member, digest: str, entry: dict, charts: dict) -> None:
    """Check one chart archive: its sha256 is the manifest's (in ``files`` and in ``charts``), and
    it is a safe chart archive whose Chart.yaml names the entry's chart and version."""
    from agentpack.adapters.chart_archive import read_chart

    data = member.read()
    actual = _sha(data)
    if actual != digest or actual != entry["sha256"]:
        raise fail(path, f"{member.name} has sha256 {actual}, {MANIFEST_NAME} says {entry['sha256']}")
    try:
        metadata, _files = read_chart(data, member.name)
    except IntegrityError as exc:
        raise fail(path, exc.message) from None
    if (metadata["name"], str(metadata["version"])) != (entry["name"], entry["version"]):
        raise fail(path, f"{member.name} holds the chart {metadata['name']}@{metadata['version']}, not "
                         f"{entry['name']}@{entry['version']}")
    charts[f"{entry['name']}@{entry['version']}"] = (metadata, data)


def _validate(path: str, name: str, data: bytes, files: dict[str, bytes], sha256: str) -> dict:
    """The registry record of the archive ``name`` (``sha256`` its digest) once it passed publish's
    validation."""
    from agentpack.services.local_archive import inspect_archive_data

    try:
        return inspect_archive_data(data, name, files=files, sha256=sha256, warnings=False).record
    except ValidationError as exc:
        raise ValidationError(f"bundle {path} refused: {exc.message}", path=path, problems=exc.problems,
                              hint="nothing was imported; publish would refuse this package too: have it "
                              "fixed and published again, then collect again") from None


def member_limit(name: str, size: int) -> str | None:
    """Why a member called ``name`` declaring ``size`` bytes cannot be part of a bundle, or None."""
    from agentpack.adapters.archive import ArchiveLimits

    rule = member_rule(name)
    if rule:
        return rule
    if name == MANIFEST_NAME:
        limit = _MAX_MANIFEST
    elif name == SIGNATURE_NAME:
        limit = _MAX_SMALL
    elif name.startswith(CHARTS_DIR):
        from agentpack.adapters.chart_archive import MAX_ARCHIVE

        if "/" in name[len(CHARTS_DIR):] or not name.endswith(".tgz"):
            return f"not a chart archive a bundle holds ({CHARTS_DIR}NAME-VERSION.tgz)"
        limit = MAX_ARCHIVE
    else:
        leaf = name.rpartition("/")[2]
        slot = name[len(_PACKAGES_DIR) : -len(leaf) - 1]
        if not name.startswith(_PACKAGES_DIR) or leaf not in (ARCHIVE_FILE, RECORD_FILE) or "/" not in slot:
            return (f"not a file a bundle holds ({MANIFEST_NAME}, {SIGNATURE_NAME}, "
                    f"packages/NAME/VERSION/{ARCHIVE_FILE} or {RECORD_FILE})")
        package, _, version = slot.rpartition("/")
        problem = _slot_problem(package, version)
        if problem:
            return problem
        limit = ArchiveLimits().max_archive_size if leaf == ARCHIVE_FILE else _MAX_SMALL
    if size > limit:
        return f"{size} bytes is over the limit of {limit} for this member"
    return None


def _slot_problem(name: object, version: object) -> str | None:
    from agentpack.core.versions import parse_version

    problem = check_name(name)
    if problem:
        return problem
    if not isinstance(version, str):
        return f"version {version!r} is not a string"
    try:
        parse_version(version)
    except InvalidVersion as exc:
        return exc.message
    return None


def _check_entries(path: str, manifest: dict) -> dict:
    """The manifest, once each package entry has a valid name and version and a sha256 digest."""
    if len(manifest["packages"]) > MAX_PACKAGES:
        raise fail(path, f"{MANIFEST_NAME} lists more than {MAX_PACKAGES} packages")
    for entry in manifest["packages"]:
        problem = _slot_problem(entry["name"], entry["version"])
        if problem:
            raise fail(path, f"{MANIFEST_NAME}: package entry {entry['name']!r}: {problem}")
    for member, digest in manifest["files"].items():
        if len(digest) != 64 or not _HEX.issuperset(digest):
            raise fail(path, f"{MANIFEST_NAME}: the digest of {member} is not a sha256")
    return manifest


def _load_manifest(path: str, raw: bytes) -> object:
    """The manifest as written (JSON form), or else as any YAML: a manifest someone rewrote with a
    YAML tool is still read, so that what is wrong with it can be named."""
    try:
        return parse_manifest(raw)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than json can follow
        pass
    from agentpack.adapters.yamlio import load_yaml

    try:
        return load_yaml(raw, source=MANIFEST_NAME)[0]
    except AgentpackError as exc:
        raise fail(path, f"{MANIFEST_NAME} is unreadable: {exc.message}") from None


def _judge_manifest(path: str, manifest_raw: bytes, signature: bytes | None,
                    policy: TrustPolicy) -> tuple[str | None, bool | None]:
    from agentpack.services.signing import verify_document

    key = None
    if signature is not None:
        try:
            document = parse_json(signature, source=SIGNATURE_NAME)
        except AgentpackError as exc:
            raise fail(path, f"{SIGNATURE_NAME} is not a JSON signature document: {exc.message}") from None
        key = verify_document(document, name=SIGNED_NAME, version=SIGNED_VERSION, sha256=_sha(manifest_raw),
                              where=f"{path}:{SIGNATURE_NAME}")
    return key, policy.admit(key, "it is" if key is None else "its manifest is", path)


def _check_slot(path: str, entry: dict, archive: bytes, checked: dict, record_raw: bytes, policy: TrustPolicy,
                verified: VerifiedBundle) -> None:
    """Check one package's slot and add it: ``checked`` is the record the archive's validation
    gave (its members' digests already match the manifest)."""
    from agentpack.services.registry_import import imported_record

    name, version = entry["name"], entry["version"]
    slot = f"{name}@{version}"
    _archive_path, record_path = package_paths(name, version)
    actual = checked["sha256"]
    if actual != entry["sha256"]:
        raise fail(path, f"the archive in the slot of {slot} has sha256 {actual}, {MANIFEST_NAME} lists "
                         f"{entry['sha256']}")
    found = (checked["name"], str(checked["version"]))
    if found != (name, version):
        raise fail(path, f"the archive in the slot of {slot} holds {found[0]}@{found[1]}")
    try:
        record = parse_json(record_raw, source=record_path)
    except AgentpackError as exc:  # "<record_path> is not valid JSON: <reason>"
        raise fail(path, f"{record_path} is not JSON: {exc.message.split(': ', 1)[-1]}") from None
    if not isinstance(record, dict) or (record.get("name"), record.get("version")) != (name, version):
        raise fail(path, f"{record_path} is not the record of {slot}")
    if record.get("sha256") != actual:
        raise fail(path, f"the archive of {slot} has sha256 {actual}, its record says {record.get('sha256')}")
    imported, signed_by = imported_record(checked, record, where=f"{path}:{record_path}")
    # A trusted manifest signature vouches for every digest it lists, unsigned packages included.
    vouched = signed_by is None and verified.report.trusted is True
    trusted = None if vouched else policy.admit(signed_by, f"{slot} is", path)
    level = str(imported["manifest"].get("classification") or entry.get("classification") or "")
    verified.records[slot], verified.archives[slot] = imported, archive
    verified.report.packages.append(BundledPackage(name, version, actual, level, signed_by, trusted,
                                                   mark_text(imported, YANKED), mark_text(imported, DEPRECATED)))


def _sha(*pieces: bytes) -> str:
    import hashlib

    digest = hashlib.sha256()
    for piece in pieces:
        digest.update(piece)
    return digest.hexdigest()
