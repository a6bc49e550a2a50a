#!/usr/bin/env bash
# Builds everything (tests included) and runs the whole suite with CTest,
# against SQLite files and a private PostgreSQL server started here on its
# own port and data directory (stopped again on exit).
# Usage: scripts/test.sh [extra ctest arguments]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build_dir=${MP_BUILD_DIR:-$root/build}

MP_BUILD_DIR=$build_dir MP_CMAKE_ARGS="-DMP_BUILD_TESTS=ON -DMP_WERROR=ON ${MP_CMAKE_ARGS:-}" \
  scripts/setup.sh

# shellcheck source=scripts/pg_test_server.sh
source "$root/scripts/pg_test_server.sh"
pg_test_server_start
trap pg_test_server_stop EXIT

export MP_TEST_PG_URI=$PG_TEST_URI
echo "test: PostgreSQL at $MP_TEST_PG_URI" >&2
cd "$build_dir"
ctest --output-on-failure -j2 --timeout 600 "$@"
