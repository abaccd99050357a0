#!/usr/bin/env bash
# Set up and run every test (unit, property, integration through the real command).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --test
exec .venv/bin/python -m pytest "$@"
