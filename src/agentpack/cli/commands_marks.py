"""`agentops package yank` and `package deprecate`: declare the verbs and render their results.

Like cli.commands: read parsed arguments, call one service, render text or --json.
"""

from __future__ import annotations

from agentpack.cli.commands import _settings
from agentpack.cli.output import err, out, print_json
from agentpack.core.limits import MAX_MARK_TEXT


def add_mark_commands(verb) -> None:
    """Declare `package yank` and `package deprecate` through the parser's ``verb`` helper."""
    p = verb("yank", "Withdraw a version: new resolutions skip it, locked installs keep it.", cmd_yank,
             json_flag=True, registry=True)
    p.add_argument("spec", metavar="NAME@VERSION", help="the one version to yank")
    p.add_argument("--reason", metavar="TEXT",
                   help=f"why (one line, up to {MAX_MARK_TEXT} characters); shown to everyone who still installs it")
    p.add_argument("--undo", action="store_true", help="take the yank back")
    p = verb("deprecate", "Mark a package's versions deprecated: they install, with your message.",
             cmd_deprecate, json_flag=True, registry=True)
    p.add_argument("spec", metavar="NAME[@RANGE]", help="the package (every version), or NAME@RANGE, e.g. "
                   "'customer-service@<2' (prereleases in the range included)")
    p.add_argument("--message", metavar="TEXT",
                   help=f"what to use instead (one line, up to {MAX_MARK_TEXT} characters); printed by install and update")
    p.add_argument("--undo", action="store_true", help="take the deprecation back")


def cmd_yank(args) -> int:
    from agentpack.services.yank import yank

    result = yank(args.spec, _settings(args), reason=args.reason, undo=args.undo, directory=args.directory)
    if args.json:
        print_json(result.to_dict())
        return 0
    slot = f"{result.name}@{result.version}"
    if not result.changed:
        state = "already yanked with that reason" if result.yanked else "not yanked"
        out(f"{slot} is {state} in {result.registry}; nothing changed")
    elif result.yanked:
        out(f"Yanked {slot} in {result.registry}: new resolutions skip it, pinned installs keep it with a warning")
    else:
        out(f"Took back the yank of {slot} in {result.registry}")
    return 0


def cmd_deprecate(args) -> int:
    from agentpack.services.deprecate import deprecate

    result = deprecate(args.spec, _settings(args), message=args.message, undo=args.undo,
                       directory=args.directory)
    if args.json:
        print_json(result.to_dict())
        return 0
    versions = ", ".join(result.versions)
    if not result.changed:
        state = "already deprecated with that message" if result.deprecated else "not deprecated"
        out(f"{result.name} {versions}: {state} in {result.registry}; nothing changed")
        return 0
    verb = "Deprecated" if result.deprecated else "Took back the deprecation of"
    out(f"{verb} {result.name} {', '.join(result.changed)} in {result.registry}")
    unchanged = [v for v in result.versions if v not in result.changed]
    if unchanged:
        state = "deprecated with that message" if result.deprecated else "not deprecated"
        err(f"note: {', '.join(unchanged)} {'were' if len(unchanged) > 1 else 'was'} already {state}")
    if result.deprecated and result.range == "*":
        err("note: versions published from now on are not deprecated")
    return 0
