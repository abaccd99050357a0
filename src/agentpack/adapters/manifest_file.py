"""Changing the version in package.yaml without touching anything else the author wrote.

ruamel.yaml's round-trip loader tells where the ``version`` value sits (line and column); the new
version is spliced into the text at that spot, keeping its quoting. Re-emitting the whole document,
even in round-trip mode, re-indents lists and re-wraps long lines, and an author who bumps a
version expects a one-line diff. Only when the value cannot be spliced (a block scalar, say) is
the document re-emitted by ruamel, which still keeps comments and key order.
"""

from __future__ import annotations

import io

from agentpack.errors import WorkspaceError

_PLAIN_END = frozenset(" \t\r\n#,]}")  # what ends a plain scalar here (block or flow style)


def set_manifest_version(text: str, version: str, *, source: str = "package.yaml") -> str:
    """Return package.yaml ``text`` with its top-level ``version`` set to ``version``.

    Every other byte (comments, quoting, indentation, line endings) is kept. Raises
    ``WorkspaceError`` naming ``source`` when the text is not a mapping with a ``version`` key.
    """
    yaml = _round_trip()
    data = _load(yaml, text, source)
    line, column = data.lc.value("version")
    lines = text.splitlines(keepends=True)
    if line < len(lines):
        current = lines[line]
        end = _scalar_end(current, column)
        if end is not None:
            quote = current[column] if current[column] in "'\"" else ""
            lines[line] = f"{current[:column]}{quote}{version}{quote}{current[end:]}"
            edited = "".join(lines)
            if str(_load(yaml, edited, source).get("version")) == version:
                return edited
    data["version"] = version
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _round_trip():
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    return yaml


def _load(yaml, text: str, source: str):
    from ruamel.yaml.error import YAMLError

    try:
        data = yaml.load(text)
    except YAMLError as exc:
        raise WorkspaceError(f"{source} is not valid YAML: {exc}", path=source) from None
    if not isinstance(data, dict) or "version" not in data:
        raise WorkspaceError(f"{source} has no top-level 'version' field", path=source,
                             hint="add one, e.g. version: 1.0.0")
    return data


def _scalar_end(line: str, start: int) -> int | None:
    """Where the one-line scalar starting at ``start`` ends (None when it is not one)."""
    if start >= len(line):
        return None
    first = line[start]
    if first in "'\"":
        close = line.find(first, start + 1)
        return None if close < 0 else close + 1
    if first in "|>&*!":  # block scalars, anchors, aliases, tags: leave those to ruamel
        return None
    end = start
    while end < len(line) and line[end] not in _PLAIN_END:
        end += 1
    return end if end > start else None
