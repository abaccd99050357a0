"""Editing the frontmatter of a Markdown file line by line, touching only the fields that must change.

Real agent files carry frontmatter that strict YAML rejects (Cursor's ``globs: **/*``, descriptions
with an unquoted ``: ``), and users diff what agentops writes against what they shipped. So a
translation never re-dumps the YAML: it reads values (strict YAML first, a tolerant ``key: value``
reader second) and then replaces, removes or appends whole top-level entries as text. Everything
else keeps its bytes: the BOM, the line endings (an added line uses the file's own), comments,
quoting, key order and the body. A file whose fields need no change comes back as the same bytes.
"""

from __future__ import annotations

import json

from agentpack.core.frontmatter import split_frontmatter
from agentpack.core.targets.base import Context, Load
from agentpack.core.type_names import Any
from agentpack.errors import ValidationError

_BOM = "\ufeff"
_DESCRIPTION_LIMIT = 1024  # the Agent Skills limit, the strictest of the tools
_YAML_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"})


class MarkdownFile:
    """A Markdown file whose top-level frontmatter entries can be read and edited as text.

    ``fields`` holds the parsed frontmatter (``{}`` when there is none); values read by the
    tolerant reader (when strict YAML fails) are the raw text after ``key:``, unquoted, and
    ``strict`` is false. ``body`` is the text after the frontmatter. ``to_bytes()`` returns the
    original bytes when nothing changed.
    """

    def __init__(self, content: bytes, load: Load) -> None:
        self._original = content
        self._load = load
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError(f"not UTF-8 text (byte {exc.start}); its frontmatter cannot be translated") from exc
        self._bom = _BOM if text.startswith(_BOM) else ""
        text = text[len(self._bom):]
        yaml_text, _, body = split_frontmatter(text)
        self.body = body
        self.newline = "\r\n" if "\r\n" in text[: max(text.find("\n") + 1, 0)] else "\n"
        self.changed = False
        self.strict = True
        if yaml_text is None:
            self.has_frontmatter = False
            self._opener, self._lines, self._closer = f"---{self.newline}", [], f"---{self.newline}"
            self.fields: dict = {}
            return
        self.has_frontmatter = True
        opener_end = text.find("\n") + 1
        self._opener = text[:opener_end]
        self._closer = text[opener_end + len(yaml_text): len(text) - len(body)]
        self._lines = yaml_text.splitlines(keepends=True)
        self.fields, self.strict = _read_fields(yaml_text, load)

    def has(self, key: str) -> bool:
        return self._entry(key) is not None

    def set(self, key: str, value: Any) -> None:
        """Give top-level ``key`` the YAML rendering of ``value``, in place, or appended at the end."""
        line = f"{key}: {render_yaml_value(value)}{self.newline}"
        span = self._entry(key)
        if span is None:
            if self._lines and not self._lines[-1].endswith("\n"):
                self._lines[-1] += self.newline
            self._lines.append(line)
        else:
            self._lines[span[0]: span[1]] = [line]
        self.fields[key] = value
        self.changed = True

    def remove(self, key: str) -> None:
        """Remove top-level ``key`` and its continuation lines; nothing when it is absent."""
        span = self._entry(key)
        if span is not None:
            del self._lines[span[0]: span[1]]
            self.fields.pop(key, None)
            self.changed = True

    def rename(self, old: str, new: str) -> None:
        """Rename top-level ``old`` to ``new``, keeping its value's text exactly."""
        span = self._entry(old)
        if span is None:
            return
        first = self._lines[span[0]]
        self._lines[span[0]] = new + first[first.index(":"):]
        if old in self.fields:
            self.fields[new] = self.fields.pop(old)
        self.changed = True

    def quote_rejected_entries(self) -> None:
        """Write again, quoted, each one-line entry that strict YAML rejects, so that a tool with a
        strict YAML reader (Gemini CLI, Copilot CLI) loads the file.

        ``description: Triggers on: 'x'`` (an unquoted ``: ``) becomes ``description: "Triggers on:
        'x'"`` with the same value. Entries that parse, and entries on several lines, keep their
        text; nothing changes when the frontmatter already parses.
        """
        if self.strict:
            return
        for key, start, end in _entries(self._lines):
            line, rest = self._lines[start], self._lines[start + 1: end]
            value = self.fields.get(key)
            if not isinstance(value, str) or any(r.strip() and not r.lstrip().startswith("#") for r in rest):
                continue
            if not _parses(line, self._load):
                self.set(key, value)
        self.strict = _parses("".join(self._lines), self._load)

    def to_text(self) -> str:
        """The whole file as text, BOM included."""
        if not self.changed:
            return self._original.decode("utf-8")
        if not self.has_frontmatter and not self._lines:
            return self._bom + self.body
        return self._bom + self._opener + "".join(self._lines) + self._closer + self.body

    def to_bytes(self) -> bytes:
        return self._original if not self.changed else self.to_text().encode("utf-8")

    def _entry(self, key: str) -> tuple[int, int] | None:
        for name, start, end in _entries(self._lines):
            if name == key:
                return start, end
        return None


