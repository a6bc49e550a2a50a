#!/usr/bin/env bash
# bench/growth.sh at toy sizes: both sizes measured on both workloads
# without errors, the catalogue topped up by the difference, the database's
# size, every server's memory and idle searches recorded. Usage: growth_test.sh BIN_DIR
set -euo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/mp-growth-test.XXXXXX)
trap 'rm -rf "$out"' EXIT
"$here/growth.sh" --bin "$bin" --sizes "200 600" --duration 2 --idle-searches 5 "$out" >/dev/null
python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
g = json.load(open(os.path.join(out, "growth.json")))
assert g["engine"] == "SQLite", g["engine"]
sizes = g["sizes"]
assert [s["items"] for s in sizes] == [200, 600], [s["items"] for s in sizes]
for s in sizes:
    for w in ("read", "mixed"):
        m = s[w]
        assert "missing" not in m, (s["items"], w, m)
        assert m["calls_per_s"] > 0 and m["errors"] == 0, (s["items"], w, m)
        assert 0 < m["p50_ms"] <= m["p99_ms"], (s["items"], w, m)
    assert s["db_bytes"] > 0, s
    names = sorted(s["servers"])
    assert names == ["mp-buyer-server", "mp-customer-db", "mp-payment", "mp-product-db",
                     "mp-seller-server"], names
    for name, mem in s["servers"].items():
        assert 0 < mem["rss_kib"] <= mem["peak_rss_kib"], (name, mem)
    # Idle searches of each kind, each finding items at these sizes too.
    idle = s["idle_search"]
    assert len(idle) == 4, idle
    for k in idle:
        assert 0 < k["p50_ms"] <= k["p99_ms"] and k["found"] > 0, (s["items"], k)
assert sizes[1]["db_bytes"] >= sizes[0]["db_bytes"], sizes
# The second size adds only the difference to the catalogue.
second = json.load(open(os.path.join(out, "600-read", "read-s3.json")))
assert second["config"]["catalog"] == 400, second["config"]
md = open(os.path.join(out, "growth.md")).read()
assert "| 600 | mixed |" in md and "Idle searches" in md, md
print("growth: ok")
PY
