"""A registry read over HTTP(S) with plain GETs: a directory registry served by any static web server.

The read protocol is written down in docs/registry-protocol.md: ``config.json`` at the registry's
root says which protocol version it speaks and where blobs are (a registry without one is read as
protocol 1, the directory layout); ``catalog.json``, ``index/<name>.json`` and ``registry.json``
sit at fixed paths below the root; archives are ``<blobs><sha256>``.

What is read is untrusted, exactly as from a directory: every document is bounded and checked by
``documents`` (the same functions the directory registry uses); archives are streamed within the
size their record names and verified against its sha256 and size before they are returned; index
serials are checked by the caller (services.sources) under ``identity``, the normalised URL.
Documents are revalidated against the ETag cache (adapters.http_cache) on every command, and read
once per command.

Writing needs a registry server: when ``config.json`` names an ``api``, ``publish``,
``mark_yanked`` and ``mark_deprecated`` go through it (docs/registry-protocol.md, "The API"),
with the bearer token stored by `agentops login` for this registry, else ``$AGENTOPS_TOKEN``
(``options.token``); the token is sent with reads too. A tree of static files (``"api": null``)
is read-only. The server's refusals become the matching agentpack errors (401
AuthenticationRequired, 403 AccessDenied, 404 PackageNotFound, 409 VersionExists, 413
UploadTooLarge, 422 ValidationError listing every problem).
"""

from __future__ import annotations

from agentpack.adapters.registry import documents
from agentpack.adapters.registry.base import RegistryOptions
from agentpack.core.digests import is_sha256
from agentpack.core.limits import MAX_JSON_BYTES
from agentpack.errors import IntegrityError, PackageNotFound, RegistryError

_SCHEMES = ("http", "https")
_DAMAGED_HINT = "the registry serves a damaged or modified file; tell whoever runs it"
_TAMPERED_HINT = ("the registry's copy, or something between it and this machine, changed the archive; "
                  "nothing was installed: tell whoever runs the registry")


