"""A registry server's archives in one repository of an OCI distribution registry:
``agentops registry serve --blobs oci://HOST[:PORT]/REPOSITORY``, so that replicas on one
PostgreSQL database hold nothing on their own disks.

Archives are content-addressed already, and an OCI blob is named by the SHA-256 of its bytes: the
archive ``<hex>`` is the blob ``sha256:<hex>`` of REPOSITORY, with no mapping to keep anywhere.

A blob alone is not enough, though. A registry's garbage collector deletes every blob that no
manifest references (distribution's ``garbage-collect``, Harbor's and Zot's GC, ECR's lifecycle
rules), and untagged manifests are collected too where ``--delete-untagged`` or a retention policy
says so. So each archive is also referenced by a manifest of its own, tagged ``archive-<hex>``
(core.oci_artifacts.blob_manifest: the empty config and the archive as the one layer). One tag per
archive rather than one index listing them all, because a tag is written once, by one ``PUT`` that
is harmless to repeat, while a shared index would be rewritten by every publish of every replica
with no compare-and-swap to keep two writers from losing each other's entries. The tag is also the
store's idea of "present": ``open`` and ``exists`` look for the manifest, so an archive is only
ever served while it is referenced.

- ``put`` pushes the blob (HEAD first: skipped when the repository has it), the empty config once
  per process, then the manifest under the archive's tag.
- ``open`` reads the manifest, checks it is this store's and names the archive, then streams the
  blob (adapters.oci.blob_stream): refused past the manifest's size and, at its end, unless the
  bytes have that size and digest. A manifest without its blob is refused, not taken as absent.
- ``local_path`` is None: no file on this machine holds an archive.
- Credentials are found as for an ``oci://`` registry (`agentops login oci://HOST` on the
  server's machine, ``AGENTOPS_OCI_USERNAME``/``PASSWORD``, Docker's ``config.json``).
- Failures to reach or use the registry become ``StorageUnavailable`` (HTTP 503 from the server):
  the caller did nothing wrong, and a 401 of the OCI registry must not read as a refused token.
"""

from __future__ import annotations

import contextlib

from agentpack.core import oci_artifacts as oci
from agentpack.errors import IntegrityError, PackageNotFound, RegistryError, StorageUnavailable, UsageError

_LOCATION_HINT = "write it as oci://HOST[:PORT]/REPOSITORY, e.g. oci://registry.local:5000/agentops-blobs"
_DAMAGED_HINT = ("the OCI registry behind this registry server holds damaged or foreign content under the "
                 "archive's tag; whoever runs the server should restore the archive (e.g. publish it again "
                 "to a new server, or copy the blob back with skopeo)")


