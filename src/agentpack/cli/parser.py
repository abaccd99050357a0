"""The argument parser of `agentops`: every command, its options and its help text.

Handlers live in cli.commands; this module only declares the command line. argparse exits with
code 2 on misuse, which is the convention the rest of the CLI follows.
"""

from __future__ import annotations

import argparse
import functools

from agentpack import __version__

# argparse looks its strings up in a translation catalogue each time it formats one (~40 us each
# with LANG set, ~190 of them while the parser is built: more than a third of building it). No
# catalogue ships for them and agentops speaks English, so they are taken as written.
argparse._ = lambda text: text
argparse.ngettext = lambda singular, plural, count: singular if count == 1 else plural

EPILOG = "Exit codes: 0 success, 1 failure, 2 misuse. Set NO_COLOR to disable colours."
OFFLINE_HELP = ("use no network: package indexes and archives are read only from directory registries on this "
                "machine (--registry, agentops.yaml `registries`, $AGENTOPS_REGISTRY, the embedded default "
                "registry) and from the download cache ($XDG_CACHE_HOME/agentpack)")


@functools.cache
def _common(json_flag: bool = False, registry: bool = False, *, top: bool = False) -> argparse.ArgumentParser:
    # Sub-commands repeat -C and --no-color so they work on either side of the verb; there they
    # default to SUPPRESS so that an option given before the verb is not reset to its default.
    default = None if top else argparse.SUPPRESS
    parent = _Parser(add_help=False)
    parent.add_argument("-C", dest="directory", metavar="DIR", default=default,
                        help="run as if started in DIR (the workspace is found from there upwards)")
    parent.add_argument("--no-color", action="store_true", default=False if top else argparse.SUPPRESS,
                        help="disable coloured output")
    if json_flag:
        parent.add_argument("--json", action="store_true", help="print machine-readable JSON on stdout")
    if registry:
        parent.add_argument("--registry", metavar="R",
                            help="registry directory, http(s):// URL (a registry server, or static files: read-only) or file:// URL that answers "
                                 "for every package, overriding the routing of agentops.yaml `registries` "
                                 "(default: agentops.yaml `registries`, then $AGENTOPS_REGISTRY, then the embedded "
                                 "default registry)")
    return parent


def _sync_options(parser: argparse.ArgumentParser, *, frozen: bool = False) -> None:
    if frozen:
        parser.add_argument("--frozen", action="store_true",
                            help="install exactly what agentops.lock pins; fail if it does not satisfy agentops.yaml")
    parser.add_argument("--offline", action="store_true", help=OFFLINE_HELP)
    parser.add_argument("--force", action="store_true",
                        help="overwrite or remove installed files even if you edited them")
    parser.add_argument("--allow-hidden-unicode", action="store_true",
                        help="install packages even if their files hold hidden Unicode characters")
    parser.add_argument("--require-signed", action="store_true",
                        help="refuse unsigned packages and packages signed by a key no trust store holds")


def _adapt_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tier", metavar="TIER",
                        help="switch the workspace to TIER (e.g. edge, datacenter, connected); recorded in agentops.yaml")
    parser.add_argument("--set", action="append", metavar="PKG.KEY=VALUE",
                        help="set a configuration value (repeatable); recorded in agentops.yaml")
    parser.add_argument("--allow-new-tier", action="store_true",
                        help="accept a --tier that no installed package defines")
    parser.add_argument("--set-new", action="store_true",
                        help="let --set create keys the package's configuration does not have")


class _Ignored:
    """What a sub-command left out of the parser is declared on: it accepts any call, and keeps
    nothing."""

    def __getattr__(self, name: str):
        return self._accept

    def _accept(self, *args, **kwargs) -> _Ignored:
        return self


class _OnlyWanted(argparse._SubParsersAction):
    """Sub-commands of which only ``wanted`` (None: every one) is declared in full. The others are
    registered with their name and help, so that listings and "invalid choice" errors are the
    same, but their options are never built: the full parser of every command costs ~10 ms, a
    tenth of a first install, while one command's costs a fraction of a millisecond."""

    wanted: str | None = None
    below: str | None = None  # what the sub-commands of the wanted one want in turn

    def add_parser(self, name, **kwargs):
        if self.wanted is None or name == self.wanted:
            parser = super().add_parser(name, **kwargs)
            parser.wanted_below = self.below
            return parser
        super().add_parser(name, **{key: kwargs[key] for key in ("help", "aliases") if key in kwargs})
        return _Ignored()


class _Parser(argparse.ArgumentParser):
    wanted_below: str | None = None

    def __init__(self, *args, **kwargs) -> None:
        from agentpack.cli.help_text import HelpFormatter  # no shutil, unlike argparse's own

        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def add_subparsers(self, **kwargs):
        action = super().add_subparsers(action=_OnlyWanted, parser_class=_Parser, **kwargs)
        action.wanted, action.below = self.wanted_below, None
        return action


