#!/usr/bin/env bash
# Builds cert-manager's controller for the end-to-end tests from the Go module proxy, at the
# version toolchain/cert-manager-controller/go.mod pins, into
# .tools/cert-manager/<version>/cert-manager-controller. The module is a small wrapper of our own
# over cert-manager's pkg/ (see its main.go for why: upstream's cmd/controller module is not on the
# proxy). Reuses a finished binary. Without a recent enough Go it explains what to install: on CI
# (CI=true) that is a failure.
# The CRDs come from scripts/fetch-cert-manager-crds.sh (same version, same module).
set -euo pipefail
cd "$(dirname "$0")/.."
mod=toolchain/cert-manager-controller
need_go=1.26

version=$(grep -oE 'github\.com/cert-manager/cert-manager v[0-9]+\.[0-9]+\.[0-9]+' "$mod/go.mod" | head -1 | cut -d' ' -f2)
out=.tools/cert-manager/$version
binary=$out/cert-manager-controller
if [ -x "$binary" ]; then
  echo "build-cert-manager: reusing cert-manager $version controller $binary"
  exit 0
fi

# shellcheck source=require-go.sh
source scripts/require-go.sh
require_go build-cert-manager "$need_go" "cert-manager $version" "cert-manager-controller ($version) at $binary"

echo "build-cert-manager: building the cert-manager $version controller; about 3 minutes on 2 cores with an empty build cache, 5 with an empty module cache"
# Builds next to the output and renames into place at the end, so an interrupted build is never
# reused and a binary a running test uses is never removed.
mkdir -p "$out"
partial=$(mktemp -d ".tools/cert-manager/.partial-$version.XXXXXX")
trap 'rm -rf "$partial"' EXIT
(cd "$mod" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$OLDPWD/$partial/cert-manager-controller" .)
chmod 755 "$out"
mv "$partial/cert-manager-controller" "$binary"
echo "build-cert-manager: built $binary ($(du -h "$binary" | cut -f1))"
