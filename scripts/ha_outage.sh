#!/usr/bin/env bash
# The write outage of the replicated deployment after its primary's SIGKILL,
# measured N times in a row (default 5) on one `marketplace up --ha`, with
# the median: tests/ha/ha_failover_test.sh with HA_PRIMARY_KILLS=N.
# Usage: scripts/ha_outage.sh [N] [bin dir]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-5}
bin=${2:-$root/build/bin}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
HA_PRIMARY_KILLS=$n "$root/tests/ha/ha_failover_test.sh" "$bin" | tee "$out"
grep '^write outages' "$out" | sed 's/.*: //' | tr ' ' '\n' | sort -n |
  awk '{v[NR] = $1} END {if (NR) printf "median write outage over %d kills: %.1f s\n", NR, (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'
