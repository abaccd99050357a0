"""`agentops package tree`: the installed dependency graph, from agentops.lock."""

from __future__ import annotations

from agentpack.core.records import dataclass, field
from agentpack.services.workspace import open_workspace


@dataclass
class TreeNode:
    """A package in the tree; ``seen`` marks a package already shown higher up (or a cycle)."""

    name: str
    version: str
    requested: str  # the range it was required with
    children: list[TreeNode] = field(default_factory=list)
    seen: bool = False

    def to_dict(self) -> dict:
        return {"name": self.name, "version": self.version, "requested": self.requested, "seen": self.seen,
                "dependencies": [c.to_dict() for c in self.children]}


def dependency_tree(directory: str | None) -> tuple[str, list[TreeNode]]:
    """(workspace root, one tree per direct package). Each package's subtree is expanded once."""
    ws = open_workspace(directory)
    lock = ws.load_lock()
    expanded: set[str] = set()

    def node(name: str, requested: str) -> TreeNode:
        pkg = lock.packages.get(name)
        if pkg is None:
            return TreeNode(name, "(missing)", requested)
        item = TreeNode(name, pkg.version, requested, seen=name in expanded)
        if not item.seen:
            expanded.add(name)
            item.children = [node(dep, rng) for dep, rng in sorted(pkg.dependencies.items())]
        return item

    return ws.root, [node(name, spec) for name, spec in sorted(lock.root.items())]
