"""The bundle format (pure): member names, the manifest document and the rules a bundle must keep.

A bundle is one uncompressed tar file carried across an air gap. Its members::

    manifest.yaml                                  what the bundle holds (see ``build_manifest``)
    manifest.sig                                   optional: a signature document over manifest.yaml
    packages/<name>/<version>/archive.tar.gz       the package archive, byte for byte as published
    packages/<name>/<version>/record.json          its registry record (signature included, if any)
    charts/<chart>-<version>.tgz                   format 2: a Helm chart archive (``bundle collect --chart``)

The manifest lists every package (name, version, archive sha256, classification) and the sha256
of every member other than itself and its signature; a bundle whose members differ from that list
in any way is refused.

Format 2 adds ``charts`` (name, version, sha256 of each chart archive, which ``files`` lists too)
and ``images`` (``{image, digest}``: what the chart's rendered objects run, for the operator to
carry; nothing pulls them). A bundle without charts or images is written in format 1, so every
agentops that reads bundles reads it; format 1 bundles are read as before.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from agentpack.core.names import check_name
from agentpack.errors import IntegrityError

BUNDLE_FORMAT = 1
CHARTS_FORMAT = 2  # a bundle that carries charts or images
FORMATS = (BUNDLE_FORMAT, CHARTS_FORMAT)
CHARTS_DIR = "charts/"
MANIFEST_NAME = "manifest.yaml"
SIGNATURE_NAME = "manifest.sig"
ARCHIVE_FILE = "archive.tar.gz"
RECORD_FILE = "record.json"
# The name and version a manifest signature is made over (see core.signing): neither is a valid
# package name or version, so a manifest signature can never pass for a package signature.
SIGNED_NAME = "bundle:manifest.yaml"
SIGNED_VERSION = "bundle-format-1"


def package_paths(name: str, version: str) -> tuple[str, str]:
    """The member names of a package's archive and record."""
    base = f"packages/{name}/{version}/"
    return base + ARCHIVE_FILE, base + RECORD_FILE


def chart_path(name: str, version: str) -> str:
    """The member name of a chart archive."""
    return f"{CHARTS_DIR}{name}-{version}.tgz"


def build_manifest(*, created: str, tier: str | None, classification: str | None,
                   packages: list[Mapping], files: Mapping[str, str], charts: list[Mapping] = (),
                   images: list[Mapping] = ()) -> dict:
    """The manifest document: ``packages`` are mappings with name, version, sha256, classification;
    ``files`` maps every other member name to its sha256; ``charts`` (name, version, sha256) and
    ``images`` (image, digest) make it format 2."""
    extra = {}
    if charts or images:
        extra = {"charts": [{"name": c["name"], "version": c["version"], "sha256": c["sha256"]}
                            for c in sorted(charts, key=lambda c: (c["name"], c["version"]))],
                 "images": [{"image": i["image"], "digest": i.get("digest")}
                            for i in sorted(images, key=lambda i: i["image"])]}
    return {
        "bundle_format": CHARTS_FORMAT if extra else BUNDLE_FORMAT,
        **extra,
        "created": created,
        "tier": tier,
        "classification": classification,
        "packages": [{"name": p["name"], "version": p["version"], "sha256": p["sha256"],
                      "classification": p["classification"]}
                     for p in sorted(packages, key=lambda p: (p["name"], p["version"]))],
        "files": dict(sorted(files.items())),
    }


def render_manifest(document: Mapping) -> bytes:
    """``manifest.yaml``'s bytes: the document in JSON form, one package or file per line.

    JSON is YAML (1.2), so any YAML tool reads the file, while the far side parses it with the
    json module: a bundle of thousands of packages verifies without a YAML parser's start-up and
    per-node cost (PyYAML's pure emitter alone took longer than the rest of a 200-package collect).
    """
    def line(value) -> str:
        return json.dumps(value, ensure_ascii=False)

    head = [f"  {line(key)}: {line(value)}" for key, value in document.items()
            if key not in ("packages", "files")]
    packages = [f"    {line(entry)}" for entry in document["packages"]]
    files = [f"    {line(path)}: {line(digest)}" for path, digest in document["files"].items()]
    body = ",\n".join([*head, f'  "packages": {_block("[", packages, "]")}', f'  "files": {_block("{", files, "}")}'])
    return f"{{\n{body}\n}}\n".encode()


def _block(opening: str, lines: list[str], closing: str) -> str:
    return opening + ("\n" + ",\n".join(lines) + "\n  " if lines else "") + closing


