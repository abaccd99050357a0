"""Real web servers on 127.0.0.1 for the http(s):// registry tests.

``StaticServer`` serves a folder the way a static web server does (nginx's behaviour, which
Python's own ``http.server`` lacks: a strong ETag on every file, ``304 Not Modified`` for a
matching ``If-None-Match``), in a thread of the test process, logging every request. Tests make it
misbehave on purpose through its public fields: statuses to answer first, paths that hang, paths
that stream without end, redirects. It also answers requests in proxy form
(``GET http://host/path``), so that a test can point ``HTTP_PROXY`` at it.

``Nginx`` runs Debian's nginx (``apt-get install nginx``) on a free port over the same folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit


@dataclass
class Request:
    path: str
    if_none_match: str | None
    status: int
    proxied: bool  # asked in proxy form (absolute URL in the request line)


@dataclass
class Behaviour:
    """How the server misbehaves, by URL path (e.g. "/config.json")."""

    fail_first: dict[str, list[int]] = field(default_factory=dict)  # statuses answered before the file
    hang: set[str] = field(default_factory=set)  # never answer (until the server stops)
    endless: set[str] = field(default_factory=set)  # stream bytes without a length, without end
    redirect: dict[str, str] = field(default_factory=dict)  # path -> Location of a 302
    deny: set[str] = field(default_factory=set)  # 403


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    server: StaticServer

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        self._answer(urlsplit(self.path).path or "/")

    def _log(self, status: int) -> None:
        """Record the request before answering it: the client may act on the answer at once."""
        path = urlsplit(self.path).path or "/"
        proxied = self.path.startswith(("http://", "https://"))
        self.server.requests.append(Request(path, self.headers.get("If-None-Match"), status, proxied))

    def _answer(self, path: str) -> int:
        behaviour = self.server.behaviour
        if path in behaviour.hang:
            self._log(0)
            self.server.stopping.wait(60)
            self.close_connection = True
            return 0
        failures = behaviour.fail_first.get(path)
        if failures:
            return self._send(failures.pop(0), b"failing on purpose\n")
        if path in behaviour.deny:
            return self._send(403, b"forbidden\n")
        if path in behaviour.redirect:
            return self._send(302, b"", {"Location": behaviour.redirect[path]})
        if path in behaviour.endless:
            return self._endless()
        file = self._file(path)
        if file is None:
            return self._send(404, b"not found\n")
        body = file.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if self.headers.get("If-None-Match") == etag:
            return self._send(304, b"", {"ETag": etag})
        return self._send(200, body, {"ETag": etag})

    def _file(self, path: str) -> Path | None:
        root = self.server.root
        candidate = (root / unquote(path).lstrip("/")).resolve()
        if root.resolve() not in candidate.parents or not candidate.is_file():
            return None
        return candidate

    def _send(self, status: int, body: bytes, headers: dict | None = None) -> int:
        self._log(status)
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)
        return status

    def _endless(self) -> int:
        self._log(200)
        self.send_response(200)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        chunk = b" " * 65536
        try:
            while not self.server.stopping.is_set():
                self.wfile.write(chunk)
        except OSError:
            pass  # the client stopped reading: what the test wants
        return 200

    def log_message(self, format, *args) -> None:  # noqa: A002 (the http.server API)
        pass


class StaticServer(ThreadingHTTPServer):
    """A static file server over ``root`` on 127.0.0.1, in a thread; ``tls``: (cert, key) files."""

    daemon_threads = True

    def __init__(self, root: Path, tls: tuple[Path, Path] | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = Path(root)
        self.requests: list[Request] = []
        self.behaviour = Behaviour()
        self.stopping = threading.Event()
        self.scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self.socket = context.wrap_socket(self.socket, server_side=True)
            self.scheme = "https"
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/"

    def start(self) -> StaticServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()

    def __enter__(self) -> StaticServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def handle_error(self, request, client_address) -> None:
        pass  # a client that hung up mid-answer (the size and timeout tests do) is not news


def free_port() -> int:
    """A port nothing listens on right now (for a server started next, or to find none there)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process: subprocess.Popen | None, wait: float = 10) -> None:
    """Ask a server started by a test to stop (SIGTERM) and wait ``wait`` seconds; then kill it."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


class Nginx:
    """Debian's nginx serving ``root`` read-only on 127.0.0.1 (``nginx`` must be on PATH or in
    /usr/sbin). Its access log records "path status if-none-match" per request."""

    def __init__(self, root: Path, work: Path) -> None:
        self.root = Path(root)
        self.work = Path(work)
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @staticmethod
    def binary() -> str | None:
        return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def server_blocks(self) -> str:
        """What the ``http`` block holds besides the common settings: a server of ``root``."""
        return (f"  server {{\n    listen 127.0.0.1:{self.port};\n    root {self.root};\n"
                "    location / { try_files $uri =404; }\n  }\n")

    def start(self) -> Nginx:
        self.work.mkdir(parents=True, exist_ok=True)
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the test's private tmp folder
        temp = "".join(f"  {kind}_temp_path {self.work}/{kind};\n"
                       for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (self.work / "nginx.conf").write_text(
            f"{user}worker_processes 1;\ndaemon off;\nerror_log {self.work}/error.log;\npid {self.work}/nginx.pid;\n"
            "events { worker_connections 256; }\n"
            "http {\n"
            f"{temp}"
            "  log_format registry '$uri $status \"$http_if_none_match\"';\n"
            f"  access_log {self.work}/access.log registry;\n"
            "  types { application/json json; }\n  default_type application/octet-stream;\n"
            f"{self.server_blocks()}}}\n")
        self.process = subprocess.Popen([self.binary(), "-p", str(self.work), "-c", str(self.work / "nginx.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.process.stderr.read().decode(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("nginx did not start listening within 10 s")

    def stop(self) -> None:
        stop_process(self.process)

    def log(self) -> list[tuple[str, int, str]]:
        """``(path, status, If-None-Match sent or "-")`` of every request so far."""
        entries = []
        path = self.work / "access.log"
        for line in path.read_text().splitlines() if path.exists() else []:
            uri, status, etag = line.split(" ", 2)
            entries.append((uri, int(status), etag.strip('"')))
        return entries


class FrontNginx(Nginx):
    """nginx in front of a registry server as deploy/nginx/agentpack-front.conf configures it:
    anonymous reads from ``tree`` (the server's --public-tree), the rest passed to ``upstream``
    (``host:port``), the blobs it sends logged to ``downloads`` (the server's --front-log). The
    file is used as shipped, with only its three marked values and its listen address replaced."""

    CONF = Path(__file__).resolve().parent.parent / "deploy" / "nginx" / "agentpack-front.conf"

    def __init__(self, tree: Path, upstream: str, work: Path, downloads: Path | None = None) -> None:
        super().__init__(tree, work)
        self.upstream = upstream
        self.downloads = downloads or self.work / "downloads.log"

    def server_blocks(self) -> str:
        text = self.CONF.read_text()
        for old, new in (("server 127.0.0.1:8080;", f"server {self.upstream};"),
                         ('""      /srv/agentpack/public;', f'""      {self.root};'),
                         ("listen 80;", f"listen 127.0.0.1:{self.port};"),
                         ("/var/log/nginx/agentpack-downloads.log", str(self.downloads))):
            assert old in text, f"{self.CONF} no longer holds {old!r}"
            text = text.replace(old, new)
        return text


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A private certificate authority and a server certificate it signed for 127.0.0.1, as PEM
    files in ``folder``: (the CA's certificate, the server's certificate, the server's key)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)

    def certificate(subject, issuer, public_key, signing_key, *, ca: bool):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if ca:
            builder = builder.add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
                critical=True).add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        else:  # what Python 3.13's strict verification asks of a server certificate
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
            ).add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
                            critical=False)
        return builder.sign(signing_key, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "agentpack test CA")])
    ca_cert = certificate(ca_name, ca_name, ca_key.public_key(), ca_key, ca=True)
    server_cert = certificate(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]), ca_name,
                              server_key.public_key(), ca_key, ca=False)
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    return paths
