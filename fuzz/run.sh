#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/CMakeLists.txt) with clang in a build
# directory of their own, then for each target runs every seed of
# fuzz/corpus/<target>/ once and fuzzes for a bounded time.
#
# Usage: fuzz/run.sh [--build-only | --no-build] [--time SECONDS] [target...]
#   (no target: all of them; SECONDS defaults to 20)
# Environment: MP_FUZZ_BUILD_DIR (default build-fuzz).
#
# New inputs go to <build dir>/corpus/<target>, never into fuzz/corpus. A
# crash, leak, UB report, timeout or violated property fails the run and
# leaves the input in <build dir>/artifacts/<target>/: fix the bug, then
# keep the input as fuzz/corpus/<target>/regression-<what>.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${MP_FUZZ_BUILD_DIR:-$root/build-fuzz}
# Every fuzz/<target>_fuzzer.cc is a target (fuzz/CMakeLists.txt builds each).
all_targets=()
for source in "$root"/fuzz/*_fuzzer.cc; do
  name=${source##*/}
  all_targets+=("${name%_fuzzer.cc}")
done

build=1 fuzz=1 seconds=20 targets=()
while (($#)); do
  case "$1" in
    --build-only) fuzz=0 ;;
    --no-build) build=0 ;;
    --time) seconds=$2; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) echo "fuzz/run.sh: unknown flag $1" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
((${#targets[@]})) || targets=("${all_targets[@]}")

if ((build)); then
  if ! command -v clang++ >/dev/null 2>&1; then
    echo "fuzz/run.sh: clang++ not found: the fuzz targets need clang and libFuzzer;" \
      "scripts/setup.sh installs them (packages clang, libclang-rt-14-dev)" >&2
    exit 1
  fi
  probe='extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }'
  if ! echo "$probe" | clang++ -fsanitize=fuzzer,address,undefined -x c++ - -o /dev/null \
    2>/dev/null; then
    echo "fuzz/run.sh: clang++ cannot link libFuzzer with ASan and UBSan;" \
      "scripts/setup.sh installs the runtimes (package libclang-rt-14-dev)" >&2
    exit 1
  fi
  mkdir -p "$build_dir"
  # One build at a time, when several runs start together.
  exec 9>"$build_dir/.build.lock"
  flock 9
  # -O1 and line tables only: quick to build, readable stack traces. The
  # sanitizers come from MP_BUILD_FUZZ (cmake/MpFuzz.cmake).
  cmake -S "$root" -B "$build_dir" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Fuzz \
    -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" -DMP_BUILD_FUZZ=ON -DMP_BUILD_TESTS=OFF \
    -DMP_BUILD_BENCH=OFF -DMP_WITH_POSTGRES=OFF >/dev/null
  cmake --build "$build_dir" --target fuzz_all -j2
  flock -u 9
fi
((fuzz)) || exit 0

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:handle_abort=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
for target in "${targets[@]}"; do
  binary=$build_dir/bin/fuzz_$target
  seeds=$root/fuzz/corpus/$target
  if [ ! -x "$binary" ]; then
    echo "fuzz/run.sh: $binary is missing; run fuzz/run.sh --build-only" >&2
    exit 1
  fi
  work=$build_dir/corpus/$target
  artifacts=$build_dir/artifacts/$target
  log=$build_dir/logs/$target.log
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  dict=()
  [ -f "$root/fuzz/dict/$target.dict" ] && dict=(-dict="$root/fuzz/dict/$target.dict")

  # 1. Every committed seed and regression input, once each.
  mapfile -t files < <(find "$seeds" -type f | sort)
  if ! "$binary" "${dict[@]}" -timeout=10 "${files[@]}" >"$log" 2>&1; then
    echo "fuzz $target: FAILED on a committed input (log: $log)" >&2
    tail -n 40 "$log" >&2
    status=1
    continue
  fi
  # 2. Fuzzing for a bounded time; libFuzzer writes new inputs to $work only.
  if ! "$binary" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=16384 -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$work" "$seeds" >>"$log" 2>&1; then
    echo "fuzz $target: FAILED; input saved in $artifacts (log: $log)" >&2
    grep -m1 -A40 -E '^==[0-9]+==ERROR|runtime error|property violated|deadly signal|timeout' \
      "$log" >&2 || tail -n 40 "$log" >&2
    status=1
    continue
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  echo "fuzz $target: ok, ${#files[@]} seeds, ${runs:-?} runs in ${seconds}s" \
    "(corpus $(find "$work" -type f | wc -l) inputs)"
done
exit "$status"
