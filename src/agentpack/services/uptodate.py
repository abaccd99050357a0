"""Is a workspace already in line with what it asks for? The check behind every no-op install.

agentops.yaml, agentops.lock and the installed packages' local override files are fingerprinted
when a sync finishes. When they are byte for byte the same later, and every installed and
generated file is still there, nothing can need doing: resolution, YAML parsing and the
configuration layers are all skipped. Kept import-light (os, hashlib; json when needed) because
`agentops package install` and `agentops config apply` with nothing to do are benchmarked against
Python's own start-up.
"""

from __future__ import annotations

import hashlib
import os

from agentpack.core.filenames import (
    GENERATED_STATE,
    LOCAL_OVERRIDES_DIR,
    LOCKFILE_NAME,
    STATE_DIR,
    STATE_FILE,
    SYNC_FINGERPRINT,
    TXN_DIR,
    WORKSPACE_MANIFEST,
)
from agentpack.core.state import InstalledPackage, parse_state


def _read(root: str, relpath: str) -> str | None:
    try:
        with open(os.path.join(root, *relpath.split("/")), encoding="utf-8") as handle:
            return handle.read()
    except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError):
        return None


def fingerprint(root: str, manifest_text: str | None, lock_text: str | None, names) -> str:
    """The digest line of agentops.yaml, agentops.lock and the local override files of ``names``."""
    locals_text = "".join(f"{name}\0{_read(root, f'{LOCAL_OVERRIDES_DIR}/{name}.local.yaml')}\0"
                          for name in sorted(names))
    digests = [hashlib.sha256((text or "").encode("utf-8")).hexdigest()
               for text in (manifest_text, lock_text, locals_text)]
    return " ".join(digests) + "\n"


def unchanged_since_last_sync(root: str) -> list[InstalledPackage] | None:
    """The installed packages when nothing can have changed since the last sync, else None.

    None also when a transaction is pending (the full command must recover it first) or the
    lock does not parse (the full command reports that properly).
    """
    if os.path.lexists(os.path.join(root, STATE_DIR, TXN_DIR)):
        return None
    manifest_text = _read(root, WORKSPACE_MANIFEST)
    lock_text = _read(root, LOCKFILE_NAME)
    recorded = _read(root, SYNC_FINGERPRINT)
    if manifest_text is None or lock_text is None or recorded is None:
        return None
    import json

    try:
        packages = json.loads(lock_text)["packages"]
        paths = [path for entry in packages.values() for path in entry["files"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if recorded != fingerprint(root, manifest_text, lock_text, packages):
        return None
    generated = (_read(root, GENERATED_STATE) or "").splitlines()
    paths += [line.partition("  ")[2] for line in generated]
    if not all(os.path.lexists(os.path.join(root, *path.split("/"))) for path in paths if path):
        return None
    return parse_state(_read(root, STATE_FILE) or "")
