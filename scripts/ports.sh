# shellcheck shell=bash
# Sourced by the test and benchmark scripts.
#
#   free_ports N   prints N distinct free loopback TCP ports on one line
#
# All N sockets stay bound until every port is picked: separate one-port
# picks can hand out the same port twice (the kernel reuses a port as soon as
# its socket closes), and a `marketplace up` whose customer DB and payment
# service were given one port failed its start-up in CI. A port can still be
# taken by another process before its service binds it; callers that must not
# fail on that retry on new ports (bench/up_lib.sh).
free_ports() {
  python3 - "$1" <<'PY'
import socket
import sys

held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
PY
}
