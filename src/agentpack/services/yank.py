"""`agentops package yank NAME@VERSION --reason TEXT [--undo]`: withdraw a version, keeping its bytes.

A yanked version stays in the registry: a workspace whose agentops.lock pins it keeps installing it
(with a warning), and so does one that asks for exactly that version; every other resolution skips
it (core.resolver). ``--undo`` takes the yank back.
"""

from __future__ import annotations

from agentpack.core.records import dataclass
from agentpack.core.release_marks import YANKED, new_mark, text_problem
from agentpack.core.spec import parse_spec
from agentpack.errors import PackageNotFound, UsageError
from agentpack.services.workspace import Settings, open_workspace


@dataclass(frozen=True)
class YankResult:
    """What a yank (or its undo) did: ``changed`` is False when the version already was as asked."""

    name: str
    version: str
    registry: str
    yanked: bool  # the state now
    reason: str | None
    changed: bool

    def to_dict(self) -> dict:
        return {"name": self.name, "version": self.version, "registry": self.registry, "yanked": self.yanked,
                "reason": self.reason, "changed": self.changed}


def yank(spec_text: str, settings: Settings, *, reason: str | None = None, undo: bool = False,
         directory: str | None = None) -> YankResult:
    """Yank ``NAME@VERSION`` (one exact version) with ``reason`` in the registry publish writes it to
    (``open_write_registry``), or with ``undo`` take its yank back.

    Raises ``UsageError`` for a spec that is not one exact version, a missing ``reason`` (or one
    given with ``undo``), or a reason ``core.release_marks.text_problem`` refuses; ``PackageNotFound``
    (listing the versions) when the registry has no such version. Yanking again with the same
    reason, or undoing a version that is not yanked, changes nothing and says so.
    """
    spec = parse_spec(spec_text)
    exact = spec.range.exact()
    if exact is None or spec.latest:
        raise UsageError(f"yank takes one exact version, not {spec_text!r}",
                         hint=f"write it as NAME@VERSION, e.g. {spec.name}@1.2.0; see the versions with "
                              f"`agentops package info {spec.name}`")
    if undo and reason is not None:
        raise UsageError("--undo takes no --reason", hint=f"agentops package yank {spec.name}@{exact} --undo")
    if not undo:
        if reason is None:
            raise UsageError(f"say why {spec.name}@{exact} is yanked with --reason TEXT",
                             hint="whoever has it pinned reads the reason on every install, e.g. "
                                  "--reason 'leaks the API token in agents/triage.md; use 1.2.1'")
        problem = text_problem(reason, "reason")
        if problem:
            raise UsageError(f"--reason: {problem}")
    registry = open_write_registry(settings, directory, spec.name)
    version = published_text(registry, spec.name, exact)
    mark = None if undo else new_mark(YANKED, reason, settings.now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    changed = registry.mark_yanked(spec.name, version, mark)
    return YankResult(spec.name, version, registry.url, not undo, reason, changed)


def open_write_registry(settings: Settings, directory: str | None, name: str):
    """The registry publish writes ``name`` to, which yank and deprecate write to as well: the one
    that answers for it (core.registry_routes; in the list form, the first listed)."""
    from agentpack.adapters.registry import open_registry

    ws = open_workspace(directory)
    slot = settings.registry_routing(ws.load_manifest(), ws.root).for_name(name)[0]
    return open_registry(slot.location, base_dir=slot.base_dir, options=settings.registry_options())


def published_text(registry, name: str, version) -> str:
    """The text ``registry``'s index of ``name`` keys the version of ``version``'s precedence by
    (``1.0.0`` finds ``1.0.0+build.5``); ``PackageNotFound`` listing the versions when none."""
    from agentpack.core.versions import parse_version
    from agentpack.errors import InvalidVersion

    versions = registry.package_index(name)["versions"]
    for text in versions:
        try:
            if parse_version(text) == version:
                return text
        except InvalidVersion:
            continue
    raise PackageNotFound(f"{name}@{version} is not published in registry {registry.url}",
                          hint=f"versions available: {', '.join(versions) or 'none'}")
