"""Quality gates: the rule format (parse, reject with lines) and every check kind, as data tables."""

import json
from importlib.resources import files as package_files
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker

from agentpack.adapters.yamlio import load_yaml
from agentpack.core.gate_checks import MAX_MATCHES_PER_FILE
from agentpack.core.gates import ANY_AGENT, INVALID_GATES, evaluate, load_rules, rule_id_of
from agentpack.errors import Problem
from conftest import CORPUS, needs_corpus

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads(package_files("agentpack").joinpath("schemas", "gates.schema.json").read_text())


def gates(*rules: str) -> str:
    """A gates file holding the given rules (each a YAML block of 'key: value' lines, unindented)."""
    body = "".join("  - " + "\n    ".join(rule.strip().splitlines()) + "\n" for rule in rules)
    return "version: 1\nrules:\n" + body


def parse(text: str):
    return load_rules(text, load_yaml, source="gates.yaml")


def check(rule: str, files: dict[str, str | bytes], **options) -> list[tuple[str, int | None, str]]:
    """Violations of one rule (id r) as (path, line, message without the rule prefix)."""
    rules, problems = parse(gates(rule))
    assert problems == []
    content = {path: text.encode() if isinstance(text, str) else text for path, text in files.items()}
    found = evaluate(rules, content, load_yaml, package=options.pop("package", "pkg"), **options)
    for problem in found:
        assert problem.code == "gate:r" and problem.message.startswith("[r] ")
    return [(p.path, p.line, p.message[len("[r] "):]) for p in found]


AGENT = "---\nname: triage\ndescription: Sorts requests\ntools: Read\nmodel: inherit\n---\n\n# Triage\n"

