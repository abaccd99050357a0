"""A package's own gates applied to itself (what validate, build and publish run)."""

from agentpack.adapters.yamlio import load_yaml
from agentpack.core.manifest import Manifest
from agentpack.core.package_gates import check_own_gates, package_components

GATES = b"""\
version: 1
rules:
  - id: agent-fields
    description: Agents name themselves.
    files: agents/**/*.md
    require_frontmatter: [name]
  - id: steps
    description: Step agents exist.
    files: workflows/*.md
    resolve_step_agents: true
  - id: keys
    description: Settings are complete.
    files: config/*.yaml
    severity: warning
    require_keys: [model]
"""

WORKFLOW = b"""\
---
name: flow
steps:
  - agent: triage
  - agent: researcher
    package: core-workflow
  - agent: writer
    package: somebody-else
---
"""


def manifest(**fields) -> Manifest:
    return Manifest.from_dict({"name": "kit", "version": "1.0.0", "dependencies": ["core-workflow@^2.0.0"],
                               "agents": ["agents/triage.md", "prompts/helper.md"],
                               "workflows": ["workflows/flow.md"], "validations": ["validations/gates.yaml"],
                               "config": {"defaults": "settings.yaml"}, **fields})


FILES = {
    "validations/gates.yaml": GATES,
    "agents/triage.md": b"---\nname: triage\n---\n",
    "agents/unlisted.md": b"no frontmatter, but not listed, so not a component\n",
    "prompts/helper.md": b"# no frontmatter\n",
    "workflows/flow.md": WORKFLOW,
    "settings.yaml": b"currency: EUR\n",
}


def test_own_gates_check_listed_components_under_their_package_paths():
    found = check_own_gates(manifest(), FILES, load_yaml)
    assert [(p.path, p.line, p.severity, p.code) for p in found] == [
        ("prompts/helper.md", 1, "error", "gate:agent-fields"),  # listed as an agent from outside agents/
        ("settings.yaml", 1, "warning", "gate:keys"),  # config listed from the package's top level
        ("workflows/flow.md", 8, "error", "gate:steps"),  # a dependency's agents are taken on trust
    ]
    assert "package 'somebody-else', which is not available here" in found[2].message


def test_components_are_keyed_where_the_package_installs_them():
    components, locations = package_components(manifest(), FILES)
    assert sorted(components) == ["agents/prompts/helper.md", "agents/triage.md", "config/settings.yaml",
                                  "workflows/flow.md"]
    assert locations["agents/prompts/helper.md"] == "prompts/helper.md"
    assert locations["config/settings.yaml"] == "settings.yaml"


def test_bad_gates_file_and_other_validation_files():
    files = dict(FILES, **{"validations/gates.yaml": b"version: 1\nrules:\n  - id: x\n", "validations/notes.md": b"x"})
    found = check_own_gates(manifest(validations=["validations/gates.yaml", "validations/notes.md",
                                                  "validations/missing.yaml"]), files, load_yaml)
    assert [(p.path, p.line, p.code) for p in found] == [
        ("validations/gates.yaml", 3, "invalid-gates"), ("validations/gates.yaml", 3, "invalid-gates"),
    ]


def test_no_gates_no_problems():
    assert check_own_gates(manifest(validations=[]), FILES, load_yaml) == []
