"""`agentops registry init`: declare the parser and handle the command."""

from __future__ import annotations

from agentpack.cli.output import out, print_json


def add_registry_commands(groups, common, epilog: str) -> None:
    """Add the `registry` command group to the top-level sub-parsers ``groups``."""
    registry = groups.add_parser("registry", help="create and configure directory registries",
                                 description="Create and configure directory registries.", epilog=epilog)
    verbs = registry.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True
    text = "Create a directory registry (or open an existing one) and record its settings."
    p = verbs.add_parser("init", help=text, description=text, epilog=epilog, parents=[common(json_flag=True)])
    p.add_argument("path", metavar="DIR", help="the registry directory (created when missing)")
    p.add_argument("--classification", metavar="LEVEL",
                   help="the highest classification level the registry may hold; publish refuses anything above")
    p.set_defaults(handler=cmd_registry_init)


def cmd_registry_init(args) -> int:
    from agentpack.services.registry_init import init_registry

    result = init_registry(args.path, classification=args.classification, directory=args.directory)
    if args.json:
        print_json(result.to_dict())
        return 0
    level = result.settings.get("classification")
    out(f"Registry {result.registry}" + (f" holds packages up to {level!r}" if level else " is ready"))
    return 0