# (case id, rule, files, expected [(path, line, fragment of the message)])
CHECK_CASES = [
    # require_frontmatter
    ("fields-present", "id: r\ndescription: d\nfiles: agents/*.md\nrequire_frontmatter: [name, model]",
     {"agents/a.md": AGENT}, []),
    ("field-missing", "id: r\ndescription: d\nfiles: agents/*.md\nrequire_frontmatter: [name, color]",
     {"agents/a.md": AGENT}, [("agents/a.md", 1, "no 'color' field")]),
    ("field-empty", "id: r\ndescription: d\nfiles: agents/*.md\nrequire_frontmatter: [description]",
     {"agents/a.md": "---\nname: a\ndescription:\n---\n"}, [("agents/a.md", 3, "'description' is empty")]),
    ("no-frontmatter", "id: r\ndescription: d\nfiles: agents/*.md\nrequire_frontmatter: [name]",
     {"agents/a.md": "# Just a title\n"}, [("agents/a.md", 1, "has no frontmatter")]),
    ("frontmatter-unreadable", "id: r\ndescription: d\nfiles: rules/*.mdc\nrequire_frontmatter: [globs]",
     {"rules/a.mdc": "---\ndescription: x\nglobs: **/*\n---\n"},
     [("rules/a.mdc", 3, "the frontmatter is unreadable, so the required fields (globs) cannot be checked")]),
    ("frontmatter-not-mapping", "id: r\ndescription: d\nfiles: agents/*.md\nrequire_frontmatter: [name]",
     {"agents/a.md": "---\n- a\n- b\n---\n"}, [("agents/a.md", 2, "not a mapping")]),
    ("frontmatter-not-utf8", "id: r\ndescription: d\nfiles: agents/*.md\nrequire_frontmatter: [name]",
     {"agents/a.md": b"---\nname: a\n---\n\xff\n"}, [("agents/a.md", 4, "not UTF-8")]),
    ("frontmatter-crlf-bom", "id: r\ndescription: d\nfiles: agents/*.md\nrequire_frontmatter: [name, x]",
     {"agents/a.md": "\ufeff---\r\nname: a\r\nx:\r\n---\r\n"}, [("agents/a.md", 3, "'x' is empty")]),
    ("frontmatter-skips-yaml", "id: r\ndescription: d\nfiles: '**/*'\nrequire_frontmatter: [name]",
     {"config/a.yaml": "x: 1\n"}, []),
    # allowed_values
    ("value-allowed", "id: r\ndescription: d\nfiles: agents/*.md\nallowed_values: {model: [inherit, sonnet]}",
     {"agents/a.md": AGENT}, []),
    ("value-not-allowed", "id: r\ndescription: d\nfiles: agents/*.md\nallowed_values: {model: [sonnet, opus]}",
     {"agents/a.md": AGENT}, [("agents/a.md", 5, "'model' is 'inherit'; allowed: sonnet, opus")]),
    ("list-item-not-allowed", "id: r\ndescription: d\nfiles: agents/*.md\nallowed_values: {tools: [Read, Grep]}",
     {"agents/a.md": "---\ntools:\n  - Read\n  - Bash\n---\n"}, [("agents/a.md", 4, "'tools' is 'Bash'")]),
    ("value-types-differ", "id: r\ndescription: d\nfiles: agents/*.md\nallowed_values: {beta: [true]}",
     {"agents/a.md": "---\nbeta: 1\n---\n"}, [("agents/a.md", 2, "'beta' is 1; allowed: True")]),
    ("value-absent-is-fine", "id: r\ndescription: d\nfiles: agents/*.md\nallowed_values: {color: [red]}",
     {"agents/a.md": AGENT, "agents/b.md": "no frontmatter\n"}, []),
    ("value-unreadable", "id: r\ndescription: d\nfiles: agents/*.md\nallowed_values: {model: [sonnet]}",
     {"agents/a.md": "---\ndescription: Triggers on: 'x'\n---\n"}, [("agents/a.md", 2, "unreadable")]),
    # max_bytes
    ("size-at-limit", "id: r\ndescription: d\nfiles: '**/*'\nmax_bytes: 6", {"a.md": "12345\n"}, []),
    ("size-over-limit", "id: r\ndescription: d\nfiles: '**/*'\nmax_bytes: 7",
     {"a.md": "12345\n12345\n", "b.yaml": "x: 1\n"}, [("a.md", 2, "is 12 bytes, over the limit of 7")]),
    # require_sections
    ("sections-present", "id: r\ndescription: d\nfiles: '*.md'\nrequire_sections: [Done when, steps]",
     {"w.md": "---\nname: w\n---\n# W\n\n## Steps ##\n\n###   done   WHEN\n"}, []),
    ("section-missing", "id: r\ndescription: d\nfiles: '*.md'\nrequire_sections: [Steps, Rules]",
     {"w.md": "---\nname: w\n---\n# W\n\n## Steps\n"}, [("w.md", 4, "has no 'Rules' section")]),
    ("section-in-code-fence", "id: r\ndescription: d\nfiles: '*.md'\nrequire_sections: [Rules]",
     {"w.md": "# W\n\n```markdown\n## Rules\n```\n"}, [("w.md", 1, "has no 'Rules' section")]),
    ("section-not-atx", "id: r\ndescription: d\nfiles: '*.md'\nrequire_sections: [Rules]",
     {"w.md": "#Rules\n    ## Rules\n**Rules**\n"}, [("w.md", 1, "has no 'Rules' section")]),
    ("section-in-frontmatter", "id: r\ndescription: d\nfiles: '*.md'\nrequire_sections: [Rules]",
     {"w.md": "---\nnote: |\n  # Rules\n---\nbody\n"}, [("w.md", 5, "has no 'Rules' section")]),
    # forbid_regex
    ("regex-each-line", "id: r\ndescription: d\nfiles: '**/*.md'\nforbid_regex: '\\bTODO\\b'",
     {"a.md": "one\nTODO: two\nthree TODO\nTODOS\n"},
     [("a.md", 2, "forbidden pattern /\\bTODO\\b/: 'TODO'"), ("a.md", 3, "'TODO'")]),
    ("regex-several", "id: r\ndescription: d\nfiles: '**/*'\nforbid_regex: ['\\d{4}-\\d{4}', '(?i)secret']",
     {"c.yaml": "card: 1234-5678\nSecret: x\n"}, [("c.yaml", 1, "'1234-5678'"), ("c.yaml", 2, "'Secret'")]),
    ("regex-line-anchors", "id: r\ndescription: d\nfiles: '**/*'\nforbid_regex: '^\\s*- \\[ \\]'",
     {"a.md": "text - [ ] not at start\n  - [ ] open item\r\n"}, [("a.md", 2, "'  - [ ]'")]),
    ("regex-none", "id: r\ndescription: d\nfiles: '**/*'\nforbid_regex: TODO", {"a.md": "all done\n"}, []),
    # require_keys
    ("keys-present", "id: r\ndescription: d\nfiles: config/*.yaml\nrequire_keys: [sla.first_response, model]",
     {"config/a.yaml": "model: x\nsla:\n  first_response: 4\n"}, []),
    ("key-missing", "id: r\ndescription: d\nfiles: config/*.yaml\nrequire_keys: [model, currency]",
     {"config/a.yaml": "# settings\nmodel: x\n"}, [("config/a.yaml", 1, "has no key 'currency'")]),
    ("nested-key-missing", "id: r\ndescription: d\nfiles: config/*.yaml\nrequire_keys: [sla.resolution]",
     {"config/a.yaml": "model: x\nsla:\n  first_response: 4\n"}, [("config/a.yaml", 2, "no key 'sla.resolution'")]),
    ("key-under-scalar", "id: r\ndescription: d\nfiles: config/*.yaml\nrequire_keys: [sla.hours]",
     {"config/a.yaml": "model: x\nsla: 4\n"}, [("config/a.yaml", 2, "no key 'sla.hours'")]),
    ("keys-root-not-mapping", "id: r\ndescription: d\nfiles: config/*.yaml\nrequire_keys: [model]",
     {"config/a.yaml": "- model\n"}, [("config/a.yaml", 1, "is not a mapping")]),
    ("keys-bad-yaml", "id: r\ndescription: d\nfiles: config/*.yaml\nrequire_keys: [model]",
     {"config/a.yaml": "model: x\nglobs: **/*\n"}, [("config/a.yaml", 2, "is not readable YAML")]),
    ("keys-skip-markdown", "id: r\ndescription: d\nfiles: '**/*'\nrequire_keys: [model]", {"a.md": "# A\n"}, []),
]