def _entries(lines: list[str]) -> list[tuple[str, int, int]]:
    """Top-level ``key:`` entries as (key, first line, line after the last) of the YAML lines.

    An entry runs from its key line to the next top-level key line; indented, blank, list and
    comment lines in between belong to it (a block scalar, a list, a nested mapping).
    """
    found: list[tuple[str, int, int]] = []
    for index, line in enumerate(lines):
        key = _top_level_key(line)
        if key is None:
            continue
        if found:
            found[-1] = (found[-1][0], found[-1][1], index)
        found.append((key, index, len(lines)))
    return found


def _top_level_key(line: str) -> str | None:
    if not line or line[0] in " \t#-\r\n[{":
        return None
    colon = line.find(":")
    if colon <= 0:
        return None
    if colon + 1 < len(line) and line[colon + 1] not in " \t\r\n":
        return None
    key = line[:colon].strip()
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "'\"":
        key = key[1:-1]
    return key


def _read_fields(yaml_text: str, load: Load) -> tuple[dict, bool]:
    """The frontmatter's fields, and whether strict YAML read them (else the tolerant reader did)."""
    try:
        data = load(yaml_text)
    except Exception:  # YamlError from adapters.yamlio, PyYAML's own errors from yaml.safe_load
        return _tolerant_fields(yaml_text), False
    if isinstance(data, dict):
        return data, True
    return _tolerant_fields(yaml_text), data is None  # None: nothing but blank lines and comments


def _parses(yaml_text: str, load: Load) -> bool:
    """Whether strict YAML reads ``yaml_text`` as a mapping (or as nothing)."""
    return _read_fields(yaml_text, load)[1]


def _tolerant_fields(yaml_text: str) -> dict:
    """``key: value`` pairs read as plain text, for frontmatter that strict YAML rejects."""
    fields: dict[str, Any] = {}
    for line in yaml_text.splitlines():
        key = _top_level_key(line + "\n")
        if key is None:
            continue
        value = line[line.index(":") + 1:].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        fields[key] = value
    return fields


