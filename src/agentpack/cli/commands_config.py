"""Handlers of `agentops config show|apply`."""

from __future__ import annotations

from agentpack.cli.output import Progress, out, print_json


def cmd_config_show(args) -> int:
    from agentpack.services.config import show_config

    if not args.explain:
        effective = show_config(args.directory, args.package)
        if args.json:
            print_json(effective)
        else:
            from agentpack.core.config_merge import render_yaml

            out(render_yaml(effective).rstrip("\n"))
        return 0
    effective, leaves, moved = show_config(args.directory, args.package, explain=True)

    def written_as(leaf) -> str | None:  # a local config key that applies inside a config file
        return moved.get(tuple(leaf.path[:2])) if leaf.origin.layer == "local" else None

    if args.json:
        print_json([{"path": list(leaf.path), "value": leaf.value, "layer": leaf.origin.layer,
                     "source": leaf.origin.source, "line": leaf.origin.line,
                     **({"written_as": written_as(leaf)} if written_as(leaf) else {}),
                     "replaced": [{"value": v, "layer": o.layer, "source": o.source, "line": o.line}
                                  for v, o in leaf.replaced]} for leaf in leaves])
        return 0
    for leaf in leaves:
        where = f"{leaf.origin.source}:{leaf.origin.line}" if leaf.origin.line else leaf.origin.source
        if written_as(leaf):
            where += f", written as {written_as(leaf)}"
        line = f"{'.'.join(map(str, leaf.path))} = {leaf.value!r}  [{leaf.origin.layer}: {where}]"
        if leaf.replaced:
            before, origin = leaf.replaced[-1]
            was = f"{origin.source}:{origin.line}" if origin.line else origin.source
            line += f" (replaced {before!r} from {origin.layer}: {was})"
        out(line)
    return 0


def cmd_config_apply(args) -> int:
    from agentpack.cli.commands import _render_sync, _settings
    from agentpack.services.config import apply_config

    progress = Progress("Applying")
    try:
        result = apply_config(args.directory, _settings(args), assignments=tuple(args.set or ()), tier=args.tier,
                              allow_new_tier=args.allow_new_tier, set_new=args.set_new, force=args.force,
                              offline=args.offline, progress=progress)
    finally:
        progress.close()
    return _render_sync(args, result, "Applied")



