"""`agentops login URL` and `agentops logout URL`: keep a registry's credentials on this machine.

A registry server's token is checked against the server first (``GET api/v1/whoami``), then
stored by the registry's identity in the user's credential store (adapters.credentials), never in
agentops.yaml. An OCI registry (``oci://HOST[:PORT]``, any path ignored: one login serves every
repository of the host, as with ``docker login``) gets a username and password instead, checked
with ``GET /v2/`` through the registry's own challenge (Basic, or its token service).
"""

from __future__ import annotations

from agentpack.core.records import dataclass
from agentpack.errors import UsageError
from agentpack.services.workspace import Settings


@dataclass(frozen=True)
class LoginResult:
    registry: str
    identity: str
    token: dict  # what the server says of the token: id, role, teams, clearance, expires_at
    stored: str  # the credential file

    def to_dict(self) -> dict:
        return {"registry": self.registry, "identity": self.identity, "token": self.token, "stored": self.stored}


def login(url: str, token: str, settings: Settings) -> LoginResult:
    """Check ``token`` with the registry server at ``url`` and store it for that registry. Raises
    ``UsageError`` for an empty token, ``AuthenticationRequired`` when the server refuses it,
    ``RegistryError`` when ``url`` is no registry server (static files have no API)."""
    from agentpack.adapters.credentials import CredentialStore
    from agentpack.adapters.registry.http import HttpRegistry

    token = token.strip()
    if not token or any(c.isspace() for c in token):
        raise UsageError("the token is empty or holds spaces", hint="paste the token `registry token create` printed")
    registry = HttpRegistry(url, options=settings.registry_options(), token=token)
    answer = registry.api_call("GET", "whoami")
    if answer.get("anonymous") is not False:
        raise UsageError(f"registry {url} did not recognise a token")
    store = CredentialStore()
    store.store(registry.identity, token)
    return LoginResult(url, registry.identity, answer, store.path)


def login_oci(url: str, username: str, password: str, settings: Settings) -> LoginResult:
    """Check ``username`` and ``password`` with the OCI registry host of ``url`` and store them for
    that host. Raises ``UsageError`` for an empty username or password, ``AuthenticationRequired``
    when the registry refuses them, ``RegistryError`` when it is no OCI registry."""
    from agentpack.adapters.credentials import CredentialStore
    from agentpack.adapters.oci.client import OciClient
    from agentpack.adapters.oci.credentials import Credentials, host_identity
    from agentpack.adapters.oci.location import parse_location

    username, password = username.strip(), password.rstrip("\r\n")
    if not username or not password:
        raise UsageError("the username or the password is empty",
                         hint="give --username and the password on a prompt, with --password-stdin, or in "
                              "AGENTOPS_OCI_USERNAME / AGENTOPS_OCI_PASSWORD")
    options = settings.registry_options()
    scheme, host, _prefix = parse_location(url, options.plain_http)
    OciClient(scheme, host, options, url, credentials=Credentials(username, password, "the login")).ping()
    store = CredentialStore()
    store.store_basic(host_identity(host), username, password)
    return LoginResult(url, host_identity(host), {"username": username}, store.path)


def logout(url: str) -> tuple[str, bool]:
    """Forget the credentials stored for ``url``: ``(its identity, whether one was stored)``."""
    from agentpack.adapters.credentials import CredentialStore
    from agentpack.adapters.registry.http import HttpRegistry

    if url.lower().startswith("oci://"):
        from agentpack.adapters.oci.credentials import host_identity
        from agentpack.adapters.oci.location import parse_location

        return (identity := host_identity(parse_location(url)[1])), CredentialStore().forget(identity)
    identity = HttpRegistry(url).identity
    return identity, CredentialStore().forget(identity)
