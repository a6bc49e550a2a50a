#!/usr/bin/env python3
"""Writes the Markdown report of bench/ha.sh from its result directory.

Usage: bench/ha_report.py OUT_DIR > OUT_DIR/README.md

Reads OUT_DIR/<case>/*.json (marketplace-bench --out, one per scenario),
OUT_DIR/faults.txt (what was killed when) and the journal checks, and prints
the overall and per-call figures of every case beside each other.
"""
import glob
import json
import os
import sys

CASES = [
    ("single", "one PostgreSQL, one replica of each server, no failure"),
    ("none", "replicated, no failure"),
    ("frontends", "one seller and one buyer server replica killed"),
    ("standby", "the synchronous standby's machine lost"),
    ("primary", "the primary's machine lost"),
]


def load(out):
    results = {}
    for case, _ in CASES:
        for path in sorted(glob.glob(os.path.join(out, case, "*.json"))):
            with open(path) as f:
                r = json.load(f)
            if r.get("tool") is None or "config" not in r:
                continue
            results[(case, r["config"]["scenario"])] = r
    return results


def verdict(out, case, scenario):
    path = os.path.join(out, case, "journal-check-s%d.txt" % scenario)
    if not os.path.exists(path):
        return "–"
    with open(path) as f:
        lines = f.read().strip().splitlines()
    return "clean" if lines and lines[-1].endswith("clean") else "**PROBLEMS**"


def outage(r):
    """The longest outage the clients saw (s) and how many."""
    outages = r.get("outages", [])
    if not outages:
        return "0", 0
    return "%.1f" % max(o["seconds"] for o in outages), len(outages)


def main():
    out = sys.argv[1]
    results = load(out)
    scenarios = sorted({s for (_, s) in results})
    print("# The replicated deployment under failures\n")
    print("Written by `bench/ha.sh` (bench/ha_report.py): marketplace-bench's mixed")
    print("workload (resilient clients) over every replica of `marketplace up --ha`,")
    print("a fresh system per run, the failure injected mid-run and the lost machine")
    print("back after it; each case's own report with charts is in its folder, and")
    print("`compare-<case>/compare.md` sets its charts beside the case without failure.\n")
    for case, text in CASES:
        if any(c == case for (c, _) in results):
            print("- `%s/`: %s" % (case, text))
    print()
    print("## Overall\n")
    print("| case | scenario | calls/s | mean ms | p99 ms | errors | unavailable "
          "| longest outage s | outages | acknowledged writes |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for s in scenarios:
        for case, text in CASES:
            r = results.get((case, s))
            if r is None:
                continue
            o = r["summary"]["overall"]
            longest, count = outage(r)
            print("| %s | %d (%d+%d) | %.0f | %.2f | %.1f | %d | %d | %s | %d | %s |" % (
                case, s, r["config"]["sellers"], r["config"]["buyers"],
                o["throughput"]["avg"], o["mean_ms"]["avg"], o["p99_ms"]["avg"],
                o["errors"], o.get("unavailable", 0), longest, count,
                verdict(out, case, s) if case != "single" else "–"))
    for s in scenarios:
        row_cases = [c for c, _ in CASES if (c, s) in results]
        calls = sorted({call for c in row_cases
                        for call in results[(c, s)]["summary"]["calls"]})
        print("\n## Scenario %d: mean / p99 ms per call\n" % s)
        print("| call | " + " | ".join(row_cases) + " |")
        print("|---|" + "---:|" * len(row_cases))
        for call in calls:
            cells = []
            for c in row_cases:
                f = results[(c, s)]["summary"]["calls"].get(call)
                cells.append("%.2f / %.1f" % (f["mean_ms"]["avg"], f["p99_ms"]["avg"])
                             if f else "–")
            print("| %s | %s |" % (call, " | ".join(cells)))
    faults = os.path.join(out, "faults.txt")
    if os.path.exists(faults):
        print("\n## Failures injected\n")
        print("```")
        with open(faults) as f:
            print(f.read().rstrip())
        print("```")


if __name__ == "__main__":
    main()
