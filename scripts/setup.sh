#!/usr/bin/env bash
# Installs every Debian 12 package the project needs (idempotent), then builds
# Release with -j2. Usage: scripts/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config git python3
  iproute2 procps  # multi-host test (ip netns), launcher test (pgrep)
  protobuf-compiler libprotobuf-dev protobuf-compiler-grpc libgrpc++-dev libabsl-dev
  libboost1.81-dev libboost-program-options1.81-dev libboost-json1.81-dev
  libsqlite3-dev libpq-dev postgresql
  patroni etcd-server  # marketplace up --ha: PostgreSQL under Patroni, etcd as its store
  libgtest-dev libgmock-dev
  libspdlog-dev libfmt-dev
  gsoap libgsoap-dev libssl-dev  # libgsoapssl++ and OpenSSL: TLS between the services
  libsodium-dev libjwt-dev libreadline-dev libedit-dev
  clang libclang-rt-14-dev  # fuzz/run.sh: clang with libFuzzer and the sanitizer runtimes
  gnuplot-nox
  chromium  # tests/browser: the web pages in a real browser
)
# Node.js and npm run the OpenAPI lint (tests/openapi/lint.sh). Debian's
# packages only when there is no npm yet: a node installed from elsewhere
# (e.g. NodeSource, which bundles npm) is kept and not fought with.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi

[ "${1:-}" = "--no-build" ] && exit 0

build_dir=${MP_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release ${MP_CMAKE_ARGS:-} >/dev/null
cmake --build "$build_dir" -j2
