"""The pure plan from a proposed package to a package folder: layout, manifest, dropped references."""

from __future__ import annotations

from agentpack.adapters.yamlio import dump_yaml
from agentpack.core.extract_plan import GETTING_STARTED, plan_package
from agentpack.core.readers import Component, Listing, ProposedPackage

FILES = {
    "a/agents/reviewer.md": b"---\nname: reviewer\n---\nA\r\n",
    "b/agents/reviewer.md": b"---\nname: reviewer\n---\nB",
    "skills/pdf/SKILL.md": b"---\nname: pdf\n---\n",
    "skills/pdf/scripts/x.py": b"print(1)\n",
    "README.md": b"# Source\n",
    "LICENSE.txt": b"MIT License\n",
}


def package(**fields) -> ProposedPackage:
    components = (
        Component("agents", "reviewer", "a/agents/reviewer.md", ("a/agents/reviewer.md",)),
        Component("agents", "reviewer", "b/agents/reviewer.md", ("b/agents/reviewer.md",)),
        Component("skills", "pdf", "skills/pdf", ("skills/pdf/SKILL.md", "skills/pdf/scripts/x.py")),
    )
    return ProposedPackage(**{"name": "tools", "components": components, **fields})


def test_components_land_in_the_seed_layout_and_same_names_do_not_overwrite():
    plan = plan_package(package(), Listing(FILES), dump_yaml)
    assert plan.copies == {"agents/reviewer.md": "a/agents/reviewer.md", "agents/2/reviewer.md": "b/agents/reviewer.md",
                           "skills/pdf/SKILL.md": "skills/pdf/SKILL.md",
                           "skills/pdf/scripts/x.py": "skills/pdf/scripts/x.py"}
    assert plan.manifest["agents"] == ["agents/reviewer.md", "agents/2/reviewer.md"]
    assert plan.manifest["skills"] == ["skills/pdf"]
    assert [f.code for f in plan.findings] == ["renamed-component"]


def test_manifest_fields_readme_license_and_generated_description():
    plan = plan_package(package(readme="README.md", license_file="LICENSE.txt", license="MIT",
                                repository="https://example.org/tools", keywords=("a",), category="dev"),
                        Listing(FILES), dump_yaml)
    m = plan.manifest
    assert (m["license"], m["homepage"], m["keywords"]) == ("MIT", "https://example.org/tools", ["a", "dev"])
    assert m["description"] == "tools: 2 agents, 1 skills"
    assert "repository" not in m and m["documentation"] == {"getting_started": GETTING_STARTED}
    assert plan.generated["README.md"] == b"# Source\n" and plan.copies["LICENSE"] == "LICENSE.txt"
    assert b"agentops package install tools@0.1.0" in plan.generated[GETTING_STARTED]


def test_dependencies_and_mcp_servers_keep_only_what_agentpack_expresses():
    plan = plan_package(package(dependencies=("core-workflow@^2.0.0", "owner/repo/sub", "Bad Name"),
                                mcp_servers={"local": {"type": "stdio", "command": "x", "env": {"N": 1}},
                                             "remote": {"url": "https://x", "oauth": True},
                                             "nothing": {"type": "stdio"}}),
                        Listing(FILES), dump_yaml)
    assert plan.manifest["dependencies"] == ["core-workflow@^2.0.0"]
    assert plan.manifest["mcp_servers"] == {"local": {"command": "x", "env": {"N": "1"}},
                                            "remote": {"url": "https://x"}}
    codes = sorted(f.code for f in plan.findings)
    assert codes == ["dependency-dropped", "dependency-dropped", "mcp-field-dropped", "mcp-server-dropped",
                     "renamed-component"]


def test_a_second_skill_of_one_name_gets_a_numbered_folder():
    files = {**FILES, "other/pdf/SKILL.md": b"---\nname: pdf\n---\n"}
    twin = Component("skills", "pdf", "other/pdf", ("other/pdf/SKILL.md",))
    base = package()
    plan = plan_package(package(components=(*base.components, twin)), Listing(files), dump_yaml)
    assert plan.manifest["skills"] == ["skills/pdf", "skills/pdf-2"]
    assert plan.copies["skills/pdf-2/SKILL.md"] == "other/pdf/SKILL.md"
