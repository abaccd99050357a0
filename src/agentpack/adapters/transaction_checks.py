"""The checks a transaction runs against the workspace on disk before its commit point.

Once the journal is in place a change can only be completed, never undone. Anything on disk that
would make applying it fail (a directory where a file is to be written or deleted, a file or a
symbolic link where a directory is needed, a target on another file system than the staging area)
must therefore be caught before then: found after the commit point, it would leave the workspace
half changed and a journal that no command can replay until someone fixes the conflict by hand.
Found here, it aborts the transaction and the workspace is left exactly as it was. The same pass
picks the deletions that name existing files, the only ones the journal records.
"""

from __future__ import annotations

import os
import stat

from agentpack.errors import Problem

# What dir_state returns for a directory that exists, and for one that does not (yet).
DIR = "dir"
ABSENT = "absent"
CONFLICT_REASONS = {
    "symlink": "{} is a symbolic link; agentops does not write through links",
    "not-a-directory": "{} is a file but files are to be written inside it",
    "file-and-directory": "{} is to be written both as a file and as a directory",
    # os.replace cannot move a staged file across file systems, and it would fail after the commit.
    "other-device": "{} is on another file system than the staging directory",
}


def preflight(
    root: str, deletes: list[str], writes: list[tuple[str, int]], device: int
) -> tuple[list[Problem], list[str]]:
    """Every reason the staged changes cannot be applied to the workspace as it is on disk now,
    and the deletions that name existing files. Only those go into the journal, which is what lets
    a replay prune the parents of a file that is missing: it can only have been removed by us."""
    found: dict[tuple[str, str], str] = {}
    existing: list[str] = []
    # Deletions see the disk as it is; writes see it after the deletions have run.
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    listings: dict[str, dict[str, bool]] = {}
    deleting = frozenset(deletes)
    writing = frozenset(rel for rel, _ in writes)
    if writes and os.stat(root).st_dev != device:
        found[("other-device", ".")] = CONFLICT_REASONS["other-device"].format("the workspace")
    for rel in deletes:
        parent, _, name = rel.rpartition("/")
        state = dir_state(root, parent, before, frozenset(), frozenset())
        if state is DIR:
            is_dir = _listing(root, parent, listings).get(name)
            if is_dir:
                found[("is-directory", rel)] = f"{rel} is a directory; only files can be deleted"
            elif is_dir is not None:
                existing.append(rel)
        elif state is not ABSENT and state[0] == "symlink":
            found[state] = CONFLICT_REASONS["symlink"].format(state[1])
    for rel, _ in writes:
        parent, _, name = rel.rpartition("/")
        state = dir_state(root, parent, after, deleting, writing, device)
        if state is DIR:
            if _listing(root, parent, listings).get(name) and not _vanishes(root, rel, deleting):
                found[("is-directory", rel)] = f"{rel} is a directory and cannot be replaced by a file"
        elif state is not ABSENT:
            found[state] = CONFLICT_REASONS[state[0]].format(state[1])
    problems = [
        Problem("error", "path-conflict", message, path=key[1]) for key, message in sorted(found.items())
    ]
    return problems, existing


def dir_state(root: str, rel: str, memo: dict, deleting: frozenset, writing: frozenset, device=None):
    """What directory ``rel`` ('' is the root) is once ``deleting`` have been removed: ``DIR``,
    ``ABSENT`` (makedirs will create it), or ``(code, blocking_relpath)``; a directory on another
    device than ``device`` (if given) blocks too. Memoised per directory, so a transaction costs
    one ``lstat`` per distinct directory, not per file."""
    if not rel:
        return DIR
    state = memo.get(rel)
    if state is not None:
        return state
    state = dir_state(root, rel.rpartition("/")[0], memo, deleting, writing, device)
    if state is DIR or state is ABSENT:
        if rel in writing:
            state = ("file-and-directory", rel)
        elif state is DIR:
            try:
                st = os.lstat(root + "/" + rel)
            except FileNotFoundError:
                state = ABSENT
            else:
                mode = st.st_mode
                if stat.S_ISDIR(mode):
                    state = DIR if device is None or st.st_dev == device else ("other-device", rel)
                elif rel in deleting:
                    state = ABSENT
                elif stat.S_ISLNK(mode):
                    state = ("symlink", rel)
                else:
                    state = ("not-a-directory", rel)
    memo[rel] = state
    return state


def _listing(root: str, rel: str, memo: dict) -> dict[str, bool]:
    """Name -> is-a-directory (not following links) for directory ``rel``; one scandir each."""
    names = memo.get(rel)
    if names is None:
        with os.scandir(root + "/" + rel if rel else root) as entries:
            names = {e.name: e.is_dir(follow_symlinks=False) for e in entries}
        memo[rel] = names
    return names


def _vanishes(root: str, rel: str, deleting: frozenset) -> bool:
    """Whether directory ``rel`` is pruned once ``deleting`` are removed: every file under it is
    deleted and every directory under it vanishes too (an already empty one is never pruned)."""
    with os.scandir(root + "/" + rel) as entries:
        children = [(rel + "/" + e.name, e.is_dir(follow_symlinks=False)) for e in entries]
    return bool(children) and all(
        _vanishes(root, child, deleting) if is_dir else child in deleting for child, is_dir in children
    )
