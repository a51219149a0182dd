#!/usr/bin/env bash
# `npm run demo`: builds the program, builds or reuses the etcd, Kubernetes and Pulumi binaries,
# then scales an etcd cluster 1 → 3 → 1 → 3 with the Pulumi CLI on a local control plane with the
# process kubelet (test/e2e/demo.ts). Everything it starts is stopped at the end, on failure and on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .tools/node/bin/node ]; then export PATH="$PWD/.tools/node/bin:$PATH"; fi
if [ ! -d node_modules ]; then
  echo "demo: npm packages are missing: run 'bash scripts/setup.sh' first" >&2
  exit 1
fi
if [ ! -w /etc/hosts ]; then
  echo "demo: the process kubelet publishes pod DNS names in /etc/hosts (and restores it afterwards);" >&2
  echo "demo: run the demo as root, e.g. in a container or a VM" >&2
  exit 1
fi
bash scripts/install-etcd.sh
bash scripts/build-kube.sh
if ! command -v pulumi >/dev/null 2>&1; then bash scripts/build-pulumi.sh; fi
echo "demo: building the program and its test tooling (tsc)"
npx tsc -p tsconfig.json
exec node dist/test/e2e/demo.js
