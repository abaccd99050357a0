"""The checks a quality-gate rule can make, each applied to one file (see core.gates for the format).

A check returns ``(line, detail)`` pairs, one per violation; ``core.gates.evaluate`` turns them into
problems carrying the rule's id and severity. Files are read once per evaluation through a
``FileView`` that decodes the text and parses frontmatter or YAML lazily, remembering failures:
real files written for other tools often carry frontmatter strict YAML rejects (``globs: **/*``),
and for a gate that needs the frontmatter that is a violation to report, not an error to raise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping

from agentpack.core.frontmatter import MARKDOWN_SUFFIXES, split_frontmatter
from agentpack.core.type_names import Any
from agentpack.errors import YamlError

YAML_SUFFIXES = (".yaml", ".yml")
MAX_MATCHES_PER_FILE = 100  # forbid_regex: past this, one summary line instead of thousands
_EXCERPT = 60
_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")


class _AnyAgent(Collection[str]):
    """Stands for a package whose agents cannot be listed where the gates run: every name is in it."""

    def __contains__(self, name: object) -> bool:
        return True

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "ANY_AGENT"


# Returned by an agent lookup for a package that exists but cannot be inspected (a declared
# dependency while a package validates itself): its steps are accepted rather than guessed at.
ANY_AGENT: Collection[str] = _AnyAgent()
AgentLookup = Mapping[str, Collection[str]] | Callable[[str], Collection[str] | None]


class FileView:
    """One component under check: its bytes, and its text, frontmatter and YAML on first use."""

    def __init__(self, path: str, content: bytes, load_yaml: Callable[..., tuple[Any, dict]]) -> None:
        self.path = path
        self.content = content
        self._load_yaml = load_yaml
        self._text: tuple[str | None, int] | None = None
        self._front: tuple | None = None
        self._yaml: tuple | None = None

    @property
    def is_markdown(self) -> bool:
        """True for .md, .mdc and .markdown files: the ones frontmatter and section checks read."""
        return self.path.lower().endswith(MARKDOWN_SUFFIXES)

    @property
    def is_yaml(self) -> bool:
        """True for .yaml and .yml files: the ones ``require_keys`` reads."""
        return self.path.lower().endswith(YAML_SUFFIXES)

    def text(self) -> tuple[str | None, int]:
        """(the UTF-8 text without a BOM, 0), or (None, line of the first byte that is not UTF-8)."""
        if self._text is None:
            try:
                self._text = (self.content.decode("utf-8").removeprefix("\ufeff"), 0)
            except UnicodeDecodeError as exc:
                self._text = (None, self.content.count(b"\n", 0, exc.start) + 1)
        return self._text

    def frontmatter(self) -> tuple[dict | None, dict[tuple, int], int, str | None, int]:
        """``(data, key lines, body line, error, error line)`` with every line in file numbering.

        ``data`` is ``None`` when the file has no frontmatter or it cannot be read; then ``error``
        says why it cannot be read (or is ``None`` when there simply is none). ``body line`` is the
        first line after the frontmatter, where a missing section is reported.
        """
        if self._front is None:
            self._front = self._read_frontmatter()
        return self._front

    def yaml(self) -> tuple[Any, dict[tuple, int], str | None, int]:
        """``(data, key lines, error, error line)`` for the whole file read as one YAML document."""
        if self._yaml is None:
            try:
                data, lines = self._load_yaml(self.content, source=self.path)
                self._yaml = (data, lines, None, 0)
            except YamlError as exc:
                self._yaml = (None, {}, _yaml_reason(exc), exc.line or 1)
        return self._yaml

    def _read_frontmatter(self) -> tuple:
        text, bad_line = self.text()
        if text is None:
            return None, {}, 1, "the file is not UTF-8 text", bad_line
        yaml_text, start, body = split_frontmatter(text)
        body_line = text.count("\n", 0, len(text) - len(body)) + 1
        if yaml_text is None:
            return None, {}, body_line, None, 0
        offset = start - 1  # frontmatter line 1 is file line `start`
        try:
            data, lines = self._load_yaml(yaml_text, source=self.path)
        except YamlError as exc:
            return None, {}, body_line, _yaml_reason(exc), (exc.line or 1) + offset
        if data is None:
            data = {}
        if not isinstance(data, dict):
            return None, {}, body_line, "it is not a mapping of keys to values", start
        return data, {path: line + offset for path, line in lines.items()}, body_line, None, 0


def agent_names(views: Iterable[FileView]) -> frozenset[str]:
    """The agent names a set of components defines: each Markdown file under ``agents/`` counts by
    its file stem (``triage`` for ``agents/triage.md``, also ``x`` for ``x.agent.md``) and by the
    ``name`` in its frontmatter when that is readable."""
    names: set[str] = set()
    for view in views:
        if not (view.path.startswith("agents/") and view.is_markdown):
            continue
        stem = view.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        names.add(stem)
        names.add(stem.removesuffix(".agent"))
        data = view.frontmatter()[0]
        if data is not None and isinstance(data.get("name"), str):
            names.add(data["name"].strip())
    return frozenset(names)


def run_check(
    kind: str, value: Any, view: FileView, package: str, agents: Callable[[str], Collection[str] | None]
) -> list[tuple[int | None, str]]:
    """Apply one check (``kind`` with its parsed ``value``) to ``view``; return its violations.

    ``package`` is the package the file belongs to, and ``agents(name)`` the agent names of a
    package (``None`` when that package is not available) for ``resolve_step_agents``.
    """
    if kind in _MARKDOWN_CHECKS and not view.is_markdown:
        return []
    if kind == "require_keys" and not view.is_yaml:
        return []
    if kind == "resolve_step_agents":
        return _resolve_step_agents(view, package, agents)
    return _CHECKS[kind](value, view)


def _unreadable(view: FileView, needs: str) -> list[tuple[int | None, str]]:
    """The violation for a frontmatter check on a file whose frontmatter cannot be read, else []."""
    data, _, _, error, error_line = view.frontmatter()
    if error is None:
        return []
    return [(error_line, f"the frontmatter is unreadable, so {needs} cannot be checked: {error}")]


def _require_frontmatter(fields: tuple[str, ...], view: FileView) -> list[tuple[int | None, str]]:
    data, lines, _, error, _ = view.frontmatter()
    if error is not None:
        return _unreadable(view, "the required fields (" + ", ".join(fields) + ")")
    if data is None:
        return [(1, f"has no frontmatter; it needs a '---' block at the top with {', '.join(fields)}")]
    found = []
    for field in fields:
        if field not in data:
            found.append((1, f"the frontmatter has no '{field}' field"))
        elif data[field] is None or (isinstance(data[field], (str, list, dict)) and not data[field]):
            found.append((lines.get((field,), 1), f"the frontmatter field '{field}' is empty"))
    return found


def _allowed_values(allowed: tuple, view: FileView) -> list[tuple[int | None, str]]:
    data, lines, _, error, _ = view.frontmatter()
    if error is not None:
        return _unreadable(view, "the allowed values of " + ", ".join(f"'{f}'" for f, _ in allowed))
    found = []
    for field, values in allowed:
        if data is None or field not in data or data[field] is None:
            continue  # absence is require_frontmatter's business
        value = data[field]
        items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        for index, item in items:
            if not any(_same(item, choice) for choice in values):
                key = (field,) if index is None else (field, index)
                line = lines.get(key, lines.get((field,), 1))
                shown = ", ".join(str(choice) for choice in values)
                found.append((line, f"the frontmatter field '{field}' is {_show(item)}; allowed: {shown}"))
    return found


def _max_bytes(limit: int, view: FileView) -> list[tuple[int | None, str]]:
    size = len(view.content)
    if size <= limit:
        return []
    line = view.content.count(b"\n", 0, limit) + 1
    return [(line, f"is {size:,} bytes, over the limit of {limit:,} (the limit falls on this line)")]


def _require_sections(sections: tuple[str, ...], view: FileView) -> list[tuple[int | None, str]]:
    text, bad_line = view.text()
    if text is None:
        return [(bad_line, "is not UTF-8 text, so its sections cannot be checked")]
    body_line = view.frontmatter()[2]
    lines = text.split("\n")[body_line - 1 :]
    present = {_fold(heading) for heading in _headings(lines)}
    return [(body_line, f"has no '{section}' section (a Markdown heading)")
            for section in sections if _fold(section) not in present]


def _forbid_regex(patterns: tuple[re.Pattern[str], ...], view: FileView) -> list[tuple[int | None, str]]:
    text = view.content.decode("utf-8", errors="replace").removeprefix("\ufeff")
    found: list[tuple[int | None, str]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        for pattern in patterns:
            match = pattern.search(line.rstrip("\r"))
            if match is None:
                continue
            if len(found) == MAX_MATCHES_PER_FILE:
                return [*found, (number, f"more lines match past this one; only the first "
                                         f"{MAX_MATCHES_PER_FILE} are reported")]
            excerpt = match.group(0)
            excerpt = excerpt if len(excerpt) <= _EXCERPT else excerpt[: _EXCERPT - 3] + "..."
            found.append((number, f"matches the forbidden pattern /{pattern.pattern}/: {excerpt!r}"))
    return found


def _require_keys(paths: tuple[tuple[str, ...], ...], view: FileView) -> list[tuple[int | None, str]]:
    data, lines, error, error_line = view.yaml()
    keys = ", ".join(".".join(path) for path in paths)
    if error is not None:
        return [(error_line, f"is not readable YAML, so the keys {keys} cannot be checked: {error}")]
    if not isinstance(data, dict):
        return [(1, f"is not a mapping of keys, so the keys {keys} cannot be checked")]
    found = []
    for path in paths:
        node: Any = data
        for depth, key in enumerate(path):
            if not isinstance(node, dict) or key not in node:
                line = lines.get(path[:depth], 1) if depth else 1
                found.append((line, f"has no key '{'.'.join(path)}'"))
                break
            node = node[key]
    return found


def _resolve_step_agents(
    view: FileView, package: str, agents: Callable[[str], Collection[str] | None]
) -> list[tuple[int | None, str]]:
    """Every ``steps:`` item with an ``agent:`` names an agent of its ``package:`` (default: the
    workflow's own package) that exists. Steps without ``agent:`` (patterns, sub-workflows,
    hand-offs) are not this check's business."""
    data, lines, _, error, _ = view.frontmatter()
    if error is not None:
        return _unreadable(view, "the agents its steps name")
    if data is None or data.get("steps") is None:
        return []
    steps = data["steps"]
    if not isinstance(steps, list):
        return [(lines.get(("steps",), 1), "the frontmatter field 'steps' is not a list of steps")]
    found: list[tuple[int | None, str]] = []
    for index, step in enumerate(steps):
        if not isinstance(step, dict) or "agent" not in step:
            continue
        label = f"step '{step['id']}'" if isinstance(step.get("id"), (str, int)) else f"step {index + 1}"
        line = lines.get(("steps", index, "agent"), lines.get(("steps", index), 1))
        agent, owner = step["agent"], step.get("package", package)
        if not isinstance(agent, str) or not isinstance(owner, str):
            found.append((line, f"{label}: 'agent' and 'package' must be names"))
            continue
        names = agents(owner)
        if names is None:
            line = lines.get(("steps", index, "package"), line)
            found.append((line, f"{label} names package '{owner}', which is not available here "
                                f"(not installed, or not a dependency of {package})"))
        elif agent not in names:
            where = "this package" if owner == package else f"package '{owner}'"
            found.append((line, f"{label} names agent '{agent}', which {where} does not define"))
    return found


