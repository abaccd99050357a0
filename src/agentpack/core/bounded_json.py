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

    try:
        data = json.loads(text, object_pairs_hook=_object, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise refuse(f"{exc.msg} (line {exc.lineno}, column {exc.colno})", exc.lineno) from None
    except _Refused as exc:
        raise refuse(str(exc)) from None
    except RecursionError:  # the C scanner counts its nesting against the recursion limit
        raise refuse(f"it nests more than {max_depth} levels deep") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise refuse(str(exc)) from None
    reason = _out_of_bounds(data, max_depth)
    if reason:
        raise refuse(reason)
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


def _out_of_bounds(data: object, max_depth: int) -> str | None:
    """Why parsed data breaks the bounds (nesting, integer digits, a non-finite number), or None.

    One iterative walk after parsing: cheaper than number hooks called by the parser for every
    number, or a scan of the text for brackets outside strings.
    """
    limit = 10**MAX_INT_DIGITS
    stack: list[tuple[object, int]] = [([data], 0)]  # the document itself is at depth 1
    while stack:
        value, depth = stack.pop()
        items = value.values() if isinstance(value, dict) else value
        if depth > max_depth:
            return f"it nests more than {max_depth} levels deep"
        for item in items:
            kind = type(item)
            if kind is dict or kind is list:
                stack.append((item, depth + 1))
            elif kind is int and not -limit < item < limit:
                return f"an integer has more than {MAX_INT_DIGITS} digits"
            elif kind is float and not math.isfinite(item):
                return "a number is too large"
    return None


def _object(pairs: list[tuple[str, object]]) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise _Refused(f"the key {key!r} appears twice in one object")
            seen.add(key)
    return result


def _constant(name: str) -> float:
    raise _Refused(f"{name} is not a JSON number")
