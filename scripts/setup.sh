#!/usr/bin/env bash
# Create .venv (if needed) and install agentpack in it, editable.
#
#   ./scripts/setup.sh          what the `agentops` command needs (the demo, the Quick start)
#   ./scripts/setup.sh --test   and the test tools too (pytest, hypothesis, ruff, playwright) and the
#                               server's libraries (the `server` extra), which the server and catalog tests run
#
# Needs Python >= 3.11 with its venv module, and access to the package index pip is configured
# for (PIP_INDEX_URL, PIP_FIND_LINKS, pip.conf). The interpreter is $PYTHON if set, else the first
# of python3, python3.14 ... python3.11 that is recent enough.
#
# A .venv that does not run Python >= 3.11 (left by a run with an older Python, or whose
# interpreter has gone) or that was made for another folder is made again. A stamp in .venv
# records what was installed (hash of pyproject.toml, interpreter, folder, extras), so a second
# run with nothing changed installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
case "${1:-}" in
  "") ;;
  --test) extras="test,server" ;;
  *) echo "usage: scripts/setup.sh [--test]" >&2; exit 2 ;;
esac

STAMP=.venv/agentpack-setup.stamp

recent_enough() {  # recent_enough PYTHON: it runs, and it is Python >= 3.11
  "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1
}

pick_python() {
  if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
  for candidate in python3 python3.14 python3.13 python3.12 python3.11; do
    if recent_enough "$candidate"; then echo "$candidate"; return; fi
  done
  echo python3
}

make_venv() {
  local python version
  python=$(pick_python)
  if ! recent_enough "$python"; then
    version=$("$python" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || echo "not found")
    echo "error: agentpack needs Python >= 3.11, and '$python' is $version" >&2
    echo "hint: install Python 3.11 or newer, then run: PYTHON=python3.11 ./scripts/setup.sh" >&2
    exit 1
  fi
  rm -rf .venv
  echo "setup: creating .venv with $("$python" -c 'import sys; print(sys.executable, sys.version.split()[0])')"
  if ! "$python" -m venv .venv; then
    rm -rf .venv
    echo "error: '$python -m venv' failed" >&2
    echo "hint: install Python's venv module (Debian, Ubuntu: apt install python3-venv)" >&2
    exit 1
  fi
}

# What an install from here would be: the key a stamp must match to skip it.
install_key() {
  .venv/bin/python -c 'import hashlib, sys
print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest(), sys.version.split()[0], sys.argv[1])' "$PWD"
}

if ! recent_enough .venv/bin/python; then
  make_venv
elif [ -f "$STAMP" ] && [ "$(sed -n 1p "$STAMP" | cut -d' ' -f3-)" != "$PWD" ]; then
  echo "setup: .venv was made for $(sed -n 1p "$STAMP" | cut -d' ' -f3-); making it again here"
  make_venv
fi

key=$(install_key)
if [ -f "$STAMP" ] && [ "$(sed -n 1p "$STAMP")" = "$key" ] \
   && { [ -z "$extras" ] || [ "$(sed -n 2p "$STAMP")" = "$extras" ]; }; then
  echo "setup: .venv is up to date"
else
  target="."
  [ -z "$extras" ] || target=".[$extras]"
  echo "setup: installing agentpack${extras:+[$extras]} into .venv"
  rm -f "$STAMP"
  if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$target"; then
    echo "error: pip could not install agentpack${extras:+[$extras]} into .venv" >&2
    echo "hint: setup needs access to the package index pip is configured for (PIP_INDEX_URL, pip.conf)" >&2
    exit 1
  fi
  printf '%s\n%s\n' "$key" "$extras" > "$STAMP"
fi
# Byte-compile now: where PYTHONDONTWRITEBYTECODE is set, every `agentops` run would otherwise
# recompile the package from source, which costs more than its whole start-up budget.
.venv/bin/python -m compileall -q src >/dev/null