@pytest.mark.parametrize(("rule", "files", "expected"), [case[1:] for case in CHECK_CASES],
                         ids=[case[0] for case in CHECK_CASES])
def test_check_kinds(rule, files, expected):
    found = check(rule, files)
    assert [(path, line) for path, line, _ in found] == [(path, line) for path, line, _ in expected]
    for (_, _, message), (_, _, fragment) in zip(found, expected, strict=True):
        assert fragment in message


WORKFLOW = """\
---
name: flow
steps:
  - id: intake
    agent: triage
  - id: notes
    pattern: take-notes
  - id: research
    agent: researcher
    package: core
  - agent: writer
    package: comms
  - id: review
    agent: reviewer
---
"""
STEPS_RULE = "id: r\ndescription: d\nfiles: workflows/*.md\nresolve_step_agents: true"


@pytest.mark.parametrize(
    ("agents", "expected"),
    [
        # The own package's agents always come from the components; other packages from `agents`.
        ({"core": {"researcher"}, "comms": {"writer"}}, [(14, "step 'review' names agent 'reviewer', "
                                                            "which this package does not define")]),
        ({"core": {"planner"}, "comms": {"writer"}},
         [(9, "step 'research' names agent 'researcher', which package 'core' does not define"),
          (14, "step 'review'")]),
        ({"core": ANY_AGENT},
         [(12, "step 4 names package 'comms', which is not available here"), (14, "step 'review'")]),
        (lambda name: {"researcher", "writer"} if name in ("core", "comms") else None, [(14, "step 'review'")]),
        (None, [(10, "package 'core'"), (12, "package 'comms'"), (14, "step 'review'")]),
    ],
    ids=["mapping", "missing-in-other-package", "any-agent", "callable", "no-lookup"],
)
def test_step_agents(agents, expected):
    files = {"workflows/flow.md": WORKFLOW, "agents/triage.md": "no frontmatter: counted by its stem\n",
             "agents/rev.md": "---\nname: not-the-reviewer\n---\n"}
    found = check(STEPS_RULE, files, agents=agents)
    assert [(path, line) for path, line, _ in found] == [("workflows/flow.md", line) for line, _ in expected]
    for (_, _, message), (_, fragment) in zip(found, expected, strict=True):
        assert fragment in message


