# Sourced by bench/run.sh and bench/growth.sh: starts `marketplace up` on
# free loopback ports with a data directory under a new temporary directory,
# and stops it (and removes the directory) when the sourcing script exits.
#
#   bench_up BIN_DIR NAME [DB_URL]
# sets: work (the temporary directory; data in $work/data), up_pid,
# seller_port, buyer_port. Exits the script when the system does not come up.

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' \
    2>/dev/null || echo $((20000 + RANDOM % 30000))
}

bench_up() {
  local bin=$1 name=$2 db_url=${3:-}
  work=$(mktemp -d "/tmp/mp-$name.XXXXXX")
  trap bench_down EXIT
  seller_port=$(free_port)
  buyer_port=$(free_port)
  local up_args=(--data-dir "$work/data" --seller-port "$seller_port" --buyer-port "$buyer_port"
                 --customer-db-port "$(free_port)" --product-db-port "$(free_port)"
                 --payment-port "$(free_port)" --log-level warn)
  [ -n "$db_url" ] && up_args+=(--db-url "$db_url")
  "$bin/marketplace" up "${up_args[@]}" >"$work/up.log" 2>&1 &
  up_pid=$!
  for _ in $(seq 1 600); do
    grep -q "marketplace: up" "$work/up.log" && break
    kill -0 "$up_pid" 2>/dev/null || break
    sleep 0.1
  done
  grep -q "marketplace: up" "$work/up.log" ||
    { echo "$name: marketplace did not come up" >&2; cat "$work/up.log" >&2; exit 1; }
}

bench_down() {
  [ -n "${up_pid:-}" ] && kill -TERM "$up_pid" 2>/dev/null && wait "$up_pid" 2>/dev/null
  [ -n "${work:-}" ] && rm -rf "$work"
}
