"""Quality gates: a package's declarative rules (its ``validations:`` YAML files), read and applied.

A gates file (schema: ``agentpack/schemas/gates.schema.json``) looks like this::

    version: 1
    rules:
      - id: agent-frontmatter            # unique in the file; letters, digits, '.', '_', '-'
        description: Agents declare who they are and which model they need.
        files: agents/*.md               # one glob or a list, relative to the package (core.globs)
        severity: error                  # or warning; error is the default
        require_frontmatter: [name, description, model]

Each rule holds one or more checks, applied to every component the ``files`` globs select:

``require_frontmatter: [field, ...]``   Markdown frontmatter has each field, with a non-empty value.
``allowed_values: {field: [v, ...]}``   a frontmatter field (or each item of a list) is one of these.
``max_bytes: N``                        the file is at most N bytes.
``require_sections: [heading, ...]``    the Markdown body has these headings (any level, any case).
``forbid_regex: pattern | [patterns]``  no line matches; each matching line is one violation.
``resolve_step_agents: true``           every workflow step's ``agent:`` exists (see gate_checks).
``require_keys: [key.path, ...]``       a YAML file has these keys (dots walk nested mappings).

Frontmatter checks apply to Markdown files and ``require_keys`` to YAML files; other files
selected by the same glob are left alone by those checks. Keys starting with ``x-`` (top level
or inside a rule) are extensions for other readers (e.g. an agent applying message rules at run
time) and are ignored here. Any other unknown key is an error: a misspelt check must not
silently switch a gate off.

Everything here is pure: YAML is read by a ``load_yaml(text, source=...)`` passed in by the
caller, which must behave like ``adapters.yamlio.load_yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping

from agentpack.core.gate_checks import ANY_AGENT, AgentLookup, FileView, agent_names, run_check
from agentpack.core.globs import glob_matches, glob_problem
from agentpack.core.records import dataclass
from agentpack.core.type_names import Any
from agentpack.errors import Problem, YamlError

__all__ = ["ANY_AGENT", "GATES_VERSION", "INVALID_GATES", "Rule", "agent_names", "evaluate", "load_rules",
           "parse_rules", "rule_id_of"]

GATES_VERSION = 1
INVALID_GATES = "invalid-gates"  # the code of every problem in a gates file itself
GATE_CODE_PREFIX = "gate:"  # a violation's code is this plus the rule id
SEVERITIES = ("error", "warning")
CHECK_KINDS = ("require_frontmatter", "allowed_values", "max_bytes", "require_sections", "forbid_regex",
               "resolve_step_agents", "require_keys")
RULE_FIELDS = ("id", "description", "files", "severity", *CHECK_KINDS)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_EXTENSION_PREFIX = "x-"


@dataclass(frozen=True)
class Rule:
    """One parsed rule: what it selects (``files`` globs), how bad a violation is, and its checks.

    ``checks`` holds ``(kind, value)`` pairs in the order of ``CHECK_KINDS``, values already
    normalised (tuples of names, compiled patterns, key paths as tuples). ``source`` and ``line``
    say where the rule was written.
    """

    id: str
    description: str
    files: tuple[str, ...]
    severity: str
    checks: tuple[tuple[str, Any], ...]
    source: str
    line: int | None

    def selects(self, path: str) -> bool:
        """True when the package-relative ``path`` matches one of the rule's ``files`` globs."""
        return any(glob_matches(pattern, path) for pattern in self.files)


def load_rules(
    content: str | bytes, load_yaml: Callable[..., tuple[Any, dict[tuple, int]]], *, source: str
) -> tuple[list[Rule], list[Problem]]:
    """Read the gates file ``content`` (named ``source``) and return ``(rules, problems)``.

    YAML that does not parse gives no rules and one ``invalid-gates`` error at the YAML error's
    line; otherwise this is ``parse_rules``. Never raises for bad content.
    """
    try:
        data, lines = load_yaml(content, source=source)
    except YamlError as exc:
        return [], [Problem("error", INVALID_GATES, f"{source} is not valid YAML: {exc.message}",
                            path=source, line=exc.line)]
    return parse_rules(data, lines, source=source)


