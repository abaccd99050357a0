"""Start-up: `agentops --version` and `agentops package list` (20 packages) beside `python3 -c pass`.

Targets: --version <= 1.3 x, package list <= 2 x the reference.
Run: .venv/bin/python bench/bench_startup.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from common import agentops, compile_sources, python_pass, report, summary, time_command

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def make_workspace(root: Path) -> Path:
    """A workspace whose state lists 20 installed packages (what `list` reads)."""
    from agentpack.core.state import InstalledPackage, format_state

    (root / ".agentops").mkdir(parents=True)
    (root / "agentops.yaml").write_text("packages:\n" + "".join(f"  pkg-{i}: ^1.0.0\n" for i in range(20)))
    packages = [InstalledPackage(f"pkg-{i}", "1.0.0", "2026-11-25T10:00:00Z", i < 5) for i in range(20)]
    (root / ".agentops" / "installed").write_text(format_state(packages))
    return root


def main() -> int:
    runs = 31
    compile_sources()
    with tempfile.TemporaryDirectory() as tmp:
        ws = make_workspace(Path(tmp))
        ref = python_pass(runs)
        ok = report("agentops --version", time_command([*agentops(), "--version"], runs=runs), ref,
                    "python3 -c pass", limit=1.3)
        ok &= report("agentops package list (20 packages)",
                     time_command([*agentops(), "package", "list"], runs=runs, cwd=ws), ref, "python3 -c pass",
                     limit=2.0)
    return summary(ok)


if __name__ == "__main__":
    raise SystemExit(main())
