"""`agentops registry init DIR [--classification L]`: make a directory registry and record its level."""

from __future__ import annotations

from agentpack.core.classification import DEFAULT_LEVELS, Levels
from agentpack.core.records import dataclass
from agentpack.errors import UsageError
from agentpack.services.workspace import open_workspace


@dataclass(frozen=True)
class RegistryInitResult:
    """The registry and the settings it now records."""

    registry: str
    settings: dict

    def to_dict(self) -> dict:
        return {"registry": self.registry, "settings": dict(self.settings)}


def init_registry(location: str, *, classification: str | None = None,
                  directory: str | None = None) -> RegistryInitResult:
    """Create the directory registry at ``location`` (or open an existing one) and, when given,
    record ``classification``: the highest level it may hold, checked against the levels of
    the workspace at ``directory`` (default: the current one) (or the default ones). Custom levels are recorded with it, so that publish
    compares with the same scale wherever it runs. Raises ``UsageError`` for an unknown level."""
    from agentpack.adapters.registry import DirectoryRegistry, open_registry

    registry = open_registry(location)
    if not isinstance(registry, DirectoryRegistry):
        raise UsageError(f"{location} is not a directory registry", hint="give a directory path")
    values: dict = {}
    if classification is not None:
        ws_manifest = open_workspace(directory).load_manifest()
        levels = ws_manifest.levels if ws_manifest else Levels()
        message = levels.check(classification)
        if message:
            raise UsageError(message, hint="set `classification_levels` in agentops.yaml to use other levels")
        values["classification"] = classification
        if levels.names != DEFAULT_LEVELS:
            values["classification_levels"] = list(levels.names)
    settings = registry.update_settings(values)
    return RegistryInitResult(registry=registry.url, settings=settings)
