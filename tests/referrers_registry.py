"""A small OCI distribution registry with the referrers API, on 127.0.0.1 in a thread of the test.

Debian's docker-registry (distribution 2.8) has no referrers API, and no registry that has one
(Zot, Harbor, distribution 3) installs here. This one implements, in memory and after the OCI
distribution spec 1.1, what agentops uses: ``GET /v2/``, blobs (HEAD, GET, monolithic
``POST`` + ``PUT`` uploads), manifests by tag or digest (GET, HEAD, PUT, answering a manifest
with a ``subject`` with the ``OCI-Subject`` header), tags lists, and
``GET /v2/<name>/referrers/<digest>``, computed from the stored manifests whose ``subject`` is that
digest, with their ``artifactType`` and annotations (a repository it does not hold answers 404, as
distribution 3 and Zot do). ``_catalog`` is not offered (404), as many hosted registries do. ``requests`` logs ``(method, path)``.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler

from oci_registry import LoopbackServer

INDEX = "application/vnd.oci.image.index.v1+json"
_ROUTE = re.compile(r"^/v2/(?P<name>.+?)/(?P<kind>blobs/uploads|blobs|manifests|tags|referrers)/?(?P<ref>[^/]*)$")


class ReferrersRegistry(LoopbackServer):
    def __init__(self) -> None:
        self.blobs: dict[tuple[str, str], bytes] = {}
        self.manifests: dict[tuple[str, str], tuple[bytes, str]] = {}  # (repo, digest) -> (body, media type)
        self.tags: dict[tuple[str, str], str] = {}  # (repo, tag) -> digest
        self.uploads: dict[str, str] = {}  # session -> repo
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        owner = self

        class Handler(_Handler):
            registry = owner

        self._serve(Handler)

    def referrers(self, repo: str, digest: str) -> dict:
        listed = []
        for (where, found), (body, media_type) in sorted(self.manifests.items()):
            document = json.loads(body)
            if where != repo or (document.get("subject") or {}).get("digest") != digest:
                continue
            entry = {"mediaType": media_type, "digest": found, "size": len(body),
                     "artifactType": document.get("artifactType") or document.get("config", {}).get("mediaType")}
            if document.get("annotations"):
                entry["annotations"] = document["annotations"]
            listed.append(entry)
        return {"schemaVersion": 2, "mediaType": INDEX, "manifests": listed}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    registry: ReferrersRegistry

    def _route(self) -> None:
        owner = self.registry
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        owner.requests.append((self.command, self.path))
        if path in ("/v2", "/v2/"):
            return self._answer(200, {}, b"{}")
        match = _ROUTE.match(path)
        if match is None:
            return self._answer(404, {}, b'{"errors":[{"code":"NAME_UNKNOWN","message":"no such route"}]}')
        name, kind, ref = match["name"], match["kind"], match["ref"]
        with owner.lock:
            handler = getattr(self, f"_{kind.replace('/', '_')}")
            return handler(owner, name, ref, query, body)

    def _blobs(self, owner, name, ref, _query, _body):
        data = owner.blobs.get((name, ref))
        if data is None:
            return self._answer(404, {}, b'{"errors":[{"code":"BLOB_UNKNOWN","message":"unknown blob"}]}')
        return self._answer(200, {"Docker-Content-Digest": ref}, data)

    def _blobs_uploads(self, owner, name, ref, query, body):
        if self.command == "POST":
            session = uuid.uuid4().hex
            owner.uploads[session] = name
            return self._answer(202, {"Location": f"/v2/{name}/blobs/uploads/{session}"}, b"")
        digest = dict(part.split("=", 1) for part in query.split("&") if "=" in part).get("digest", "")
        digest = digest.replace("%3A", ":")
        if owner.uploads.pop(ref, None) != name or digest != "sha256:" + hashlib.sha256(body).hexdigest():
            return self._answer(400, {}, b'{"errors":[{"code":"DIGEST_INVALID","message":"bad upload"}]}')
        owner.blobs[(name, digest)] = body
        return self._answer(201, {"Location": f"/v2/{name}/blobs/{digest}", "Docker-Content-Digest": digest}, b"")

    def _manifests(self, owner, name, ref, _query, body):
        if self.command == "PUT":
            digest = "sha256:" + hashlib.sha256(body).hexdigest()
            owner.manifests[(name, digest)] = (body, self.headers.get("Content-Type", ""))
            if not ref.startswith("sha256:"):
                owner.tags[(name, ref)] = digest
            headers = {"Docker-Content-Digest": digest, "Location": f"/v2/{name}/manifests/{digest}"}
            subject = json.loads(body).get("subject")
            if isinstance(subject, dict):
                headers["OCI-Subject"] = subject.get("digest", "")
            return self._answer(201, headers, b"")
        digest = ref if ref.startswith("sha256:") else owner.tags.get((name, ref))
        found = owner.manifests.get((name, digest)) if digest else None
        if found is None:
            return self._answer(404, {}, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown manifest"}]}')
        return self._answer(200, {"Content-Type": found[1], "Docker-Content-Digest": digest}, found[0])

    def _tags(self, owner, name, _ref, _query, _body):
        tags = sorted(tag for repo, tag in owner.tags if repo == name)
        if not tags:
            return self._answer(404, {}, b'{"errors":[{"code":"NAME_UNKNOWN","message":"unknown repository"}]}')
        return self._answer(200, {"Content-Type": "application/json"}, json.dumps({"name": name, "tags": tags}).encode())

    def _referrers(self, owner, name, ref, _query, _body):
        if not any(repo == name for repo, _digest in owner.manifests):  # as distribution 3 and Zot answer
            return self._answer(404, {}, b'{"errors":[{"code":"NAME_UNKNOWN","message":"unknown repository"}]}')
        return self._answer(200, {"Content-Type": INDEX}, json.dumps(owner.referrers(name, ref)).encode())

    def _answer(self, status: int, headers: dict, body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_PUT = do_POST = _route  # noqa: N815 (the http.server API)

    def log_message(self, format, *args) -> None:  # noqa: A002 (the http.server API)
        pass
