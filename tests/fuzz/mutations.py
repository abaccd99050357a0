"""Near-valid documents for the fuzz tests: real documents with one thing wrong (or several).

``mutated(document)`` replaces, deletes or adds a value somewhere in a valid document: a value of
the wrong type, a huge integer, a non-finite number, a deeply nested list, a string with an
unpaired surrogate or a control character. ``json_text`` and ``yaml_text`` then write it out and
may damage the text itself: a byte order mark, a YAML tag on a scalar, a duplicated key line, a
truncation, a stray byte. The outcomes a reader may have are checked by ``reads_or_refuses``.
"""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from agentpack.errors import AgentpackError

# The bounded run, part of every ./scripts/test.sh: 25 examples a test, the same ones every run.
# The long one: AGENTPACK_FUZZ=long (or --hypothesis-profile=long), 3,000 fresh examples a test;
# AGENTPACK_FUZZ=<number> sets the number of examples.
_LEVEL = os.environ.get("AGENTPACK_FUZZ", "")
if not _LEVEL and settings.get_current_profile_name() == "long":
    _LEVEL = "long"
EXAMPLES = 3000 if _LEVEL == "long" else int(_LEVEL) if _LEVEL.isdigit() else 25
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not _LEVEL,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much])

_DEEP = 10_000
TAGS = ["!!float x", "!!int x", "!!int 1.5", "!!bool maybe", "!!timestamp 2020-13-45", "!!timestamp x",
        "!custom x", "!!binary aGVsbG8=", "!!set {a}", "!!omap [a: 1]", "!!python/name:os.system ''",
        "!!str", "!!null x", "!!map x", "!!seq x", ".nan", ".inf", "-.inf", "1e999", "0x" + "f" * 40,
        "9" * 5000, "1:2:3:4:5:6:7:8:9:10:11:12:13:14:15", "2024-05-01", "2024-05-01 10:00:00", "~", "[", "{",
        "*alias", "&anchor", "'unterminated", '"\\ud800"', "<<: 1", "? [a]", "\t"]


def nasty_values() -> st.SearchStrategy:
    """Values of every type, and the ones parsers get wrong."""
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(-10, 10), st.text(max_size=8), st.floats(allow_nan=False),
        st.sampled_from([10**30, -(10**25), 2**64, float("nan"), float("inf"), "\ud800", "\udfff x", "a\x00b",
                         "\ufeff", "", "../../etc/passwd", "/abs", "x" * 300, 1.5, True, 0]),
    )
    return st.one_of(
        scalars,
        st.lists(scalars, max_size=3),
        st.dictionaries(st.text(max_size=5), scalars, max_size=3),
        st.sampled_from(["deep-list", "deep-map"]).map(_deep),
    )


def _deep(kind: str, depth: int = 300):
    value: object = 1
    for _ in range(depth):
        value = [value] if kind == "deep-list" else {"k": value}
    return value


def _paths(document, prefix=()):
    yield prefix
    if isinstance(document, dict):
        for key, value in document.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _paths(value, (*prefix, index))


def _replace(document, path, value):
    if not path:
        return value
    copy = dict(document) if isinstance(document, dict) else list(document)
    copy[path[0]] = _replace(copy[path[0]], path[1:], value)
    return copy


def _delete(document, path):
    copy = dict(document) if isinstance(document, dict) else list(document)
    if len(path) == 1:
        del copy[path[0]]
    else:
        copy[path[0]] = _delete(copy[path[0]], path[1:])
    return copy


@st.composite
def mutated(draw, document, *, max_changes: int = 2):
    """``document`` with one to ``max_changes`` values replaced, deleted or added."""
    for _ in range(draw(st.integers(1, max_changes))):
        paths = list(_paths(document))
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if action == "delete" and path:
            document = _delete(document, path)
        elif action == "add":
            parent = path
            target = document
            for key in parent:
                target = target[key]
            if isinstance(target, dict):
                document = _replace(document, parent, {**target, draw(st.text(max_size=6)): draw(nasty_values())})
            elif isinstance(target, list):
                document = _replace(document, parent, [*target, draw(nasty_values())])
            else:
                document = _replace(document, path, draw(nasty_values()))
        else:
            document = _replace(document, path, draw(nasty_values()))
    return document


def _text_damage(draw, text: str, extra: list[str]) -> str:
    choice = draw(st.sampled_from(["none", "none", "bom", "truncate", "insert", "deep", "dup-line", "byte"]))
    if choice == "bom":
        return "\ufeff" + text
    if choice == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    if choice == "insert":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.sampled_from(extra + ["\x00", "\ud800", "\x85", "}", "]", ",", '"']))\
            + text[at:]
    if choice == "deep":
        return "[" * _DEEP + text + "]" * _DEEP
    if choice == "dup-line":
        lines = text.splitlines(keepends=True)
        if lines:
            index = draw(st.integers(0, len(lines) - 1))
            lines.insert(index, lines[index])
        return "".join(lines)
    return text  # "byte" is applied to the encoded form by to_bytes


def to_bytes(draw, text: str) -> bytes:
    raw = text.encode("utf-8", errors="surrogatepass")
    if raw and draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(raw) - 1))
        raw = raw[:at] + bytes([draw(st.integers(0, 255))]) + raw[at + 1:]
    return raw


@st.composite
def json_bytes(draw, document):
    """A JSON file's bytes: the document, mutated, written out and perhaps damaged."""
    data = draw(mutated(document))
    try:
        text = json.dumps(data, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 2])))
    except (ValueError, RecursionError):
        text = json.dumps(document)
    return to_bytes(draw, _text_damage(draw, text, ["NaN", "Infinity", "-Infinity", "1e999", "9" * 5000,
                                                    '"\\ud800"', '"a": 1, "a": 2']))


@st.composite
def yaml_bytes(draw, document):
    """A YAML file's bytes: the document, mutated and dumped, perhaps with a tag put on a value."""
    import yaml

    data = draw(mutated(document))
    try:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    except (yaml.YAMLError, RecursionError):
        text = yaml.safe_dump(document, sort_keys=False)
    if draw(st.booleans()):
        lines = text.splitlines(keepends=True)
        candidates = [i for i, line in enumerate(lines) if ": " in line]
        if candidates:
            index = draw(st.sampled_from(candidates))
            key = lines[index].split(": ", 1)[0]
            lines[index] = f"{key}: {draw(st.sampled_from(TAGS))}\n"
            text = "".join(lines)
    return to_bytes(draw, _text_damage(draw, text, TAGS))


def reads_or_refuses(read, *names: str):
    """Call ``read()``; the only outcomes allowed are a result or an AgentpackError naming the file
    (one of ``names`` in its path, message or problems). Returns the result or the error."""
    try:
        return read()
    except AgentpackError as exc:
        said = " ".join([str(exc.path), exc.message, *(f"{p.path} {p.message}" for p in exc.problems)])
        assert any(name in said for name in names), f"the error does not name {names}: {exc.to_dict()}"
        return exc