@pytest.mark.parametrize(
    ("workflow", "expected"),
    [
        ("---\nname: w\n---\n", []),
        ("---\nsteps: research, plan\n---\n", [(2, "'steps' is not a list")]),
        ("---\nsteps:\n  - research\n  - {pattern: p}\n---\n", []),
        ("---\nsteps:\n  - agent: [a, b]\n---\n", [(3, "'agent' and 'package' must be names")]),
        ("---\nsteps:\n  - agent: reviewer\n---\n", []),  # named in the frontmatter of agents/rev.md
        ("---\nsteps:\n  - agent: x.agent\n  - agent: x\n---\n", []),  # x.agent.md counts as both
        ("---\nname: w\nsteps: [{agent: a}]\ndescription: Triggers on: x\n---\n", [(4, "unreadable")]),
    ],
)
def test_step_agents_shapes(workflow, expected):
    files = {"workflows/w.md": workflow, "agents/rev.md": "---\nname: reviewer\n---\n", "agents/x.agent.md": "x\n"}
    found = check(STEPS_RULE, files)
    assert [(line, ) for _, line, _ in found] == [(line, ) for line, _ in expected]
    for (_, _, message), (_, fragment) in zip(found, expected, strict=True):
        assert fragment in message


def test_violation_fields_severity_locations_and_order():
    rules, problems = parse(gates(
        "id: size\ndescription: small\nfiles: '**/*.md'\nseverity: warning\nmax_bytes: 3",
        "id: fm\ndescription: fields\nfiles: agents/*.md\nrequire_frontmatter: [name]",
    ))
    assert problems == []
    found = evaluate(rules, {"agents/b.md": b"# b\n", "agents/a.md": b"# a\n"}, load_yaml, package="p",
                     locations={"agents/a.md": "agents/p/a.md"})
    assert found == [
        Problem("error", "gate:fm", "[fm] has no frontmatter; it needs a '---' block at the top with name",
                path="agents/b.md", line=1, field="require_frontmatter"),
        Problem("warning", "gate:size", "[size] is 4 bytes, over the limit of 3 (the limit falls on this line)",
                path="agents/b.md", line=1, field="max_bytes"),
        Problem("error", "gate:fm", "[fm] has no frontmatter; it needs a '---' block at the top with name",
                path="agents/p/a.md", line=1, field="require_frontmatter"),
        Problem("warning", "gate:size", "[size] is 4 bytes, over the limit of 3 (the limit falls on this line)",
                path="agents/p/a.md", line=1, field="max_bytes"),
    ]
    assert [rule_id_of(p) for p in found] == ["fm", "size", "fm", "size"]
    assert rule_id_of(Problem("error", "missing-file", "x")) is None


def test_forbid_regex_caps_matches_per_file():
    text = "TODO\n" * (MAX_MATCHES_PER_FILE + 50)
    found = check("id: r\ndescription: d\nfiles: a.md\nforbid_regex: TODO", {"a.md": text})
    assert len(found) == MAX_MATCHES_PER_FILE + 1
    assert found[-1][1] == MAX_MATCHES_PER_FILE + 1 and "more lines match" in found[-1][2]


