"""What to do with an installed file the user may have edited, the way Debian treats conffiles.

Three digests decide: the file on disk now, what the lock recorded when agentops installed it, and
what the new version of the package brings. The lock always records the package's own digest,
never the user's, so that a lock is the same on every machine whatever was edited locally; an
edit is simply a file whose content on disk differs from its digest in the lock, and stays
visible as such from one command to the next.

    on disk == new                      -> SKIP      already what the new version wants
    missing from disk                   -> WRITE
    on disk == installed (not edited)   -> WRITE     agentops' own copy, replaced freely
    edited, installed == new            -> KEEP      upstream did not change it: the edit stays
    edited, upstream changed too        -> CONFLICT  (also: a file agentops never installed)

A CONFLICT stops the command; with --force the user's version is saved under BACKUP_DIR first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from agentpack.core.filenames import LOCAL_OVERRIDES_DIR, STATE_DIR
from agentpack.core.layout import package_path

SKIP = "skip"
WRITE = "write"
KEEP = "keep"
CONFLICT = "conflict"
BACKUP_DIR = f"{STATE_DIR}/backup"
# Installed kinds whose files are prompt text: an edit to them cannot move to a local file.
PROMPT_KINDS = ("agents", "workflows", "patterns", "commands", "rules")


def decide_write(current: str | None, installed: str | None, new: str) -> str:
    """What to do with a file the new lock installs with digest ``new`` (see the table above);
    ``current`` is the digest on disk (None: missing) and ``installed`` the old lock's (None: the
    old lock does not know the path)."""
    if current == new:
        return SKIP
    if current is None or current == installed:
        return WRITE
    if installed == new:
        return KEEP
    return CONFLICT


def decide_delete(current: str | None, installed: str) -> str:
    """What to do with a file the new lock no longer installs: SKIP when it is gone already, WRITE
    (delete it) when it is agentops' own copy, CONFLICT when the user edited it."""
    if current is None:
        return SKIP
    return WRITE if current == installed else CONFLICT


def backup_path(stamp: str, path: str, taken: Callable[[str], bool]) -> str:
    """Where the user's version of workspace file ``path`` is saved before --force replaces it:
    ``.agentops/backup/<stamp>/<path>``, with ``.1``, ``.2``... added while ``taken(candidate)``."""
    base = f"{BACKUP_DIR}/{stamp}/{path}"
    candidate, n = base, 0
    while taken(candidate):
        n += 1
        candidate = f"{base}.{n}"
    return candidate


def edit_hint(edited: Iterable[str], owners: Mapping[str, str]) -> str:
    """The way forward for edited files that would be lost. Configuration belongs in the package's
    local file; prompt text cannot go there, so for it the hint offers --force (which keeps a
    backup) or keeping one's own copy under another name, listed as a custom component with the
    original disabled. ``owners`` maps each path to its package (generated paths may be absent)."""
    edited = sorted(edited)
    names = sorted({owners[p] for p in edited if p in owners}) or ["<name>"]
    local = f"{LOCAL_OVERRIDES_DIR}/{names[0] if len(names) == 1 else '<name>'}.local.yaml"
    parts = []
    if any(p.startswith("config/") for p in edited):
        parts.append(f"put configuration changes in {local} (or use --set)")
    prompts = [p for p in edited if p.split("/", 1)[0] in PROMPT_KINDS and p in owners]
    if prompts:
        kind, original = package_path(owners[prompts[0]], prompts[0]) or ("agents", prompts[0])
        parts.append(f"to keep your own version, copy it under another name (e.g. local/{original}), list "
                     f"that as {kind}: custom_{kind}: and {original} under {kind}: disabled: in {local}")
    parts.append(f"{'or ' if parts else ''}re-run with --force to replace them "
                 f"(your versions are saved under {BACKUP_DIR}/)")
    return "; ".join(parts)
