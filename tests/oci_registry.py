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

from conftest import in_ci
from registry_server import free_port

BINARY_PATHS = ("/usr/bin/docker-registry", "/usr/sbin/docker-registry")


def registry_binary() -> str:
    """The docker-registry binary, skipping (or under CI failing) the test where it is missing."""
    found = shutil.which("docker-registry") or next((p for p in BINARY_PATHS if Path(p).is_file()), None)
    if found:
        return found
    message = "Debian's docker-registry is not installed (apt-get install docker-registry)"
    if in_ci():
        pytest.fail(message + " (CI is set, so its absence is a failure)", pytrace=False)
    pytest.skip(message)


def skopeo_binary() -> str:
    """skopeo, skipping (or under CI failing) the test where it is missing."""
    found = shutil.which("skopeo")
    if found:
        return found
    message = "skopeo is not installed (apt-get install skopeo)"
    if in_ci():
        pytest.fail(message + " (CI is set, so its absence is a failure)", pytrace=False)
    pytest.skip(message)


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

    def __init__(self, work: Path, *, htpasswd: tuple[str, str] | None = None) -> None:
        self.work = Path(work)
        self.htpasswd = htpasswd
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

    def start(self) -> DockerRegistry:
        binary = registry_binary()
        self.work.mkdir(parents=True, exist_ok=True)
        auth = ""
        if self.htpasswd is not None:
            write_htpasswd(self.work / "htpasswd", *self.htpasswd)
            auth = f"auth:\n  htpasswd:\n    realm: agentpack-tests\n    path: {self.work / 'htpasswd'}\n"
        (self.work / "config.yml").write_text(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.work / 'data'}\n  delete:\n    enabled: true\n"
            f"{auth}http:\n  addr: 127.0.0.1:{self.port}\n")
        self.process = subprocess.Popen([binary, "serve", str(self.work / "config.yml")], stdout=subprocess.DEVNULL,
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
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

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

    def manifest(self, repository: str, tag: str) -> tuple[dict, str]:
        """``(manifest, digest)`` of ``repository:tag``."""
        import hashlib
        import json

        status, _headers, body = self.request("GET", f"{repository}/manifests/{tag}",
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

    def put_manifest(self, repository: str, tag: str, manifest: dict) -> None:
        import json

        status, _, body = self.request("PUT", f"{repository}/manifests/{tag}", body=json.dumps(manifest).encode(),
                                       headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        assert status == 201, (status, body)
