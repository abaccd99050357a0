"""core.lock_checks: what an (untrusted) agentops.lock may claim. Data tables."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentpack.core.lock_checks import check_lock, unrequested_sources
from agentpack.core.lockfile import LockedPackage, Lockfile
from agentpack.errors import WorkspaceError

SHA = "a" * 64


def _lock(*packages: LockedPackage, root=None, overrides=None) -> Lockfile:
    return Lockfile(root=root or {}, overrides=overrides or {}, packages={p.name: p for p in packages})


def _pkg(name="kit", files=None, **fields) -> LockedPackage:
    return LockedPackage(**{"name": name, "version": "1.0.0", "sha256": SHA, "files": files or {}, **fields})


def _problems(lock: Lockfile) -> list[str]:
    with pytest.raises(WorkspaceError) as caught:
        check_lock(lock, source="agentops.lock")
    return [p.message for p in caught.value.problems]


@pytest.mark.parametrize("path", [
    "agents/kit/a.md", "workflows/kit/w/x.md", "patterns/kit/p.md", "validations/kit/g.yaml",
    "docs/packages/kit/README.md", "docs/packages/kit/guide/start.md",
])
def test_paths_inside_the_package_folders_are_accepted(path):
    lock = _lock(_pkg(files={path: SHA}), _pkg("other", files={"agents/other/x.md": SHA}))
    assert check_lock(lock, source="agentops.lock") is lock


@pytest.mark.parametrize(("path", "why"), [
    ("NOTES.md", "outside the package's install folders"),
    ("agentops.yaml", "outside"),
    ("agentops.lock", "outside"),
    ("packages/kit.local.yaml", "outside"),
    (".agentops/installed", "outside"),
    (".agentops/packages/kit.json", "outside"),
    ("docs/packages/README.md", "outside"),  # generated: the index of every package
    ("config/kit/settings.yaml", "outside"),  # generated: effective configuration
    ("agents/kitchen/x.md", "outside"),  # a prefix of the name is not the name
    ("agents/kit", "outside"),
    ("agents/other/x.md", "inside the folder of package other"),
    ("docs/packages/other/README.md", "inside the folder of package other"),
    ("../x", "'..', '.' or empty path component"),
    ("agents/kit/../../NOTES.md", "'..'"),
    ("agents/kit/./a.md", "'..'"),
    ("agents/kit//a.md", "'..'"),
    ("agents/kit/", "'..'"),
    ("/etc/passwd", "absolute"),
    ("", "absolute or empty"),
    ("agents\\kit\\a.md", "backslash"),
    ("agents/kit/a\x00.md", "control character"),
    ("agents/kit/a\n.md", "control character"),
])
def test_paths_a_package_may_not_claim(path, why):
    lock = _lock(_pkg(files={path: SHA}), _pkg("other", files={}))
    (message,) = _problems(lock)
    assert repr(path) in message and why in message


def test_a_namespaced_package_owns_its_folder_inside_its_namespace_package():
    lock = _lock(_pkg("team", files={"agents/team/x/a.md": SHA}), _pkg("team/x"))
    (message,) = _problems(lock)
    assert "inside the folder of package team/x" in message
    assert check_lock(_lock(_pkg("team", files={"agents/team/x/a.md": SHA})), source="l")  # no team/x locked


def test_a_path_claimed_twice_and_bad_file_digests():
    lock = _lock(_pkg(files={"agents/kit/a.md": "not-a-digest", "agents/kit/b.md": SHA.upper()}))
    assert len(_problems(lock)) == 2


@pytest.mark.parametrize("name", ["../evil", "Kit", "a/b/c", "", " kit", "kit--x", "-kit", "x" * 65,
                                  "agents/../x", "kit/", "/kit", "kit\x00"])
def test_names_follow_the_rule_for_typed_names(name):
    for lock in (_lock(_pkg(name)), _lock(_pkg(dependencies={name: "^1.0.0"})), _lock(root={name: "^1"}),
                 _lock(overrides={name: "1.0.0"})):
        messages = _problems(lock)
        assert len(messages) == 1 and "package name" in messages[0], messages


@pytest.mark.parametrize(("fields", "word"), [
    ({"version": "1.0"}, "not a SemVer version"),
    ({"version": "../1.0.0"}, "not a SemVer version"),
    ({"sha256": "abc"}, "not a SHA-256 digest"),
    ({"sha256": "g" * 64}, "not a SHA-256 digest"),
    ({"source": "https://evil.example/x.tar.gz"}, "has source"),
    ({"source": "git+ssh://x"}, "has source"),
])
def test_versions_digests_and_sources_are_checked(fields, word):
    (message,) = _problems(_lock(_pkg(**fields)))
    assert word in message


def test_every_problem_is_reported_at_once():
    lock = _lock(_pkg(files={"NOTES.md": SHA, "../x": SHA}, version="x", sha256="y"), root={"Bad": "1"})
    assert len(_problems(lock)) == 5


@pytest.mark.parametrize(("source", "requested", "ok"), [
    ("registry", "^1.0.0", True),
    ("file:dist/kit-1.0.0.tar.gz", "file:dist/kit-1.0.0.tar.gz", True),
    ("file:dist/kit-1.0.0.tar.gz", "^1.0.0", False),
    ("file:/etc/passwd", "^1.0.0", False),
    ("file:../../elsewhere.tar.gz", "file:dist/kit-1.0.0.tar.gz", False),
    ("file:dist/kit-1.0.0.tar.gz", None, False),  # a dependency: only a request can name an archive
])
def test_a_locked_archive_path_must_be_the_one_requested(source, requested, ok):
    lock = _lock(_pkg(source=source))
    reasons = unrequested_sources(lock, {} if requested is None else {"kit": requested})
    assert (reasons == []) is ok


# -- the checks made at once per package agree with the file-by-file ones --------------------------

_PATH_PIECES = ["agents/", "workflows/", "docs/packages/", "team/", "x/", "app/", "a.md", "..", ".", "/",
                "\\\\", "\x07", "é", "config/", "agents/team/x/", "agents/app/", ""]


def _found(lock: Lockfile) -> list:
    try:
        check_lock(lock, source="agentops.lock")
    except WorkspaceError as error:
        return sorted((p.code, p.message, p.field) for p in error.problems)
    return []


@settings(max_examples=300, deadline=None)
@given(files=st.dictionaries(st.lists(st.sampled_from(_PATH_PIECES), min_size=1, max_size=5).map("".join),
                             st.sampled_from(["a" * 64, "0" * 64, "A" * 64, "short"]), max_size=6),
       names=st.lists(st.sampled_from(["app", "team", "team/x", "lib"]), min_size=1, max_size=3, unique=True))
def test_quick_checks_give_the_same_problems_as_each_file_judged_alone(files, names):
    from agentpack.core import lock_checks

    packages = {name: LockedPackage(name=name, version="1.0.0", sha256="b" * 64, source="registry",
                                    dependencies=(), files=dict(files) if i == 0 else {})
                for i, name in enumerate(names)}
    lock = Lockfile(root={names[0]: "^1.0.0"}, packages=packages)
    quick = _found(lock)
    real = lock_checks._plain_paths
    lock_checks._plain_paths = lambda paths: False  # every file judged on its own
    try:
        alone = _found(lock)
    finally:
        lock_checks._plain_paths = real
    assert quick == alone


def test_digests_checked_together_agree_with_each_checked_alone():
    from agentpack.core.digests import are_sha256, is_sha256

    cases = [["a" * 64, "0123456789abcdef" * 4], [], ["A" * 64], ["g" * 64], ["é" * 64], ["a" * 63],
             [None], ["a" * 64, "a" * 65], ["a" * 63 + "\n"]]
    for digests in cases:
        assert are_sha256(digests) == all(is_sha256(d) for d in digests), digests
