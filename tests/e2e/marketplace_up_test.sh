#!/usr/bin/env bash
# `marketplace up` as a user runs it, on free loopback ports:
#   - it prints the commands that start the CLIs, and those commands work;
#   - a component that dies is restarted;
#   - SIGTERM, SIGINT, and even SIGKILL of `marketplace` itself, leave no
#     child process behind;
#   - with `postgres`, --db-url puts both DB services and the payment service
#     on the PostgreSQL of MP_TEST_PG_URI (a fresh schema; fails without it);
#   - the services talk mutual TLS with certificates made in <data-dir>/tls
#     (keys 0600, kept across starts), refuse a plaintext client and a DB
#     service's own certificate, and no key is on a command line or in a log;
#   - the REST servers reach the DB services on Unix sockets (0600, in a
#     0700 <data-dir>/run), and `--no-unix` puts that hop on TCP;
#   - with --https the REST servers speak HTTPS and the printed CLI commands
#     (with --ca) work.
# Usage: marketplace_up_test.sh <bin dir> sqlite|postgres
set -uo pipefail
bin=${1:?usage: marketplace_up_test.sh <bin dir> sqlite|postgres}
engine=${2:?usage: marketplace_up_test.sh <bin dir> sqlite|postgres}
work=$(mktemp -d /tmp/mp-up.XXXXXX)
export HOME=$work XDG_CONFIG_HOME=$work/config
failures=0
schema=""
up_pid=""

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

# shellcheck source=../../scripts/ports.sh
source "$(dirname "$0")/../../scripts/ports.sh"

# The pids of processes whose command line mentions our work directory or
# one of the current run's ports: whatever our `marketplace up` started.
ports="none"
leftovers() { pgrep -f -- "$work/data|127\.0\.0\.1:($ports)( |$)" || true; }

