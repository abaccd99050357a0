import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentpack.core.names import (
    MAX_NAME_LENGTH,
    archive_basename,
    check_name,
    check_team,
    suggest_name,
    validate_name,
)
from agentpack.errors import InvalidName

# The rule, written the obvious way, as the oracle for the hand-written checks.
_SEGMENT = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_RULE = re.compile(rf"(?:{_SEGMENT}/)?{_SEGMENT}")


_DEVICES = {"con", "prn", "aux", "nul", *(f"{port}{d}" for port in ("com", "lpt") for d in "0123456789")}


def rule_accepts(name: str) -> bool:
    return (1 <= len(name) <= MAX_NAME_LENGTH and _RULE.fullmatch(name) is not None
            and not _DEVICES & set(name.split("/")))


VALID = [
    "a",
    "0",
    "customer-service",
    "core-workflow",
    "a1-b2-c3",
    "2fa",
    "team/customer-service",
    "t/x",
    "a" * 64,
    "team/" + "x" * 59,
]


@pytest.mark.parametrize("name", VALID)
def test_valid_names_pass(name):
    assert check_name(name) is None
    assert validate_name(name) == name


INVALID = [
    # name, words in the message, suggested fix (None: no suggestion expected)
    ("", "empty", "my-package"),
    ("Customer-Service", "uppercase", "customer-service"),
    ("customer_service", "characters other than", "customer-service"),
    ("customer service", "characters other than", "customer-service"),
    ("customer.service", "'.'", "customer-service"),
    ("café", "characters other than", "caf"),
    ("-leading", "starts or ends with '-'", "leading"),
    ("trailing-", "starts or ends with '-'", "trailing"),
    ("double--hyphen", "'--'", "double-hyphen"),
    ("a/b/c", "one namespace level", "b/c"),
    ("/name", "namespace part is empty", "name"),
    ("team/", "name part is empty", "team"),
    ("Team/Name", "uppercase", "team/name"),
    ("team/bad_name", "characters other than", "team/bad-name"),
    (" padded", "whitespace", "padded"),
    ("a" * 65, "65 characters", "a" * 64),
    ("@scope/pkg", "characters other than", "scope/pkg"),
    ("___", "characters other than", "my-package"),
    # Windows device names, bare or as either segment: no folder can be called that there.
    ("con", "device name on Windows", "con-pkg"),
    ("nul", "device name on Windows", "nul-pkg"),
    ("aux", "device name on Windows", "aux-pkg"),
    ("prn", "device name on Windows", "prn-pkg"),
    ("com1", "device name on Windows", "com1-pkg"),
    ("lpt9", "device name on Windows", "lpt9-pkg"),
    ("team/con", "device name on Windows", "team/con-pkg"),
    ("nul/tools", "device name on Windows", "nul-pkg/tools"),
    ("CON", "uppercase", "con-pkg"),
    ("con.txt", "'.'", "con-txt"),
    ("Nul.md", "uppercase", "nul-md"),
]


@pytest.mark.parametrize("name", ["console", "con-tools", "com10", "lpt", "auxiliary", "team/null", "clock"])
def test_names_that_only_contain_a_device_name_pass(name):
    assert check_name(name) is None


@pytest.mark.parametrize(("name", "words", "suggestion"), INVALID)
def test_invalid_names_explain_and_suggest(name, words, suggestion):
    message = check_name(name)
    assert message is not None
    assert words in message
    assert repr(name) in message
    assert suggest_name(name) == suggestion
    if suggestion != name:
        assert f"try {suggestion!r}" in message


@pytest.mark.parametrize("value", [None, 12, ["a"], b"name"])
def test_non_strings_are_rejected_with_a_message(value):
    message = check_name(value)
    assert message is not None and "must be a string" in message
    with pytest.raises(InvalidName):
        validate_name(value)


def test_validate_name_raises_with_field_and_hint():
    with pytest.raises(InvalidName) as caught:
        validate_name("Bad_Name")
    error = caught.value
    assert error.field == "name"
    assert "'bad-name'" in error.message
    assert "lowercase" in error.hint
    assert error.exit_code == 2


@pytest.mark.parametrize("team", ["team-alpha", "t", "a1-b2", "t" * 62, "console"])
def test_valid_teams_pass(team):
    assert check_team(team) is None
    assert check_name(f"{team}/x") is None  # a valid team leaves room for a name


TEAMS = [
    # team, words in the message, suggested fix (None: none offered)
    ("", "empty", None),
    ("Team_Alpha", "uppercase", "team-alpha"),
    ("team/alpha", "one namespace level", "team-alpha"),
    ("-alpha", "starts or ends with '-'", "alpha"),
    ("a--b", "'--'", "a-b"),
    ("nul", "device name on Windows", "nul-pkg"),
    ("t" * 63, "at most 62", "t" * 62),
    ("___", "characters other than", None),
    (7, "must be a string", None),
]


@pytest.mark.parametrize(("team", "words", "suggestion"), TEAMS)
def test_invalid_teams_explain_and_suggest(team, words, suggestion):
    message = check_team(team)
    assert message is not None and words in message, message
    if suggestion is None:
        assert "try" not in message
    else:
        assert message.endswith(f"; try {suggestion!r}")
        assert check_team(suggestion) is None


@pytest.mark.parametrize(
    ("name", "version", "expected"),
    [
        ("customer-service", "1.2.0", "customer-service-1.2.0"),
        ("team/x", "1.0.0", "team-x-1.0.0"),
        ("x", "2.0.0-beta.1+build.5", "x-2.0.0-beta.1+build.5"),
    ],
)
def test_archive_basename(name, version, expected):
    assert archive_basename(name, version) == expected


names_like = st.one_of(st.text(alphabet="abcXYZ019-_/ .é@", max_size=80),
                       st.text(alphabet="conulpt1-/", max_size=12))


@given(names_like)
def test_check_name_agrees_with_the_rule(name):
    assert (check_name(name) is None) == rule_accepts(name)


@given(st.text(max_size=100))
def test_check_name_never_raises_and_suggestions_are_valid(name):
    check_name(name)
    assert rule_accepts(suggest_name(name))


@given(st.from_regex(_RULE, fullmatch=True).filter(lambda n: len(n) <= MAX_NAME_LENGTH))
def test_every_name_the_rule_accepts_passes(name):
    assert check_name(name) is None
    assert suggest_name(name) == name
