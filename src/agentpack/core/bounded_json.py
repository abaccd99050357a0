"""Parsing JSON documents within bounds (pure): every JSON file agentpack reads goes through here.

Python's ``json`` module accepts what no other JSON tool writes and fails on some input with
errors that name nothing: ``NaN`` and ``Infinity``, integers of any length (and a ``ValueError``
past 4,300 digits), ``1e999`` read as infinity, duplicate keys (the last one silently wins),
``\\ud800`` escapes that become unpaired surrogates (which then fail when written as UTF-8),
and a ``RecursionError`` for deep nesting. ``parse_json`` refuses all of these, and documents
larger or deeper than ``core.limits`` allows, with one error class chosen by the caller (a
lockfile is a ``WorkspaceError``, a registry file a ``RegistryError``...) whose message and
``path`` name the file. The shape of the result (which keys, which types) is the caller's to
check.
"""

from __future__ import annotations

import json
import math
import re

from agentpack.core.limits import MAX_INT_DIGITS, MAX_JSON_BYTES, MAX_JSON_DEPTH
from agentpack.errors import AgentpackError

# A JSON string, escapes included (the unrolled form, so a failed match never backtracks).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_BOM = "\ufeff"


class _Refused(ValueError):
    """Raised inside the json module's hooks; turned into the caller's error class."""


def parse_json(
    raw: bytes | str,
    *,
    source: str,
    error: type[AgentpackError] = AgentpackError,
    hint: str | None = None,
    max_bytes: int = MAX_JSON_BYTES,
    max_depth: int = MAX_JSON_DEPTH,
) -> object:
    """Parse one JSON document (UTF-8 bytes or text) and return plain data.

    Raises ``error(message, path=source, line=..., hint=hint)`` when the input is larger than
    ``max_bytes``, is not UTF-8, is not JSON, nests mappings and lists deeper than ``max_depth``,
    holds a number that is not finite or an integer of more than ``MAX_INT_DIGITS`` digits, a
    duplicate key in one object, or an unpaired surrogate escape. A leading byte order mark is
    ignored. Never raises anything else for any input.
    """
    text = _text(raw, source, error, hint, max_bytes)

    def refuse(reason: str, line: int | None = None) -> AgentpackError:
        return error(f"{source} is not valid JSON: {reason}", path=source, line=line, hint=hint)

    deepest = _depth(text, max_depth)
    if deepest > max_depth:
        raise refuse(f"it nests more than {max_depth} levels deep")
    try:
        data = json.loads(text, object_pairs_hook=_object, parse_int=_integer, parse_float=_float,
                          parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise refuse(f"{exc.msg} (line {exc.lineno}, column {exc.colno})", exc.lineno) from None
    except _Refused as exc:
        raise refuse(str(exc)) from None
    except (ValueError, RecursionError) as exc:  # the depth check makes these unreachable in practice
        raise refuse(str(exc) or type(exc).__name__) from None
    if _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise refuse("it holds an unpaired surrogate escape (\\ud800-\\udfff)") from None
    return data


def _text(raw: bytes | str, source: str, error: type[AgentpackError], hint: str | None,
          max_bytes: int) -> str:
    """The document as text without a byte order mark, after the size and encoding checks."""
    if isinstance(raw, str):
        try:
            size = len(raw.encode("utf-8"))
        except UnicodeEncodeError:
            raise error(f"{source} holds unpaired surrogate characters", path=source, hint=hint) from None
    else:
        size = len(raw)
    if size > max_bytes:
        raise error(f"{source} is {size:,} bytes; at most {max_bytes:,} are allowed", path=source, hint=hint)
    if not isinstance(raw, str):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise error(f"{source} is not UTF-8 text: byte {exc.start} cannot be decoded", path=source,
                        line=bytes(raw).count(b"\n", 0, exc.start) + 1, hint=hint) from None
    return raw[1:] if raw.startswith(_BOM) else raw


def _depth(text: str, limit: int) -> int:
    """How deeply the text's brackets nest outside strings (exact for valid JSON), or ``limit + 1``
    as soon as it is known to pass ``limit``."""
    brackets = _BRACKET.findall(_STRING.sub("", text)) if text.count("[") + text.count("{") > limit else ()
    depth = deepest = 0
    for bracket in brackets:
        if bracket in "[{":
            depth += 1
            if depth > limit:
                return depth
        else:
            depth -= 1
        deepest = max(deepest, depth)
    return deepest


def _object(pairs: list[tuple[str, object]]) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise _Refused(f"the key {key!r} appears twice in one object")
            seen.add(key)
    return result


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused(f"an integer has more than {MAX_INT_DIGITS} digits")
    return int(digits)


def _float(digits: str) -> float:
    value = float(digits)
    if not math.isfinite(value):
        raise _Refused(f"the number {digits[:40]} is too large")
    return value


def _constant(name: str) -> float:
    raise _Refused(f"{name} is not a JSON number")
