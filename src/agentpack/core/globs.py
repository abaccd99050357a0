"""Path globs as quality-gate rules write them: ``agents/*.md``, ``**/*.md``, ``config/[a-z]*.yaml``.

A glob is matched against a whole package-relative POSIX path, segment by segment:

- ``*`` matches any characters inside one segment (never a ``/``), ``?`` one such character;
- ``[abc]``, ``[a-z]`` and ``[!abc]`` match one character of (or not of) a set;
- a segment that is exactly ``**`` matches zero or more whole segments, so ``**/*.md`` matches
  ``README.md`` as well as ``agents/triage/inbox.md``;
- everything else matches itself, case-sensitively (package paths are case-sensitive).

So ``agents/*.md`` does not match ``agents/triage/inbox.md``; write ``agents/**/*.md`` for that.
"""

from __future__ import annotations

import functools
import re


def glob_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable package glob, in a few words; ``None`` when it is fine.

    A glob must be a non-empty relative path with forward slashes and no ``..`` segment, and every
    ``[`` must be closed: it can only ever name files inside the package.
    """
    if not pattern:
        return "is empty"
    if "\\" in pattern:
        return "uses backslashes; write globs with forward slashes"
    if pattern.startswith("/"):
        return "is absolute; globs are relative to the package folder"
    if ".." in pattern.split("/"):
        return "contains a '..' segment; globs stay inside the package"
    try:
        _compile(pattern)
    except re.error:
        return "has an unclosed or empty '[...]' character set"
    return None


def glob_matches(pattern: str, path: str) -> bool:
    """True when the package-relative POSIX ``path`` matches ``pattern`` as a whole (see above)."""
    return _compile(pattern).fullmatch(path) is not None


@functools.lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    segments = [segment for segment in pattern.split("/") if segment not in ("", ".")]
    parts: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            # Zero or more whole segments, each followed by its slash (or the rest of the path).
            parts.append(".*" if last else "(?:[^/]*/)*")
        else:
            parts.append(_segment(segment) + ("" if last else "/"))
    return re.compile("".join(parts))


def _segment(segment: str) -> str:
    """The regular expression for one segment; raises ``re.error`` for an unclosed ``[``."""
    out: list[str] = []
    index = 0
    while index < len(segment):
        char = segment[index]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = segment.find("]", index + 1)
            if end < 0:
                raise re.error("unclosed character set")
            body = segment[index + 1 : end]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            if not body:
                raise re.error("empty character set")
            escaped = body.replace("\\", "\\\\").replace("^", "\\^").replace("[", "\\[")
            out.append(f"[^/{escaped}]" if negate else f"[{escaped}]")
            index = end
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)
