#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kubelet-streaming (the process kubelet's
# port-forward server) and spdy-port-forward (client-go's SPDY port-forward client) for the
# end-to-end tests from the Go module proxy, at the version test/e2e/kube/go.mod pins, into
# .tools/kube/<version>/. Reuses what is built: only missing binaries are built, and they are added
# next to the others. Without a recent enough Go it explains what to install: on CI (CI=true) that
# is a failure.
# The control plane's etcd is the etcd 3.5 that scripts/install-etcd.sh builds, not built here.
set -euo pipefail
cd "$(dirname "$0")/.."
mod=test/e2e/kube
need_go=1.24

version=$(grep -oE 'k8s\.io/kubernetes v1\.[0-9]+\.[0-9]+' "$mod/go.mod" | head -1 | cut -d' ' -f2)
minor=$(echo "$version" | cut -d. -f2)
out=.tools/kube/$version
# Binary name -> package (in the wrapper module's terms).
declare -A packages=(
  [kube-apiserver]=k8s.io/kubernetes/cmd/kube-apiserver
  [kube-controller-manager]=k8s.io/kubernetes/cmd/kube-controller-manager
  [kubelet-streaming]=./kubelet-streaming
  [spdy-port-forward]=./spdy-port-forward
)
missing=()
for binary in "${!packages[@]}"; do
  [ -x "$out/$binary" ] || missing+=("$binary")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "build-kube: reusing Kubernetes $version binaries in $out"
  exit 0
fi

# shellcheck source=require-go.sh
source scripts/require-go.sh
require_go build-kube "$need_go" Kubernetes "${missing[*]} ($version) in $out"

echo "build-kube: building Kubernetes $version (${missing[*]}); about 15 minutes on 2 cores when cold, seconds for kubelet-streaming alone with a warm cache"
# The version variables of k8s hack/lib/version.sh: without them /version reports v0.0.0-master,
# which clients such as the Pulumi Kubernetes provider parse.
p=k8s.io/component-base/version
c=k8s.io/client-go/pkg/version
ldflags="-s -w -X $p.gitVersion=$version -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
ldflags+=" -X $p.buildDate=1970-01-01T00:00:00Z -X $c.gitVersion=$version -X $c.gitMajor=1 -X $c.gitMinor=$minor"
# One `go build` for everything missing, so the packages they share compile once. It builds next to
# the output and each binary is renamed into place at the end, so an interrupted build is never
# reused and binaries already there (maybe in use by a running test) are never removed.
mkdir -p .tools/kube
partial=$(mktemp -d ".tools/kube/.partial-$version.XXXXXX")
trap 'rm -rf "$partial"' EXIT
targets=()
for binary in "${missing[@]}"; do targets+=("${packages[$binary]}"); done
(cd "$mod" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$OLDPWD/$partial/" "${targets[@]}")
mkdir -p "$out"
chmod 755 "$out"
for binary in "${missing[@]}"; do mv "$partial/$binary" "$out/$binary"; done
echo "build-kube: built ${missing[*]} in $out ($("$out/kube-apiserver" --version))"