class HttpRegistry:
    """A read-only ``Registry`` at the http(s):// URL ``target`` (``url``: as the user wrote it)."""

    local = False  # needs the network: under --offline, install reads the cache instead

    def __init__(self, target: str, *, url: str | None = None, options: RegistryOptions | None = None,
                 token: str | None = None) -> None:
        # ``token``: use this one (`agentops login` checking a new token) instead of the stored one.
        self.url = url if url is not None else target
        self._given_token = token
        self.base, self.identity = _normalised(target)
        self.options = options or RegistryOptions()
        self._client = None
        self._documents: dict[str, bytes | None] = {}
        self._blobs: str | None = None
        self._api: str | None = None

    @property
    def writable(self) -> bool:
        """Whether the registry names a write API (reads ``config.json``): static files do not."""
        self._check_registry()
        return self._api is not None

    # -- reading -------------------------------------------------------------------------------

    def list_packages(self) -> list[str]:
        """The names of all packages in the registry, sorted (from the catalog)."""
        return sorted(self.catalog()["packages"])

    def catalog(self) -> dict:
        """``catalog.json``, checked like a directory registry's (``{"packages": {}}`` when absent)."""
        self._check_registry()
        data = self._get(documents.CATALOG_FILE)
        if data is None:
            return {"packages": {}}
        source = self.base + documents.CATALOG_FILE
        return documents.checked_catalog(documents.parse_document(data, source, _malformed), source, _malformed)

    def package_index(self, name: str) -> dict:
        """``{"name", "serial", "versions"}`` from ``index/<name>.json`` (see ``Registry.package_index``)."""
        path = _index_path(name)
        self._check_registry()
        data = self._get(path)
        if data is None:
            raise PackageNotFound(f"package {name} not found in registry {self.url}",
                                  hint="check the package name, and that --registry / AGENTOPS_REGISTRY "
                                       "points at the registry you meant")
        source = self.base + path
        return documents.checked_index(documents.parse_document(data, source, _malformed), name, source,
                                       _malformed)

    def fetch_archive(self, name: str, version: str) -> bytes:
        """The archive of ``name@version``, streamed within its recorded size and verified against
        its recorded sha256 and size; ``IntegrityError`` naming both values of each otherwise."""
        from agentpack.adapters.archive_rules import ArchiveLimits
        from agentpack.adapters.http_client import BodyTooLarge

        record = documents.archive_record(self.package_index(name), version, self.url,
                                          self.base + _index_path(name), _malformed)
        size, limit = record.get("size"), ArchiveLimits().max_archive_size
        url = self._blob_url(record["sha256"])
        if size is not None and size > limit:
            raise IntegrityError(f"{name}@{version} in registry {self.url}: its record gives a size of "
                                 f"{size:,} bytes, more than any valid archive ({limit:,}); it was not fetched",
                                 path=url, hint=_DAMAGED_HINT)
        try:
            data = self._http().download(url, limit if size is None else size)
        except BodyTooLarge as error:
            got = f"{error.size:,} bytes" if error.declared else f"more than {error.size - 1:,} bytes"
            expected = "at most the archive limit" if size is None else f"{size:,} bytes"
            raise IntegrityError(f"{name}@{version} in registry {self.url} failed verification: expected "
                                 f"{expected} with sha256 {record['sha256']}, got {got}; the download was "
                                 "stopped", path=url, hint=_TAMPERED_HINT) from None
        if data is None:
            raise self._no_blob(f"{name}@{version}", record["sha256"], url)
        return documents.verified_archive(data, record, self.url, path=url, hint=_TAMPERED_HINT)

    def read_blob(self, sha256: str) -> bytes:
        """The raw bytes served under ``sha256`` (not verified), within the archive size limit."""
        from agentpack.adapters.archive_rules import ArchiveLimits

        if not is_sha256(sha256):
            raise RegistryError(f"not a sha256 digest (64 lowercase hex digits): {sha256!r}")
        url = self._blob_url(sha256)
        data = self._http().download(url, ArchiveLimits().max_archive_size)
        if data is None:
            raise self._no_blob(f"sha256:{sha256}", sha256, url)
        return data

    def search(self, query: str, *, keyword: str | None = None, category: str | None = None) -> list[dict] | None:
        """The server's search (``GET <api>search``, page after page) when ``config.json`` names an
        ``api``; None for static files, and for a server older than search (404), whose catalog
        the caller then filters. The rows are checked for shape; a damaged answer is an error."""
        from urllib.parse import urlencode

        from agentpack.core.search_text import MAX_LIMIT, MAX_OFFSET

        self._check_registry()
        if self._api is None:
            return None
        rows: list[dict] = []
        while True:
            params = {"q": query, "limit": MAX_LIMIT, "offset": len(rows),
                      **({"keyword": keyword} if keyword is not None else {}),
                      **({"category": category} if category is not None else {})}
            url = f"{self._api}search?{urlencode(params)}"
            try:
                answer = self._api_call("GET", url, what="the search")
            except PackageNotFound:
                if rows:
                    raise
                return None
            page, total = _search_page(answer, url)
            rows += page
            if not page or len(rows) >= total or len(rows) > MAX_OFFSET:
                return rows

    def settings(self) -> dict:
        """``registry.json`` as a dict (``{}`` when the registry serves none)."""
        self._check_registry()
        data = self._get(documents.SETTINGS_FILE)
        if data is None:
            return {}
        source = self.base + documents.SETTINGS_FILE
        settings = documents.parse_document(data, source, _malformed)
        if not isinstance(settings, dict):
            raise _malformed(source, "expected an object with an integer 'format'")
        return settings

    def publish(self, archive: bytes, record: dict) -> dict:
        """Publish through the registry server's API (see ``Registry.publish``); the server owns
        the clock, and checks everything again. A registry of static files refuses: read-only."""
        import base64
        import json

        api = self._write_api()
        query = "&".join(f"{flag}=1" for flag in ("allow_breaking", "allow_unresolved") if record.get(flag) is True)
        headers = {"Content-Type": "application/gzip"}
        if isinstance(record.get("signature"), dict):
            headers["X-Agentpack-Signature"] = base64.b64encode(json.dumps(record["signature"]).encode()).decode()
        return self._api_call("POST", f"{api}packages{'?' + query if query else ''}", content=archive,
                              headers=headers, what=f"{record.get('name')}@{record.get('version')}")

    def mark_yanked(self, name: str, version: str, mark: dict | None) -> bool:
        """Yank through the API (see ``Registry.mark_yanked``)."""
        body = {"version": version, "undo": True} if mark is None else {"version": version, "reason": mark["reason"]}
        answer = self._api_call("POST", f"{self._write_api()}packages/{documents.checked_name(name)}/yank",
                                json_body=body, what=f"{name}@{version}")
        return answer.get("changed") is True

    def mark_deprecated(self, name: str, range_text: str, mark: dict | None) -> dict[str, bool]:
        """Deprecate through the API (see ``Registry.mark_deprecated``)."""
        body = {"range": range_text, "undo": True} if mark is None else {"range": range_text,
                                                                         "message": mark["message"]}
        answer = self._api_call("POST", f"{self._write_api()}packages/{documents.checked_name(name)}/deprecate",
                                json_body=body, what=f"{name}@{range_text}")
        versions = answer.get("versions")
        return {str(k): v is True for k, v in versions.items()} if isinstance(versions, dict) else {}

    def api_call(self, method: str, path: str, body: dict | None = None) -> dict:
        """One call to the server's API at ``path`` (below its ``api``), for administration and
        login: the answer's JSON object; the server's refusal as the matching error."""
        return self._api_call(method, self._write_api() + path, json_body=body, what=path)

    def _write_api(self) -> str:
        self._check_registry()
        if self._api is None:
            raise RegistryError(f"registry {self.url} is read-only: publish to a registry server or a directory",
                                hint="publish to a directory registry and serve its folder with any static web "
                                     "server, or run a registry server (agentops registry serve)")
        return self._api

    def _api_call(self, method: str, url: str, *, what: str, **kwargs) -> dict:
        import json

        status, body = self._http().call(method, url, **kwargs)
        try:
            answer = json.loads(body) if body else {}
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        if 200 <= status < 300:
            return answer
        raise _refusal(status, answer, self.url, what, url)

    # -- internals -----------------------------------------------------------------------------

    def _check_registry(self) -> None:
        """Read the registry's entry point once: ``config.json``, else (a registry made before it)
        ``registry.json`` as protocol 1; neither means this is not a registry."""
        if self._blobs is not None:
            return
        data = self._get(documents.CONFIG_FILE)
        if data is None:
            settings = self._get(documents.SETTINGS_FILE)
            if settings is None:
                raise RegistryError(f"{self.url} is not an agentpack registry (it serves no "
                                    f"{documents.CONFIG_FILE} and no {documents.SETTINGS_FILE})", path=self.base,
                                    hint="check the URL: it names the folder that holds config.json")
            source = self.base + documents.SETTINGS_FILE
            documents.check_settings(documents.parse_document(settings, source, _malformed), source, self.url,
                                     _malformed)
            config = documents.config_document()
        else:
            source = self.base + documents.CONFIG_FILE
            config = documents.checked_config(documents.parse_document(data, source, _malformed), source,
                                              self.url, _malformed)
        self._blobs = self._checked_blobs(config["blobs"], self.base + documents.CONFIG_FILE)
        if config.get("api"):
            self._api = self._checked_api(config["api"], self.base + documents.CONFIG_FILE)

    def _checked_api(self, location: str, source: str) -> str:
        """The API's URL (ending in "/"), which must be on the registry's own origin: the token
        goes there."""
        from urllib.parse import urljoin, urlsplit

        api = urljoin(self.base, location)
        api = api if api.endswith("/") else api + "/"
        if urlsplit(api)[:2] != urlsplit(self.base)[:2]:
            raise _malformed(source, f"'api' must be on the registry's own host, not {location!r}")
        return api

    def _checked_blobs(self, location: str, source: str) -> str:
        from urllib.parse import urljoin, urlsplit

        blobs = urljoin(self.base, location)
        scheme = urlsplit(blobs).scheme.lower()
        if scheme not in _SCHEMES or (self.base.startswith("https:") and scheme != "https"):
            raise _malformed(source, f"'blobs' must be an https:// location (or http:// for an http:// "
                                     f"registry), not {location!r}")
        return blobs

    def _blob_url(self, sha256: str) -> str:
        self._check_registry()
        return f"{self._blobs}{sha256}"

    def _get(self, path: str) -> bytes | None:
        """A document's bytes (None: the server has none), fetched once per registry object."""
        if path not in self._documents:
            self._documents[path] = self._http().document(self.base + path, MAX_JSON_BYTES)
        return self._documents[path]

    def _http(self):
        if self._client is None:
            from agentpack.adapters.http_client import HttpClient

            self._client = HttpClient(self.options, self.url, token=self._token())
        return self._client

    def _token(self) -> str | None:
        """The token for this registry: the one `agentops login` stored for it, else $AGENTOPS_TOKEN."""
        from agentpack.adapters.credentials import CredentialStore

        if self._given_token is not None:
            return self._given_token
        return CredentialStore().token(self.identity) or self.options.token

    def _no_blob(self, what: str, sha256: str, url: str) -> RegistryError:
        return RegistryError(f"registry {self.url} has no blob for {what} (sha256 {sha256})", path=url,
                             hint="the registry is incomplete; tell whoever runs it")