# (case id, gates file text, expected problems [(line, fragment)], the JSON schema also rejects it)
BAD_FILES = [
    ("not-a-mapping", "- id: x\n", [(1, "must be a mapping")], True),
    ("no-version", "rules: []\n", [(1, "'version' must be 1 (found missing)")], True),
    ("wrong-version", "version: 2\nrules: []\n", [(1, "'version' must be 1 (found 2)")], True),
    ("no-rules", "version: 1\n", [(1, "'rules:' is missing")], True),
    ("rules-not-list", "version: 1\nrules: {a: 1}\n", [(2, "'rules' must be a list")], True),
    ("unknown-top-key", "version: 1\nrule: []\nrules: []\n", [(2, "unknown key 'rule'; did you mean 'rules'?")], True),
    ("bad-yaml", "version: 1\nrules:\n  - id: x\n    files: **/*.md\n", [(4, "is not valid YAML")], False),
    ("rule-not-mapping", "version: 1\nrules:\n  - just text\n", [(3, "rule 1 must be a mapping")], True),
    ("no-id", gates("description: d\nfiles: a.md\nmax_bytes: 1"), [(3, "rule 1 has no 'id'")], True),
    ("bad-id", gates("id: has space\ndescription: d\nfiles: a.md\nmax_bytes: 1"), [(3, "'id' must be a name")], True),
    ("duplicate-id", gates("id: a\ndescription: d\nfiles: a.md\nmax_bytes: 1",
                           "id: a\ndescription: d\nfiles: b.md\nmax_bytes: 2"),
     [(7, "rule id 'a' is used twice (first on line 3)")], False),
    ("no-description", gates("id: a\nfiles: a.md\nmax_bytes: 1"), [(3, "'description' must say")], True),
    ("blank-description", gates("id: a\ndescription: '  '\nfiles: a.md\nmax_bytes: 1"),
     [(4, "'description' must say")], True),
    ("no-files", gates("id: a\ndescription: d\nmax_bytes: 1"), [(3, "has no 'files' glob")], True),
    ("files-not-globs", gates("id: a\ndescription: d\nfiles: [1, 2]\nmax_bytes: 1"),
     [(5, "'files' must be a glob or a list of globs")], True),
    ("absolute-glob", gates("id: a\ndescription: d\nfiles: /etc/*\nmax_bytes: 1"), [(5, "is absolute")], True),
    ("escaping-glob", gates("id: a\ndescription: d\nfiles: [a.md, ../x/*.md]\nmax_bytes: 1"),
     [(5, "'..' segment")], True),
    ("unclosed-glob", gates("id: a\ndescription: d\nfiles: 'agents/[ab.md'\nmax_bytes: 1"),
     [(5, "unclosed")], False),
    ("bad-severity", gates("id: a\ndescription: d\nfiles: a.md\nseverity: fatal\nmax_bytes: 1"),
     [(6, "'severity' must be 'error' or 'warning', not 'fatal'")], True),
    ("no-check", gates("id: a\ndescription: d\nfiles: a.md"), [(3, "rule 'a' has no check")], True),
    ("only-disabled-check", gates("id: a\ndescription: d\nfiles: a.md\nresolve_step_agents: false"),
     [(3, "rule 'a' has no check")], True),
    ("typo-in-check", gates("id: a\ndescription: d\nfiles: a.md\nrequire_section: [Rules]"),
     [(6, "unknown key 'require_section'; did you mean 'require_sections'?")], True),
    ("draft-message-rule", gates("id: a\ndescription: d\napplies_to: message\nforbid_text: [soon]"),
     [(3, "has no 'files' glob"), (5, "unknown key 'applies_to'"), (6, "unknown key 'forbid_text'")], True),
    ("empty-field-list", gates("id: a\ndescription: d\nfiles: a.md\nrequire_frontmatter: []"),
     [(6, "'require_frontmatter' must be a list of names")], True),
    ("field-list-of-numbers", gates("id: a\ndescription: d\nfiles: a.md\nrequire_sections: [1]"),
     [(6, "'require_sections' must be a list of names")], True),
    ("allowed-not-mapping", gates("id: a\ndescription: d\nfiles: a.md\nallowed_values: [a]"),
     [(6, "must map frontmatter fields")], True),
    ("allowed-empty-list", gates("id: a\ndescription: d\nfiles: a.md\nallowed_values:\n  model: []"),
     [(7, "'model' must have a non-empty list")], True),
    ("max-bytes-zero", gates("id: a\ndescription: d\nfiles: a.md\nmax_bytes: 0"), [(6, "at least 1")], True),
    ("max-bytes-text", gates("id: a\ndescription: d\nfiles: a.md\nmax_bytes: 12KB"), [(6, "at least 1")], True),
    ("max-bytes-bool", gates("id: a\ndescription: d\nfiles: a.md\nmax_bytes: true"), [(6, "at least 1")], True),
    ("bad-regex", gates("id: a\ndescription: d\nfiles: a.md\nforbid_regex: ['ok', '(unclosed']"),
     [(6, "'(unclosed' is not a valid regular expression")], True),
    ("steps-flag-not-bool", gates("id: a\ndescription: d\nfiles: a.md\nresolve_step_agents: yes please"),
     [(6, "must be true or false")], True),
    ("bad-key-path", gates("id: a\ndescription: d\nfiles: a.yaml\nrequire_keys: [sla..hours]"),
     [(6, "names joined by single dots")], True),
    ("one-bad-rule-of-two", gates("id: good\ndescription: d\nfiles: a.md\nmax_bytes: 1",
                                  "id: bad\ndescription: d\nfiles: a.md\nmax_bytes: -1"), [(10, "at least 1")], True),
]


@pytest.mark.parametrize(("text", "expected", "schema_rejects"), [case[1:] for case in BAD_FILES],
                         ids=[case[0] for case in BAD_FILES])
