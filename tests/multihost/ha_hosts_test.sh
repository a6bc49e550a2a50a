#!/usr/bin/env bash
# The replicated deployment on separate hosts (Linux network namespaces, as
# multihost_test.sh builds them): three database hosts, each an etcd member
# and PostgreSQL under Patroni (synchronous mode, the settings of
# `marketplace up --ha`); two application hosts, each with both DB
# services, payment, a seller and a buyer server, every server reaching the
# replicas of the other host too; and a client host running the mixed
# workload (marketplace-bench --resilient with a journal) and a stream of
# account creations. Under that load, one after another:
#   1. the primary's host loses its Patroni and postmaster (SIGKILL): a
#      standby is promoted, writes resume (the outage is printed), the old
#      primary rejoins as a standby once its Patroni is back;
#   2. the synchronous standby's host loses them: writes go on;
#   3. a seller and a buyer server die on one application host: writes and
#      sessions go on through the other;
#   4. the primary's host is cut off the network: it acknowledges no write
#      (its commits wait for a standby it cannot reach) and demotes itself
#      once its leader lock expires, so there is never a second primary; a
#      standby is promoted; the old primary rejoins without the write it
#      took alone;
#   5. the synchronous standby's host is cut off: writes go on once the
#      primary gives up on it (wal_sender_timeout).
# After each, every acknowledged account is in the database, the newest 20
# log in, and `marketplace audit` is clean; at the end the workload saw no error beyond the outages and every
# acknowledged write of its journal is in the database (journal_check).
# Needs root (CI runs as root); fails, never skips, without it.
# Usage: ha_hosts_test.sh <bin dir>
set -uo pipefail
bin=$(cd "${1:?usage: ha_hosts_test.sh <bin dir>}" && pwd)
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

work=$(mktemp -d /tmp/mp-hahosts.XXXXXX)
chmod 755 "$work"  # Patroni and PostgreSQL run as postgres below it
prefix="mpp$(printf '%04x' $((RANDOM ^ $$ & 0xffff)))"
failures=0
# Each line says when it happened, so a slow step shows in a log of a timeout.
fail() { echo "FAIL [$((SECONDS - started)) s]: $*"; failures=$((failures + 1)); }
ok() { echo "ok [$((SECONDS - started)) s]: $*"; }

declare -A addr=([db1]=10.78.0.1 [db2]=10.78.0.2 [db3]=10.78.0.3 [app1]=10.78.0.11
  [app2]=10.78.0.12 [client]=10.78.0.20)
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
    for log in "$work"/*/log "$work"/*/*.log "$work"/bench.out; do
      [ -f "$log" ] || continue
      echo "----- ${log#"$work"/} (last lines)"
      tail -n 15 "$log"
    done
  fi
  # MP_KEEP_WORK=1 keeps the logs and the journal for a look afterwards.
  if [ -n "${MP_KEEP_WORK:-}" ]; then echo "ha_hosts: kept $work"; else rm -rf "$work"; fi
  echo "ha_hosts: cleaned up after $((SECONDS - started)) s"
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
    --heartbeat-interval 100 --election-timeout 1000 --pre-vote --enable-v2 \
    >"$work/db$i/etcd.log" 2>&1) &
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
etcd:
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
# start_patroni <i>: Patroni on database host i, as postgres (as the
# supervisor of `marketplace up --ha` runs it); it starts PostgreSQL, or
# rewinds and rejoins it when the node was primary before.
start_patroni() {
  (exec ip netns exec "$(ns "db$1")" runuser -u postgres -- env -i PATH=/usr/bin:/bin \
    HOME=/var/lib/postgresql /usr/bin/patroni "$work/db$1/patroni.yml" \
    >>"$work/db$1/log" 2>&1) &
}
for i in 1 2 3; do start_patroni "$i"; done

