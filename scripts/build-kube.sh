#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager for the end-to-end tests from the Go module
# proxy, at the version test/e2e/kube/go.mod pins, into .tools/kube/<version>/. Reuses a finished
# build. Without a recent enough Go it explains what to install: on CI (CI=true) that is a failure.
# The control plane's etcd is the etcd 3.5 that scripts/install-etcd.sh builds, not built here.
set -euo pipefail
cd "$(dirname "$0")/.."
mod=test/e2e/kube
need_go=1.24

version=$(grep -oE 'k8s\.io/kubernetes v1\.[0-9]+\.[0-9]+' "$mod/go.mod" | head -1 | cut -d' ' -f2)
minor=$(echo "$version" | cut -d. -f2)
out=.tools/kube/$version
if [ -x "$out/kube-apiserver" ] && [ -x "$out/kube-controller-manager" ]; then
  echo "build-kube: reusing Kubernetes $version binaries in $out"
  exit 0
fi

give_up() {
  echo "build-kube: $1" >&2
  echo "build-kube: the end-to-end tests need kube-apiserver and kube-controller-manager $version in $out" >&2
  if [ "${CI:-}" = true ]; then exit 1; fi
  exit 0
}
if ! command -v go >/dev/null 2>&1; then
  give_up "Go $need_go or later is needed to build Kubernetes from the Go module proxy, and no 'go' is on PATH (install it from https://go.dev/dl/)"
fi
have_go=$(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')
if [ "$(printf '%s\n%s\n' "$need_go" "$have_go" | sort -V | head -1)" != "$need_go" ]; then
  give_up "Go $need_go or later is needed to build Kubernetes from the Go module proxy, found go$have_go at $(command -v go)"
fi

echo "build-kube: building Kubernetes $version (kube-apiserver, kube-controller-manager); about 15 minutes on 2 cores when cold"
# The version variables of k8s hack/lib/version.sh: without them /version reports v0.0.0-master,
# which clients such as the Pulumi Kubernetes provider parse.
p=k8s.io/component-base/version
c=k8s.io/client-go/pkg/version
ldflags="-s -w -X $p.gitVersion=$version -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
ldflags+=" -X $p.buildDate=1970-01-01T00:00:00Z -X $c.gitVersion=$version -X $c.gitMajor=1 -X $c.gitMinor=$minor"
# Build next to the cache and move into place at the end, so an interrupted build is never reused.
mkdir -p .tools/kube
partial=$(mktemp -d ".tools/kube/.partial-$version.XXXXXX")
chmod 755 "$partial"
trap 'rm -rf "$partial"' EXIT
(cd "$mod" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$OLDPWD/$partial/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager)
rm -rf "$out"
mv "$partial" "$out"
trap - EXIT
echo "build-kube: $("$out/kube-apiserver" --version) in $out"
