"""A small client of the OCI distribution API (https://github.com/opencontainers/distribution-spec).

It speaks only what agentops needs: blobs (HEAD before upload so existing ones are skipped,
monolithic POST+PUT uploads, chunked PATCH uploads for large blobs, cross-repository mounts, and
streamed downloads verified against their digest and size), manifests (GET with the OCI Accept
header, since registries such as distribution 2.8 answer 404 to a request without it; PUT by tag
or by digest), tags lists and ``_catalog`` with ``Link`` pagination, and referrers through the API
or, where the registry has none, the ``sha256-<hex>`` fallback tag of the OCI 1.1 spec.

Transport is adapters.http_client's: one connection pool per registry (imported on first use), the
same timeouts, proxies, certificate authorities and retries with backoff. Requests that are safe
to repeat (every one but a PATCH of an upload session) are retried on connect errors and 5xx.

Authentication follows the registry's ``WWW-Authenticate`` challenge, as Docker does
(adapters.oci.auth, which also keeps requests of several threads from answering one challenge
twice). Credentials and tokens are only ever sent to the registry's own origin (and a token
service it names): never to an upload location or a redirect on another host (adapters.http_wire
drops the header on a redirect to another origin, and this client adds it only for its own).
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote, urljoin

from agentpack.adapters.oci.auth import MAX_ANSWER as _MAX_ANSWER
from agentpack.adapters.oci.auth import ChallengeAuth, parse_answer
from agentpack.adapters.url_origin import origin_of
from agentpack.core.oci_artifacts import INDEX_MEDIA_TYPE, MANIFEST_MEDIA_TYPE, MAX_MANIFEST_BYTES
from agentpack.errors import AccessDenied, AuthenticationRequired, IntegrityError, RegistryError

CHUNK_SIZE = 16 * 1024 * 1024  # blobs larger than this are uploaded in PATCH chunks of this size
_ACCEPT = f"{MANIFEST_MEDIA_TYPE}, {INDEX_MEDIA_TYPE}"
_PAGE = 1000
_FINAL = ":final-url"  # a key no header can have: the URL that answered
_TAMPERED = ("the registry, or something between it and this machine, changed the content; nothing was "
             "installed: tell whoever runs the registry")


class OciClient:
    """The distribution API of the registry at ``host`` (``HOST[:PORT]``) over ``scheme``;
    ``registry_url`` (as the user wrote it) names it in errors; ``options`` are RegistryOptions."""

    def __init__(self, scheme: str, host: str, options, registry_url: str, *, chunk_size: int = CHUNK_SIZE,
                 credentials=None) -> None:
        # ``credentials``: use these (`agentops login` checking new ones) instead of looking them up.
        from agentpack.adapters.http_client import HttpClient

        self.host = host
        self.base = f"{scheme}://{host}/v2/"
        self.registry_url = registry_url
        self.options = options
        self.chunk_size = chunk_size
        self.http = HttpClient(options, self.base)  # no token of its own: this client authenticates
        self._origin = origin_of(self.base)
        self.auth = ChallengeAuth(self.http, self.base, host, registry_url, options, credentials)
        self.referrers_api: bool | None = None  # whether the registry has the referrers API (None: not asked yet)

    # -- the registry ----------------------------------------------------------------------------

    def ping(self) -> None:
        """``GET /v2/``, authenticating as the registry asks: raises ``AuthenticationRequired``
        when it refuses the credentials (or there are none), ``RegistryError`` when it is no OCI
        registry."""
        status, _headers, body = self._call("GET", self.base, scope="")
        if status != 200:
            raise self._failure(status, body, "GET /v2/", self.base)

    def catalog(self) -> list[str] | None:
        """Every repository ``_catalog`` lists (all pages), or None when the registry does not
        offer it (401, 403, 404, or an answer that is not a catalog)."""
        found, url = [], f"{self.base}_catalog?n={_PAGE}"
        while url:
            status, headers, body = self._call("GET", url, scope="registry:catalog:*")
            if status in (401, 403, 404, 405):
                return None
            if status != 200:
                raise self._failure(status, body, "GET _catalog", url)
            page = parse_answer(body)
            names = page.get("repositories") if isinstance(page, dict) else None
            if not isinstance(names, list):
                return None
            found += [n for n in names if isinstance(n, str)]
            url = self._next_page(headers, url)
        return found

    # -- tags and manifests --------------------------------------------------------------------------

    def tags(self, repository: str) -> list[str] | None:
        """Every tag of ``repository`` (all pages), or None when the registry has no such repository."""
        found, url = [], f"{self._repo(repository)}tags/list?n={_PAGE}"
        while url:
            status, headers, body = self._call("GET", url, scope=_pull(repository))
            if status == 404:
                return None
            if status != 200:
                raise self._failure(status, body, f"GET the tags of {repository}", url)
            page = parse_answer(body)
            tags = page.get("tags") if isinstance(page, dict) else None
            if tags is not None and not isinstance(tags, list):
                raise RegistryError(f"registry {self.registry_url} answered the tags list of {repository} with "
                                    "something other than a list", path=url)
            found += [t for t in tags or [] if isinstance(t, str)]
            url = self._next_page(headers, url)
        return found

    def manifest(self, repository: str, reference: str) -> tuple[bytes, str] | None:
        """``(bytes, "sha256:<hex>")`` of the manifest at ``reference`` (a tag or a digest), or None
        when there is none. The digest is computed from the bytes; one the registry states
        (``Docker-Content-Digest``) or asked for by digest must agree, else ``IntegrityError``."""
        url = f"{self._repo(repository)}manifests/{quote(reference, safe=':')}"
        status, headers, body = self._call("GET", url, scope=_pull(repository), headers={"Accept": _ACCEPT},
                                           limit=MAX_MANIFEST_BYTES)
        if status == 404:
            return None
        if status != 200:
            raise self._failure(status, body, f"GET the manifest {repository}:{reference}", url)
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        stated = headers.get("docker-content-digest")
        expected = reference if reference.startswith("sha256:") else stated
        if expected and expected.startswith("sha256:") and expected != digest:
            raise IntegrityError(f"registry {self.registry_url} served a manifest for {repository}:{reference} "
                                 f"whose bytes have digest {digest}, not {expected}", path=url, hint=_TAMPERED)
        return body, digest

    def manifest_digest(self, repository: str, reference: str) -> str | None:
        """The digest the registry states for the manifest at ``reference`` (HEAD), or None when
        there is none; ``""`` when it exists but the registry states no digest."""
        url = f"{self._repo(repository)}manifests/{quote(reference, safe=':')}"
        status, headers, body = self._call("HEAD", url, scope=_pull(repository), headers={"Accept": _ACCEPT})
        if status == 404:
            return None
        if status != 200:
            raise self._failure(status, body, f"HEAD the manifest {repository}:{reference}", url)
        return headers.get("docker-content-digest", "")

    def put_manifest(self, repository: str, reference: str, body: bytes, media_type: str = MANIFEST_MEDIA_TYPE) -> dict:
        """Store ``body`` under ``reference`` (a tag, or its own digest); the answer's headers (an
        ``OCI-Subject`` header says the registry indexed a referrer itself)."""
        url = f"{self._repo(repository)}manifests/{quote(reference, safe=':')}"
        status, headers, answer = self._call("PUT", url, scope=_push(repository), content=body,
                                             headers={"Content-Type": media_type})
        if status not in (200, 201):
            raise self._failure(status, answer, f"PUT the manifest {repository}:{reference}", url)
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        stated = headers.get("docker-content-digest")
        if stated and stated != digest:
            raise IntegrityError(f"registry {self.registry_url} stored the manifest {repository}:{reference} "
                                 f"as {stated}, but its bytes have digest {digest}", path=url, hint=_TAMPERED)
        return headers

    # -- blobs -------------------------------------------------------------------------------------

    def blob_size(self, repository: str, digest: str) -> int | None:
        """The size the registry states for a blob of ``repository`` (HEAD), or None when it has none."""
        url = f"{self._repo(repository)}blobs/{digest}"
        status, headers, body = self._call("HEAD", url, scope=_pull(repository))
        if status == 404:
            return None
        if status != 200:
            raise self._failure(status, body, f"HEAD the blob {digest} of {repository}", url)
        length = headers.get("content-length", "")
        return int(length) if length.isdigit() else -1

    def push_blob(self, repository: str, data: bytes, *, mount_from: str | None = None, check: bool = True) -> dict:
        """Make ``data`` a blob of ``repository`` and return ``{"digest", "size", "pushed"}``: skipped
        when the repository has it already (HEAD; ``check=False`` skips the HEAD, for content that
        is new nearly always, such as a record with its publication time); mounted from
        ``mount_from`` when that repository has it (no bytes sent); else uploaded, in one PUT or,
        above ``chunk_size``, in PATCH chunks."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        done = {"digest": digest, "size": len(data), "pushed": False}
        if check and self.blob_size(repository, digest) == len(data):
            return done
        uploads = f"{self._repo(repository)}blobs/uploads/"
        scope = _push(repository) + (f" {_pull(mount_from)}" if mount_from else "")
        start = f"{uploads}?mount={digest}&from={quote(mount_from)}" if mount_from else uploads
        status, headers, body = self._call("POST", start, scope=scope, content=b"")
        if status == 201 and mount_from:
            return done
        if status != 202 or not headers.get("location"):
            raise self._failure(status, body, f"start an upload to {repository}", start)
        location = urljoin(self.base, headers["location"])
        if len(data) > self.chunk_size:
            location = self._patch_chunks(location, data, scope)
            data = b""
        final = f"{location}{'&' if '?' in location else '?'}digest={digest}"
        status, headers, body = self._call("PUT", final, scope=scope, content=data,
                                           headers={"Content-Type": "application/octet-stream"})
        if status not in (201, 204):
            raise self._failure(status, body, f"finish the upload of {digest} to {repository}", final)
        return dict(done, pushed=True)

    def _patch_chunks(self, location: str, data: bytes, scope: str) -> str:
        """Send ``data`` to an upload session in chunks; the location to finish it at. A PATCH is not
        retried: a repeated chunk would corrupt the upload, which the final digest check refuses."""
        for start in range(0, len(data), self.chunk_size):
            chunk = data[start:start + self.chunk_size]
            status, headers, body = self._call(
                "PATCH", location, scope=scope, content=chunk, retry=False,
                headers={"Content-Type": "application/octet-stream",
                         "Content-Range": f"{start}-{start + len(chunk) - 1}"})
            if status != 202 or not headers.get("location"):
                raise self._failure(status, body, "send a chunk of an upload", location)
            location = urljoin(self.base, headers["location"])
        return location

    def fetch_blob(self, repository: str, digest: str, size: int, what: str) -> bytes | None:
        """The bytes of a blob, streamed and refused past ``size`` bytes, then checked to have
        exactly ``size`` bytes and hash to ``digest``; None when the registry has no such blob.
        ``IntegrityError`` naming ``what`` (e.g. ``team/x@1.0.0``) otherwise."""
        from agentpack.adapters.http_client import BodyTooLarge

        url = f"{self._repo(repository)}blobs/{digest}"
        try:
            status, _headers, body = self._call("GET", url, scope=_pull(repository), limit=size)
        except BodyTooLarge as error:
            got = f"{error.size:,} bytes" if error.declared else f"more than {size:,} bytes"
            raise IntegrityError(f"{what} in registry {self.registry_url} failed verification: its manifest "
                                 f"names {size:,} bytes with digest {digest}, but the registry sent {got}; the "
                                 "download was stopped", path=url, hint=_TAMPERED) from None
        if status == 404:
            return None
        if status != 200:
            raise self._failure(status, body, f"GET the blob {digest} of {repository}", url)
        actual = "sha256:" + hashlib.sha256(body).hexdigest()
        if actual != digest or len(body) != size:
            raise IntegrityError(f"{what} in registry {self.registry_url} failed verification: expected {size:,} "
                                 f"bytes with digest {digest}, got {len(body):,} bytes with digest {actual}",
                                 path=url, hint=_TAMPERED)
        return body

    def open_blob(self, repository: str, digest: str, size: int, what: str, *, hint: str = _TAMPERED,
                  failure=None):
        """The bytes of a blob as a file open for reading (adapters.oci.blob_stream.VerifiedBlob),
        streamed: refused as soon as more than ``size`` bytes arrive, and at its end unless it had
        exactly ``size`` bytes hashing to ``digest`` (``IntegrityError`` naming ``what``, with
        ``hint``); None when the registry has no such blob. ``failure`` maps a ``RegistryError``
        of a read that breaks off to the error to raise instead (default: raised as it is)."""
        from agentpack.adapters.oci.blob_stream import VerifiedBlob

        url = f"{self._repo(repository)}blobs/{digest}"
        status, _headers, body = self._call("GET", url, scope=_pull(repository), keep=True)
        if status == 404:
            return None
        if status != 200:
            raise self._failure(status, body, f"GET the blob {digest} of {repository}", url)
        return VerifiedBlob(body, self.http, url, digest=digest, size=size,
                            what=f"{what} in registry {self.registry_url}", hint=hint, failure=failure)

    # -- referrers ----------------------------------------------------------------------------------

    def referrers(self, repository: str, digest: str, *, tags: list[str] | None = None) -> list[dict]:
        """The descriptors of the manifests whose ``subject`` is ``digest``: from the referrers API,
        else (a registry without it answers 404) from the ``sha256-<hex>`` fallback tag's index.

        A registry either has the API or not, so after its first 404 this client asks only the
        fallback tag; and when ``tags`` (the repository's tags list, just read) lacks that tag,
        nothing at all: an unsigned version costs no request."""
        from agentpack.core.oci_artifacts import fallback_tag

        if self.referrers_api is not False:
            listed = self._referrers_answer(repository, digest)
            self.referrers_api = listed is not None
            if listed is not None:
                return listed
        tag = fallback_tag(digest[len("sha256:"):])
        if tags is not None and tag not in tags:
            return []
        found = self.manifest(repository, tag)
        index = parse_answer(found[0]) if found else None
        manifests = index.get("manifests") if isinstance(index, dict) else None
        return [m for m in manifests if isinstance(m, dict)] if isinstance(manifests, list) else []

    def has_referrers_api(self, repository: str, digest: str) -> bool:
        """Whether the registry answers the referrers API for ``digest`` in ``repository`` (a 404
        is "no"; the caller decides what that says when the repository may not exist). Asks,
        whatever ``referrers_api`` says, and changes nothing."""
        return self._referrers_answer(repository, digest) is not None

    def _referrers_answer(self, repository: str, digest: str) -> list[dict] | None:
        """The descriptors the referrers API lists for ``digest``; None when it answers 404."""
        url = f"{self._repo(repository)}referrers/{digest}"
        status, headers, body = self._call("GET", url, scope=_pull(repository),
                                           headers={"Accept": INDEX_MEDIA_TYPE}, limit=MAX_MANIFEST_BYTES)
        index = parse_answer(body) if status == 200 else None
        if isinstance(index, dict) and index.get("mediaType", INDEX_MEDIA_TYPE) == INDEX_MEDIA_TYPE \
                and isinstance(index.get("manifests"), list):
            return [m for m in index["manifests"] if isinstance(m, dict)]
        if status not in (200, 404):
            raise self._failure(status, body, f"GET the referrers of {digest}", url)
        return None

    def push_referrer(self, repository: str, body: bytes, descriptor: dict, subject: str) -> None:
        """Store the manifest ``body`` (whose ``subject`` is ``subject``) by its digest; where the
        registry does not index it itself (no ``OCI-Subject`` in its answer), add ``descriptor``
        to the fallback tag's index, as the OCI 1.1 distribution spec asks of clients."""
        import json

        from agentpack.core.oci_artifacts import encode, fallback_tag

        headers = self.put_manifest(repository, descriptor["digest"], body)
        if headers.get("oci-subject"):
            return
        tag = fallback_tag(subject[len("sha256:"):])
        found = self.manifest(repository, tag)
        index = parse_answer(found[0]) if found else None
        if not isinstance(index, dict) or not isinstance(index.get("manifests"), list):
            index = {"schemaVersion": 2, "mediaType": INDEX_MEDIA_TYPE, "manifests": []}
        manifests = [m for m in index["manifests"] if not (isinstance(m, dict) and m.get("digest") == descriptor["digest"])]
        index["manifests"] = [*manifests, descriptor]
        self.put_manifest(repository, tag, encode(json.loads(json.dumps(index))), INDEX_MEDIA_TYPE)

    # -- requests and authentication ------------------------------------------------------------

    def _call(self, method: str, url: str, *, scope: str, headers: dict | None = None, content: bytes | None = None,
              limit: int = _MAX_ANSWER, retry: bool = True, keep: bool = False) -> tuple[int, dict, bytes]:
        """``(status, headers with lower-case names, body)`` of one request, authenticated as the
        registry asks (one more attempt after a 401 challenge). A HEAD has no body. With ``keep``,
        a 200 answer's body is the open streamed response instead, for the caller to read and close."""
        sent = self.auth.authorization(scope) if self._same_origin(url) else None
        status, answer, body = self._once(method, url, sent, headers, content, limit, retry, keep)
        if status == 401 and self._same_origin(answer[_FINAL]) and \
                self.auth.reauthorize(answer.get("www-authenticate", ""), scope, sent):
            sent = self.auth.authorization(scope) if self._same_origin(url) else None
            status, answer, body = self._once(method, url, sent, headers, content, limit, retry, keep)
            if status == 401 and self._same_origin(answer[_FINAL]):
                raise self.auth.refused(url)
        if status == 401:
            raise AuthenticationRequired(
                f"registry {self.registry_url} redirected {method} {url} to {answer[_FINAL][:200]}, another host, "
                "which asks for credentials: they are never sent to another host", path=url,
                hint="ask whoever runs the registry to serve it without that redirect")
        return status, answer, body

    def _once(self, method, url, authorization, headers, content, limit, retry, keep=False) -> tuple[int, dict, bytes]:
        # ``keep``: a 200 answer's body is not read; the open response takes its place (the caller closes it).
        sent = dict(headers or {})
        if authorization:
            sent["Authorization"] = authorization
        if content is not None:
            sent.setdefault("Content-Length", str(len(content)))
        response = self.http.send(method, url, sent, content=content, retry=retry)
        answer = {k.lower(): v for k, v in response.headers.items()}
        answer[_FINAL] = str(response.url)  # where the answer came from, after any redirects
        if keep and response.status_code == 200:
            return 200, answer, response
        try:
            with self.http.reading(url, method):
                ok = 200 <= response.status_code < 300
                body = b"" if method == "HEAD" else self.http.read(response, url, limit if ok else _MAX_ANSWER)
        finally:
            response.close()
        return response.status_code, answer, body

    def _failure(self, status: int, body: bytes, what: str, url: str) -> RegistryError:
        """The error for an answer other than the one expected, with the registry's own error codes."""
        detail = _error_detail(body)
        text = f"registry {self.registry_url} refused to {what}: HTTP {status}{detail}"
        if status == 403:
            return AccessDenied(text, path=url, hint="ask the registry's administrator for access to the repository")
        if status == 401:
            return self.auth.refused(url)
        if status >= 500:
            return RegistryError(f"{text} (after {self.options.attempts} attempt(s))", path=url,
                                 hint="the registry failed on its side; try again later or tell whoever runs it")
        return RegistryError(text, path=url, hint="check the registry URL and that it is an OCI distribution registry")

    def _next_page(self, headers: dict, url: str) -> str | None:
        """The next page's URL from a ``Link: <...>; rel="next"`` header, on this registry only."""
        link = headers.get("link", "")
        if 'rel="next"' not in link or "<" not in link:
            return None
        target = urljoin(url, link[link.index("<") + 1:link.index(">")])
        return target if self._same_origin(target) and target != url else None

    def _repo(self, repository: str) -> str:
        return f"{self.base}{repository}/"

    def _same_origin(self, url: str) -> bool:
        return origin_of(url) == self._origin


def _pull(repository: str) -> str:
    return f"repository:{repository}:pull"


def _push(repository: str) -> str:
    return f"repository:{repository}:pull,push"


def _error_detail(body: bytes) -> str:
    """`` (CODE: message; ...)`` from a distribution error body, or ``""``."""
    answer = parse_answer(body) if body else None
    errors = answer.get("errors") if isinstance(answer, dict) else None
    if not isinstance(errors, list):
        return ""
    parts = [f"{e.get('code')}: {e.get('message')}" for e in errors[:3] if isinstance(e, dict)]
    from agentpack.core.release_marks import shown_text

    return f" ({shown_text('; '.join(parts))})" if parts else ""
