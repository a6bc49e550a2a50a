#!/usr/bin/env bash
# The cost of growth (bench/README.md, "The cost of growth"): scenario 3,
# read and mixed, at catalogue sizes that grow within one system, on one
# engine. Per size: calls/s, p50, p99 and errors of each workload (from
# marketplace-bench's JSON), the database's size on disk and each server's
# resident memory (now and at its peak), written to OUT_DIR/growth.md and
# OUT_DIR/growth.json beside every run's JSON, with charts of calls/s and
# p99 against the size (bench/growth_chart.py: growth-*.svg).
#
# Usage: bench/growth.sh [options] OUT_DIR
#   --sizes "10000 100000 1000000"   catalogue sizes, ascending (the default)
#   --duration S                     seconds of each run (default 30)
#   --db-url URL                     PostgreSQL instead of SQLite (an empty
#                                    database: the system's tables go there)
#   --bin DIR                        binaries (default: build/bin of this repo)
#   --idle-searches N                after each size's runs, N idle searches of
#                                    each kind (bench/idle_search.py; default
#                                    100, 0: none)
#
# One `marketplace up` serves every size: the catalogue is loaded in steps
# (each step adds the difference to the next size through the API, like
# `marketplace-bench --catalog`), so the sizes cost one load of the largest.
# Every run also adds its own clients' accounts and 2,000 items.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$repo/build/bin
sizes="10000 100000 1000000"
duration=30
db_url=""
idle=100
out=""
while [ $# -gt 0 ]; do
  case $1 in
    --sizes) sizes=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --db-url) db_url=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --idle-searches) idle=$2; shift 2 ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    -*) echo "growth.sh: unknown option $1" >&2; exit 2 ;;
    *) out=$1; shift ;;
  esac
done
[ -n "$out" ] || { echo "usage: bench/growth.sh [options] OUT_DIR (see --help)" >&2; exit 2; }
[ -x "$bin/marketplace-bench" ] || { echo "growth.sh: no $bin/marketplace-bench; build first" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)

# shellcheck source=bench/up_lib.sh
source "$repo/bench/up_lib.sh"
bench_up "$bin" growth "$db_url"
engine=$([ -n "$db_url" ] && echo PostgreSQL || echo SQLite)
bench=("$bin/marketplace-bench" --seller "127.0.0.1:$seller_port" --buyer "127.0.0.1:$buyer_port"
       --scenario 3 --runs 1 --duration "$duration" --floor-calls 0)

# Each server process of this system: name, RSS now and at its peak (KiB).
memory() {
  for pid in $(pgrep -P "$up_pid"); do
    name=$(tr '\0' ' ' <"/proc/$pid/cmdline" | awk '{print $1}' | xargs -r basename)
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
    hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
    echo "$name $rss $hwm"
  done
}

