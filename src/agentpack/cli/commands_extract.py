"""`agentops package extract`: declare the verb and render the extract service's result.

Like cli.commands: read parsed arguments, call one service, render text or --json.
"""

from __future__ import annotations

import os

from agentpack.cli.output import out, paint, print_json, print_problems

# The readers' names (core.readers.READERS, checked by a test): written out so that building the
# parser does not import every reader.
FORMATS = ("claude-marketplace", "claude-plugin", "codex-plugin", "apm", "copilot-collection", "copilot",
           "claude-project", "cursor", "skills", "agents-md")
_SHOWN_PATHS = 20


def add_extract_command(verb) -> None:
    """Declare `package extract` through the parser's ``verb`` helper."""
    p = verb("extract", "Turn an existing agent folder (Claude plugin or marketplace, Codex, APM, Agent Skills, "
             "Copilot, Cursor, AGENTS.md) into agentpack packages.", cmd_extract, json_flag=True)
    p.add_argument("source", metavar="SRC", help="the folder to read")
    p.add_argument("-o", "--output", metavar="OUT", help="where to write one folder per package (OUT/<name>/)")
    p.add_argument("--from", dest="format", default="auto", choices=("auto", *FORMATS),
                   help="the source's format (default: auto, detected from its files)")
    p.add_argument("--dry-run", action="store_true", help="only print the inventory; write nothing")
    p.add_argument("--license", metavar="SPDX", help="license for packages whose source declares none "
                   "(publishing requires one), e.g. MIT")
    p.add_argument("--force", action="store_true", help="replace package folders that already exist in OUT")


def cmd_extract(args) -> int:
    from agentpack.services.extract import extract

    source, output = _in_dir(args, args.source), args.output and _in_dir(args, args.output)
    result = extract(source, output, format=args.format, dry_run=args.dry_run, force=args.force,
                     license=args.license)
    if args.json:
        print_json(result.to_dict())
    else:
        _render(result)
    return 0 if result.ok else 1


def _in_dir(args, path: str) -> str:
    directory = getattr(args, "directory", None)
    return path if directory is None or os.path.isabs(path) else os.path.join(directory, path)


def _render(result) -> None:
    inv = result.inventory
    out(f"{result.source}: {inv.format or 'unknown format'}"
        f"{f' (found {inv.detected_by})' if inv.detected_by else ''}, {inv.file_count} file(s), "
        f"{len(inv.packages)} package(s)")
    counts = ", ".join(f"{n} {k}" for k, n in inv.counts_by_kind().items() if n)
    out(f"components: {counts or 'none'}")
    for name, row in inv.counts_by_package().items():
        out(f"  {name}: " + (", ".join(f"{n} {k}" for k, n in row.items() if n) or "no components"))
    clashes = [c for c in inv.clashes if not c.same_content]
    duplicates = [c for c in inv.clashes if c.same_content]
    if clashes or duplicates:
        out(f"names shared: {len(clashes)} clash(es) (different content), {len(duplicates)} duplicate(s)")
        for c in clashes[:_SHOWN_PATHS]:
            out(f"  {c.kind}/{c.name}: " + ", ".join(f"{p} ({s})" for p, s in c.sources))
    if inv.not_understood:
        out(f"not understood: {len(inv.not_understood)} file(s)")
        for path in inv.not_understood[:_SHOWN_PATHS]:
            out(f"  {path}")
        if len(inv.not_understood) > _SHOWN_PATHS:
            out(f"  ... and {len(inv.not_understood) - _SHOWN_PATHS} more (--json lists all)")
    findings = result.findings()
    if findings:
        out(f"findings: {len(findings)}")
        print_problems(findings, to_stdout=True)
    if result.dry_run:
        out("dry run: nothing written")
        return
    for package in result.packages:
        verdict = paint("valid", "32") if package.ok else paint("invalid", "31")
        out(f"{package.name}@{package.version} -> {package.directory}: {verdict}")
        print_problems([*package.findings, *package.problems], to_stdout=True, indent="    ")
    good = sum(p.ok for p in result.packages)
    out(f"{good} of {len(result.packages)} package(s) written and valid")
    hidden = [p.directory for p in result.packages if any(q.code == "hidden-unicode" for q in p.problems)]
    for directory in hidden:  # files are copied as they are; removing characters is the user's call
        out(f"  to remove hidden characters: agentops package validate --fix-unicode {directory}")
