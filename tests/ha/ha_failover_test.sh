#!/usr/bin/env bash
# The replicated deployment, `marketplace up --ha`, on one host: PostgreSQL
# on three nodes under Patroni with etcd, every server replicated. Under a
# stream of writes (seller accounts, through the seller server replicas):
#   1. SIGKILL of the primary's Patroni and postmaster: a standby is
#      promoted, writes resume (the outage is printed), and `marketplace
#      status` names the new primary;
#   2. SIGKILL of a standby's Patroni and postmaster: writes go on;
#   3. SIGKILL of the primary's Patroni alone: its postmaster is stopped
#      (no primary goes on unwatched), writes go on;
#   4. SIGKILL of a seller server replica: writes go on through the others.
# After each, every acknowledged account is in the database, the newest
# 20 log in, and `marketplace audit` is clean; at the end every acknowledged write of the journal is in the
# database (journal_check, the fault test's checks). SIGINT then stops
# everything, leaving no process behind.
# Usage: ha_failover_test.sh <bin dir>
set -uo pipefail
bin=${1:?usage: ha_failover_test.sh <bin dir>}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../scripts/pg_test_server.sh
source "$here/../../scripts/pg_test_server.sh"
pg_bin=$(pg_bindir) || exit 1
work=$(mktemp -d /tmp/mp-ha.XXXXXX)
# PostgreSQL runs as the postgres user when we are root: it must reach the
# data directory.
chmod 755 "$work"
export HOME=$work
failures=0
up_pid=""
writer_pid=""
bench_pid=""

t0=$SECONDS
# Each line says when it happened, so a slow step shows in a log of a timeout.
fail() { echo "FAIL [$((SECONDS - t0)) s]: $*"; failures=$((failures + 1)); }
ok() { echo "ok [$((SECONDS - t0)) s]: $*"; }
leftovers() { pgrep -f -- "$work/" || true; }