# The database's size on disk, in bytes.
db_bytes() {
  if [ -n "$db_url" ]; then
    psql "$db_url" -Atc "SELECT pg_database_size(current_database())"
  else
    du -cb "$work"/data/*.db* 2>/dev/null | awk 'END {print $1}'
  fi
}

loaded=0
: >"$out/growth.tsv"
for size in $sizes; do
  add=$((size - loaded))
  [ "$add" -ge 0 ] || { echo "growth.sh: sizes must ascend" >&2; exit 2; }
  echo "growth.sh: $engine, $size items (adding $add), read" >&2
  start=$(date +%s.%N)
  "${bench[@]}" --workload read --catalog "$add" --label "$engine $size" \
    --out "$out/$size-read" || echo "growth.sh: read run at $size exited $?" >&2
  load_s=$(python3 -c "import json; print(json.load(open('$out/$size-read/read-s3.json')).get('catalog_load_s', 0))" 2>/dev/null || echo 0)
  loaded=$size
  echo "growth.sh: $engine, $size items, mixed" >&2
  "${bench[@]}" --workload mixed --label "$engine $size" --out "$out/$size-mixed" ||
    echo "growth.sh: mixed run at $size exited $?" >&2
  if [ "$idle" -gt 0 ]; then
    python3 "$repo/bench/idle_search.py" "http://127.0.0.1:$buyer_port" --count "$idle" \
      --json "$out/$size-idle-search.json" >"$out/$size-idle-search.md" ||
      echo "growth.sh: idle searches at $size exited $?" >&2
  fi
  printf '%s\t%s\t%s\t%s\n' "$size" "$load_s" "$(db_bytes)" "$(memory | tr '\n' ';')" >>"$out/growth.tsv"
  echo "growth.sh: $size done in $(python3 -c "print(round($(date +%s.%N) - $start))") s" >&2
done

python3 - "$out" "$engine" <<'PY'
import json, sys, os
out, engine = sys.argv[1], sys.argv[2]
rows = []
for line in open(os.path.join(out, "growth.tsv")):
    size, load_s, db, mem = line.rstrip("\n").split("\t")
    row = {"items": int(size), "catalog_load_s": float(load_s), "db_bytes": int(db or 0),
           "servers": {}}
    for entry in filter(None, mem.split(";")):
        name, rss, hwm = entry.split()
        row["servers"][name] = {"rss_kib": int(rss), "peak_rss_kib": int(hwm)}
    for workload in ("read", "mixed"):
        path = os.path.join(out, f"{size}-{workload}", f"{workload}-s3.json")
        try:
            s = json.load(open(path))["summary"]["overall"]
            row[workload] = {"calls_per_s": s["throughput"]["avg"], "p50_ms": s["p50_ms"]["avg"],
                             "p99_ms": s["p99_ms"]["avg"], "errors": s["errors"]}
        except (OSError, KeyError, ValueError) as e:
            row[workload] = {"missing": str(e)}
    try:
        row["idle_search"] = json.load(open(os.path.join(out, f"{size}-idle-search.json")))["searches"]
    except (OSError, KeyError, ValueError):
        pass
    rows.append(row)
json.dump({"engine": engine, "sizes": rows}, open(os.path.join(out, "growth.json"), "w"), indent=1)
with open(os.path.join(out, "growth.md"), "w") as f:
    f.write(f"## Cost of growth, {engine} (scenario 3)\n\n")
    f.write("| items | workload | calls/s | p50 ms | p99 ms | errors | DB size | peak RSS (largest server) |\n")
    f.write("|---:|---|---:|---:|---:|---:|---:|---|\n")
    for r in rows:
        peak = max(r["servers"].items(), key=lambda kv: kv[1]["peak_rss_kib"], default=("-", {"peak_rss_kib": 0}))
        for w in ("read", "mixed"):
            m = r[w]
            if "missing" in m:
                f.write(f"| {r['items']:,} | {w} | - | - | - | - | | |\n")
                continue
            f.write(f"| {r['items']:,} | {w} | {m['calls_per_s']:,.0f} | {m['p50_ms']:.1f} | {m['p99_ms']:.1f} | "
                    f"{m['errors']} | {r['db_bytes'] / 2**20:,.0f} MiB | {peak[0]} {peak[1]['peak_rss_kib'] / 1024:,.0f} MiB |\n")
    f.write("\nEvery server's resident memory after each size (MiB, now / peak):\n\n")
    for r in rows:
        f.write(f"- {r['items']:,} items (catalogue loaded in {r['catalog_load_s']:.0f} s): " +
                ", ".join(f"{n} {v['rss_kib'] / 1024:.0f} / {v['peak_rss_kib'] / 1024:.0f}"
                          for n, v in sorted(r["servers"].items())) + "\n")
    searched = [r for r in rows if "idle_search" in r]
    if searched:
        f.write("\nIdle searches, one at a time (bench/idle_search.py; ms, mean / p50 / p99):\n\n")
        kinds = [s["search"] for s in searched[0]["idle_search"]]
        f.write("| items | " + " | ".join(kinds) + " |\n|---:|" + "---:|" * len(kinds) + "\n")
        for r in searched:
            f.write(f"| {r['items']:,} | " + " | ".join(
                f"{s['mean_ms']:.2f} / {s['p50_ms']:.2f} / {s['p99_ms']:.2f}" for s in r["idle_search"]) + " |\n")
print(open(os.path.join(out, "growth.md")).read())
PY
python3 "$repo/bench/growth_chart.py" "$out" || echo "growth.sh: the charts were not drawn" >&2
