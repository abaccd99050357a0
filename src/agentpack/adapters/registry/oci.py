"""A registry in any OCI distribution registry (distribution, Harbor, ECR, Zot): ``oci://HOST[:PORT]/PREFIX``.

The layout is core.oci_artifacts' (docs/registry-protocol.md, "OCI registries"): one repository
per package below PREFIX, one tag per version, a manifest whose config blob is the version record
and whose one layer is the archive; marks are annotations; ``PREFIX/agentops_catalog:catalog``
is the catalog artifact this client keeps up to date on every write.

- A package's index is built from its tags list: each version tag's manifest is read (with the
  OCI Accept header), checked for shape, and its config blob (embedded in the manifest when this
  client wrote it, else fetched) verified against the config descriptor's digest and size; the
  record must name the same package, version, sha256 and size as the tag and layer beside it. The
  index serial is the one the catalog artifact keeps for the package (0 when it has none, e.g. a
  repository copied in by another tool).
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
- Writes (publish, ``import_versions`` for ``bundle load``, yank, deprecate) are in
  adapters.registry.oci_writes: every version of a batch is checked before anything is pushed,
  then all blobs go up, then the signature artifacts, then the manifests, then the catalog
  artifact once.
- ``local`` is False: under ``--offline``, install reads the index copy and archives the download
  cache kept from an earlier online command, as for http(s):// registries.
- Round trips are what an OCI registry costs, so they are kept few and overlapped
  (adapters.background, up to 16 requests at once per registry object): a package's tags are
  listed once per command, and the manifests of the versions the catalog artifact lists for it
  are read at the same time (the tags list then decides which count); reading an index starts
  reading the indexes of the dependencies its versions name, since a resolver asks for them next;
  whether the registry has the referrers API is asked beside the first tags list; each step of a
  write sends its requests side by side, skips the HEAD of a record's blob (new content: it holds
  the publication time), and makes the catalog entry from the index it read rather than reading
  it back. A registry 20 ms away thus costs about one round trip per level of dependencies.
"""

from __future__ import annotations

import threading

from agentpack.adapters.oci.location import parse_location
from agentpack.adapters.registry import documents
from agentpack.adapters.registry.base import RegistryOptions
from agentpack.adapters.registry.oci_writes import OciWrites
from agentpack.core import oci_artifacts as oci
from agentpack.errors import IntegrityError, PackageNotFound, RegistryError

_MAX_GUESSED = 64  # versions of a package whose manifests are read before its tags list answers
_DAMAGED_HINT = ("the registry holds an artifact agentops did not write, or a damaged one; tell whoever runs "
                 "it (published versions cannot be replaced)")


