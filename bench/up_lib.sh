# Sourced by bench/run.sh and bench/growth.sh: starts `marketplace up` on
# free loopback ports with a data directory under a new temporary directory,
# and stops it (and removes the directory) when the sourcing script exits.
#
#   bench_up BIN_DIR NAME [DB_URL]
# sets: work (the temporary directory; data in $work/data), up_pid,
# seller_port, buyer_port. Exits the script when the system does not come up.

# shellcheck source=../scripts/ports.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/ports.sh"

bench_up() {
  local bin=$1 name=$2 db_url=${3:-}
  work=$(mktemp -d "/tmp/mp-$name.XXXXXX")
  trap bench_down EXIT
  # A port found free can be taken before the service binds it (another
  # process's outgoing connection or port-0 listener), so a start that
  # cannot listen is tried again on new ports.
  local attempt
  for attempt in 1 2 3; do
    local cdb_port pdb_port pay_port
    read -r seller_port buyer_port cdb_port pdb_port pay_port <<<"$(free_ports 5)"
    local up_args=(--data-dir "$work/data" --seller-port "$seller_port" --buyer-port "$buyer_port"
                   --customer-db-port "$cdb_port" --product-db-port "$pdb_port"
                   --payment-port "$pay_port" --log-level warn)
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
