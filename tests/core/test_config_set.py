"""The --set layer: assignments as a table, malformed ones, values read as PyYAML reads them, the tree."""

from __future__ import annotations

import math

import pytest
import yaml
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from agentpack.core.config_merge import Layer, merge_layers
from agentpack.core.config_set import parse_set, set_layer
from agentpack.errors import UsageError


def merge(*trees) -> dict:
    return merge_layers([Layer(f"l{index}", f"l{index}.yaml", tree) for index, tree in enumerate(trees)])


SETS = [
    ("customer-service.settings.model=gpt-4o", ("customer-service", ("settings", "model"), "gpt-4o")),
    ("team/x.settings.a.b=1", ("team/x", ("settings", "a", "b"), 1)),
    ("p.c=true", ("p", ("c",), True)),
    ("p.c=off", ("p", ("c",), False)),
    ("p.c=null", ("p", ("c",), None)),
    ("p.c=~", ("p", ("c",), None)),
    ("p.c=-12", ("p", ("c",), -12)),
    ("p.c=1_000", ("p", ("c",), 1000)),
    ("p.c=0x1F", ("p", ("c",), 31)),
    ("p.c=017", ("p", ("c",), 15)),
    ("p.c=1:30", ("p", ("c",), 90)),
    ("p.c=0.5", ("p", ("c",), 0.5)),
    ("p.c=1.5e+3", ("p", ("c",), 1500.0)),
    ("p.c=-.inf", ("p", ("c",), -math.inf)),
    ("p.c=1e3", ("p", ("c",), "1e3")),  # YAML 1.1 wants a dot and a signed exponent
    ("p.c=2024-01-01", ("p", ("c",), "2024-01-01")),
    ("p.c=a=b", ("p", ("c",), "a=b")),
    ("p.c= padded ", ("p", ("c",), " padded ")),
    ("p.c=#not-a-comment", ("p", ("c",), "#not-a-comment")),
    ("p.c='true'", ("p", ("c",), "true")),
    ("p.c='it''s'", ("p", ("c",), "it's")),
    ('p.c="a\\tb\\u00e9"', ("p", ("c",), "a\tbé")),
    ("p.c=''", ("p", ("c",), "")),
    ("p.c=[]", ("p", ("c",), [])),
    ("p.c={}", ("p", ("c",), {})),
    ("p.c=héllo wörld", ("p", ("c",), "héllo wörld")),
]


@pytest.mark.parametrize(("text", "expected"), SETS, ids=[row[0] for row in SETS])
def test_parse_set(text, expected):
    assert parse_set(text) == expected


def test_parse_set_reads_nan():
    assert math.isnan(parse_set("p.c=.nan")[2])


BAD_SETS = [
    ("p.c", "expected PACKAGE.CONFIG.KEY=VALUE"),
    ("=1", "expected PACKAGE.CONFIG.KEY=VALUE"),
    ("p=1", "no configuration key"),
    ("p.=1", "no configuration key"),
    ("p.a..b=1", "empty key"),
    ("p.a.=1", "empty key"),
    ("P.a=1", "uppercase"),
    (".a=1", "empty"),
    ("p.a=", "has no value"),
    ("p.a=[1, 2]", "only single values"),
    ("p.a={x: 1}", "only single values"),
    ("p.a='open", "unterminated single-quoted"),
    ("p.a='a'b'", "unterminated single-quoted"),
    ('p.a="open', "bad double-quoted"),
    ('p.a="\\q"', "bad double-quoted"),
]


@pytest.mark.parametrize(("text", "message"), BAD_SETS, ids=[row[0] for row in BAD_SETS])
def test_parse_set_refuses_malformed_text(text, message):
    with pytest.raises(UsageError, match=message) as raised:
        parse_set(text)
    assert raised.value.exit_code == 2
    assert repr(text)[1:-1].split("=")[0] in raised.value.message
    assert raised.value.hint


# Pieces of YAML 1.1 numbers and words, so that most generated texts are near a number's edge.
SCALAR_PIECES = ["0", "1", "5", "6", "9", "59", "60", "_", ".", "e", "E", "+", "-", ":", "x", "b", "0x", "0b",
                 "F", ".inf", "Inf", ".nan", "NaN", "a", "٣", "true", "no", "On", "~", "null"]
