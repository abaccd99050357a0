"""The ``agents-md`` target: one generated section of ``AGENTS.md`` listing what packages installed.

Codex, Copilot, Cursor, OpenCode and most other tools load ``AGENTS.md`` (Gemini CLI loads
``GEMINI.md``, the same section fits there). agentops owns exactly the text between two marker
lines and never touches a byte outside them:

    <!-- agentops:begin -->
    ...generated...
    <!-- agentops:end -->

The rules for that section are written once, in ``render_agents_md``'s docstring.
"""

from __future__ import annotations

from collections.abc import Iterable

from agentpack.core.records import dataclass
from agentpack.core.target_markers import MARKERS
from agentpack.core.targets.base import Component, Load, Target
from agentpack.core.targets.markdown import MarkdownFile, description_of
from agentpack.errors import ValidationError, WorkspaceError

BEGIN = "<!-- agentops:begin -->"
END = "<!-- agentops:end -->"
FILE_NAME = "AGENTS.md"
KIND_ORDER = ("agents", "commands", "skills", "rules", "workflows", "patterns")
_KIND_TITLES = {"agents": "Agents", "commands": "Commands", "skills": "Skills", "rules": "Rules",
                "workflows": "Workflows", "patterns": "Patterns"}


@dataclass(frozen=True)
class Entry:
    """One component listed in the section: its package, kind, name, description and installed path."""

    package: str
    kind: str
    name: str
    description: str
    path: str


def describe(component: Component, load: Load) -> str:
    """The one-line description of a component for its entry: its frontmatter's ``description``
    (``SKILL.md``'s for a skill), else its body's first line, else ``""``. Never raises for bad
    content: a file that is not UTF-8 text has no description.
    """
    content = dict(component.files).get("SKILL.md", b"") if component.kind == "skills" else component.content
    try:
        return description_of(MarkdownFile(content, load), "")
    except ValidationError:
        return ""


def render_agents_md(existing: str | None, entries: Iterable[Entry], *, file_name: str = FILE_NAME) -> str | None:
    """The new text of ``AGENTS.md`` (or ``GEMINI.md``) with the generated section for ``entries``.

    ``existing`` is the file's current text (``None`` when there is no file). Raises
    ``WorkspaceError`` (with ``path=file_name``) for duplicated, unbalanced or misordered markers.

    Rules, in order:
    1. A file with a marker twice, only one of the two, or the end before the begin is refused
       (``WorkspaceError``): agentops cannot tell which text is its own.
    2. With markers: the text from the begin marker to the end marker is replaced; no entries remove
       the section (markers included, and the blank line before a section that ends the file) and
       leave everything else as it was; an empty result means the file held nothing else.
    3. Without markers: the section is appended after the user's text, separated by one blank line; no
       entries leave the text unchanged. No file and no entries give ``None`` (nothing to write).
    4. The section keeps its own line ending on a rewrite; a new one uses the file's (CRLF when the
       file's first line ends with one).
    5. Order is deterministic: packages by name, kinds in ``KIND_ORDER``, components by name.
    """
    entries = list(entries)
    text = existing or ""
    span = _marker_span(text, file_name)
    newline = _newline(text, span)
    section = _section(entries, newline) if entries else ""
    if span is not None:
        start, end = span
        if not section:
            after = end + (len(newline) if text.startswith(newline, end) else 0)
            head, rest = text[:start], text[after:]
            if not rest and head.endswith(newline * 2):
                head = head[: -len(newline)]  # the blank line rule 3 put before an appended section
            return head + rest
        return text[:start] + section + text[end:]
    if not section:
        return existing
    if not text:
        return section + newline
    separator = "" if text.endswith(newline * 2) else (newline if text.endswith("\n") else newline * 2)
    return text + separator + section + newline


def _newline(text: str, span: tuple[int, int] | None) -> str:
    # The section's own line ending when there is one, so a rewrite is stable; else the file's.
    if span is not None:
        return "\r\n" if text.startswith("\r\n", span[0] + len(BEGIN)) else "\n"
    return "\r\n" if "\r\n" in text[: text.find("\n") + 1] else "\n"


def _marker_span(text: str, file_name: str) -> tuple[int, int] | None:
    begins, ends = text.count(BEGIN), text.count(END)
    if begins == 0 and ends == 0:
        return None
    if begins != 1 or ends != 1:
        raise WorkspaceError(
            f"{file_name} has {begins} '{BEGIN}' and {ends} '{END}' markers; exactly one of each is needed",
            path=file_name,
            hint="remove the extra or lone marker lines so agentops can find its own section",
        )
    start, end = text.index(BEGIN), text.index(END)
    if end < start:
        raise WorkspaceError(
            f"{file_name} has '{END}' before '{BEGIN}'",
            path=file_name,
            hint="put the begin marker before the end marker, or remove both to regenerate the section",
        )
    return start, end + len(END)


def _section(entries: list[Entry], newline: str) -> str:
    lines = [BEGIN, "<!-- Generated by agentops from agentops.lock: edits between these markers are replaced. -->",
             "## Installed agent packages"]
    by_package: dict[str, list[Entry]] = {}
    for entry in entries:
        by_package.setdefault(entry.package, []).append(entry)
    for package in sorted(by_package):
        lines += ["", f"### {package}"]
        for kind in sorted({e.kind for e in by_package[package]}, key=_kind_rank):
            lines += ["", f"{_KIND_TITLES.get(kind, kind.capitalize())}:", ""]
            for entry in sorted((e for e in by_package[package] if e.kind == kind), key=lambda e: (e.name, e.path)):
                description = _one_line(entry.description)
                lines.append(f"- `{entry.name}`" + (f": {description}" if description else "") + f" (`{entry.path}`)")
    lines.append(END)
    return newline.join(lines)


def _kind_rank(kind: str) -> tuple[int, str]:
    return (KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER), kind)


def _one_line(text: str) -> str:
    # A description must not end the section early or open a comment that swallows the end marker.
    return " ".join(str(text).split()).replace("<!--", "&lt;!--").replace("-->", "--&gt;")


TARGET = Target(
    name="agents-md",
    title="AGENTS.md",
    markers=MARKERS["agents-md"],
    kinds={},
    mcp=None,
    context_file=FILE_NAME,
    notes={kind: "listed in the generated AGENTS.md section with its installed path" for kind in KIND_ORDER},
)