def _index_path(name: object) -> str:
    return f"index/{documents.checked_name(name)}.json"


def _normalised(location: str) -> tuple[str, str]:
    """(the base URL documents are read below, ending in "/"; the registry's identity: the same
    with the scheme and host in lower case and no default port). A URL with credentials is refused:
    they would end up in messages and in the cache, and agentops sends none yet."""
    from urllib.parse import urlsplit, urlunsplit

    hint = "write the registry as http(s)://HOST[:PORT]/PATH/"
    try:
        parts = urlsplit(location.strip())
        port = parts.port
    except ValueError as error:
        raise RegistryError(f"not a registry URL: {location} ({error})", hint=hint) from None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES or not parts.hostname:
        raise RegistryError(f"not a registry URL: {location} (no host)", hint=hint)
    if parts.query or parts.fragment:
        raise RegistryError(f"a registry URL has no query or fragment: {location}", hint=hint)
    if parts.username is not None or parts.password is not None:
        raise RegistryError(f"a registry URL carries no credentials: {parts.scheme}://…@{parts.hostname}/",
                            hint="log in instead (agentops login URL), or set AGENTOPS_TOKEN")
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    default = {"http": 80, "https": 443}[scheme]
    identity = f"{scheme}://{host}{'' if port in (None, default) else f':{port}'}{path}"
    return urlunsplit((scheme, parts.netloc, path, "", "")), identity


