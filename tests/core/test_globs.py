import pytest

from agentpack.core.globs import glob_matches, glob_problem


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("agents/*.md", "agents/triage.md", True),
        ("agents/*.md", "agents/team/triage.md", False),  # '*' never crosses a '/'
        ("agents/*.md", "workflows/triage.md", False),
        ("agents/**/*.md", "agents/triage.md", True),  # '**' matches zero folders
        ("agents/**/*.md", "agents/a/b/triage.md", True),
        ("**/*.md", "README.md", True),
        ("**/*.md", "patterns/x.mdc", False),
        ("**/*.md*", "patterns/x.mdc", True),
        ("agents/**", "agents/a/b.md", True),
        ("agents/?.md", "agents/a.md", True),
        ("agents/?.md", "agents/ab.md", False),
        ("config/[a-d]*.yaml", "config/defaults.yaml", True),
        ("config/[!a-d]*.yaml", "config/defaults.yaml", False),
        ("config/[!a-d]*.yaml", "config/tone.yaml", True),
        ("Agents/*.md", "agents/x.md", False),  # case-sensitive, like package paths
        ("agents/x+y.md", "agents/x+y.md", True),  # regex characters are literal
        ("agents/(x).md", "agents/x.md", False),
        ("./agents/*.md", "agents/x.md", True),
    ],
)
def test_glob_matches(pattern, path, expected):
    assert glob_matches(pattern, path) is expected


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("", "empty"),
        ("/agents/*.md", "absolute"),
        ("../x/*.md", "'..'"),
        ("agents/../x.md", "'..'"),
        ("agents\\*.md", "backslashes"),
        ("agents/[ab.md", "unclosed"),
        ("agents/[].md", "empty"),
    ],
)
def test_glob_problem(pattern, reason):
    assert reason in glob_problem(pattern)


@pytest.mark.parametrize("pattern", ["agents/*.md", "**/*", "config/[a-z]*.yaml", "a..b/*.md"])
def test_good_globs_have_no_problem(pattern):
    assert glob_problem(pattern) is None