class OciRegistry(OciWrites):
    """A ``Registry`` at ``oci://HOST[:PORT]/PREFIX`` (``target``; ``url`` as the user wrote it)."""

    local = False  # needs the network: under --offline, install reads the cache instead
    writable = True
    concurrent_reads = True  # fetch_archive may run in several threads at once (services.sources)

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
        self._catalog_reading = None  # Future of the catalog artifact being read in the background
        self._referrers_probe = None  # Future of the question whether the registry has the referrers API
        self._tags: dict[str, list[str]] = {}  # name -> its repository's tags, listed once until written
        self._pending: dict = {}  # name -> (Future of its tags, {version: Future of its manifest})
        self._assembling = threading.Lock()  # one thread at a time waits for an index's reads
        self._background = None
        self._empty_config_in: set[str] = set()  # repositories this object pushed the empty config to

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
        index = self._index_of(name)
        self.listing = f"the tags list of {self._repository(name)}"
        return index

    def _index_of(self, name: str) -> dict:
        """``package_index`` without saying how it was listed (safe in several threads at once)."""
        documents.checked_name(name)
        if name not in self._indexes:
            with self._assembling:
                if name not in self._indexes:
                    self._start_reading(name)
                    index = self._assemble(name)
                    self._indexes[name] = index
                    self._read_ahead(index)
        return self._indexes[name]

    # Reading an index is a few requests that do not wait for each other (``_start_reading``
    # submits them to the background threads) and one step that waits for them (``_assemble``,
    # only ever in the thread that asked for the index, never in a background thread, so that no
    # background thread ever waits for another and the few of them can never all be waiting).

    def _start_reading(self, name: str) -> None:
        """Submit the reads of ``name``'s index, unless they are under way: its tags list, the
        catalog artifact when it is not read yet, and the manifest (with its record) of every
        version the catalog artifact lists for it. Those are a guess, read side by side with the
        tags list, which decides: a version tagged but not listed is read next, one listed but no
        longer tagged is dropped."""
        if name in self._pending:
            return
        if self._catalog_doc is None and self._catalog_reading is None:
            self._catalog_reading = self.background.submit(self._read_catalog)
        if self.client.referrers_api is None and self._referrers_probe is None:
            # Whether the registry has the referrers API decides what a signature costs; asked now
            # (of a digest nothing refers to: a registry with the API answers an empty list), not
            # after the first manifest, it costs no round trip of its own.
            self._referrers_probe = (name, self.background.submit(
                self.client.has_referrers_api, self._repository(name), oci.digest_of(oci.EMPTY_SHA256)))
        tags = self.background.submit(self.client.tags, self._repository(name))
        listed = (self._catalog_doc or {}).get("packages", {}).get(name) or {}
        guessed = listed.get("versions") if isinstance(listed, dict) else None
        manifests = {version: self.background.submit(self._manifest_record, name, version)
                     for version in (guessed if isinstance(guessed, list) else [])[:_MAX_GUESSED]
                     if isinstance(version, str) and oci.version_of(oci.tag_of(version)) == version}
        self._pending[name] = (tags, manifests)

    def _assemble(self, name: str) -> dict:
        """The index of ``name`` from the reads ``_start_reading`` submitted (waiting for them),
        with the versions' signatures; an error is raised for the first version, in version order,
        whose read failed."""
        from agentpack.core.versions import parse_version

        tags, manifests = self._pending.pop(name)
        self._tags[name] = tags.result() or []  # kept by the waiting thread: a _forget wins over a late read
        versions = sorted(self._versions(name), key=parse_version)
        if not versions:
            raise PackageNotFound(f"package {name} not found in registry {self.url}",
                                  hint="check the package name, and that --registry / AGENTOPS_REGISTRY "
                                       "points at the registry you meant")
        for version in versions:
            if version not in manifests:
                manifests[version] = self.background.submit(self._manifest_record, name, version)
        read = {version: manifests[version].result() for version in versions}
        signatures = self._signatures(name, {version: found[2] for version, found in read.items()})
        records = {}
        for version, (manifest, stored, _digest) in read.items():
            self._manifests[(name, version)] = manifest
            records[version] = _signed(stored, signatures.get(version))
        serial = self._catalog_document()["serials"].get(name, 0)
        return documents.checked_index({"name": name, "serial": serial, "versions": records}, name,
                                       self._source(name), _malformed)

    def _signatures(self, name: str, digests: dict[str, str]) -> dict[str, dict]:
        """{version: signature document} of the versions (by manifest digest) that are signed. A
        version costs a request only where one may be signed: the registry has the referrers API,
        or the tags list holds the version's fallback tag. The first is asked alone while it is
        not known whether the registry has that API."""
        from agentpack.core.oci_artifacts import fallback_tag

        def may_be_signed(digest: str) -> bool:
            return self.client.referrers_api is not False or fallback_tag(digest[7:]) in self._tags.get(name, ())

        if self._referrers_probe is not None and self.client.referrers_api is None:
            asked_in, probe = self._referrers_probe
            # A 404 says "no API" only from a repository that exists (its tags were listed): a
            # registry with the API answers 404 for a repository it does not have. A probe that
            # failed or says nothing leaves the question to the first version below.
            if probe.exception() is None and (probe.result() or self._tags.get(asked_in)):
                self.client.referrers_api = probe.result()
        asked = [version for version, digest in digests.items() if may_be_signed(digest)]
        found = {}
        if asked and self.client.referrers_api is None:
            first = asked.pop(0)
            found[first] = self._signature(name, first, digests[first])
            asked = [version for version in asked if may_be_signed(digests[version])]
        futures = {version: self.background.submit(self._signature, name, version, digests[version])
                   for version in asked}
        found.update({version: future.result() for version, future in futures.items()})
        return {version: document for version, document in found.items() if document is not None}

    def _read_ahead(self, index: dict) -> None:
        """Start reading the indexes of the dependencies ``index``'s versions name (see the module
        docstring); a read that fails is raised only if its package is asked for."""
        from agentpack.core.spec import parse_dependency
        from agentpack.errors import AgentpackError

        self._catalog_document()  # the versions it lists are read side by side with the tags lists
        wanted = set()
        for record in index["versions"].values():
            manifest = record.get("manifest") if isinstance(record.get("manifest"), dict) else {}
            for text in manifest.get("dependencies") or []:
                try:
                    wanted.add(parse_dependency(text)[0])
                except AgentpackError:
                    continue  # the resolver reports it, if it matters
        for name in sorted(wanted - self._indexes.keys()):
            if documents.is_valid_name(name):
                self._start_reading(name)

    def fetch_archive(self, name: str, version: str) -> bytes:
        """The archive of ``name@version``: its layer, embedded in the manifest (a small archive,
        checked against the layer's digest and size like a fetched blob) or else streamed within
        the layer's size and verified against its digest, which the record's sha256 and size were
        checked to equal."""
        from agentpack.adapters.archive_rules import ArchiveLimits

        index = self._index_of(name)
        record = documents.archive_record(index, version, self.url, self._source(name, version), _malformed)
        layer = self._manifests[(name, version)]["layers"][0]
        limit = ArchiveLimits().max_archive_size
        if layer["size"] > limit:
            raise IntegrityError(f"{name}@{version} in registry {self.url}: its manifest gives a size of "
                                 f"{layer['size']:,} bytes, more than any valid archive ({limit:,}); it was not "
                                 "fetched", path=self._source(name, version), hint=_DAMAGED_HINT)
        data, problem = oci.embedded(layer)
        if problem:
            raise _malformed(self._source(name, version), f"its layer: {problem}")
        if data is None:  # not embedded (a larger archive, another writer): one more round trip
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

    # -- internals -----------------------------------------------------------------------------

    @property
    def client(self):
        if self._client is None:
            from agentpack.adapters.oci.client import CHUNK_SIZE, OciClient

            self._client = OciClient(self.scheme, self.host, self.options, self.url,
                                     chunk_size=self._chunk_size or CHUNK_SIZE)
        return self._client

    @property
    def background(self):
        if self._background is None:
            from agentpack.adapters.background import Background

            self._background = Background()
        return self._background

    def _versions(self, name: str) -> list[str]:
        """The versions of ``name``'s tags (listed once per package until it is written; the
        referrers fallback tags among them tell ``_signature`` which versions are signed)."""
        if name not in self._tags:
            self._tags[name] = self.client.tags(self._repository(name)) or []
        return [version for version in map(oci.version_of, self._tags[name]) if version is not None]

    def _record(self, name: str, version: str) -> dict:
        """The record of one version as its index holds it: ``_manifest_record``'s with its signature."""
        manifest, stored, digest = self._manifest_record(name, version)
        self._manifests[(name, version)] = manifest
        return _signed(stored, self._signature(name, version, digest))

    def _manifest_record(self, name: str, version: str) -> tuple[dict, dict, str]:
        """``(manifest, record, manifest digest)`` of one version from its manifest and config blob,
        checked as the module docstring says, the record with the marks of the manifest's
        annotations (a read of its own: safe in a background thread)."""
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
        data, problem = oci.embedded(config)
        if problem:
            raise _malformed(source, f"its config: {problem}")
        if data is None:  # not embedded (another writer, an older agentops): one more round trip
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
        return manifest, {**oci.config_record(record), **oci.marks_of(manifest)}, found[1]

    def _signature(self, name: str, version: str, digest: str) -> dict | None:
        from agentpack.adapters.oci.signatures import read_signature

        return read_signature(self.client, self._repository(name), digest, tags=self._tags.get(name),
                              what=f"{name}@{version}", source=self._source(name, version), malformed=_malformed)

    def _catalog_document(self) -> dict:
        """The catalog artifact (read once per registry object; empty when there is none)."""
        if self._catalog_doc is None:
            reading, self._catalog_reading = self._catalog_reading, None
            self._catalog_doc = reading.result() if reading is not None else self._read_catalog()
        return self._catalog_doc

    def _forget_catalog(self) -> None:
        """Read the catalog artifact again when it is next asked for (a write changed it)."""
        self._catalog_doc = self._catalog_reading = None

    def _read_catalog(self) -> dict:
        """The catalog artifact read from the registry (in this thread or a background one)."""
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
        return document

    def _names_in(self, repositories: list[str]) -> list[str]:
        start = f"{self.prefix}/" if self.prefix else ""
        return [repo[len(start):] for repo in repositories
                if repo.startswith(start) and documents.is_valid_name(repo[len(start):])]

    def _forget(self, name: str) -> None:
        self._indexes.pop(name, None)
        self._tags.pop(name, None)
        self._pending.pop(name, None)
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


def _signed(stored: dict, signature: dict | None) -> dict:
    """A version's record as its index holds it: the stored record with its signature, if any."""
    return {**stored, "signature": signature} if signature is not None else stored


def _malformed(source: str, detail: str) -> RegistryError:
    return RegistryError(f"malformed artifact {source}: {detail}", path=source, hint=_DAMAGED_HINT)
