"""Authentication to an OCI registry, as its ``WWW-Authenticate`` challenge asks (Docker's way).

Nothing is sent until a 401 asks for it; then ``Basic`` sends the credentials
(adapters.oci.credentials) to the registry, and ``Bearer`` fetches a token from the challenge's
realm for the challenge's service and scope (with the credentials, or anonymously without) and
keeps it in memory for the rest of the command. adapters.oci.client decides where a header may go
(the registry's own origin only); this module decides which header.

Requests of one client run in several threads at once (blobs pushed side by side, archives fetched
ahead), and the first requests of a command all meet the registry's first challenge together. One
lock makes that one challenge answered once: a thread refused with the header it sent finds, under
the lock, either another header in place (another thread answered: it only tries again) or none
(it answers). Without that, a second thread answering Basic would take the header already in place
for credentials the registry refused.
"""

from __future__ import annotations

import base64
import threading
import time
from urllib.parse import quote, urlsplit

from agentpack.errors import AuthenticationRequired, RegistryError

MAX_ANSWER = 1024 * 1024  # error bodies, tag lists pages, token answers


class ChallengeAuth:
    """The ``Authorization`` headers for the registry at ``base`` (``…/v2/``), reached through
    ``http`` (adapters.http_client.HttpClient, for the token service); ``host`` and
    ``registry_url`` name it to the credential stores and in errors; ``credentials``: use these
    (`agentops login` checking new ones) instead of looking them up."""

    def __init__(self, http, base: str, host: str, registry_url: str, options, credentials=None) -> None:
        self.http = http
        self.base = base
        self.host = host
        self.registry_url = registry_url
        self.options = options
        self._basic: str | None = None  # set once the registry asked for Basic
        self._bearer: dict[str, tuple[str, float]] = {}  # scope -> (token, expiry on the monotonic clock)
        self._challenge: dict | None = None  # the last Bearer challenge's realm and service
        self._credentials = credentials
        self._looked_up = credentials is not None
        self._lock = threading.RLock()  # requests of several threads answer one challenge once

    def authorization(self, scope: str) -> str | None:
        """The header to send for a request needing ``scope`` (None: nothing, until a 401 asks)."""
        if self._basic:
            return self._basic
        kept = self._bearer.get(scope)
        if kept is None and self._challenge is not None:
            kept = self._token(scope)  # the registry uses tokens: fetch one before asking again
        if kept is not None and kept[1] > time.monotonic():
            return f"Bearer {kept[0]}"
        return None

    def reauthorize(self, challenge: str, scope: str, sent: str | None) -> bool:
        """After a 401 with ``challenge`` (its ``WWW-Authenticate``) to a request sent with ``sent``:
        whether to send it again, with ``authorization(scope)``. See the module docstring."""
        with self._lock:
            if self.authorization(scope) != sent:
                return True
            return self._answer_challenge(challenge, scope)

    def refused(self, url: str) -> AuthenticationRequired:
        """The error for a registry (or token service at ``url``) that refuses the credentials, or
        asks for some where there are none."""
        credentials = self._find_credentials()
        if credentials is None:
            return AuthenticationRequired(
                f"registry {self.registry_url} requires a login", path=url,
                hint=f"run `agentops login oci://{self.host}`, or set AGENTOPS_OCI_USERNAME and "
                     "AGENTOPS_OCI_PASSWORD, or log in with docker login")
        return AuthenticationRequired(
            f"registry {self.registry_url} refused the credentials of {credentials.username or 'the token'} "
            f"(from {credentials.source})", path=url,
            hint=f"log in again: agentops login oci://{self.host}")

    def _answer_challenge(self, header: str, scope: str) -> bool:
        """Prepare the credentials a 401's challenge asks for; whether there is anything new to send."""
        scheme, params = parse_challenge(header)
        if scheme == "basic":
            credentials = self._find_credentials()
            if credentials is None or self._basic:
                raise self.refused(self.base)
            self._basic = _basic(credentials)
            return True
        if scheme == "bearer" and params.get("realm"):
            self._challenge = {"realm": params["realm"], "service": params.get("service", "")}
            wanted = params.get("scope") or scope
            self._bearer.pop(scope, None)
            token = self._token(wanted)
            self._bearer[scope] = token
            return True
        raise RegistryError(f"registry {self.registry_url} asks for authentication this client does not speak "
                            f"({header[:100] or 'no WWW-Authenticate challenge'})", path=self.base)

    def _token(self, scope: str) -> tuple[str, float]:
        """A token for ``scope`` from the challenge's realm (kept for the rest of the command)."""
        if scope in self._bearer and self._bearer[scope][1] > time.monotonic():
            return self._bearer[scope]
        realm = self._challenge["realm"]
        if urlsplit(realm).scheme not in ("http", "https") or (self.base.startswith("https:") and
                                                                 not realm.startswith("https:")):
            raise RegistryError(f"registry {self.registry_url} names the token service {realm[:200]}, which is "
                                "not an https:// URL (http:// only for an http:// registry); refusing to use it")
        query = [("service", self._challenge["service"])] if self._challenge["service"] else []
        query += [("scope", part) for part in scope.split()]
        url = realm + ("&" if "?" in realm else "?") + "&".join(f"{k}={quote(v, safe='')}" for k, v in query)
        credentials = self._find_credentials()
        headers = {"Authorization": _basic(credentials)} if credentials is not None else {}
        with self.http.exchange("GET", url, headers) as response:
            status, body = response.status_code, self.http.read(response, url, MAX_ANSWER)
        if status in (401, 403):
            raise self.refused(realm)
        answer = parse_answer(body) if status == 200 else None
        token = (answer.get("token") or answer.get("access_token")) if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise RegistryError(f"the token service {realm[:200]} of registry {self.registry_url} answered HTTP "
                                f"{status} without a token", path=realm)
        expires = answer.get("expires_in")
        lifetime = expires if isinstance(expires, int) and not isinstance(expires, bool) and expires > 0 else 60
        kept = (token, time.monotonic() + max(lifetime - 10, 5))  # renewed a little before it runs out
        self._bearer[scope] = kept
        return kept

    def _find_credentials(self):
        if not self._looked_up:
            from agentpack.adapters.oci.credentials import find_credentials

            self._credentials = find_credentials(self.host, self.options)
            self._looked_up = True
        return self._credentials


