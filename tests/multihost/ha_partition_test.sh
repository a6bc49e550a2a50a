#!/usr/bin/env bash
# The replicated database on separate hosts (Linux network namespaces, as
# multihost_test.sh builds them): three database hosts, each an etcd member
# and PostgreSQL under Patroni (synchronous mode), and an application host
# with the customer DB service and a seller server. Under a stream of
# account creations from the application host, the primary's host is cut
# off the network:
#   - the cut-off primary acknowledges no write (its commits wait for a
#     standby it cannot reach) and demotes itself once its leader lock
#     expires: it stops accepting writes, so there is never a second primary;
#   - a standby is promoted and writes resume (the outage is printed);
#   - when the network comes back the old primary rejoins as a standby
#     without the write it took alone.
# Then the synchronous standby's host is cut off: writes go on once the
# primary gives up on it (wal_sender_timeout). Every acknowledged account is
# there at the end.
# Needs root (CI runs as root); fails, never skips, without it.
# Usage: ha_partition_test.sh <bin dir>
set -uo pipefail
bin=$(cd "${1:?usage: ha_partition_test.sh <bin dir>}" && pwd)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
started=$SECONDS
py=/usr/bin/python3

fatal() {
  echo "FAIL: $*" >&2
  exit 1
}
[ "$(id -u)" -eq 0 ] || fatal "this test needs root to create network namespaces; CI runs as root"
for program in ip runuser /usr/bin/etcd /usr/bin/patroni; do
  command -v "$program" >/dev/null || fatal "$program not found (scripts/setup.sh installs it)"
done
# shellcheck source=scripts/pg_test_server.sh
source "$root/scripts/pg_test_server.sh"
pg_bin=$(pg_bindir) || fatal "PostgreSQL's binaries not found: install postgresql"

work=$(mktemp -d /tmp/mp-hapart.XXXXXX)
chmod 755 "$work"  # Patroni and PostgreSQL run as postgres below it
prefix="mpp$(printf '%04x' $((RANDOM ^ $$ & 0xffff)))"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

