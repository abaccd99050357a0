"""A real OCI distribution registry on 127.0.0.1 for the oci:// tests: Debian's ``docker-registry``
(``apt-get install docker-registry``, CNCF distribution 2.8), started with a generated
``config.yml`` on a free port, its storage in the test's temporary folder.

``DockerRegistry(work)`` runs one without authentication; ``htpasswd=(user, password)`` makes it
ask for HTTP Basic against a bcrypt htpasswd file (written with ``htpasswd -B`` from
apache2-utils, else Python's bcrypt). Where the binary is missing the test is skipped with a
reason, except under CI, where that is a failure (.ci/run installs it).
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import in_ci, missing
from registry_server import free_port, stop_process

BINARY_PATHS = ("/usr/bin/docker-registry", "/usr/sbin/docker-registry")


@pytest.fixture(autouse=True)
def isolated_config(tmp_path, monkeypatch):
    """No login of the machine's user, no Docker configuration, no proxy (imported by the modules
    that test the OCI adapters in this process: autouse there)."""
    import os

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for key in [k for k in os.environ if k.lower().endswith("_proxy")]:
        monkeypatch.delenv(key)


@pytest.fixture(name="registry")
def registry_fixture(tmp_path):
    """A DockerRegistry of the test's own (imported by the modules that use it, under this name so
    that a test's ``registry`` parameter does not shadow an import)."""
    with DockerRegistry(tmp_path / "oci") as running:
        yield running


def registry_binary() -> str:
    """The docker-registry binary, skipping (or under CI failing) the test where it is missing."""
    found = shutil.which("docker-registry") or next((p for p in BINARY_PATHS if Path(p).is_file()), None)
    if found:
        return found
    message = "Debian's docker-registry is not installed (apt-get install docker-registry)"
    missing(message)


def skopeo_binary() -> str:
    """skopeo, skipping (or under CI failing) the test where it is missing."""
    found = shutil.which("skopeo")
    if found:
        return found
    message = "skopeo is not installed (apt-get install skopeo)"
    missing(message)


def write_htpasswd(path: Path, user: str, password: str) -> None:
    """A bcrypt htpasswd file (the only hash docker-registry accepts)."""
    tool = shutil.which("htpasswd")
    if tool:
        line = subprocess.run([tool, "-Bbn", user, password], check=True, capture_output=True, text=True).stdout
    else:
        try:
            import bcrypt
        except ImportError:
            message = "neither htpasswd (apt-get install apache2-utils) nor Python's bcrypt is installed"
            if in_ci():
                pytest.fail(message, pytrace=False)
            pytest.skip(message)
        line = f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()}\n"
    path.write_text(line.strip() + "\n")


