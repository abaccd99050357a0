"""Running the `helm` command, where it is installed: lint a chart, render its templates.

Helm is looked up as ``$AGENTOPS_HELM``, then beside the running Python (``.venv/bin/helm``, where
scripts/get-helm.sh puts it), then on PATH. Every call has a timeout and a bounded output, runs
with no network configuration of its own (helm lint and template read only local files), and
reports failure as the error text helm printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from agentpack.core.records import dataclass
from agentpack.errors import AgentpackError

_TIMEOUT = 120
_MAX_OUTPUT = 64 * 1024 * 1024


def find_helm() -> str | None:
    """The helm executable to run, or None when there is none."""
    configured = os.environ.get("AGENTOPS_HELM")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    beside = os.path.join(os.path.dirname(sys.executable), "helm")
    if os.access(beside, os.X_OK):
        return beside
    return shutil.which("helm")


@dataclass(frozen=True)
class HelmRun:
    code: int
    out: str
    err: str

    @property
    def ok(self) -> bool:
        return self.code == 0


def run_helm(helm: str, args: list[str]) -> HelmRun:
    """``helm ARGS`` (``AgentpackError`` when it cannot run or takes too long)."""
    try:
        proc = subprocess.run([helm, *args], capture_output=True, timeout=_TIMEOUT, stdin=subprocess.DEVNULL)
    except OSError as exc:
        raise AgentpackError(f"cannot run {helm}: {exc.strerror or exc}", path=helm,
                             hint="install helm (scripts/get-helm.sh) or set AGENTOPS_HELM") from None
    except subprocess.TimeoutExpired:
        raise AgentpackError(f"helm {' '.join(args[:2])} took more than {_TIMEOUT} seconds", path=helm) from None
    if len(proc.stdout) > _MAX_OUTPUT:
        raise AgentpackError(f"helm {' '.join(args[:2])} printed more than {_MAX_OUTPUT:,} bytes", path=helm)
    return HelmRun(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))


def values_arguments(files: list[str]) -> list[str]:
    """``-f FILE`` for each values file, in order (later files win, as in helm)."""
    found = []
    for path in files:
        found += ["-f", path]
    return found
