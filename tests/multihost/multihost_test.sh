#!/usr/bin/env bash
# Multi-host test (issue 7): one "host" per component, built from Linux
# network namespaces on this machine. Each host gets a veth pair to a bridge
# that lives in a namespace of its own ("switch"), and a private address
# 10.77.0.x that exists only inside the namespaces; the root namespace gets
# no interface, route or address. Every process runs in its host's namespace
# (ip netns exec), and reaches the others only through the bridge:
#
#   pg 10.77.0.10        PostgreSQL, shared by every DB service replica and payment
#   cdb1/cdb2 .11/.12    mp-customer-db replicas      pdb1/pdb2 .21/.22  mp-product-db replicas
#   pay .30              mp-payment
#   seller1/2 .41/.42    mp-seller-server replicas    buyer1/2 .51/.52   mp-buyer-server replicas
#   sclient .61          seller-cli                   bclient .62        buyer-cli
#
# The frontends get both DB replicas (--customer-db a,b --product-db a,b),
# the CLIs both frontend replicas (--server a,b). A seller and a buyer then
# run a session with the real CLIs; midway one replica of each kind (seller
# server, buyer server, customer DB, product DB) gets SIGKILL, and the
# session must carry on with nothing lost: items, stock, cart, purchase,
# history, votes.
#
# Needs root (CI runs as root): without it, or where `ip netns` is not
# permitted, the test FAILS saying so. Everything it creates (namespaces,
# processes, PostgreSQL, files) is removed on every exit path.
# Usage: multihost_test.sh <bin dir>
set -uo pipefail
bin=$(cd "${1:?usage: multihost_test.sh <bin dir>}" && pwd)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
started=$SECONDS

fatal() {
  echo "FAIL: $*" >&2
  exit 1
}

# --- Preconditions: fail, never skip.
[ "$(id -u)" -eq 0 ] ||
  fatal "the multi-host test needs root to create network namespaces (ip netns);" \
    "CI runs as root. Run it as root, e.g. sudo ctest -R MultiHost."
command -v ip >/dev/null || fatal "ip not found: install iproute2 (scripts/setup.sh does)"
command -v runuser >/dev/null || fatal "runuser not found (util-linux)"
id postgres >/dev/null 2>&1 ||
  fatal "no postgres user: install the postgresql package (scripts/setup.sh does)"
# shellcheck source=scripts/pg_test_server.sh
source "$root/scripts/pg_test_server.sh"
pg_bin=$(pg_bindir) || fatal "PostgreSQL's initdb not found: install postgresql"
for program in mp-customer-db mp-product-db mp-payment mp-seller-server mp-buyer-server \
  seller-cli buyer-cli marketplace; do
  [ -x "$bin/$program" ] || fatal "$bin/$program is not built"
done

work=$(mktemp -d /tmp/mp-multihost.XXXXXX)
chmod 755 "$work"  # PostgreSQL runs as postgres below it
prefix="mph$(printf '%04x' $((RANDOM ^ $$ & 0xffff)))"
failures=0
pg_up=0

declare -A addr=(
  [pg]=10.77.0.10 [cdb1]=10.77.0.11 [cdb2]=10.77.0.12 [pdb1]=10.77.0.21 [pdb2]=10.77.0.22
  [pay]=10.77.0.30 [seller1]=10.77.0.41 [seller2]=10.77.0.42 [buyer1]=10.77.0.51
  [buyer2]=10.77.0.52 [sclient]=10.77.0.61 [bclient]=10.77.0.62
)
declare -A pid=()

