#!/usr/bin/env bash
# Copies cert-manager's CustomResourceDefinitions of the cert-manager.io group (Certificate,
# CertificateRequest, Issuer, ClusterIssuer) out of its Go module into
# .tools/cert-manager/<version>/crds, for the tests that preview the staging and prod stacks (their
# Certificates need the CRDs on the API server). The acme.cert-manager.io ones are left out: nothing
# here uses them, and Kubernetes 1.32 rejects the Challenge CRD of v1.21 ("type: Required value").
# Reuses a finished copy.
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
install -m 644 "$dir"/deploy/crds/cert-manager.io_*.yaml "$out/"
echo "cert-manager-crds: cert-manager $version CRDs in $out"
