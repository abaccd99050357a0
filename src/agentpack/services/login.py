"""`agentops login URL` and `agentops logout URL`: keep a registry server's token on this machine.

The token is checked against the server first (``GET api/v1/whoami``), then stored by the
registry's identity in the user's credential store (adapters.credentials), never in agentops.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def logout(url: str) -> tuple[str, bool]:
    """Forget the token stored for ``url``: ``(its identity, whether one was stored)``."""
    from agentpack.adapters.credentials import CredentialStore
    from agentpack.adapters.registry.http import HttpRegistry

    identity = HttpRegistry(url).identity
    return identity, CredentialStore().forget(identity)
