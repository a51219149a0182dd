#!/usr/bin/env bash
# Builds the Pulumi toolchain from the Go module proxy, one wrapper module each under toolchain/:
# the CLI (pulumi-cli), the Node.js language host (pulumi-language-nodejs) and the Kubernetes
# resource plugin (pulumi-kubernetes), plus the Node dynamic-provider launcher script that ships in
# the CLI's sdk/v3 module. The CLI, the host and the launcher go to .tools/pulumi/bin; the plugin is
# installed into PULUMI_HOME=.tools/pulumi/home, where the CLI finds it without a download (found on
# PATH it would warn on every run). Reuses a finished build of the same versions. The npm package
# @pulumi/kubernetes must ask for exactly the plugin version built here.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=.tools/pulumi/bin
home=.tools/pulumi/home
if ! command -v go >/dev/null 2>&1; then
  echo "build-pulumi: Go 1.24 or later is needed to build the Pulumi CLI from the Go module proxy, and no 'go' is on PATH (install it from https://go.dev/dl/)" >&2
  exit 1
fi

module_version() { (cd "toolchain/$1" && go list -m -f '{{.Version}}' "$2"); }
module_dir() { (cd "toolchain/$1" && go mod download -json "$2" | sed -nE 's/^\s*"Dir": "(.*)",?$/\1/p'); }
cli_version=$(module_version pulumi-cli github.com/pulumi/pulumi/pkg/v3)
host_version=$(module_version pulumi-language-nodejs github.com/pulumi/pulumi/sdk/v3)
plugin_version=$(module_version pulumi-kubernetes github.com/pulumi/pulumi-kubernetes/sdk/v4)
npm_kubernetes=$(node -p 'require("./package-lock.json").packages["node_modules/@pulumi/kubernetes"].version')
if [ "v$npm_kubernetes" != "$plugin_version" ]; then
  echo "build-pulumi: package-lock.json has @pulumi/kubernetes $npm_kubernetes, but toolchain/pulumi-kubernetes builds the plugin $plugin_version; pin both to one version" >&2
  exit 1
fi
stamp="cli $cli_version, nodejs language host $host_version, kubernetes plugin $plugin_version"
plugin="$home/plugins/resource-kubernetes-$plugin_version/pulumi-resource-kubernetes"
if [ -f "$out/VERSIONS" ] && [ "$(cat "$out/VERSIONS")" = "$stamp" ] && [ -x "$plugin" ]; then
  echo "build-pulumi: reusing $stamp in $out"
  exit 0
fi

mkdir -p .tools/pulumi
partial=$(mktemp -d ".tools/pulumi/.partial.XXXXXX")
chmod 755 "$partial"
trap 'rm -rf "$partial"' EXIT
build() { # <module> <version variable> <version> <package>
  (cd "toolchain/$1" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X $2=$3" -o "$root/$partial/" "$4")
}

echo "build-pulumi: building the Pulumi CLI $cli_version; about 12 minutes on 2 cores when cold"
build pulumi-cli github.com/pulumi/pulumi/sdk/v3/go/common/version.Version "$cli_version" \
  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi

echo "build-pulumi: building the Node.js language host $host_version"
build pulumi-language-nodejs github.com/pulumi/pulumi/sdk/v3/go/common/version.Version "$host_version" \
  github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
install -m 755 "$(module_dir pulumi-cli "github.com/pulumi/pulumi/sdk/v3@$cli_version")/nodejs/dist/pulumi-resource-pulumi-nodejs" "$partial/"

# Upstream's Makefile embeds the schema and the Terraform mapping with the version set and the JSON
# compacted (cmd/pulumi-resource-kubernetes/generate.go); the published module carries neither file.
echo "build-pulumi: building the Kubernetes plugin $plugin_version; about 10 minutes on 2 cores when cold"
node -e '
  const fs = require("fs");
  const [src, dst, version] = process.argv.slice(1);
  const schema = JSON.parse(fs.readFileSync(`${src}/schema.json`, "utf8"));
  schema.version = version;
  fs.writeFileSync(`${dst}/schema-embed.json`, JSON.stringify(schema));
  const mapping = JSON.parse(fs.readFileSync(`${src}/terraform-mapping.json`, "utf8"));
  fs.writeFileSync(`${dst}/terraform-mapping-embed.json`, JSON.stringify(mapping));
' "$(module_dir pulumi-kubernetes github.com/pulumi/pulumi-kubernetes/provider/v4)/cmd/pulumi-resource-kubernetes" \
  toolchain/pulumi-kubernetes "${plugin_version#v}"
build pulumi-kubernetes github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version "${plugin_version#v}" .
rm -rf "$home/plugins/resource-kubernetes-$plugin_version"*
PULUMI_HOME="$root/$home" PULUMI_SKIP_UPDATE_CHECK=true "$partial/pulumi" plugin install \
  resource kubernetes "$plugin_version" --file "$partial/pulumi-kubernetes"
rm "$partial/pulumi-kubernetes"

echo "$stamp" >"$partial/VERSIONS"
rm -rf "$out"
mv "$partial" "$out"
trap - EXIT
echo "build-pulumi: $stamp in $out"
