"""`agentops bundle collect|verify|load`: carry packages across an air gap in one file."""

from __future__ import annotations

import os

from agentpack.cli.output import Progress, err, out, print_json


def add_bundle_commands(groups, common, epilog: str) -> None:
    """Add the `bundle` command group to the top-level sub-parsers ``groups``."""
    bundle = groups.add_parser("bundle", help="carry packages across an air gap in one verified file",
                               description="Collect packages into one bundle file, verify it, and load it "
                               "into a directory or oci:// registry on the far side.", epilog=epilog)
    verbs = bundle.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    text = "Write the closure of SPECs (or exactly what agentops.lock pins) into one bundle file."
    p = verbs.add_parser("collect", help=text, description=text, epilog=epilog,
                         parents=[common(json_flag=True, registry=True)])
    p.add_argument("specs", nargs="*", metavar="SPEC", help="name, name@version or name@range")
    p.add_argument("--lock", action="store_true", help="bundle exactly what the workspace's agentops.lock pins")
    p.add_argument("--tier", metavar="TIER", help="the tier recorded in the bundle (default: the workspace's)")
    p.add_argument("--classification", metavar="LEVEL",
                   help="refuse to include any package classified above LEVEL (recorded in the bundle)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the bundle file to write")
    p.add_argument("--sign", metavar="KEY", help="sign the bundle manifest with this private key")
    p.set_defaults(handler=cmd_bundle_collect)

    text = "Check a bundle's checksums, contents and signatures, and show what it holds."
    p = verbs.add_parser("verify", help=text, description=text + " Signers must be trusted (`agentops trust "
                         "add`, or --trust). Exit 1 on any mismatch or untrusted signer.", epilog=epilog,
                         parents=[common(json_flag=True)])
    p.add_argument("file", metavar="FILE", help="the bundle file")
    _trust_arguments(p)
    p.set_defaults(handler=cmd_bundle_verify)

    text = ("Verify a bundle, then import its packages into a directory registry (created if missing) or an "
            "oci:// registry.")
    p = verbs.add_parser("load", help=text, description=text, epilog=epilog, parents=[common(json_flag=True)])
    p.add_argument("file", metavar="FILE", help="the bundle file")
    p.add_argument("--registry", required=True, metavar="DIR|URL",
                   help="the registry to import into: a directory, or oci://HOST[:PORT]/PREFIX")
    _trust_arguments(p)
    p.set_defaults(handler=cmd_bundle_load)


def _trust_arguments(p) -> None:
    p.add_argument("--trust", action="append", metavar="PUBKEY",
                   help="also trust this public key (a .pub file or base64 key; repeatable), and require "
                   "every part to be signed")
    p.add_argument("--allow-untrusted", action="store_true",
                   help="accept signers that no trust store holds (they are still named)")


def _trust(args) -> dict:
    keys = [_path(args, k) if os.path.isfile(_path(args, k)) else k for k in args.trust or ()]
    return {"trust": keys, "allow_untrusted": args.allow_untrusted, "directory": args.directory}


def _path(args, path: str) -> str:
    return path if args.directory is None else os.path.join(args.directory, path)


def _settings(args):
    from agentpack.services.workspace import Settings

    return Settings.from_environment(os.environ, registry=getattr(args, "registry", None))


def _signer(key: str | None, trusted: bool | None) -> str:
    if key is None:
        return "unsigned"
    return f"signed by {key[:16]}" + (" (trusted)" if trusted else " (NOT trusted)" if trusted is False else "")


def _shown(value) -> str:
    """A value read from a bundle, made safe for a terminal: control characters are escaped."""
    text = str(value)
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _show(report) -> None:
    level = f", classification {_shown(report.classification)}" if report.classification else ""
    tier = f", tier {_shown(report.tier)}" if report.tier else ""
    manifest = _signer(report.signed_by, report.trusted) if report.signed_by else "manifest unsigned"
    out(f"Bundle {report.path}: {len(report.packages)} package(s), created {_shown(report.created)}{tier}{level}, "
        f"{manifest}")
    for package in report.packages:
        out(f"  {package.name}@{package.version}  {_shown(package.classification)}  sha256 {package.sha256[:12]}  "
            f"{_signer(package.signed_by, package.trusted)}{_marks(package)}")


def _marks(package) -> str:
    """"  YANKED: reason" and "  deprecated: message" for a package that carries the marks."""
    text = ""
    if package.yanked is not None:
        text += f"  YANKED: {package.yanked or '(no reason given)'}"
    if package.deprecated is not None:
        text += f"  deprecated: {package.deprecated or '(no message)'}"
    return text


def _verdict(report) -> str:
    """What verification proved, no more: signatures are only vouched for when trusted."""
    text = "checksums and contents match"
    if report.untrusted:
        text += (f"; signed by key(s) this machine does not trust: {', '.join(report.untrusted)} "
                 "(accepted with --allow-untrusted)")
    elif not report.unsigned:
        text += "; signatures match trusted keys"
    if report.unsigned:
        shown = ", ".join(report.unsigned[:5]) + (", ..." if len(report.unsigned) > 5 else "")
        text += f"; not signed, so of unproven origin: {shown}"
    return text


def cmd_bundle_collect(args) -> int:
    from agentpack.services.bundle import collect_bundle

    signer = None
    if args.sign:  # opened first: a locked or missing key writes nothing
        from agentpack.cli.commands_keys import PASSPHRASE_VARIABLE, passphrase_prompt
        from agentpack.services.signing import load_signer

        key = _path(args, args.sign)
        signer = load_signer(key if os.path.isfile(key) else args.sign,
                             os.environ.get(PASSPHRASE_VARIABLE) or None, passphrase_prompt())
    progress = Progress("Collecting")
    try:
        report = collect_bundle(args.directory, args.specs, _settings(args), _path(args, args.output),
                                use_lock=args.lock, tier=args.tier, classification=args.classification,
                                signer=signer, progress=progress)
    finally:
        progress.close()
    if args.json:
        print_json(report.to_dict())
        return 0
    _show(report)
    err(f"Wrote {report.path} and {report.path}.sha256 (sha256 {report.sha256[:12]}...)")
    return 0


def cmd_bundle_verify(args) -> int:
    from agentpack.services.bundle import verify_bundle

    report = verify_bundle(_path(args, args.file), **_trust(args))
    if args.json:
        print_json(report.to_dict())
        return 0
    _show(report)
    out(f"Bundle verified: {_verdict(report)}")
    return 0


def cmd_bundle_load(args) -> int:
    from agentpack.services.bundle import load_bundle

    progress = Progress("Loading")
    try:
        registry = args.registry if "://" in args.registry else _path(args, args.registry)
        result = load_bundle(_path(args, args.file), registry, progress=progress,
                             options=_settings(args).registry_options(), **_trust(args))
    finally:
        progress.close()
    if args.json:
        print_json(result.to_dict())
        return 0
    packages = {f"{p.name}@{p.version}": p for p in result.report.packages}
    for key in result.imported:
        out(f"  + {key}{_marks(packages[key]) if key in packages else ''}")
    for key in result.skipped:
        out(f"  = {key} (already present){_marks(packages[key]) if key in packages else ''}")
    out(f"Loaded {result.report.path} into {result.registry}: {len(result.imported)} imported, "
        f"{len(result.skipped)} already present ({_verdict(result.report)})")
    return 0