def parse_manifest(raw: bytes) -> object:
    """The manifest document from ``manifest.yaml``'s bytes (as ``render_manifest`` writes them);
    raises ``ValueError`` when they are not that JSON form or break the bounds of
    ``core.bounded_json`` (the caller then reads them as YAML, within YAML's bounds)."""
    from agentpack.core.bounded_json import parse_json
    from agentpack.errors import AgentpackError

    try:
        return parse_json(raw, source=MANIFEST_NAME)
    except AgentpackError as exc:
        raise ValueError(exc.message) from None


def _chart_members(data: dict, bad) -> set[str]:
    """The member names of a format 2 manifest's charts, once ``charts`` and ``images`` are checked."""
    from agentpack.core.helm_chart import chart_problem, image_problem

    if data["bundle_format"] == BUNDLE_FORMAT:
        if "charts" in data or "images" in data:
            raise bad("a format 1 manifest lists no charts or images")
        return set()
    charts, images = data.get("charts"), data.get("images")
    if not isinstance(charts, list) or not isinstance(images, list):
        raise bad("a format 2 manifest needs a 'charts' list and an 'images' list")
    members = set()
    for entry in charts:
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            raise bad(f"malformed chart entry {entry!r}")
        problem = chart_problem({"apiVersion": "v2", "name": entry.get("name"), "version": entry.get("version")})
        if problem:
            raise bad(f"chart entry: {problem}")
        path = chart_path(entry["name"], entry["version"])
        if path in members:
            raise bad(f"chart {entry['name']}@{entry['version']} is listed twice")
        members.add(path)
    for entry in images:
        if image_problem(entry):
            raise bad(image_problem(entry))
    return members


def member_rule(name: str) -> str | None:
    """Why a member name is refused (absolute, '..', empty parts, backslash, control characters), or None."""
    if not name or name.startswith("/"):
        return "absolute or empty path"
    if "\\" in name:
        return "backslash in path"
    # isprintable() is False for every control character: a cheap pass for the usual name.
    if not name.isprintable() and any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return "control character in path"
    if not _PLAIN_PARTS.isdisjoint(name.split("/")):
        return "'..', '.' or empty path component"
    return None


_PLAIN_PARTS = frozenset(("", ".", ".."))  # the path components member_rule refuses


def check_manifest(data: object, where: str) -> dict:
    """Check the manifest's shape and that its file list is exactly what its packages need.

    Returns the manifest; raises IntegrityError naming the first problem.
    """
    def bad(reason: str) -> IntegrityError:
        return IntegrityError(f"{where}: {reason}", path=where,
                              hint="the bundle is damaged or was altered; collect it again")

    if not isinstance(data, dict):
        raise bad("manifest.yaml is not a mapping")
    if type(data.get("bundle_format")) is not int or data["bundle_format"] not in FORMATS:
        raise bad(f"unsupported bundle format {data.get('bundle_format')!r} (this agentops reads formats "
                  f"{', '.join(map(str, FORMATS))}; a newer agentops wrote it?)")
    packages, files = data.get("packages"), data.get("files")
    if not isinstance(packages, list) or not isinstance(files, dict):
        raise bad("manifest.yaml needs a 'packages' list and a 'files' mapping")
    for key in ("created", "tier", "classification"):
        if not isinstance(data.get(key), (str, type(None))):
            raise bad(f"'{key}' must be a string")
    expected: set[str] = set()
    seen = set()
    for entry in packages:
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str)
                                                  for k in ("name", "version", "sha256")) \
                or not isinstance(entry.get("classification"), (str, type(None))):
            raise bad(f"malformed package entry {entry!r}")
        name_problem = check_name(entry["name"])
        if name_problem:  # the same rule as a name typed by a user, before it names any path
            raise bad(f"package entry: {name_problem}")
        key = (entry["name"], entry["version"])
        if key in seen:
            raise bad(f"{entry['name']}@{entry['version']} is listed twice")
        seen.add(key)
        for path in package_paths(*key):
            if member_rule(path):
                raise bad(f"package entry {entry['name']}@{entry['version']}: {member_rule(path)}")
            expected.add(path)
    expected |= _chart_members(data, bad)
    listed = set(files)
    if listed != expected:
        extra, missing = sorted(listed - expected), sorted(expected - listed)
        raise bad("the file list does not match the packages"
                  + (f"; not belonging to a package: {', '.join(extra)}" if extra else "")
                  + (f"; missing: {', '.join(missing)}" if missing else ""))
    if not all(isinstance(v, str) for v in files.values()):
        raise bad("every file needs a sha256")
    return data
