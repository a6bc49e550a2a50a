#!/usr/bin/env bash
# Quick test of `marketplace-bench --floor`: 200 round trips per hop, with
# the gRPC hop over a Unix socket (the default), then over TCP plaintext,
# then TCP with mutual TLS (a CA and certificates made by `marketplace
# certs` in a temporary directory). Checks the exit status
# and that both hops and the floor are printed; timings are not judged.
# Usage: floor_test.sh <bin dir>
set -uo pipefail
bin=${1:?usage: floor_test.sh <bin dir>}
work=$(mktemp -d /tmp/mp-bench-floor.XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

check() {  # name, the gRPC hop's label, then the flags
  local name=$1 label=$2; shift 2
  "$bin/marketplace-bench" --floor --floor-calls 200 "$@" >"$work/$name.md" 2>"$work/$name.err"
  local status=$?
  if [ "$status" -ne 0 ]; then
    fail "$name: exited $status"; cat "$work/$name.err" "$work/$name.md"; return
  fi
  local want
  for want in "^## The floor" "^| HTTP | 200 |" "^| gRPC ($label) | 200 |" "^| \*\*floor\*\* "; do
    grep -q "$want" "$work/$name.md" || { fail "$name: no line matching $want"; cat "$work/$name.md"; }
  done
  echo "ok: $name"
}

check unix "Unix socket"
check plaintext plaintext --floor-grpc tcp
"$bin/marketplace" certs --out "$work/tls" --hosts 127.0.0.1 >"$work/certs.log" 2>&1 ||
  { cat "$work/certs.log"; fail "marketplace certs"; }
check tls "mutual TLS" --floor-grpc tcp --tls-dir "$work/tls"
"$bin/marketplace-bench" --floor --floor-grpc udp >/dev/null 2>"$work/bad.err" &&
  fail "--floor-grpc udp was accepted"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
