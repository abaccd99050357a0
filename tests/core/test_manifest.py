import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentpack.adapters.yamlio import dump_yaml, load_yaml
from agentpack.core.manifest import (
    CATEGORIES,
    FILE_KINDS,
    Manifest,
    check_manifest,
    normalize_path,
)
from agentpack.core.package_check import check_package
from agentpack.services.validate import load_schema

SCHEMA = load_schema()

# The seed's "Package Structure Specification" example, verbatim.
SEED_MANIFEST = """\
name: customer-service
version: 1.2.0
description: Customer service workflows and patterns
author: Your Team
license: MIT

dependencies:
  - core-workflow@^2.0.0
  - communication-patterns@^1.5.0

agents:
  - agents/handle-inquiry.md
  - agents/process-refund.md
  - agents/escalate-complaint.md

workflows:
  - workflows/resolve-ticket.md
  - workflows/handle-escalation.md

patterns:
  - patterns/empathetic-resolution.md
  - patterns/proactive-compensation.md

config:
  validation_rules: config/validation-rules.yaml
  escalation_thresholds: config/escalation-thresholds.yaml
  defaults: config/default-settings.yaml

documentation:
  getting_started: docs/getting-started.md
  best_practices: docs/best-practices.md
"""

MINIMAL = "name: x\nversion: 1.0.0\nlicense: MIT\n"


def check(text: str, *, strict: bool = False):
    data, lines = load_yaml(text, source="package.yaml")
    return check_manifest(data, lines, SCHEMA, strict=strict)


def codes(problems) -> list[tuple[str, str, int | None]]:
    return [(p.severity, p.code, p.line) for p in problems]


def seed_package(manifest: str = SEED_MANIFEST, **extra: bytes) -> dict[str, bytes]:
    data, _ = load_yaml(manifest, source="package.yaml")
    files = {"package.yaml": manifest.encode(), "README.md": b"# Customer service\n"}
    for kind in FILE_KINDS:
        for path in data.get(kind) or ():
            files[path] = f"---\nname: {path.rsplit('/', 1)[-1][:-3]}\ndescription: d\n---\nBody\n".encode()
    for kind in ("config", "documentation"):
        for path in (data.get(kind) or {}).values():
            files[path] = b"key: value\n" if path.endswith(".yaml") else b"# Doc\n"
    files.update(extra)
    return files


def test_the_seed_example_is_valid():
    manifest, problems = check(SEED_MANIFEST)
    assert problems == []
    assert manifest.name == "customer-service" and manifest.version == "1.2.0"
    assert manifest.dependencies == {"core-workflow": "^2.0.0", "communication-patterns": "^1.5.0"}
    assert manifest.component_counts() == {"agents": 3, "workflows": 2, "patterns": 2, "validations": 0,
                                           "commands": 0, "rules": 0, "skills": 0}
    assert manifest.config["defaults"] == "config/default-settings.yaml"
    assert manifest.homepage is None and manifest.extra == {}


def test_the_seed_example_package_has_no_problems():
    manifest, problems = check_package(seed_package(), SCHEMA, load_yaml)
    assert problems == []
    assert len(manifest.listed_files()) == 12


def test_unknown_field_is_reported_at_its_line():
    text = "name: x\nversion: 1.0.0\nlicense: MIT\n\n# a comment\nagents: []\nmaintainer: someone\n"
    manifest, problems = check(text)
    assert codes(problems) == [("warning", "unknown-field", 7)]
    assert problems[0].field == "maintainer" and problems[0].path == "package.yaml"
    assert manifest.extra == {"maintainer": "someone"}


def test_unknown_field_suggests_the_known_one():
    _, [problem] = check(MINIMAL + "dependancies: []\n")
    assert "did you mean 'dependencies'" in problem.message


