#!/usr/bin/env bash
# polc serve and Cerbos 0.55 side by side, in one run, on the same machine and the same requests:
# the fixture of examples/authzen/ (for Cerbos: bench/serve/cerbos/record.yaml, the same
# decisions), plain HTTP on 127.0.0.1 only, load from wrk (Debian package `wrk`).
#
#   bash bench/serve/cerbos.sh              (from anywhere; DURATION=3s by default)
#   DURATION=10s CONCURRENCY="1 8 32" bash bench/serve/cerbos.sh
#   POLC=target/release/polc bash bench/serve/cerbos.sh   (that binary, no build)
#   THREADS=1 bash bench/serve/cerbos.sh    (each server on N threads: polc `--threads N`,
#                                            Cerbos GOMAXPROCS=N; wrk on the cores left)
#
# Installs what is missing: wrk (apt-get) and Cerbos (npm `@cerbos/cerbos-linux-x64@0.55`, into
# bench/serve/.cerbos/, which git ignores). Checks first that both servers give the same
# decisions on every request of the fixture (one by one and as a batch), then prints one line per
# run: requests/s, decisions/s, wrk's p50 and p99, and for polc the p50 and p99 of its own
# latency histogram (`/metrics`, `polc_request_seconds`, read before and after the run: an upper
# bound, the histogram's bucket). See bench/serve/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-3s}
CONCURRENCY=${CONCURRENCY:-1 8 32}
POLC_PORT=${POLC_PORT:-18181}
CERBOS_PORT=${CERBOS_PORT:-13592}
CERBOS_DIR=${CERBOS_DIR:-bench/serve/.cerbos}
# Threads per server; empty: each server's default (one per core). wrk takes the cores left
# (at least one thread); by default two threads.
THREADS=${THREADS:-}
if [ -n "$THREADS" ]; then
  WRK_THREADS=$(($(nproc) - THREADS))
  [ "$WRK_THREADS" -ge 1 ] || WRK_THREADS=1
  POLC_THREADS=(--threads "$THREADS")
  export GOMAXPROCS=$THREADS
else
  WRK_THREADS=2
  POLC_THREADS=()
fi
CERBOS=$CERBOS_DIR/node_modules/@cerbos/cerbos-linux-x64/cerbos-linux-x64

if ! command -v wrk >/dev/null; then
  apt-get install -y wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
fi
if [ ! -x "$CERBOS" ]; then
  mkdir -p "$CERBOS_DIR"
  npm install --prefix "$CERBOS_DIR" --no-audit --no-fund @cerbos/cerbos-linux-x64@0.55 >/dev/null
fi
# POLC=path/to/polc runs that binary as it is; by default the release build, built first.
if [ -z "${POLC:-}" ]; then
  CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1} cargo build --release --bin polc
  POLC=target/release/polc
fi

POLICIES=$(mktemp -d)
cp bench/serve/cerbos/record.yaml "$POLICIES/"
POLC_PID= CERBOS_PID=
stop() {
  [ -n "$POLC_PID" ] && kill "$POLC_PID" 2>/dev/null
  [ -n "$CERBOS_PID" ] && kill "$CERBOS_PID" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$POLICIES"
}
trap stop EXIT
"$POLC" serve examples/authzen/policy.pol --data examples/authzen/data.pol \
  --listen 127.0.0.1:$POLC_PORT "${POLC_THREADS[@]}" 2>/dev/null &
POLC_PID=$!
"$CERBOS" server --set=storage.driver=disk --set=storage.disk.directory="$POLICIES" \
  --set=server.httpListenAddr=127.0.0.1:$CERBOS_PORT \
  --set=server.grpcListenAddr=127.0.0.1:$((CERBOS_PORT + 1)) \
  --set=audit.enabled=false --debug-listen-addr=127.0.0.1:$((CERBOS_PORT + 2)) \
  --log-level=error >/dev/null 2>&1 &
CERBOS_PID=$!
# Both up, within 20 s.
for _ in $(seq 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$POLC_PORT/health" &&
    curl -sf -o /dev/null "http://127.0.0.1:$CERBOS_PORT/_cerbos/health" && break
  sleep 0.2
done
echo "polc $("$POLC" --version 2>/dev/null | head -1 || true); cerbos $("$CERBOS" --version | head -1)"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); wrk on the same cores, $WRK_THREADS thread(s)"
echo "server threads: ${THREADS:-the default of each, one per core}"

