"""What every command's --help shows beyond its options: one style for summaries and
descriptions, and one or two examples of the command in use.

Applied to the finished parser in one pass, so that a command declared in any cli module gets
the same treatment; tests/cli/test_help.py checks that every command has its examples.
"""

from __future__ import annotations

import argparse

# Command path -> examples, shown under "Examples:" in that command's --help.
EXAMPLES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("package", "init"): ("agentops package init packages/support-desk",
                          "agentops package init . --name team/support-desk"),
    ("package", "validate"): ("agentops package validate packages/support-desk",
                              "agentops package validate --strict --json"),
    ("package", "build"): ("agentops package build packages/support-desk",
                           "agentops package build . -o dist --sign release"),
    ("package", "publish"): ("agentops package publish dist/support-desk-0.1.0.tar.gz",
                             "agentops package publish dist/*.tar.gz --registry oci://registry.local:5000/agents"),
    ("package", "install"): ("agentops package install customer-service@^1.2.0 --target claude",
                             "agentops package install --frozen --offline"),
    ("package", "list"): ("agentops package list", "agentops package list --json"),
    ("package", "uninstall"): ("agentops package uninstall customer-service",),
    ("package", "update"): ("agentops package update", "agentops package update core-workflow"),
    ("package", "outdated"): ("agentops package outdated",),
    ("package", "tree"): ("agentops package tree", "agentops package tree --json"),
    ("package", "info"): ("agentops package info customer-service", "agentops package info customer-service@^1.2"),
    ("package", "search"): ("agentops package search escalat",
                            "agentops package search support --keyword refunds --category domain --json"),
    ("package", "yank"): ("agentops package yank customer-service@1.2.0 --reason 'leaks a token; use 1.2.1'",
                          "agentops package yank customer-service@1.2.0 --undo"),
    ("package", "deprecate"): ("agentops package deprecate customer-service --message 'use support-desk'",
                               "agentops package deprecate customer-service@'<2' --message 'upgrade to 2.x'"),
    ("package", "diff"): ("agentops package diff customer-service@1.1.0 customer-service@1.2.0",
                          "agentops package diff dist/x-1.0.0.tar.gz packages/x"),
    ("package", "bump"): ("agentops package bump auto", "agentops package bump minor packages/support-desk"),
    ("package", "extract"): ("agentops package extract ../my-agents --dry-run",
                             "agentops package extract ../my-agents -o packages --license MIT"),
    ("package", "export"): ("agentops package export packages/support-desk --format claude-plugin -o out/support-desk",
                            "agentops package export --format claude-marketplace -o out/marketplace --json"),
    ("target", "add"): ("agentops target add claude agents-md", "agentops target add cursor --prefix package"),
    ("target", "remove"): ("agentops target remove cursor",),
    ("target", "list"): ("agentops target list", "agentops target list --json"),
    ("check",): ("agentops check", "agentops check --json"),
    ("config", "show"): ("agentops config show customer-service",
                         "agentops config show customer-service --explain"),
    ("config", "apply"): ("agentops config apply",
                          "agentops config apply --tier edge --set customer-service.defaults.currency=EUR"),
    ("key", "generate"): ("agentops key generate release",),
    ("trust", "add"): ("agentops trust add release.pub", "agentops trust add release.pub --workspace"),
    ("trust", "list"): ("agentops trust list",),
    ("trust", "remove"): ("agentops trust remove release",),
    ("registry", "init"): ("agentops registry init /srv/agentpack",
                           "agentops registry init /srv/agentpack --classification cui"),
    ("registry", "verify"): ("agentops registry verify --registry /srv/agentpack",
                             "agentops registry verify --registry /srv/agentpack --repair --json"),
    ("registry", "forget"): ("agentops registry forget --registry /srv/agentpack",),
    ("registry", "mirror"): ("agentops registry mirror http://registry.local:8080 ./edge-registry --team support",
                             "agentops registry mirror /srv/agentpack /media/usb/registry --since 7d --dry-run"),
    ("registry", "catalog"): ("agentops registry catalog --registry /srv/agentpack --port 8080",
                              "agentops registry catalog --registry /srv/agentpack --host 0.0.0.0 --port 80 "
                              "--registry-url https://agentpack.example.org/"),
    ("registry", "serve"): ("agentops registry serve --port 8080 --public-tree /srv/agentpack/public",
                            "agentops registry serve --host 0.0.0.0 --database postgresql://agentpack@db/agentpack "
                            "--blobs oci://registry.local:5000/agentops-blobs --workers 4"),
    ("registry", "migrate"): ("agentops registry migrate --data /srv/agentpack-server",
                              "agentops registry migrate --database postgresql://agentpack@db/agentpack --json"),
    ("registry", "team", "create"): ("agentops registry team create team-alpha --classification secret "
                                     "--quota 10GiB --private --owner alice",
                                     "agentops registry team create team-beta --exist-ok --registry http://host:8080/"),
    ("registry", "team", "update"): ("agentops registry team update team-alpha --add-owner alice --remove-owner bob",
                                     "agentops registry team update team-alpha --public --registry http://host:8080/"),
    ("registry", "team", "list"): ("agentops registry team list --data /srv/agentpack-server",),
    ("registry", "token", "create"): ("agentops registry token create --team team-alpha --role publish --user alice "
                                      "--expires 90d",
                                      "agentops registry token create --team '*' --role admin --expires 30d"),
    ("registry", "token", "revoke"): ("agentops registry token revoke tok_1a2b3c4d5e6f",),
    ("registry", "token", "list"): ("agentops registry token list --data /srv/agentpack-server",),
    ("login",): ("agentops login http://host:8080/ --token-stdin",
                 "agentops login oci://registry.local:5000 --username ci --password-stdin"),
    ("logout",): ("agentops logout http://registry.example:8080/", "agentops logout oci://registry.local:5000"),
    ("bundle", "collect"): ("agentops bundle collect customer-service@^1.2 -o cs.bundle",
                            "agentops bundle collect --lock --chart deploy/helm/agentpack --images --tier edge "
                            "-o site.bundle --sign release"),
    ("deploy", "render"): ("agentops deploy render --tier edge --namespace-per-classification -o deploy/agents",
                           "agentops deploy render --format values -o values-agents.yaml --json"),
    ("doctor",): ("agentops doctor --tier edge --chart deploy/helm/agentpack --bundle site.bundle",
                  "agentops doctor --tenants values-tenants.yaml --json"),
    ("bundle", "verify"): ("agentops bundle verify site.bundle --trust release.pub",),
    ("bundle", "load"): ("agentops bundle load site.bundle --registry /srv/agentpack --trust release.pub",
                         "agentops bundle load site.bundle --registry oci://registry.local:5000/agents"),
}


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, except that text with line breaks (the examples) is kept as written,
    and that the terminal's width is found without ``shutil``: argparse makes a formatter for
    every option it declares, and ``shutil`` imports bz2 and lzma, ~2 ms of every command."""

    def __init__(self, prog, indent_increment=2, max_help_position=24, width=None):
        super().__init__(prog, indent_increment, max_help_position, _columns() - 2 if width is None else width)

    def _fill_text(self, text, width, indent):
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def _columns() -> int:
    """The terminal's width as ``shutil.get_terminal_size`` finds it: $COLUMNS, else the terminal
    on stdout, else 80."""
    import os
    import sys

    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def sentence(text: str | None) -> str | None:
    """The house style of summaries and descriptions: a capital first letter and a final period."""
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", ")")) else text + "."


def finish(parser: argparse.ArgumentParser, epilog: str, path: tuple[str, ...] = ()) -> None:
    """Give ``parser`` and every parser below it the house style and their examples."""
    parser.formatter_class = HelpFormatter
    parser.description = sentence(parser.description)
    examples = EXAMPLES.get(path)
    if examples:
        parser.epilog = "Examples:\n" + "".join(f"  {line}\n" for line in examples) + "\n" + epilog
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                choice.help = sentence(choice.help)
            for name, sub in action.choices.items():
                finish(sub, epilog, (*path, name))


def leaf_commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every runnable command path below ``parser`` (e.g. ("package", "install"))."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += leaf_commands(sub, (*path, name))
    return found or [path]