def parse_rules(data: Any, lines: Mapping[tuple, int], *, source: str) -> tuple[list[Rule], list[Problem]]:
    """Validate a parsed gates file (``data`` plus its key-path -> line map) and build its rules.

    Every problem is an ``invalid-gates`` error with ``path=source`` and the line of the offending
    key or value: a root that is not a mapping, a ``version`` other than 1, a missing or non-list
    ``rules``, unknown keys (with a suggestion when one is close), a rule without ``id``,
    ``description`` or ``files``, a duplicate id, a bad glob, severity or check value, a regular
    expression that does not compile, or a rule with no check at all. A rule with problems is left
    out; the valid rules of the file are still returned, so one typo does not disable every gate.
    """
    report = _Reporter(source, lines)
    if not isinstance(data, dict):
        report((), f"{source} must be a mapping with 'version: {GATES_VERSION}' and 'rules:'")
        return [], report.problems
    _unknown_keys(data, ("version", "rules"), (), report)
    if data.get("version") != GATES_VERSION:
        found = "missing" if "version" not in data else repr(data["version"])
        report(("version",) if "version" in data else (), f"'version' must be {GATES_VERSION} (found {found})")
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list):
        where = ("rules",) if "rules" in data else ()
        report(where, "'rules' must be a list of rules" if "rules" in data else "'rules:' is missing")
        return [], report.problems
    rules: list[Rule] = []
    first_line: dict[str, int | None] = {}
    for index, raw in enumerate(raw_rules):
        rule = _parse_rule(raw, ("rules", index), report)
        if rule is None:
            continue
        if rule.id in first_line:
            report(("rules", index, "id"), f"rule id '{rule.id}' is used twice (first on line {first_line[rule.id]})")
            continue
        first_line[rule.id] = rule.line
        rules.append(rule)
    return rules, sorted(report.problems, key=lambda p: p.line or 0)


def evaluate(
    rules: Iterable[Rule],
    components: Mapping[str, bytes],
    load_yaml: Callable[..., tuple[Any, dict[tuple, int]]],
    *,
    package: str,
    agents: AgentLookup | None = None,
    locations: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Apply ``rules`` to ``components`` (``{package-relative path: content}``) of ``package``.

    Returns one ``Problem`` per violation, with the rule's severity, code ``gate:<rule id>``, a
    message starting ``[<rule id>]``, ``field`` set to the check kind, and the path under which the
    file is reported (``locations[path]``, else the package-relative path) and the line of the
    violation: the frontmatter key, the matching line, the step, the YAML key. For steps that name
    agents, ``agents`` says which agent names each package has (a mapping, or a callable returning
    ``None`` for a package it does not know; ``ANY_AGENT`` accepts every name); the agents of
    ``package`` itself are always taken from ``components``. Unreadable frontmatter or YAML is a
    violation of each rule that needs it, never an exception. Sorted by path, line and code.
    """
    views = {path: FileView(path, content, load_yaml) for path, content in components.items()}
    own = agent_names(views.values())
    lookup = _lookup(agents, package, own)
    where = locations or {}
    problems = []
    for rule in rules:
        for path in sorted(views):
            if not rule.selects(path):
                continue
            for kind, value in rule.checks:
                for line, detail in run_check(kind, value, views[path], package, lookup):
                    problems.append(Problem(rule.severity, GATE_CODE_PREFIX + rule.id, f"[{rule.id}] {detail}",
                                            path=where.get(path, path), line=line, field=kind))
    return sorted(problems, key=lambda p: (p.path or "", p.line or 0, p.code, p.message))


def rule_id_of(problem: Problem) -> str | None:
    """The id of the rule a gate violation breaks (``None`` for any other problem)."""
    code = problem.code
    return code[len(GATE_CODE_PREFIX):] if code.startswith(GATE_CODE_PREFIX) else None


def _lookup(agents: AgentLookup | None, package: str, own: Collection[str]) -> Callable[[str], Any]:
    def find(name: str) -> Collection[str] | None:
        if name == package:
            return own
        if agents is None:
            return None
        return agents(name) if callable(agents) else agents.get(name)

    return find


class _Reporter:
    """Collects ``invalid-gates`` errors for one file, each at the line of a key path."""

    def __init__(self, source: str, lines: Mapping[tuple, int]) -> None:
        self.source = source
        self.lines = lines
        self.problems: list[Problem] = []

    def __call__(self, key_path: tuple, message: str) -> None:
        line = None
        for depth in range(len(key_path), -1, -1):  # the nearest key that has a line
            line = self.lines.get(key_path[:depth])
            if line is not None:
                break
        self.problems.append(Problem("error", INVALID_GATES, message, path=self.source, line=line or 1))


def _parse_rule(raw: Any, at: tuple, report: _Reporter) -> Rule | None:
    """One rule, or ``None`` (after reporting why) when it cannot be used."""
    before = len(report.problems)
    label = f"rule {at[1] + 1}"
    if not isinstance(raw, dict):
        report(at, f"{label} must be a mapping with id, description, files and at least one check")
        return None
    rule_id = raw.get("id")
    if isinstance(rule_id, str) and _ID.fullmatch(rule_id):
        label = f"rule '{rule_id}'"
    else:
        report((*at, "id") if "id" in raw else at,
               f"{label}: 'id' must be a name of letters, digits, '.', '_' or '-' (at most 64)"
               if "id" in raw else f"{label} has no 'id'")
    _unknown_keys(raw, RULE_FIELDS, at, report, label=label)
    description = raw.get("description")
    if not isinstance(description, str) or not description.strip():
        report((*at, "description") if "description" in raw else at,
               f"{label}: 'description' must say what the rule protects, in words")
    files = _files(raw, at, label, report)
    severity = raw.get("severity", "error")
    if severity not in SEVERITIES:
        report((*at, "severity"), f"{label}: 'severity' must be 'error' or 'warning', not {severity!r}")
    checks = []
    for kind in CHECK_KINDS:
        if kind in raw:
            value = _CHECK_PARSERS[kind](raw[kind], (*at, kind), f"{label}: '{kind}'", report)
            if value is not None and value is not False:
                checks.append((kind, value))
    if not checks and len(report.problems) == before:
        report(at, f"{label} has no check; add one of {', '.join(CHECK_KINDS)}")
    if len(report.problems) > before:
        return None
    return Rule(id=rule_id, description=description.strip(), files=files, severity=severity,
                checks=tuple(checks), source=report.source, line=report.lines.get(at))


def _files(raw: dict, at: tuple, label: str, report: _Reporter) -> tuple[str, ...]:
    if "files" not in raw:
        report(at, f"{label} has no 'files' glob saying which files it checks (e.g. agents/*.md)")
        return ()
    value = raw["files"]
    patterns = [value] if isinstance(value, str) else value
    if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) for p in patterns):
        report((*at, "files"), f"{label}: 'files' must be a glob or a list of globs")
        return ()
    for index, pattern in enumerate(patterns):
        reason = glob_problem(pattern)
        if reason:
            report((*at, "files", index) if isinstance(value, list) else (*at, "files"),
                   f"{label}: the glob {pattern!r} {reason}")
    return tuple(patterns)


def _unknown_keys(data: dict, known: tuple[str, ...], at: tuple, report: _Reporter, *, label: str = "") -> None:
    for key in data:
        if isinstance(key, str) and (key in known or key.startswith(_EXTENSION_PREFIX)):
            continue
        import difflib  # only once a key is unknown: validate is on a measured start-up path

        close = difflib.get_close_matches(str(key), known, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(known)}"
        prefix = f"{label}: " if label else ""
        report((*at, key), f"{prefix}unknown key {key!r}{hint} (keys starting with 'x-' are ignored)")


def _names(value: Any, at: tuple, what: str, report: _Reporter) -> tuple[str, ...] | None:
    """A non-empty list of non-empty strings (a single string is accepted as a list of one)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) and i.strip() for i in items):
        report(at, f"{what} must be a list of names")
        return None
    return tuple(item.strip() for item in items)


