"""VersionRange: npm's range grammar and satisfies(), checked row by row against npm's semver.

The table in tests/data/npm_semver_table.json holds npm's answers (see tools/README.md); each test
below takes one range and reports every row on which we disagree.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentpack.core.ranges import desugar, fold_whitespace
from agentpack.core.versions import Version, VersionRange, max_satisfying, parse_range
from agentpack.errors import InvalidRange

TABLE = json.loads((Path(__file__).parents[1] / "data" / "npm_semver_table.json").read_text("utf-8"))
RANGES = TABLE["ranges"]
SATISFIES: dict[str, list] = defaultdict(list)
for _row in TABLE["satisfies"]:
    SATISFIES[_row[0]].append(_row[1:])
SAMPLE = sorted({Version.parse(row[1]) for row in TABLE["satisfies"]}, key=str)


def _id(text: str) -> str:
    return repr(text)[:48]


@pytest.mark.parametrize("row", RANGES, ids=[_id(r["range"]) for r in RANGES])
def test_validity_and_meaning_match_npm_valid_range(row):
    if not row["valid"]:
        with pytest.raises(InvalidRange) as raised:
            VersionRange.parse(row["range"])
        assert repr(row["range"]) in raised.value.message
        return
    rng = VersionRange.parse(row["range"])
    assert rng.text == row["range"]
    assert rng._npm_form() == row["npm"]


@pytest.mark.parametrize("text", list(SATISFIES), ids=[_id(t) for t in SATISFIES])
def test_allows_matches_npm_satisfies(text):
    rng = VersionRange.parse(text)
    wrong = [
        (version, include_prerelease, expected)
        for version, include_prerelease, expected in SATISFIES[text]
        if rng.allows(Version.parse(version), include_prerelease) != expected
    ]
    assert wrong == []


@pytest.mark.parametrize(
    "row", TABLE["max_satisfying"], ids=[f"{_id(r[0])}-{i}" for i, r in enumerate(TABLE["max_satisfying"])]
)
def test_max_satisfying_matches_npm(row):
    text, pool, include_prerelease, expected = row
    found = max_satisfying([Version.parse(v) for v in pool], VersionRange.parse(text), include_prerelease)
    assert (None if found is None else str(found)) == expected


@pytest.mark.parametrize("text", list(SATISFIES), ids=[_id(t) for t in SATISFIES])
def test_canonical_text_means_the_same_range(text):
    rng = VersionRange.parse(text)
    again = VersionRange.parse(str(rng))
    assert str(again) == str(rng)
    assert again._npm_form() == rng._npm_form()
    for flag in (False, True):
        assert [again.allows(v, flag) for v in SAMPLE] == [rng.allows(v, flag) for v in SAMPLE]


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("", "*"),
        ("  >=  1.2.3   <2  ", ">=1.2.3 <2"),
        ("~> 1.2", "~>1.2"),
        ("^ 1.2.3+build.5", "^1.2.3"),
        ("1.2.3+b - 2.x", "1.2.3 - 2.x"),
        ("1.x||2.x", "1.x || 2.x"),
        ("\t1.2.3\u00a0|| ", "1.2.3 || *"),
    ],
)
def test_str_is_a_tidy_form_of_the_text(text, canonical):
    assert str(VersionRange.parse(text)) == canonical


@pytest.mark.parametrize(
    ("text", "exact"),
    [
        ("1.2.3", "1.2.3"),
        ("=1.2.3", "1.2.3"),
        ("v1.2.3", "1.2.3"),
        ("=v1.2.3-rc.1+b", "1.2.3-rc.1"),
        ("1.2.3 || =1.2.3", "1.2.3"),
        ("1.2.3 1.2.3", "1.2.3"),
        ("^1.2.3", None),
        ("1.2", None),
        (">=1.2.3 <=1.2.3", None),
        ("1.2.3 || 1.2.4", None),
        ("*", None),
        ("1.2.3 - 1.2.3", None),
    ],
)
def test_exact_names_the_single_version_of_an_exact_range(text, exact):
    found = VersionRange.parse(text).exact()
    assert (None if found is None else str(found)) == exact


def test_prerelease_rule():
    rng = VersionRange.parse(">=1.2.3-rc.1 <2.0.0")
    assert rng.allows(Version.parse("1.2.3-rc.2"))
    assert not rng.allows(Version.parse("1.2.4-rc.1"))
    assert rng.allows(Version.parse("1.2.4-rc.1"), include_prerelease=True)
    assert not VersionRange.parse("*").allows(Version.parse("1.0.0-rc.1"))


def test_a_range_valid_only_without_include_prerelease_allows_nothing_with_it():
    # npm expands the upper bound to <1.2.9007199254740992-0 with the flag, which it rejects.
    rng = VersionRange.parse("1.2.3 - 1.2.9007199254740991")
    assert rng.allows(Version.parse("1.2.4"))
    assert not rng.allows(Version.parse("1.2.4"), include_prerelease=True)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("latest", ["'latest' is not a version, comparator or range", "^1.2.3"]),
        (">=01.2.3", ["'01' has a leading zero", "did you mean '>=1.2.3'"]),
        ("^1.2.3 || 1.x.3", ["'1.x.3'", "wildcard"]),
        ("^9007199254740991", ["larger than 9007199254740991"]),
        ("> = 1.2.3", ["'>='"]),
    ],
)
def test_parse_errors_name_the_text_and_the_bad_part(text, words):
    with pytest.raises(InvalidRange) as raised:
        VersionRange.parse(text)
    error = raised.value
    assert repr(text) in error.message
    for word in words:
        assert word in error.message
    assert error.hint and "^1.2.3" in error.hint
    assert error.exit_code == 2


@pytest.mark.parametrize(
    "text", ["^" + "9" * 5000, ">" + "9" * 5000, "1.x - " + "9" * 5000 + ".x", "9" * 5000 + ".x"]
)
def test_numbers_too_long_to_convert_are_invalid_not_a_crash(text):
    with pytest.raises(InvalidRange, match="larger than 9007199254740991|longer than 256") as raised:
        VersionRange.parse(text)
    assert len(raised.value.message) < 400


def test_parse_rejects_non_strings_with_invalid_range():
    with pytest.raises(InvalidRange, match="quote"):
        VersionRange.parse(1.2)  # type: ignore[arg-type]


def test_ranges_compare_by_their_tidy_form():
    assert VersionRange.parse(">= 1.2.3") == VersionRange.parse(">=1.2.3")
    assert len({VersionRange.parse("^1.2"), VersionRange.parse("^ 1.2"), VersionRange.parse("^1.3")}) == 2
    assert parse_range("~1.2") is parse_range("~1.2")


def test_whitespace_is_folded_as_javascript_sees_it():
    assert fold_whitespace("\ufeff 1.2.3 \u3000 ") == "1.2.3"
    assert fold_whitespace("1.2.3\x1c") == "1.2.3\x1c"  # not whitespace to JavaScript
    assert desugar("> 1.2.3", include_prerelease=False)[0] == [[(">", "1.2.3", ">1.2.3")]]


# -- properties ---------------------------------------------------------------------------------

_part = st.sampled_from(["0", "1", "2", "10", "x", "X", "*", "01"])
_partial = st.builds(
    lambda parts, pre: ".".join(parts) + (pre if len(parts) == 3 else ""),
    st.lists(_part, min_size=1, max_size=3),
    st.sampled_from(["", "", "-rc.1", "-0", "-beta.01", "+b"]),
)
_operator = st.sampled_from(["", "=", "<", "<=", ">", ">=", "^", "~", "~>", "v", "> ", "^ ", "~ ", "=v"])
_simple = st.builds(lambda op, p: op + p, _operator, _partial)
_alternative = st.one_of(
    st.lists(_simple, min_size=1, max_size=3).map(" ".join),
    st.builds(lambda a, b: f"{a} - {b}", _partial, _partial),
)
_junk = st.sampled_from(["", "", "", " ", "*", "+", "-", "|", "v", "=", ">", "\t", "a", "."])
_range_text = st.builds(
    lambda alts, sep, junk, at: (lambda t: t[: at % (len(t) + 1)] + junk + t[at % (len(t) + 1) :])(
        sep.join(alts)
    ),
    st.lists(_alternative, min_size=1, max_size=3),
    st.sampled_from([" || ", "||", " ||"]),
    _junk,
    st.integers(min_value=0, max_value=60),
)


@settings(max_examples=400)
@given(_range_text)
def test_random_ranges_parse_or_raise_invalid_range_and_reparse_from_str(text):
    try:
        rng = VersionRange.parse(text)
    except InvalidRange:
        return
    again = VersionRange.parse(str(rng))
    for flag in (False, True):
        assert [again.allows(v, flag) for v in SAMPLE] == [rng.allows(v, flag) for v in SAMPLE]


@given(st.text(max_size=20))
def test_any_text_parses_or_raises_invalid_range(text):
    try:
        VersionRange.parse(text)
    except InvalidRange:
        pass


@pytest.mark.parametrize(
    ("text", "can_match"),
    [
        (">=3 <1", False),
        (">2.0.0 <=2.0.0", False),
        (">=2.0.0 <2.0.0", False),
        (">=3 <1 || >=5 <4", False),
        (">=3 <1 || ^4", True),
        (">=2.0.0 <=2.0.0", True),
        (">=1.0.0-rc.1 <1.0.0", True),
        ("*", True),
        ("^0.0.1", True),
        ("1.2.3 - 1.2.3", True),
    ],
)
def test_can_match_is_false_only_for_contradicting_bounds(text, can_match):
    assert VersionRange.parse(text).can_match() is can_match