def test_bad_gates_files(text, expected, schema_rejects):
    rules, problems = parse(text)
    assert [(p.line, p.severity, p.code, p.path) for p in problems] == [
        (line, "error", INVALID_GATES, "gates.yaml") for line, _ in expected
    ]
    for problem, (_, fragment) in zip(problems, expected, strict=True):
        assert fragment in problem.message
    if expected and "good" in text:
        assert [rule.id for rule in rules] == ["good"]  # one bad rule does not disable the others
    if schema_rejects:
        assert list(_schema_errors(yaml.safe_load(text))), "the JSON schema should reject this file too"


GOOD_FILES = [
    gates("id: a\ndescription: d\nfiles: agents/*.md\nrequire_frontmatter: name"),
    gates("id: a.b_c-1\ndescription: d\nfiles: ['agents/*.md', 'patterns/**']\nseverity: warning\n"
          "require_frontmatter: [name]\nallowed_values: {model: [inherit, 1, true]}\nmax_bytes: 10\n"
          "require_sections: [Rules]\nforbid_regex: TODO\nresolve_step_agents: true\nrequire_keys: [a.b, c]\n"
          "x-owner: team-a"),
    "version: 1\nrules: []\nx-message-rules:\n  - id: anything\n    applies_to: message\n",
]


@pytest.mark.parametrize("text", GOOD_FILES)
def test_good_gates_files(text):
    rules, problems = parse(text)
    assert problems == []
    assert not list(_schema_errors(yaml.safe_load(text)))


def test_rules_keep_their_checks_in_a_fixed_order():
    (rule,), _ = parse(GOOD_FILES[1])
    assert rule.id == "a.b_c-1" and rule.severity == "warning" and rule.line == 3
    assert [kind for kind, _ in rule.checks] == ["require_frontmatter", "allowed_values", "max_bytes",
                                                 "require_sections", "forbid_regex", "resolve_step_agents",
                                                 "require_keys"]
    assert dict(rule.checks)["require_keys"] == (("a", "b"), ("c",))
    (default,), _ = parse(GOOD_FILES[0])
    assert default.severity == "error" and default.files == ("agents/*.md",)


@pytest.mark.parametrize("path", sorted((REPO / "examples" / "packages").glob("*/validations/*.yaml"))
                         + [REPO / "src" / "agentpack" / "templates" / "init" / "validations" / "quality-gates.yaml"],
                         ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_shipped_gates_files_are_valid(path):
    text = path.read_text().replace("{{name}}", "demo")
    rules, problems = parse(text)
    assert problems == [] and rules
    assert not list(_schema_errors(yaml.safe_load(text)))


@needs_corpus
@pytest.mark.parametrize(
    "relative",
    [
        "PatrickJS__awesome-cursorrules/rules/cypress-defect-tracking-cursorrules-prompt-file.mdc",  # globs: **/*
        "VoltAgent__awesome-claude-code-subagents/categories/08-business-product/backlog-grooming.md",  # ': '
    ],
)
def test_corpus_frontmatter_that_breaks_yaml_is_a_violation_not_a_crash(relative):
    content = (CORPUS / relative).read_bytes()
    text = content.decode()
    bad_line = next(i for i, line in enumerate(text.split("\n"), 1) if "**/*" in line or "Triggers on:" in line)
    found = check("id: r\ndescription: d\nfiles: '**/*'\nrequire_frontmatter: [description]\n"
                  "allowed_values: {model: [sonnet]}\nresolve_step_agents: true", {"x/" + Path(relative).name: content})
    assert [line for _, line, _ in found] == [bad_line] * 3
    assert all("the frontmatter is unreadable" in message for _, _, message in found)


@needs_corpus
def test_corpus_agent_missing_a_field_and_with_an_odd_model():
    content = (CORPUS / "github__awesome-copilot/agents/declarative-agents-architect.agent.md").read_bytes()
    found = check("id: r\ndescription: d\nfiles: agents/*.md\nrequire_frontmatter: [name, description]\n"
                  "allowed_values: {model: [sonnet, inherit]}", {"agents/declarative-agents-architect.agent.md": content})
    assert [(line, message.split(";")[0]) for _, line, message in found] == [
        (1, "the frontmatter has no 'description' field"), (3, "the frontmatter field 'model' is 'GPT-4.1'"),
    ]


def _schema_errors(data):
    return Draft202012Validator(SCHEMA, format_checker=FormatChecker()).iter_errors(data)