# And texts drawn from PyYAML's own patterns for ints and floats.
YAML_NUMBER_PATTERNS = {pattern for resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.values()
                        for tag, pattern in resolvers if tag.endswith((":int", ":float"))}
SCALAR_TEXTS = st.one_of(st.lists(st.sampled_from(SCALAR_PIECES), min_size=1, max_size=6).map("".join),
                         st.text("0123456789+-._:xXbeEoOabfinNtTsuyYl~ ", min_size=1, max_size=8),
                         *(st.from_regex(pattern, fullmatch=True) for pattern in YAML_NUMBER_PATTERNS))


@settings(max_examples=600)
@given(SCALAR_TEXTS)
def test_values_read_as_pyyaml_reads_a_plain_scalar(text):
    try:
        expected = yaml.safe_load(f"v: {text}")["v"]
    except (yaml.YAMLError, ValueError):
        return  # not a plain scalar (e.g. '- x'), or PyYAML itself fails on it ('0b_')
    assume(text == text.strip() and isinstance(expected, (bool, int, float, str)))
    event(type(expected).__name__)
    value = parse_set(f"p.c={text}")[2]
    if isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(value)
    else:
        assert (type(value), value) == (type(expected), expected)


def test_set_layer_builds_one_tree_for_the_package_where_later_assignments_win():
    assignments = ["p.settings.a=1", "other.settings.a=2", "p.settings.b.c=x", "p.settings.a=2",
                   "p.settings.b=off", "p.settings.d=5", "p.settings.d.e=6", "p.flags.old=null"]
    assert set_layer(assignments, "p") == {"settings": {"a": 2, "b": False, "d": {"e": 6}},
                                           "flags": {"old": None}}
    assert set_layer(assignments, "other") == {"settings": {"a": 2}}
    assert set_layer(assignments, "missing") == {}


def test_set_layer_parses_every_assignment():
    with pytest.raises(UsageError):
        set_layer(["p.a=1", "other.a="], "p")


def test_set_layer_deletes_below_it():
    package = {"settings": {"a": 1, "b": 2}}
    assert merge(package, set_layer(["p.settings.a=null", "p.settings.c=3"], "p")) == {
        "settings": {"b": 2, "c": 3}}


EXISTING = {"customer-service": {"defaults": {"model": {"primary": "m"}, "currency": "USD"}}}


@pytest.mark.parametrize(
    ("text", "allow_new", "words"),
    [
        ("nosuch.a=1", False, ["nosuch is not installed"]),
        ("customer-servce.defaults.currency=EUR", False, ["did you mean customer-service?"]),
        ("customer-service.default.currency=EUR", True, ["no config named 'default'", "did you mean defaults?"]),
        ("customer-service.defaults.modle.primary=x", False, ["defaults.modle", "did you mean defaults.model?"]),
        ("customer-service.defaults.currency.code=EUR", False, ["a single value"]),
    ],
)
def test_check_assignment_refuses_what_would_change_nothing(text, allow_new, words):
    from agentpack.core.config_set import check_assignment

    with pytest.raises(UsageError) as caught:
        check_assignment(text, EXISTING, EXISTING.__getitem__, allow_new=allow_new)
    for word in words:
        assert word in caught.value.message


@pytest.mark.parametrize(
    ("text", "allow_new"),
    [("customer-service.defaults.currency=EUR", False), ("customer-service.defaults.model.primary=null", False),
     ("customer-service.defaults.brand.name=x", True), ("customer-service.defaults.currency.code=x", True)],
)
def test_check_assignment_accepts_existing_keys_and_new_ones_when_allowed(text, allow_new):
    from agentpack.core.config_set import check_assignment

    check_assignment(text, EXISTING, EXISTING.__getitem__, allow_new=allow_new)


def test_check_tier_lists_the_tiers_defined():
    from agentpack.core.config_set import check_tier

    check_tier("edge", {"a": {"edge": "x"}, "b": {}})
    with pytest.raises(UsageError) as caught:
        check_tier("edg", {"a": {"edge": "x", "connected": "y"}, "b": {}})
    assert "did you mean edge" in caught.value.message and "a: edge, connected" in caught.value.hint
    with pytest.raises(UsageError) as caught:
        check_tier("edge", {"b": {}})
    assert "no installed package defines any tier" in caught.value.message
