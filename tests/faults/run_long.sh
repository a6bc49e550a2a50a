#!/usr/bin/env bash
# The long version of the fault test (tests/faults/fault_test.cc): more
# clients, longer load between faults, every component killed several
# times, on SQLite and on PostgreSQL. Appends the measured outages to REPORT
# (Markdown; docs/faults.md holds a copy of the last results) and prints it.
#
# Usage: tests/faults/run_long.sh [--build DIR] [--engine sqlite|postgres|both] [REPORT]
#   --build DIR   build directory with fault_test and the servers (default: build)
#   --engine E    which engine(s) to run (default: both)
#   REPORT        where the results go (default: faults-report.md)
# The length comes from MP_FAULT_SETTLE_S (default here 10 s of load before
# the first kill and after each restart), MP_FAULT_ROUNDS (3 kills of each
# component), MP_FAULT_SELLERS and MP_FAULT_BUYERS (4 and 8 clients).
# About 4 minutes per engine with the defaults.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$root/build
engine=both
report=faults-report.md
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --engine) engine=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "run_long.sh: unknown option $1" >&2; exit 2 ;;
    *) report=$1; shift ;;
  esac
done
case $engine in
  both) filter='Engines/FaultTest.*' ;;
  sqlite|postgres) filter="Engines/FaultTest.*/$engine" ;;
  *) echo "run_long.sh: --engine is sqlite, postgres or both" >&2; exit 2 ;;
esac
[ -x "$build/bin/fault_test" ] ||
  { echo "run_long.sh: no $build/bin/fault_test; build with -DMP_BUILD_TESTS=ON" >&2; exit 2; }

if [ "$engine" != sqlite ] && [ -z "${MP_TEST_PG_URI:-}" ]; then
  # The PostgreSQL case asks for the suite's server as ctest would give it,
  # then runs on a server of its own that it crashes.
  # shellcheck source=../../scripts/pg_test_server.sh
  source "$root/scripts/pg_test_server.sh"
  pg_test_server_start
  trap pg_test_server_stop EXIT
  export MP_TEST_PG_URI=$PG_TEST_URI
fi

export MP_TEST_BIN_DIR=$build/bin
export MP_FAULT_SETTLE_S=${MP_FAULT_SETTLE_S:-10}
export MP_FAULT_ROUNDS=${MP_FAULT_ROUNDS:-3}
export MP_FAULT_SELLERS=${MP_FAULT_SELLERS:-4}
export MP_FAULT_BUYERS=${MP_FAULT_BUYERS:-8}
export MP_FAULT_REPORT
MP_FAULT_REPORT=$(realpath -m "$report")
{
  echo "## $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname) ($(nproc) CPUs)"
  echo
} >>"$MP_FAULT_REPORT"
status=0
"$build/bin/fault_test" --gtest_filter="$filter" || status=$?
cat "$MP_FAULT_REPORT"
exit "$status"
