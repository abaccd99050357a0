"""parse_json: JSON within bounds, every refusal an error of the caller's class naming the file."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentpack.core.bounded_json import parse_json
from agentpack.core.limits import MAX_INT_DIGITS, MAX_JSON_DEPTH
from agentpack.errors import AgentpackError, RegistryError, WorkspaceError


def refused(raw, error=AgentpackError, **bounds) -> AgentpackError:
    with pytest.raises(error) as caught:
        parse_json(raw, source="dir/file.json", error=error, **bounds)
    assert caught.value.path == "dir/file.json" and "dir/file.json" in caught.value.message
    return caught.value


@pytest.mark.parametrize("raw, words", [
    ("[" * 10_000 + "]" * 10_000, "levels deep"),
    ('{"a":' * 5_000 + "1" + "}" * 5_000, "levels deep"),
    ("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1), "levels deep"),
    ('{"x": NaN}', "NaN"),
    ('{"x": Infinity}', "Infinity"),
    ("[-Infinity]", "Infinity"),
    ('{"x": 1e999}', "too large"),
    ('{"x": ' + "9" * 5_000 + "}", "digits"),
    ('{"x": -' + "9" * (MAX_INT_DIGITS + 1) + "}", "digits"),
    ('{"a": 1, "a": 2}', "twice"),
    ('{"a": {"b": 1, "b": 1}}', "twice"),
    ('["\\ud800"]', "surrogate"),
    ('{"\\udfff": 1}', "surrogate"),
    ('{"a": 1', "line 1"),
    ("", "Expecting value"),
])
def test_what_python_json_accepts_or_crashes_on_is_refused(raw, words):
    for form in (raw, raw.encode()):
        assert words in refused(form).message


def test_the_callers_error_class_and_hint_are_used():
    error = refused(b"[1,", RegistryError, hint="repair it")
    assert error.hint == "repair it" and isinstance(error, RegistryError)
    assert isinstance(refused("[", WorkspaceError), WorkspaceError)


def test_size_encoding_and_surrogates_in_text():
    assert "at most 10" in refused(b"[" + b" " * 20 + b"]", max_bytes=10).message
    error = refused(b'{"a":\n"\xff"}')
    assert "UTF-8" in error.message and error.line == 2
    assert "surrogate" in refused('["\ud800"]').message


def test_a_byte_order_mark_is_ignored_and_paired_surrogates_are_kept():
    assert parse_json("\ufeff{}", source="f") == {}
    assert parse_json(b"\xef\xbb\xbf[1]", source="f") == [1]
    assert parse_json('["\\ud83d\\ude00"]', source="f") == ["\U0001F600"]


def test_bounds_are_exact():
    deepest = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert parse_json(deepest, source="f") is not None
    assert parse_json("9" * MAX_INT_DIGITS, source="f") == int("9" * MAX_INT_DIGITS)
    assert parse_json('["[[[[", "\\"]]]]"]', source="f", max_depth=1) == ["[[[[", '"]]]]']


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**18), 10**18) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=30,
)


@given(json_values)
def test_plain_json_reads_as_the_json_module_reads_it(value):
    text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return  # st.text() may hold lone surrogates, refused (see above)
    assert parse_json(text, source="f") == json.loads(text)


@given(st.binary(max_size=200) | st.text(max_size=200))
def test_any_input_gives_data_or_the_error(raw):
    try:
        parse_json(raw, source="f")
    except AgentpackError as exc:
        assert exc.path == "f"
