# "Hosts" built from Linux network namespaces on this machine, shared by
# multihost_test.sh and ha_hosts_test.sh. Each host gets a veth pair to
# a bridge in a namespace of its own ("switch") and the address the caller
# gives it; the root namespace gets no interface, route or address. Set
# `prefix` (unique per run) and define fatal() first; namespaces made are
# listed in `namespaces`.

namespaces=()
ns() { echo "$prefix-$1"; }
# on <host> <command...>: runs the command on that host.
on() {
  local host=$1
  shift
  ip netns exec "$(ns "$host")" "$@"
}

netns_add() {
  ip netns add "$(ns "$1")" ||
    fatal "cannot create network namespace $(ns "$1") (ip netns add): this test needs" \
      "root with CAP_SYS_ADMIN and CAP_NET_ADMIN, as CI has"
  namespaces+=("$(ns "$1")")
}

# netns_network ARRAY: the switch, and one host per entry of the
# associative array named ARRAY (host -> address).
netns_network() {
  local -n hosts_of=$1
  netns_add switch
  on switch true || fatal "ip netns exec is not permitted here (it needs to mount /sys in a" \
    "new mount namespace): run as root with CAP_SYS_ADMIN, as CI does"
  on switch ip link add br0 type bridge || fatal "cannot create a bridge (is the bridge module available?)"
  on switch ip link set br0 up
  local host
  for host in "${!hosts_of[@]}"; do
    netns_add "$host"
    ip link add eth0 netns "$(ns "$host")" type veth peer name "v-$host" netns "$(ns switch)" ||
      fatal "cannot create a veth pair for $host"
    on switch ip link set "v-$host" master br0 up
    on "$host" ip link set lo up
    on "$host" ip addr add "${hosts_of[$host]}/24" dev eth0
    on "$host" ip link set eth0 up || fatal "cannot bring up $host's interface"
  done
}

# netns_cut HOST / netns_mend HOST: the host's link to the switch goes down
# (it is cut off the network) or up again.
netns_cut() { on switch ip link set "v-$1" down; }
netns_mend() { on switch ip link set "v-$1" up; }

# netns_remove: kills whatever still runs in one of our namespaces, then
# deletes them (and with them each veth pair).
netns_remove() {
  local n p
  for _ in $(seq 1 50); do
    p=""
    for n in "${namespaces[@]}"; do p+=$(ip netns pids "$n" 2>/dev/null); done
    [ -z "$p" ] && break
    for n in "${namespaces[@]}"; do
      for p in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    done
    sleep 0.1
  done
  for n in "${namespaces[@]}"; do ip netns del "$n" 2>/dev/null; done
}
