#!/usr/bin/env bash
# Load test of `polc serve` with wrk (Debian package `wrk`), outside `cargo test`:
# requests/s and latency percentiles at concurrency 1, 8 and 32 on one evaluation.
#   bash bench/serve/run.sh            (from the repository root)
# Cerbos (npm `@cerbos/cerbos-linux-x64`, 0.55) serves the same paths; not run here yet.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --bin polc
PORT=${PORT:-18181}
target/release/polc serve examples/authzen/policy.pol --data examples/authzen/data.pol \
  --listen 127.0.0.1:$PORT 2>/dev/null &
PID=$!
trap 'kill $PID' EXIT
sleep 1
for c in 1 8 32; do
  echo "== concurrency $c"
  wrk -t $(( c < 2 ? 1 : 2 )) -c $c -d ${DURATION:-10s} --latency -s bench/serve/eval.lua \
    "http://127.0.0.1:$PORT/access/v1/evaluation" | grep -E 'Requests/sec|50%|99%'
done
