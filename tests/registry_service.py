"""A real registry server on 127.0.0.1 for the server tests: `agentops registry serve` run by the
real command in a subprocess, on a free port, over a data directory of the test's own."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from conftest import agentops_command
from registry_server import free_port, stop_process


@pytest.fixture(autouse=True)
def no_proxies(agentops, monkeypatch):
    """Requests to 127.0.0.1 must not go through a proxy the machine happens to name (imported by
    the modules that test a server: autouse there)."""
    for key in [k for k in agentops.env if k.lower().endswith("_proxy")]:
        del agentops.env[key]
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(key, raising=False)


class RegistryService:
    """`agentops registry serve --data DIR` on a free port; ``env`` is the serving home's."""

    def __init__(self, data: Path, env: dict, *extra: str) -> None:
        self.data = Path(data)
        self.env = env
        self.extra = extra
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = self.data.parent / f"{self.data.name}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> RegistryService:
        self.data.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 (kept open by the child)
        self.process = subprocess.Popen([*agentops_command(), "registry", "serve", "--port", str(self.port),
                                         "--data", str(self.data), *self.extra], env=self.env,
                                        stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log_path.read_text()}")
            try:
                if httpx.get(self.url + "healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the server did not answer /healthz within 30 s")

    def stop(self) -> None:
        """Stop gracefully (SIGTERM: the download counts are written), then wait."""
        stop_process(self.process, wait=15)

    def kill(self) -> None:
        """kill -9: no shutdown at all."""
        if self.process is not None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def log(self) -> list[dict]:
        """Every line the server logged, parsed (each must be one JSON object)."""
        return [json.loads(line) for line in self.log_path.read_text().splitlines() if line.strip()]

    def __enter__(self) -> RegistryService:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
