"""`agentops registry forget`: accept a registry's older index serials, on purpose."""

from __future__ import annotations

from agentpack.core.records import dataclass
from agentpack.services.registry_verify import target_registry
from agentpack.services.workspace import Settings


@dataclass(frozen=True)
class ForgetResult:
    registry: str
    forgotten: bool  # whether anything was remembered

    def to_dict(self) -> dict:
        return {"registry": self.registry, "forgotten": self.forgotten}


def forget_registry(settings: Settings, *, directory: str | None = None) -> ForgetResult:
    """Drop the index serials this machine remembers for the registry ``settings`` names first, so
    that its next index read is trusted as the newest. For a registry restored from a backup on
    purpose; rollback protection for it restarts from that read."""
    from agentpack.adapters.paths import user_state_dir
    from agentpack.adapters.seen_serials import SeenSerials

    registry = target_registry(settings, directory)
    identity = getattr(registry, "identity", registry.url)
    return ForgetResult(registry=registry.url, forgotten=SeenSerials(user_state_dir()).forget(identity))
