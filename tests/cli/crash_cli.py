"""Run the real `agentops` command in this process and kill it part-way through its transaction.

usage: python crash_cli.py ARGS...   (the arguments of `agentops`)

``CRASH_AT=k``: SIGKILL this process just before the k-th file-system call made once the workspace
transaction has begun (its first staged write), so that a test can crash a real install at every
step from the first staged file to the last clean-up (the calls are those of
tests/adapters/crash_worker.py). A process that lives prints ``crash_cli calls <count>`` on stderr,
so the test knows it has gone past the last step.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adapters"))

from crash_worker import install_hooks  # noqa: E402

from agentpack.adapters import transaction  # noqa: E402
from agentpack.cli.main import main  # noqa: E402


def arm_at_first_staged_write() -> list[bool]:
    """A flag that turns true when a transaction begins."""
    armed = [False]
    begin = transaction.Transaction._begin

    def armed_begin(self):
        armed[0] = True
        return begin(self)

    transaction.Transaction._begin = armed_begin
    return armed


if __name__ == "__main__":
    armed = arm_at_first_staged_write()
    calls = install_hooks(int(os.environ.get("CRASH_AT", "0")), 0.0, lambda: armed[0])
    code = main(sys.argv[1:])
    sys.stderr.write(f"crash_cli calls {calls[0]}\n")
    sys.exit(code)
