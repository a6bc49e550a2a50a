#!/usr/bin/env bash
# The replicated deployment measured in four cases (docs/benchmark/ha/):
# no failure; one seller and one buyer server replica killed; the
# synchronous standby's machine lost; the primary's machine lost. Each case
# runs marketplace-bench's mixed workload (resilient clients: 503/504/no
# reply counted apart, purchases retried with their key) for each scenario
# over every replica of `marketplace up --ha`, the failure injected
# FAULT_AT seconds into the run, the lost machine back after the run. Then
# every acknowledged write is checked (journal_check) and the report written.
# With --single-db-url, the same scenarios without failure on one
# PostgreSQL (`marketplace up --db-url`, one replica of each server) first.
#
# Usage: bench/ha.sh [options] OUT_DIR
#   --scenarios "1 2 3"   scenario presets (default "1 2 3")
#   --cases "none frontends standby primary"   (default: all four)
#   --duration S          seconds per run (default 60)
#   --fault-at S          seconds into the run of the failure (default 20)
#   --single-durable      also run on one PostgreSQL started here and set up
#                         as a replicated node is (fsync on, data checksums,
#                         wal_log_hints, shared_buffers 64MB): the fair
#                         baseline for a tier whose nodes fsync
#   --single-db-url URL   also run on this single PostgreSQL (an empty
#                         database or schema)
#   --bin DIR             binaries (default: build/bin of this repo)
# OUT_DIR/<case>/ holds each case's results and report (marketplace-bench
# --out), OUT_DIR/compare-<case>/ its charts beside the case without
# failure, OUT_DIR/README.md the table of all of them (bench/ha_report.py).
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$repo/build/bin
scenarios="1 2 3"
cases="none frontends standby primary"
duration=60
fault_at=20
single=""
durable=""
out=""
while [ $# -gt 0 ]; do
  case $1 in
    --scenarios) scenarios=$2; shift 2 ;;
    --cases) cases=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --fault-at) fault_at=$2; shift 2 ;;
    --single-db-url) single=$2; shift 2 ;;
    --single-durable) durable=1; shift ;;
    --bin) bin=$2; shift 2 ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    -*) echo "ha.sh: unknown option $1" >&2; exit 2 ;;
    *) out=$1; shift ;;
  esac
done
[ -n "$out" ] || { echo "usage: bench/ha.sh [options] OUT_DIR (see --help)" >&2; exit 2; }
for b in marketplace marketplace-bench journal_check; do
  [ -x "$bin/$b" ] || { echo "ha.sh: no $bin/$b; build first (with tests)" >&2; exit 2; }
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
# shellcheck source=../tests/ha/ha_lib.sh
source "$repo/tests/ha/ha_lib.sh"
work=$(mktemp -d /tmp/mp-ha-bench.XXXXXX)
chmod 755 "$work"  # PostgreSQL runs as postgres when we are root
data=$work/data
up_pid=""
bench_pid=""
cleanup() {
  [ -n "$bench_pid" ] && kill -KILL "$bench_pid" 2>/dev/null
  ha_stop
  [ -n "$up_pid" ] && kill -KILL "$up_pid" 2>/dev/null
  if [ -n "${single_dir:-}" ] && [ -f "$single_dir/data/postmaster.pid" ]; then
    "${single_as[@]}" "$single_bin/pg_ctl" -D "$single_dir/data" -m immediate stop >/dev/null 2>&1
  fi
  rm -rf "$work"
}
trap cleanup EXIT
log() { echo "ha.sh: $*" >&2; }

# run_bench LABEL CASE_DIR SELLERS BUYERS SCENARIO TLS_DIR: starts the
# mixed workload in the background; sets bench_pid; returns once its run
# started.
run_bench() {
  local label=$1 dir=$2 sellers=$3 buyers=$4 scenario=$5 tls=$6
  mkdir -p "$dir"
  "$bin/marketplace-bench" --seller "$sellers" --buyer "$buyers" --scenario "$scenario" \
    --workload mixed --duration "$duration" --runs 1 --resilient --retry-wait 100 --timeout 20 \
    --label "$label" --tls-dir "$tls" --journal "$dir/journal-s$scenario.jsonl" --out "$dir" \
    >"$dir/bench-s$scenario.out" 2>&1 &
  bench_pid=$!
  for _ in $(seq 1 3000); do
    grep -q "run 1 started" "$dir/bench-s$scenario.out" && return 0
    kill -0 "$bench_pid" 2>/dev/null || break
    sleep 0.1
  done
  log "marketplace-bench did not start: $(tail -n 5 "$dir/bench-s$scenario.out")"
  return 1
}

finish_bench() {
  wait "$bench_pid"
  local rc=$?
  bench_pid=""
  [ "$rc" -eq 0 ] || log "marketplace-bench exited $rc (errors beyond outages: see its report)"
}

