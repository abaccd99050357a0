"""Handlers of the versioning commands: `agentops package diff` and `agentops package bump`.

Like cli.commands: read parsed arguments, call one service, render text or --json.
"""

from __future__ import annotations

import os

from agentpack.cli.output import out, paint, print_json

_BUMP_COLORS = {"major": "31", "minor": "33", "patch": "32"}


def _settings(args):
    from agentpack.services.workspace import Settings

    return Settings.from_environment(os.environ, registry=getattr(args, "registry", None))


def render_changes(changes) -> None:
    """One line per change: its bump, what it concerns and how it changed."""
    for change in changes:
        level = paint(f"{change.bump:<5}", _BUMP_COLORS.get(change.bump, "0"))
        out(f"  {level}  {change.what}: {change.detail}")


def cmd_diff(args) -> int:
    from agentpack.services.diff import diff_packages_at

    result = diff_packages_at(args.old, args.new, _settings(args), args.directory)
    if args.json:
        print_json(result.to_dict())
        return 0
    old, new = result.old, result.new
    out(f"{old.name}@{old.version} -> {new.name}@{new.version}: {len(result.diff.changes)} change(s)")
    render_changes(result.diff.changes)
    if result.required == "none":
        out("Required release: none (nothing changed)")
        return 0
    verdict = f"{old.version} -> {new.version} is {_a(result.actual)}"
    if result.actual != "none" and _enough(result.actual, result.required):
        out(f"Required release: {result.required}; {verdict}: enough")
    else:
        out(f"Required release: {result.required}; {verdict}: not enough, use {result.suggested}")
    return 0


def cmd_bump(args) -> int:
    from agentpack.services.bump import bump_version

    directory = args.path if args.directory is None or os.path.isabs(args.path) else os.path.join(
        args.directory, args.path)
    result = bump_version(directory, args.part, _settings(args), args.directory)
    if args.json:
        print_json(result.to_dict())
        return 0
    if result.compared_with is not None:
        out(f"Compared with {result.name}@{result.compared_with}: {result.required} release required")
        render_changes(result.changes)
    if result.changed:
        out(f"{result.name}: {result.old} -> {result.new}")
    else:
        out(f"{result.name}: {result.reason}")
    return 0


def _enough(actual: str, required: str) -> bool:
    from agentpack.core.package_diff import at_least

    return at_least(actual, required)


def _a(level: str) -> str:
    return "not a newer version" if level == "none" else f"a {level} release"
