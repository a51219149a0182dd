#!/usr/bin/env bash
# Defragments one etcd cluster's members one at a time (docs/operations.md, "Defragmentation").
# Flags: npm run defrag -- --help
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .tools/node/bin/node ]; then export PATH="$PWD/.tools/node/bin:$PATH"; fi
npx tsc -p tsconfig.json
node dist/operations/defragmentCli.js "$@"
