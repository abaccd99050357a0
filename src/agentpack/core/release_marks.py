"""Yank and deprecation marks on published versions (pure): their shape, their text, their rules.

Neither mark deletes anything: the archive and its record stay in the registry, and a mark can be
taken back. Both live in the version's record, so an index, a cache's copy of it and a bundle's
record.json all carry them:

- ``"yanked": {"reason": TEXT, "at": TIMESTAMP}``: resolution skips the version unless
  agentops.lock pins it or the workspace asks for exactly that version (like Cargo and PEP 592);
- ``"deprecated": {"message": TEXT, "at": TIMESTAMP}``: the version still resolves; install and
  update print the message. Deprecating a package marks each of its versions (or those in a range,
  as npm's ``deprecate pkg@"<2"``); a version published later carries no mark.

A reason or message is written by a person through ``agentops package yank|deprecate``, which
refuses one that is long or holds characters a terminal would act on (``text_problem``). Read back
from a registry, a cache or a bundle it is untrusted: ``shown_text`` bounds it and strips control
characters and hidden Unicode before anything prints it.
"""

from __future__ import annotations

import unicodedata

from agentpack.core.hidden_unicode import scan_text, strip_hidden
from agentpack.core.limits import MAX_MARK_TEXT
from agentpack.core.registry_documents import MARK_TEXT_KEYS, is_timestamp

YANKED = "yanked"
DEPRECATED = "deprecated"
_TEXT_KEY = MARK_TEXT_KEYS  # the mark -> the key of its text
# Line and paragraph separators break a line like a newline does.
_BREAKING = frozenset({"Cc", "Zl", "Zp"})


def text_problem(text: str, what: str) -> str | None:
    """Why ``text`` (a reason or message typed by a user; ``what`` names it) cannot be stored, or
    None: longer than ``MAX_MARK_TEXT`` characters, or holding a control character, a line break or
    hidden Unicode (a reader's terminal or model would see something other than the author did)."""
    if len(text) > MAX_MARK_TEXT:
        return f"the {what} is {len(text)} characters long; the limit is {MAX_MARK_TEXT}"
    for column, char in enumerate(text, 1):
        if unicodedata.category(char) in _BREAKING:
            return (f"the {what} holds the control character U+{ord(char):04X} at column {column}; "
                    "write it as one line of plain text")
    hidden = scan_text(what, text)
    if hidden:
        return f"the {what} holds a {hidden[0].message.split(';')[0]}; write it as plain text"
    return None


def shown_text(value: object) -> str:
    """A reason or message read from somewhere untrusted, safe to print: hidden Unicode removed,
    control characters and line breaks turned into spaces, runs of white space folded into one,
    and cut to ``MAX_MARK_TEXT`` characters (ending in an ellipsis when cut). A value that is not
    a string shows as ``""``."""
    if not isinstance(value, str):
        return ""
    text = value[: MAX_MARK_TEXT * 4]  # enough to fill the limit after stripping; never scan megabytes
    if not text.isprintable():
        text = "".join(" " if unicodedata.category(char) in _BREAKING else char for char in strip_hidden(text))
    text = " ".join(text.split())
    if len(text) > MAX_MARK_TEXT:
        text = text[: MAX_MARK_TEXT - 1].rstrip() + "\u2026"
    return text


def new_mark(kind: str, text: str, at: str) -> dict:
    """The mark of ``kind`` (``YANKED`` or ``DEPRECATED``) to store, made at the UTC timestamp ``at``."""
    return {_TEXT_KEY[kind]: text, "at": at}


def mark_text(record: dict, kind: str) -> str | None:
    """The shown reason (``YANKED``) or message (``DEPRECATED``) of a version record, or None when
    the version carries no such mark. An empty text is ``""``: marked, with nothing said."""
    mark = record.get(kind)
    if not isinstance(mark, dict):
        return None
    return shown_text(mark.get(_TEXT_KEY[kind]))


def is_yanked(record: object) -> bool:
    """Whether a version record carries a yank mark."""
    return isinstance(record, dict) and isinstance(record.get(YANKED), dict)


def with_marks_of(held: dict, incoming: dict) -> dict:
    """``held`` (a record a registry keeps) with every mark ``incoming`` (the same version's record
    from elsewhere: a bundle) has and ``held`` lacks. Marks are only ever added this way, never
    removed or reworded: taking a yank back is a deliberate ``--undo`` where the registry lives."""
    added = {kind: dict(incoming[kind]) for kind in _TEXT_KEY
             if kind not in held and isinstance(incoming.get(kind), dict)}
    return {**held, **added} if added else held


def carried_marks(record: dict) -> dict:
    """The well-formed marks of a record read from elsewhere (a bundle's record.json), as stored:
    the text bounded and cleaned by ``shown_text``, the timestamp kept only when it is one."""
    carried = {}
    for kind, key in _TEXT_KEY.items():
        mark = record.get(kind)
        if isinstance(mark, dict) and isinstance(mark.get(key), str):
            at = mark.get("at")
            carried[kind] = {key: shown_text(mark[key]), **({"at": at} if is_timestamp(at) else {})}
    return carried



def marked(record: dict, kind: str, mark: dict | None) -> dict:
    """``record`` with its mark of ``kind`` set to ``mark``, or removed when ``mark`` is None. A
    record already carrying a mark with the same text keeps it as it is (and its time)."""
    held = record.get(kind)
    if mark is None:
        return {key: value for key, value in record.items() if key != kind} if kind in record else record
    if isinstance(held, dict) and held.get(_TEXT_KEY[kind]) == mark[_TEXT_KEY[kind]]:
        return record
    return {**record, kind: dict(mark)}
