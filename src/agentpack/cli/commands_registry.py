"""`agentops registry init|verify|forget|mirror|catalog`: declare the parsers and handle the commands."""

from __future__ import annotations

import os
import sys

from agentpack.cli.output import Progress, out, paint, print_json, print_problems


def add_registry_commands(groups, common, epilog: str) -> None:
    """Add the `registry` command group to the top-level sub-parsers ``groups``."""
    registry = groups.add_parser("registry", help="create, configure, check, browse and serve registries",
                                 description="Create, configure and check directory registries, serve a "
                                             "registry's web catalog, and run and administer a registry server.",
                                 epilog=epilog)
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
    text = ("Copy packages from any registry agentops reads (a directory, http:// or https://) into a directory "
            "registry, created when missing: only what DEST lacks, every archive verified, yank and deprecation "
            "marks carried. For staging an air-gapped site.")
    p = verbs.add_parser("mirror", help="Copy a registry's packages into a directory registry", description=text,
                         epilog=epilog, parents=[common(json_flag=True)])
    p.add_argument("source", metavar="SOURCE", help="the registry to copy from: a directory or an http(s):// URL")
    p.add_argument("destination", metavar="DEST", help="the directory registry to copy into (created when missing)")
    p.add_argument("--team", action="append", metavar="TEAM",
                   help="copy only the packages of TEAM (TEAM/name; repeatable)")
    p.add_argument("--since", metavar="WHEN",
                   help="copy only versions published at or after WHEN: a date or time (2026-01-31, "
                        "2026-01-31T12:00:00Z) or a duration ago (7d, 12h, 2w)")
    p.add_argument("--dry-run", action="store_true", help="list what would be copied, and write nothing")
    p.set_defaults(handler=cmd_registry_mirror)
    text = ("Serve the web catalog of a registry, read-only: every package with search and categories, "
            "and a page per package (README, versions, dependencies, install command, signature). Runs "
            "until interrupted; needs the server extra (pip install 'agentpack[server]').")
    p = verbs.add_parser("catalog", help="Serve a registry's web catalog, read-only", description=text,
                         epilog=epilog, parents=[common(registry=True)])
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, metavar="N", help="the port (default: 8000; 0: any free port)")
    p.add_argument("--registry-url", metavar="URL",
                   help="the registry location the install command on each page names (default: the registry's "
                        "own location, e.g. file:///srv/agentpack); give the URL your users install from")
    p.set_defaults(handler=cmd_registry_catalog)
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

    return Settings.from_environment(os.environ, registry=getattr(args, "registry", None))


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


def cmd_registry_mirror(args) -> int:
    from agentpack.services.mirror import mirror_registry

    progress = Progress("Mirroring")
    try:
        result = mirror_registry(_path(args, args.source), _path(args, args.destination), _settings(args),
                                 teams=args.team or (), since=args.since, dry_run=args.dry_run,
                                 directory=args.directory, progress=progress)
    finally:
        progress.close()
    code = 1 if result.conflicts else 0  # a dry run that a real one would refuse
    if args.json:
        print_json(result.to_dict())
        return code
    would = "would be " if result.dry_run else ""
    for key in result.added:
        out(f"  + {key}")
    for key in result.marked:
        out(f"  ~ {key} (yank or deprecation {would}added)")
    for conflict in result.conflicts:
        out(f"  ! {conflict}: held with other content")
    present = f"{len(result.skipped)} version(s) already present"
    if result.up_to_date:
        out(f"{result.destination} is up to date with {result.source} ({len(result.packages)} package(s), {present})")
    elif result.dry_run:
        out(f"Would copy {len(result.added)} version(s) ({result.bytes:,} bytes) from {result.source} into "
            f"{result.destination}; {present}" + (f"; {len(result.conflicts)} conflict(s)" if result.conflicts else ""))
    else:
        marks = f", {len(result.marked)} with marks added" if result.marked else ""
        out(f"Mirrored {result.source} into {result.destination}: {len(result.added)} version(s) added "
            f"({result.bytes:,} bytes), {present}{marks}")
    return code


def _path(args, location: str) -> str:
    """A path relative to -C DIR when one is given; URLs as they are."""
    if args.directory is None or "://" in location:
        return location
    return os.path.join(args.directory, os.path.expanduser(location))


def cmd_registry_catalog(args) -> int:
    from agentpack.errors import UsageError
    from agentpack.services.registry_verify import target_registry

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a port number (0 to 65535)")
    try:
        from agentpack.server.catalog import create_catalog_app
        from agentpack.server.catalog.serve import serve
    except ImportError as missing:
        raise UsageError(f"the web catalog needs the server extra ({missing.name} is not installed)",
                         hint="pip install 'agentpack[server]'") from None
    settings = _settings(args)
    registry = target_registry(settings, args.directory)
    registry.catalog()  # a missing or unreadable registry is reported now, not on every page
    app = create_catalog_app(registry.identity, options=settings.registry_options(), registry_url=args.registry_url)

    def ready(url: str) -> None:
        out(f"Serving the catalog of {registry.url} at {url} (Ctrl-C to stop)")
        sys.stdout.flush()  # a script waiting for the address reads it now, not at exit

    try:
        serve(app, args.host, args.port, ready)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
                         hint="choose another --port (0: any free port)") from None
    return 0