def test_strict_turns_warnings_into_errors_and_says_so():
    _, [problem] = check(MINIMAL + "extra-field: 1\n", strict=True)
    assert (problem.severity, problem.code) == ("error", "unknown-field")
    assert "--strict" in problem.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version: 1.0.0\nlicense: MIT\n", [("error", "missing-field", 1)]),
        ("license: MIT\n", [("error", "missing-field", 1), ("error", "missing-field", 1)]),
        ("name: Bad_Name\nversion: 1.0.0\nlicense: MIT\n", [("error", "invalid-name", 1)]),
        ("name: x\nversion: 1.0\nlicense: MIT\n", [("error", "invalid-field", 2)]),
        ("name: x\nversion: '1.0'\nlicense: MIT\n", [("error", "invalid-version", 2)]),
        ("name: x\nversion: 1.0.0\n", [("error", "no-license", None)]),
        ("name: x\nversion: 1.0.0\nlicense: ''\n", [("error", "no-license", 3)]),
        ("name: x\nversion: 1.0.0\nlicense: [MIT]\n", [("error", "invalid-field", 3)]),
        (MINIMAL + "agents: agents/a.md\n", [("error", "invalid-field", 4)]),
        (MINIMAL + "agents:\n  - agents/a.md\n  - 42\n", [("error", "invalid-field", 6)]),
        (MINIMAL + "config:\n  a: [x]\n", [("error", "invalid-field", 5)]),
        (MINIMAL + "keywords: [a, 1]\n", [("error", "invalid-field", 4)]),
        (MINIMAL + "homepage: not a url\n", [("error", "invalid-field", 4)]),
        (MINIMAL + "homepage: https://example.org/x\n", []),
        (MINIMAL + "description: 12\n", [("error", "invalid-field", 4)]),
        (MINIMAL + "dependencies:\n  - good@^1.0.0\n  - Bad@^1.0.0\n", [("error", "invalid-dependency", 6)]),
        (MINIMAL + "dependencies:\n  - good@not-a-range!\n", [("error", "invalid-dependency", 5)]),
        (MINIMAL + "dependencies:\n  - good@\n", [("error", "invalid-dependency", 5)]),
        (MINIMAL + "dependencies:\n  - a@^1\n  - b@^1\n  - a@^2\n", [("error", "duplicate-dependency", 7)]),
        (MINIMAL + "dependencies:\n  - x@^1.0.0\n", [("error", "self-dependency", 5)]),
        (MINIMAL + "dependencies:\n  - nope@>=3 <1\n", [("error", "empty-range", 5)]),
        (MINIMAL + "dependencies:\n  - nope@>2.0.0 <=2.0.0 || >=3 <1\n", [("error", "empty-range", 5)]),
        (MINIMAL + "dependencies:\n  - fine@>=3 <1 || ^4\n", []),
        (MINIMAL + "dependencies: core-workflow@^2\n", [("error", "invalid-field", 4)]),
        (MINIMAL + "agents:\n  - /etc/passwd\n", [("error", "unsafe-path", 5)]),
        (MINIMAL + "agents:\n  - ../outside.md\n", [("error", "unsafe-path", 5)]),
        (MINIMAL + "agents:\n  - agents\\a.md\n", [("error", "unsafe-path", 5)]),
        (MINIMAL + "config:\n  a: C:/x.yaml\n", [("error", "unsafe-path", 5)]),
        (
            MINIMAL + "agents:\n  - agents/a.md\npatterns:\n  - ./agents/a.md\n",
            [("warning", "duplicate-path", 7)],
        ),
        (MINIMAL + "agents: []\nworkflows: []\nconfig: {}\nkeywords: []\n", []),
        (MINIMAL + "category: industry\n", []),
        (MINIMAL + "category: Domain\n", [("error", "invalid-field", 4)]),
        (MINIMAL + "category: vertical\n", [("error", "invalid-field", 4)]),
        (MINIMAL + "category: [domain]\n", [("error", "invalid-field", 4)] * 2),  # not a string, not one of four
    ],
)
def test_manifest_problems(text, expected):
    _, problems = check(text)
    assert codes(problems) == expected


def test_messages_name_the_entry_and_the_fix():
    _, problems = check(MINIMAL + "dependencies:\n  - Core_Workflow@^2.0.0\n")
    assert "'Core_Workflow@^2.0.0'" in problems[0].message and "'core-workflow'" in problems[0].message
    _, problems = check("name: x\nversion: 1.0\nlicense: MIT\n")
    assert 'in quotes, e.g. version: "1.2.0"' in problems[0].message
    _, problems = check(MINIMAL + "author: 12\n")
    assert 'put it in quotes: "12"' in problems[0].message
    _, problems = check(MINIMAL + "agents:\n  - ../x.md\n")
    assert problems[0].message.startswith("agents[0]: '../x.md'")


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "", "42\n"])
def test_a_manifest_that_is_not_a_mapping(text):
    manifest, problems = check(text)
    assert manifest is None
    assert codes(problems)[0][:2] == ("error", "not-a-mapping")


