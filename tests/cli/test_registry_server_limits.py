"""The registry server under pressure, through the real `agentops registry serve`: many publishers
at once, and uploads that are malformed, oversized or slow, which it must refuse without
exhausting its memory or blocking other requests."""

from __future__ import annotations

import gzip
import io
import socket
import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from conftest import write_package
from registry_service import RegistryService
from tarcraft import member, tgz_bytes

MAX_UPLOAD = 4 * 1024 * 1024


@pytest.fixture
def server(agentops, tmp_path):
    for key in [k for k in agentops.env if k.lower().endswith("_proxy")]:
        del agentops.env[key]
    with RegistryService(tmp_path / "server-data", agentops.env, "--max-upload", "4MiB") as service:
        yield service


@pytest.fixture
def publisher(agentops, server) -> dict:
    secret = agentops("registry", "token", "create", "--team", "*", "--role", "publish", "--data",
                      server.data).out.strip()
    return {"Authorization": f"Bearer {secret}"}


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def build_archives(root: Path, count: int) -> list[bytes]:
    from agentpack.services.build import build_package

    archives = []
    for i in range(count):
        folder = write_package(root / "src", f"load-{i}", "1.0.0")
        archives.append(Path(build_package(str(folder), str(root / "dist")).path).read_bytes())
    return archives


def test_200_concurrent_publishes_of_distinct_packages_all_land(server, publisher, tmp_path):
    archives = build_archives(tmp_path, 200)

    def publish(data: bytes) -> int:
        return httpx.post(server.url + "api/v1/packages", content=data, headers=publisher, timeout=120).status_code

    with ThreadPoolExecutor(max_workers=32) as pool:
        statuses = list(pool.map(publish, archives))
    assert statuses == [201] * 200
    catalog = httpx.get(server.url + "catalog.json").json()["packages"]
    assert sorted(catalog) == sorted(f"load-{i}" for i in range(200))
    assert httpx.get(server.url + "index/load-199.json").json()["versions"]["1.0.0"]["sha256"]


def _bomb(inflated: int) -> bytes:
    """A gzip of a tar holding one file of ``inflated`` zero bytes: small, inflating past the limits."""
    header = tarfile.TarInfo("package/agents/zeros.md")
    header.size = inflated
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as stream:
        stream.write(header.tobuf())
        chunk = b"\0" * (1024 * 1024)
        for _ in range(inflated // len(chunk)):
            stream.write(chunk)
    return out.getvalue()


def test_malformed_uploads_are_refused_quickly_without_exhausting_memory(server, publisher, tmp_path):
    good = build_archives(tmp_path, 1)[0]
    bomb = _bomb(256 * 1024 * 1024)
    assert len(bomb) < MAX_UPLOAD
    before = rss_kib(server.process.pid)
    for body in (b"this is not gzip at all" * 100, good[: len(good) // 2], tgz_bytes([member("x", b"y")]), bomb):
        started = time.monotonic()
        answer = httpx.post(server.url + "api/v1/packages", content=body, headers=publisher, timeout=60)
        assert answer.status_code in (413, 422), answer.text
        assert answer.json()["error"] in ("too-large", "invalid-package", "unsafe-archive"), answer.text
        assert time.monotonic() - started < 20
    grown = rss_kib(server.process.pid) - before
    assert grown < 128 * 1024, f"the server grew by {grown} KiB refusing a 256 MiB gzip bomb"
    assert httpx.get(server.url + "catalog.json").json()["packages"] == {}


def read_response(sock: socket.socket) -> bytes:
    """A whole HTTP/1.1 response with a Content-Length: headers and body may come in separate reads."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def test_oversized_uploads_are_refused_with_413_and_memory_stays_bounded(server, publisher):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:  # says more, sends nothing
        sock.sendall((f"POST /api/v1/packages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
                      f"{publisher['Authorization']}\r\nContent-Length: {100 * MAX_UPLOAD}\r\n\r\n").encode())
        answer = read_response(sock)
    assert answer.startswith(b"HTTP/1.1 413") and b"too-large" in answer
    before = rss_kib(server.process.pid)
    sent = {"bytes": 0}

    def endless():  # no Content-Length: chunked, four times the limit
        chunk = b"\x1f\x8b" + b"z" * (256 * 1024)
        while sent["bytes"] < 4 * MAX_UPLOAD:
            sent["bytes"] += len(chunk)
            yield chunk

    try:
        answer = httpx.post(server.url + "api/v1/packages", content=endless(), headers=publisher, timeout=30)
        assert answer.status_code == 413 and answer.json()["error"] == "too-large"
    except httpx.HTTPError:
        pass  # the server answered 413 and closed while the client was still sending
    grown = rss_kib(server.process.pid) - before
    assert grown < 64 * 1024, f"the server grew by {grown} KiB receiving an oversized upload"
    assert httpx.get(server.url + "healthz", timeout=5).status_code == 200


def test_a_slow_upload_does_not_block_other_requests(server, publisher, tmp_path):
    good = build_archives(tmp_path, 1)[0]
    host, port = "127.0.0.1", server.port
    stop = threading.Event()

    def trickle() -> None:
        with socket.create_connection((host, port), timeout=30) as sock:
            head = (f"POST /api/v1/packages HTTP/1.1\r\nHost: {host}:{port}\r\n"
                    f"Authorization: {publisher['Authorization']}\r\nContent-Length: {len(good)}\r\n\r\n")
            sock.sendall(head.encode())
            for byte in good[:-1]:
                if stop.is_set():
                    return
                sock.sendall(bytes([byte]))
                time.sleep(0.05)

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        time.sleep(0.5)
        for path in ("healthz", "catalog.json", "config.json"):
            started = time.monotonic()
            assert httpx.get(server.url + path, timeout=10).status_code == 200
            assert time.monotonic() - started < 2, f"{path} waited behind a slow upload"
    finally:
        stop.set()
        thread.join(10)


def test_an_oversized_json_body_is_refused_before_it_is_received(agentops, server):
    """The JSON routes read the whole body before weighing it: a client announcing 100 MiB and
    sending nothing got no answer, and one sending it had it all held in memory."""
    secret = agentops("registry", "token", "create", "--team", "*", "--role", "admin", "--data",
                      server.data).out.strip()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:  # says more, sends nothing
        sock.sendall((f"POST /api/v1/teams HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {secret}\r\n"
                      f"Content-Type: application/json\r\nContent-Length: {100 * 1024 * 1024}\r\n\r\n").encode())
        answer = read_response(sock)
    assert answer.startswith(b"HTTP/1.1 413") and b"too-large" in answer
    before = rss_kib(server.process.pid)

    def endless():  # no Content-Length: chunked, 64 MiB of one JSON string
        yield b'{"name": "x", "owners": ["'
        for _ in range(256):
            yield b"a" * (256 * 1024)

    try:
        answer = httpx.post(server.url + "api/v1/teams", content=endless(), timeout=30,
                            headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
        assert answer.status_code == 413 and answer.json()["error"] == "too-large"
    except httpx.HTTPError:
        pass  # the server answered 413 and closed while the client was still sending
    grown = rss_kib(server.process.pid) - before
    assert grown < 32 * 1024, f"the server grew by {grown} KiB receiving an oversized JSON body"
    assert httpx.get(server.url + "healthz", timeout=5).status_code == 200
