# A throwaway PostgreSQL cluster for the tests that need one. Source this file, then call
# `pg_start`: it installs PostgreSQL from the Debian packages when it is missing, creates a
# cluster in a temporary folder (initdb, trust authentication, listening on 127.0.0.1 and a
# Unix socket in that folder only), starts it with pg_ctl and exports
# `POLC_TEST_POSTGRES=postgres://postgres@127.0.0.1:PORT/postgres`. The cluster speaks TLS too
# (a throwaway certificate authority made with openssl; the server's certificate names
# `localhost`), and the role `polc_cert` may log in over TLS only, with a client certificate:
# `POLC_TEST_POSTGRES_TLS` names the folder of `ca.pem`, `client.pem` and `client.key`
# (tests/store_postgres_tls.rs). Without openssl the cluster runs without TLS and the variable
# stays unset. `pg_stop` stops it and
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
  local tls_opts=""
  if pg_tls "${run[@]}"; then
    tls_opts="-c ssl=on -c ssl_cert_file=$PG_DIR/tls/server.pem -c ssl_key_file=$PG_DIR/tls/server.key -c ssl_ca_file=$PG_DIR/tls/ca.pem"
    # First match wins: `polc_cert` over TLS with a certificate of the CA, and never without.
    { printf 'hostssl all polc_cert 127.0.0.1/32 cert\nhost all polc_cert 127.0.0.1/32 reject\n'
      cat "$PG_DIR/data/pg_hba.conf"; } >"$PG_DIR/pg_hba.conf"
    cat "$PG_DIR/pg_hba.conf" >"$PG_DIR/data/pg_hba.conf"
  fi
  "${run[@]}" "$bindir/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c max_connections=200 $tls_opts" start >/dev/null || {
    cat "$PG_DIR/server.log" >&2
    return 1
  }
  if [[ -n "$tls_opts" ]]; then
    "${run[@]}" "$bindir/psql" -q -h "$PG_DIR" -p "$port" -U postgres -d postgres \
      -c "CREATE ROLE polc_cert LOGIN SUPERUSER" >/dev/null
    export POLC_TEST_POSTGRES_TLS="$PG_DIR/tls"
  fi
  PG_RUN=("${run[@]}")
  PG_BINDIR="$bindir"
  export POLC_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres"
  trap pg_stop EXIT
  echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') started for the tests on 127.0.0.1:$port"
}

# A certificate authority, a server certificate for `localhost` and a client certificate for
# `polc_cert`, in $PG_DIR/tls, all valid for two days. Fails (and the cluster runs without TLS)
# where openssl is missing.
pg_tls() {
  command -v openssl >/dev/null 2>&1 || {
    echo "warning: openssl is missing; PostgreSQL runs without TLS and its TLS tests are skipped" >&2
    return 1
  }
  local t="$PG_DIR/tls" ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  mkdir -p "$t"
  (
    set -e
    cd "$t"
    openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 2 -subj /CN=polc-test-ca \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    openssl req "${ec[@]}" -keyout server.key -out server.csr -subj /CN=localhost
    printf 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile server.ext -out server.pem
    openssl req "${ec[@]}" -keyout client.key -out client.csr -subj /CN=polc_cert
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile client.ext -out client.pem
    chmod 600 server.key
  ) >"$PG_DIR/tls.log" 2>&1 || {
    cat "$PG_DIR/tls.log" >&2
    return 1
  }
  # The server's key belongs to the user the server runs as.
  if [[ $# -gt 0 ]]; then
    chown postgres: "$t/server.key"
  fi
}

pg_stop() {
  if [[ -n "${PG_DIR:-}" && -d "$PG_DIR/data" ]]; then
    "${PG_RUN[@]}" "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
    PG_DIR=""
  fi
}
