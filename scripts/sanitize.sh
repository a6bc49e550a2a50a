#!/usr/bin/env bash
# Sanitizer builds (README "Hardening checks"), each in a build directory of
# its own, with the private PostgreSQL of test.sh:
#   scripts/sanitize.sh address  build-asan: AddressSanitizer, LeakSanitizer and
#                                UndefinedBehaviorSanitizer; the full CTest suite
#   scripts/sanitize.sh thread   build-tsan: ThreadSanitizer; the concurrency
#                                tests (storage, services, HTTP)
# Extra arguments go to ctest (e.g. -R ConcurrencyTest). Slow on two cores, so
# not part of `./marketplace test`. CXX picks the compiler (default: c++).
# gRPC, protobuf and libpq are not instrumented: scripts/lsan.supp and
# scripts/tsan.supp silence findings inside them, and only there.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

mode=${1:-}
[ $# -gt 0 ] && shift
# The suites that run threads against each other: the storage ConcurrencyTest,
# the services' concurrent cart/stock tests, concurrent purchases and retries
# on real processes, and every HTTP test (real Beast servers, gRPC callbacks
# posted back to io threads, sessions, throttling), and the batching of
# concurrent calls into one RPC (rpc::Batcher, batched product reads).
tsan_tests='ConcurrencyTest\.|\.Concurrent|RetryTest|SellerApiTest|BuyerApiTest|SessionTest|LoginThrottleTest|HttpClientTest|BatcherTest|BatchedReads'
case "$mode" in
  address)
    build_dir=${MP_ASAN_BUILD_DIR:-$root/build-asan}
    flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
    # FuzzSmoke runs the fuzzers, which are sanitized builds of their own.
    select=(-E '^FuzzSmoke\.')
    ;;
  thread)
    build_dir=${MP_TSAN_BUILD_DIR:-$root/build-tsan}
    flags="-fsanitize=thread"
    # gcc warns that TSan does not model atomic_thread_fence (in libstdc++).
    extra_cxx_flags="-Wno-tsan"
    select=(-R "$tsan_tests")
    ;;
  *)
    echo "usage: scripts/sanitize.sh address|thread [ctest arguments]" >&2
    exit 2
    ;;
esac

# Also in force while the build runs: gtest_discover_tests runs each test
# binary to list its cases.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/scripts/lsan.supp:print_suppressions=0}
export TSAN_OPTIONS=${TSAN_OPTIONS:-suppressions=$root/scripts/tsan.supp:print_suppressions=0:second_deadlock_stack=1:history_size=4}

scripts/setup.sh --no-build
# -O1 keeps the sanitized tests quick enough; -g1 gives line numbers in
# reports. --as-needed links as a plain build does: Debian's gcc passes it
# by default but not with -fsanitize, and without it every binary that has
# no SOAP code still loads libgsoapssl++, whose callbacks into the generated
# code (soap/) are then unresolved. The benchmark tool is not a test.
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Sanitize -DMP_BUILD_TESTS=ON -DMP_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="-O1 -g1 $flags ${extra_cxx_flags:-}" -DCMAKE_EXE_LINKER_FLAGS="$flags -Wl,--as-needed" \
  ${MP_CMAKE_ARGS:-} >/dev/null
cmake --build "$build_dir" -j2

# shellcheck source=scripts/pg_test_server.sh
source "$root/scripts/pg_test_server.sh"
pg_test_server_start
trap pg_test_server_stop EXIT
export MP_TEST_PG_URI=$PG_TEST_URI
echo "sanitize ($mode): PostgreSQL at $MP_TEST_PG_URI" >&2

# Every process writes its reports to files here, the servers that tests
# start included (their stderr goes to logs the tests delete): a report from
# any of them fails the run, even when its test passed.
reports=$build_dir/sanitizer-reports
rm -rf "$reports"
mkdir -p "$reports"
export ASAN_OPTIONS=$ASAN_OPTIONS:log_path=$reports/asan
export UBSAN_OPTIONS=$UBSAN_OPTIONS:log_path=$reports/ubsan
export TSAN_OPTIONS=$TSAN_OPTIONS:log_path=$reports/tsan

cd "$build_dir"
status=0
ctest --output-on-failure -j2 --timeout 1800 "${select[@]}" "$@" || status=$?
if [ -n "$(ls -A "$reports")" ]; then
  echo "sanitize ($mode): reports in $reports:" >&2
  for f in "$reports"/*; do
    echo "----- $f" >&2
    head -n 60 "$f" >&2
  done
  status=1
fi
exit "$status"
