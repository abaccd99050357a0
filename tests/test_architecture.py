"""The import rules of the architecture (DESIGN.md rule 1), enforced on the source tree.

- core/ is pure: it imports nothing from adapters/, services/, cli/ or server/, and none of the
  standard-library modules that reach the outside world (files, network, clock, environment,
  processes) are imported at its module level.
- adapters/ never import services/ or cli/; services/ never import cli/ or server/; server/ (the
  registry server, a face like cli/) never imports cli/.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "agentpack"

FORBIDDEN_LAYERS = {
    "core": ("agentpack.adapters", "agentpack.services", "agentpack.cli", "agentpack.server"),
    "adapters": ("agentpack.services", "agentpack.cli", "agentpack.server"),
    "services": ("agentpack.cli", "agentpack.server"),
    "server": ("agentpack.cli",),  # a face beside the CLI: both call services, neither the other
}
IMPURE_STDLIB = {"os", "pathlib", "shutil", "subprocess", "socket", "urllib", "http", "time",
                 "datetime", "tempfile", "glob", "fcntl", "sys", "io"}


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # resolve relative imports against the file's package
                package = path.relative_to(SRC.parent).with_suffix("").parts[: -node.level]
                module = ".".join(package + ((module,) if module else ()))
            found.append((module, node.lineno))
    return found


def _modules(layer: str) -> list[Path]:
    return sorted((SRC / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN_LAYERS))
def test_layers_only_import_downwards(layer):
    violations = []
    for path in _modules(layer):
        for module, line in _imports(path):
            if module.startswith(FORBIDDEN_LAYERS[layer]):
                violations.append(f"{path.relative_to(SRC)}:{line} imports {module}")
    assert not violations, "\n".join(violations)


def test_core_is_pure():
    violations = []
    for path in _modules("core"):
        for module, line in _imports(path):
            if module.split(".")[0] in IMPURE_STDLIB:
                violations.append(f"{path.relative_to(SRC)}:{line} imports {module}")
    assert not violations, "\n".join(violations)


def test_every_layer_has_modules():
    # Guards the test above against passing vacuously after a rename of the tree.
    for layer in ("core", "adapters", "services", "cli", "server"):
        assert [p for p in _modules(layer) if p.name != "__init__.py"], layer
