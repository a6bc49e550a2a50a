#!/usr/bin/env bash
# A PostgreSQL server of the fault test's own, which it may crash: the
# suite's shared server (MP_TEST_PG_URI) serves other tests at the same time.
# Started like scripts/pg_test_server.sh starts that one (loopback, trust,
# as `postgres` when run as root).
#
# Usage: pg_cluster.sh start            prints "<dir> <uri>" of a new server
#        pg_cluster.sh crash DIR        SIGKILLs the postmaster and every
#                                       process of the server, as a crash would
#        pg_cluster.sh restart DIR      pg_ctl restart (after a crash: crash
#                                       recovery, then serving)
#        pg_cluster.sh stop DIR         stops it and removes DIR
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../scripts/pg_test_server.sh
source "$here/../../scripts/pg_test_server.sh"

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

postmaster_pid() { head -n 1 "$1/data/postmaster.pid" 2>/dev/null || true; }

case ${1:-} in
  start)
    pg_test_server_start >&2
    echo "$PG_TEST_DIR $PG_TEST_URI"
    ;;
  crash)
    dir=${2:?usage: pg_cluster.sh crash DIR}
    pid=$(postmaster_pid "$dir")
    [ -n "$pid" ] || { echo "pg_cluster: no postmaster.pid in $dir/data" >&2; exit 1; }
    # The postmaster, then its children (listed first, by their parent's
    # id): nothing of the server gets to shut down cleanly.
    children=$(ps -o pid= --ppid "$pid" || true)
    kill -KILL "$pid"
    for child in $children; do kill -KILL "$child" 2>/dev/null || true; done
    for _ in $(seq 1 100); do
      alive=0
      for p in $pid $children; do kill -0 "$p" 2>/dev/null && alive=1; done
      [ "$alive" -eq 0 ] && exit 0
      sleep 0.05
    done
    echo "pg_cluster: server processes still alive after SIGKILL" >&2
    exit 1
    ;;
  restart)
    dir=${2:?usage: pg_cluster.sh restart DIR}
    # restart reuses the options of the last start (postmaster.opts); it
    # notes that the old server is gone, which is no news here.
    as_owner "$(pg_bindir)/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 restart \
      >"$dir/pg_ctl.log" 2>&1 || { cat "$dir/pg_ctl.log" "$dir/server.log" >&2; exit 1; }
    ;;
  stop)
    dir=${2:?usage: pg_cluster.sh stop DIR}
    [ -d "$dir/data" ] && as_owner "$(pg_bindir)/pg_ctl" -D "$dir/data" -m immediate stop \
      >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    sed -n '2,13p' "$0" >&2
    exit 2
    ;;
esac
