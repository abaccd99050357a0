#!/usr/bin/env bash
# The seed's story end to end on the embedded default registry:
# build and publish core-workflow 2.1.0, communication-patterns 1.5.3 and customer-service 1.2.0
# from examples/packages, install customer-service into a fresh workspace and into the claude and
# agents-md targets (.claude/agents/, AGENTS.md), and list it.
#
# The demo points XDG_DATA_HOME / XDG_CACHE_HOME at .demo/ so that it can run again from scratch
# without touching your real default registry (under your user data directory).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
DEMO="$PWD/.demo"
rm -rf "$DEMO"
mkdir -p "$DEMO/sales"
export XDG_DATA_HOME="$DEMO/data" XDG_CACHE_HOME="$DEMO/cache"
unset AGENTOPS_REGISTRY

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; "$@"; }

for pkg in core-workflow communication-patterns customer-service; do
  step agentops package validate "examples/packages/$pkg"
  archive=$(agentops package build "examples/packages/$pkg" -o "$DEMO/dist" | tail -n 1)
  echo "built $archive"
  step agentops package publish "$archive"
done
step agentops package search
cd "$DEMO/sales"
step agentops package install 'customer-service@^1.2.0' --target claude --target agents-md
step agentops package list
# Deployed where the tools read them: Claude Code's agents, and a generated section of AGENTS.md.
step ls .claude/agents
step sed -n '1,12p' AGENTS.md
step agentops target list
step agentops package tree
step agentops package install
# The same package adapted without forking: edge tier, then connected, then a local override.
step agentops config apply --tier edge
step agentops config show customer-service --explain | grep -E "model.primary|auto_approve_max|connectivity.mode"
grep -A3 '^model:' config/customer-service/defaults.yaml
step agentops config apply --tier connected
grep -A3 '^model:' config/customer-service/defaults.yaml
mkdir -p packages
printf 'config:\n  escalation_thresholds:\n    refund:\n      auto_approve_max: 25\n' > packages/customer-service.local.yaml
step agentops config apply
step agentops config show customer-service --explain | grep -E "model.primary|auto_approve_max|connectivity.mode"
echo
echo "Workspace: $DEMO/sales  (agentops.yaml, agentops.lock, agents/, workflows/, patterns/, config/, docs/, .claude/, AGENTS.md)"