class OciBlobStore:
    """A ``BlobStore`` (adapters.blob_store) in the repository of ``location``
    (``oci://HOST[:PORT]/REPOSITORY``), reached as ``options`` (RegistryOptions) say."""

    def __init__(self, location: str, options) -> None:
        from agentpack.adapters.oci.location import parse_location

        try:
            self._scheme, self._host, self.repository = parse_location(location, options.plain_http)
        except RegistryError as error:
            raise UsageError(f"--blobs: {error.message}", hint=_LOCATION_HINT) from None
        if not self.repository:
            raise UsageError(f"--blobs {location}: name the repository that keeps the archives", hint=_LOCATION_HINT)
        self.url = f"oci://{self._host}/{self.repository}"
        self._options = options
        self._client = None
        self._config_pushed = False

    def put(self, sha256: str, data: bytes) -> None:
        """Push the archive and the manifest that keeps it referenced (see the module docstring)."""
        manifest = oci.encode(oci.blob_manifest(sha256, len(data)))
        with self._reaching(f"store the archive sha256:{sha256}"):
            pushed = self.client.push_blob(self.repository, data)
            if pushed["digest"] != oci.digest_of(sha256):
                raise IntegrityError(f"the archive named sha256:{sha256} hashes to {pushed['digest']}; it was not "
                                     "stored as that name")
            if not self._config_pushed:
                self.client.push_blob(self.repository, oci.EMPTY_CONFIG)
                self._config_pushed = True
            self.client.put_manifest(self.repository, oci.blob_tag(sha256), manifest)

    def open(self, sha256: str):
        """The archive streamed and verified (adapters.oci.blob_stream.VerifiedBlob, whose ``size``
        is the manifest's), or None when its tag is absent. ``IntegrityError`` for a manifest that
        is not this store's or names another blob, ``PackageNotFound`` for a tag whose blob is
        gone, ``StorageUnavailable`` when the registry cannot be used."""
        tag = oci.blob_tag(sha256)
        with self._reaching(f"read the archive sha256:{sha256}"):
            found = self.client.manifest(self.repository, tag)
        if found is None:
            return None
        layer = self._checked_layer(found[0], sha256, tag)
        with self._reaching(f"read the archive sha256:{sha256}"):
            stream = self.client.open_blob(self.repository, layer["digest"], layer["size"],
                                           f"the archive sha256:{sha256} of the registry server's blob store",
                                           hint=_DAMAGED_HINT, failure=self._unavailable_reading(sha256))
        if stream is None:
            raise PackageNotFound(f"the archive sha256:{sha256} is missing from the registry server's blob store "
                                  f"{self.url}: its tag {tag} is there, but the registry has no blob "
                                  f"{layer['digest']}; nothing was sent", hint=_DAMAGED_HINT)
        return stream

    def exists(self, sha256: str) -> bool:
        """Whether the archive's tag is in the repository (HEAD of its manifest)."""
        with self._reaching(f"look for the archive sha256:{sha256}"):
            return self.client.manifest_digest(self.repository, oci.blob_tag(sha256)) is not None

    def local_path(self, sha256: str) -> None:
        """None: an OCI registry keeps no file on this machine."""
        return None

    def check(self) -> None:
        """``GET /v2/`` of the registry, authenticated as it asks; ``StorageUnavailable`` when that fails."""
        with self._reaching("answer"):
            self.client.ping()

    # -- internals -----------------------------------------------------------------------------

    @property
    def client(self):
        if self._client is None:
            from agentpack.adapters.oci.client import OciClient

            self._client = OciClient(self._scheme, self._host, self._options, self.url)
        return self._client

    def _checked_layer(self, body: bytes, sha256: str, tag: str) -> dict:
        from agentpack.core.bounded_json import parse_json
        from agentpack.errors import AgentpackError

        source = f"{self.url}:{tag}"
        try:
            manifest = parse_json(body, source=source)
        except AgentpackError as error:
            problem = error.message
        else:
            problem = oci.manifest_problem(manifest, "blob")
            if problem is None and oci.sha256_of(manifest["layers"][0]) != sha256:
                problem = f"its layer is {manifest['layers'][0]['digest']}, not sha256:{sha256}"
        if problem:
            raise IntegrityError(f"the registry server's blob store {source} is not the manifest of archive "
                                 f"sha256:{sha256}: {problem}", path=source, hint=_DAMAGED_HINT)
        return manifest["layers"][0]

    @contextlib.contextmanager
    def _reaching(self, what: str):
        """Any failure of the registry inside (unreachable, 5xx, refused credentials, an answer that
        is no OCI registry's) becomes ``StorageUnavailable`` saying what could not be done."""
        try:
            yield
        except RegistryError as error:
            raise self._unavailable(what, error) from None

    def _unavailable(self, what: str, error: RegistryError) -> StorageUnavailable:
        return StorageUnavailable(
            f"the registry server's blob store {self.url} could not {what}: {error.message}", path=self.url,
            hint="try again later; whoever runs the server: check that the OCI registry is up and accepts the "
                 f"server's credentials (agentops login oci://{self._host} as the server's user, "
                 "AGENTOPS_OCI_USERNAME/AGENTOPS_OCI_PASSWORD, or Docker's config.json)")

    def _unavailable_reading(self, sha256: str):
        return lambda error: self._unavailable(f"send the archive sha256:{sha256}", error)
