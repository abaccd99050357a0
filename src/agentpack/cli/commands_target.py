"""`agentops target add|remove|list`: the agent tools a workspace deploys into."""

from __future__ import annotations

from agentpack.cli.output import Progress, out, print_json


def add_target_commands(groups, common, epilog: str, sync_options) -> None:
    """Declare the `target` group under ``groups`` (``common`` gives the shared options,
    ``sync_options`` adds --offline/--force and the other install options)."""
    group = groups.add_parser("target", help="deploy packages into agent tools (Claude Code, Copilot, Cursor...)",
                              description="Choose the agent tools every installed package is deployed into: "
                                          "claude, copilot, cursor, codex, gemini, opencode, agents-md.",
                              epilog=epilog)
    verbs = group.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True
    p = verbs.add_parser("add", help="deploy every installed package into these tools too", epilog=epilog,
                         description="Add agent tools to agentops.yaml `targets` and deploy every installed "
                                     "package into them, in one transaction.",
                         parents=[common(json_flag=True, registry=True)])
    p.add_argument("names", nargs="+", metavar="TARGET", help="claude, copilot, cursor, codex, gemini, opencode "
                   "or agents-md")
    p.add_argument("--prefix", choices=("package",),
                   help="name every output <package>-<name> (the way out of name clashes between packages)")
    sync_options(p)
    p.set_defaults(handler=cmd_target_add)
    p = verbs.add_parser("remove", help="stop deploying into these tools and remove their files", epilog=epilog,
                         description="Remove agent tools from agentops.yaml `targets` and every file agentops "
                                     "deployed into them, in one transaction (your own files stay).",
                         parents=[common(json_flag=True, registry=True)])
    p.add_argument("names", nargs="+", metavar="TARGET")
    sync_options(p)
    p.set_defaults(handler=cmd_target_remove)
    p = verbs.add_parser("list", help="the known tools, which ones this workspace uses, and what it holds there",
                         epilog=epilog, description="List every agent tool agentops can deploy into: whether "
                         "the workspace targets it, how many files it holds there, and which of its folders "
                         "the workspace already has.", parents=[common(json_flag=True)])
    p.set_defaults(handler=cmd_target_list)


def cmd_target_add(args) -> int:
    from agentpack.cli.commands import _render_sync, _settings, _sync_options
    from agentpack.services.targets import add_targets

    progress = Progress("Installing")
    try:
        result = add_targets(args.directory, args.names, _settings(args), _sync_options(args), prefix=args.prefix,
                             progress=progress)
    finally:
        progress.close()
    return _render_sync(args, result, "Deployed")


def cmd_target_remove(args) -> int:
    from agentpack.cli.commands import _render_sync, _settings, _sync_options
    from agentpack.services.targets import remove_targets

    return _render_sync(args, remove_targets(args.directory, args.names, _settings(args), _sync_options(args)),
                        "Removed")


def cmd_target_list(args) -> int:
    from agentpack.services.targets import list_targets

    rows = list_targets(args.directory)
    if args.json:
        print_json({"targets": [row.to_dict() for row in rows]})
        return 0
    for row in rows:
        state = "on " if row.enabled else "off"
        detail = f"{row.files} file(s)" if row.enabled else (f"found {row.marker}" if row.marker else "")
        prefix = ", prefix: package" if row.prefix else ""
        out(f"  {state}  {row.name:<10} {row.title:<14} {detail}{prefix}".rstrip())
    if not any(row.enabled for row in rows):
        out("No targets: packages are installed under agents/<package>/... only. "
            "Add one with `agentops target add claude`.")
    return 0
