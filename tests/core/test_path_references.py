"""Warnings for component text naming a package path that install moves elsewhere."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from agentpack.core.manifest import Manifest
from agentpack.core.path_references import installed_locations, path_reference_problems

MANIFEST = Manifest.from_dict({
    "name": "desk", "version": "1.0.0", "agents": ["agents/triage.md", "prompts/helper.md"],
    "validations": ["validations/gates.yaml"], "config": {"thresholds": "config/escalation.yaml"},
})  # fmt: skip
FILES = {"package.yaml": b"", "agents/triage.md": b"", "prompts/helper.md": b"", "validations/gates.yaml": b"",
         "config/escalation.yaml": b"", "docs/guide.md": b""}
TOKEN = re.compile(r"(?<![\w./-])[\w.-]+(?:/[\w.-]+)+")


def problems_for(text: str | bytes) -> list[tuple[int, str]]:
    files = {**FILES, "agents/triage.md": text if isinstance(text, bytes) else text.encode("utf-8")}
    return [(p.line, p.message) for p in path_reference_problems(MANIFEST, files)]


def every_token(text: str) -> list[tuple[int, str]]:
    """The definition: every path-like token of the whole text that names a moved path."""
    moved = installed_locations(MANIFEST, FILES)
    found = []
    for match in TOKEN.finditer(text):
        named = match.group().rstrip(".")
        if named in moved:
            found.append((text.count("\n", 0, match.start()) + 1,
                          f"names {named}, which install puts at {moved[named]}; write that path instead"))
    return found


def test_a_moved_path_is_named_with_where_it_goes():
    text = "Read config/escalation.yaml.\nThen validations/gates.yaml and prompts/helper.md, docs/guide.md\n"
    assert problems_for(text) == [
        (1, "names config/escalation.yaml, which install puts at config/desk/thresholds.yaml; write that path instead"),
        (2, "names validations/gates.yaml, which install puts at validations/desk/gates.yaml; write that path instead"),
        (2, "names prompts/helper.md, which install puts at agents/desk/prompts/helper.md; write that path instead"),
        (2, "names docs/guide.md, which install puts at docs/packages/desk/guide.md; write that path instead"),
    ]


def test_a_path_inside_a_longer_one_is_not_a_mention():
    text = ("config/desk/escalation.yaml old-config/escalation.yaml x/config/escalation.yaml "
            "config/escalation.yaml/x config/escalation.yamlx .config/escalation.yaml")
    assert problems_for(text) == []


def test_each_mention_is_reported_in_order_once():
    text = "validations/gates.yaml, validations/gates.yaml\nagents/triage.md config/escalation.yaml..\n"
    assert [line for line, _ in problems_for(text)] == [1, 1, 2, 2]


_PIECES = st.sampled_from(["config/", "escalation.yaml", "validations/", "gates.yaml", "agents/", "triage.md",
                           "prompts/", "helper.md", "docs/", "guide.md", "/", ".", "-", "_", " ", "\n", "x",
                           "é", "config", "\u00a0", "\ufffd"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=24).map("".join))
def test_the_same_warnings_as_tokenising_the_whole_text(text):
    assert problems_for(text) == every_token(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_PIECES.map(str.encode), st.binary(max_size=3)), max_size=24).map(b"".join))
def test_bytes_that_are_not_utf8_are_read_with_replacement_characters(raw):
    assert problems_for(raw) == every_token(raw.decode("utf-8", errors="replace"))