# role <i> [from host]: primary, sync, replica or "-" for database host i, as
# its Patroni says (asked from the host itself by default).
role() {
  local i=$1 from=${2:-db$1} a=${addr[db$1]}
  [ "$(get "$from" "http://$a:8008/primary")" = 200 ] && { echo primary; return; }
  [ "$(get "$from" "http://$a:8008/sync")" = 200 ] && { echo sync; return; }
  [ "$(get "$from" "http://$a:8008/replica")" = 200 ] && { echo replica; return; }
  echo -
}
roles() { echo "$(role 1 client) $(role 2 client) $(role 3 client)"; }
wait_roles() {  # until one primary and one synchronous standby, seen from the client
  for _ in $(seq 1 300); do
    r=$(roles)
    [ "$(grep -o primary <<<"$r" | wc -l)" -eq 1 ] && grep -q sync <<<"$r" && return 0
    sleep 0.2
  done
  return 1
}
wait_roles || fatal "no primary with a synchronous standby after 60 s: $(roles)"
ok "cluster up after $((SECONDS - started)) s: $(roles)"


# --- The application hosts: each runs every server; each frontend and the
# payment client reach the replicas on both hosts.
url="postgresql://postgres@${addr[db1]}:5432,${addr[db2]}:5432,${addr[db3]}:5432/postgres"
url+="?target_session_attrs=read-write&connect_timeout=2&keepalives_idle=2&keepalives_interval=1"
url+="&keepalives_count=3&tcp_user_timeout=5000"
both() { echo "${addr[app1]}:$1,${addr[app2]}:$1"; }
head -c 48 /dev/urandom | base64 -w0 >"$work/jwt.key"
declare -A pid=()
# start <app host> <name> <program> <args...>: a server on that host, from
# the host's directory, logging to <host>/<name>.log.
start() {
  local host=$1 name=$2 program=$3
  shift 3
  (cd "$work/$host" && exec ip netns exec "$(ns "$host")" "$bin/$program" "$@" \
    >>"$work/$host/$name.log" 2>&1) &
  pid[$host-$name]=$!
}
start_frontends() {
  local a=${addr[$1]}
  start "$1" seller mp-seller-server --listen "$a:8081" --customer-db "$(both 50051)" \
    --product-db "$(both 50052)" --jwt-key-file jwt.key
  start "$1" buyer mp-buyer-server --listen "$a:8082" --customer-db "$(both 50051)" \
    --product-db "$(both 50052)" --jwt-key-file jwt.key --recovery-age 10 \
    --payment-url "http://$a:8083/,http://${addr[$2]}:8083/"
}
for host in app1 app2; do
  mkdir -p "$work/$host"
  install -m 600 "$work/jwt.key" "$work/$host/jwt.key"
  a=${addr[$host]}
  start "$host" customer-db mp-customer-db --listen "$a:50051" --db-uri "$url" --threads 4
  start "$host" product-db mp-product-db --listen "$a:50052" --db-uri "$url" --threads 4
  start "$host" payment mp-payment --listen "$a:8083" --db-uri "$url" --approval-rate 1 --seed 7
done
start_frontends app1 app2
start_frontends app2 app1
# wait_up <app host>: until its servers answer their health checks (30 s).
wait_up() {
  local a=${addr[$1]}
  for _ in $(seq 1 150); do
    [ "$(get client "http://$a:8081/healthz")" = 200 ] &&
      [ "$(get client "http://$a:8082/healthz")" = 200 ] &&
      [ "$(get client "http://$a:8083/?wsdl")" = 200 ] &&
      on client "$bin/marketplace" health "$a:50051" >/dev/null 2>&1 &&
      on client "$bin/marketplace" health "$a:50052" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}
for host in app1 app2; do
  wait_up "$host" || fatal "the servers on $host did not come up"
done
ok "every server up after $((SECONDS - started)) s"

# --- The load, from the client host: the mixed workload with a journal,
# and account creations whose acknowledgements are recorded.
sellers="http://${addr[app1]}:8081,http://${addr[app2]}:8081"
journal=$work/journal.jsonl
mkdir -p "$work/client"
(cd "$work/client" && exec ip netns exec "$(ns client)" "$bin/marketplace-bench" \
  --seller "$(both 8081)" --buyer "$(both 8082)" --sellers 4 --buyers 8 --items-per-seller 5 \
  --workload mixed --duration 36000 --runs 1 --resilient --retry-wait 100 --timeout 20 \
  --seed 7 --floor-calls 0 --label HA --journal "$journal" --out "$work/client/bench" \
  >"$work/bench.out" 2>&1) &
bench_pid=$!
ha_wait_bench_start "$work/bench.out" "$bench_pid" && ok "mixed workload started" ||
  fatal "marketplace-bench did not start: $(tail -n 5 "$work/bench.out")"
acks=$work/acks
touch "$acks"
on client "$py" "$root/tests/ha/ha_writer.py" write "$sellers" "$acks" "$work/stop" &
writer_pid=$!
wait_for_acks() { ha_wait_for_acks "$@"; }
wait_for_acks 0 20 || fatal "no writes acknowledged"
ok "writes flow"

# check_all LABEL: every acknowledged account is in the database (one
# query), the newest 20 of them log in through the seller servers (a login
# costs an Argon2 hash, over 0.1 s here under the load: all of them would
# take minutes), and the audit is clean.
check_all() {
  ha_check_acks_in_db "$1" on client "$pg_bin/psql" "$url"
  if on client "$py" "$root/tests/ha/ha_writer.py" check "$sellers" "$acks" 20 \
    >"$work/check" 2>&1; then
    ok "$1: $(tail -n 1 "$work/check")"
  else
    fail "$1: $(tail -n 5 "$work/check")"
  fi
  if on app1 "$bin/marketplace" audit --db-url "$url" --in-flight 10 >"$work/audit" 2>&1; then
    ok "$1: audit clean"
  else
    fail "$1: audit: $(tail -n 10 "$work/audit")"
  fi
}
# with_role ROLE: the database host in that role, seen from the client.
with_role() {
  local i
  for i in 1 2 3; do [ "$(role "$i" client)" = "$1" ] && { echo "$i"; return; }; done
}
# kill_db <i>: SIGKILL of host i's Patroni and postmaster, as when the
# machine dies (its sockets are reset here; a machine that vanishes without
# a reset is step 4's).
kill_db() {
  local postmaster
  postmaster=$(head -n 1 "$work/db$1/data/postmaster.pid" 2>/dev/null)
  # Patroni and the runuser above it.
  pkill -KILL -f "/usr/bin/patroni $work/db$1/patroni.yml"
  [ -n "$postmaster" ] && kill -KILL "$postmaster"
}
# rejoin <i>: Patroni started again on host i; until it is a standby (60 s).
rejoin() {
  start_patroni "$1"
  for _ in $(seq 1 300); do
    r=$(role "$1" client)
    [ "$r" = replica ] || [ "$r" = sync ] && { ok "db$1 rejoined as a standby"; return 0; }
    sleep 0.2
  done
  fail "db$1 did not rejoin as a standby within 60 s: $(roles)"
}

# --- 1. The primary's host loses Patroni and PostgreSQL.
old=$(with_role primary)
[ -n "$old" ] || fatal "no primary: $(roles)"
killed=$(date +%s.%N)
kill_db "$old"
if wait_for_acks "$killed" 20; then
  ok "db$old (the primary) killed: writes resumed after $(ha_outage_since "$killed") s"
else
  fail "writes did not resume within 60 s of killing the primary"
fi
new=$(with_role primary)
[ -n "$new" ] && [ "$new" != "$old" ] && ok "db$new promoted" || fail "no standby promoted: $(roles)"
check_all "after the primary's loss"
rejoin "$old"
wait_roles || fail "no primary with a synchronous standby after the rejoin: $(roles)"

# --- 2. The synchronous standby's host loses them.
sync=$(with_role sync)
if [ -n "$sync" ]; then
  killed=$(date +%s.%N)
  kill_db "$sync"
  wait_for_acks "$killed" 20 && ok "db$sync (the synchronous standby) killed: writes went on" ||
    fail "writes stalled after the synchronous standby died"
  check_all "after a standby's loss"
  rejoin "$sync"
  wait_roles || fail "no primary with a synchronous standby after the rejoin: $(roles)"
else
  fail "no synchronous standby: $(roles)"
fi

# --- 3. A seller and a buyer server die on one application host.
for name in seller buyer; do kill -KILL "${pid[app1-$name]}"; done
killed=$(date +%s.%N)
wait_for_acks "$killed" 20 && ok "app1's seller and buyer servers killed: writes went on" ||
  fail "writes stalled after app1's frontends died"
sleep 2  # the workload's sessions move to app2 meanwhile
check_all "after the frontends' loss"
start_frontends app1 app2
wait_up app1 && ok "app1's frontends are back" || fail "app1's frontends did not come back"

# --- 4. The primary's host is cut off the network.
old=$(with_role primary)
[ -n "$old" ] || fatal "no primary: $(roles)"
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
  ok "writes resumed $(ha_outage_since "$cut") s after the cut"
else
  fail "writes did not resume within 60 s of the cut"
fi
new=$(with_role primary)
[ -n "$new" ] && [ "$new" != "$old" ] && ok "db$new promoted" || fail "no standby promoted: $(roles)"

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

# The network comes back.
netns_mend "db$old"
back=""
for _ in $(seq 1 300); do
  r=$(role "$old" client)
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
check_all "after the primary's cut"

# --- 5. The synchronous standby's host is cut off: its connections vanish
# without a reset, so the primary drops them after wal_sender_timeout and
# Patroni names the other standby; commits wait until then, no longer.
sync=$(with_role sync)
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
wait "$writer_pid"
kill -TERM "$bench_pid"
wait "$bench_pid"
bench_rc=$?
[ "$bench_rc" -eq 0 ] && ok "mixed workload: no error beyond the outages (503/504/no reply)" ||
  fail "marketplace-bench exited $bench_rc: $(grep -iE 'error|fail' "$work/bench.out" | tail -n 5)"
if on app1 "$bin/journal_check" --db-url "$url" --journal "$journal" --items-per-seller 5 \
  >"$work/journal_check" 2>&1; then
  ok "$(tail -n 2 "$work/journal_check" | head -n 1)"
else
  fail "journal_check: $(tail -n 20 "$work/journal_check")"
fi
echo "writes: $(ha_acks_since 0) acknowledged, $(awk '$2 == "error"' "$acks" | wc -l) refused or unanswered"
# Once more over every acknowledged write: none may vanish in a later
# failover either.
check_all "at the end"

[ "$failures" -eq 0 ] || { echo "ha_hosts: $failures failures"; exit 1; }
echo "ha_hosts: all passed"
