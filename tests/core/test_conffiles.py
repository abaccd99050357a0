"""The decision table of core.conffiles: what happens to a file the user may have edited."""

from __future__ import annotations

import pytest

from agentpack.core.conffiles import (
    CONFLICT,
    KEEP,
    SKIP,
    WRITE,
    backup_path,
    decide_delete,
    decide_write,
    edit_hint,
)

# (on disk, in the old lock, in the new lock) -> action
WRITE_TABLE = [
    ("new", "old", "new", SKIP),       # already what the new version wants
    (None, "old", "new", WRITE),       # missing: restored
    ("old", "old", "new", WRITE),      # not edited: replaced
    ("mine", "same", "same", KEEP),    # edited, upstream unchanged: the edit stays
    ("mine", "old", "new", CONFLICT),  # edited, upstream changed
    ("mine", None, "new", CONFLICT),   # a file agentops never installed is in the way
]


@pytest.mark.parametrize(("current", "installed", "new", "expected"), WRITE_TABLE)
def test_decide_write(current, installed, new, expected):
    assert decide_write(current, installed, new) == expected


@pytest.mark.parametrize(("current", "expected"), [(None, SKIP), ("old", WRITE), ("mine", CONFLICT)])
def test_decide_delete(current, expected):
    assert decide_delete(current, "old") == expected


def test_backup_path_never_reuses_a_taken_name():
    taken = {".agentops/backup/T/agents/a/x.md", ".agentops/backup/T/agents/a/x.md.1"}
    assert backup_path("T", "agents/a/x.md", taken.__contains__) == ".agentops/backup/T/agents/a/x.md.2"


def test_hints_point_config_to_the_local_file_and_prompts_to_a_copy_of_their_own():
    config = edit_hint(["config/cs/defaults.yaml"], {"config/cs/defaults.yaml": "cs"})
    assert "packages/cs.local.yaml" in config and "custom_" not in config
    prompt = edit_hint(["agents/cs/triage.md"], {"agents/cs/triage.md": "cs"})
    assert "custom_agents" in prompt and "agents/triage.md under agents: disabled:" in prompt
    assert "(or use --set)" not in prompt and ".agentops/backup/" in prompt
