"""`agentops package list`: the installed packages, from the workspace's tool state.

Kept import-light (os and two import-free modules) because it is the command users run most and
its start-up time is benchmarked against `python3 -c pass`.
"""

from __future__ import annotations

import os

from agentpack.adapters.discovery import find_workspace
from agentpack.core.filenames import STATE_DIR, STATE_FILE, TXN_DIR
from agentpack.core.state import InstalledPackage, parse_state


class ListResult:
    """The workspace root, its installed packages, and whether a transaction is pending there."""

    __slots__ = ("root", "packages", "pending")

    def __init__(self, root: str, packages: list[InstalledPackage], pending: bool) -> None:
        self.root = root
        self.packages = packages
        self.pending = pending


def list_installed(directory: str | None) -> ListResult:
    """Installed packages of the workspace at or above ``directory`` (direct ones first).

    ``pending`` is true when an interrupted install has not been completed yet: the list shows the
    state before it, and the next mutating command completes or rolls it back.
    """
    root = find_workspace(directory if directory is not None else os.getcwd())
    try:
        with open(os.path.join(root, *STATE_FILE.split("/")), encoding="utf-8") as handle:
            packages = parse_state(handle.read())
    except FileNotFoundError:
        packages = []
    pending = os.path.lexists(os.path.join(root, STATE_DIR, TXN_DIR))
    return ListResult(root, packages, pending)
