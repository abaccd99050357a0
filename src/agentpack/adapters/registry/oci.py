"""A registry in any OCI distribution registry (distribution, Harbor, ECR, Zot): ``oci://HOST[:PORT]/PREFIX``.

The layout is core.oci_artifacts' (docs/registry-protocol.md, "OCI registries"): one repository
per package below PREFIX, one tag per version, a manifest whose config blob is the version record
and whose one layer is the archive; marks are annotations; ``PREFIX/agentops_catalog:catalog``
is the catalog artifact this client keeps up to date on every write.

- A package's index is built from its tags list: each version tag's manifest is read (with the
  OCI Accept header), checked for shape, and its config blob fetched and verified against the
  config descriptor's digest and size; the record must name the same package, version, sha256
  and size as the tag and layer beside it. The index serial is the one the catalog artifact keeps
  for the package (0 when it has none, e.g. a repository copied in by another tool).
- ``catalog()`` lists packages with the registry's ``_catalog`` where it answers (then the catalog
  artifact's entry is used for a package only when it lists exactly the versions its tags do);
  otherwise it is the catalog artifact. ``listing`` says which, for info and search to tell.
- OCI registries let a tag be overwritten, and do not check a descriptor's size: the client
  enforces immutability (publish refuses a version whose tag, or a tag of equal precedence,
  exists) and every pull checks digest and size before anything uses the bytes. Two publishers
  racing for one new tag cannot both be stopped without the registry's help: the loser is told
  when it reads back a manifest other than its own, but its content may have been overwritten.
- A version's signature is an artifact whose ``subject`` is its manifest (adapters.oci.signatures
  reads it; the config blob never holds one): pushed before the tag, so that a tag never appears
  unsigned for a moment, and pushed again for the new manifest when a mark changes it.
- ``import_versions`` (``bundle load``) checks every version before anything is pushed, then pushes
  all blobs, then the signature artifacts, then the manifests, then the catalog artifact once.
- ``local`` is False: under ``--offline``, install reads the index copy and archives the download
  cache kept from an earlier online command, as for http(s):// registries.
"""

from __future__ import annotations

import time
from typing import NamedTuple

from agentpack.adapters.oci.location import parse_location
from agentpack.adapters.registry import documents
from agentpack.adapters.registry.base import RegistryOptions
from agentpack.core import oci_artifacts as oci
from agentpack.errors import IntegrityError, PackageNotFound, RegistryError, VersionExists

_DAMAGED_HINT = ("the registry holds an artifact agentops did not write, or a damaged one; tell whoever runs "
                 "it (published versions cannot be replaced)")


class _Push(NamedTuple):
    """One version's manifest ready to go up, with the blobs it needs (a new version's archive
    and record; none for a held one whose marks change) and its signature artifact (the
    manifest's bytes and its descriptor) when it is signed."""

    name: str
    version: str
    record: dict
    blobs: tuple[bytes, ...]
    manifest: bytes
    signature: tuple[bytes, dict] | None
    new: bool  # a tag that must not exist yet