def _headings(lines: list[str]) -> Iterable[str]:
    """The text of each ATX heading (``## Title``), skipping fenced code blocks."""
    fence = ""
    for raw in lines:
        line = raw.rstrip("\r")
        opening = _FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence) \
                    and not line.strip().strip(fence[0]):
                fence = ""
            continue
        if opening:
            fence = opening.group(1)
            continue
        heading = _HEADING.fullmatch(line)
        if heading:
            yield heading.group(2) or ""


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _same(value: Any, choice: Any) -> bool:
    # YAML reads `true` and `1` as bool and int; compare like with like so 1 never equals True.
    return type(value) is type(choice) and value == choice or (
        isinstance(value, str) and isinstance(choice, str) and value.strip() == choice.strip()
    )


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 3] + "..."


def _yaml_reason(exc: YamlError) -> str:
    return exc.message + (f" ({exc.hint})" if exc.hint else "")


_MARKDOWN_CHECKS = ("require_frontmatter", "allowed_values", "require_sections", "resolve_step_agents")
_CHECKS: dict[str, Callable[[Any, FileView], list[tuple[int | None, str]]]] = {
    "require_frontmatter": _require_frontmatter,
    "allowed_values": _allowed_values,
    "max_bytes": _max_bytes,
    "require_sections": _require_sections,
    "forbid_regex": _forbid_regex,
    "require_keys": _require_keys,
}