cleanup() {
  [ -n "$up_pid" ] && kill -KILL "$up_pid" 2>/dev/null
  for pid in $(leftovers); do kill -KILL "$pid" 2>/dev/null; done
  [ -n "$schema" ] && psql -q "$MP_TEST_PG_URI" -c "DROP SCHEMA $schema CASCADE" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

up_args=()
if [ "$engine" = postgres ]; then
  if [ -z "${MP_TEST_PG_URI:-}" ]; then
    echo "FAIL: MP_TEST_PG_URI is not set. Run ./marketplace test (it starts a private" \
      "PostgreSQL), or start one with scripts/pg_test_server.sh and export its URI."
    exit 1
  fi
  schema="up_$(date +%s)_$$"
  psql -q "$MP_TEST_PG_URI" -c "CREATE SCHEMA $schema" >/dev/null ||
    { echo "FAIL: cannot create schema $schema on $MP_TEST_PG_URI"; exit 1; }
  sep='?'
  [[ $MP_TEST_PG_URI == *\?* ]] && sep='&'
  up_args=(--db-url "$MP_TEST_PG_URI${sep}options=-csearch_path%3D$schema")
fi

# start_up <log> [flag...]: starts `marketplace up` on fresh ports; sets
# up_pid, ports.
start_up() {
  log=$1
  shift
  read -r seller_port buyer_port cdb_port pdb_port pay_port <<<"$(free_ports 5)"
  ports="$seller_port|$buyer_port|$cdb_port|$pdb_port|$pay_port"
  "$bin/marketplace" up --data-dir "$work/data" --seller-port "$seller_port" \
    --buyer-port "$buyer_port" --customer-db-port "$cdb_port" --product-db-port "$pdb_port" \
    --payment-port "$pay_port" --approval-rate 1 "${up_args[@]}" "$@" >"$log" 2>&1 &
  up_pid=$!
  for _ in $(seq 1 300); do
    if grep -q "marketplace: up" "$log"; then
      # The check for leftovers must see what runs now, or it proves nothing.
      [ "$(leftovers | wc -l)" -ge 6 ] || fail "leftovers() does not see the components"
      return 0
    fi
    kill -0 "$up_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "FAIL: marketplace did not come up"
  cat "$log"
  exit 1
}

# stop_up <signal>: signals `marketplace`, which must exit 0 within 20 s
# leaving no component running.
stop_up() {
  local sig=$1 children
  children=$(pgrep -P "$up_pid" | tr '\n' ' ')
  [ "$(wc -w <<<"$children")" -eq 5 ] && ok "five components run as children ($children)" ||
    fail "expected five children, found: $children"
  kill "-$sig" "$up_pid"
  local status=0
  for _ in $(seq 1 200); do kill -0 "$up_pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$up_pid" 2>/dev/null; then
    fail "marketplace still runs 20 s after SIG$sig"
  else
    wait "$up_pid"; status=$?
    [ "$status" -eq 0 ] && ok "SIG$sig: marketplace exited 0" ||
      fail "SIG$sig: marketplace exited $status"
  fi
  up_pid=""
  local left=""
  for pid in $children; do kill -0 "$pid" 2>/dev/null && left+=" $pid"; done
  left+=$(leftovers | tr '\n' ' ')
  [ -z "${left// /}" ] && ok "SIG$sig: no component left running" ||
    fail "SIG$sig left processes running:$left ($(ps -o pid,cmd -p "${left// /,}" 2>/dev/null))"
}

# --- 1. up, the printed CLI commands, restart of a dead component, SIGTERM.
start_up "$work/up1.log"
seller_cmd=$(grep -oE '\S*/seller-cli --server \S+' "$work/up1.log")
buyer_cmd=$(grep -oE '\S*/buyer-cli --server \S+' "$work/up1.log")
[ "$seller_cmd" = "$bin/seller-cli --server 127.0.0.1:$seller_port" ] &&
  ok "prints the seller-cli command: $seller_cmd" || fail "seller-cli command: '$seller_cmd'"
[ "$buyer_cmd" = "$bin/buyer-cli --server 127.0.0.1:$buyer_port" ] &&
  ok "prints the buyer-cli command: $buyer_cmd" || fail "buyer-cli command: '$buyer_cmd'"

# run <description> <pattern> -- command...: the command must succeed and
# print the pattern.
run() {
  local what=$1 pattern=$2 out
  shift 3
  if out=$("$@" 2>&1) && grep -qE -- "$pattern" <<<"$out"; then ok "$what"; else
    fail "$what"; echo "$out" | head -n 10
  fi
}
read -ra seller <<<"$seller_cmd"
read -ra buyer <<<"$buyer_cmd"
run "seller signs up through the printed command" "" -- \
  "${seller[@]}" create-account --username alice --password password1 --name Alice
run "seller logs in" "" -- "${seller[@]}" login --username alice --password password1
run "seller registers an item" '"item_id":"2-1"' -- "${seller[@]}" register --name Kettle \
  --category 2 --keywords steel --condition new --price 20 --quantity 4 --json
run "buyer signs up" "" -- "${buyer[@]}" create-account --username bob --password password1 --name Bob
run "buyer logs in" "" -- "${buyer[@]}" login --username bob --password password1
run "buyer adds to the cart" '"quantity":3' -- "${buyer[@]}" add 2-1 --quantity 3 --json
run "buyer buys" '"total":60' -- "${buyer[@]}" purchase --name Bob \
  --card-number 4111111111111111 --expiration 12/30 --json

pdb_pid=$(pgrep -P "$up_pid" -f mp-product-db)
kill -KILL "$pdb_pid"
for _ in $(seq 1 100); do
  new_pid=$(pgrep -P "$up_pid" -f mp-product-db || true)
  [ -n "$new_pid" ] && [ "$new_pid" != "$pdb_pid" ] &&
    "$bin/marketplace" health --tls-dir "$work/data/tls" "127.0.0.1:$pdb_port" >/dev/null 2>&1 &&
    break
  sleep 0.1
done
grep -q "product-db (pid $pdb_pid) exited" "$work/up1.log" && [ "$new_pid" != "$pdb_pid" ] &&
  ok "a killed product-db is reported and restarted (pid $new_pid)" ||
  fail "product-db was not restarted"
run "stock survived the restart" '"quantity":1' -- "${seller[@]}" list --json

# TLS between the services.
tls=$work/data/tls
[ "$(stat -c %a "$tls")" = 700 ] && ok "the TLS directory is 0700" || fail "$tls: $(stat -c %a "$tls")"
for key in "$tls"/*.key; do
  [ "$(stat -c %a "$key")" = 600 ] || fail "$key is $(stat -c %a "$key"), not 0600"
done
[ "$(ls "$tls"/*.key | wc -l)" -eq 6 ] && ok "CA and five role keys, each 0600" ||
  fail "keys in $tls: $(ls "$tls")"
ca_sum=$(sha256sum "$tls/ca.pem" "$tls/payment.key")
run "a frontend certificate gets an answer" SERVING -- \
  "$bin/marketplace" health --tls-dir "$tls" "127.0.0.1:$cdb_port" "127.0.0.1:$pdb_port"
if out=$("$bin/marketplace" health "127.0.0.1:$cdb_port" 2>&1); then
  fail "a plaintext client was answered: $out"
else ok "a plaintext client is refused"; fi
if out=$("$bin/marketplace" health --tls-ca "$tls/ca.pem" --tls-client-cert "$tls/product-db.pem" \
  --tls-client-key "$tls/product-db.key" "127.0.0.1:$cdb_port" 2>&1); then
  fail "the product DB's certificate may call the customer DB: $out"
else ok "the product DB's certificate cannot call the customer DB"; fi
grep -q "https://127.0.0.1:$pay_port/?wsdl" "$work/up1.log" && ok "payment serves HTTPS" ||
  fail "payment address in the banner: $(grep payment "$work/up1.log")"
# No key on a command line (paths only) or in a log.
secrets=()
for key in "$tls"/*.key; do secrets+=("$(sed -n 2p "$key")"); done
leaks=""
for pid in $(pgrep -P "$up_pid"); do
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline")
  [[ $cmd == *--tls-dir\ $tls* ]] || fail "no --tls-dir in: $cmd"
  for s in "${secrets[@]}" "PRIVATE KEY"; do [[ $cmd == *"$s"* ]] && leaks+=" pid $pid"; done
done
for s in "${secrets[@]}" "PRIVATE KEY"; do grep -qF -- "$s" "$work/up1.log" && leaks+=" log"; done
[ -z "$leaks" ] && ok "no key material on command lines or in the log" ||
  fail "key material found:$leaks"
# The REST servers reach the DB services on Unix sockets in <data-dir>/run
# (the calls above went through them, across the product DB's restart).
run_dir=$work/data/run
[ "$(stat -c %a "$run_dir")" = 700 ] && ok "the socket directory is 0700" ||
  fail "$run_dir: $(stat -c %a "$run_dir" 2>&1)"
for db in customer-db product-db; do
  [ -S "$run_dir/$db.sock" ] && [ "$(stat -c %a "$run_dir/$db.sock")" = 600 ] ||
    fail "$run_dir/$db.sock: $(stat -c '%F %a' "$run_dir/$db.sock" 2>&1)"
done
for server in mp-seller-server mp-buyer-server; do
  cmd=$(tr '\0' ' ' <"/proc/$(pgrep -P "$up_pid" -f "$server")/cmdline")
  [[ $cmd == *"--customer-db unix:$run_dir/customer-db.sock"* &&
     $cmd == *"--product-db unix:$run_dir/product-db.sock"* ]] ||
    fail "$server does not call the DB services on their sockets: $cmd"
done
run "the DB services answer on their sockets" SERVING -- \
  "$bin/marketplace" health "unix:$run_dir/customer-db.sock" "unix:$run_dir/product-db.sock"
stop_up TERM

# --- 2. Ctrl-C (SIGINT); the data is still there after a new start.
start_up "$work/up2.log"
read -ra seller <<<"$(grep -oE '\S*/seller-cli --server \S+' "$work/up2.log")"
read -ra buyer <<<"$(grep -oE '\S*/buyer-cli --server \S+' "$work/up2.log")"
run "after a restart of the whole system the seller logs in again" "" -- \
  "${seller[@]}" login --username alice --password password1
run "the item is still there" '"quantity":1' -- "${seller[@]}" list --json
run "the buyer logs in again" "" -- "${buyer[@]}" login --username bob --password password1
run "the purchase is still in the history" '"item_id":"2-1"' -- "${buyer[@]}" history --json
[ "$(sha256sum "$tls/ca.pem" "$tls/payment.key")" = "$ca_sum" ] &&
  ok "a second start keeps the CA and the keys" || fail "the certificates were made anew"
stop_up INT

# --- 3. marketplace itself killed: the kernel tells the children to stop.
start_up "$work/up3.log"
children=$(pgrep -P "$up_pid" | tr '\n' ' ')
{ kill -KILL "$up_pid" && wait "$up_pid"; } 2>/dev/null
up_pid=""
for _ in $(seq 1 150); do [ -z "$(leftovers)" ] && break; sleep 0.1; done
left=$(leftovers | tr '\n' ' ')
[ -z "${left// /}" ] && ok "SIGKILL of marketplace: its children ($children) stopped too" ||
  fail "SIGKILL of marketplace left:$left"

# --- 4. --https: the REST servers on HTTPS, the printed commands carry --ca;
# --no-unix: the REST servers call the DB services on TCP (with TLS).
start_up "$work/up4.log" --https --no-unix
for server in mp-seller-server mp-buyer-server; do
  cmd=$(tr '\0' ' ' <"/proc/$(pgrep -P "$up_pid" -f "$server")/cmdline")
  [[ $cmd == *"--customer-db 127.0.0.1:$cdb_port"* && $cmd == *"--product-db 127.0.0.1:$pdb_port"* &&
     $cmd != *unix:* ]] || fail "--no-unix: $server still uses a socket: $cmd"
done
read -ra seller <<<"$(grep -oE '\S*/seller-cli --server \S+ --ca \S+' "$work/up4.log")"
[ "${seller[2]:-}" = "https://127.0.0.1:$seller_port" ] && [ "${seller[4]:-}" = "$tls/ca.pem" ] &&
  ok "prints the seller-cli command with https:// and --ca: ${seller[*]}" ||
  fail "seller-cli command: '${seller[*]}'"
run "the seller logs in over HTTPS" "" -- "${seller[@]}" login --username alice --password password1
run "and lists the items" '"quantity":1' -- "${seller[@]}" list --json
if out=$("$bin/seller-cli" --server "127.0.0.1:$seller_port" login --username alice \
  --password password1 2>&1); then
  fail "plain HTTP was answered: $out"
else ok "plain HTTP gets no answer from an HTTPS server"; fi
if out=$("$bin/seller-cli" --server "https://127.0.0.1:$seller_port" login --username alice \
  --password password1 2>&1); then
  fail "a CLI without --ca trusted the private CA: $out"
else ok "without --ca the private CA is not trusted"; fi
stop_up TERM

if [ "$engine" = postgres ]; then
  count=$(psql -qtA "$MP_TEST_PG_URI" -c \
    "SELECT count(*) FROM information_schema.tables WHERE table_schema = '$schema'")
  [ "${count:-0}" -gt 3 ] && ok "the services' tables are in PostgreSQL schema $schema ($count)" ||
    fail "no tables in schema $schema"
  [ ! -e "$work/data/customer.db" ] && [ ! -e "$work/data/product.db" ] &&
    [ ! -e "$work/data/payment.db" ] && ok "no SQLite file was created" ||
    fail "SQLite files created despite --db-url: $(ls "$work/data")"
fi

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
