#!/usr/bin/env bash
# Installs the etcd binaries the tests run: Debian's etcd-server (3.4), and etcd 3.5 and etcdutl 3.5
# (snapshot restore) built from the Go module proxy (tools/etcd pins the version) into
# .tools/etcd-3.5. Reuses what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v etcd >/dev/null 2>&1; then
  echo "setup: installing Debian's etcd-server (etcd 3.4)"
  if [ "$(id -u)" -ne 0 ]; then echo "setup: need root for apt-get (or put etcd 3.4 on PATH)" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null
fi
echo "setup: $(etcd --version | head -1) at $(command -v etcd)"

# build_tool <output> <Go main package> <what>: builds it from tools/etcd unless already there.
build_tool() {
  local out=$1 package=$2 what=$3
  [ -x "$out" ] && return 0
  if ! command -v go >/dev/null 2>&1; then
    echo "setup: Go is needed to build $what from the Go module proxy (go 1.24 or later)" >&2
    exit 1
  fi
  echo "setup: building $what from the Go module proxy"
  (cd tools/etcd && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "../../$out" "$package")
}

etcd35=.tools/etcd-3.5/etcd
build_tool "$etcd35" go.etcd.io/etcd/server/v3 "etcd 3.5 (about 2 minutes cold)"
echo "setup: $("$etcd35" --version | head -1) at $etcd35"

etcdutl=.tools/etcd-3.5/etcdutl
build_tool "$etcdutl" go.etcd.io/etcd/etcdutl/v3 "etcdutl 3.5"
echo "setup: $("$etcdutl" version | head -1) at $etcdutl"
