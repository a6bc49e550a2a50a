#!/usr/bin/env bash
# The web pages in Debian's Chromium (playwright-core and axe-core pinned in
# package.json / package-lock.json, installed with `npm ci`; never a browser
# download): starts its own `marketplace up` (SQLite, approval rate 1) on
# free loopback ports in a temporary directory, runs `node --test` over the
# *.test.mjs files beside this script, stops the system. Screenshots of
# every page go to $MP_ARTIFACTS (default: <build>/browser-artifacts).
# Usage: tests/browser/run_browser_tests.sh <build>/bin   (CTest: Browser.Journeys)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(cd "$1" && pwd)"
cd "$here"

for tool in node npm chromium; do
  if ! command -v "$tool" >/dev/null; then
    echo "browser tests: '$tool' not found; run scripts/setup.sh --no-build" >&2
    exit 1
  fi
done

source "$here/../npm_ci.sh"
mp_npm_ci "browser tests" node_modules/playwright-core

work="$(mktemp -d)"
up_pid=""
cleanup() {
  if [ -n "$up_pid" ]; then
    kill -INT "$up_pid" 2>/dev/null || true
    wait "$up_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=../../scripts/ports.sh
source "$here/../../scripts/ports.sh"
read -r seller_port buyer_port payment_port customer_port product_port <<<"$(free_ports 5)"

"$bin/marketplace" up --data-dir "$work/data" --seller-port "$seller_port" --buyer-port "$buyer_port" \
  --customer-db-port "$customer_port" --product-db-port "$product_port" --payment-port "$payment_port" \
  --approval-rate 1 >"$work/up.log" 2>&1 &
up_pid=$!
for _ in $(seq 1 120); do
  grep -q "marketplace: up" "$work/up.log" && break
  if ! kill -0 "$up_pid" 2>/dev/null; then
    cat "$work/up.log" >&2
    echo "browser tests: marketplace up stopped" >&2
    exit 1
  fi
  sleep 0.5
done
grep -q "marketplace: up" "$work/up.log" || { cat "$work/up.log" >&2; exit 1; }

export MP_SELLER_URL="http://127.0.0.1:$seller_port" MP_BUYER_URL="http://127.0.0.1:$buyer_port"
export MP_ARTIFACTS="${MP_ARTIFACTS:-$bin/../browser-artifacts}"
export MP_CHROMIUM="${MP_CHROMIUM:-$(command -v chromium)}"
status=0
node --test --test-timeout=240000 ./*.test.mjs || status=$?
[ "$status" -eq 0 ] || tail -40 "$work/up.log" >&2
exit "$status"
