#!/usr/bin/env bash
# End-to-end: `marketplace up` on free loopback ports (embedded SQLite in a
# temporary directory), then a seller and a buyer drive the real seller-cli
# and buyer-cli, one-shot, the way a script or a new user would.
# Usage: cli_e2e.sh <bin dir>
set -uo pipefail
bin=${1:?usage: cli_e2e.sh <bin dir>}
work=$(mktemp -d /tmp/mp-e2e.XXXXXX)
export HOME=$work XDG_CONFIG_HOME=$work/config
log=$work/up.log
failures=0

# shellcheck source=../../scripts/ports.sh
source "$(dirname "$0")/../../scripts/ports.sh"
read -r seller_port buyer_port cdb_port pdb_port pay_port <<<"$(free_ports 5)"

cleanup() {
  [ -n "${up_pid:-}" ] && kill -TERM "$up_pid" 2>/dev/null && wait "$up_pid" 2>/dev/null
  if [ "$failures" -ne 0 ]; then echo "--- marketplace log"; tail -n 40 "$log"; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/marketplace" up --data-dir "$work/data" --seller-port "$seller_port" \
  --buyer-port "$buyer_port" --customer-db-port "$cdb_port" --product-db-port "$pdb_port" \
  --payment-port "$pay_port" --approval-rate 1 >"$log" 2>&1 &
up_pid=$!
for _ in $(seq 1 300); do
  grep -q "marketplace: up" "$log" && break
  kill -0 "$up_pid" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
grep -q "marketplace: up" "$log" || { echo "marketplace did not come up"; cat "$log"; exit 1; }

seller() { "$bin/seller-cli" --server "127.0.0.1:$seller_port" "$@"; }
buyer() { "$bin/buyer-cli" --server "127.0.0.1:$buyer_port" "$@"; }

# expect <description> <expected exit status> <pattern or ""> -- command...
expect() {
  local what=$1 want_status=$2 pattern=$3
  shift 4
  local out status
  out=$("$@" 2>&1)
  status=$?
  if [ "$status" -ne "$want_status" ] || { [ -n "$pattern" ] && ! grep -qE -- "$pattern" <<<"$out"; }; then
    echo "FAIL: $what (exit $status, wanted $want_status; pattern '$pattern')"
    echo "$out" | head -n 20
    failures=$((failures + 1))
  else
    echo "ok: $what"
  fi
}

# Seller side.
expect "seller creates an account" 0 "" -- seller create-account --username alice --password password1 --name Alice
expect "second account with that name is refused" 1 "username_taken" -- seller create-account --username alice --password password1 --name Alice
expect "wrong password is refused" 1 "unauthenticated" -- seller login --username alice --password wrongpass1
expect "seller logs in" 0 "" -- seller login --username alice --password password1
[ "$(stat -c %a "$XDG_CONFIG_HOME/marketplace/seller.token")" = 600 ] && echo "ok: token file is 0600" ||
  { echo "FAIL: token file mode"; failures=$((failures + 1)); }
expect "seller registers an item" 0 '"item_id":"3-1"' -- seller register --name "Red lamp" --category 3 --keywords red,lamp --condition new --price 12.5 --quantity 5 --json
expect "registering the same item again merges" 0 '"quantity":10' -- seller register --name "Red lamp" --category 3 --keywords LAMP,red --condition new --price 12.50 --quantity 5 --json
expect "seller re-prices exactly" 0 '"price":1234567.89' -- seller set-price 3-1 --price 1234567.89 --json
expect "withdrawing more than left is refused" 1 "insufficient_quantity" -- seller withdraw 3-1 --quantity 11
expect "seller withdraws units" 0 '"quantity":8' -- seller withdraw 3-1 --quantity 2 --json
expect "seller lists items as a table" 0 "Red lamp" -- seller list
expect "seller sees the rating" 0 '"up":0' -- seller rating --json
expect "bad price is refused naming the field" 2 "price" -- seller register --name Shoe --category 3 --condition used --price 1.234 --quantity 1

# Buyer side.
expect "buyer creates an account" 0 "" -- buyer create-account --username bob --password password1 --name Bob
expect "buyer logs in" 0 "" -- buyer login --username bob --password password1
expect "search finds the item" 0 '"id":"3-1".*"score":1' -- buyer search --category 3 --keywords RED,shoe --json
expect "search in another category is empty" 0 '"items":\[\]' -- buyer search --category 4 --json
expect "get item" 0 "Red lamp" -- buyer item 3-1
expect "adding more than in stock is refused" 1 "insufficient_quantity" -- buyer add 3-1 --quantity 9
expect "buyer adds to the cart" 0 '"quantity":3' -- buyer add 3-1 --quantity 3 --json
expect "buyer removes one unit" 0 '"quantity":2' -- buyer remove 3-1 --quantity 1 --json
expect "buyer saves the cart" 0 "" -- buyer save
expect "buyer logs out" 0 "" -- buyer logout
expect "a call after logout needs a login" 1 "" -- buyer cart
expect "buyer logs in again" 0 "" -- buyer login --username bob --password password1
expect "the saved cart comes back" 0 '"item_id":"3-1".*"quantity":2' -- buyer cart --json
expect "voting before buying is refused" 1 "permission_denied" -- buyer feedback 3-1 --vote up
expect "a bad card is declined" 1 "payment_declined" -- buyer purchase --name Bob --card-number 4111111111111112 --expiration 12/30
expect "buyer buys the cart" 0 '"total":2469135.78' -- buyer purchase --name Bob --card-number 4111111111111111 --expiration 12/30 --json
expect "the cart is empty after buying" 0 '"items":\[\]' -- buyer cart --json
expect "history shows the purchase" 0 '"item_id":"3-1".*"quantity":2' -- buyer history --json
expect "buyer votes on the bought item" 0 "" -- buyer feedback 3-1 --vote up
expect "a second vote is refused" 1 "already_rated" -- buyer feedback 3-1 --vote down
expect "seller rating reflects the vote" 0 '"up":1' -- buyer seller-rating 1 --json
expect "stock fell by the units bought" 0 '"quantity":6' -- seller list --json
expect "seller logs out" 0 "" -- seller logout

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
