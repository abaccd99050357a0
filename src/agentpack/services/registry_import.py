"""Importing versions from elsewhere into a registry: `bundle load` (into a directory or an oci://
registry) and `registry mirror` (into a directory).

Both take archives from a place agentpack does not control (a bundle file, another registry) and
add them to a directory registry the same way:

- the record imported is rebuilt from the archive, once it passed the validation publish applies
  (``imported_record``); only the publish date, the allow-breaking mark, a signature that verifies
  and the yank and deprecation marks (their texts cleaned and bounded) come from the record that
  travelled with it, so no dependency or classification is smuggled in beside an archive that
  says otherwise;
- every version is checked against the registry's classification level before anything is
  written, then all are added at once (``import_into``, over the backend's ``import_versions``):
  a version the registry holds with the same sha256 is kept (its marks added to), one held with
  other content stops the import, naming both digests, and nothing is written.
"""

from __future__ import annotations

from agentpack.core.registry_documents import is_timestamp
from agentpack.core.release_marks import carried_marks
from agentpack.errors import UsageError, VersionExists


def directory_registry(location: str, verb: str):
    """The directory registry at ``location`` (not created yet), which ``verb`` imports into;
    ``UsageError`` when the location names another kind of registry."""
    from agentpack.adapters.registry import DirectoryRegistry, open_registry

    registry = open_registry(location)
    if not isinstance(registry, DirectoryRegistry):
        raise UsageError(f"{verb} imports into a directory registry, and {location} is not one",
                         hint="import into a directory, then serve that folder over HTTP if others need it")
    return registry


def import_target(location: str, verb: str, options=None):
    """The registry at ``location`` that ``verb`` imports into: any backend that takes a batch of
    versions at once (``import_versions``: a directory, created when missing, or an oci://
    registry); ``UsageError`` for one that cannot (a tree of static files served over HTTP)."""
    from agentpack.adapters.registry import open_registry

    registry = open_registry(location, options=options)
    if not callable(getattr(registry, "import_versions", None)):
        raise UsageError(f"{verb} imports into a directory registry or an oci:// registry, and {location} is neither",
                         hint="import into a directory (then serve that folder over HTTP if others need it), "
                              "or into oci://HOST[:PORT]/PREFIX")
    return registry


def imported_record(checked: dict, record: dict, *, where: str) -> tuple[dict, str | None]:
    """(the record to import, the fingerprint of the key that signed it or None) for an archive
    whose validation gave ``checked`` (name, version, sha256, size, manifest, components), taking
    from ``record`` (read from elsewhere, untrusted) only what the archive cannot say. A signature
    is verified against the archive's name, version and sha256 first (``SignatureError`` naming
    ``where`` when it does not verify)."""
    from agentpack.services.signing import verify_document

    signed_by = None
    if record.get("signature") is not None:
        signed_by = verify_document(record["signature"], name=checked["name"], version=str(checked["version"]),
                                    sha256=checked["sha256"], where=where)
    imported = dict(checked)
    if is_timestamp(record.get("published_at")):
        imported["published_at"] = record["published_at"]
    if record.get("allow_breaking") is True:
        imported["allow_breaking"] = True
    if signed_by is not None:
        imported["signature"] = record["signature"]
    imported.update(carried_marks(record))
    return imported, signed_by


def import_into(registry, items: dict[str, tuple[bytes, dict]], workspace_manifest, *,
                what: str, hint: str, staged=None) -> tuple[list[str], list[str]]:
    """Add ``items`` (``{"name@version": (archive, record)}``) to ``registry`` (a directory,
    created if missing, or an oci:// registry), checked all before any is written: (the keys imported, the keys it already held with the
    same sha256), in the order of ``items``.

    First every package is checked against the registry's classification level (no write down:
    ``ClassificationError``, nothing written). A version held with other content, or one of equal
    precedence, raises ``VersionExists`` saying ``what`` was not done (``"bundle X not loaded"``)
    with ``hint``, and nothing is written. ``staged``: blobs a directory registry already holds as
    temporary files (``DirectoryRegistry.stage_blobs``).
    """
    from agentpack.services.classification import check_publish_all

    keys = list(items)
    records = [items[key][1] for key in keys]
    check_publish_all(workspace_manifest, [dict(r.get("manifest") or {}, name=r["name"], version=r["version"])
                                           for r in records], registry)  # no write down
    try:
        versions = [items[key] for key in keys]
        outcome = (registry.import_versions(versions, staged=staged) if staged is not None
                   else registry.import_versions(versions))
    except VersionExists as exc:
        raise VersionExists(f"{what}: {exc.message}; nothing was imported", hint=hint) from None
    imported, kept = [], []
    for key, (_stored, added) in zip(keys, outcome, strict=True):
        (imported if added else kept).append(key)
    return imported, kept
