"""`agentops package export`: a package as a Claude Code plugin, the workspace as a marketplace."""

from __future__ import annotations

import os

from agentpack.cli.output import out, print_json


def add_export_command(verb) -> None:
    """Declare `package export` with ``verb``, build_parser's helper that adds a `package` verb."""
    p = verb("export", "Write a package as a Claude Code plugin, or the workspace's packages as a "
             "local plugin marketplace.", cmd_export, json_flag=True, registry=True)
    p.add_argument("source", nargs="?", metavar="SOURCE",
                   help="claude-plugin: a package folder, a built archive, an installed package's name, or a "
                        "published name[@range]; claude-marketplace: none (the workspace's installed packages)")
    p.add_argument("--format", required=True, choices=("claude-plugin", "claude-marketplace"),
                   help="claude-plugin: .claude-plugin/plugin.json, agents/, commands/, skills/, .mcp.json; "
                        "claude-marketplace: .claude-plugin/marketplace.json and one plugin folder per package")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="the folder to write (new or empty)")
    p.add_argument("--force", action="store_true", help="replace the content of a non-empty OUT")


def cmd_export(args) -> int:
    from agentpack.errors import UsageError
    from agentpack.services.export import export_marketplace, export_package
    from agentpack.services.workspace import Settings

    output = args.output if args.directory is None or os.path.isabs(args.output) else \
        os.path.join(args.directory, args.output)
    if args.format == "claude-plugin":
        if not args.source:
            raise UsageError("--format claude-plugin needs a SOURCE",
                             hint="give a package folder, an archive, or a package name")
        settings = Settings.from_environment(os.environ, registry=args.registry)
        result = export_package(args.source, output, settings, directory=args.directory, force=args.force)
    else:
        if args.source:
            raise UsageError("--format claude-marketplace exports the workspace's installed packages; "
                             "it takes no SOURCE", hint="drop SOURCE, or use --format claude-plugin")
        result = export_marketplace(output, directory=args.directory, force=args.force)
    if args.json:
        print_json(result.to_dict())
        return 0
    for plugin in result.plugins:
        line = f"exported {plugin.name}@{plugin.version} ({len(plugin.files)} files)"
        if plugin.skipped:
            line += f"; not in a plugin: {', '.join(plugin.skipped)}"
        out(line)
    out(result.out)
    return 0
