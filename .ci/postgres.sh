# A throwaway PostgreSQL cluster for the tests that need one. Source this file, then call
# `pg_start`: it installs PostgreSQL from the Debian packages when it is missing, creates a
# cluster in a temporary folder (initdb, trust authentication, listening on 127.0.0.1 and a
# Unix socket in that folder only), starts it with pg_ctl and exports
# `POLC_TEST_POSTGRES=postgres://postgres@127.0.0.1:PORT/postgres`. `pg_stop` stops it and
# removes the folder; `pg_start` registers it to run on exit. Without PostgreSQL the variable
# stays unset and the tests that need it say they were skipped.

pg_bindir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

pg_start() {
  local bindir run port
  bindir="$(pg_bindir)"
  if [[ ! -x "$bindir/initdb" ]] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) ||
      echo "warning: could not install PostgreSQL" >&2
    bindir="$(pg_bindir)"
  fi
  if [[ ! -x "$bindir/initdb" ]]; then
    echo "warning: PostgreSQL is not installed; the PostgreSQL tests will be skipped" >&2
    return 0
  fi
  PG_DIR="$(mktemp -d /tmp/polc-pg.XXXXXX)"
  run=()
  # PostgreSQL refuses to run as root: the cluster belongs to the `postgres` user the Debian
  # package creates.
  if [[ "$(id -u)" == 0 ]]; then
    chown postgres: "$PG_DIR"
    run=(runuser -u postgres --)
  fi
  # A free port on the loopback interface, asked of the kernel.
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 55432)"
  "${run[@]}" "$bindir/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 >"$PG_DIR/initdb.log" 2>&1 || {
    cat "$PG_DIR/initdb.log" >&2
    return 1
  }
  "${run[@]}" "$bindir/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c max_connections=200" start >/dev/null || {
    cat "$PG_DIR/server.log" >&2
    return 1
  }
  PG_RUN=("${run[@]}")
  PG_BINDIR="$bindir"
  export POLC_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres"
  trap pg_stop EXIT
  echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') started for the tests on 127.0.0.1:$port"
}

pg_stop() {
  if [[ -n "${PG_DIR:-}" && -d "$PG_DIR/data" ]]; then
    "${PG_RUN[@]}" "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
    PG_DIR=""
  fi
}