post() { # port path body
  curl -sf -m 5 "http://127.0.0.1:$1$2" -H 'content-type: application/json' -d "$3"
}
# Same answers first: the benchmark compares equal work. Every subject, action and record of
# the fixture (action properties left out: the Cerbos policy has no `soft` deletes).
mismatch=0
for s in alice bob; do
  for a in read write delete; do
    for r in record-1 record-2; do
      body="{\"subject\":{\"type\":\"user\",\"id\":\"$s\"},\"action\":{\"name\":\"$a\"},\"resource\":{\"type\":\"record\",\"id\":\"$r\"}}"
      p=$(post $POLC_PORT /access/v1/evaluation "$body" | tr -d ' ')
      c=$(post $CERBOS_PORT /access/v1/evaluation "$body" | tr -d ' ')
      if [ "$p" != "$c" ]; then
        echo "different decisions on $s $a $r: polc $p, cerbos $c" >&2
        mismatch=1
      fi
    done
  done
done
batch=$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" bench/serve/evals.lua)
p=$(post $POLC_PORT /access/v1/evaluations "$batch" | tr -d ' ')
c=$(post $CERBOS_PORT /access/v1/evaluations "$batch" | tr -d ' ')
[ "$p" = "$c" ] || { echo "different decisions on the batch of evals.lua" >&2; mismatch=1; }
[ "$mismatch" = 0 ] || exit 1
echo "same decisions: 12 single evaluations and the batch of 100 ($(grep -o true <<<"$p" | wc -l) allowed)"

# polc's latency histogram, cumulative counts per bucket: "le count" lines, then "sum S".
histogram() {
  curl -sf "http://127.0.0.1:$POLC_PORT/metrics" |
    sed -n -e 's/^polc_request_seconds_bucket{le="\([^"]*\)"} \([0-9]*\)$/\1 \2/p' \
      -e 's/^polc_request_seconds_sum \([0-9.e+-]*\)$/sum \1/p'
}
# The bucket bounds holding the 50th and 99th percentiles of the requests between two reads,
# and their mean time inside the server.
quantiles() { # before after
  paste -d' ' <(echo "$1") <(echo "$2") | awk '
    $1 == "sum" { sum = $4 - $2; next }
    { le[++m] = $1; n[m] = $4 - $2 }
    END {
      total = n[m]
      split("0.5 0.99", q, " ")
      for (k = 1; k <= 2; k++) {
        for (i = 1; i <= m; i++) if (n[i] >= q[k] * total) break
        v = le[i]
        if (v == "+Inf") s = "> 1s"
        else if (v < 0.001) s = sprintf("<= %gus", v * 1e6)
        else s = sprintf("<= %gms", v * 1e3)
        printf "%s%s", (k > 1 ? " / " : ""), s
      }
      if (total > 0) printf " (mean %.0fus)", sum / total * 1e6
    }'
}

printf '\n%-7s %-15s %4s %12s %13s %10s %10s   %s\n' server endpoint c 'requests/s' 'decisions/s' \
  'wrk p50' 'wrk p99' 'polc /metrics p50 / p99'
run() { # name port path script concurrency decisions-per-request
  local out before after own=''
  [ "$1" = polc ] && before=$(histogram)
  out=$(wrk -t $(($5 < WRK_THREADS ? $5 : WRK_THREADS)) -c "$5" -d "$DURATION" --latency -s "bench/serve/$4" \
    "http://127.0.0.1:$2$3")
  if [ "$1" = polc ]; then
    after=$(histogram)
    own=$(quantiles "$before" "$after")
  fi
  local rps
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  if grep -q 'Non-2xx' <<<"$out"; then
    echo "$1 $3 c=$5: answers that are not 200" >&2
    exit 1
  fi
  printf '%-7s %-15s %4s %12.0f %13.0f %10s %10s   %s\n' "$1" "${3#/access/v1}" "$5" "$rps" \
    "$(awk -v r="$rps" -v d="$6" 'BEGIN {print r * d}')" \
    "$(awk '$1 == "50%" {print $2}' <<<"$out")" "$(awk '$1 == "99%" {print $2}' <<<"$out")" "$own"
}
for c in $CONCURRENCY; do
  run polc $POLC_PORT /access/v1/evaluation eval.lua "$c" 1
  run cerbos $CERBOS_PORT /access/v1/evaluation eval.lua "$c" 1
done
for c in $CONCURRENCY; do
  run polc $POLC_PORT /access/v1/evaluations evals.lua "$c" 100
  run cerbos $CERBOS_PORT /access/v1/evaluations evals.lua "$c" 100
done
echo "(each /evaluations request is a batch of 100 decisions; $DURATION per line)"
