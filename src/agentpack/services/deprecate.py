"""`agentops package deprecate NAME[@RANGE] [--message TEXT] [--undo]`: tell users to move on.

A deprecated version still installs; install and update print its message. Deprecating a package
marks every version it has, or those in a range (npm's ``deprecate pkg@"<2"``); a version
published later is not deprecated. ``--undo`` takes the marks back.
"""

from __future__ import annotations

from agentpack.core.records import dataclass
from agentpack.core.release_marks import DEPRECATED, new_mark, text_problem
from agentpack.core.spec import parse_spec
from agentpack.errors import UsageError
from agentpack.services.workspace import Settings


@dataclass(frozen=True)
class DeprecateResult:
    """The versions in the range and, of those, the ones whose mark changed."""

    name: str
    range: str
    registry: str
    deprecated: bool  # the state now
    message: str | None
    versions: list[str]
    changed: list[str]

    def to_dict(self) -> dict:
        return {"name": self.name, "range": self.range, "registry": self.registry, "deprecated": self.deprecated,
                "message": self.message, "versions": list(self.versions), "changed": list(self.changed)}


def deprecate(spec_text: str, settings: Settings, *, message: str | None = None, undo: bool = False,
              directory: str | None = None) -> DeprecateResult:
    """Deprecate every version of ``NAME`` (or those in ``NAME@RANGE``, prereleases included) with
    ``message`` (``""`` when None) in the registry publish writes it to, or with ``undo`` take their
    deprecation back.

    Raises ``UsageError`` for ``NAME@latest`` (deprecating is about versions: name a range), a
    message given with ``undo`` or refused by ``core.release_marks.text_problem``;
    ``PackageNotFound`` (listing the versions) when no version is in the range.
    """
    from agentpack.services.yank import open_write_registry

    spec = parse_spec(spec_text)
    if spec.latest:
        raise UsageError("deprecate takes NAME (every version) or NAME@RANGE, not @latest",
                         hint=f"e.g. agentops package deprecate {spec.name} or {spec.name}@'<2'")
    if undo and message is not None:
        raise UsageError("--undo takes no --message", hint=f"agentops package deprecate {spec_text} --undo")
    problem = text_problem(message or "", "message")
    if problem:
        raise UsageError(f"--message: {problem}")
    registry = open_write_registry(settings, directory, spec.name)
    mark = None if undo else new_mark(DEPRECATED, message or "", settings.now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    outcome = registry.mark_deprecated(spec.name, spec.range_text, mark)
    return DeprecateResult(spec.name, spec.range_text,
                           registry.url, not undo, message, list(outcome),
                           [version for version, changed in outcome.items() if changed])
