#!/usr/bin/env bash
# polc serve and Cerbos 0.55 side by side, in one run, on the same machine and the same
# requests: the fixture of examples/authzen/ (Cerbos: bench/serve/cerbos/record.yaml, the same
# decisions), plain HTTP on 127.0.0.1, wrk (Debian package `wrk`).
#   bash bench/serve/cerbos.sh          (from the repository root; DURATION=10s by default)
# Cerbos comes from npm (`@cerbos/cerbos-linux-x64@0.55`), installed into $CERBOS_DIR
# (default /tmp/polc-bench-cerbos), outside the repository.
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-10s}
CERBOS_DIR=${CERBOS_DIR:-/tmp/polc-bench-cerbos}
CERBOS=$CERBOS_DIR/node_modules/@cerbos/cerbos-linux-x64/cerbos-linux-x64
if [ ! -x "$CERBOS" ]; then
  mkdir -p "$CERBOS_DIR"
  (cd "$CERBOS_DIR" && npm install --no-audit --no-fund @cerbos/cerbos-linux-x64@0.55 >/dev/null)
fi
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
cargo build --release --bin polc
POLC_PORT=${POLC_PORT:-18181}
CERBOS_PORT=${CERBOS_PORT:-13592}
POLICIES=$(mktemp -d)
cp bench/serve/cerbos/record.yaml "$POLICIES/"
target/release/polc serve examples/authzen/policy.pol --data examples/authzen/data.pol \
  --listen 127.0.0.1:$POLC_PORT 2>/dev/null &
POLC=$!
"$CERBOS" server --set=storage.driver=disk --set=storage.disk.directory="$POLICIES" \
  --set=server.httpListenAddr=127.0.0.1:$CERBOS_PORT \
  --set=server.grpcListenAddr=127.0.0.1:$((CERBOS_PORT + 1)) \
  --set=audit.enabled=false --debug-listen-addr=127.0.0.1:$((CERBOS_PORT + 2)) \
  --log-level=error >/dev/null 2>&1 &
CERB=$!
trap 'kill $POLC $CERB; rm -rf "$POLICIES"' EXIT
sleep 3
"$CERBOS" --version | head -1
# Same answers first: the benchmark compares equal work.
for port in $POLC_PORT $CERBOS_PORT; do
  curl -sf "http://127.0.0.1:$port/access/v1/evaluation" -H 'content-type: application/json' \
    -d '{"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"resource":{"type":"record","id":"record-1"}}' \
    | grep -q '"decision":true' || { echo "server on $port does not allow the benchmark request" >&2; exit 1; }
done
run() { # name port path script concurrency
  local out
  out=$(wrk -t $(( $5 < 2 ? 1 : 2 )) -c "$5" -d "$DURATION" --latency -s "bench/serve/$4" \
    "http://127.0.0.1:$2$3")
  printf '%-7s %-22s c=%-3s %12s req/s  p50 %9s  p99 %9s\n' "$1" "$3" "$5" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1 == "50%" {print $2}' <<<"$out")" "$(awk '$1 == "99%" {print $2}' <<<"$out")"
}
for c in 1 8 32; do
  run polc $POLC_PORT /access/v1/evaluation eval.lua $c
  run cerbos $CERBOS_PORT /access/v1/evaluation eval.lua $c
done
for c in 8; do
  run polc $POLC_PORT /access/v1/evaluations evals.lua $c
  run cerbos $CERBOS_PORT /access/v1/evaluations evals.lua $c
done
echo "(each /evaluations request is a batch of 100 decisions)"
