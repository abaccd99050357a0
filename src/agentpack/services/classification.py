"""Classification boundaries applied by install and publish (rules in core.classification).

Install checks the resolved graph from registry records, before any archive is fetched; publish
checks a package against the level recorded in the registry's settings. Both raise
``ClassificationError`` naming every crossing, so nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from agentpack.core.classification import Crossing, Levels, above_clearance, depends_above
from agentpack.errors import AgentpackError, ClassificationError, Problem


def check_install_graph(levels: Levels, clearance: str | None, graph: Mapping[str, tuple[str, ...]],
                        roots: list[str], manifest_of: Callable[[str], Mapping]) -> None:
    """Refuse a resolved graph that reads up: a package above the workspace's ``clearance`` (when
    it has one), or a package depending on one classified above itself.

    ``graph`` maps each pinned package to its dependency names; ``manifest_of(name)`` returns the
    pinned version's manifest dict (from its registry record). An unknown level in a record is a
    crossing too: a level this workspace does not know cannot be shown to be cleared.
    """
    declared = {name: manifest_of(name).get("classification") for name in graph}
    unknown = {name: level for name, level in declared.items() if level is not None and levels.check(level)}
    if unknown:
        problems = [Problem("error", "classification", f"{name}: {levels.check(level)}") for name, level
                    in sorted(unknown.items())]
        raise ClassificationError(
            f"{len(unknown)} package(s) declare a classification level this workspace does not know; "
            "nothing was installed", problems=problems,
            hint="set `classification_levels` in agentops.yaml to the levels the packages use")
    crossings = above_clearance(levels, clearance, declared, graph, roots) if clearance else []
    if crossings:
        raise ClassificationError(
            f"read up refused: {_names(crossings)} classified above the workspace level "
            f"{clearance!r}; nothing was installed",
            causes=[f"{c.package} is {c.level!r}, above workspace level {c.limit!r} (via {c.describe_chain()})"
                    for c in crossings],
            hint="install it only in a workspace cleared for its level (`classification:` in agentops.yaml)")
    inverted = depends_above(levels, declared, graph, roots)
    if inverted:
        raise ClassificationError(
            f"a package depends on a package classified above it: {inverted[0].describe_chain()}; "
            "nothing was installed", causes=[_dependency_cause(c) for c in inverted],
            hint="the depending package must be classified at least as high as its dependencies")


def check_publish_level(levels: Levels, manifest: Mapping, registry_level: str | None, registry: str) -> None:
    """Refuse to write ``manifest``'s package down into a registry whose level is lower (no write
    down). A registry without a recorded level accepts anything; an unknown level is refused."""
    name, version = manifest.get("name"), manifest.get("version")
    level = manifest.get("classification") or levels.lowest
    for where, value in ((f"{name}@{version}", level), (f"registry {registry}", registry_level)):
        message = levels.check(value) if value is not None else None
        if message:
            raise ClassificationError(f"{where}: {message}; nothing was published",
                                      hint="set `classification_levels` in agentops.yaml to the levels in use")
    if registry_level is not None and levels.above(level, registry_level):
        raise ClassificationError(
            f"write down refused: {name}@{version} is classified {level!r}, above the level "
            f"{registry_level!r} of registry {registry}; nothing was published",
            hint="publish it to a registry cleared for its level (`agentops registry init DIR --classification L`)")


def _names(crossings: list[Crossing]) -> str:
    return ", ".join(f"{c.package} ({c.level!r})" for c in crossings)


def _dependency_cause(crossing: Crossing) -> str:
    parent = crossing.chain[-2] if len(crossing.chain) > 1 else "?"
    return (f"{parent} ({crossing.limit!r}) depends on {crossing.package} ({crossing.level!r}): "
            f"{crossing.describe_chain()}")


def check_pins(workspace_manifest, root: Mapping[str, str], pins: Mapping, source, *, resolved: bool) -> None:
    """``check_install_graph`` for sync's chosen pins, reading levels from ``source``'s records.

    Runs after every fresh resolution, and also for pins kept from the lock when the workspace
    declares a clearance (it may have been lowered since they were installed).
    """
    clearance = workspace_manifest.classification if workspace_manifest else None
    if not resolved and clearance is None:
        return
    levels = workspace_manifest.levels if workspace_manifest else Levels()
    graph = {name: tuple(pin.dependencies) for name, pin in pins.items()}
    check_install_graph(levels, clearance, graph, list(root),
                        lambda name: source.record(name, pins[name].version).get("manifest") or {})


def check_publish(workspace_manifest, manifest: Mapping, registry) -> None:
    """``check_publish_level`` for ``registry``: its recorded ``classification`` and levels (its
    ``classification_levels``, else the workspace's, else the default)."""
    check_publish_all(workspace_manifest, [manifest], registry)


def check_publish_all(workspace_manifest, manifests: list[Mapping], registry) -> None:
    """``check_publish`` for many packages, reading the registry's settings once."""
    settings = registry.settings()
    recorded = settings.get("classification_levels")
    levels = Levels(tuple(recorded)) if isinstance(recorded, list) and recorded else (
        workspace_manifest.levels if workspace_manifest else Levels())
    for manifest in manifests:
        check_publish_level(levels, manifest, settings.get("classification"), registry.url)


def level_problems(manifest) -> list[Problem]:
    """An ``unknown-classification`` error when ``manifest`` declares a level that the current
    workspace's levels (or the default ones, outside a workspace) do not have."""
    if manifest is None or manifest.classification is None:
        return []
    levels = Levels()
    try:
        from agentpack.services.workspace import open_workspace

        ws_manifest = open_workspace(None).load_manifest()
        if ws_manifest is not None:
            levels = ws_manifest.levels
    except AgentpackError:
        pass  # an unusable agentops.yaml is reported by the commands that use it
    message = levels.check(manifest.classification)
    if message is None:
        return []
    return [Problem("error", "unknown-classification", f"classification: {message}", path="package.yaml",
                    field="classification")]
