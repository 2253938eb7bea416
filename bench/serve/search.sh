#!/usr/bin/env bash
# The first search page (100 results) through `polc serve` on 100,000 holders, end to end with
# wrk at concurrency 1 on 127.0.0.1: a subject search on a document with 100,000 viewers, and
# resource searches for a user who is viewer on 100,000 documents directly, or through one
# folder that holds them (`from viewer on folder`). The same searches in-process:
# `cargo bench --bench search_index`.
#   bash bench/serve/search.sh          (DURATION=3s, HOLDERS=100000; POLC=binary: no build)
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-3s}
HOLDERS=${HOLDERS:-100000}
PORT=${PORT:-18281}
command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
if [ -z "${POLC:-}" ]; then
  CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1} cargo build --release --bin polc
  POLC=target/release/polc
fi
DIR=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$DIR"' EXIT
cat >"$DIR/policy.pol" <<'POL'
actor user;
resource folder {
  permissions view;
  role viewer { grants view; }
}
resource doc {
  relation folder: folder;
  permissions view;
  role viewer { grants view; from viewer on folder; }
}
POL
awk -v n="$HOLDERS" 'BEGIN {
  for (i = 0; i < n; i++) {
    print "user:u" i " is viewer on doc:hot;"
    print "user:alice is viewer on doc:a" i ";"
    print "doc:b" i ".folder = folder:f;"
  }
  print "user:bob is viewer on folder:f;"
}' >"$DIR/data.pol"
"$POLC" serve "$DIR/policy.pol" --data "$DIR/data.pol" --listen 127.0.0.1:$PORT 2>/dev/null &
PID=$!
for _ in $(seq 150); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/health" && break
  sleep 0.2
done
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); wrk on the same cores"
search() { # label endpoint body
  printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[%s]]\n' \
    "$3" >"$DIR/s.lua"
  local n out
  n=$(curl -sf "http://127.0.0.1:$PORT/access/v1/search/$2" -H 'content-type: application/json' \
    -d "$3" | grep -o '"count":[0-9]*' | cut -d: -f2)
  out=$(wrk -t1 -c1 -d "$DURATION" --latency -s "$DIR/s.lua" "http://127.0.0.1:$PORT/access/v1/search/$2")
  printf '%-44s %4s results  %9s req/s  p50 %9s  p99 %9s\n' "$1" "$n" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1 == "50%" {print $2}' <<<"$out")" "$(awk '$1 == "99%" {print $2}' <<<"$out")"
}
search "subject: doc:hot's $HOLDERS viewers" subject \
  '{"subject":{"type":"user"},"action":{"name":"view"},"resource":{"type":"doc","id":"hot"}}'
search "resource: alice's $HOLDERS docs (direct)" resource \
  '{"subject":{"type":"user","id":"alice"},"action":{"name":"view"},"resource":{"type":"doc"}}'
search "resource: bob's $HOLDERS docs (one folder)" resource \
  '{"subject":{"type":"user","id":"bob"},"action":{"name":"view"},"resource":{"type":"doc"}}'
