"""The README works as written.

Every shell block marked ```` ```sh runnable ```` runs, in the order of the page, as a reader would
type it: each with ``bash -euo pipefail`` from the repository's root, all in one temporary HOME
(with the XDG folders inside it), with the venv's ``bin`` on PATH and the repository at
$AGENTPACK_REPO. The page's first block is the demo and the test command: the demo runs here; the
test command is checked to be what CI runs (running it here would run this test again).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from conftest import REPO

README = REPO / "README.md"
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<code>.*?)^```[ \t]*$", re.M | re.S)


@dataclass
class Block:
    info: list[str]  # the fence's info string, split: ["sh", "runnable"]
    code: str
    line: int  # of the opening fence, 1-based
    section: str  # the heading above it

    @property
    def commands(self) -> list[str]:
        """The block's lines without comments and blank lines."""
        return [line.split("#", 1)[0].strip() for line in self.code.splitlines() if line.split("#", 1)[0].strip()]


def readme_blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        before = text[:match.start()]
        headings = re.findall(r"^#+ (.+)$", before, re.M)
        blocks.append(Block(match["info"].split(), match["code"], before.count("\n") + 1,
                            headings[-1] if headings else ""))
    return blocks


def shell_blocks() -> list[Block]:
    return [b for b in readme_blocks() if b.info[:1] in (["sh"], ["bash"], ["shell"])]


def reader_env(home: Path) -> dict[str, str]:
    """A reader's environment with nothing of agentpack's configured: a fresh HOME and XDG folders."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTOPS_", "XDG_"))}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local/share"), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_CONFIG_HOME=str(home / ".config"), XDG_STATE_HOME=str(home / ".local/state"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
               AGENTPACK_REPO=str(REPO), NO_COLOR="1")
    return env


def run_block(block: Block, env: dict[str, str]) -> None:
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", block.code], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    where = f"README.md:{block.line} (under '{block.section}')"
    output = f"--- block ---\n{block.code}--- stdout ---\n{proc.stdout}--- stderr ---\n{proc.stderr}"
    assert proc.returncode == 0, f"{where} failed with exit {proc.returncode}\n{output}"
    assert "Traceback" not in proc.stderr, f"{where} printed a traceback\n{output}"


def test_the_quick_start_and_every_block_after_it_are_runnable() -> None:
    shells = shell_blocks()
    first, rest = shells[0], shells[1:]
    not_runnable = [b for b in rest if "runnable" not in b.info and b.section != "Development"]
    assert not not_runnable, "shell blocks not marked runnable: " + ", ".join(f"README.md:{b.line}" for b in not_runnable)
    assert "runnable" not in first.info  # it runs the test suite: see the two tests below
    assert any(b.section == "Quick start" for b in rest if "runnable" in b.info)


def test_runnable_blocks_run_in_order_in_a_fresh_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = reader_env(home)
    runnable = [b for b in shell_blocks() if "runnable" in b.info]
    assert len(runnable) >= 5
    for block in runnable:
        run_block(block, env)
    # What the blocks claim happened, checked once at the end.
    installed = subprocess.run(["agentops", "package", "list", "--json"], cwd=home / "sales", env=env,
                               capture_output=True, text=True, check=True).stdout
    for name in ("customer-service", "core-workflow", "communication-patterns", "refund-desk"):
        assert f'"{name}"' in installed, installed
    assert (home / "carry" / "sales" / "agentops.lock").read_bytes() == (home / "sales" / "agentops.lock").read_bytes()


def test_the_first_command_is_the_demo_and_it_runs(tmp_path: Path) -> None:
    first = shell_blocks()[0]
    assert first.commands[0] == "./scripts/demo.sh", first.code
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTOPS_")}
    env.update(HOME=str(tmp_path), NO_COLOR="1")  # the demo keeps its registry and workspace in .demo/
    proc = subprocess.run(["bash", "-c", first.commands[0]], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "customer-service@1.2.0" in proc.stdout and "core-workflow@2.1.0" in proc.stdout, proc.stdout


def test_the_readme_test_command_is_the_one_ci_runs() -> None:
    first = shell_blocks()[0]
    assert first.commands[1:] == ["./scripts/test.sh"], first.code
    ci = [line.split("#", 1)[0].strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert "./scripts/test.sh" in ci and "export CI=true" in ci, ci


def test_the_yaml_examples_follow_their_json_schemas() -> None:
    import json

    import yaml
    from jsonschema import Draft202012Validator

    schemas = REPO / "src" / "agentpack" / "schemas"
    examples = {b.section: yaml.safe_load(b.code) for b in readme_blocks() if b.info[:1] == ["yaml"]}
    for section, schema in [("The package: `package.yaml`", "package.schema.json"),
                            ("Quality gates: `validations/*.yaml`", "gates.schema.json")]:
        validator = Draft202012Validator(json.loads((schemas / schema).read_text()))
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(examples[section])]
        assert not errors, f"README's example under '{section}' breaks {schema}: {errors}"


def test_the_workspace_example_of_registries_is_valid_and_routes_as_the_text_says() -> None:
    from agentpack.adapters.yamlio import load_yaml
    from agentpack.core.registry_routes import routing_from
    from agentpack.core.workspace_manifest import parse_workspace_manifest

    [example] = [b for b in readme_blocks() if b.section == "The workspace" and b.info[:1] == ["yaml"]]
    data, lines = load_yaml(example.code, source="README.md")
    manifest = parse_workspace_manifest(data, lines, source="README.md")
    routing = routing_from(manifest.registries, "/ws", lambda: None)
    for name in manifest.packages:
        wanted = "file:///srv/team-alpha" if name.startswith("team-alpha/") else "./registry"
        assert [slot.location for slot in routing.for_name(name)] == [wanted], name
