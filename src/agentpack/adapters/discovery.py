"""Finding the workspace from the current directory (import-free: used by the fastest commands)."""

import os

from agentpack.core.filenames import WORKSPACE_MANIFEST


def find_workspace(start: str) -> str:
    """The directory holding agentops.yaml at or above ``start``; ``start`` itself when none does."""
    start = os.path.abspath(start)
    current = start
    while True:
        if os.path.isfile(os.path.join(current, WORKSPACE_MANIFEST)):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return start
        current = parent
