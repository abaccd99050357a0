"""The .gitignore entry for agentops' tool state (.agentops/: journal, snapshots, backups, locks).

The first install of a workspace adds the entry when no line of the user's .gitignore already
covers the folder. Only ever appended, never rewritten: the user's lines, comments and order stay.
"""

from __future__ import annotations

from agentpack.core.filenames import STATE_DIR

GITIGNORE = ".gitignore"
ENTRY = f"{STATE_DIR}/"
_COVERING = {STATE_DIR, f"{STATE_DIR}/", f"{STATE_DIR}/*", f"{STATE_DIR}/**"}


def with_state_entry(text: str | None) -> str | None:
    """``text`` (the current .gitignore, None when there is none) with the tool-state entry
    appended, or None when a line already ignores the folder."""
    for line in (text or "").splitlines():
        if line.strip().lstrip("/") in _COVERING:
            return None
    prefix = text or ""
    if prefix and not prefix.endswith("\n"):
        prefix += "\n"
    return f"{prefix}# agentops tool state (journal, snapshots, backups)\n{ENTRY}\n"
