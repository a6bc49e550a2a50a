#!/usr/bin/env bash
# Runs benchmark scenarios one after another and writes one report of them:
# OUT_DIR/report.md, the charts, and each scenario's raw JSON.
#
# Usage: bench/run.sh [options] OUT_DIR [-- more marketplace-bench flags]
#   --workload read|mixed|both   workloads to run (default both; read first)
#   --scenarios "1 2 3"          scenario presets to run (default "1 2 3")
#   --db-url URL                 start the system on PostgreSQL, not SQLite
#   --running SELLER BUYER       use a system already up (host:port each)
#                                instead of starting one
#   --label TEXT                 names the result set (default SQLite or
#                                PostgreSQL; "running" with --running)
#   --bin DIR                    binaries (default: build/bin of this repo)
#
# Every run measures the floor first (bench/README.md, "The floor"); its
# gRPC hop runs mutual TLS with the started system's files. With --running,
# give the system's files yourself: -- --tls-dir DATA_DIR/tls.
#
# Without --running it starts `marketplace up` on free loopback ports with a
# temporary data directory, and stops it (and removes the directory) at the
# end. Compare two result sets with:
#   marketplace-bench --compare OUT_A OUT_B --out DIR
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$repo/build/bin
workloads="read mixed"
scenarios="1 2 3"
db_url=""
seller=""
buyer=""
label=""
out=""
extra=()
floor_args=()
while [ $# -gt 0 ]; do
  case $1 in
    --workload) [ "$2" = both ] && workloads="read mixed" || workloads=$2; shift 2 ;;
    --scenarios) scenarios=$2; shift 2 ;;
    --db-url) db_url=$2; shift 2 ;;
    --running) seller=$2; buyer=$3; shift 3 ;;
    --label) label=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) out=$1; shift ;;
  esac
done
[ -n "$out" ] || { echo "usage: bench/run.sh [options] OUT_DIR (see --help)" >&2; exit 2; }
[ -x "$bin/marketplace-bench" ] || { echo "run.sh: no $bin/marketplace-bench; build first" >&2; exit 2; }
mkdir -p "$out"

# shellcheck source=bench/up_lib.sh
source "$repo/bench/up_lib.sh"

if [ -z "$seller" ]; then
  bench_up "$bin" bench "$db_url"
  seller=127.0.0.1:$seller_port
  buyer=127.0.0.1:$buyer_port
  # The floor's gRPC hop runs mutual TLS with the system's own files, as its
  # DB services do.
  [ -f "$work/data/tls/ca.pem" ] && floor_args=(--tls-dir "$work/data/tls")
  [ -n "$label" ] || label=$([ -n "$db_url" ] && echo PostgreSQL || echo SQLite)
else
  [ -n "$label" ] || label=running
fi

status=0
for workload in $workloads; do
  for scenario in $scenarios; do
    echo "run.sh: $workload workload, scenario $scenario" >&2
    "$bin/marketplace-bench" --seller "$seller" --buyer "$buyer" --scenario "$scenario" \
      --workload "$workload" --label "$label" --out "$out" "${floor_args[@]}" "${extra[@]}"
    rc=$?
    [ "$rc" -ne 0 ] && { echo "run.sh: marketplace-bench exited $rc" >&2; status=$rc; }
  done
done
echo "run.sh: report in $out/report.md" >&2
exit "$status"
