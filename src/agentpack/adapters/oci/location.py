"""Where an OCI registry is: ``oci://HOST[:PORT]/PATH`` taken apart and checked, for the
``oci://`` registry (PATH: the prefix of its repositories), the server's OCI blob store (PATH:
its repository) and `agentops login oci://HOST`."""

from __future__ import annotations

from agentpack.errors import RegistryError

_HOST_HINT = "write the registry as oci://HOST[:PORT]/PREFIX, e.g. oci://registry.local:5000/agents"
_LOOPBACK = ("localhost", "127.", "[::1]")


def parse_location(location: str, plain_http: tuple[str, ...] = ()) -> tuple[str, str, str]:
    """``(scheme to reach it with, "host[:port]" in lower case, prefix)`` of ``oci://HOST[:PORT]/PREFIX``.

    Loopback hosts and those in ``plain_http`` are reached over http://, every other over https://.
    The prefix must be a valid OCI repository path (lowercase components joined by ``/``)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(location.strip())
        port = parts.port
    except ValueError as error:
        raise RegistryError(f"not an OCI registry URL: {location} ({error})", hint=_HOST_HINT) from None
    if parts.scheme.lower() != "oci" or not parts.hostname:
        raise RegistryError(f"not an OCI registry URL: {location} (no host)", hint=_HOST_HINT)
    if parts.query or parts.fragment:
        raise RegistryError(f"an OCI registry URL has no query or fragment: {location}", hint=_HOST_HINT)
    if parts.username is not None or parts.password is not None:
        raise RegistryError(f"an OCI registry URL carries no credentials: oci://…@{parts.hostname}/",
                            hint="log in instead (agentops login oci://HOST), or set AGENTOPS_OCI_USERNAME and "
                                 "AGENTOPS_OCI_PASSWORD")
    hostname = parts.hostname.lower()
    host = (f"[{hostname}]" if ":" in hostname else hostname) + (f":{port}" if port is not None else "")
    prefix = parts.path.strip("/")
    if prefix and not all(_is_component(part) for part in prefix.split("/")):
        raise RegistryError(f"{location}: {prefix!r} is not an OCI repository path (lowercase letters and digits, "
                            "separated by '.', '_', '__' or '-', in parts joined by '/')", hint=_HOST_HINT)
    plain = host.startswith(_LOOPBACK) or host in plain_http or hostname in plain_http
    return ("http" if plain else "https"), host, prefix


def _is_component(part: str) -> bool:
    """The distribution spec's path component: ``[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*``."""
    import re

    return re.fullmatch(r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*", part) is not None
