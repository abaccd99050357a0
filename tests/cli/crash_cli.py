"""Run the real `agentops` command in this process and kill it part-way through its transaction.

usage: python crash_cli.py ARGS...   (the arguments of `agentops`)

``CRASH_AT=k``: SIGKILL this process just before the k-th file-system call made once the workspace
transaction has begun (its first staged write), so that a test can crash a real install at every
step from the first staged file to the last clean-up. A process that lives prints
``crash_cli calls <count>`` on stderr, so the test knows it has gone past the last step.
"""

from __future__ import annotations

import os
import signal
import sys

from agentpack.adapters import transaction
from agentpack.cli.main import main

# The calls that change the file system (as in tests/adapters/crash_worker.py).
HOOKED = ("open", "write", "mkdir", "replace", "rename", "remove", "unlink", "rmdir", "fchmod")


def install_hooks(crash_at: int) -> list[int]:
    """Count (and crash at) file-system calls once a transaction has begun; returns the counter."""
    count = [0]
    armed = [False]

    def hook(real):
        def hooked(*args, **kwargs):
            if armed[0]:
                count[0] += 1
                if count[0] == crash_at:
                    os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)

        return hooked

    for name in HOOKED:
        setattr(os, name, hook(getattr(os, name)))
    begin = transaction.Transaction._begin

    def armed_begin(self):
        armed[0] = True
        return begin(self)

    transaction.Transaction._begin = armed_begin
    return count


if __name__ == "__main__":
    calls = install_hooks(int(os.environ.get("CRASH_AT", "0")))
    code = main(sys.argv[1:])
    sys.stderr.write(f"crash_cli calls {calls[0]}\n")
    sys.exit(code)
