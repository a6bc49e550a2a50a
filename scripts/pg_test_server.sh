#!/usr/bin/env bash
# Sourced by test.sh: starts a throw-away PostgreSQL cluster on a free port,
# listening on loopback only, with trust authentication for its own user.
# PostgreSQL refuses to run as root, so as root it runs as `postgres`.

pg_bindir() {
  local dir
  dir=$(pg_config --bindir 2>/dev/null || true)
  if [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
  done
  echo "pg_test_server: initdb not found; install the postgresql package" >&2
  return 1
}

# shellcheck source=ports.sh
source "$(dirname "${BASH_SOURCE[0]}")/ports.sh"

pg_test_server_start() {
  local bindir as_user=()
  bindir=$(pg_bindir)
  PG_TEST_DIR=$(mktemp -d /tmp/mp-pg.XXXXXX)
  PG_TEST_PORT=$(free_ports 1)
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$PG_TEST_DIR"
    as_user=(runuser -u postgres --)
  fi
  PG_TEST_AS=("${as_user[@]}")
  "${as_user[@]}" "$bindir/initdb" -D "$PG_TEST_DIR/data" -U mp --auth=trust \
    --no-sync -E UTF8 >"$PG_TEST_DIR/initdb.log" 2>&1 ||
    { cat "$PG_TEST_DIR/initdb.log" >&2; return 1; }
  "${as_user[@]}" "$bindir/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PG_TEST_PORT -k $PG_TEST_DIR -c fsync=off \
        -c max_connections=300 -c shared_buffers=128MB" start >/dev/null ||
    { cat "$PG_TEST_DIR/server.log" >&2; return 1; }
  PG_TEST_BINDIR=$bindir
  PG_TEST_URI="postgresql://mp@127.0.0.1:$PG_TEST_PORT/postgres"
}

pg_test_server_stop() {
  if [ -n "${PG_TEST_DIR:-}" ] && [ -d "$PG_TEST_DIR/data" ]; then
    "${PG_TEST_AS[@]}" "$PG_TEST_BINDIR/pg_ctl" -D "$PG_TEST_DIR/data" -m immediate stop \
      >/dev/null 2>&1 || true
    rm -rf "$PG_TEST_DIR"
  fi
}
