"""Is a workspace already in line with what it asks for? The check behind every no-op install.

agentops.yaml, agentops.lock and the installed packages' local override files are fingerprinted
when a sync finishes. When they are byte for byte the same later, and every installed and
generated file is still there, nothing can need doing: resolution, YAML parsing and the
configuration layers are all skipped. A workspace that requires signatures never takes this path:
its trust stores can change without any of these files changing, and every install verifies. Kept import-light (os and hashlib only) because
`agentops package install` and `agentops config apply` with nothing to do are benchmarked against
Python's own start-up.
"""

from __future__ import annotations

import hashlib
import os

from agentpack.core.filenames import (
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


def fingerprint(root: str, manifest_text: str | None, lock_text: str | None, names, paths) -> str:
    """The record of a finished sync: one line of digests (agentops.yaml, agentops.lock, the local
    override files of ``names``), then the package names and every installed or generated path.

    Names and paths are kept in the record itself so that the check below needs no JSON parser:
    they are derived from the lock, which the digest line pins.
    """
    lines = [_digests(root, manifest_text, lock_text, names)]
    lines += [f"P {name}" for name in sorted(names)]
    lines += [f"F {path}" for path in sorted(paths)]
    return "\n".join(lines) + "\n"


def _digests(root: str, manifest_text: str | None, lock_text: str | None, names) -> str:
    locals_text = "".join(f"{name}\0{_read(root, f'{LOCAL_OVERRIDES_DIR}/{name}.local.yaml')}\0"
                          for name in sorted(names))
    return " ".join(hashlib.sha256((text or "").encode("utf-8")).hexdigest()
                    for text in (manifest_text, lock_text, locals_text))


def unchanged_since_last_sync(root: str) -> list[InstalledPackage] | None:
    """The installed packages when nothing can have changed since the last sync, else None.

    None also when a transaction is pending (the full command must recover it first).
    """
    if os.path.lexists(os.path.join(root, STATE_DIR, TXN_DIR)):
        return None
    manifest_text = _read(root, WORKSPACE_MANIFEST)
    lock_text = _read(root, LOCKFILE_NAME)
    recorded = _read(root, SYNC_FINGERPRINT)
    if manifest_text is None or lock_text is None or recorded is None:
        return None
    digest_line, _, rest = recorded.partition("\n")
    entries = rest.splitlines()
    names = [entry[2:] for entry in entries if entry.startswith("P ")]
    if digest_line != _digests(root, manifest_text, lock_text, names):
        return None
    if "require_signatures" in manifest_text:  # verified on every install: trust stores change on their own
        return None
    paths = (entry[2:] for entry in entries if entry.startswith("F "))
    if not all(os.path.lexists(os.path.join(root, *path.split("/"))) for path in paths):
        return None
    return parse_state(_read(root, STATE_FILE) or "")
