"""Version: strict SemVer 2.0.0 parsing, precedence and bumping, checked against npm's semver.

The table in tests/data/npm_semver_table.json holds npm's answers (see tools/README.md).
"""

from __future__ import annotations

import copy
import json
import pickle
from functools import cmp_to_key
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentpack.core.versions import MAX_SAFE_INTEGER, Version, parse_version
from agentpack.errors import InvalidVersion

TABLE = json.loads((Path(__file__).parents[1] / "data" / "npm_semver_table.json").read_text("utf-8"))
VERSIONS = TABLE["versions"]


def _strictly_valid(text: str, npm_valid: str | None) -> bool:
    # npm's valid() also trims whitespace and drops a leading "v"; Version.parse does neither.
    return npm_valid is not None and text == text.strip() and not text.startswith(("v", "V"))


@pytest.mark.parametrize(
    ("text", "npm_valid"), VERSIONS["valid"], ids=[repr(r[0])[:40] for r in VERSIONS["valid"]]
)
def test_parse_accepts_exactly_what_npm_accepts(text, npm_valid):
    if _strictly_valid(text, npm_valid):
        version = Version.parse(text)
        assert str(version) == text
        assert str(version).partition("+")[0] == npm_valid
    else:
        with pytest.raises(InvalidVersion) as raised:
            Version.parse(text)
        assert repr(text)[:40] in raised.value.message


def test_compare_matches_npm_on_every_pair():
    wrong = [
        (a, b, expected)
        for a, b, expected in VERSIONS["compare"]
        if ((va := Version.parse(a)) > (vb := Version.parse(b))) - (va < vb) != expected
    ]
    assert wrong == []


def test_spec_precedence_example_is_strictly_increasing():
    chain = [Version.parse(text) for text in VERSIONS["spec_precedence"]]
    assert all(low < high for low, high in zip(chain, chain[1:], strict=False))
    assert sorted(reversed(chain)) == chain


@pytest.mark.parametrize(
    ("text", "part", "expected"), VERSIONS["inc"], ids=[f"{r[0]}-{r[1]}" for r in VERSIONS["inc"]]
)
def test_bump_matches_npm_inc(text, part, expected):
    assert str(Version.parse(text).bump(part)) == expected


def test_bump_refuses_unknown_parts_and_overflow():
    with pytest.raises(ValueError, match="prerelease"):
        Version.parse("1.2.3").bump("prerelease")
    with pytest.raises(InvalidVersion, match="9007199254740991"):
        Version.parse(f"1.2.{MAX_SAFE_INTEGER}").bump("patch")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("01.2.3", ["leading zero", "did you mean '1.2.3'"]),
        ("1.2.3-01", ["'01' has a leading zero"]),
        ("v1.2.3", ["leading 'v'", "did you mean '1.2.3'"]),
        (" 1.2.3", ["whitespace", "did you mean '1.2.3'"]),
        ("1.2", ["MAJOR.MINOR.PATCH", "for example 1.2.3"]),
        ("1.2.3-", ["empty prerelease identifier"]),
        ("1.2.3+a_b", ["build identifier 'a_b'"]),
        ("1.2.x", ["patch version 'x' is not a number"]),
        ("9007199254740992.0.0", ["larger than 9007199254740991"]),
        ("1.2.3-" + "a" * 251, ["longer than 256"]),
    ],
)
def test_parse_errors_say_what_is_wrong_and_show_a_valid_version(text, words):
    with pytest.raises(InvalidVersion) as raised:
        Version.parse(text)
    error = raised.value
    assert repr(text)[:40] in error.message
    for word in words:
        assert word in error.message
    assert error.hint and "1.2.3" in error.hint
    assert error.exit_code == 2


def test_numbers_too_long_to_convert_are_invalid_not_a_crash():
    with pytest.raises(InvalidVersion, match="longer than 256"):
        Version.parse("0" + "1" * 5000 + ".0.0")
    with pytest.raises(InvalidVersion, match="larger than 9007199254740991"):
        Version.parse("1" * 200 + ".0.0")


