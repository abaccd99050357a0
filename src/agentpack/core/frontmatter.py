"""YAML frontmatter in Markdown files: finding it, parsing it, and judging it inside a package.

Agent, workflow and pattern files are Markdown that may begin with a ``---`` line, a YAML mapping,
and a closing ``---`` (or ``...``) line. Real files written for other tools often carry frontmatter
that strict YAML rejects (Cursor rules with ``globs: **/*``, descriptions with an unquoted ``: ``),
and those files must still be packageable, so problems found here are warnings, never errors.

The YAML loader is passed in by the caller: this module is part of the pure core and does no I/O.
"""

from __future__ import annotations

from collections.abc import Callable

from agentpack.core.records import dataclass
from agentpack.core.type_names import Any
from agentpack.errors import Problem, YamlError

_BOM = "\ufeff"
_OPENERS = ("---",)
_CLOSERS = ("---", "...")
MARKDOWN_SUFFIXES = (".md", ".mdc", ".markdown")


@dataclass(frozen=True)
class Frontmatter:
    """Parsed frontmatter: the mapping (``None`` when the file has none), its first line, the body."""

    data: dict | None
    line: int  # 1-based line of the first YAML line; 0 when there is no frontmatter
    body: str


def split_frontmatter(text: str) -> tuple[str | None, int, str]:
    """Split Markdown ``text`` into (frontmatter YAML text or None, its 1-based start line, body).

    Frontmatter exists only when the very first line (after an optional UTF-8 BOM) is ``---``; it
    runs up to the next line that is ``---`` or ``...`` (trailing whitespace allowed, CRLF line ends
    tolerated). The start line is the line just after the opening ``---`` (so 2), which is what a
    YAML error's line number must be offset by. Without frontmatter, or when the opening ``---`` is
    never closed, the result is ``(None, 0, text)`` with any BOM removed. The YAML text keeps the
    file's line endings; the body is everything after the closing line.
    """
    if text.startswith(_BOM):
        text = text[1:]
    first_end = text.find("\n")
    first_line = text if first_end < 0 else text[:first_end]
    if first_end < 0 or first_line.rstrip() not in _OPENERS:
        return None, 0, text
    start = first_end + 1
    position = start
    while position <= len(text):
        end = text.find("\n", position)
        line = text[position:] if end < 0 else text[position:end]
        if line.rstrip() in _CLOSERS:
            body = "" if end < 0 else text[end + 1 :]
            return text[start:position], 2, body
        if end < 0:
            break
        position = end + 1
    return None, 0, text


def parse_frontmatter(text: str, load: Callable[[str], Any]) -> Frontmatter:
    """Find and parse the frontmatter of Markdown ``text`` with ``load`` (YAML text -> data).

    Returns a ``Frontmatter`` whose ``data`` is ``None`` when the file has no frontmatter and ``{}``
    when it is empty. Raises ``YamlError`` when the YAML does not parse (the error's ``line`` is
    moved from the frontmatter's numbering to the file's) or when it is not a mapping. ``load``
    should raise ``YamlError`` for bad YAML, as ``adapters.yamlio.load_yaml`` does.
    """
    yaml_text, line, body = split_frontmatter(text)
    if yaml_text is None:
        return Frontmatter(data=None, line=0, body=body)
    try:
        data = load(yaml_text)
    except YamlError as exc:
        file_line = exc.line + line - 1 if exc.line else None
        raise YamlError(exc.message, path=exc.path, line=file_line, hint=exc.hint) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise YamlError(
            f"frontmatter is a {_yaml_kind(data)}, not a mapping of keys to values",
            line=line,
            hint="start the file with '---', then 'key: value' lines, then '---'",
        )
    return Frontmatter(data=data, line=line, body=body)


def check_markdown(path: str, content: bytes, load: Callable[[str], Any]) -> list[Problem]:
    """Return the warnings for one agent, workflow or pattern Markdown file of a package.

    ``bad-frontmatter`` when the frontmatter does not parse as YAML (with the file's line number of
    the YAML error) or is not a mapping; ``not-utf8`` when the file is not UTF-8 text. A file
    without frontmatter is fine. Never raises for bad content and never returns errors: real files
    written for other tools must stay packageable.
    """
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = content.count(b"\n", 0, exc.start) + 1
        return [
            Problem(
                "warning",
                "not-utf8",
                f"{path} is not UTF-8 text (byte 0x{content[exc.start]:02x} at line {line}); "
                "its frontmatter cannot be checked",
                path=path,
                line=line,
            )
        ]
    try:
        parse_frontmatter(text, load)
    except YamlError as exc:
        return [
            Problem(
                "warning",
                "bad-frontmatter",
                f"frontmatter of {path} is not a valid YAML mapping: {exc.message}"
                + (f"; {exc.hint}" if exc.hint else ""),
                path=path,
                line=exc.line,
            )
        ]
    return []


def _yaml_kind(data: object) -> str:
    if isinstance(data, list):
        return "list"
    if isinstance(data, str):
        return "plain string"
    return type(data).__name__