if [ -n "$durable" ]; then
  # shellcheck source=../scripts/pg_test_server.sh
  source "$repo/scripts/pg_test_server.sh"
  single_dir=$work/single-pg
  mkdir -p "$single_dir"
  single_port=$(free_ports 1)
  single_as=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$single_dir"
    single_as=(runuser -u postgres --)
  fi
  single_bin=$(pg_bindir) || exit 1
  "${single_as[@]}" "$single_bin/initdb" -D "$single_dir/data" -U mp --auth=trust -E UTF8 \
    --data-checksums >"$single_dir/initdb.log" 2>&1 ||
    { log "initdb failed: $(tail -n 5 "$single_dir/initdb.log")"; exit 1; }
  "${single_as[@]}" "$single_bin/pg_ctl" -D "$single_dir/data" -l "$single_dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $single_port -k $single_dir -c shared_buffers=64MB \
        -c max_connections=200 -c wal_log_hints=on" start >/dev/null ||
    { log "the single PostgreSQL did not start: $(tail -n 5 "$single_dir/server.log")"; exit 1; }
  single="postgresql://mp@127.0.0.1:$single_port/postgres"
fi
if [ -n "$single" ]; then
  base=$(ha_free_block) || { log "no free ports"; exit 1; }
  ha_up "$base" "$work/single.log" --db-url "$single" --log-level warn ||
    { log "single did not come up"; cat "$work/single.log"; exit 1; }
  for s in $scenarios; do
    log "single PostgreSQL, scenario $s"
    run_bench "one PostgreSQL" "$out/single" "127.0.0.1:$base" "127.0.0.1:$((base + 1))" "$s" \
      "$data/tls" && finish_bench
    rm -f "$out/single/journal-s$s.jsonl"  # nothing failed: nothing to check
  done
  ha_stop
  rm -rf "$data"
  if [ -n "$durable" ]; then
    "${single_as[@]}" "$single_bin/pg_ctl" -D "$single_dir/data" -m fast stop >/dev/null 2>&1
  fi
fi

status=0
for case in $cases; do
  case $case in
    none) label="no failure" ;;
    frontends) label="seller+buyer replica killed" ;;
    standby) label="DB standby lost" ;;
    primary) label="DB primary lost" ;;
    *) log "unknown case $case"; exit 2 ;;
  esac
  for s in $scenarios; do
    log "$label, scenario $s"
    # A fresh system for every run: runs do not weigh on each other, and
    # the journal's checks see only the run's own data.
    rm -rf "$data"
    base=$(ha_free_block) || { log "no free ports"; exit 1; }
    ha_up "$base" "$work/up.log" --log-level warn ||
      { log "--ha did not come up"; cat "$work/up.log"; exit 1; }
    ha_wait_sync
    sellers="" buyers=""
    for r in 0 1 2 3; do
      sellers+="${sellers:+,}127.0.0.1:$((base + 10 * r))"
      buyers+="${buyers:+,}127.0.0.1:$((base + 1 + 10 * r))"
    done
    url=$(cat "$data/ha/db-url")
    run_bench "$label" "$out/$case" "$sellers" "$buyers" "$s" "$data/tls" ||
      { status=1; ha_stop; continue; }
    sleep "$fault_at"
    killed_node=""
    case $case in
      frontends)
        kill -KILL "$(ha_pid seller-server-2)" "$(ha_pid buyer-server-2)" ;;
      standby)
        read -r killed_node pid <<<"$(ha_node_with_role sync)"
        ha_kill_node "$killed_node" "$pid" ;;
      primary)
        read -r killed_node pid <<<"$(ha_node_with_role primary)"
        ha_kill_node "$killed_node" "$pid" ;;
    esac
    echo "$case s$s $(date +%s.%N) ${killed_node:-}" >>"$out/faults.txt"
    finish_bench
    if [ -n "$killed_node" ]; then
      ha_revive_node "$killed_node" || { log "$killed_node did not rejoin"; status=1; }
    fi
    ha_wait_sync || log "no synchronous standby"
    if "$bin/journal_check" --db-url "$url" --journal "$out/$case/journal-s$s.jsonl" \
      --items-per-seller 20 >"$out/$case/journal-check-s$s.txt" 2>&1; then
      log "journal_check clean"
    else
      log "journal_check: $(tail -n 5 "$out/$case/journal-check-s$s.txt")"
      status=1
    fi
    "$bin/marketplace" audit --data-dir "$data" >"$out/$case/audit-s$s.txt" 2>&1 ||
      { log "audit: $(cat "$out/$case/audit-s$s.txt")"; status=1; }
    # The journals are large (hundreds of MB at scenario 3) and were
    # checked: the verdict stays.
    rm -f "$out/$case/journal-s$s.jsonl"
    ha_stop || log "marketplace up did not stop"
  done
done
# Charts of each failure case beside the run without one.
for case in frontends standby primary single; do
  [ -d "$out/none" ] && [ -d "$out/$case" ] || continue
  "$bin/marketplace-bench" --compare "$out/none" "$out/$case" --out "$out/compare-$case" \
    >/dev/null || status=1
done
python3 "$repo/bench/ha_report.py" "$out" >"$out/README.md" || status=1
log "report in $out/README.md"
exit "$status"
