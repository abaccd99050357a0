"""Run one `agentops` command so that a test can kill it part-way, deterministically.

usage: python crash_command.py ARG...   (the arguments of `agentops`)

``CRASH_AT=k`` SIGKILLs the process just before its k-th file-system call (the calls hooked by
tests/adapters/crash_worker.py); without it the command runs to the end. Prints ``calls <count>``
on stderr if it lives, so that a test can first count the calls of an uninterrupted run.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adapters"))

from crash_worker import install_hooks  # noqa: E402

from agentpack.cli.main import main  # noqa: E402

if __name__ == "__main__":
    import agentpack.cli.parser  # noqa: F401  (imported before the hooks: imports are not counted)

    count = install_hooks(int(os.environ.get("CRASH_AT", "0")), 0.0)
    code = main(sys.argv[1:])
    sys.stderr.write(f"calls {count[0]}\n")
    sys.exit(code)
