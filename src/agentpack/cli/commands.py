"""Handlers of `agentops` commands: read parsed arguments, call one service, render its result.

No logic lives here beyond choosing between text and --json output.
"""

from __future__ import annotations

import os

from agentpack.cli.output import Progress, err, out, paint, print_json, print_problems


def _settings(args):
    from agentpack.services.workspace import Settings

    return Settings.from_environment(os.environ, registry=getattr(args, "registry", None))


def _sync_options(args, **extra):
    from agentpack.services.sync import SyncOptions

    return SyncOptions(frozen=getattr(args, "frozen", False), offline=args.offline, force=args.force,
                       allow_hidden_unicode=getattr(args, "allow_hidden_unicode", False),
                       require_signed=getattr(args, "require_signed", False), **extra)


def cmd_init(args) -> int:
    from agentpack.services.init import init_package

    path = args.path if args.directory is None else os.path.join(args.directory, args.path)
    result = init_package(path, args.name)
    for rel in result.created:
        out(f"  created {os.path.join(path, rel)}")
    out(f"Package {result.name} scaffolded in {result.directory}")
    out(f"Next: agentops package validate {path}")
    return 0


def cmd_validate(args) -> int:
    from agentpack.services.validate import validate_package

    fixed = []
    if args.fix_unicode:
        from agentpack.services.fix_unicode import fix_hidden_unicode

        fixed = fix_hidden_unicode(_in_dir(args, args.path))
    report = validate_package(_in_dir(args, args.path), strict=args.strict)
    if args.json:
        data = report.to_dict()
        if args.fix_unicode:
            data["fixed"] = [{"path": f.path, "removed": f.removed} for f in fixed]
        print_json(data)
    else:
        for f in fixed:
            out(f"fixed {f.path}: removed {f.removed} hidden character(s)")
        print_problems(report.problems, to_stdout=True)
        name = f"{report.manifest.name}@{report.manifest.version}" if report.manifest else args.path
        verdict = paint("invalid", "31") if report.errors else paint("valid", "32")
        out(f"{name}: {verdict} ({len(report.errors)} error(s), {len(report.warnings)} warning(s))")
    return 1 if report.errors else 0


def cmd_build(args) -> int:
    from agentpack.services.build import build_package

    signer = None
    if args.sign:  # opened first: a locked or missing key must not leave an unsigned archive behind
        from agentpack.cli.commands_keys import PASSPHRASE_VARIABLE, passphrase_prompt
        from agentpack.services.signing import load_signer

        key = _in_dir(args, args.sign)
        signer = load_signer(key if os.path.isfile(key) else args.sign,
                             os.environ.get(PASSPHRASE_VARIABLE) or None, passphrase_prompt())
    result = build_package(_in_dir(args, args.path), _in_dir(args, args.out_dir), strict=args.strict,
                           signer=signer)
    if args.json:
        print_json(result.to_dict())
        return 0
    print_problems(result.report.warnings)
    from agentpack.core.manifest import UNKNOWN_FIELD

    unknown = [p.field for p in result.report.warnings if p.code == UNKNOWN_FIELD]
    if unknown:
        err(f"warning: publish will refuse this archive: package.yaml has unknown field(s) {', '.join(unknown)}")
    err(f"Built {result.name}@{result.version} ({result.size} bytes, sha256 {result.sha256[:12]}...)")
    if result.signature:
        err(f"Signed with {signer.path}: {result.signature}")
    out(result.path)
    return 0


def cmd_publish(args) -> int:
    from agentpack.services.publish import publish_archives

    results = publish_archives([_in_dir(args, archive) for archive in args.archives], _settings(args),
                               strict=args.strict, allow_breaking=args.allow_breaking,
                               allow_unresolved=args.allow_unresolved)
    if args.json:  # one archive: its result, as always; several: {"published": [results]}
        print_json(results[0].to_dict() if len(args.archives) == 1 else
                   {"published": [result.to_dict() for result in results]})
        return 0
    for result in results:
        print_problems(result.warnings)
        if result.release is not None and result.release.allowed_breaking:
            err(f"warning: {result.release.required} changes since {result.release.previous} published as a "
                f"{result.release.actual} release (--allow-breaking; recorded in the registry)")
        out(f"Published {result.name}@{result.version} to {result.registry}")
    return 0


