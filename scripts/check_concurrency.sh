#!/usr/bin/env bash
# The long version of the randomized concurrency checker
# (tests/faults/concurrency_check_test.cc): more clients, a longer run and
# more SIGKILLs of random servers, on SQLite and on PostgreSQL. Prints the
# seed first and a summary line per engine ("[ checker  ] ..."); a failure
# replays with MP_CHECK_SEED=<seed> and the same settings.
#
# Usage: scripts/check_concurrency.sh [--build DIR] [--engine sqlite|postgres|both]
#   --build DIR   build directory with fault_test and the servers (default: build)
#   --engine E    which engine(s) to run (default: both)
# Settings (environment, defaults here): MP_CHECK_SEED (random),
# MP_CHECK_DURATION_S (120 s of load per engine), MP_CHECK_CLIENTS (12 buyer
# clients), MP_CHECK_KILLS (20 kills per engine), MP_CHECK_ITEMS (8).
# The same variables work for fault_test run directly; its defaults are the
# suite's short version (20 s, 6 clients, 5 kills).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build
engine=both
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --engine) engine=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "check_concurrency.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case $engine in
  both) filter='Engines/ConcurrencyCheckTest.*' ;;
  sqlite|postgres) filter="Engines/ConcurrencyCheckTest.*/$engine" ;;
  *) echo "check_concurrency.sh: --engine is sqlite, postgres or both" >&2; exit 2 ;;
esac
[ -x "$build/bin/fault_test" ] ||
  { echo "check_concurrency.sh: no $build/bin/fault_test; build with -DMP_BUILD_TESTS=ON" >&2; exit 2; }

if [ "$engine" != sqlite ] && [ -z "${MP_TEST_PG_URI:-}" ]; then
  # shellcheck source=pg_test_server.sh
  source "$root/scripts/pg_test_server.sh"
  pg_test_server_start
  trap pg_test_server_stop EXIT
  export MP_TEST_PG_URI=$PG_TEST_URI
fi

export MP_TEST_BIN_DIR=$build/bin
# One seed for both engines, so that a failure on either replays with it.
if [ -z "${MP_CHECK_SEED:-}" ]; then
  MP_CHECK_SEED=$(( (RANDOM << 30) | (RANDOM << 15) | RANDOM ))
fi
export MP_CHECK_SEED
export MP_CHECK_DURATION_S=${MP_CHECK_DURATION_S:-120}
export MP_CHECK_CLIENTS=${MP_CHECK_CLIENTS:-12}
export MP_CHECK_KILLS=${MP_CHECK_KILLS:-20}
echo "check_concurrency.sh: MP_CHECK_SEED=$MP_CHECK_SEED MP_CHECK_DURATION_S=$MP_CHECK_DURATION_S" \
  "MP_CHECK_CLIENTS=$MP_CHECK_CLIENTS MP_CHECK_KILLS=$MP_CHECK_KILLS"
status=0
"$build/bin/fault_test" --gtest_filter="$filter" || status=$?
[ "$status" -eq 0 ] || echo "check_concurrency.sh: FAILED; replay with MP_CHECK_SEED=$MP_CHECK_SEED" \
  "MP_CHECK_DURATION_S=$MP_CHECK_DURATION_S MP_CHECK_CLIENTS=$MP_CHECK_CLIENTS MP_CHECK_KILLS=$MP_CHECK_KILLS"
exit "$status"
