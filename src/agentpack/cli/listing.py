"""Rendering of `agentops package list` (also reached from the start-up fast path in cli.main)."""

from __future__ import annotations

import sys


def render_list(directory: str | None, *, as_json: bool) -> int:
    """Print installed packages, one a line (`name@version (installed DATE[, dependency])`) or as JSON."""
    from agentpack.services.listing import list_installed

    result = list_installed(directory)
    if as_json:
        import json

        sys.stdout.write(json.dumps([p.to_dict() for p in result.packages], indent=2) + "\n")
        return 0
    out = []
    for pkg in result.packages:
        suffix = "" if pkg.direct else ", dependency"
        out.append(f"{pkg.name}@{pkg.version} (installed {pkg.installed_at[:10]}{suffix})\n")
    if not result.packages:
        sys.stderr.write(f"no packages installed in {result.root}\n")
    if result.pending:
        sys.stderr.write("warning: an interrupted install is pending; the next install completes or undoes it\n")
    sys.stdout.write("".join(out))
    return 0
