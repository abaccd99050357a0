"""Reading a package version's signature from an OCI registry: the agentops signature artifact
whose ``subject`` is the version's manifest (docs/registry-protocol.md, "OCI registries")."""

from __future__ import annotations

from agentpack.core import oci_artifacts as oci
from agentpack.errors import RegistryError


def read_signature(client, repository: str, digest: str, *, tags: list[str] | None, what: str, source: str,
                   malformed) -> dict | None:
    """The signature document of ``what`` (``name@version``), whose manifest in ``repository``
    has ``digest``: the one layer of the agentops signature artifact referring to it, found with
    ``client.referrers`` (``tags``: the repository's tags list, to skip a fallback tag that is
    not there); None when there is none. Its shape and bytes are checked here (``malformed``
    builds the error, naming ``source`` or the artifact); whether it verifies is for the caller,
    as for every registry. A listed referrer that is gone, or refers to another manifest, is not
    its signature; two different signatures are a damaged registry, since agentops writes one."""
    from agentpack.adapters.registry.documents import parse_document
    from agentpack.core.limits import MAX_JSON_BYTES

    listed = [d for d in client.referrers(repository, digest, tags=tags) if oci.is_signature(d)]
    found: dict[str, dict] = {}
    for descriptor in listed[:oci.MAX_SIGNATURES]:
        problem = oci.descriptor_problem(descriptor)
        if problem:
            raise malformed(source, f"a signature referrer of it: {problem}")
        answer = client.manifest(repository, descriptor["digest"])
        if answer is None:
            continue
        where = f"oci://{client.host}/{repository}@{descriptor['digest']}"
        manifest = parse_document(answer[0], where, malformed)
        problem = oci.manifest_problem(manifest, "signature")
        if problem:
            raise malformed(where, problem)
        if manifest["subject"]["digest"] != digest:
            continue
        layer = manifest["layers"][0]
        if layer["size"] > min(oci.MAX_SIGNATURE_BYTES, MAX_JSON_BYTES):
            raise malformed(where, f"its signature is {layer['size']:,} bytes, more than a signature may be")
        data = client.fetch_blob(repository, layer["digest"], layer["size"], f"the signature of {what}")
        if data is None:
            raise RegistryError(f"registry {client.registry_url} has no blob {layer['digest']} for the signature of "
                                f"{what}", path=where, hint="the registry is incomplete; tell whoever runs it")
        document = parse_document(data, where, malformed)
        if not isinstance(document, dict):
            raise malformed(where, "its signature is not a JSON object")
        found[oci.encode(document).decode()] = document
    if len(found) > 1:
        raise malformed(source, f"{len(found)} different signatures refer to it; agentops writes one")
    return next(iter(found.values()), None)
