"""The writing half of the ``oci://`` registry (adapters.registry.oci): publish, ``bundle load``
(``import_versions``), yank and deprecate.

Every write is one batch: each version's manifest is prepared (``_Push``) and checked before
anything is pushed, then the batch goes up in steps, blobs first, then signature artifacts, then
manifests, then the catalog artifact once, so that a tag appears only once everything it names is
there. Within a step the requests go out side by side (adapters.background; none of a step's
results is needed by another of the same step), since a registry across a network spends most of a
write answering one request after another.

What is known need not be read back: the catalog entry of a package this command read (or which
had no version before) is made from that index with the batch's records added, rather than by
reading every version again after the push.

``OciWrites`` is mixed into ``OciRegistry``, whose reading half it uses: ``client``,
``background``, ``url``, ``_versions``, ``_record``, ``_indexes``, ``_manifests``,
``_catalog_document``, ``_forget_catalog``, ``_repository``, ``_catalog_repository`` and ``_forget``.
"""

from __future__ import annotations

import functools
import time
from typing import NamedTuple

from agentpack.adapters.registry.base import BatchPublish
from agentpack.core import oci_artifacts as oci
from agentpack.errors import VersionExists


class _Push(NamedTuple):
    """One version's manifest ready to go up, with the blobs it needs (a new version's archive
    and record; none for a held one whose marks change) and its signature artifact (the
    manifest's bytes and its descriptor) when it is signed."""

    name: str
    version: str
    record: dict
    blobs: tuple[tuple[bytes, bool], ...]  # (bytes, whether the registry may have them: HEAD first)
    manifest: bytes
    signature: tuple[bytes, dict] | None
    new: bool  # a tag that must not exist yet