# shellcheck source=netns_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/netns_lib.sh"

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ "$pg_up" -eq 1 ]; then
    on pg runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg/data" -m immediate stop \
      >/dev/null 2>&1
  fi
  # Whatever still runs in one of our namespaces: our servers, PostgreSQL.
  # (disown: bash would otherwise report each killed job.)
  disown -a
  netns_remove
  if [ "$status" -ne 0 ] || [ "$failures" -ne 0 ]; then
    for log in "$work"/hosts/*/log "$work/pg/log"; do
      [ -f "$log" ] || continue
      echo "----- ${log#"$work"/} (last lines)"
      tail -n 15 "$log"
    done
  fi
  rm -rf "$work"
  echo "multihost: cleaned up after $((SECONDS - started)) s"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- The network: a switch namespace with a bridge, one veth per host.
netns_network addr
echo "multihost: ${#namespaces[@]} namespaces ($prefix-*), bridge in $(ns switch)"

# --- PostgreSQL on its own host, as postgres (it refuses root).
mkdir -p "$work/pg"
chown postgres: "$work/pg"
on pg runuser -u postgres -- "$pg_bin/initdb" -D "$work/pg/data" -U mp --auth=trust \
  --no-sync -E UTF8 >"$work/pg/initdb.log" 2>&1 ||
  fatal "initdb failed: $(tail -n 5 "$work/pg/initdb.log")"
echo "host all all 10.77.0.0/24 trust" >>"$work/pg/data/pg_hba.conf"
on pg runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
  -o "-c listen_addresses=${addr[pg]} -p 5432 -k $work/pg -c fsync=off" start >/dev/null ||
  fatal "PostgreSQL did not start: $(tail -n 5 "$work/pg/log")"
pg_up=1
db="postgresql://mp@${addr[pg]}:5432/postgres"

# start <host> <program> <args...>: runs a server on its host, from the
# host's own directory, logging to hosts/<host>/log.
start() {
  local host=$1 program=$2
  shift 2
  mkdir -p "$work/hosts/$host"
  (cd "$work/hosts/$host" && exec ip netns exec "$(ns "$host")" "$bin/$program" "$@" \
    >"$work/hosts/$host/log" 2>&1) &
  pid[$host]=$!
}

# healthy <kind> <host:port> [path]: one probe from the seller client's host.
healthy() {
  case $1 in
    grpc) on sclient "$bin/marketplace" health "$2" >/dev/null 2>&1 ;;
    http)
      on sclient timeout 2 bash -c "exec 3<>/dev/tcp/${2%:*}/${2#*:} &&
        printf 'GET ${3:-/healthz} HTTP/1.1\r\nHost: $2\r\nConnection: close\r\n\r\n' >&3 &&
        head -n 1 <&3" 2>/dev/null | grep -q " 200"
      ;;
  esac
}

# wait_healthy <host> <kind> <host:port> [path]
wait_healthy() {
  local host=$1
  shift
  for _ in $(seq 1 150); do
    healthy "$@" && return 0
    kill -0 "${pid[$host]}" 2>/dev/null || fatal "$host exited during start-up"
    sleep 0.1
  done
  fatal "$host not healthy at $2 after 15 s"
}

dbs() { echo "${addr[$1]}:$2,${addr[$3]}:$2"; }
customer_dbs=$(dbs cdb1 50051 cdb2)
product_dbs=$(dbs pdb1 50052 pdb2)

# Both replicas of a service start at once: migrations take a lock.
for host in cdb1 cdb2; do
  start "$host" mp-customer-db --listen "${addr[$host]}:50051" --db-uri "$db" --threads 4
done
for host in pdb1 pdb2; do
  start "$host" mp-product-db --listen "${addr[$host]}:50052" --db-uri "$db" --threads 4
done
start pay mp-payment --listen "${addr[pay]}:8083" --db-uri "$db" --approval-rate 1 --seed 7
for host in cdb1 cdb2; do wait_healthy "$host" grpc "${addr[$host]}:50051"; done
for host in pdb1 pdb2; do wait_healthy "$host" grpc "${addr[$host]}:50052"; done
wait_healthy pay http "${addr[pay]}:8083" "/?wsdl"

# The token key is made once and copied to every frontend host.
head -c 48 /dev/urandom | base64 -w0 >"$work/jwt.key"
for host in seller1 seller2 buyer1 buyer2; do
  mkdir -p "$work/hosts/$host"
  install -m 600 "$work/jwt.key" "$work/hosts/$host/jwt.key"
done
for host in seller1 seller2; do
  start "$host" mp-seller-server --listen "${addr[$host]}:8081" --customer-db "$customer_dbs" \
    --product-db "$product_dbs" --jwt-key-file jwt.key
done
for host in buyer1 buyer2; do
  start "$host" mp-buyer-server --listen "${addr[$host]}:8082" --customer-db "$customer_dbs" \
    --product-db "$product_dbs" --jwt-key-file jwt.key --payment-url "http://${addr[pay]}:8083/"
done
for host in seller1 seller2; do wait_healthy "$host" http "${addr[$host]}:8081"; done
for host in buyer1 buyer2; do wait_healthy "$host" http "${addr[$host]}:8082"; done
echo "multihost: every component up after $((SECONDS - started)) s"

# The CLIs, each on its own host with its own home (token files).
client() {
  local host=$1 program=$2 servers=$3
  shift 3
  mkdir -p "$work/hosts/$host"
  HOME="$work/hosts/$host" XDG_CONFIG_HOME="$work/hosts/$host/config" \
    ip netns exec "$(ns "$host")" "$bin/$program" --server "$servers" --timeout 5 "$@"
}
seller() { client sclient seller-cli "${addr[seller1]}:8081,${addr[seller2]}:8081" "$@"; }
buyer() { client bclient buyer-cli "${addr[buyer1]}:8082,${addr[buyer2]}:8082" "$@"; }

# expect <description> <exit status> <pattern or ""> -- command...
expect() {
  local what=$1 want=$2 pattern=$3 out status
  shift 4
  out=$("$@" 2>&1)
  status=$?
  if [ "$status" -ne "$want" ] || { [ -n "$pattern" ] && ! grep -qE -- "$pattern" <<<"$out"; }; then
    echo "FAIL: $what (exit $status, wanted $want; pattern '$pattern')"
    echo "$out" | head -n 10
    failures=$((failures + 1))
  else
    echo "ok: $what"
  fi
}

# --- Before the failure: a seller stocks the shop, a buyer fills a cart.
expect "seller creates an account" 0 "" -- seller create-account --username alice \
  --password password1 --name Alice
expect "seller logs in" 0 "" -- seller login --username alice --password password1
expect "seller registers a lamp" 0 '"item_id":"3-1"' -- seller register --name "Red lamp" \
  --category 3 --keywords red,lamp --condition new --price 12.5 --quantity 10 --json
expect "seller registers a mug" 0 '"item_id":"4-2"' -- seller register --name "Blue mug" \
  --category 4 --keywords blue,mug --condition used --price 3 --quantity 5 --json
expect "buyer creates an account" 0 "" -- buyer create-account --username bob \
  --password password1 --name Bob
expect "buyer logs in" 0 "" -- buyer login --username bob --password password1
expect "buyer finds the lamp" 0 '"id":"3-1"' -- buyer search --category 3 --keywords red --json
expect "buyer adds two lamps" 0 '"quantity":2' -- buyer add 3-1 --quantity 2 --json
expect "buyer adds a mug" 0 '"item_id":"4-2"' -- buyer add 4-2 --quantity 1 --json

# --- One replica of each kind dies.
for host in seller1 buyer1 cdb1 pdb1; do
  { kill -KILL "${pid[$host]}" && wait "${pid[$host]}"; } 2>/dev/null
done
echo "multihost: SIGKILL sent to seller1, buyer1, cdb1 and pdb1"

# --- After: everything from before is there, and everything still works.
expect "the seller's session survived" 0 '"id":"3-1".*"quantity":10' -- seller list --json
expect "seller registers a pen" 0 '"item_id":"5-3"' -- seller register --name "Green pen" \
  --category 5 --keywords green,pen --condition new --price 1.25 --quantity 7 --json
expect "registering the pen again merges it" 0 '"quantity":9' -- seller register \
  --name "Green pen" --category 5 --keywords pen,green --condition new --price 1.25 \
  --quantity 2 --json
expect "seller re-prices the lamp" 0 '"price":11' -- seller set-price 3-1 --price 11 --json
expect "seller withdraws a mug" 0 '"quantity":4' -- seller withdraw 4-2 --quantity 1 --json
expect "the buyer's cart survived" 0 \
  '"item_id":"3-1"[^}]*"quantity":2[^}]*}.*"item_id":"4-2"[^}]*"quantity":1[^}]*}' \
  -- buyer cart --json
expect "buyer finds the pen" 0 '"id":"5-3"' -- buyer search --category 5 --keywords pen --json
expect "buyer adds a pen" 0 '"item_id":"5-3"' -- buyer add 5-3 --quantity 3 --json
expect "buyer buys the cart" 0 '"total":28.75' -- buyer purchase --name Bob \
  --card-number 4111111111111111 --expiration 12/30 --json
expect "the cart is empty after buying" 0 '"items":\[\]' -- buyer cart --json
for line in 3-1:2 4-2:1 5-3:3; do
  expect "history has ${line%:*} x ${line#*:}" 0 "\"item_id\":\"${line%:*}\"[^}]*\"quantity\":${line#*:}[,}]" \
    -- buyer history --json
done
expect "buyer votes on the lamp" 0 "" -- buyer feedback 3-1 --vote up
expect "the vote counts once" 1 "already_rated" -- buyer feedback 3-1 --vote up
expect "the seller's rating has the vote" 0 '"up":1' -- seller rating --json
expect "stock fell by exactly what was bought" 0 \
  '"id":"3-1"[^}]*"quantity":8.*"id":"4-2"[^}]*"quantity":3.*"id":"5-3"[^}]*"quantity":6' \
  -- seller list --json
expect "a new buyer can start a session on the survivors" 0 "" -- \
  buyer create-account --username carol --password password1 --name Carol
expect "buyer logs out" 0 "" -- buyer logout
expect "seller logs out" 0 "" -- seller logout

# The survivors really failed over to the surviving DB replicas.
if grep -qs "unreachable .* repeating the call on" "$work/hosts/seller2/log" \
  "$work/hosts/buyer2/log"; then
  echo "ok: the surviving frontends moved calls off the dead DB replicas"
else
  echo "FAIL: no failover between DB replicas shows in the frontends' logs"
  failures=$((failures + 1))
fi

echo "multihost: session done after $((SECONDS - started)) s"
echo "$failures failure(s)"
[ "$failures" -eq 0 ]
