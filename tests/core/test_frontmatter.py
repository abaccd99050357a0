import pytest

from agentpack.adapters.yamlio import load_yaml
from agentpack.core.frontmatter import check_markdown, parse_frontmatter, split_frontmatter
from agentpack.errors import YamlError
from conftest import CORPUS, needs_corpus


def load(text: str):
    return load_yaml(text, source="test.md")[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("---\nname: x\n---\nbody\n", ("name: x\n", 2, "body\n")),
        ("\ufeff---\nname: x\n---\nbody\n", ("name: x\n", 2, "body\n")),
        ("---\r\nname: x\r\n---\r\nbody\r\n", ("name: x\r\n", 2, "body\r\n")),
        ("---\nname: x\n...\nbody", ("name: x\n", 2, "body")),
        ("---  \nname: x\n---\t\nbody", ("name: x\n", 2, "body")),
        ("---\n---\nbody", ("", 2, "body")),
        ("---\nname: x\n---", ("name: x\n", 2, "")),
        ("---\na: 1\nb: 2\n---\n\n# Title\n---\nmore", ("a: 1\nb: 2\n", 2, "\n# Title\n---\nmore")),
        # No frontmatter: not on the first line, never closed, or not a delimiter at all.
        ("# Title\n---\na: 1\n---\n", (None, 0, "# Title\n---\na: 1\n---\n")),
        ("\n---\na: 1\n---\n", (None, 0, "\n---\na: 1\n---\n")),
        ("---\na: 1\nno closer\n", (None, 0, "---\na: 1\nno closer\n")),
        ("----\na: 1\n----\n", (None, 0, "----\na: 1\n----\n")),
        ("---", (None, 0, "---")),
        ("\ufeffplain", (None, 0, "plain")),
        ("", (None, 0, "")),
    ],
)
def test_split_frontmatter(text, expected):
    assert split_frontmatter(text) == expected


def test_parse_frontmatter_returns_mapping_line_and_body():
    parsed = parse_frontmatter("---\nname: triage\ntools: [Read]\n---\n# Triage\n", load)
    assert parsed.data == {"name": "triage", "tools": ["Read"]}
    assert parsed.line == 2
    assert parsed.body == "# Triage\n"


@pytest.mark.parametrize(("text", "data"), [("# no frontmatter\n", None), ("---\n---\nbody", {})])
def test_parse_frontmatter_absent_or_empty(text, data):
    assert parse_frontmatter(text, load).data == data


def test_yaml_error_lines_are_moved_to_file_lines():
    text = "---\nname: rule\ndescription: fine\nglobs: **/*\n---\nbody\n"
    with pytest.raises(YamlError) as caught:
        parse_frontmatter(text, load)
    assert caught.value.line == 4
    assert caught.value.path == "test.md"


@pytest.mark.parametrize("yaml_text", ["- a\n- b\n", "just a sentence\n", "42\n"])
def test_frontmatter_must_be_a_mapping(yaml_text):
    with pytest.raises(YamlError) as caught:
        parse_frontmatter(f"---\n{yaml_text}---\nbody", load)
    assert "not a mapping" in caught.value.message
    assert caught.value.line == 2


def test_check_markdown_accepts_good_and_missing_frontmatter():
    assert check_markdown("agents/a.md", b"---\nname: a\n---\nbody\n", load) == []
    assert check_markdown("agents/b.md", b"# just markdown\n", load) == []


def test_check_markdown_warns_about_bad_frontmatter_with_the_file_line():
    content = b"---\nname: x\ndescription: Use it. Triggers on: 'groom'\n---\nbody\n"
    [problem] = check_markdown("agents/x.md", content, load)
    assert (problem.severity, problem.code, problem.path, problem.line) == (
        "warning",
        "bad-frontmatter",
        "agents/x.md",
        3,
    )
    assert "quote" in problem.message  # the hint travels with the warning


def test_check_markdown_warns_about_non_mapping_frontmatter():
    [problem] = check_markdown("agents/x.md", b"---\n- a\n---\n", load)
    assert problem.code == "bad-frontmatter" and problem.line == 2


def test_check_markdown_warns_about_non_utf8():
    [problem] = check_markdown("agents/x.md", b"---\nname: x\n---\ncaf\xe9\n", load)
    assert (problem.severity, problem.code, problem.line) == ("warning", "not-utf8", 4)
    assert "0xe9" in problem.message


@needs_corpus
def test_real_cursor_rule_with_bare_glob_is_a_warning_at_its_line():
    path = CORPUS / "PatrickJS__awesome-cursorrules/rules/cypress-defect-tracking-cursorrules-prompt-file.mdc"
    content = path.read_bytes()
    glob_line = content.decode().splitlines().index("globs: **/*") + 1
    [problem] = check_markdown("patterns/cypress.mdc", content, load)
    assert problem.code == "bad-frontmatter" and problem.severity == "warning"
    assert problem.line == glob_line


@needs_corpus
def test_real_voltagent_description_with_colon_is_a_warning():
    path = (
        CORPUS / "VoltAgent__awesome-claude-code-subagents/categories/08-business-product/backlog-grooming.md"
    )
    [problem] = check_markdown("agents/backlog-grooming.md", path.read_bytes(), load)
    assert problem.code == "bad-frontmatter" and problem.line == 3


@needs_corpus
@pytest.mark.parametrize(
    "relative",
    [
        "wshobson__agents@history-quirks/plugins/cicd-automation/agents/deployment-engineer.md",  # CRLF
        "github__awesome-copilot@history-quirks/prompts/csharp-tunit.prompt.md",  # BOM
    ],
)
def test_real_crlf_and_bom_files_parse(relative):
    text = (CORPUS / relative).read_bytes().decode("utf-8")
    parsed = parse_frontmatter(text, load)
    assert isinstance(parsed.data, dict) and parsed.data
    assert parsed.body.strip()
