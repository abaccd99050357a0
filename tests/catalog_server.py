"""The web catalog served for real: `agentops registry catalog --port 0` in a subprocess on 127.0.0.1,
and a registry to serve, published with the real command (the example packages, a package with a
hostile README, a signed one, a yanked and a deprecated version)."""

from __future__ import annotations

import subprocess
from contextlib import contextmanager
from pathlib import Path

from conftest import KEY_ENV, Agentops, agentops_command, write_package

# A README trying every way into a page: raw HTML, event handlers, javascript: and data: URLs.
HOSTILE_README = """# Hostile

<script>window.__pwned = 1; alert(1)</script>

<img src="x" onerror="window.__pwned = 2; alert(2)">

[click me](javascript:window.__pwned=3)

<a href="javascript:window.__pwned=4">raw link</a>

![pixel](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9ImFsZXJ0KDUpIi8+)

[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCg2KTwvc2NyaXB0Pg==)

<iframe src="javascript:alert(7)"></iframe><svg onload="alert(8)"></svg>

Plain **bold** text stays.
"""


def publish_catalog_registry(agentops: Agentops, src: Path) -> dict:
    """Publish the examples and the special packages to ``agentops``'s default registry; what was made."""
    agentops.publish_examples()
    hostile = write_package(src, "hostile", "1.0.0")
    (hostile / "README.md").write_text(HOSTILE_README)
    agentops.publish_folder(hostile)
    key = agentops.generate_key("release")
    agentops.publish_folder(write_package(src, "team/signed", "1.0.0"), "--sign", "release")
    for version in ("1.0.0", "1.1.0"):
        agentops.publish_folder(write_package(src, "marked", version))
    agentops("package", "yank", "marked@1.1.0", "--reason", "leaks a token")
    agentops("package", "deprecate", "marked@1.0.0", "--message", "use customer-service")
    return {"fingerprint": key["fingerprint"]}


@contextmanager
def catalog_server(agentops: Agentops, *extra: str):
    """`agentops registry catalog` over ``agentops``'s default registry on a free port; its URL."""
    proc = subprocess.Popen([*agentops_command(), "registry", "catalog", "--registry", str(agentops.default_registry),
                             "--port", "0", *extra], cwd=agentops.home, env={**agentops.env, **KEY_ENV},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert " at http://127.0.0.1:" in line, line + proc.stderr.read()
        yield line.split(" at ", 1)[1].split()[0]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


@contextmanager
def serve_in_thread(app):
    """``app`` served by uvicorn in a thread of the test process on a free port of 127.0.0.1; its URL."""
    import socket
    import threading

    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