def render_yaml_value(value: Any) -> str:
    """A YAML rendering of a string, boolean, number or list of strings, on one line.

    Strings stay plain when that is unambiguous and are written double-quoted (JSON escapes, which
    YAML accepts) otherwise, so a glob like ``**/*`` or a description with ``: `` survives.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(json.dumps(str(item), ensure_ascii=False) for item in value) + "]"
    text = str(value)
    if _plain_is_safe(text):
        return text
    return json.dumps(text, ensure_ascii=False)


def _plain_is_safe(text: str) -> bool:
    if not text or text.lower() in _YAML_WORDS or text != text.strip():
        return False
    if text[0] in "-?:,[]{}#&*!|>'\"%@`0123456789.+":
        return False
    return all(ch.isalnum() or ch in " -_./()" for ch in text)


def first_line_description(body: str) -> str:
    """A description made from a body: its first non-blank line, heading marks removed.

    Used when a tool requires ``description`` and the file has none. Whitespace is collapsed and
    the result is cut at 1,024 characters. Returns ``""`` for an empty body.
    """
    for line in body.splitlines():
        text = " ".join(line.strip().lstrip("#").split())
        if text and not text.startswith("```"):
            return text[:_DESCRIPTION_LIMIT]
    return ""


def description_of(document: MarkdownFile, fallback: str) -> str:
    """The file's ``description`` on one line, else its body's first line, else ``fallback``."""
    current = document.fields.get("description")
    if not (isinstance(current, str) and current.strip()):
        current = first_line_description(document.body) or fallback
    return " ".join(str(current).split())


def named_agent(content: bytes, context: Context) -> bytes:
    """An agent for a tool that needs ``name`` and ``description`` (Claude Code, Cursor).

    Both are added when missing (``name`` from the output name, ``description`` from the body's
    first line); ``name`` follows a prefixed output name; nothing else is touched.
    """
    document = MarkdownFile(content, context.load)
    ensure_name(document, context.name, replace=context.prefixed)
    ensure_description(document, context.name)
    return document.to_bytes()


def ensure_description(document: MarkdownFile, fallback: str) -> None:
    """Add ``description`` (from the body's first line, else ``fallback``) when it is missing or empty."""
    current = document.fields.get("description")
    if isinstance(current, str) and current.strip():
        return
    if current not in (None, "") and not isinstance(current, str):
        return
    document.set("description", first_line_description(document.body) or fallback)


def ensure_name(document: MarkdownFile, name: str, *, replace: bool) -> None:
    """Set ``name`` to ``name`` when it is missing, or always when ``replace`` (a prefixed output)."""
    current = document.fields.get("name")
    if replace or not (isinstance(current, str) and current.strip()):
        if current != name:
            document.set("name", name)


def skill(content: bytes, context: Context) -> bytes:
    """A ``SKILL.md`` for any tool: unchanged, except ``name`` follows a prefixed folder name.

    The Agent Skills format asks ``name`` to match the folder, so under ``prefix: package`` the
    field is rewritten with the folder; without a prefix the file keeps its bytes.
    """
    if not context.prefixed:
        return content
    document = MarkdownFile(content, context.load)
    ensure_name(document, context.name, replace=True)
    return document.to_bytes()


def slug(text: str) -> str:
    """``text`` as a lowercase slug of letters, digits, ``-`` and ``_`` (Gemini's rule for names)."""
    out = []
    for ch in text.lower():
        out.append(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-")
    result = "-".join(part for part in "".join(out).split("-") if part)
    return result or "agent"


_EVERYTHING = frozenset({"**", "**/*", "*", "**/**"})


def rule_scope(fields: dict) -> tuple[list[str] | None, bool]:
    """Where a rule applies, read from any tool's fields: (globs or None, applies always).

    ``applyTo`` (Copilot), ``globs`` (Cursor) and ``paths`` (Claude Code) are read in that order,
    each as a list or a comma-separated string; ``alwaysApply: true`` or a glob that matches every
    file (``**``, ``**/*``) means the rule applies always. ``(None, False)`` when nothing says.
    """
    globs = None
    for field in ("applyTo", "globs", "paths"):
        raw = fields.get(field)
        if isinstance(raw, str) and raw.strip():
            globs = [part.strip() for part in raw.split(",") if part.strip()]
        elif isinstance(raw, list) and raw:
            globs = [str(part).strip() for part in raw if str(part).strip()]
        if globs:
            break
    always = fields.get("alwaysApply") in (True, "true", "True")
    if globs and set(globs) <= _EVERYTHING:
        return None, True
    return globs or None, always
