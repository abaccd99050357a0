"""GET requests to a registry across a network: bounded in time and memory, retried, revalidated.

The transport (adapters.http_wire) is imported on first use only: ``agentops --version``, and
every command that reads no remote registry, never pays for it. One connection pool per registry
keeps connections alive across the documents and archives a command reads.

- Proxies come from ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` / ``NO_PROXY``; trusted
  certificate authorities from ``ca_file`` when given, else ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``,
  else certifi's.
- Each connect and each read may take ``timeout`` seconds. A request that cannot connect, or is
  answered with a 5xx status, is tried ``attempts`` times in all, waiting ``backoff`` seconds and
  then twice as long each time. A read that times out or breaks mid-body is not retried: the
  server was reached and failed, and retrying would only multiply the wait.
- A body larger than the caller's bound is refused as soon as its ``Content-Length`` says so, or
  as soon as one byte more than the bound has arrived: nothing beyond it is held in memory.
- Redirects are followed (static hosts use them), but never from https:// down to http://.
- A bearer token, when there is one, is sent only to the registry's own origin (scheme, host and
  port): never to a blob host elsewhere, nor across a redirect to another origin.
- ``call`` sends one request to a registry server's API (publish, yank, ...): tried once, since
  a write is not safe to repeat; its answer is returned whatever its status, for the caller to map.
"""

from __future__ import annotations

import contextlib
import time

from agentpack.adapters.http_cache import DocumentCache
from agentpack.adapters.url_origin import origin_of
from agentpack.core.type_names import TYPE_CHECKING
from agentpack.errors import RegistryError, RegistryUnreachable

if TYPE_CHECKING:
    from agentpack.adapters.registry.base import RegistryOptions

_CONNECT_HINT = ("check that the server is up and the URL is right (behind a proxy, set HTTPS_PROXY or "
                 "HTTP_PROXY); to install only what this machine already has, add --offline")
_CA_HINT = ("point AGENTOPS_CA_FILE (or SSL_CERT_FILE) at the PEM file of the certificate authority that "
            "signed the server's certificate")
_ABSENT = (404, 410)


