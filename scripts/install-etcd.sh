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

etcd35=.tools/etcd-3.5/etcd
if [ ! -x "$etcd35" ]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "setup: Go is needed to build etcd 3.5 from the Go module proxy (go 1.24 or later)" >&2
    exit 1
  fi
  echo "setup: building etcd 3.5 from the Go module proxy (about 2 minutes cold)"
  (cd tools/etcd && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "../../$etcd35" go.etcd.io/etcd/server/v3)
fi
echo "setup: $("$etcd35" --version | head -1) at $etcd35"

etcdutl=.tools/etcd-3.5/etcdutl
if [ ! -x "$etcdutl" ]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "setup: Go is needed to build etcdutl 3.5 from the Go module proxy (go 1.24 or later)" >&2
    exit 1
  fi
  echo "setup: building etcdutl 3.5 from the Go module proxy"
  (cd tools/etcd && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "../../$etcdutl" go.etcd.io/etcd/etcdutl/v3)
fi
echo "setup: $("$etcdutl" version | head -1) at $etcdutl"
