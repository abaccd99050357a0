"""What a search matches and how it ranks (core.search_text): the one definition that the
directory filter and both databases follow."""

from __future__ import annotations

import pytest

from agentpack.core import search_text
from agentpack.errors import UsageError


@pytest.mark.parametrize(("text", "words"), [
    ("customer-service", ["customer", "service"]),
    ("Escalation, escalate!", ["escalation", "escalate"]),
    ("team/triage_v2", ["team", "triage", "v2"]),  # the underscore separates, as in FTS5 and tsvector input
    ("ÜBERWACHUNG Straße", ["überwachung", "strasse"]),  # case folding, not only lower()
    ("ｆｕｌｌｗｉｄｔｈ", ["fullwidth"]),  # NFKC
    ("---", []),
    ("x" * 100, ["x" * search_text.MAX_WORD]),
])  # fmt: skip
def test_words(text, words):
    assert search_text.words(text) == words


def test_a_field_counts_its_first_distinct_words_only():
    text = " ".join(f"w{i}" for i in range(search_text.MAX_FIELD_WORDS + 5)) + " w1 w2"
    assert len(search_text.field_words(text)) == search_text.MAX_FIELD_WORDS
    assert search_text.indexed_words("a b a c") == "a b c"


PACKAGE = ("team/customer-service", ["refunds", "Support desk"], "Escalation workflows for tickets")


@pytest.mark.parametrize(("query", "tier"), [
    ("", search_text.IN_NAME),  # no words: everything matches
    ("!!", search_text.IN_NAME),
    ("cust serv", search_text.IN_NAME),
    ("team", search_text.IN_NAME),
    ("customer refund", search_text.IN_NAME_OR_KEYWORDS),
    ("DESK", search_text.IN_NAME_OR_KEYWORDS),
    ("escalat", search_text.ANYWHERE),  # a word's beginning: prefix, no stemming
    ("escalat tick", search_text.ANYWHERE),
    ("calation", None),  # no substrings
    ("escalat nothing", None),  # every word must match
    ("workflowsx", None),
])  # fmt: skip
def test_tier(query, tier):
    assert search_text.tier(search_text.query_words(query), *PACKAGE) == tier


def test_rank_key_puts_the_exact_name_first_then_the_tier_then_the_name():
    rows = [{"name": "b-triage-tools", "keywords": [], "description": ""},
            {"name": "alpha", "keywords": ["triage"], "description": ""},
            {"name": "zed", "keywords": [], "description": "triage helper"},
            {"name": "team/triage", "keywords": [], "description": ""},
            {"name": "triage", "keywords": [], "description": ""}]
    ranked = sorted(rows, key=lambda row: search_text.rank_key("Triage", row))
    assert [row["name"] for row in ranked] == ["team/triage", "triage", "b-triage-tools", "alpha", "zed"]


@pytest.mark.parametrize(("keyword", "found"), [("refunds", True), ("REFUNDS", True), (" support desk ", True),
                                                ("refund", False), ("support", False)])
def test_a_keyword_filter_compares_whole_keywords(keyword, found):
    assert search_text.has_keyword(keyword, PACKAGE[1]) is found


@pytest.mark.parametrize(("args", "message"), [
    (("x" * 201, None, None), "at most 200"),
    (("", "", None), "'keyword' must be 1 to 100"),
    (("", None, "finance"), "unknown category 'finance': the categories are domain, industry, process, meta"),
    (("", None, None, 0), "'limit' must be between 1 and 100, not 0"),
    (("", None, None, 101), "'limit' must be between 1 and 100, not 101"),
    (("", None, None, 10, -1), "'offset' must be between 0 and"),
])  # fmt: skip
def test_bad_parameters_are_named(args, message):
    with pytest.raises(UsageError) as caught:
        search_text.check_search(*args)
    assert message in caught.value.message


def test_every_bad_parameter_is_named_at_once():
    with pytest.raises(UsageError) as caught:
        search_text.check_search("", None, "x", 0, -1)
    assert all(part in caught.value.message for part in ("category", "limit", "offset"))
    search_text.check_search("anything", "kw", "meta", 100, 0)  # in bounds: no error


def test_the_category_filter_allows_exactly_the_schemas_categories():
    import json
    from pathlib import Path

    import agentpack

    schema = json.loads((Path(agentpack.__file__).parent / "schemas" / "package.schema.json").read_text())
    for category in schema["properties"]["category"]["enum"]:
        search_text.check_search("", None, category)
    with pytest.raises(UsageError):
        search_text.check_search("", None, "Domain")
