"""The local overrides file: empty sections, custom files that are missing, where config keys go."""

from __future__ import annotations

import pytest

from agentpack.core.local_overrides import missing_custom_files, parse_local_overrides, place_local_config

PACKAGE_CONFIG = {"defaults": {"currency": "USD", "tone": "warm"},
                  "escalation_thresholds": {"escalation_threshold": 250, "refund": {"max": 50}},
                  "rules": {"tone": "strict"}}


def parse(data, lines=None):
    return parse_local_overrides(data, lines or {}, source="packages/p.local.yaml",
                                 package_components=["workflows/w.md"])


def test_empty_sections_mean_nothing():
    local, problems = parse({"config": None, "agents": None, "workflows": {"disabled": None},
                             "patterns": {"custom_patterns": None}})
    assert problems == [] and local.config == {} and local.custom == {} and local.disabled == {}


def test_missing_custom_files_name_the_line():
    local, _ = parse({"agents": {"custom_agents": ["local/a.md", "local/b.md"]}},
                     {("agents", "custom_agents", 0): 3, ("agents", "custom_agents", 1): 4})
    (problem,) = missing_custom_files(local, {("agents", "custom_agents", 1): 4}, lambda path: path == "local/a.md")
    assert (problem.code, problem.line, problem.path) == ("missing-file", 4, "packages/p.local.yaml")
    assert "local/b.md" in problem.message


@pytest.mark.parametrize(
    ("config", "placed", "moved"),
    [
        ({"defaults": {"currency": "EUR"}}, {"defaults": {"currency": "EUR"}}, {}),
        ({"escalation_threshold": "$500"}, {"escalation_thresholds": {"escalation_threshold": "$500"}},
         {"escalation_threshold": "escalation_thresholds"}),
        ({"currency": None}, {"defaults": {"currency": None}}, {"currency": "defaults"}),
    ],
)
def test_config_keys_go_to_the_config_file_that_has_them(config, placed, moved):
    lines = {("config", key): 2 for key in config}
    tree, placed_lines, found, problems = place_local_config(config, lines, PACKAGE_CONFIG, source="l.yaml")
    assert (tree, found, problems) == (placed, moved, [])
    for key, name in moved.items():
        assert placed_lines[("config", name, key)] == 2


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("tone", ["config.defaults.tone or config.rules.tone"]),
        ("escalaton_threshold", ["override nothing", "did you mean escalation_threshold"]),
        ("nothing_like_it", ["defaults, escalation_thresholds, rules"]),
    ],
)
def test_config_keys_that_name_nothing_or_several_files_are_errors(key, words):
    tree, _, moved, (problem,) = place_local_config({key: 1}, {("config", key): 7}, PACKAGE_CONFIG, source="l.yaml")
    assert tree == {} and moved == {} and (problem.code, problem.line) == ("unknown-config", 7)
    for word in words:
        assert word in problem.message
