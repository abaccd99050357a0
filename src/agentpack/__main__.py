"""`python -m agentpack` runs the `agentops` command."""

import sys

from agentpack.cli.main import main

if __name__ == "__main__":  # not when a server worker process (spawned) imports it
    sys.exit(main())