cleanup() {
  [ -n "$writer_pid" ] && kill "$writer_pid" 2>/dev/null
  [ -n "$bench_pid" ] && kill -KILL "$bench_pid" 2>/dev/null
  [ -n "$up_pid" ] && kill -KILL "$up_pid" 2>/dev/null
  sleep 1
  for pid in $(leftovers); do kill -KILL "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=ha_lib.sh
source "$here/ha_lib.sh"
base=$(ha_free_block) || { echo "FAIL: no block of free ports"; exit 1; }

data=$work/data
log=$work/up.log
started=$(date +%s)
ha_up "$base" "$log" --approval-rate 1
if ! grep -q "marketplace: up" "$log"; then
  echo "FAIL: marketplace up --ha did not come up"
  cat "$log"
  tail -n 30 "$data"/ha/log/*.log 2>/dev/null
  exit 1
fi
ok "marketplace up --ha came up in $(($(date +%s) - started)) s"

status() { ha_status; }
node_with_role() { ha_node_with_role "$1"; }

# Patroni picks the synchronous standby a moment after the cluster is up.
ha_wait_sync
if status >"$work/status" && [ "$(grep -c ' primary ' "$work/status")" -eq 1 ] &&
  [ "$(grep -c ' sync ' "$work/status")" -eq 1 ] && [ "$(grep -c ' replica ' "$work/status")" -eq 1 ]; then
  ok "status: every process healthy, one primary, one synchronous standby, one more standby"
else
  fail "status after start"
  cat "$work/status"
fi

sellers="" bench_sellers="" bench_buyers=""
for r in 0 1 2 3; do
  sellers+="${sellers:+,}http://127.0.0.1:$((base + 10 * r))"
  bench_sellers+="${bench_sellers:+,}127.0.0.1:$((base + 10 * r))"
  bench_buyers+="${bench_buyers:+,}127.0.0.1:$((base + 1 + 10 * r))"
done
journal=$work/journal.jsonl
"$bin/marketplace-bench" --seller "$bench_sellers" --buyer "$bench_buyers" --sellers 4 \
  --buyers 8 --items-per-seller 5 --workload mixed --duration 36000 --runs 1 --resilient \
  --retry-wait 100 --timeout 20 --seed 7 --floor-calls 0 --label HA --journal "$journal" \
  --out "$work/bench" >"$work/bench.out" 2>&1 &
bench_pid=$!
ha_wait_bench_start "$work/bench.out" "$bench_pid" && ok "mixed workload started" ||
  { fail "marketplace-bench did not start: $(tail -n 5 "$work/bench.out")"; bench_pid=""; }
acks=$work/acks
touch "$acks"
python3 "$here/ha_writer.py" write "$sellers" "$acks" "$work/stop" &
writer_pid=$!

acks_since() { ha_acks_since "$@"; }
wait_for_acks() { ha_wait_for_acks "$@"; }

kill_node() { ha_kill_node "$@"; }
revive_node() {
  if ha_revive_node "$1"; then ok "$1 is back, as a standby"; else
    fail "$1 did not rejoin as a standby within 60 s"; fi
}

# check_all LABEL: every acknowledged account is in the database (one
# query), the newest 20 of them log in through the seller servers (a login
# costs an Argon2 hash, over 0.1 s here under the load: all of them would
# take minutes), and the audit is clean.
check_all() {
  ha_check_acks_in_db "$1" "$pg_bin/psql" "$(cat "$data/ha/db-url")"
  if python3 "$here/ha_writer.py" check "$sellers" "$acks" 20 \
    >"$work/check" 2>&1; then
    ok "$1: $(tail -n 1 "$work/check")"
  else
    fail "$1: $(tail -n 5 "$work/check")"
  fi
  if "$bin/marketplace" audit --data-dir "$data" --in-flight 10 >"$work/audit" 2>&1; then
    ok "$1: audit clean"
  else
    fail "$1: audit: $(cat "$work/audit")"
  fi
}

wait_for_acks 0 20 || fail "no writes acknowledged before any failure"

# 1. The primary dies, HA_PRIMARY_KILLS times (default 1; scripts/ha_outage.sh
# asks for more), each time brought back before the next.
outages=()
for round in $(seq 1 "${HA_PRIMARY_KILLS:-1}"); do
  read -r primary primary_pid <<<"$(node_with_role primary)"
  [ -n "${primary:-}" ] || fail "no primary in status"
  before=$(date +%s.%N)
  wait_for_acks "$before" 5 || fail "round $round: no writes before the kill"
  killed=$(date +%s.%N)
  kill_node "$primary" "$primary_pid"
  if wait_for_acks "$killed" 20; then
    outage=$(ha_outage_since "$killed")
    outages+=("$outage")
    ok "round $round: primary $primary killed: writes resumed after $outage s"
  else
    fail "round $round: writes did not resume within 60 s of killing the primary"
  fi
  read -r new_primary _ <<<"$(node_with_role primary)"
  if [ -n "${new_primary:-}" ] && [ "$new_primary" != "$primary" ]; then
    ok "status names the new primary: $new_primary"
  else
    fail "status shows primary '${new_primary:-}' after $primary died"
  fi
  check_all "after the primary's loss"
  revive_node "$primary"
done
echo "write outages after the primary's SIGKILL (s): ${outages[*]}"

# 2. The synchronous standby dies (the supervisor restarts its Patroni,
# which rejoins): the primary waits for a standby at each commit, so Patroni
# must name another.
standby=""
ha_wait_sync || fail "no synchronous standby after the failover"
read -r standby standby_pid <<<"$(node_with_role sync)"
killed=$(date +%s.%N)
kill_node "$standby" "$standby_pid"
wait_for_acks "$killed" 20 && ok "standby $standby killed: writes went on" ||
  fail "writes stalled after a standby died"
check_all "after a standby's loss"
revive_node "$standby"

# 3. Patroni alone dies on the primary: the supervisor stops the
# PostgreSQL server it leaves (which must not go on as a primary nobody
# watches) and starts Patroni again.
read -r primary primary_pid <<<"$(node_with_role primary)"
n=${primary#postgres}
postmaster=$(head -n 1 "$data/ha/pg$n/data/postmaster.pid")
killed=$(date +%s.%N)
kill -KILL "$primary_pid"
gone=""
for _ in $(seq 1 100); do
  kill -0 "$postmaster" 2>/dev/null || { gone=1; break; }
  sleep 0.1
done
[ -n "$gone" ] && ok "Patroni of $primary killed alone: its postmaster was stopped" ||
  fail "the postmaster of $primary outlived its Patroni by 10 s"
wait_for_acks "$killed" 20 && ok "writes went on" || fail "writes stalled after Patroni alone died"
primaries=$(status | awk '$4 == "primary"' | wc -l)
[ "$primaries" -eq 1 ] && ok "one primary" || fail "$primaries primaries"
check_all "after Patroni's loss"

# 4. A seller server replica dies.
seller_pid=$(ha_pid seller-server-2)
killed=$(date +%s.%N)
kill -KILL "$seller_pid"
wait_for_acks "$killed" 20 && ok "seller server replica killed: writes went on" ||
  fail "writes stalled after a seller server replica died"

touch "$work/stop"
wait "$writer_pid"
writer_pid=""
if [ -n "$bench_pid" ]; then
  kill -TERM "$bench_pid"
  wait "$bench_pid"
  bench_rc=$?
  bench_pid=""
  [ "$bench_rc" -eq 0 ] && ok "mixed workload: no error beyond outages (503/504/no reply)" ||
    fail "marketplace-bench exited $bench_rc: $(grep -iE 'error|fail' "$work/bench.out" | tail -n 5)"
  if "$bin/journal_check" --db-url "$(cat "$data/ha/db-url")" --journal "$journal" \
    --items-per-seller 5 >"$work/journal_check" 2>&1; then
    ok "$(tail -n 2 "$work/journal_check" | head -n 1)"
  else
    fail "journal_check: $(tail -n 20 "$work/journal_check")"
  fi
fi
errors=$(awk '$2 == "error"' "$acks" | wc -l)
echo "writes: $(acks_since 0) acknowledged, $errors refused or unanswered"
# Once more over every acknowledged write: none may vanish in a later
# failover either.
check_all "at the end"

# Every killed process is back: the supervisor restarts them.
sleep 3
for _ in $(seq 1 60); do
  status >"$work/status" && break
  sleep 1
done
if status >"$work/status"; then
  ok "status: every process healthy again"
else
  fail "not every process came back"
  cat "$work/status"
fi

ha_stop || fail "marketplace up still runs 60 s after SIGINT"
sleep 1
if [ -z "$(leftovers)" ]; then
  ok "SIGINT stopped every process"
else
  fail "left behind: $(leftovers | xargs ps -o pid=,args= -p 2>/dev/null)"
fi

if [ "$failures" -gt 0 ]; then
  echo "ha_failover_test: $failures failures"
  exit 1
fi
echo "ha_failover_test: all passed"