def test_paths_are_normalised():
    manifest, problems = check(MINIMAL + "agents:\n  - ./agents//a.md\nconfig:\n  d: ./config/d.yaml\n")
    assert problems == []
    assert manifest.agents == ("agents/a.md",)
    assert manifest.config == {"d": "config/d.yaml"}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("agents/a.md", "agents/a.md"),
        ("./a/./b.md", "a/b.md"),
        ("a//b.md", "a/b.md"),
        ("/abs.md", None),
        ("a/../b.md", None),
        ("..", None),
        ("a\\b.md", None),
        ("c:/x", None),
        ("./", None),
        ("a\0b", None),
    ],
)
def test_normalize_path(path, expected):
    normalized, reason = normalize_path(path)
    assert (normalized if reason is None else None) == expected


def test_manifest_methods():
    manifest = Manifest(
        name="x",
        version="1.0.0",
        license="MIT",
        agents=("agents/a.md", "shared/s.md"),
        patterns=("shared/s.md",),
        config={"d": "config/d.yaml"},
        documentation={"readme": "README.md", "getting_started": "docs/gs.md"},
        dependencies={"b": "^1.0.0", "a": "*"},
        extra={"custom": {"k": 1}},
    )
    assert manifest.listed_files() == [
        "agents/a.md",
        "shared/s.md",
        "config/d.yaml",
        "README.md",
        "docs/gs.md",
    ]
    assert manifest.component_counts() == {"agents": 2, "workflows": 0, "patterns": 1, "validations": 0,
                                           "commands": 0, "rules": 0, "skills": 0}
    data = manifest.to_dict()
    assert list(data) == ["name", "version", "license", "dependencies", "agents", "patterns", "config",
                          "documentation", "custom"]  # fmt: skip
    assert data["dependencies"] == ["b@^1.0.0", "a@*"]
    assert json.loads(json.dumps(data)) == data
    assert Manifest.from_dict(data) == manifest


def test_from_dict_accepts_registry_shapes():
    manifest = Manifest.from_dict({"name": "x", "version": "1.0.0", "dependencies": {"a": "^1"}})
    assert manifest.dependencies == {"a": "^1"} and manifest.license == "" and manifest.agents == ()
    manifest = Manifest.from_dict({"name": "x", "version": "1.0.0", "dependencies": ["a", "b@ ^2"]})
    assert manifest.dependencies == {"a": "*", "b": "^2"}
    raw = {
        "name": "x",
        "version": "1.0.0",
        "agents": ["./agents/a.md", "../up.md"],
        "config": {"d": "./c.yaml"},
    }
    manifest = Manifest.from_dict(raw)
    assert manifest.agents == ("agents/a.md", "../up.md") and manifest.config == {"d": "c.yaml"}


@pytest.mark.parametrize("category", CATEGORIES)
def test_category_is_one_of_the_seeds_four_and_round_trips(category):
    manifest, problems = check(MINIMAL + f"keywords: [k]\ncategory: {category}\n")
    assert problems == [] and manifest.category == category and manifest.extra == {}
    data = manifest.to_dict()
    assert list(data)[-2:] == ["keywords", "category"] and data["category"] == category
    assert Manifest.from_dict(data) == manifest


def test_a_manifest_without_category_stays_valid_and_has_none():
    manifest, problems = check(SEED_MANIFEST)
    assert problems == [] and manifest.category is None and "category" not in manifest.to_dict()
    wrong, _ = check(MINIMAL + "category: vertical\n")
    assert wrong.category is None  # a value outside the four is an error and never reaches the model


def test_to_dict_makes_yaml_dates_json_ready():
    manifest, _ = check(MINIMAL + "released: 2024-01-31\n")
    assert manifest.to_dict()["released"] == "2024-01-31"


# --- whole packages -------------------------------------------------------------------------------


