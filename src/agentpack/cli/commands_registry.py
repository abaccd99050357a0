"""`agentops registry init|verify|forget`: declare the parsers and handle the commands."""

from __future__ import annotations

import os

from agentpack.cli.output import out, paint, print_json, print_problems


def add_registry_commands(groups, common, epilog: str) -> None:
    """Add the `registry` command group to the top-level sub-parsers ``groups``."""
    registry = groups.add_parser("registry", help="create, configure, check and serve registries",
                                 description="Create, configure and check directory registries; run and "
                                             "administer a registry server.", epilog=epilog)
    verbs = registry.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True
    text = "Create a directory registry (or open an existing one) and record its settings."
    p = verbs.add_parser("init", help=text, description=text, epilog=epilog, parents=[common(json_flag=True)])
    p.add_argument("path", metavar="DIR", help="the registry directory (created when missing)")
    p.add_argument("--classification", metavar="LEVEL",
                   help="the highest classification level the registry may hold; publish refuses anything above")
    p.set_defaults(handler=cmd_registry_init)
    text = ("Check a directory registry: every index, every archive against its sha256 and size, the "
            "catalog against the indexes, index serials; report orphan blobs. Exit 1 on any error.")
    p = verbs.add_parser("verify", help="Check a directory registry and repair its derived state",
                         description=text, epilog=epilog, parents=[common(json_flag=True, registry=True)])
    p.add_argument("--repair", action="store_true",
                   help="first rebuild what derives from the indexes (catalog.json) and remove files left "
                        "by interrupted writes, under the registry lock")
    p.add_argument("--delete-orphans", action="store_true",
                   help="with --repair, also delete blobs that no package version names")
    p.set_defaults(handler=cmd_registry_verify)
    text = ("Forget the index serials this machine has seen from a registry, so that an older index it "
            "now serves (say, restored from a backup on purpose) is accepted.")
    p = verbs.add_parser("forget", help="Accept a registry restored to older indexes", description=text,
                         epilog=epilog, parents=[common(json_flag=True, registry=True)])
    p.set_defaults(handler=cmd_registry_forget)
    from agentpack.cli.commands_server import add_server_commands

    add_server_commands(verbs, common, epilog)


def cmd_registry_init(args) -> int:
    from agentpack.services.registry_init import init_registry

    result = init_registry(args.path, classification=args.classification, directory=args.directory)
    if args.json:
        print_json(result.to_dict())
        return 0
    level = result.settings.get("classification")
    out(f"Registry {result.registry}" + (f" holds packages up to {level!r}" if level else " is ready"))
    return 0


def _settings(args):
    from agentpack.services.workspace import Settings

    return Settings.from_environment(os.environ, registry=args.registry)


def cmd_registry_verify(args) -> int:
    from agentpack.errors import UsageError
    from agentpack.services.registry_verify import verify_registry

    if args.delete_orphans and not args.repair:
        raise UsageError("--delete-orphans only works with --repair")
    result = verify_registry(_settings(args), repair=args.repair, delete_orphans=args.delete_orphans,
                             directory=args.directory)
    if args.json:
        print_json(result.to_dict())
        return 0 if result.ok else 1
    for action in result.repaired:
        out(f"repaired: {action}")
    print_problems(result.problems, to_stdout=True)
    counts = result.counts
    summary = (f"{counts['packages']} package(s), {counts['versions']} version(s), {counts['blobs']} blob(s); "
               f"{len(result.errors)} error(s), {len(result.problems) - len(result.errors)} warning(s)")
    verdict = paint("ok", "32") if result.ok else paint("damaged", "31")
    out(f"Registry {result.registry}: {verdict} ({summary})")
    if not result.ok and not args.repair and any(p.code == "stale-catalog" for p in result.errors):
        out("hint: run again with --repair to rebuild what derives from the indexes")
    return 0 if result.ok else 1


def cmd_registry_forget(args) -> int:
    from agentpack.services.registry_forget import forget_registry

    result = forget_registry(_settings(args), directory=args.directory)
    if args.json:
        print_json(result.to_dict())
    elif result.forgotten:
        out(f"Forgot the index serials seen from {result.registry}; its next index is trusted as the newest")
    else:
        out(f"Nothing was remembered about {result.registry}")
    return 0
