#!/usr/bin/env python3
"""Writes through the seller servers of a replicated `marketplace up --ha`
and records what was acknowledged, for tests/ha/ha_failover_test.sh.

  ha_writer.py write SELLER_URLS OUT_FILE STOP_FILE
      Creates seller accounts one after another (each is one database write)
      over the comma-separated seller server URLs, trying the next replica
      when one is unreachable, until STOP_FILE exists. Appends one line per
      attempt to OUT_FILE: "<unix time> ok <name> <time sent>" for an
      acknowledged account, "<unix time> error <name> <status>" otherwise.
  ha_writer.py check SELLER_URLS OUT_FILE [N]
      Logs in as the last N acknowledged accounts of OUT_FILE (default:
      all); prints how many were checked and exits 1 when one is missing.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request

PASSWORD = "ha-test-password-1"


def call(urls, i, path, body):
    """POSTs body (JSON) to the replica i picks, moving to the next one when a
    replica refuses the connection. Returns (status, reply)."""
    last = None
    for k in range(len(urls)):
        url = urls[(i + k) % len(urls)] + path
        request = urllib.request.Request(
            url, data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return reply.status, reply.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
        except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
            last = e  # this replica is down: the request never reached it
    return 0, str(last).encode()


def write(urls, out_file, stop_file):
    run = str(int(time.time() * 1000))
    n = 0
    with open(out_file, "a", buffering=1) as out:
        while not os.path.exists(stop_file):
            name = "ha%s_%d" % (run, n)
            sent = time.time()
            status, reply = call(urls, n, "/v1/accounts",
                                 {"username": name, "password": PASSWORD,
                                  "name": "HA seller"})
            if status == 201:
                out.write("%.3f ok %s %.3f\n" % (time.time(), name, sent))
            else:
                out.write("%.3f error %s %d\n" % (time.time(), name, status))
                time.sleep(0.05)
            n += 1


def check(urls, out_file, last):
    lines = open(out_file).readlines()
    names = [line.split()[2] for line in lines if line.split()[1] == "ok"]
    if last is not None:
        names = names[-last:]
    missing = 0
    for i, name in enumerate(names):
        status, reply = call(urls, i, "/v1/sessions",
                             {"username": name, "password": PASSWORD})
        if status != 201:
            print("missing: %s (%d %s)" % (name, status, reply[:200]))
            missing += 1
    print("checked %d acknowledged accounts, %d missing" % (len(names), missing))
    return 1 if missing or not names else 0


def main():
    command, urls = sys.argv[1], sys.argv[2].split(",")
    if command == "write":
        write(urls, sys.argv[3], sys.argv[4])
        return 0
    return check(urls, sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else None)


if __name__ == "__main__":
    sys.exit(main())
