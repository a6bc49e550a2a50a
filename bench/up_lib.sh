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
  # A port found free can be taken before the service binds it (another
  # process's outgoing connection or port-0 listener), so a start that
  # cannot listen is tried again on new ports.
  local attempt
  for attempt in 1 2 3; do
    seller_port=$(free_port)
    buyer_port=$(free_port)
    local up_args=(--data-dir "$work/data" --seller-port "$seller_port" --buyer-port "$buyer_port"
                   --customer-db-port "$(free_port)" --product-db-port "$(free_port)"
                   --payment-port "$(free_port)" --log-level warn)
    [ -n "$db_url" ] && up_args+=(--db-url "$db_url")
    "$bin/marketplace" up "${up_args[@]}" >"$work/up.log" 2>&1 &
    up_pid=$!
    for _ in $(seq 1 600); do
      grep -q "marketplace: up" "$work/up.log" && return 0
      kill -0 "$up_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -TERM "$up_pid" 2>/dev/null
    wait "$up_pid" 2>/dev/null
    up_pid=
    grep -q "cannot listen" "$work/up.log" && [ "$attempt" -lt 3 ] || break
    echo "$name: a port was taken during start-up (attempt $attempt); trying new ports" >&2
  done
  echo "$name: marketplace did not come up" >&2
  cat "$work/up.log" >&2
  exit 1
}

bench_down() {
  [ -n "${up_pid:-}" ] && kill -TERM "$up_pid" 2>/dev/null && wait "$up_pid" 2>/dev/null
  [ -n "${work:-}" ] && rm -rf "$work"
}