def test_missing_manifest():
    manifest, problems = check_package({"README.md": b"x", "sub/package.yaml": b"name: x"}, SCHEMA, load_yaml)
    assert manifest is None
    assert codes(problems) == [("error", "missing-manifest", None)]
    assert "sub/package.yaml" in problems[0].message


def test_manifest_that_does_not_parse():
    manifest, problems = check_package({"package.yaml": b"name: x\nversion: [1\n"}, SCHEMA, load_yaml)
    assert manifest is None
    assert codes(problems) == [("error", "invalid-yaml", 3)]


def test_every_package_problem_is_reported_at_once():
    files = seed_package()
    del files["agents/process-refund.md"]  # listed, missing
    del files["README.md"]
    files["agents/stray.md"] = b"---\nname: stray\n---\n"  # present, unlisted
    files["config/.gitkeep"] = b""  # dotfiles are not content
    files["workflows/resolve-ticket.md"] = b"---\nglobs: **/*\n---\nbody\n"
    files["patterns/empathetic-resolution.md"] = b"\xff\xfe not utf-8"
    manifest, problems = check_package(files, SCHEMA, load_yaml)
    assert manifest is not None
    assert [(p.path, p.line, p.code, p.severity) for p in problems] == [
        ("agents/stray.md", None, "unlisted-file", "warning"),
        ("package.yaml", None, "incomplete-docs", "warning"),
        ("package.yaml", 13, "missing-file", "error"),
        ("patterns/empathetic-resolution.md", 1, "not-utf8", "warning"),
        ("workflows/resolve-ticket.md", 2, "bad-frontmatter", "warning"),
    ]
    _, strict = check_package(files, SCHEMA, load_yaml, strict=True)
    assert {p.severity for p in strict} == {"error"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"README.md": None}, "README.md"),
        ({"docs/getting-started.md": None}, None),  # the documentation entry still lists it: missing-file
        ({"readme.md": b"# lower case is fine", "README.md": None}, None),
    ],
)
def test_documentation_completeness(change, expected):
    files = seed_package()
    for path, content in change.items():
        if content is None:
            del files[path]
        else:
            files[path] = content
    _, problems = check_package(files, SCHEMA, load_yaml)
    docs = [p for p in problems if p.code == "incomplete-docs"]
    assert (docs[0].message if docs else None) == (None if expected is None else docs[0].message)
    if expected:
        assert expected in docs[0].message


def test_getting_started_file_without_documentation_entry():
    text = MINIMAL
    files = {"package.yaml": text.encode(), "README.md": b"#", "docs/getting-started.md": b"#"}
    assert check_package(files, SCHEMA, load_yaml)[1] == []
    del files["docs/getting-started.md"]
    [problem] = check_package(files, SCHEMA, load_yaml)[1]
    assert problem.code == "incomplete-docs" and "getting-started" in problem.message


def test_listed_folder_and_case_mismatch_are_explained():
    text = MINIMAL + "agents:\n  - agents\n  - agents/Triage.md\n"
    files = {"package.yaml": text.encode(), "README.md": b"#", "docs/getting-started.md": b"#",
             "agents/triage.md": b"# t"}  # fmt: skip
    _, problems = check_package(files, SCHEMA, load_yaml)
    missing = [p for p in problems if p.code == "missing-file"]
    assert [p.line for p in missing] == [5, 6]
    assert "is a folder" in missing[0].message
    assert "case-sensitive" in missing[1].message and "'agents/triage.md'" in missing[1].message


def test_listed_markdown_outside_component_folders_is_still_checked():
    text = MINIMAL + "agents:\n  - shared/a.md\n"
    files = {"package.yaml": text.encode(), "README.md": b"#", "docs/getting-started.md": b"#",
             "shared/a.md": b"---\ndescription: Use it: now\n---\n"}  # fmt: skip
    [problem] = check_package(files, SCHEMA, load_yaml)[1]
    assert (problem.code, problem.path, problem.line) == ("bad-frontmatter", "shared/a.md", 2)


def test_validation_and_config_files_are_not_frontmatter_checked():
    text = MINIMAL + "validations:\n  - validations/v.md\n"
    files = {"package.yaml": text.encode(), "README.md": b"#", "docs/getting-started.md": b"#",
             "validations/v.md": b"---\nglobs: **/*\n---\n"}  # fmt: skip
    assert check_package(files, SCHEMA, load_yaml)[1] == []


