"""`agentops registry verify [--repair]`: check a directory registry and repair its derived state."""

from __future__ import annotations

from agentpack.core.records import dataclass, field
from agentpack.errors import Problem, UsageError
from agentpack.services.workspace import Settings, open_workspace


@dataclass
class VerifyResult:
    """What the check found (after any repair), and what the repair did."""

    registry: str
    problems: list[Problem] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return {"registry": self.registry, "ok": self.ok, **self.counts, "repaired": list(self.repaired),
                "problems": [p.to_dict() for p in self.problems]}


def verify_registry(settings: Settings, *, repair: bool = False, delete_orphans: bool = False,
                    directory: str | None = None) -> VerifyResult:
    """Check the registry ``settings`` names first (as publish would use it): every index, record,
    blob and the catalog; with ``repair``, first rebuild under the registry lock what is derived from
    the indexes and remove leftovers (orphan blobs only with ``delete_orphans``), then check again.
    Raises ``RegistryError`` when the registry is missing or not a registry, ``UsageError`` when it
    is not a directory registry."""
    from agentpack.adapters.registry import DirectoryRegistry
    from agentpack.adapters.registry.directory_verify import repair_directory, verify_directory

    registry = target_registry(settings, directory)
    if not isinstance(registry, DirectoryRegistry):
        raise UsageError(f"{registry.url} is not a directory registry", hint="give a directory path")
    result = VerifyResult(registry=registry.url)
    if repair or delete_orphans:
        result.repaired = repair_directory(registry, delete_orphans=delete_orphans)
    result.problems, result.counts = verify_directory(registry)
    return result


def target_registry(settings: Settings, directory: str | None):
    """The registry a registry verb works on: --registry, else the default registry of the
    workspace at ``directory`` (the first of its list form)."""
    from agentpack.adapters.registry import open_registry

    ws = open_workspace(directory)
    slot = settings.registry_routing(ws.load_manifest(), ws.root).registries()[0]
    return open_registry(slot.location, base_dir=slot.base_dir, options=settings.registry_options())