def _wanted(argv: list[str] | None) -> tuple[str | None, str | None]:
    """The command and sub-command ``argv`` names, or None for each that the whole parser must
    decide (no argv, a request for help, or nothing there)."""
    if argv is None or "-h" in argv or "--help" in argv:
        return None, None
    named, value_next = [], False
    for arg in argv:
        if value_next:
            value_next = False
        elif arg == "-C":  # the one option before the command that takes a separate value
            value_next = True
        elif arg == "--":
            break
        elif not arg.startswith("-"):
            named.append(arg)
            if len(named) == 2:
                break
    return (named + [None, None])[0], (named + [None, None])[1]


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The `agentops` parser; each leaf sets ``handler`` to a function in cli.commands. Given the
    ``argv`` it will parse, only the command it names is declared in full (see ``_OnlyWanted``)."""
    from agentpack.cli import commands as c

    root = _Parser(
        prog="agentops", description="Package, publish and install agent domain packages.", epilog=EPILOG,
        parents=[_common(top=True)],
    )
    root.wanted_below, below = _wanted(argv)
    root.add_argument("-V", "--version", action="version", version=f"agentops {__version__}")
    groups = root.add_subparsers(dest="group", metavar="COMMAND")
    groups.below = below
    groups.required = True
    pkg = groups.add_parser("package", help="build, publish, install and inspect packages",
                            description="Build, publish, install and inspect agent domain packages.", epilog=EPILOG)
    verbs = pkg.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    def verb(name: str, help_text: str, handler, *, json_flag=False, registry=False) -> argparse.ArgumentParser:
        parser = verbs.add_parser(name, help=help_text, description=help_text, epilog=EPILOG,
                                  parents=[_common(json_flag, registry)])
        parser.set_defaults(handler=handler)
        return parser

    p = verb("init", "Scaffold a new package folder with one example of each component.", c.cmd_init)
    p.add_argument("path", nargs="?", default=".", metavar="DIR", help="folder to create (default: .)")
    p.add_argument("--name", help="package name (default: the folder's name)")

    p = verb("validate", "Check a package folder and report every problem at once.", c.cmd_validate, json_flag=True)
    p.add_argument("path", nargs="?", default=".", metavar="DIR", help="package folder (default: .)")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--fix-unicode", action="store_true",
                   help="first remove hidden Unicode characters (tag, bidi, zero-width) from the package's files")

    p = verb("build", "Validate a package and write its reproducible archive (+ .sha256).", c.cmd_build,
             json_flag=True)
    p.add_argument("path", nargs="?", default=".", metavar="DIR", help="package folder (default: .)")
    p.add_argument("-o", "--out-dir", default="dist", metavar="OUTDIR", help="output folder (default: dist)")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--sign", metavar="KEY", help="also write ARCHIVE.sig, signed with KEY (a .key file or a "
                   "key name from `agentops key generate`)")

    p = verb("publish", "Validate built archives and add them to a registry.", c.cmd_publish,
             json_flag=True, registry=True)
    p.add_argument("archives", nargs="+", metavar="ARCHIVE",
                   help="a .tar.gz written by `agentops package build` (several: all checked first, "
                        "dependencies published first; into one directory or oci:// registry, all or none)")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--allow-breaking", action="store_true",
                   help="publish even if the version bump is smaller than the changes require "
                        "(recorded in the registry)")
    p.add_argument("--allow-unresolved", action="store_true",
                   help="to a registry server: publish even if a dependency's range matches nothing it holds "
                        "(recorded in the registry)")

    p = verb("install", "Install packages (and their dependencies) into the workspace.", c.cmd_install,
             json_flag=True, registry=True)
    p.add_argument("specs", nargs="*", metavar="SPEC",
                   help="name, name@version, name@range, or a path to a built archive; "
                        "none: install what agentops.yaml and agentops.lock ask for")
    _sync_options(p, frozen=True)
    _adapt_options(p)
    p.add_argument("--target", action="append", metavar="TARGET",
                   help="also deploy into this agent tool (repeatable): claude, copilot, cursor, codex, gemini, "
                        "opencode, agents-md; recorded in agentops.yaml `targets`")

    verb("list", "List installed packages.", c.cmd_list, json_flag=True)

    p = verb("uninstall", "Remove packages and the dependencies nothing else needs.", c.cmd_uninstall,
             json_flag=True, registry=True)
    p.add_argument("names", nargs="+", metavar="NAME")
    _sync_options(p)

    p = verb("update", "Update packages to the newest versions their ranges allow.", c.cmd_update,
             json_flag=True, registry=True)
    p.add_argument("names", nargs="*", metavar="NAME", help="packages to update (default: all)")
    _sync_options(p)
    _adapt_options(p)

    verb("outdated", "Show installed packages with newer versions published.", c.cmd_outdated,
         json_flag=True, registry=True)
    verb("tree", "Show the installed dependency tree.", c.cmd_tree, json_flag=True)

    p = verb("info", "Show what a registry knows about a package.", c.cmd_info, json_flag=True, registry=True)
    p.add_argument("spec", metavar="SPEC", help="name or name@range")

    p = verb("search", "Search a registry's packages by name, description or keyword; filter by keyword or category.",
             c.cmd_search,
             json_flag=True, registry=True)
    p.add_argument("query", nargs="?", default="", metavar="QUERY",
                   help="words to look for: each must begin a word of the name, keywords or description "
                        "(default: everything)")
    p.add_argument("--keyword", metavar="K", help="only packages with the keyword K (whole, case-insensitive)")
    p.add_argument("--category", metavar="C", help="only packages of the category C: domain, industry, process or meta")

    from agentpack.cli.commands_marks import add_mark_commands

    add_mark_commands(verb)
    from agentpack.cli import commands_semver as sv

    p = verb("diff", "List what changed between two versions of a package and the release it requires.",
             sv.cmd_diff, json_flag=True, registry=True)
    for name in ("old", "new"):
        p.add_argument(name, metavar=name.upper(), help="a package folder, an archive, or a published name@version")

    p = verb("bump", "Raise the version in package.yaml, keeping its comments.", sv.cmd_bump, json_flag=True,
             registry=True)
    p.add_argument("part", choices=("major", "minor", "patch", "auto"),
                   help="the part to bump; auto: what the changes since the latest published version require")
    p.add_argument("path", nargs="?", default=".", metavar="DIR", help="package folder (default: .)")

    from agentpack.cli.commands_extract import add_extract_command

    add_extract_command(verb)

    from agentpack.cli.commands_export import add_export_command

    add_export_command(verb)
    from agentpack.cli.commands_check import cmd_check

    check_help = "Run the quality gates of every installed package against the workspace."
    check = groups.add_parser("check", help=check_help, description=check_help + " Exit 1 on any "
                              "error-level violation.", epilog=EPILOG, parents=[_common(json_flag=True)])
    check.set_defaults(handler=cmd_check)
    _config_commands(groups)
    from agentpack.cli.commands_keys import add_key_commands

    add_key_commands(groups, _common, EPILOG)
    from agentpack.cli.commands_registry import add_registry_commands

    add_registry_commands(groups, _common, EPILOG)
    from agentpack.cli.commands_server import add_login_commands

    add_login_commands(groups, _common, EPILOG)
    from agentpack.cli.commands_target import add_target_commands

    add_target_commands(groups, _common, EPILOG, _sync_options)
    from agentpack.cli.commands_bundle import add_bundle_commands

    add_bundle_commands(groups, _common, EPILOG)
    from agentpack.cli.commands_deploy import add_deploy_commands

    add_deploy_commands(groups, _common, EPILOG)
    from agentpack.cli.help_text import finish

    finish(root, EPILOG)
    return root


def _config_commands(groups) -> None:
    from agentpack.cli import commands_config as cc

    config = groups.add_parser("config", help="show and re-apply package configuration",
                               description="Show and re-apply the layered configuration of installed packages.",
                               epilog=EPILOG)
    verbs = config.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True
    p = verbs.add_parser("show", help="a package's effective configuration", epilog=EPILOG,
                         description="Show a package's effective configuration (all layers merged).",
                         parents=[_common(json_flag=True)])
    p.add_argument("package", metavar="PACKAGE")
    p.add_argument("--explain", action="store_true",
                   help="every leaf with the layer and file (and line) that set it, and what it replaced")
    p.set_defaults(handler=cc.cmd_config_show)
    p = verbs.add_parser("apply", help="re-apply all configuration layers", epilog=EPILOG,
                         description="Re-apply every layer after editing packages/<name>.local.yaml, "
                                     "in one atomic step.", parents=[_common(json_flag=True, registry=True)])
    p.add_argument("--offline", action="store_true", help=OFFLINE_HELP)
    p.add_argument("--force", action="store_true", help="overwrite generated files even if you edited them")
    _adapt_options(p)
    p.set_defaults(handler=cc.cmd_config_apply)


def run(argv: list[str]) -> int:
    """Parse ``argv``, run the chosen handler and render its errors; return the exit code."""
    args = build_parser(argv).parse_args(argv)
    from agentpack.cli.output import report_error, set_color

    if args.no_color:
        set_color(False)
    try:
        return args.handler(args)
    except Exception as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        return report_error(exc, as_json=getattr(args, "json", False))
