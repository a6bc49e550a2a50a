#!/usr/bin/env bash
# Smoke test of marketplace-bench: `marketplace up` on free loopback ports
# (embedded SQLite in a temporary directory), then both workloads with tiny
# numbers (2+2 clients, 20 calls, 2 runs; a floor of 200 round trips per
# hop, gRPC with the system's TLS files). Checks the exit status, that no
# call failed, that the floor was stored, that the JSON results and the
# Markdown report exist and parse, and that --compare works. Timings are not
# judged.
# Usage: smoke_test.sh <bin dir>
set -uo pipefail
bin=${1:?usage: smoke_test.sh <bin dir>}
work=$(mktemp -d /tmp/mp-bench-smoke.XXXXXX)
log=$work/up.log
failures=0

# shellcheck source=../scripts/ports.sh
source "$(dirname "$0")/../scripts/ports.sh"
cleanup() {
  [ -n "${up_pid:-}" ] && kill -TERM "$up_pid" 2>/dev/null && wait "$up_pid" 2>/dev/null
  if [ "$failures" -ne 0 ]; then echo "--- marketplace log"; tail -n 40 "$log"; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# A port found free can be taken before the service binds it (by any other
# process's outgoing connection or port-0 listener, e.g. a test running
# beside this one), so a start-up that cannot listen is tried again on new
# ports.
for attempt in 1 2 3; do
  read -r seller_port buyer_port cdb_port pdb_port pay_port <<<"$(free_ports 5)"
  # The default approval rate (0.9) on purpose: declined purchases must be
  # counted apart, not as errors.
  "$bin/marketplace" up --data-dir "$work/data" --seller-port "$seller_port" \
    --buyer-port "$buyer_port" --customer-db-port "$cdb_port" --product-db-port "$pdb_port" \
    --payment-port "$pay_port" >"$log" 2>&1 &
  up_pid=$!
  for _ in $(seq 1 300); do
    grep -q "marketplace: up" "$log" && break
    kill -0 "$up_pid" 2>/dev/null || break
    sleep 0.1
  done
  grep -q "marketplace: up" "$log" && break
  wait "$up_pid" 2>/dev/null
  up_pid=
  if ! grep -q "cannot listen" "$log" || [ "$attempt" -eq 3 ]; then
    echo "marketplace did not come up"
    cat "$log"
    exit 1
  fi
  echo "note: a port was taken during start-up (attempt $attempt); trying new ports"
done

out=$work/out
for workload in read mixed; do
  "$bin/marketplace-bench" --seller "127.0.0.1:$seller_port" --buyer "127.0.0.1:$buyer_port" \
    --sellers 2 --buyers 2 --calls 20 --runs 2 --workload "$workload" --label smoke \
    --floor-calls 200 --tls-dir "$work/data/tls" \
    --out "$out" >"$work/$workload.md" 2>"$work/$workload.err"
  status=$?
  if [ "$status" -ne 0 ]; then
    fail "$workload workload exited $status"
    cat "$work/$workload.err" "$work/$workload.md"
  else
    echo "ok: $workload workload ran"
  fi
done

# Every run made every call (2+2 clients x 20 calls), none failed.
python3 - "$out" <<'PY' || fail "JSON results"
import json, sys
for workload in ("read", "mixed"):
    with open(f"{sys.argv[1]}/{workload}-2+2x20.json") as f:
        r = json.load(f)
    assert r["tool"] == "marketplace-bench", r["tool"]
    assert r["config"]["workload"] == workload
    assert len(r["runs"]) == 2, len(r["runs"])
    for run in r["runs"]:
        assert run["overall"]["calls"] == 80, run["overall"]
        assert run["overall"]["errors"] == 0, (run["overall"], r["error_samples"])
        assert run["wall_s"] > 0
    assert r["summary"]["overall"]["errors"] == 0, r["error_samples"]
    assert r["summary"]["overall"]["p99_ms"]["avg"] > 0
    floor = r["floor"]
    # The floor's gRPC hop as marketplace up runs it: a Unix socket, no TLS.
    assert floor["grpc_unix"] is True and floor["grpc_tls"] is False, floor
    for hop in ("http", "grpc"):
        assert floor[hop]["calls"] == 200 and floor[hop]["p99_ms"] > 0, floor
print("ok: JSON results parse, every call made, no errors, the floor stored")
PY

report=$out/report.md
if grep -q "^## Summary" "$report" && grep -q "^| read | 2+2 clients |" "$report" &&
   grep -q "^| mixed | 2+2 clients |" "$report" && grep -q "^## mixed workload" "$report"; then
  echo "ok: report.md has both workloads"
else
  fail "report.md"; cat "$report"
fi
if command -v gnuplot >/dev/null; then
  for chart in throughput latency-read p99-read latency-mixed p99-mixed; do
    grep -q "<svg" "$out/$chart.svg" 2>/dev/null || fail "chart $chart.svg"
  done
  echo "ok: charts drawn"
else
  echo "note: no gnuplot (scripts/setup.sh installs gnuplot-nox), charts not checked"
fi

# A grown catalogue and extra buyers: the catalogue's items are in the
# product DB, spread over extra sellers, with the Zipf vocabulary's words;
# each extra buyer has its purchases in the customer DB; and the runs still
# make every call without an error.
"$bin/marketplace-bench" --seller "127.0.0.1:$seller_port" --buyer "127.0.0.1:$buyer_port" \
  --sellers 1 --buyers 1 --calls 20 --runs 1 --catalog 300 --accounts 12 --history 3 \
  --floor-calls 0 --out "$work/catalog" >"$work/catalog.md" 2>"$work/catalog.err" ||
  { fail "--catalog exited $?"; cat "$work/catalog.err"; }
python3 - "$work/catalog" "$work/data/customer.db" <<'PY' || fail "--accounts results"
import glob, json, sqlite3, sys
r = json.load(open(glob.glob(f"{sys.argv[1]}/*.json")[0]))
assert r["config"]["accounts"] == 12 and r["config"]["history"] == 3, r["config"]
assert r["accounts_load_s"] > 0, r
db = sqlite3.connect(f"file:{sys.argv[2]}?mode=ro", uri=True)
rows = db.execute("SELECT a.username, a.units, COUNT(DISTINCT p.purchase_id), SUM(p.quantity) "
                  "FROM accounts a LEFT JOIN purchase_lines p ON p.buyer_id = a.id "
                  "WHERE a.username LIKE '%-history-b%' GROUP BY a.id").fetchall()
assert len(rows) == 12, rows
assert all(units == 3 and purchases == 3 and bought == 3 for _, units, purchases, bought in rows), rows
print(f"ok: --accounts created {len(rows)} buyers with 3 purchases each")
PY
python3 - "$work/catalog" "$work/data/product.db" <<'PY' || fail "--catalog results"
import glob, json, sqlite3, sys
r = json.load(open(glob.glob(f"{sys.argv[1]}/*.json")[0]))
assert r["config"]["catalog"] == 300 and r["catalog_load_s"] > 0, r["config"]
assert r["summary"]["overall"]["errors"] == 0, r["error_samples"]
db = sqlite3.connect(f"file:{sys.argv[2]}?mode=ro", uri=True)
items, sellers = db.execute("SELECT COUNT(*), COUNT(DISTINCT seller_id) FROM items "
                            "WHERE name LIKE 'Catalogue item %'").fetchone()
assert items == 300 and sellers > 1, (items, sellers)
words = db.execute("SELECT COUNT(DISTINCT keyword) FROM item_keywords k JOIN items i "
                   "ON i.id = k.item_id WHERE i.name LIKE 'Catalogue item %'").fetchone()[0]
assert words > 12, words  # beyond the workload's own 12
print(f"ok: --catalog loaded {items} items over {sellers} sellers, {words} distinct words")
PY

"$bin/marketplace-bench" --compare "$out" "$out/read-2+2x20.json" --out "$work/cmp" \
  >"$work/cmp.md" 2>"$work/cmp.err" || fail "--compare exited $?"
grep -q "^| read | 2+2 clients |" "$work/cmp/compare.md" 2>/dev/null && echo "ok: --compare" ||
  { fail "--compare output"; cat "$work/cmp.err" "$work/cmp.md"; }

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
