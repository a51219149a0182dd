#!/usr/bin/env bash
# Copies cert-manager's CustomResourceDefinitions (cert-manager.io: Certificate, Issuer, …) out of
# its Go module into .tools/cert-manager/<version>/crds, for the tests that preview the staging and
# prod stacks (their Certificates need the CRDs on the API server). Reuses a finished copy.
set -euo pipefail
cd "$(dirname "$0")/.."
version=v1.21.2
out=.tools/cert-manager/$version/crds
if [ -f "$out/cert-manager.io_certificates.yaml" ]; then
  echo "cert-manager-crds: reusing cert-manager $version CRDs in $out"
  exit 0
fi
dir=$(go mod download -json "github.com/cert-manager/cert-manager@$version" | sed -nE 's/^\s*"Dir": "(.*)",?$/\1/p')
if [ -z "$dir" ]; then
  echo "cert-manager-crds: the Go module proxy did not serve github.com/cert-manager/cert-manager@$version" >&2
  exit 1
fi
mkdir -p "$out"
install -m 644 "$dir"/deploy/crds/*.yaml "$out/"
rm -f "$out/README.md"
echo "cert-manager-crds: cert-manager $version CRDs in $out"