class BodyTooLarge(RegistryError):
    """A response carries more than the caller's bound. ``size`` is its declared length, or one
    more than the bound when it declared none; ``declared`` says which."""

    def __init__(self, message: str, *, size: int, declared: bool, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.size = size
        self.declared = declared


class HttpClient:
    """GETs for the registry ``registry_url`` (named in every error), reached as ``options`` say."""

    def __init__(self, options: RegistryOptions, registry_url: str, token: str | None = None) -> None:
        self.options = options
        self.registry_url = registry_url
        self.token = token
        self._origin = origin_of(registry_url)
        self._https = registry_url.lower().startswith("https:")
        self._pool = None
        self._cache: DocumentCache | None = None

    def document(self, url: str, max_bytes: int) -> bytes | None:
        """The body at ``url`` (None when the server says 404 or 410 Gone), revalidated: a copy
        kept from an earlier read is offered with ``If-None-Match`` and reused on ``304``; a new
        body is kept with its ETag. Raises ``BodyTooLarge`` past ``max_bytes``, and
        ``RegistryError`` (``RegistryUnreachable`` when no answer came) for anything else."""
        cache = self._document_cache()
        kept = cache.load(url)
        headers = {"If-None-Match": kept[0]} if kept else {}
        with self._response(url, headers) as response:
            if response.status_code == 304 and kept:
                return kept[1]
            body = self._body(response, url, max_bytes)
            etag = response.headers.get("etag")
        if body is not None and etag:
            cache.store(url, etag, body)
        return body

    def download(self, url: str, max_bytes: int) -> bytes | None:
        """The body at ``url``, streamed and never cached (archives are kept by their digest
        elsewhere); None for 404 or 410. Raises ``BodyTooLarge`` past ``max_bytes``."""
        with self._response(url, {}) as response:
            return self._body(response, url, max_bytes)

    def call(self, method: str, url: str, *, content: bytes | None = None, json_body: dict | None = None,
             headers: dict | None = None, max_bytes: int = 16 * 1024 * 1024) -> tuple[int, bytes]:
        """``(status, body)`` of one ``method`` request to ``url`` (an API of the registry), sent once
        with the token. Raises ``RegistryUnreachable`` when no answer came."""
        wire = _wire()
        sent = self._with_token(url, dict(headers or {}))
        if json_body is not None:
            import json

            content = json.dumps(json_body).encode("utf-8")
            sent.setdefault("Content-Type", "application/json")
        try:
            response = self._http().request(method, url, sent, content, guard=self._guard)
        except wire.TimedOut as error:
            raise self._timed_out(url, error) from None
        except wire.WireError as error:
            raise RegistryUnreachable(f"cannot reach registry {self.registry_url}: {_reason(error)} ({method} {url})",
                                      path=url, hint=_CONNECT_HINT) from None
        try:
            body, received = [], 0
            for chunk in response.iter_bytes():
                received += len(chunk)
                if received > max_bytes:
                    raise BodyTooLarge(f"{url} answers with more than {max_bytes:,} bytes", size=max_bytes + 1,
                                       declared=False, path=url)
                body.append(chunk)
            return response.status_code, b"".join(body)
        except wire.WireError as error:
            raise RegistryError(f"the connection to registry {self.registry_url} broke while reading the answer "
                                f"to {method} {url}: {_reason(error)}", path=url) from None
        finally:
            response.close()

    def close(self) -> None:
        """Close the connections kept alive (a client is usable again afterwards)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    # -- internals -----------------------------------------------------------------------------

    def _body(self, response, url: str, max_bytes: int) -> bytes | None:
        if response.status_code in _ABSENT:
            return None
        if response.status_code != 200:
            raise self._status_error(response.status_code, url, self._said(response, url))
        return self.read(response, url, max_bytes)

    def _said(self, response, url: str) -> str:
        """The ``message`` of an error answer in the registry server's JSON shape, made safe to
        print (``""`` for any other answer, or one that cannot be read)."""
        import json

        from agentpack.core.release_marks import shown_text

        try:
            answer = json.loads(self.read(response, url, 64 * 1024))
        except (RegistryError, ValueError):
            return ""
        return shown_text(answer.get("message")) if isinstance(answer, dict) else ""

    def read(self, response, url: str, max_bytes: int) -> bytes:
        """The whole body of a streamed ``response`` (to a request for ``url``), whatever its status,
        refused with ``BodyTooLarge`` as soon as its Content-Length or the bytes received pass
        ``max_bytes``. A connection that breaks or stalls mid-body raises ``RegistryError``."""
        declared = _declared_length(response)
        if declared is not None and declared > max_bytes:
            raise BodyTooLarge(f"{url} is {declared:,} bytes; at most {max_bytes:,} are allowed here",
                               size=declared, declared=True, path=url)
        chunks, received = [], 0
        for chunk in response.iter_bytes():
            received += len(chunk)
            if received > max_bytes:
                raise BodyTooLarge(f"{url} sends more than {max_bytes:,} bytes, the most allowed here; "
                                   "it was not read further", size=max_bytes + 1, declared=False, path=url)
            chunks.append(chunk)
        return b"".join(chunks)

    @contextlib.contextmanager
    def _response(self, url: str, headers: dict):
        """The streamed response to GET ``url`` (after the retries), closed on leaving."""
        with self.exchange("GET", url, headers) as response:
            yield response

    @contextlib.contextmanager
    def exchange(self, method: str, url: str, headers: dict, *, content: bytes | None = None,
                 retry: bool = True):
        """The streamed response to ``send(method, url, ...)``, closed on leaving; a read inside
        that times out or breaks becomes ``RegistryUnreachable`` / ``RegistryError`` naming ``url``."""
        response = self.send(method, url, headers, content=content, retry=retry)
        try:
            with self.reading(url, method):
                yield response
        finally:
            response.close()

    @contextlib.contextmanager
    def reading(self, url: str, method: str = "GET"):
        """Turn a read of a response to ``method url`` that times out or breaks, inside, into
        ``RegistryUnreachable`` / ``RegistryError`` naming ``url`` (for a response kept open)."""
        wire = _wire()
        try:
            yield
        except wire.TimedOut as error:
            raise self._timed_out(url, error, method) from None
        except wire.WireError as error:
            raise RegistryError(f"the connection to registry {self.registry_url} broke while reading "
                                f"{url}: {_reason(error)}", path=url, hint="try again") from None

    def send(self, method: str, url: str, headers: dict, *, content: bytes | None = None, retry: bool = True):
        """The streamed response to one ``method`` request to ``url`` (the caller closes it), with
        the token added for the registry's own origin. With ``retry``, a request that cannot connect
        or is answered with a 5xx status is tried ``options.attempts`` times in all, with backoff;
        only requests that are safe to repeat may ask for that. The last 5xx answer is returned."""
        wire = _wire()
        pool = self._http()
        attempts = max(1, self.options.attempts) if retry else 1
        for attempt in range(1, attempts + 1):
            try:
                response = pool.request(method, url, self._with_token(url, dict(headers)), content, guard=self._guard)
            except wire.ConnectFailed as error:
                if _untrusted_certificate(error):
                    raise RegistryUnreachable(f"cannot reach registry {self.registry_url}: its TLS certificate "
                                              f"is not trusted ({_reason(error)})", path=url, hint=_CA_HINT) from None
                if attempt == attempts:
                    raise RegistryUnreachable(f"cannot reach registry {self.registry_url}: {_reason(error)} "
                                              f"({method} {url}, {_tries(attempts)})", path=url,
                                              hint=_CONNECT_HINT) from None
            except wire.TimedOut as error:
                raise self._timed_out(url, error, method) from None
            except wire.UnusableProxy as error:
                raise RegistryUnreachable(f"cannot reach registry {self.registry_url}: {error}", path=url,
                                          hint="proxies come from HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY "
                                               "(or their lower-case forms)") from None
            except wire.WireError as error:
                raise RegistryUnreachable(f"cannot {method} {url} at registry {self.registry_url}: "
                                          f"{_reason(error)}", path=url, hint=_CONNECT_HINT) from None
            else:
                if response.status_code < 500 or attempt == attempts:
                    return response
                response.close()
            time.sleep(self.options.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")  # the loop returns or raises on its last attempt

    def _http(self):
        if self._pool is None:
            from agentpack import __version__

            self._pool = _wire().Pool(timeout=self.options.timeout, tls=self._verify,
                                      headers={"User-Agent": f"agentops/{__version__}"})
        return self._pool

    def _verify(self):
        """The TLS context (made at the first https:// connection): trusting only ``ca_file`` when
        one is set, else $SSL_CERT_FILE, $SSL_CERT_DIR, else certifi's authorities."""
        import ssl

        if not self.options.ca_file:
            return _trust_on_first_use(ssl)
        try:
            return ssl.create_default_context(cafile=self.options.ca_file)
        except (OSError, ssl.SSLError) as error:
            raise RegistryError(f"cannot use the certificate authorities in {self.options.ca_file}: "
                                f"{getattr(error, 'strerror', None) or error}", path=self.options.ca_file,
                                hint="AGENTOPS_CA_FILE must name a PEM file of CA certificates") from None

    def _with_token(self, url: str, headers: dict) -> dict:
        if self.token and origin_of(url) == self._origin:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _guard(self, url: str) -> None:
        """Refuse to send a request of an https:// registry (or a redirect of one) over http://."""
        if self._https and not url.lower().startswith("https:"):
            raise RegistryError(f"registry {self.registry_url} redirected to {url}, which is not "
                                "https; refusing to read it", path=url,
                                hint="fix the server's redirect, or name the registry by its final URL")

    def _document_cache(self) -> DocumentCache:
        if self._cache is None:
            from agentpack.adapters.paths import cache_dir

            self._cache = DocumentCache(self.options.cache_dir or cache_dir())
        return self._cache

    def _timed_out(self, url: str, error, method: str = "GET") -> RegistryUnreachable:
        return RegistryUnreachable(f"registry {self.registry_url} did not answer within "
                                   f"{self.options.timeout:g} s ({method} {url}: {_reason(error)})", path=url,
                                   hint="try again later; for a slow registry raise AGENTOPS_HTTP_TIMEOUT (seconds)")

    def _status_error(self, status: int, url: str, said: str = "") -> RegistryError:
        if status in (401, 403, 407):
            sent = "the token sent" if self.token else "access without a token"
            hint = (f"log in with a valid token: agentops login {self.registry_url}" if self.token else
                    f"log in first (agentops login {self.registry_url}) or set AGENTOPS_TOKEN")
            return RegistryError(f"registry {self.registry_url} refused {sent} to {url} (HTTP {status})",
                                 path=url, hint=hint)
        after = f" after {_tries(self.options.attempts)}" if status >= 500 else ""
        said = f": {said}" if said else ""
        return RegistryError(f"registry {self.registry_url} answered HTTP {status} for {url}{after}{said}", path=url,
                             hint="check the registry URL; a 5xx status is the server's own failure")


def _wire():
    from agentpack.adapters import http_wire  # imported on first use: see the module docstring

    return http_wire


def _trust_on_first_use(ssl):
    """A client TLS context that loads its certificate authorities at its first handshake: loading
    certifi's bundle takes tens of milliseconds, which a command reading an http:// registry (or
    none at all) should not pay."""
    import os

    class DeferredTrust(ssl.SSLContext):
        loaded = False

        def _load(self) -> None:
            if not self.loaded:
                if os.environ.get("SSL_CERT_FILE"):
                    self.load_verify_locations(cafile=os.environ["SSL_CERT_FILE"])
                elif os.environ.get("SSL_CERT_DIR"):
                    self.load_verify_locations(capath=os.environ["SSL_CERT_DIR"])
                else:
                    import certifi

                    self.load_verify_locations(cafile=certifi.where())
                self.loaded = True

        def wrap_socket(self, *args, **kwargs):
            self._load()
            return super().wrap_socket(*args, **kwargs)

        def wrap_bio(self, *args, **kwargs):  # TLS through an https:// proxy
            self._load()
            return super().wrap_bio(*args, **kwargs)

    return DeferredTrust(ssl.PROTOCOL_TLS_CLIENT)


def _declared_length(response) -> int | None:
    """The Content-Length of the body as it will be read (None when unknown, or when the body
    arrives compressed and so decodes to another length)."""
    if response.headers.get("content-encoding", "identity").lower() != "identity":
        return None
    text = response.headers.get("content-length", "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 20 else None


def _untrusted_certificate(error: BaseException) -> bool:
    seen = error
    while seen is not None:
        if "CERTIFICATE_VERIFY_FAILED" in str(seen) or type(seen).__name__ == "SSLCertVerificationError":
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _reason(error: BaseException) -> str:
    text = str(error).strip()
    return text[:300] if text else type(error).__name__


def _tries(attempts: int) -> str:
    return "1 attempt" if attempts == 1 else f"{attempts} attempts"
