"""The real agent tools' command-line clients, run offline in a throwaway home, as test oracles.

Each client is an npm package (``.ci/run`` installs them). ``require_client`` finds its binary on
PATH or in ``npm prefix -g``/bin; where it is absent the test is skipped with the install command,
and under CI it fails instead (like ``conftest.require_corpus``).

``Sandbox`` holds a home and a project folder in a temporary directory. Clients run with an
environment built from scratch (PATH, locale, and HOME/XDG_* pointing into the sandbox), so nothing
of the machine's own configuration, logins or API keys reaches them; every proxy variable points at
a closed local port, and where the kernel allows it (``unshare -n``) the client runs in a network
namespace of its own, with no network at all.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentpack.core.targets import TARGETS, TargetFile
from agentpack.core.targets.mcp import merge_mcp_json, merge_mcp_toml
from conftest import missing

HERE = Path(__file__).resolve().parent
FAKE_MCP_SERVER = HERE / "fake_mcp_server.py"
CLOSED_PORT_URL = "http://127.0.0.1:9"  # the discard port: nothing listens there

# client -> (command, npm package)
CLIENTS = {
    "copilot": ("copilot", "@github/copilot"),
    "codex": ("codex", "@openai/codex"),
    "gemini": ("gemini", "@google/gemini-cli"),
    "opencode": ("opencode", "opencode-ai"),
}


@functools.cache
def find_binary(command: str) -> str | None:
    """``command`` on PATH, else in the global npm prefix's bin folder, else ``None``."""
    found = shutil.which(command)
    if found:
        return found
    npm = shutil.which("npm")
    if npm is None:
        return None
    try:
        prefix = subprocess.run([npm, "prefix", "-g"], capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    candidate = Path(prefix) / "bin" / command if prefix else None
    return str(candidate) if candidate and candidate.is_file() and os.access(candidate, os.X_OK) else None


def require_client(client: str) -> str:
    """The binary of ``client`` (a key of CLIENTS). Skips the test when it is not installed, saying
    how to install it; fails instead under CI, so that CI never skips an oracle silently."""
    command, package = CLIENTS[client]
    binary = find_binary(command)
    if binary:
        return binary
    message = (f"the {command} binary is not installed (npm install -g {package}; .ci/run installs it; "
               f"looked on PATH and in `npm prefix -g`/bin)")
    missing(message)


@functools.cache
def network_namespace() -> tuple[str, ...]:
    """``("unshare", "-n")`` where this process may make a network namespace, else ``()``."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    try:
        probe = subprocess.run([unshare, "-n", "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ()
    return (unshare, "-n") if probe.returncode == 0 else ()


def base_env(home: Path) -> dict[str, str]:
    """An environment from scratch: PATH (with node's folder), locale, HOME/XDG_* under ``home``,
    proxies at a closed port (local addresses excepted), and no color."""
    path = os.environ.get("PATH", "/usr/bin:/bin")
    node = shutil.which("node")
    if node:
        path = f"{Path(node).parent}{os.pathsep}{path}"
    dead = CLOSED_PORT_URL
    return {
        "PATH": path, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TERM": "dumb", "NO_COLOR": "1", "CI": "1",
        "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_STATE_HOME": str(home / ".local/state"), "XDG_CACHE_HOME": str(home / ".cache"),
        "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "ALL_PROXY": dead, "http_proxy": dead, "https_proxy": dead,
        "all_proxy": dead, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
    }


@dataclass
class Sandbox:
    """A throwaway home and project (a fresh git repository) for one client run."""

    root: Path

    def __post_init__(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.project.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", str(self.project)], check=True, capture_output=True,
                       env=base_env(self.home))

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def project(self) -> Path:
        return (self.root / "project").resolve()

    def env(self, **extra: str) -> dict[str, str]:
        return {**base_env(self.home), **extra}

    def write(self, files: Iterable[TargetFile]) -> list[str]:
        """Write target files into the project; their paths."""
        paths = []
        for made in files:
            out = self.project / made.path
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(made.content)
            paths.append(made.path)
        return paths

    def write_mcp(self, target: str, servers: Mapping[str, Mapping[str, Any]]) -> str:
        """Merge package servers (name -> {command, args, env} or {url, headers}) into ``target``'s
        MCP document in the project, as an install would; the document's path."""
        rule = TARGETS[target].mcp
        wanted = {name: rule.entry(spec) for name, spec in servers.items()}
        path = self.project / rule.path
        existing = path.read_text(encoding="utf-8") if path.exists() else None
        if rule.format == "toml":
            merged = merge_mcp_toml(existing, wanted, (), path=rule.path)
        else:
            merged = merge_mcp_json(existing, rule.container, wanted, (), path=rule.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(merged.text, encoding="utf-8")
        return rule.path

    def run(self, argv: list[str], *, env: Mapping[str, str] | None = None, offline: bool = True,
            timeout: float = 180, cwd: Path | None = None) -> subprocess.CompletedProcess:
        """Run a client in the project folder. ``offline``: in a network namespace of its own where
        possible (loopback down too, so not for a client that must reach a local fake server)."""
        prefix = network_namespace() if offline else ()
        # Output goes to files, not pipes: a client that exits right after a large write (OpenCode's
        # `debug config`) may leave part of it unread in a pipe.
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            done = subprocess.run([*prefix, *argv], cwd=cwd or self.project, env=dict(env or self.env()),
                                  stdout=out, stderr=err, timeout=timeout, stdin=subprocess.DEVNULL)
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(done.args, done.returncode, out.read().decode("utf-8", "replace"),
                                               err.read().decode("utf-8", "replace"))


def mcp_servers(token: str = "oracle-token") -> dict[str, dict]:
    """A few package MCP servers as packages declare them: two stdio servers (the fake server of
    this folder, one needing an environment variable) and one remote server at a closed port."""
    return {
        "docs-search": {"command": sys.executable, "args": [str(FAKE_MCP_SERVER), "docs-search", token],
                        "env": {"ORACLE_TOKEN": token}},
        "lint_tools": {"command": sys.executable, "args": [str(FAKE_MCP_SERVER), "lint_tools"]},
        "remote-api": {"url": f"{CLOSED_PORT_URL}/mcp", "headers": {"Authorization": "Bearer oracle"}},
    }


def stdio_servers(servers: Mapping[str, Mapping[str, Any]]) -> set[str]:
    return {name for name, spec in servers.items() if "command" in spec}


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def plain(text: str) -> str:
    """``text`` without terminal escape sequences (some clients color their output despite NO_COLOR)."""
    return _ANSI.sub("", text)


def dump(value: Any) -> str:
    """A value for an assertion message, short."""
    text = json.dumps(value, indent=1, default=str) if not isinstance(value, str) else value
    return text if len(text) < 6000 else text[:6000] + "\n..."