# --- properties -----------------------------------------------------------------------------------

segment = st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}", fullmatch=True)
package_name = st.one_of(segment, st.builds(lambda a, b: f"{a}/{b}", segment, segment))
version = st.builds(lambda a, b, c: f"{a}.{b}.{c}", *[st.integers(0, 30)] * 3)
file_stem = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)
plain_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40)
non_empty_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
)


@st.composite
def manifests(draw) -> dict:
    name = draw(package_name)
    data: dict = {
        "name": name,
        "version": draw(version),
        "license": draw(st.sampled_from(["MIT", "Apache-2.0"])),
    }
    if draw(st.booleans()):
        data["description"] = draw(non_empty_text)
    if draw(st.booleans()):
        data["author"] = draw(non_empty_text)
    deps = draw(st.lists(package_name.filter(lambda n: n != name), unique=True, max_size=4))
    if deps:
        data["dependencies"] = [f"{dep}@^{draw(version)}" for dep in deps]
    for kind in FILE_KINDS:
        stems = draw(st.lists(file_stem, unique=True, max_size=4))
        if stems:
            data[kind] = [f"{kind}/{stem}.md" for stem in stems]
    configs = draw(
        st.dictionaries(file_stem, file_stem, max_size=3).filter(lambda d: len(set(d.values())) == len(d))
    )
    if configs:
        data["config"] = {key: f"config/{value}.yaml" for key, value in configs.items()}
    data["documentation"] = {"getting_started": "docs/getting-started.md"}
    if draw(st.booleans()):
        data["keywords"] = draw(st.lists(file_stem, min_size=1, max_size=3))
    if draw(st.booleans()):
        data["homepage"] = f"https://example.org/{draw(file_stem)}"
    return data


def package_files(data: dict) -> dict[str, bytes]:
    files = {"package.yaml": dump_yaml(data).encode(), "README.md": b"# readme\n"}
    for kind in FILE_KINDS:
        for path in data.get(kind, ()):
            files[path] = b"---\nname: n\n---\nbody\n"
    for path in [*data.get("config", {}).values(), *data["documentation"].values()]:
        files[path] = b"a: 1\n"
    return files


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(manifests())
def test_generated_valid_packages_validate_and_round_trip(data):
    manifest, problems = check_package(package_files(data), SCHEMA, load_yaml, strict=True)
    assert problems == []
    assert manifest.to_dict() == data
    assert Manifest.from_dict(manifest.to_dict()) == manifest
    assert check_manifest(manifest.to_dict(), {}, SCHEMA)[1] == []


junk_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | plain_text,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(plain_text | st.integers(), inner, max_size=4)
    ),
    max_leaves=20,
)
junk_manifests = st.one_of(
    junk_values,
    st.dictionaries(st.sampled_from([*SCHEMA["properties"], "other"]), junk_values, max_size=8),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(junk_manifests, st.booleans())
def test_junk_manifests_only_ever_produce_problems(data, strict):
    files = {"package.yaml": dump_yaml(data).encode(), "agents/a.md": b"---\n: : :\n---\n"}
    manifest, problems = check_package(files, SCHEMA, load_yaml, strict=strict)
    assert all(p.severity in ("error", "warning") for p in problems)
    if manifest is not None:
        json.dumps(manifest.to_dict())


@settings(max_examples=150)
@given(st.text(max_size=200))
def test_junk_yaml_text_only_ever_produces_problems(text):
    check_package({"package.yaml": text.encode("utf-8", "surrogatepass")}, SCHEMA, load_yaml)


@given(st.lists(st.sampled_from(list("ab./\\:\0 C") + ["..", "x.md"]), max_size=20).map("".join))
def test_normalize_path_agrees_with_its_step_by_step_reading(path):
    from agentpack.core.manifest import normalize_path

    def by_steps(text):
        if "\\" in text or "\0" in text:
            return None
        if text.startswith("/") or (len(text) > 1 and text[1] == ":" and text[0].isalpha()):
            return None
        parts = [part for part in text.split("/") if part not in ("", ".")]
        return None if ".." in parts or not parts else "/".join(parts)

    normalized, reason = normalize_path(path)
    assert (normalized if reason is None else None) == by_steps(path)
