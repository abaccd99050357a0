"""Run one workspace transaction (or one recovery) so that a test can kill it part-way.

usage: python crash_worker.py ROOT N [commit|recover]

``commit`` (the default) applies ``change(tx, N)`` to a workspace laid out by ``old_state(N)`` in
one ``Transaction``; ``recover`` calls ``recover(ROOT)``. Environment:

- ``CRASH_AT=k``: SIGKILL this process just before its k-th file-system call (1-based), so that a
  test can crash it deterministically at every step;
- ``CRASH_DELAY=s``: sleep ``s`` seconds before each file-system call, which widens the window for
  a test that kills the process from outside after a random delay.

Prints ``ready`` once everything is imported (the test starts its clock then) and, if it lives,
``calls <count>`` at the end.
"""

from __future__ import annotations

import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src"))

from agentpack.adapters import transaction  # noqa: E402

# The calls that change the file system, counted and delayed by install_hooks().
HOOKED = ("open", "write", "mkdir", "replace", "rename", "remove", "unlink", "rmdir", "fchmod")


def old_state(n: int) -> dict[str, bytes]:
    """The files of the workspace before the change (relative POSIX path -> content)."""
    files = {f"files/f{i}.txt": f"old-{i}".encode() for i in range(n)}
    files.update(
        {
            "agentops.yaml": b"old-manifest",
            ".agentops/state": b"old-state",
            "gone/sub/g0.txt": b"old-g0",
            "gone/sub/g1.txt": b"old-g1",
            "keep/drop.txt": b"old-drop",
            "keep/stay.txt": b"stay",
            "conv": b"old-file-becomes-directory",
            "dir2/x.txt": b"old-directory-becomes-file",
        }
    )
    return files


def change(tx: transaction.Transaction, n: int) -> None:
    """Stage the change the crash tests make to ``old_state(n)``: rewrites, deletions, additions,
    a file that becomes a directory and a directory that becomes a file."""
    for i in range(n):
        tx.write(f"files/f{i}.txt", f"new-{i}".encode())
    tx.delete("gone/sub/g0.txt")
    tx.delete("gone/sub/g1.txt")
    tx.delete("keep/drop.txt")
    tx.delete("conv")
    tx.write("conv/inner.txt", b"new-inner")
    tx.delete("dir2/x.txt")
    tx.write("dir2", b"new-file")
    for j in range(3):
        tx.write(f"added/deep/a{j}.txt", f"new-a{j}".encode())
    tx.write("agentops.yaml", b"new-manifest")
    tx.write("agentops.lock", b"new-lock")
    tx.write(".agentops/state", b"new-state")


def install_hooks(crash_at: int, delay: float, armed=lambda: True) -> list[int]:
    """Wrap the HOOKED functions of ``os``; returns a one-item list holding the call count.
    Only calls made while ``armed()`` is true are counted (and delayed, and crashed at)."""
    count = [0]

    def hook(real):
        def hooked(*args, **kwargs):
            if armed():
                count[0] += 1
                if delay:
                    time.sleep(delay)
                if count[0] == crash_at:
                    os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)

        return hooked

    for name in HOOKED:
        setattr(os, name, hook(getattr(os, name)))
    return count


def main(argv: list[str]) -> int:
    root, n = argv[1], int(argv[2])
    action = argv[3] if len(argv) > 3 else "commit"
    import json  # noqa: F401  (imported by the transaction lazily; loaded here so it is not timed)

    count = install_hooks(int(os.environ.get("CRASH_AT", "0")), float(os.environ.get("CRASH_DELAY", "0")))
    print("ready", flush=True)
    if action == "commit":
        with transaction.Transaction(root) as tx:
            change(tx, n)
    else:
        transaction.recover(root)
    print(f"calls {count[0]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
