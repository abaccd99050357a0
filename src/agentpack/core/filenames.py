"""Names of the files agentpack reads and writes in a workspace (import-free: on every fast path)."""

WORKSPACE_MANIFEST = "agentops.yaml"
LOCKFILE_NAME = "agentops.lock"
STATE_DIR = ".agentops"
STATE_FILE = f"{STATE_DIR}/installed"
LOCK_FILE = f"{STATE_DIR}/lock"
LOCAL_OVERRIDES_DIR = "packages"
SYNC_FINGERPRINT = f"{STATE_DIR}/synced"
# Under STATE_DIR; its mere presence means a change is pending (adapters/transaction.py).
TXN_DIR = "txn"
# What later commands need of each installed package without its archive (manifest, config, summaries).
SNAPSHOT_DIR = f"{STATE_DIR}/packages"
# sha256 of each file agentops generates (not installed from a package), to notice a user's edits.
GENERATED_STATE = f"{STATE_DIR}/generated"
# sha256 of each file agentops deployed into an agent tool's folder, and the MCP servers it owns.
DEPLOYED_STATE = f"{STATE_DIR}/deployed"
