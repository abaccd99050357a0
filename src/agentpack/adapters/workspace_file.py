"""Rewriting agentops.yaml without losing what the user wrote.

Commands edit the ``packages`` mapping of agentops.yaml. Users keep comments, key order and other
sections in that file, so edits go through ruamel.yaml's round-trip mode, which preserves them;
a new file is written from a small template instead (no need to pay ruamel's import for it).
"""

from __future__ import annotations

import io
import json

_HEADER = (
    "# agentops workspace: the packages this project uses.\n"
    "# Edited by `agentops package install/uninstall`; comments and order are kept.\n"
)


def _scalar(text: str) -> str:
    """A YAML scalar for ``text``: plain when it is unambiguous, else double-quoted."""
    plain_safe = text and all(c.isalnum() or c in "._-/^" for c in text) and text[0] not in "-."
    return text if plain_safe and not text.replace(".", "").isdigit() else json.dumps(text)


def new_workspace_manifest(packages: dict[str, str]) -> str:
    """The text of a fresh agentops.yaml asking for ``packages`` (name -> range or file: spec)."""
    lines = [_HEADER, "packages:\n" if packages else "packages: {}\n"]
    lines += [f"  {_scalar(name)}: {_scalar(spec)}\n" for name, spec in packages.items()]
    return "".join(lines)


def edit_workspace_manifest(text: str, *, set_packages: dict[str, str] | None = None,
                            remove_packages: tuple[str, ...] | list[str] = (), tier: str | None = None,
                            config: dict[str, dict] | None = None, targets: list | None = None) -> str:
    """Return ``text`` with package entries set or removed, keeping comments, order and other keys.

    Existing entries keep their position (their value changes); new entries are appended at the end
    of ``packages``. Removing an absent entry is a no-op. ``tier`` sets the workspace tier;
    ``config`` replaces the recorded --set values (package -> config tree); ``targets`` replaces
    the list of agent tools (entries as ``TargetChoice.to_yaml`` gives them), written in flow style
    when every entry is a bare name (``targets: [claude, agents-md]``).
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    data = yaml.load(text) if text.strip() else None
    if data is None:
        data = CommentedMap()
    packages = data.get("packages")
    if not isinstance(packages, dict):
        packages = CommentedMap()
        data["packages"] = packages
    for name, spec in (set_packages or {}).items():
        packages[name] = spec
    for name in remove_packages:
        packages.pop(name, None)
    if tier is not None:
        data["tier"] = tier
    if config is not None:
        data["config"] = config
    if targets is not None:
        from ruamel.yaml.comments import CommentedSeq

        entries = CommentedSeq(targets)
        if all(isinstance(entry, str) for entry in targets):
            entries.fa.set_flow_style()
        data["targets"] = entries
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()