def _render_sync(args, result, verb: str) -> int:
    if args.json:
        print_json(result.to_dict())
        return 0
    if result.recovered:
        err(f"note: an interrupted operation was found and {result.recovered}")
    _render_targets(result)
    _render_release_notices(result)
    if result.up_to_date:
        out(f"Up to date: {len(result.installed)} package(s) installed")
        return 0
    for change in result.changes:
        origin = f" from {change.origin}" if change.origin else ""
        if change.old is None:
            out(f"  {paint('+', '32')} {change.name}@{change.new}{origin}")
        elif change.new is None:
            out(f"  {paint('-', '31')} {change.name}@{change.old}")
        else:
            downgrade = paint(" (downgrade)", "1;33") if change.kind == "downgrade" else ""
            out(f"  {paint('~', '33')} {change.name} {change.old} -> {change.new}{downgrade}{origin}")
    for path in result.kept:
        out(f"  kept your edited {path} (the new version does not change it)")
    for path, saved in sorted(result.backups.items()):
        out(f"  saved your version of {path} to {saved}")
    if result.gitignore:
        out("  added .agentops/ (tool state) to .gitignore")
    if result.targets:
        counts = ", ".join(f"{name} ({result.deployed.get(name, 0)} file(s))" for name in result.targets)
        out(f"  deployed into {counts}")
    for note in result.notes:
        out(f"  note: {note}")
    out(f"{verb}: {len(result.installed)} package(s) in the workspace, "
        f"{result.files_written} file(s) written, {result.files_removed} removed")
    return 0


def _render_release_notices(result) -> None:
    """Warn, on stderr, about each installed version its registry has yanked or deprecated (the
    texts are cleaned by the service: they come from the registry)."""
    for entry in result.yanked:
        name, version = entry["name"], entry["version"]
        reason = f" ({entry['reason']})" if entry["reason"] else ""
        err(f"warning: {name}@{version} is yanked{reason}; it stays because agentops.lock pins it or "
            f"agentops.yaml asks for exactly that version: `agentops package update {name}` moves to "
            "another version when the range allows one")
    for entry in result.deprecated:
        message = f": {entry['message']}" if entry["message"] else ""
        err(f"warning: {entry['name']}@{entry['version']} is deprecated{message}")


def _render_targets(result) -> None:
    """Say which agent tools a first install picked, or that it found none: never silently nothing."""
    if result.detected:
        found = ", ".join(f"{name} (found {marker})" for name, marker in result.detected)
        err(f"Deploying into {found}; recorded in agentops.yaml `targets` "
            "(change with `agentops target add|remove`)")
    elif result.no_target_detected:
        err("No agent tool folder found (.claude/, .github/agents/, .cursor/, .codex/, .gemini/, .opencode/, "
            "AGENTS.md): packages are installed under agents/<package>/... only. "
            "Deploy them into a tool with `agentops target add claude` (or copilot, cursor, codex, gemini, "
            "opencode, agents-md)")


def cmd_install(args) -> int:
    from agentpack.services.install import install

    progress = Progress("Installing")
    try:
        result = install(args.directory, args.specs, _settings(args), _sync_options(args), progress=progress,
                         tier=args.tier, assignments=tuple(args.set or ()),
                         allow_new_tier=args.allow_new_tier, set_new=args.set_new,
                         targets=tuple(args.target or ()))
    finally:
        progress.close()
    return _render_sync(args, result, "Installed")


def cmd_uninstall(args) -> int:
    from agentpack.services.uninstall import uninstall

    return _render_sync(args, uninstall(args.directory, args.names, _settings(args), _sync_options(args)),
                        "Uninstalled")


def cmd_update(args) -> int:
    from agentpack.services.update import update

    progress = Progress("Updating")
    try:
        result = update(args.directory, args.names, _settings(args), _sync_options(args), progress=progress,
                        tier=args.tier, assignments=tuple(args.set or ()),
                         allow_new_tier=args.allow_new_tier, set_new=args.set_new)
    finally:
        progress.close()
    return _render_sync(args, result, "Updated")


