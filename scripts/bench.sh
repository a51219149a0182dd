#!/usr/bin/env bash
# The benchmark: provider vs raw etcd operations per scale step, learner catch-up over a seeded
# data set (BENCH_SEED_MB, default 32), check+diff cost. `npm run bench -- soak`: size cycles under a
# continuous writer (SOAK_CYCLES, SOAK_MINUTES). Prints figures only.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .tools/node/bin/node ]; then export PATH="$PWD/.tools/node/bin:$PATH"; fi
npx tsc -p tsconfig.json
node dist/test/bench/run.js "$@"