def _basic(credentials) -> str:
    raw = f"{credentials.username}:{credentials.password}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """``("bearer", {"realm": ..., "service": ..., "scope": ...})`` from a ``WWW-Authenticate``
    header (the scheme in lower case; ``("", {})`` when there is none)."""
    scheme, _, rest = header.strip().partition(" ")
    params, key, i = {}, "", 0
    while i < len(rest):
        char = rest[i]
        if char == "=":
            i += 1
            if i < len(rest) and rest[i] == '"':
                end = i + 1
                value = []
                while end < len(rest) and rest[end] != '"':
                    if rest[end] == "\\" and end + 1 < len(rest):
                        end += 1
                    value.append(rest[end])
                    end += 1
                params[key.strip().lower()] = "".join(value)
                i = end + 1
            else:
                end = rest.find(",", i)
                end = len(rest) if end < 0 else end
                params[key.strip().lower()] = rest[i:end].strip()
                i = end
            key = ""
        elif char == ",":
            key = ""
        else:
            key += char
        i += 1
    return scheme.lower(), params


def parse_answer(body: bytes):
    """The JSON of a registry's (or token service's) answer, bounded; None when it is not JSON."""
    from agentpack.core.bounded_json import parse_json
    from agentpack.errors import AgentpackError

    try:
        return parse_json(body, source="answer")
    except AgentpackError:
        return None
