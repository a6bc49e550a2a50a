# Shell functions for driving `marketplace up --ha`, shared by
# tests/ha/ha_failover_test.sh and bench/ha.sh. Source it, then set `bin`
# (the binaries) and `data` (the data directory).

# ha_free_block: prints the first port of a block of 80 free loopback ports
# (the servers at base..base+34, the data tier at base+40..base+74).
# The block lies below the kernel's ephemeral range: there, the outgoing
# connections of the components started first (DB services to PostgreSQL,
# Patroni to etcd) could take one of its ports before a later component
# binds it (seen: "cannot listen on 127.0.0.1:58200: Address already in use").
ha_free_block() {
  local candidate low=32768 span
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || low=32768
  span=$(((low - 10080) / 100))
  [ "$span" -ge 20 ] || span=400  # the range starts too low to stay below it
  for _ in $(seq 1 20); do
    candidate=$((10000 + (RANDOM % span) * 100))
    if python3 - "$candidate" <<'PY'
import socket, sys
b = int(sys.argv[1])
for p in range(b, b + 80):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        sys.exit(1)
    finally:
        s.close()
PY
    then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

# ha_up BASE LOG [flag...]: starts `marketplace up` (with --ha unless a
# flag is --db-url) in the background on the block at BASE and waits until it
# is up; sets up_pid. A purchase cut off by a failure is settled by recovery
# after 10 s rather than 60.
ha_up() {
  local base=$1 log=$2
  shift 2
  local mode=(--ha --ha-port $((base + 40)))
  [[ " $* " == *" --db-url "* ]] && mode=()
  MP_BUYER_RECOVERY_AGE=10 "$bin/marketplace" up "${mode[@]}" --data-dir "$data" \
    --seller-port "$base" --buyer-port $((base + 1)) --customer-db-port $((base + 2)) \
    --product-db-port $((base + 3)) --payment-port $((base + 4)) "$@" >"$log" 2>&1 &
  up_pid=$!
  for _ in $(seq 1 1800); do
    grep -q "marketplace: up" "$log" && return 0
    kill -0 "$up_pid" 2>/dev/null || break
    sleep 0.1
  done
  return 1
}

ha_status() { "$bin/marketplace" status --data-dir "$data"; }

# ha_node_with_role ROLE: "postgresN pid" of the node in that role (primary,
# sync, replica).
ha_node_with_role() {
  ha_status | awk -v role="$1" '$4 == role && $1 ~ /^postgres/ {print $1, $2; exit}'
}

# ha_pid NAME: the pid of a process of the system (e.g. seller-server-2).
ha_pid() { ha_status | awk -v name="$1" '$1 == name {print $2}'; }

# ha_wait_sync: until a synchronous standby is named (60 s at most).
ha_wait_sync() {
  for _ in $(seq 1 300); do
    [ -n "$(ha_node_with_role sync)" ] && return 0
    sleep 0.2
  done
  return 1
}

# ha_kill_node postgresN PID: SIGKILL of its Patroni and its postmaster, as
# when its machine dies. The machine stays down (its Patroni cannot start
# again: the supervisor's restarts fail) until ha_revive_node.
ha_kill_node() {
  local n=${1#postgres} pid=$2 postmaster
  postmaster=$(head -n 1 "$data/ha/pg$n/data/postmaster.pid" 2>/dev/null)
  mv "$data/ha/pg$n/patroni.yml" "$data/ha/pg$n/patroni.yml.down"
  kill -KILL "$pid" ${postmaster:+"$postmaster"}
}

# ha_revive_node postgresN: the machine is back; waits (60 s at most) until
# its Patroni, started by the supervisor, has rejoined as a standby
# (rewound first when it was the primary).
ha_revive_node() {
  local n=${1#postgres}
  mv "$data/ha/pg$n/patroni.yml.down" "$data/ha/pg$n/patroni.yml"
  for _ in $(seq 1 300); do
    ha_status | awk -v name="$1" '$1 == name && ($4 == "replica" || $4 == "sync") {found = 1}
      END {exit !found}' && return 0
    sleep 0.2
  done
  return 1
}

# ha_stop: SIGINT to `marketplace up`, waiting (60 s at most) for it to end.
ha_stop() {
  [ -n "${up_pid:-}" ] || return 0
  kill -INT "$up_pid" 2>/dev/null
  for _ in $(seq 1 600); do
    kill -0 "$up_pid" 2>/dev/null || { up_pid=""; return 0; }
    sleep 0.1
  done
  return 1
}

# ha_acks_since T: writes that ha_writer.py recorded in $acks as
# acknowledged and sent after unix time T.
ha_acks_since() { awk -v t="$1" '$2 == "ok" && $4 > t' "$acks" | wc -l; }
# ha_wait_for_acks T N: until N such writes were acknowledged (60 s at most).
ha_wait_for_acks() {
  for _ in $(seq 1 600); do
    [ "$(ha_acks_since "$1")" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}


# ha_check_acks_in_db LABEL PSQL...: every account acknowledged in $acks is
# in the database the psql command line reaches (its connection included;
# $work holds a scratch file). One query: thousands of logins would cost an
# Argon2 hash each, over a minute on a slow machine. Reports with ok/fail.
ha_check_acks_in_db() {
  local label=$1 r checked missing
  shift
  awk '$2 == "ok" {print $3}' "$acks" >"$work/acked"
  r=$("$@" -Atq -v ON_ERROR_STOP=1 -c "CREATE TEMP TABLE acked (u text)" \
    -c "\\copy acked FROM '$work/acked'" \
    -c "SELECT count(*) || ' ' || count(*) FILTER (WHERE NOT EXISTS
          (SELECT 1 FROM accounts a WHERE a.role = 1 AND a.username = acked.u)) FROM acked" 2>&1)
  read -r checked missing <<<"$r"
  if [ "${missing:-x}" = 0 ] && [ "$checked" = "$(wc -l <"$work/acked")" ] && [ "$checked" -gt 0 ]; then
    ok "$label: all $checked acknowledged accounts are in the database"
  else
    fail "$label: acknowledged accounts missing (checked, missing): $r"
  fi
}

# ha_wait_bench_start OUT PID: until marketplace-bench (PID, writing to OUT)
# has set up and started its run (2 min at most); fails if it exited.
ha_wait_bench_start() {
  for _ in $(seq 1 1200); do
    grep -q "run 1 started" "$1" && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# ha_outage_since T: seconds from T to the first write acknowledged in
# $acks that was sent after the last refused one (a dying primary may still
# commit a write or two before its backends notice).
ha_outage_since() {
  local first
  first=$(awk -v t="$1" '
    $2 == "error" && $1 > t && $1 < t + 30 {last = $1}
    $2 == "ok" {sent[NR] = $4; end[NR] = $1}
    END {
      if (last == "") last = t
      for (i = 1; i <= NR; i++) if (i in sent && sent[i] > last) {print end[i]; exit}
    }' "$acks")
  python3 -c "print(f'{$first - $1:.1f}')"
}
