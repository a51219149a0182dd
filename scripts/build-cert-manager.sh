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

give_up() {
  echo "build-cert-manager: $1" >&2
  echo "build-cert-manager: the end-to-end tests need cert-manager-controller ($version) at $binary" >&2
  if [ "${CI:-}" = true ]; then exit 1; fi
  exit 0
}
if ! command -v go >/dev/null 2>&1; then
  give_up "Go $need_go or later is needed to build cert-manager from the Go module proxy, and no 'go' is on PATH (install it from https://go.dev/dl/)"
fi
have_go=$(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')
if [ "$(printf '%s\n%s\n' "$need_go" "$have_go" | sort -V | head -1)" != "$need_go" ]; then
  give_up "Go $need_go or later is needed to build cert-manager $version (its go.mod says go 1.26), found go$have_go at $(command -v go)"
fi

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