def _allowed_values(value: Any, at: tuple, what: str, report: _Reporter) -> tuple | None:
    if not isinstance(value, dict) or not value:
        report(at, f"{what} must map frontmatter fields to lists of allowed values")
        return None
    parsed = []
    for field, allowed in value.items():
        scalar = (str, int, float, bool)
        if not isinstance(field, str) or not isinstance(allowed, list) or not allowed or not all(
            isinstance(item, scalar) for item in allowed
        ):
            report((*at, field), f"{what}: {field!r} must have a non-empty list of plain values")
            return None
        parsed.append((field, tuple(allowed)))
    return tuple(parsed)


def _max_bytes(value: Any, at: tuple, what: str, report: _Reporter) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        report(at, f"{what} must be a whole number of bytes, at least 1")
        return None
    return value


def _patterns(value: Any, at: tuple, what: str, report: _Reporter) -> tuple[re.Pattern[str], ...] | None:
    texts = _names(value, at, what, report)
    if texts is None:
        return None
    compiled = []
    for index, text in enumerate(texts):
        try:
            compiled.append(re.compile(text))
        except re.error as exc:
            report((*at, index) if isinstance(value, list) else at,
                   f"{what}: {text!r} is not a valid regular expression ({exc})")
            return None
    return tuple(compiled)


def _flag(value: Any, at: tuple, what: str, report: _Reporter) -> bool | None:
    if not isinstance(value, bool):
        report(at, f"{what} must be true or false")
        return None
    return value


def _key_paths(value: Any, at: tuple, what: str, report: _Reporter) -> tuple[tuple[str, ...], ...] | None:
    names = _names(value, at, what, report)
    if names is None:
        return None
    paths = tuple(tuple(name.split(".")) for name in names)
    if any("" in path for path in paths):
        report(at, f"{what}: key paths are names joined by single dots (e.g. sla.first_response_hours)")
        return None
    return paths


_CHECK_PARSERS: dict[str, Callable[[Any, tuple, str, _Reporter], Any]] = {
    "require_frontmatter": _names,
    "allowed_values": _allowed_values,
    "max_bytes": _max_bytes,
    "require_sections": _names,
    "forbid_regex": _patterns,
    "resolve_step_agents": _flag,
    "require_keys": _key_paths,
}
