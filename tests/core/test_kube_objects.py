"""The objects `deploy render` writes (core.kube_objects): agent facts from every real agent file of
the shared corpus, and YAML output that reads back as the same object, whatever the text holds."""

from __future__ import annotations

import yaml
from hypothesis import given
from hypothesis import strategies as st

from agentpack.adapters.yamlio import load_yaml
from agentpack.core.kube_objects import agent_facts, configmap_object, render_object
from conftest import CORPUS, needs_corpus


def _load(text: str):
    return load_yaml(text, source="frontmatter")[0]


@needs_corpus
def test_every_corpus_markdown_file_gives_agent_facts():
    seen = models = 0
    for path in sorted(CORPUS.rglob("*.md")):
        if path.is_symlink() or not path.is_file():
            continue
        facts = agent_facts(path.read_text(encoding="utf-8", errors="replace"), _load)
        seen += 1
        models += facts["model"] is not None
        assert facts["model"] is None or (facts["model"].strip() == facts["model"] and facts["model"] != "inherit")
        assert facts["tools"] is None or all(isinstance(t, str) and t.strip() == t and t for t in facts["tools"])
        assert facts["description"] is None or "\n" not in facts["description"]
    assert seen > 1000 and models > 300


def test_facts_from_the_styles_tools_write():
    assert agent_facts("---\nmodel: inherit\ntools: Read, Grep\n---\nx", _load) == \
        {"model": None, "tools": ["Read", "Grep"], "description": None}
    assert agent_facts("---\nmodel: opus\ntools: ['a', 'b/c']\n---\n", _load)["tools"] == ["a", "b/c"]
    broken = "---\ndescription: a: b: c\nmodel: haiku\ntools: [x, y\n---\nbody"  # not YAML: scanned by line
    assert agent_facts(broken, _load) == {"model": "haiku", "tools": ["x", "y"], "description": "a: b: c"}
    assert agent_facts("no frontmatter", _load) == {"model": None, "tools": None, "description": None}


@given(st.dictionaries(st.from_regex(r"[-._a-zA-Z0-9]{1,20}", fullmatch=True), st.binary(max_size=200),
                       max_size=5))
def test_configmaps_read_back_as_written(files):
    document = configmap_object("n", "ns", {"a": "b"}, files)
    again = yaml.safe_load(render_object(document))
    assert again == document
    assert render_object(again) == render_object(document)