def _refusal(status: int, answer: dict, url: str, what: str, request_url: str):
    """The agentpack error for a registry server's refusal: the server's own kind when it names
    one this agentpack knows, else one chosen by the status."""
    from agentpack import errors

    kinds = {cls.code: cls for cls in _subclasses(errors.AgentpackError) if "code" in vars(cls)}
    by_status = {401: errors.AuthenticationRequired, 403: errors.AccessDenied, 404: PackageNotFound,
                 409: errors.VersionExists, 413: errors.UploadTooLarge, 422: errors.ValidationError}
    kind = kinds.get(answer.get("error")) or by_status.get(status, RegistryError)
    message = answer.get("message") if isinstance(answer.get("message"), str) else f"HTTP {status}"
    problems = [errors.Problem(p.get("severity", "error"), str(p.get("code", "")), str(p.get("message", "")),
                               p.get("path"), p.get("line") if isinstance(p.get("line"), int) else None, p.get("field"))
                for p in answer.get("problems") or [] if isinstance(p, dict)]
    hint = answer.get("hint") if isinstance(answer.get("hint"), str) else None
    if status == 401:
        hint = f"log in with a valid token: agentops login {url}"
    error = kind(f"registry {url} refused {what}: {message} (HTTP {status})", hint=hint, problems=problems,
                 path=request_url if status >= 500 else None)
    return error


def _search_page(answer: dict, url: str) -> tuple[list[dict], int]:
    """(rows, total) of one search answer, each row reduced to the fields a search row has."""
    from agentpack.core.release_marks import shown_text

    results, total = answer.get("results"), answer.get("total")
    if not isinstance(results, list) or not isinstance(total, int) or isinstance(total, bool):
        raise _malformed(url, "a search answer must be {\"results\": [...], \"total\": N}")
    rows = []
    for item in results:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise _malformed(url, "every search result must be an object with a 'name'")
        keywords = item.get("keywords") if isinstance(item.get("keywords"), list) else []
        components = item.get("components") if isinstance(item.get("components"), dict) else {}
        rows.append({
            "name": item["name"], "latest": item.get("latest") if isinstance(item.get("latest"), str) else None,
            "description": str(item.get("description") or ""), "keywords": [str(k) for k in keywords],
            "components": {str(k): v for k, v in components.items() if isinstance(v, int)},
            "deprecated": shown_text(item["deprecated"]) if isinstance(item.get("deprecated"), str) else None,
            "category": item.get("category") if isinstance(item.get("category"), str) else None,
            "downloads": item.get("downloads") if isinstance(item.get("downloads"), int) else None,
        })  # fmt: skip
    return rows, total


def _subclasses(cls) -> list:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def _malformed(source: str, detail: str) -> RegistryError:
    return RegistryError(f"malformed registry file {source}: {detail}", path=source, hint=_DAMAGED_HINT)
