#!/usr/bin/env bash
# Create .venv (if needed) and install agentpack in it, editable, with its test tools.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
# Byte-compile now: where PYTHONDONTWRITEBYTECODE is set, every `agentops` run would otherwise
# recompile the package from source, which costs more than its whole start-up budget.
.venv/bin/python -m compileall -q src >/dev/null