class OciRegistry:
    """A ``Registry`` at ``oci://HOST[:PORT]/PREFIX`` (``target``; ``url`` as the user wrote it)."""

    local = False  # needs the network: under --offline, install reads the cache instead
    writable = True

    def __init__(self, target: str, *, url: str | None = None, options: RegistryOptions | None = None,
                 chunk_size: int | None = None) -> None:
        self.url = url if url is not None else target
        self.options = options or RegistryOptions()
        self.scheme, self.host, self.prefix = parse_location(target, self.options.plain_http)
        self.identity = f"oci://{self.host}/{self.prefix}" if self.prefix else f"oci://{self.host}"
        self.listing: str | None = None  # how the last catalog() listed packages, for info and search
        self._chunk_size = chunk_size
        self._client = None
        self._indexes: dict[str, dict] = {}
        self._manifests: dict[tuple[str, str], dict] = {}
        self._catalog_doc: dict | None = None
        self._tags: dict[str, list[str]] = {}  # name -> its repository's tags, as last listed

    # -- reading -------------------------------------------------------------------------------

    def list_packages(self) -> list[str]:
        """The names of all packages in the registry, sorted (``_catalog``, else the catalog artifact)."""
        repositories = self.client.catalog()
        if repositories is None:
            return sorted(self._catalog_document()["packages"])
        return sorted(self._names_in(repositories))

    def search(self, query: str, *, keyword: str | None = None, category: str | None = None) -> None:
        """None: an OCI registry has no search of its own; its catalog is filtered (``Registry.search``)."""
        return None

    def catalog(self) -> dict:
        """The catalog (see ``Registry.catalog``), listed as the module docstring says."""
        repositories = self.client.catalog()
        kept = self._catalog_document()["packages"]
        if repositories is None:
            self.listing = f"the catalog artifact {self._catalog_repository()}:{oci.CATALOG_TAG}"
            return {"packages": dict(sorted(kept.items()))}
        from agentpack.adapters.registry.directory import catalog_entry

        self.listing = "the registry's _catalog"
        packages = {}
        for name in sorted(self._names_in(repositories)):
            versions = self._versions(name)
            if not versions:
                continue
            entry = kept.get(name)
            if entry is not None and sorted(entry.get("versions") or []) == sorted(versions):
                packages[name] = entry
            else:
                packages[name] = catalog_entry(self.package_index(name))
        return {"packages": packages}

    def package_index(self, name: str) -> dict:
        """``{"name", "serial", "versions"}`` from the package's tags (see ``Registry.package_index``)."""
        documents.checked_name(name)
        if name in self._indexes:
            return self._indexes[name]
        versions = self._versions(name)
        if not versions:
            raise PackageNotFound(f"package {name} not found in registry {self.url}",
                                  hint="check the package name, and that --registry / AGENTOPS_REGISTRY "
                                       "points at the registry you meant")
        from agentpack.core.versions import parse_version

        records = {version: self._record(name, version) for version in sorted(versions, key=parse_version)}
        serial = self._catalog_document()["serials"].get(name, 0)
        index = documents.checked_index({"name": name, "serial": serial, "versions": records}, name,
                                        self._source(name), _malformed)
        self.listing = f"the tags list of {self._repository(name)}"
        self._indexes[name] = index
        return index

    def fetch_archive(self, name: str, version: str) -> bytes:
        """The archive of ``name@version``: its layer, streamed within the layer's size and verified
        against the layer's digest, which the record's sha256 and size were checked to equal."""
        from agentpack.adapters.archive_rules import ArchiveLimits

        index = self.package_index(name)
        record = documents.archive_record(index, version, self.url, self._source(name, version), _malformed)
        layer = self._manifests[(name, version)]["layers"][0]
        limit = ArchiveLimits().max_archive_size
        if layer["size"] > limit:
            raise IntegrityError(f"{name}@{version} in registry {self.url}: its manifest gives a size of "
                                 f"{layer['size']:,} bytes, more than any valid archive ({limit:,}); it was not "
                                 "fetched", path=self._source(name, version), hint=_DAMAGED_HINT)
        data = self.client.fetch_blob(self._repository(name), layer["digest"], layer["size"], f"{name}@{version}")
        if data is None:
            raise RegistryError(f"registry {self.url} has no blob {layer['digest']} for {name}@{version}",
                                path=self._source(name, version), hint="the registry is incomplete; tell whoever runs it")
        return documents.verified_archive(data, record, self.url, path=self._source(name, version), hint=_DAMAGED_HINT)

    def read_blob(self, sha256: str) -> bytes:
        """The archive stored under ``sha256`` in a package whose index this registry object has read
        (an OCI registry keeps blobs per repository, so it cannot be asked for one by digest alone)."""
        for (name, version), manifest in self._manifests.items():
            if oci.sha256_of(manifest["layers"][0]) == sha256:
                return self.fetch_archive(name, version)
        raise RegistryError(f"registry {self.url} keeps blobs per package: read sha256:{sha256} through its package",
                            hint="install or fetch the package by name and version")

    def settings(self) -> dict:
        """The settings kept in the catalog artifact (``{}`` when it holds none)."""
        settings = self._catalog_document().get("settings")
        return settings if isinstance(settings, dict) else {}

    # -- writing -------------------------------------------------------------------------------

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

    def _add(self, items: list[tuple[bytes, dict]], *, keep_identical: bool) -> list[tuple[dict, bool]]:
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
            if name not in held:
                self._forget(name)
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
        # A package that had no version here has, once pushed, exactly the records just pushed:
        # its catalog entry is made from them rather than read back (a bundle load into an empty
        # registry would otherwise read every version again).
        known = {name: {push.version: push.record
                        for push in sorted((p for p in fresh if p.name == name), key=lambda p: held[name][p.version])}
                 for name in held if not any(n == name for n, _ in there)}
        self._push(fresh, remarked, known)
        return outcome

    def mark_yanked(self, name: str, version: str, mark: dict | None) -> bool:
        """Yank ``name@version`` or take the yank back (see ``Registry.mark_yanked``): the manifest is
        pushed again under its tag with the mark as an annotation (same config, same layer), and
        the catalog artifact gets the mark and a higher serial."""
        from agentpack.core.versions import parse_version

        parse_version(version)
        return self._remark(name, documents.yank_chooser(name, version, mark, self.url))[version]

    def mark_deprecated(self, name: str, range_text: str, mark: dict | None) -> dict[str, bool]:
        """Deprecate the versions of ``name`` in ``range_text`` (see ``Registry.mark_deprecated``)."""
        return self._remark(name, documents.deprecation_chooser(name, range_text, mark, self.url))

    def _remark(self, name: str, choose) -> dict[str, bool]:
        self._forget(name)
        current = self.package_index(name)["versions"]
        updated = choose(current)
        changed = {version: record != current[version] for version, record in updated.items()}
        self._push([], [self._remarked(name, v, updated[v]) for v, differs in changed.items() if differs])
        return changed

    def _prepared(self, stored: dict, archive: bytes) -> _Push:
        """A new version ready to push: the archive and the record as blobs, and its manifest."""
        config_bytes = oci.encode(oci.config_record(stored))
        manifest = oci.package_manifest(stored, oci.descriptor(oci.CONFIG_MEDIA_TYPE, _sha256(config_bytes),
                                                               len(config_bytes)),
                                        oci.descriptor(oci.LAYER_MEDIA_TYPE, stored["sha256"], stored["size"]))
        return self._with_signature(stored, [archive, config_bytes], oci.encode(manifest), new=True)

    def _remarked(self, name: str, version: str, record: dict) -> _Push:
        """A held version whose marks change to ``record``'s: its manifest with other annotations,
        so another digest, to which its signature artifact (if any) is pointed again."""
        manifest = oci.with_marks(self._manifests[(name, version)], record)
        return self._with_signature(record, [], oci.encode(manifest), new=False)

    def _with_signature(self, record: dict, blobs: list[bytes], manifest: bytes, *, new: bool) -> _Push:
        signature = None
        document = record.get("signature")
        if isinstance(document, dict):
            layer = oci.encode(document)
            artifact = oci.signature_manifest(layer, document.get("key"), manifest)
            body = oci.encode(artifact)
            blobs = [*blobs, oci.EMPTY_CONFIG, layer]
            signature = (body, oci.referrer_descriptor(body, artifact))
        return _Push(record["name"], record["version"], record, tuple(blobs), manifest, signature, new)

    def _push(self, fresh: list[_Push], remarked: list[_Push], known: dict[str, dict] | None = None) -> None:
        """Blobs first, then signature artifacts, then manifests, then the catalog artifact: a tag
        appears only once everything it names, its signature included, is there. A new version's
        tag is looked for again just before its manifest goes up, and read back after. Within each
        step the requests of different versions go out side by side (``_each``)."""
        versions = [*fresh, *remarked]
        _each([(self._repository(push.name), blob) for push in versions for blob in push.blobs],
              lambda item: self.client.push_blob(*item))
        _each([push for push in versions if push.signature is not None],
              lambda push: self.client.push_referrer(self._repository(push.name), *push.signature,
                                                     "sha256:" + _sha256(push.manifest)))
        _each(versions, self._put_manifest)
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
        entry of a name in ``known`` made from its records there, by precedence). The
        artifact is read again first, so that a publish of another package since this command
        started is kept; OCI offers no compare-and-swap, so two writers at the same instant may
        still lose one entry, which the next write of that package restores."""
        from agentpack.adapters.registry.directory import catalog_entry
        from agentpack.core.index_serial import next_serial

        self._catalog_doc = None
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
        config = self.client.push_blob(repository, oci.EMPTY_CONFIG)
        layer = self.client.push_blob(repository, oci.encode(artifact))
        manifest = oci.catalog_manifest(oci.descriptor(oci.EMPTY_MEDIA_TYPE, config["digest"][7:], config["size"]),
                                        oci.descriptor(oci.CATALOG_MEDIA_TYPE, layer["digest"][7:], layer["size"]))
        self.client.put_manifest(repository, oci.CATALOG_TAG, oci.encode(manifest))
        self._catalog_doc = None
        for name in names:
            self._forget(name)

    # -- internals -----------------------------------------------------------------------------

    @property
    def client(self):
        if self._client is None:
            from agentpack.adapters.oci.client import CHUNK_SIZE, OciClient

            self._client = OciClient(self.scheme, self.host, self.options, self.url,
                                     chunk_size=self._chunk_size or CHUNK_SIZE)
        return self._client

    def _versions(self, name: str) -> list[str]:
        tags = self.client.tags(self._repository(name)) or []
        self._tags[name] = tags  # the referrers fallback tags are among them
        return [version for version in map(oci.version_of, tags) if version is not None]

    def _record(self, name: str, version: str) -> dict:
        """The record of one version from its manifest and config blob, checked as the module
        docstring says, with the marks of the manifest's annotations."""
        repository, source = self._repository(name), self._source(name, version)
        found = self.client.manifest(repository, oci.tag_of(version))
        if found is None:
            raise RegistryError(f"registry {self.url} lists the tag {oci.tag_of(version)} of {repository} but serves "
                                "no manifest for it", path=source, hint="try again; if it persists, tell whoever runs it")
        manifest = documents.parse_document(found[0], source, _malformed)
        problem = oci.manifest_problem(manifest, "package")
        if problem:
            raise _malformed(source, problem)
        config = manifest["config"]
        from agentpack.core.limits import MAX_JSON_BYTES

        if config["size"] > MAX_JSON_BYTES:
            raise _malformed(source, f"its config blob is {config['size']:,} bytes, more than a record may be")
        data = self.client.fetch_blob(repository, config["digest"], config["size"], f"{name}@{version}")
        if data is None:
            raise RegistryError(f"registry {self.url} has no config blob {config['digest']} for {name}@{version}",
                                path=source, hint="the registry is incomplete; tell whoever runs it")
        record = documents.parse_document(data, source, _malformed)
        if not isinstance(record, dict):
            raise _malformed(source, "its config blob is not a version record")
        problem = oci.record_problem(record, name, version, manifest["layers"][0])
        if problem:
            raise _malformed(source, problem)
        self._manifests[(name, version)] = manifest
        stored = {**oci.config_record(record), **oci.marks_of(manifest)}
        signature = self._signature(name, version, found[1])
        return {**stored, "signature": signature} if signature is not None else stored

    def _signature(self, name: str, version: str, digest: str) -> dict | None:
        from agentpack.adapters.oci.signatures import read_signature

        return read_signature(self.client, self._repository(name), digest, tags=self._tags.get(name),
                              what=f"{name}@{version}", source=self._source(name, version), malformed=_malformed)

    def _catalog_document(self) -> dict:
        """The catalog artifact (read once per registry object; empty when there is none)."""
        if self._catalog_doc is not None:
            return self._catalog_doc
        document = {"packages": {}, "serials": {}}
        repository = self._catalog_repository()
        found = self.client.manifest(repository, oci.CATALOG_TAG)
        if found is not None:
            source = f"oci://{self.host}/{repository}:{oci.CATALOG_TAG}"
            manifest = documents.parse_document(found[0], source, _malformed)
            problem = oci.manifest_problem(manifest, "catalog")
            if problem:
                raise _malformed(source, problem)
            from agentpack.core.limits import MAX_JSON_BYTES

            layer = manifest["layers"][0]
            if layer["size"] > MAX_JSON_BYTES:
                raise _malformed(source, f"it is {layer['size']:,} bytes, more than a catalog may be")
            data = self.client.fetch_blob(repository, layer["digest"], layer["size"], "the catalog artifact")
            if data is None:
                raise RegistryError(f"registry {self.url} has no blob {layer['digest']} for its catalog artifact",
                                    path=source, hint="publish again to rewrite it")
            parsed = documents.checked_catalog(documents.parse_document(data, source, _malformed), source, _malformed)
            serials = parsed.get("serials")
            if not isinstance(serials, dict) or any(
                    not documents.is_valid_name(k) or oci_serial(v) is None for k, v in serials.items()):
                raise _malformed(source, "'serials' must map package names to whole numbers from 0 to 2**53")
            document = parsed
        self._catalog_doc = document
        return document

    def _names_in(self, repositories: list[str]) -> list[str]:
        start = f"{self.prefix}/" if self.prefix else ""
        return [repo[len(start):] for repo in repositories
                if repo.startswith(start) and documents.is_valid_name(repo[len(start):])]

    def _forget(self, name: str) -> None:
        self._indexes.pop(name, None)
        self._tags.pop(name, None)
        for key in [k for k in self._manifests if k[0] == name]:
            del self._manifests[key]

    def _repository(self, name: str) -> str:
        return oci.repository_of(self.prefix, name)

    def _catalog_repository(self) -> str:
        return oci.catalog_repository(self.prefix)

    def _source(self, name: str, version: str | None = None) -> str:
        where = f"oci://{self.host}/{self._repository(name)}"
        return f"{where}:{oci.tag_of(version)}" if version else where


def oci_serial(value: object) -> int | None:
    from agentpack.core.index_serial import index_serial

    return index_serial({"serial": value})


_PARALLEL = 4  # requests in flight at once while a batch is pushed: registries commit uploads slowly


def _each(items: list, work) -> None:
    """``work(item)`` for every item, up to ``_PARALLEL`` at a time; the first error is raised once
    all have finished (none of a step's results is needed by another of the same step)."""
    if len(items) <= 1:
        for item in items:
            work(item)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=_PARALLEL) as pool:
        for _ in pool.map(work, items):
            pass


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _malformed(source: str, detail: str) -> RegistryError:
    return RegistryError(f"malformed artifact {source}: {detail}", path=source, hint=_DAMAGED_HINT)