def cmd_list(args) -> int:
    from agentpack.cli.listing import render_list

    return render_list(args.directory, as_json=args.json)


def cmd_outdated(args) -> int:
    from agentpack.services.outdated import outdated_packages

    rows = outdated_packages(args.directory, _settings(args))
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        out("All packages are up to date.")
        return 0
    header = ("Package", "Current", "Wanted", "Latest")
    table = [header] + [(r["name"], r["current"] + (" (yanked)" if r["yanked"] is not None else ""), r["wanted"],
                         r["latest"]) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    for row in table:
        out("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    for row in rows:
        if row["yanked"] is not None:
            err(f"warning: {row['name']}@{row['current']} is yanked ({row['yanked'] or 'no reason given'}); "
                f"`agentops package update {row['name']}` moves off it when its range allows")
    return 0


def cmd_tree(args) -> int:
    from agentpack.services.tree import dependency_tree

    root, nodes = dependency_tree(args.directory)
    if args.json:
        print_json([n.to_dict() for n in nodes])
        return 0
    out(root)

    def show(node, prefix: str, last: bool) -> None:
        branch = "└── " if last else "├── "
        mark = " (see above)" if node.seen else ""
        out(f"{prefix}{branch}{node.name}@{node.version}{mark}")
        for i, child in enumerate(node.children):
            show(child, prefix + ("    " if last else "│   "), i == len(node.children) - 1)

    for i, node in enumerate(nodes):
        show(node, "", i == len(nodes) - 1)
    return 0


def cmd_info(args) -> int:
    from agentpack.services.info import package_info

    info = package_info(args.spec, _settings(args), args.directory)
    if args.json:
        print_json(info)
        return 0
    out(f"{info['name']}@{info['version']} - {info['description']}")
    if info["yanked"] is not None:
        out(f"  YANKED: {info['yanked'] or '(no reason given)'}")
    if info["deprecated"] is not None:
        out(f"  DEPRECATED: {info['deprecated'] or '(no message)'}")
    out(f"  registry: {info['registry']}")
    if info.get("listing"):
        out(f"  versions listed from: {info['listing']}")
    from agentpack.services.search import tool_counts

    counts = info["components"]
    out(f"  components: {counts.get('agents', 0)} agents, {counts.get('workflows', 0)} workflows, "
        f"{counts.get('patterns', 0)} patterns{tool_counts(counts)}")
    for key in ("license", "author", "homepage"):
        if info.get(key):
            out(f"  {key}: {info[key]}")
    deps = ", ".join(f"{n}@{r}" for n, r in info["dependencies"].items()) or "none"
    out(f"  dependencies: {deps}")
    yanked = info["yanked_versions"]
    out(f"  versions: {', '.join(v + (' (yanked)' if v in yanked else '') for v in info['versions'])}")
    for version, reason in yanked.items():
        out(f"  yanked {version}: {reason or '(no reason given)'}")
    out(f"  sha256: {info['sha256']}")
    out(f"  classification: {info['classification']}")
    out(f"  signature: {_signature_text(info['signature'])}")
    return 0


def _signature_text(signature: dict) -> str:
    key = (signature.get("signed_by") or "")[:16]
    return {"unsigned": "unsigned", "trusted": f"signed by {key} (trusted)",
            "untrusted": f"signed by {key}, which is not trusted here (`agentops trust add KEY.pub`)",
            }.get(signature["status"], f"INVALID: {signature.get('reason')}")


def cmd_search(args) -> int:
    from agentpack.services.search import search_line, search_packages

    notes: list[str] = []
    rows = search_packages(args.query, _settings(args), args.directory, keyword=args.keyword,
                           category=args.category, notes=notes)
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        out(search_line(row))
    for note in notes:
        err(note)
    if not rows:
        filters = "".join(f" {name} {value!r}" for name, value in (("with keyword", args.keyword),
                                                                   ("in category", args.category)) if value)
        err(f"no packages match {args.query!r}{filters}")
    return 0


def _in_dir(args, path: str) -> str:
    """Paths typed by the user are relative to -C DIR when given, like git -C."""
    return path if args.directory is None or os.path.isabs(path) else os.path.join(args.directory, path)