def test_parse_rejects_non_strings_with_invalid_version():
    with pytest.raises(InvalidVersion, match="float"):
        Version.parse(1.2)  # type: ignore[arg-type]


def test_fields_and_prerelease_identifiers_are_typed():
    version = Version.parse("1.2.3-beta.11.x-y+exp.sha.5114f85")
    assert (version.major, version.minor, version.patch) == (1, 2, 3)
    assert version.prerelease == ("beta", 11, "x-y")
    assert version.build == ("exp", "sha", "5114f85")
    assert version.is_prerelease
    assert not Version.parse("1.2.3+b").is_prerelease


def test_equality_hash_and_order_ignore_build_metadata():
    plain, built = Version.parse("1.2.3"), Version.parse("1.2.3+build.7")
    assert plain == built and hash(plain) == hash(built)
    assert not plain < built and not built < plain
    assert str(built) == "1.2.3+build.7"
    assert len({plain, built}) == 1


def test_versions_are_immutable_and_survive_copy_and_pickle():
    version = Version.parse("1.2.3-rc.1+b")
    with pytest.raises(AttributeError):
        version.major = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del version.minor
    assert copy.deepcopy(version) is version
    again = pickle.loads(pickle.dumps(version))
    assert again == version and str(again) == "1.2.3-rc.1+b"


def test_constructor_builds_and_validates_from_parts():
    assert str(Version(1, 2, 3, ("rc", 1), ("b",))) == "1.2.3-rc.1+b"
    assert Version(1, 2, 3) == Version.parse("1.2.3")
    with pytest.raises(InvalidVersion):
        Version(-1, 0, 0)
    with pytest.raises(InvalidVersion):
        Version(1, 2, 3, ("01",))


def test_comparing_with_other_types_is_not_supported():
    version = Version.parse("1.2.3")
    assert version != "1.2.3"
    with pytest.raises(TypeError):
        _ = version < "1.2.4"  # type: ignore[operator]


def test_parse_version_is_cached():
    assert parse_version("4.5.6") is parse_version("4.5.6")


# -- properties ---------------------------------------------------------------------------------

numbers = st.integers(min_value=0, max_value=MAX_SAFE_INTEGER) | st.integers(min_value=0, max_value=12)
words = st.text("abcxyzABZ-0123456789", min_size=1, max_size=6).filter(lambda s: not s.isdigit())
prerelease = st.lists(numbers | words, max_size=4).map(tuple)
build = st.lists(st.text("abz-0123456789", min_size=1, max_size=5), max_size=3).map(tuple)
versions = st.builds(Version, numbers, numbers, numbers, prerelease, build)


@given(versions)
def test_text_round_trips(version):
    again = Version.parse(str(version))
    assert again == version
    assert (again.prerelease, again.build) == (version.prerelease, version.build)


def _spec_compare(a: Version, b: Version) -> int:
    # SemVer 2.0.0 section 11, written out independently of the tuple key.
    for x, y in ((a.major, b.major), (a.minor, b.minor), (a.patch, b.patch)):
        if x != y:
            return -1 if x < y else 1
    if not a.prerelease or not b.prerelease:
        return (not a.prerelease) - (not b.prerelease)
    for x, y in zip(a.prerelease, b.prerelease, strict=False):
        if x == y:
            continue
        if isinstance(x, int) != isinstance(y, int):
            return -1 if isinstance(x, int) else 1
        return -1 if x < y else 1
    return (len(a.prerelease) > len(b.prerelease)) - (len(a.prerelease) < len(b.prerelease))


@given(versions, versions, versions)
def test_order_is_total_and_matches_the_spec(a, b, c):
    expected = _spec_compare(a, b)
    assert ((a > b) - (a < b)) == expected
    assert (a == b) == (expected == 0) and (a <= b) == (expected <= 0) and (a >= b) == (expected >= 0)
    assert [a < b, a == b, a > b].count(True) == 1
    if a <= b and b <= c:
        assert a <= c
    assert sorted([a, b, c]) == sorted([a, b, c], key=cmp_to_key(_spec_compare))
