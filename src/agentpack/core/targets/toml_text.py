"""Writing TOML by hand: keys, strings, arrays and inline tables, for the tools that read TOML.

The standard library reads TOML (``tomllib``) but does not write it, and the few documents agentops
writes (a Codex agent, a Gemini command, one ``[mcp_servers.<name>]`` table) need only strings,
string arrays and flat inline tables. Long multi-line text (an agent's instructions, a command's
prompt) is written as a multi-line literal string when it can be, so the prompt stays readable in
the file; otherwise as a multi-line basic string with every needed escape.
"""

from __future__ import annotations

from collections.abc import Mapping

from agentpack.core.type_names import Any

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def key(name: str) -> str:
    """A TOML key: bare when it is only letters, digits, ``_`` and ``-``, else a quoted string."""
    return name if name and set(name) <= _BARE else basic_string(name)


def basic_string(text: str) -> str:
    """``text`` as a one-line TOML basic string, with every required escape."""
    return '"' + "".join(_escape(ch) for ch in text) + '"'


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if ord(ch) < 0x20 or ord(ch) == 0x7F:
        return f"\\u{ord(ch):04X}"
    return ch


def multiline_string(text: str) -> str:
    """``text`` as a TOML multi-line string that ``tomllib`` reads back exactly.

    A literal string (``'''``, no escapes) when the text has no ``'''``, no control character other
    than tab and line feed (a CR could be read back as LF), and does not end with a quote; a basic string
    (``\"\"\"``) with escapes otherwise. The opening delimiter is followed by a newline, which TOML
    drops, so the text starts on its own line.
    """
    if _literal_ok(text):
        return "'''\n" + text + "'''"
    out = []
    for ch in text:
        if ch == "\n":
            out.append("\n")
        elif ch == '"':
            out.append('\\"')
        else:
            out.append(_escape(ch))
    return '"""\n' + "".join(out) + '"""'


def _literal_ok(text: str) -> bool:
    # A TOML reader may turn a literal CRLF into LF, so any CR sends the text to a basic string.
    if "'''" in text or text.endswith("'") or "\r" in text:
        return False
    return not any((ord(ch) < 0x20 and ch not in "\t\n") or ord(ch) == 0x7F for ch in text)


def value(item: Any) -> str:
    """A TOML value for a string, boolean, number, list of those, or flat mapping (inline table)."""
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, (int, float)):
        return repr(item)
    if isinstance(item, str):
        return multiline_string(item) if "\n" in item else basic_string(item)
    if isinstance(item, (list, tuple)):
        return "[" + ", ".join(value(element) for element in item) + "]"
    if isinstance(item, Mapping):
        return "{ " + ", ".join(f"{key(str(k))} = {value(v)}" for k, v in item.items()) + " }" if item else "{}"
    raise TypeError(f"cannot write {type(item).__name__} as TOML")


def document(pairs: Mapping[str, Any]) -> str:
    """Top-level ``key = value`` lines for ``pairs`` in their order, ending with a newline."""
    return "".join(f"{key(name)} = {value(item)}\n" for name, item in pairs.items())