declare -A addr=([db1]=10.78.0.1 [db2]=10.78.0.2 [db3]=10.78.0.3 [app]=10.78.0.20)
# shellcheck source=netns_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/netns_lib.sh"
# shellcheck source=../ha/ha_lib.sh
source "$root/tests/ha/ha_lib.sh"

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  disown -a
  netns_remove
  if [ "$status" -ne 0 ] || [ "$failures" -ne 0 ]; then
    for log in "$work"/*/log; do
      [ -f "$log" ] || continue
      echo "----- ${log#"$work"/} (last lines)"
      tail -n 15 "$log"
    done
  fi
  rm -rf "$work"
  echo "ha_partition: cleaned up after $((SECONDS - started)) s"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

netns_network addr

# --- etcd, one member per database host.
cluster=""
for i in 1 2 3; do cluster+="${cluster:+,}etcd$i=http://${addr[db$i]}:2380"; done
for i in 1 2 3; do
  mkdir -p "$work/db$i"
  a=${addr[db$i]}
  (exec ip netns exec "$(ns "db$i")" /usr/bin/etcd --name "etcd$i" --data-dir "$work/db$i/etcd" \
    --listen-client-urls "http://$a:2379,http://127.0.0.1:2379" \
    --advertise-client-urls "http://$a:2379" --listen-peer-urls "http://$a:2380" \
    --initial-advertise-peer-urls "http://$a:2380" --initial-cluster "$cluster" \
    --initial-cluster-state new --initial-cluster-token mp-partition \
    --heartbeat-interval 100 --election-timeout 1000 >"$work/db$i/etcd.log" 2>&1) &
done

# get <host> <url>: the HTTP status of a GET from that host (000: none).
get() {
  on "$1" "$py" -c '
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=2).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print("000")' "$2"
}

# --- PostgreSQL under Patroni on each database host (the settings of
# marketplace up --ha: src/launcher/ha.cc).
hosts=""
for i in 1 2 3; do hosts+="${hosts:+,}${addr[db$i]}:2379"; done
for i in 1 2 3; do
  a=${addr[db$i]}
  chown postgres: "$work/db$i"
  cat >"$work/db$i/patroni.yml" <<YML
scope: partition
namespace: /marketplace/
name: pg$i
restapi:
  listen: $a:8008
  connect_address: $a:8008
etcd3:
  hosts: $hosts
bootstrap:
  dcs:
    ttl: 6
    loop_wait: 1
    retry_timeout: 2
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    synchronous_mode_strict: false
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: 'on'
        wal_log_hints: 'on'
        max_wal_senders: 10
        max_replication_slots: 10
        synchronous_commit: 'on'
        wal_sender_timeout: 5s
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
postgresql:
  listen: $a:5432
  connect_address: $a:5432
  data_dir: $work/db$i/data
  bin_dir: $pg_bin
  pgpass: $work/db$i/pgpass
  basebackup:
    - checkpoint: fast
  authentication:
    superuser: {username: postgres, password: test}
    replication: {username: replicator, password: test}
    rewind: {username: rewinder, password: test}
  parameters:
    unix_socket_directories: $work/db$i
    fsync: 'off'
  pg_hba:
    - local all all trust
    - host all all 10.78.0.0/24 trust
    - host replication replicator 10.78.0.0/24 trust
watchdog:
  mode: 'off'
YML
  chown postgres: "$work/db$i/patroni.yml"
done
for _ in $(seq 1 100); do
  [ "$(get db1 "http://${addr[db1]}:2379/health")" = 200 ] && break
  sleep 0.2
done
for i in 1 2 3; do
  (exec ip netns exec "$(ns "db$i")" runuser -u postgres -- env -i PATH=/usr/bin:/bin \
    HOME=/var/lib/postgresql /usr/bin/patroni "$work/db$i/patroni.yml" \
    >"$work/db$i/log" 2>&1) &
done

# role <i> [from host]: primary, sync, replica or "-" for database host i, as
# its Patroni says (asked from the host itself by default).
role() {
  local i=$1 from=${2:-db$1} a=${addr[db$1]}
  [ "$(get "$from" "http://$a:8008/primary")" = 200 ] && { echo primary; return; }
  [ "$(get "$from" "http://$a:8008/sync")" = 200 ] && { echo sync; return; }
  [ "$(get "$from" "http://$a:8008/replica")" = 200 ] && { echo replica; return; }
  echo -
}
roles() { echo "$(role 1 app) $(role 2 app) $(role 3 app)"; }
wait_roles() {  # until one primary and one synchronous standby, seen from app
  for _ in $(seq 1 300); do
    r=$(roles)
    [ "$(grep -o primary <<<"$r" | wc -l)" -eq 1 ] && grep -q sync <<<"$r" && return 0
    sleep 0.2
  done
  return 1
}
wait_roles || fatal "no primary with a synchronous standby after 60 s: $(roles)"
ok "cluster up after $((SECONDS - started)) s: $(roles)"

# --- The application host: customer DB service and seller server.
url="postgresql://postgres@${addr[db1]}:5432,${addr[db2]}:5432,${addr[db3]}:5432/postgres"
url+="?target_session_attrs=read-write&connect_timeout=2&keepalives_idle=2&keepalives_interval=1"
url+="&keepalives_count=3&tcp_user_timeout=5000"
mkdir -p "$work/app"
head -c 48 /dev/urandom | base64 -w0 >"$work/app/jwt.key"
(cd "$work/app" && exec ip netns exec "$(ns app)" "$bin/mp-customer-db" \
  --listen "${addr[app]}:50051" --db-uri "$url" --threads 4 >"$work/app/log" 2>&1) &
(cd "$work/app" && exec ip netns exec "$(ns app)" "$bin/mp-seller-server" \
  --listen "${addr[app]}:8081" --customer-db "${addr[app]}:50051" \
  --product-db "${addr[app]}:50052" --jwt-key-file "$work/app/jwt.key" \
  >"$work/app/seller.log" 2>&1) &
for _ in $(seq 1 150); do
  [ "$(get app "http://${addr[app]}:8081/healthz")" = 200 ] &&
    on app "$bin/marketplace" health "${addr[app]}:50051" >/dev/null 2>&1 && break
  sleep 0.2
done
on app "$bin/marketplace" health "${addr[app]}:50051" >/dev/null 2>&1 ||
  fatal "the customer DB service did not come up: $(tail -n 5 "$work/app/log")"

acks=$work/acks
touch "$acks"
on app "$py" "$root/tests/ha/ha_writer.py" write "http://${addr[app]}:8081" "$acks" \
  "$work/stop" &
wait_for_acks() { ha_wait_for_acks "$@"; }
wait_for_acks 0 20 || fatal "no writes acknowledged: $(tail -n 5 "$work/app/log")"
ok "writes flow"

# --- The primary's host is cut off the network.
old=""
for i in 1 2 3; do [ "$(role "$i" app)" = primary ] && old=$i; done
[ -n "$old" ] || fatal "no primary"
cut=$(date +%s.%N)
netns_cut "db$old"
ok "db$old (the primary) cut off the network"

# Its clients on its own host see a primary that takes no write: a commit
# waits for a standby it cannot reach, and is never answered as done.
out=$(on "db$old" timeout 4 "$pg_bin/psql" -h "${addr[db$old]}" -U postgres -Atc \
  "CREATE TABLE IF NOT EXISTS cut_probe (n int); INSERT INTO cut_probe VALUES (1)" 2>&1)
if grep -q "INSERT 0 1" <<<"$out" && ! grep -qi "warning" <<<"$out"; then
  fail "the cut-off primary acknowledged a write: $out"
else
  ok "the cut-off primary acknowledged no write"
fi

if wait_for_acks "$cut" 20; then
  first=$(awk -v t="$cut" '$2 == "ok" && $4 > t {print $1; exit}' "$acks")
  ok "writes resumed $("$py" -c "print(f'{$first - $cut:.1f}')") s after the cut"
else
  fail "writes did not resume within 60 s of the cut"
fi
new=""
for i in 1 2 3; do [ "$i" != "$old" ] && [ "$(role "$i" app)" = primary ] && new=$i; done
[ -n "$new" ] && ok "db$new promoted" || fail "no standby promoted: $(roles)"

# Once its lock expired, the cut-off node demoted itself: Patroni, unable
# to reach etcd, stops its PostgreSQL (or runs it read-only), so a client
# on its own host can no longer write there.
demoted=""
for _ in $(seq 1 150); do
  r=$(on "db$old" timeout 3 "$pg_bin/psql" -h "${addr[db$old]}" -U postgres -Atc \
    "SELECT pg_is_in_recovery()" 2>&1)
  # Read-only, stopped, or stopping (a fast shutdown waits for the
  # standbys' connections to time out): in none of them does it take writes.
  if [ "$r" = t ] || grep -qE "Connection refused|shutting down" <<<"$r"; then
    demoted=$r
    break
  fi
  sleep 0.2
done
if [ -n "$demoted" ]; then
  ok "the cut-off node stopped taking writes ($([ "$demoted" = t ] && echo read-only ||
    echo stopped or stopping)) $("$py" -c "import time; print(f'{time.time() - $cut:.1f}')") s after the cut"
else
  fail "the cut-off node still takes writes 30 s after the cut: $r"
fi

# --- The network comes back.
netns_mend "db$old"
back=""
for _ in $(seq 1 300); do
  r=$(role "$old" app)
  [ "$r" = replica ] || [ "$r" = sync ] && { back=1; break; }
  sleep 0.2
done
[ -n "$back" ] && ok "db$old rejoined as a standby" || fail "db$old did not rejoin: $(roles)"
# It may be rewound and started once more; then Patroni names a synchronous
# standby again.
wait_roles || fail "no primary with a synchronous standby after the rejoin: $(roles)"
primaries=$(roles | grep -o primary | wc -l)
[ "$primaries" -eq 1 ] && ok "one primary: $(roles)" || fail "$primaries primaries: $(roles)"
r=$(on "db$new" "$pg_bin/psql" -h "${addr[db$new]}" -U postgres -Atc \
  "SELECT to_regclass('cut_probe') IS NULL" 2>&1)
[ "$r" = t ] && ok "the write the cut-off primary took is not in the database" ||
  fail "the cut-off primary's write survived: $r"

# --- The synchronous standby's host is cut off: its connections vanish
# without a reset, so the primary drops them after wal_sender_timeout and
# Patroni names the other standby; commits wait until then, no longer.
sync=""
for i in 1 2 3; do [ "$(role "$i" app)" = sync ] && sync=$i; done
if [ -n "$sync" ]; then
  cut=$(date +%s.%N)
  netns_cut "db$sync"
  if wait_for_acks "$cut" 20; then
    ok "db$sync (the synchronous standby) cut off: writes went on; the longest wait for one \
$(awk -v t="$cut" '$4 > t && $1 - $4 > m {m = $1 - $4} END {printf "%.1f", m}' "$acks") s"
  else
    fail "writes stalled after the synchronous standby was cut off"
  fi
  netns_mend "db$sync"
else
  fail "no synchronous standby to cut off: $(roles)"
fi

touch "$work/stop"
sleep 1
if on app "$py" "$root/tests/ha/ha_writer.py" check "http://${addr[app]}:8081" "$acks" \
  >"$work/check" 2>&1; then
  ok "$(tail -n 1 "$work/check")"
else
  fail "$(tail -n 5 "$work/check")"
fi

[ "$failures" -eq 0 ] || { echo "ha_partition: $failures failures"; exit 1; }
echo "ha_partition: all passed"
