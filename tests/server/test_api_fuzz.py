"""Fuzz the registry server's API from its own OpenAPI document (schemathesis).

A real `agentops registry serve` on 127.0.0.1 holds a private team, published packages and tokens;
schemathesis reads ``/api/v1/openapi.json`` from it and, for every operation, sends the document's
examples, its coverage cases (each boundary and each way to break a schema) and fuzzed requests,
as an anonymous caller, with a read token and with an admin token. Every answer must be no server
error, carry a status, content type, headers and body the document declares, and refuse what the
document calls invalid. Afterwards the server is still ready and its package still installs.

Bounded by default: the same 25 examples an operation every run (a fixed seed, derandomized).
AGENTPACK_FUZZ=long (or --hypothesis-profile=long) runs 1,000 fresh ones an operation;
AGENTPACK_FUZZ=<number> sets the number, as for the other fuzz tests (tests/fuzz).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from hypothesis import settings

from conftest import Agentops, write_package
from registry_service import RegistryService

pytestmark = pytest.mark.fuzz

_LEVEL = os.environ.get("AGENTPACK_FUZZ", "")
if not _LEVEL and settings.get_current_profile_name() == "long":
    _LEVEL = "long"
EXAMPLES = 1000 if _LEVEL == "long" else int(_LEVEL) if _LEVEL.isdigit() else 25
SEED = 20240501

# What every answer is checked for. positive_data_acceptance is left out: a schema cannot say what
# makes an archive valid, which team exists, or which text hides Unicode, so a schema-valid request
# may rightly be refused (with a documented 4xx, which status_code_conformance checks).
CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance", "negative_data_rejection",
          "missing_required_header", "unsupported_method", "allow_header_conformance", "ignored_auth",
          "use_after_free", "ensure_resource_availability"]


def _home(folder) -> Agentops:
    """A home whose requests go straight to 127.0.0.1, whatever proxy the machine names."""
    home = Agentops(folder)
    for key in [k for k in home.env if k.lower().endswith("_proxy")]:
        del home.env[key]
    return home


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """The server, its data (team-alpha private; triage public and team-alpha/notes published)
    and a secret for each caller."""
    root = tmp_path_factory.mktemp("fuzz-home")
    agentops = _home(root)
    data = root / "server-data"

    def token(team: str, role: str) -> str:
        return agentops("registry", "token", "create", "--team", team, "--role", role, "--data", data).out.strip()

    agentops("registry", "team", "create", "team-alpha", "--private", "--data", data)
    secrets = {"anonymous": None, "read": token("team-alpha", "read"), "admin": token("*", "admin")}
    publisher = token("*", "publish")
    with pytest.MonkeyPatch.context() as patch, RegistryService(data, agentops.env) as server:
        for key in [k for k in os.environ if k.lower().endswith("_proxy")]:
            patch.delenv(key)
        for name in ("triage", "team-alpha/notes"):
            archive = agentops.build_folder(write_package(root / "src", name, "1.0.0"))
            agentops("package", "publish", archive, "--registry", server.url, env={"AGENTOPS_TOKEN": publisher})
        yield {"server": server, "secrets": secrets}


def _schemathesis() -> list[str]:
    """The schemathesis command beside this interpreter (the test extra installs it)."""
    launcher = Path(sys.executable).parent / "schemathesis"
    if not launcher.exists() and shutil.which("schemathesis") is None:
        pytest.fail("schemathesis is not installed: ./scripts/setup.sh --test installs the test extra")
    return [str(launcher) if launcher.exists() else "schemathesis"]


def _config(path: Path, secret: str | None, caller: str) -> Path:
    """A schemathesis.toml: the caller's token, the bounded generation, the package to aim at."""
    # The bounded run is the same every time; a long one draws afresh (its seed is in the output).
    lines = ["workers = 1", "request-timeout = 30", *([] if _LEVEL else [f"seed = {SEED}"]), "",
             "[generation]", f"max-examples = {EXAMPLES}", f"deterministic = {'false' if _LEVEL else 'true'}",
             'database = "none"', ""]
    if not _LEVEL:
        # The stateful phase chains calls along links schemathesis guesses (the document declares
        # none); it doubles the run's time, so the bounded run leaves it to the long one.
        lines += ["[phases.stateful]", "enabled = false", ""]
    if caller == "admin":
        # The admin may mark the published package: aim yank and deprecate at it, so that they get
        # past the lookup into version matching, range parsing and the marks' text rules.
        lines += ["[parameters]", '"path.name" = "triage"', ""]
    if secret is not None:
        lines += ["[headers]", f'Authorization = "Bearer {secret}"', ""]
    path.write_text("\n".join(lines))
    return path


@pytest.mark.parametrize("caller", ["anonymous", "read", "admin"])
def test_every_operation_answers_as_documented(registry, caller, tmp_path):
    """schemathesis's examples, coverage and fuzzing phases (and stateful in a long run) over every
    operation of the document: no answer may be a server error or differ from what it declares."""
    config = _config(tmp_path / "schemathesis.toml", registry["secrets"][caller], caller)
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and k != "SCHEMATHESIS_HOOKS"}
    run = subprocess.run([*_schemathesis(), "--no-color", "--config-file", str(config), "run",
                          registry["server"].url + "api/v1/openapi.json", "--checks", ",".join(CHECKS)],
                         capture_output=True, text=True, env={**env, "NO_COLOR": "1"}, cwd=tmp_path,
                         timeout=None if _LEVEL else 300)
    assert run.returncode == 0, f"schemathesis found problems as {caller}:\n{run.stdout[-20000:]}\n{run.stderr[-4000:]}"
    # Every operation was tested but GET /openapi.json, which schemathesis leaves out (it is the document).
    document = httpx.get(registry["server"].url + "api/v1/openapi.json", timeout=10).json()
    operations = sum(len(methods) for methods in document["paths"].values()) - 1
    assert f"Selected: {operations}/{operations}" in run.stdout and f"Tested: {operations}" in run.stdout, run.stdout


def test_the_server_is_still_ready_and_its_package_still_installs(registry, tmp_path):
    """Runs after the fuzzing (same module, same server): nothing it sent broke the server's state."""
    server = registry["server"]
    assert httpx.get(server.url + "readyz", timeout=10).status_code == 200
    errors = [entry for entry in server.log() if entry.get("event") == "error" or entry.get("status", 0) >= 500]
    assert errors == [], errors[:3]
    workspace = tmp_path / "ws"
    workspace.mkdir()
    _home(tmp_path)("package", "install", "triage", "--registry", server.url, cwd=workspace)
    lock = json.loads((workspace / "agentops.lock").read_text())
    assert lock["packages"]["triage"]["version"] == "1.0.0"