class OciWrites(BatchPublish):
    """Publish, import and marks of an ``OciRegistry`` (see the module docstring)."""

    def publish(self, archive: bytes, record: dict) -> dict:
        """Push one version (see ``Registry.publish``): the archive and the record as blobs, then its
        signature artifact (when signed), then the manifest under the version's tag, then the
        catalog artifact. ``VersionExists`` when a tag of the same version, or of equal precedence,
        is there already: tags are never overwritten."""
        return self._add([(archive, record)], keep_identical=False)[0][0]

    def import_versions(self, items: list[tuple[bytes, dict]]) -> list[tuple[dict, bool]]:
        """Add many versions at once (``bundle load``): ``[(stored record, imported)]`` in order, as
        ``DirectoryRegistry.import_versions`` does. Every version is checked before anything is
        pushed: one the registry holds with the same sha256 is kept (``imported`` False; marks it
        lacks are added), while one held with other content, or of equal precedence, raises
        ``VersionExists`` naming every such version, and nothing is written. Then all blobs go
        up, then the signature artifacts, then the manifests, then the catalog artifact once.
        Without the registry's help this is not atomic: a load stopped half-way leaves versions
        that are complete (a tag is pushed after everything it names), and loading again adds the
        rest."""
        return self._add(items, keep_identical=True)

    def mark_yanked(self, name: str, version: str, mark: dict | None) -> bool:
        """Yank ``name@version`` or take the yank back (see ``Registry.mark_yanked``): the manifest is
        pushed again under its tag with the mark as an annotation (same config, same layer), and
        the catalog artifact gets the mark and a higher serial."""
        from agentpack.adapters.registry import documents
        from agentpack.core.versions import parse_version

        parse_version(version)
        return self._remark(name, documents.yank_chooser(name, version, mark, self.url))[version]

    def mark_deprecated(self, name: str, range_text: str, mark: dict | None) -> dict[str, bool]:
        """Deprecate the versions of ``name`` in ``range_text`` (see ``Registry.mark_deprecated``)."""
        from agentpack.adapters.registry import documents

        return self._remark(name, documents.deprecation_chooser(name, range_text, mark, self.url))

    # -- checking a batch ------------------------------------------------------------------------

    def _add(self, items: list[tuple[bytes, dict]], *, keep_identical: bool) -> list[tuple[dict, bool]]:
        from agentpack.adapters.registry import documents
        from agentpack.adapters.registry.directory import make_record, version_exists
        from agentpack.core.release_marks import with_marks_of
        from agentpack.core.versions import parse_version

        stored = [(archive, make_record(archive, dict(record, name=documents.checked_name(record.get("name")))))
                  for archive, record in items]
        held: dict[str, dict[str, object]] = {}  # name -> {version: parsed}, with what this call adds
        there: set[tuple[str, str]] = set()  # the versions the registry held before this call
        outcome, conflicts, fresh, remarked = [], [], [], []
        for archive, record in stored:
            name, version = record["name"], record["version"]
            if name not in held:  # the tags this command listed: a tag added since is caught by _put_manifest
                held[name] = {text: parse_version(text) for text in self._versions(name)}
                there |= {(name, text) for text in held[name]}
            if keep_identical and (name, version) in there:
                kept = self._record(name, version)
                if kept["sha256"] == record["sha256"]:
                    marked = with_marks_of(kept, record)  # a yank or deprecation made since is added
                    if marked is not kept:
                        remarked.append(self._remarked(name, version, marked))
                    outcome.append((marked, False))
                    continue
                conflicts.append((record, version, kept))
                continue
            wanted = parse_version(version)
            clash = next((text for text, other in held[name].items() if other == wanted), None)
            if clash is not None:  # equality is precedence: 1.0.0+a clashes with 1.0.0+b
                conflicts.append((record, clash, None))
                continue
            held[name][version] = wanted
            fresh.append(self._prepared(record, archive))
            outcome.append((record, True))
        if conflicts:
            raise version_exists(conflicts, self.url)
        new = {name for name in held if not any(n == name for n, _ in there)}
        self._push(fresh, remarked, self._known_after([*fresh, *remarked], new))
        return outcome

    def _known_after(self, versions: list[_Push], new: set[str]) -> dict[str, dict]:
        """name -> its versions once ``versions`` are pushed, for the packages whose versions this
        object knows without reading them back: one that had none before (``new``), and one whose
        index it read in this command (as a publish's release check does)."""
        from agentpack.core.versions import parse_version

        known = {}
        for name in sorted({push.name for push in versions}):
            index = self._indexes.get(name)
            if index is None and name not in new:
                continue  # versions this object never read: the catalog entry reads them
            records = dict(index["versions"]) if index is not None else {}
            records.update({push.version: push.record for push in versions if push.name == name})
            known[name] = {version: records[version] for version in sorted(records, key=parse_version)}
        return known

    def _remark(self, name: str, choose) -> dict[str, bool]:
        self._forget(name)
        current = self.package_index(name)["versions"]
        updated = choose(current)
        changed = {version: record != current[version] for version, record in updated.items()}
        self._push([], [self._remarked(name, v, updated[v]) for v, differs in changed.items() if differs],
                   {name: {**current, **updated}})  # ``updated`` holds the chosen versions only
        return changed

    def _prepared(self, stored: dict, archive: bytes) -> _Push:
        """A new version ready to push: the archive and the record as blobs, and its manifest. The
        record's blob is pushed without a HEAD first: it holds the publication time, so it is new
        content nearly always (and pushing it again is harmless). The manifest embeds the record
        too (core.oci_artifacts), for readers to skip fetching that blob, and so does a small archive."""
        config_bytes = oci.encode(oci.config_record(stored))
        layer = oci.embedding(oci.LAYER_MEDIA_TYPE, archive, oci.MAX_EMBEDDED_ARCHIVE_BYTES)  # stored's sha256 and size
        manifest = oci.package_manifest(stored, oci.embedding(oci.CONFIG_MEDIA_TYPE, config_bytes), layer)
        return self._with_signature(stored, [(archive, True), (config_bytes, False)], oci.encode(manifest), new=True)

    def _remarked(self, name: str, version: str, record: dict) -> _Push:
        """A held version whose marks change to ``record``'s: its manifest with other annotations,
        so another digest, to which its signature artifact (if any) is pointed again."""
        manifest = oci.with_marks(self._manifests[(name, version)], record)
        return self._with_signature(record, [], oci.encode(manifest), new=False)

    def _with_signature(self, record: dict, blobs: list[tuple[bytes, bool]], manifest: bytes, *, new: bool) -> _Push:
        signature = None
        document = record.get("signature")
        if isinstance(document, dict):
            layer = oci.encode(document)
            artifact = oci.signature_manifest(layer, document.get("key"), manifest)
            body = oci.encode(artifact)
            blobs = [*blobs, (layer, True)]  # its empty config goes up once per repository (_push)
            signature = (body, oci.referrer_descriptor(body, artifact))
        return _Push(record["name"], record["version"], record, tuple(blobs), manifest, signature, new)

    # -- pushing a batch -------------------------------------------------------------------------

    def _push(self, fresh: list[_Push], remarked: list[_Push], known: dict[str, dict] | None = None) -> None:
        """Blobs first, then signature artifacts, then manifests, then the catalog artifact: a tag
        appears only once everything it names, its signature included, is there. A new version's
        tag is looked for again just before its manifest goes up, and read back after. Within a
        step the requests go out side by side (``background.run_all``, which raises the first
        error once all have finished, so a failed step never leaves requests running into the next)."""
        versions = [*fresh, *remarked]
        signed = [push for push in versions if push.signature is not None]
        call = functools.partial
        self.background.run_all(
            [call(self.client.push_blob, self._repository(push.name), data, check=check)
             for push in versions for data, check in push.blobs]
            + [call(self._push_empty_config, repository) for repository in sorted({self._repository(p.name) for p in signed})])
        self.background.run_all([call(self.client.push_referrer, self._repository(push.name), *push.signature,
                                      "sha256:" + _sha256(push.manifest)) for push in signed])
        self.background.run_all([call(self._put_manifest, push) for push in versions])
        if versions:
            self._write_catalog(sorted({push.name for push in versions}), known or {})

    def _put_manifest(self, push: _Push) -> None:
        repository, tag = self._repository(push.name), oci.tag_of(push.version)
        if push.new and self.client.manifest_digest(repository, tag) is not None:  # appeared meanwhile
            raise self._exists(push.name, push.version, push.version)
        self.client.put_manifest(repository, tag, push.manifest)
        if push.new and self.client.manifest_digest(repository, tag) not in ("sha256:" + _sha256(push.manifest), ""):
            raise VersionExists(f"{push.name}@{push.version} was published to registry {self.url} by someone "
                                "else at the same moment; theirs is the one kept", hint="check it with "
                                "`agentops package info`, and bump the version in package.yaml to publish yours")

    def _exists(self, name: str, version: str, held: str) -> VersionExists:
        same = "" if held == version else f" (same precedence as {held})"
        return VersionExists(f"{name}@{version}{same} already exists in registry {self.url}",
                             hint="published versions never change; bump the version in package.yaml")

    def _write_catalog(self, names: list[str], known: dict[str, dict] | None = None) -> None:
        """Put the fresh entries of ``names`` and higher serials into the catalog artifact (the
        entry of a name in ``known`` made from its versions there, by precedence; of another, from
        its index read again). The artifact is read again first, so that a publish of another
        package since this command started is kept; OCI offers no compare-and-swap, so two writers
        at the same instant may still lose one entry, which the next write of that package
        restores."""
        from agentpack.adapters.registry.directory import catalog_entry
        from agentpack.core.index_serial import next_serial

        self._forget_catalog()
        document = self._catalog_document()
        packages, serials = dict(document["packages"]), dict(document["serials"])
        now_ms = int(time.time() * 1000)
        for name in names:
            self._forget(name)
            index = {"versions": known[name]} if name in (known or {}) else self.package_index(name)
            packages[name] = catalog_entry(index)
            serials[name] = next_serial({"serial": serials.get(name, 0)}, now_ms)
        artifact = oci.catalog_artifact(packages, serials)
        if isinstance(document.get("settings"), dict):
            artifact["settings"] = document["settings"]
        repository = self._catalog_repository()
        body = oci.encode(artifact)
        layer, config = self.background.run_all([
            lambda: self.client.push_blob(repository, body, check=False),  # another catalog than any before
            lambda: self._push_empty_config(repository)])
        manifest = oci.catalog_manifest(oci.descriptor(oci.EMPTY_MEDIA_TYPE, config["digest"][7:], config["size"]),
                                        oci.descriptor(oci.CATALOG_MEDIA_TYPE, layer["digest"][7:], layer["size"]))
        self.client.put_manifest(repository, oci.CATALOG_TAG, oci.encode(manifest))
        self._forget_catalog()
        for name in names:
            self._forget(name)

    def _push_empty_config(self, repository: str) -> dict:
        """The empty config blob in ``repository``, pushed once per registry object (the catalog
        artifact and every signature artifact name it)."""
        if repository in self._empty_config_in:
            return {"digest": oci.digest_of(oci.EMPTY_SHA256), "size": len(oci.EMPTY_CONFIG), "pushed": False}
        pushed = self.client.push_blob(repository, oci.EMPTY_CONFIG)
        self._empty_config_in.add(repository)
        return pushed


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()
