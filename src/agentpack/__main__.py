"""`python -m agentpack` runs the `agentops` command."""

import sys

from agentpack.cli.main import main

sys.exit(main())
