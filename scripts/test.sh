#!/usr/bin/env bash
# The whole test gate: lint, format, type check and build, then every test layer with Node's runner.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .tools/node/bin/node ]; then export PATH="$PWD/.tools/node/bin:$PATH"; fi
npx eslint .
npx prettier --check .
rm -rf dist
npx tsc -p tsconfig.json
node --test --test-reporter=spec "dist/test/**/*.test.js" "$@"
