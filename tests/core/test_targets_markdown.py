"""Line-level frontmatter edits and TOML text: identity where nothing must change, exact edits otherwise."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentpack.adapters.yamlio import load_yaml
from agentpack.core.targets import TARGETS, Component, toml_text, translate
from agentpack.core.targets.markdown import MarkdownFile, first_line_description, rule_scope, slug


def load(text: str):
    return load_yaml(text, source="frontmatter")[0]


def test_untouched_file_keeps_its_bytes():
    content = "\ufeff---\r\nname: a   # keep\r\ndescription: 'x'\r\n---\r\nBody\r\n".encode()
    assert MarkdownFile(content, load).to_bytes() is content


def test_added_field_uses_the_files_line_ending_and_keeps_bom_and_body():
    content = "\ufeff---\r\nname: a\r\n---\r\nFirst line\r\n".encode()
    document = MarkdownFile(content, load)
    document.set("description", "d: with colon")
    assert document.to_bytes() == '\ufeff---\r\nname: a\r\ndescription: "d: with colon"\r\n---\r\nFirst line\r\n'.encode()


def test_file_without_frontmatter_gets_one():
    document = MarkdownFile(b"# Title\n", load)
    document.set("description", "Title")
    assert document.to_bytes() == b"---\ndescription: Title\n---\n# Title\n"


def test_replace_remove_and_rename_touch_only_their_entries():
    content = b"---\na: 1\nlist:\n  - x\n  - y\ndescription: |\n  long\n  text\nz: 2\n---\nB\n"
    document = MarkdownFile(content, load)
    document.remove("list")
    document.set("description", "short")
    document.rename("z", "zz")
    assert document.to_bytes() == b"---\na: 1\ndescription: short\nzz: 2\n---\nB\n"


def test_tolerant_reader_for_frontmatter_strict_yaml_rejects():
    document = MarkdownFile(b"---\ndescription: Use on: groom\nglobs: **/*\n---\nB\n", load)
    assert document.fields == {"description": "Use on: groom", "globs": "**/*"}


def test_rejected_one_line_entries_are_quoted_for_strict_yaml_readers():
    content = b"---\nname: a\ndescription: Use on: groom\nglobs: **/*\ntags:\n  - x\n---\nB\n"
    document = MarkdownFile(content, load)
    assert not document.strict
    document.quote_rejected_entries()
    assert document.to_bytes() == b'---\nname: a\ndescription: "Use on: groom"\nglobs: "**/*"\ntags:\n  - x\n---\nB\n'
    assert document.strict and load(document.to_bytes().decode().split("---")[1]) == {
        "name": "a", "description": "Use on: groom", "globs": "**/*", "tags": ["x"]}
    valid = MarkdownFile(b"---\ndescription: 'on: x'\n---\nB\n", load)
    valid.quote_rejected_entries()
    assert valid.strict and not valid.changed


def test_not_utf8_is_a_validation_error():
    from agentpack.errors import ValidationError
    with pytest.raises(ValidationError):
        MarkdownFile(b"---\nname: \xff\n---\n", load)


@pytest.mark.parametrize(("body", "expected"), [
    ("\n\n# Security Auditor\n\nText", "Security Auditor"),
    ("```\ncode\n```\nAfter", "code"),
    ("", ""),
    ("x" * 2000, "x" * 1024),
])
def test_first_line_description(body, expected):
    assert first_line_description(body) == expected


@pytest.mark.parametrize(("fields", "expected"), [
    ({"applyTo": "**/*.ts, **/*.tsx"}, (["**/*.ts", "**/*.tsx"], False)),
    ({"globs": ["a/**"], "alwaysApply": False}, (["a/**"], False)),
    ({"paths": "src/**"}, (["src/**"], False)),
    ({"applyTo": "**"}, (None, True)),
    ({"alwaysApply": True}, (None, True)),
    ({"description": "x"}, (None, False)),
])
def test_rule_scope(fields, expected):
    assert rule_scope(fields) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Code Reviewer", "code-reviewer"), ("powershell-5.1-expert", "powershell-5-1-expert"), ("!!", "agent"),
    ("snake_case", "snake_case"),
])
def test_slug(text, expected):
    assert slug(text) == expected


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)


@given(_TEXT)
def test_toml_strings_round_trip(text):
    assert tomllib.loads("v = " + toml_text.value(text))["v"] == text
    assert tomllib.loads(f"{toml_text.key(text or 'k')} = 1") == {text or "k": 1}


IDENTITY = [("claude", "commands"), ("copilot", "commands"), ("cursor", "commands"), ("opencode", "commands"),
            ("claude", "skills-extra"), ("cursor", "rules")]

_LINE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=40)


@settings(max_examples=60)
@given(st.lists(_LINE, max_size=8), st.booleans(), st.booleans(), st.sampled_from(IDENTITY))
def test_identity_translations_preserve_bytes(lines, crlf, bom, case):
    newline = "\r\n" if crlf else "\n"
    text = ("\ufeff" if bom else "") + "---" + newline + "globs: **/*" + newline + "---" + newline
    text += newline.join(lines)
    content = text.encode("utf-8")
    target, kind = case
    if kind == "skills-extra":
        files = (("SKILL.md", b"---\nname: s\ndescription: d\n---\n"), ("notes/x.md", content))
        made = translate(TARGETS[target], Component("p", "skills", "s", files=files), load)
        assert [m.content for m in made] == [files[0][1], content]
    else:
        [made] = translate(TARGETS[target], Component("p", kind, "x", content), load)
        assert made.content == content


@settings(max_examples=60)
@given(st.lists(_LINE, max_size=6), st.booleans())
def test_agent_with_name_and_description_is_identity_for_claude_copilot_cursor(lines, crlf):
    newline = "\r\n" if crlf else "\n"
    text = newline.join(["---", "name: a", "description: 'd: e'", "tools: Read", "---", *lines])
    content = text.encode("utf-8")
    for target in ("claude", "copilot", "cursor"):
        [made] = translate(TARGETS[target], Component("p", "agents", "a", content), load)
        assert made.content == content


@pytest.mark.parametrize("text", ["a\r\nb\r\n", "x\ry", "it's'", "a\x00b\r\n", "\n\nlead", 'a"""b\n', "tab\there\n"])
def test_toml_multiline_text_round_trips_exactly(text):
    assert tomllib.loads("v = " + toml_text.multiline_string(text))["v"] == text


def test_crlf_agent_keeps_its_line_endings_in_codex_instructions():
    content = b"---\r\nname: a\r\ndescription: d\r\n---\r\n\r\nLine one\r\nLine two\r\n"
    [made] = translate(TARGETS["codex"], Component("p", "agents", "a", content), load)
    assert tomllib.loads(made.content.decode())["developer_instructions"] == "Line one\r\nLine two\r\n"