class DockerRegistry:
    """docker-registry serving below ``work`` on 127.0.0.1 (see the module docstring)."""

    def __init__(self, work: Path, *, htpasswd: tuple[str, str] | None = None, auth: str = "") -> None:
        # ``auth``: an ``auth:`` section of config.yml to use instead (TokenServer.config()).
        self.work = Path(work)
        self.htpasswd = htpasswd
        self.auth = auth
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base(self) -> str:
        """The distribution API's root, ``http://127.0.0.1:PORT/v2/``."""
        return f"http://{self.host}/v2/"

    def url(self, prefix: str = "agents") -> str:
        return f"oci://{self.host}/{prefix}"

    def command(self) -> list[str]:
        """Write config.yml and return the command that serves it (run by ``start``, or by a test
        that starts the registry elsewhere, e.g. in another network namespace)."""
        binary = registry_binary()
        self.work.mkdir(parents=True, exist_ok=True)
        auth = self.auth
        if self.htpasswd is not None:
            write_htpasswd(self.work / "htpasswd", *self.htpasswd)
            auth = f"auth:\n  htpasswd:\n    realm: agentpack-tests\n    path: {self.work / 'htpasswd'}\n"
        (self.work / "config.yml").write_text(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.work / 'data'}\n  delete:\n    enabled: true\n"
            f"{auth}http:\n  addr: 127.0.0.1:{self.port}\n")
        return [binary, "serve", str(self.work / "config.yml")]

    def start(self) -> DockerRegistry:
        command = self.command()
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                        stderr=open(self.work / "registry.log", "wb"))  # noqa: SIM115
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"docker-registry exited: {(self.work / 'registry.log').read_text()[-2000:]}")
            try:
                urllib.request.urlopen(self.base, timeout=1).close()
                return self
            except urllib.error.HTTPError:
                return self  # 401: it answers, and asks for a login
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("docker-registry did not start listening within 15 s")

    def stop(self) -> None:
        stop_process(self.process)

    def __enter__(self) -> DockerRegistry:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- direct access, for tests that act behind the client's back -------------------------------

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None,
                auth: tuple[str, str] | None = None) -> tuple[int, dict, bytes]:
        """One request to the API (``path`` below /v2/): ``(status, headers, body)``."""
        import base64

        sent = dict(headers or {})
        if auth is not None:
            sent["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request = urllib.request.Request(path if path.startswith("http") else self.base + path, data=body,
                                         method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()

    def manifest(self, repository: str, tag: str, *, auth: tuple[str, str] | None = None) -> tuple[dict, str]:
        """``(manifest, digest)`` of ``repository:tag``."""
        import hashlib
        import json

        status, _headers, body = self.request("GET", f"{repository}/manifests/{tag}", auth=auth,
                                              headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
        assert status == 200, (status, body)
        return json.loads(body), "sha256:" + hashlib.sha256(body).hexdigest()

    def push_blob(self, repository: str, data: bytes) -> dict:
        """Upload ``data`` as a blob of ``repository`` (monolithic): its descriptor's digest and size."""
        import hashlib

        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        status, headers, _ = self.request("POST", f"{repository}/blobs/uploads/", body=b"")
        assert status == 202, status
        location = headers["location"]
        status, _, body = self.request("PUT", f"{location}{'&' if '?' in location else '?'}digest={digest}", body=data,
                                       headers={"Content-Type": "application/octet-stream"})
        assert status == 201, (status, body)
        return {"digest": digest, "size": len(data)}

    def put_manifest(self, repository: str, tag: str, manifest: dict, *, auth: tuple[str, str] | None = None) -> None:
        import json

        status, _, body = self.request("PUT", f"{repository}/manifests/{tag}", body=json.dumps(manifest).encode(), auth=auth,
                                       headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        assert status == 201, (status, body)


class LoopbackServer:
    """An HTTP server on 127.0.0.1 in a daemon thread of the test process (``_serve(handler)`` from
    ``__init__``), started and stopped as a context manager."""

    def _serve(self, handler) -> None:
        import threading
        from http.server import ThreadingHTTPServer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def url(self, prefix: str = "agents") -> str:
        return f"oci://{self.host}/{prefix}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class FrontProxy(LoopbackServer):
    """A reverse proxy on 127.0.0.1 in front of ``target`` (a DockerRegistry), in a thread of the
    test process, that misbehaves on purpose by path prefix (below /v2/): ``deny`` answers 404,
    ``fail`` answers the given status every time, ``hang`` never answers, ``redirect`` sends a 307
    to ``redirect[prefix]`` + the path. The Host header is passed through, so the registry's
    upload locations name the proxy. ``requests`` logs ``(method, path, Authorization sent)``."""

    def __init__(self, target: DockerRegistry) -> None:
        import threading

        self.target = target
        self.deny: set[str] = set()
        self.fail: dict[str, int] = {}
        self.hang: set[str] = set()
        self.redirect: dict[str, str] = {}
        self.requests: list[tuple[str, str, str | None]] = []
        self.stopping = threading.Event()
        proxy = self

        class Handler(_ProxyHandler):
            owner = proxy

        self._serve(Handler)

    def __exit__(self, *exc) -> None:
        self.stopping.set()  # a hanging answer gives up, so that the server can stop
        super().__exit__(*exc)

    def matching(self, table, path: str):
        relative = path.split("?", 1)[0][len("/v2/"):]
        return next((key for key in table if relative.startswith(key)), None)


from http.server import BaseHTTPRequestHandler  # noqa: E402


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    owner: FrontProxy

    def _forward(self) -> None:
        import http.client

        owner = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        owner.requests.append((self.command, self.path, self.headers.get("Authorization")))
        if owner.matching(owner.hang, self.path) is not None:
            owner.stopping.wait(60)
            self.close_connection = True
            return
        if owner.matching(owner.deny, self.path) is not None:
            return self._answer(404, {}, b'{"errors":[{"code":"UNSUPPORTED","message":"not here"}]}')
        failing = owner.matching(owner.fail, self.path)
        if failing is not None:
            return self._answer(owner.fail[failing], {}, b"failing on purpose\n")
        redirected = owner.matching(owner.redirect, self.path)
        if redirected is not None:
            return self._answer(307, {"Location": owner.redirect[redirected] + self.path}, b"")
        connection = http.client.HTTPConnection("127.0.0.1", owner.target.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "content-length")}
        connection.request(self.command, self.path, body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        sent = {k: v for k, v in answer.getheaders() if k.lower() not in ("connection", "transfer-encoding",
                                                                          "content-length")}
        connection.close()
        self._answer(answer.status, sent, data, head=self.command == "HEAD",
                     length=answer.getheader("Content-Length"))

    def _answer(self, status: int, headers: dict, body: bytes, *, head: bool = False, length: str | None = None) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", length if head and length is not None else str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _forward  # noqa: N815 (the http.server API)

    def log_message(self, format, *args) -> None:  # noqa: A002 (the http.server API)
        pass


class TokenServer(LoopbackServer):
    """A tiny Bearer token service for docker-registry's ``auth: token`` (the Docker token flow):
    it signs ES256 JWTs with a self-signed certificate the registry trusts (``x5c`` header), and
    grants every scope asked for to ``user``/``password`` given as Basic credentials, and nothing
    to anyone else. ``requests`` logs ``(query, Authorization sent)``."""

    def __init__(self, work: Path, user: str, password: str, service: str = "agentpack-tests") -> None:
        import datetime

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self.user, self.password, self.service = user, password, service
        self.requests: list[tuple[str, str | None]] = []
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "agentpack test token issuer")])
        now = datetime.datetime.now(datetime.UTC)
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(self.key.public_key())
                     .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
                     .not_valid_after(now + datetime.timedelta(days=1))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .sign(self.key, hashes.SHA256()))
        work.mkdir(parents=True, exist_ok=True)
        self.bundle = work / "token-root.pem"
        self.bundle.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (the http.server API)
                owner.requests.append((self.path, self.headers.get("Authorization")))
                status, body = owner.answer(self.path, self.headers.get("Authorization"))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args) -> None:  # noqa: A002 (the http.server API)
                pass

        self._serve(Handler)

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/token"

    def config(self) -> str:
        """The ``auth:`` section of docker-registry's config.yml."""
        return (f"auth:\n  token:\n    realm: {self.realm}\n    service: {self.service}\n    issuer: agentpack-tests\n"
                f"    rootcertbundle: {self.bundle}\n")

    def answer(self, path: str, authorization: str | None) -> tuple[int, bytes]:
        import base64
        import json
        from urllib.parse import parse_qs, urlsplit

        query = parse_qs(urlsplit(path).query)
        expected = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        if authorization != expected:
            return 401, b'{"errors":[{"code":"UNAUTHORIZED","message":"who are you?"}]}'
        access = []
        for scope in query.get("scope", []):
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        return 200, json.dumps({"token": self.token(access), "expires_in": 300}).encode()

    def token(self, access: list[dict]) -> str:
        import base64
        import json
        import time

        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        der = self.cert.public_bytes(serialization.Encoding.DER)
        header = {"typ": "JWT", "alg": "ES256", "x5c": [base64.b64encode(der).decode()]}
        now = int(time.time())
        claims = {"iss": "agentpack-tests", "sub": self.user, "aud": self.service, "exp": now + 300, "nbf": now - 10,
                  "iat": now, "jti": str(now) + str(id(access)), "access": access}
        signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
        r, s = decode_dss_signature(self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        return f"{signing_input}.{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
