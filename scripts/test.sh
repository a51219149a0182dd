#!/usr/bin/env bash
# The test gate. Without a layer: lint, format check, type check and build, then every layer.
# With a layer (unit, etcd, kube, e2e; see docs/testing.md): build, then that layer only.
# Arguments after the layer go to `node --test`, e.g. `npm run test:unit -- --test-name-pattern=size`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .tools/node/bin/node ]; then export PATH="$PWD/.tools/node/bin:$PATH"; fi

layer_globs() {
  case "$1" in
    unit) echo "dist/test/unit/**/*.test.js dist/test/component/**/*.test.js dist/test/membership/**/*.test.js" ;;
    etcd) echo "dist/test/etcd/**/*.test.js dist/test/harness/**/*.test.js dist/test/provider/**/*.test.js dist/test/engine/**/*.test.js dist/test/operations/**/*.test.js" ;;
    kube) echo "dist/test/workload/**/*.test.js" ;;
    e2e) echo "dist/test/e2e/**/*.test.js" ;;
    *) return 1 ;;
  esac
}

if [ $# -gt 0 ] && globs=$(layer_globs "$1"); then
  shift
  rm -rf dist
  npx tsc -p tsconfig.json
  read -r -a patterns <<<"$globs"
  exec node --test --test-reporter=spec "${patterns[@]}" "$@"
fi

npx eslint .
npx prettier --check .
rm -rf dist
npx tsc -p tsconfig.json
node --test --test-reporter=spec "dist/test/**/*.test.js" "$@"
