"""Every command's --help shows examples that parse, and one style for summaries and descriptions."""

from __future__ import annotations

import re
import shlex

import pytest

from agentpack.cli.help_text import EXAMPLES, leaf_commands
from agentpack.cli.parser import build_parser

COMMANDS = leaf_commands(build_parser())


def test_every_command_has_examples_and_they_parse():
    assert sorted(COMMANDS) == sorted(EXAMPLES)
    parser = build_parser()
    for path, examples in EXAMPLES.items():
        assert 1 <= len(examples) <= 2, path
        for example in examples:
            words = shlex.split(example)
            assert words[0] == "agentops" and tuple(words[1:1 + len(path)]) == path, example
            args = parser.parse_args(words[1:])
            assert callable(args.handler), example


def test_the_parser_built_for_one_command_parses_every_example_as_the_full_one_does():
    """Given the argv it will parse, build_parser declares only that command in full; every
    example parses to the same values, and the other commands are still listed."""
    full = build_parser()
    for path, examples in EXAMPLES.items():
        for example in examples:
            words = shlex.split(example)[1:]
            pruned = build_parser(words)
            assert vars(pruned.parse_args(words)) == vars(full.parse_args(words)), example
            assert _choices(pruned, path) == _choices(full, path)  # the listings and "invalid choice" errors
    pruned = build_parser(["-C", "ws", "package", "install"])
    package = pruned._subparsers._group_actions[0].choices["package"]
    verbs = package._subparsers._group_actions[0].choices
    assert len(verbs["install"]._actions) > 10 and len(verbs["publish"]._actions) == 1  # -h only
    assert vars(pruned.parse_args(["-C", "ws", "package", "install", "x"]))["directory"] == "ws"


def _choices(parser, path: tuple[str, ...]) -> list[list[tuple[str, str]]]:
    """(name, help) of the choices at each level of ``path``, down from ``parser``."""
    levels = []
    for name in path:
        action = parser._subparsers._group_actions[0]
        levels.append([(choice.dest, choice.help) for choice in action._choices_actions])
        parser = action.choices[name]
    return levels


@pytest.mark.parametrize("path", [("package", "install"), ("bundle", "load"), ("trust", "add"), ("check",)])
def test_help_shows_the_examples(agentops, path):
    run = agentops(*path, "--help")
    assert "Examples:\n" in run.out
    for example in EXAMPLES[path]:
        assert f"\n  {example}\n" in run.out


@pytest.mark.parametrize("group", [(), ("package",), ("config",), ("key",), ("trust",), ("registry",),
                                   ("bundle",)])
def test_summaries_and_descriptions_share_one_style(agentops, group):
    text = agentops(*group, "--help").out
    listing = text.split("positional arguments:\n", 1)[1].split("\n\n", 1)[0]
    summaries = re.findall(r"^    \S+\s+(.*)$", listing, flags=re.M)
    assert summaries
    for summary in summaries:
        assert summary[0].isupper(), summary
    description = text.split("\n\n", 2)[1]
    assert description[0].isupper() and description.rstrip().endswith("."), description


def test_offline_says_exactly_what_it_reads(agentops):
    text = " ".join(agentops("package", "install", "--help").out.split())
    assert "--offline use no network" in text
    assert "directory registries on this machine" in text and "download cache" in text
