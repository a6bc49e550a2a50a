#!/usr/bin/env python3
"""Idle search latency: one buyer, one keep-alive connection, one search at
a time, against a running system whose catalogue marketplace-bench --catalog
grew. Prints a Markdown table of mean, p50 and p99 per kind of search:

  1 word of the workload's 12     (the one-keyword path)
  2 words of the workload's 12    (what scenario 3 searches)
  5 words drawn from the catalogue's Zipf vocabulary (a user's query)
  the 5 most frequent words       (the worst case: every match is read)

The vocabulary and its Zipf exponent are read from bench/workload.h and
bench/catalog.h, so the words are the catalogue's. Times include this
client's own cost (about 0.1 ms of Python per call).

Usage: bench/idle_search.py BUYER_URL [--count N] [--limit L] [--seed S] [--json FILE]
                             [--kinds 1,2,3,4]
(--json also writes the figures there, for bench/growth.sh; --kinds runs only
those rows of the table, e.g. --kinds 3 while a profiler watches.)
"""
import argparse
import bisect
import http.client
import json
import random
import re
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent


def vocabulary():
    """The catalogue's words in rank order and their cumulative Zipf weights."""
    workload = (HERE / "workload.h").read_text()
    catalog = (HERE / "catalog.h").read_text()
    block = re.search(r"kWords\[\]\s*=\s*\{(.*?)\};", workload, re.S).group(1)
    words = re.findall(r'"([^"]+)"', block)
    size = int(re.search(r"kVocabulary\s*=\s*(\d+)", catalog).group(1))
    exponent = float(re.search(r"kZipfExponent\s*=\s*([\d.]+)", catalog).group(1))
    categories = int(re.search(r"kCategories\s*=\s*(\d+)", workload).group(1))
    words += ["w%d" % n for n in range(len(words), size)]
    cumulative, total = [], 0.0
    for rank in range(1, size + 1):
        total += 1.0 / rank ** exponent
        cumulative.append(total)
    return words, [c / total for c in cumulative], categories, len(re.findall(r'"', block)) // 2


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("buyer_url", help="e.g. http://127.0.0.1:8082")
    parser.add_argument("--count", type=int, default=200, help="searches of each kind")
    parser.add_argument("--limit", type=int, default=20, help="the page size asked for")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--kinds", default="1,2,3,4",
                        help="which kinds of search, by row number (default: all)")
    args = parser.parse_args()
    words, cumulative, categories, workload_words = vocabulary()
    rng = random.Random(args.seed)

    url = urllib.parse.urlsplit(args.buyer_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)

    def call(method, path, body=None, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers=headers)
        reply = conn.getresponse()
        return reply.status, reply.read()

    user = "idle%d" % int(time.time() * 1000)
    password = "idle-search-pass-1"
    status, reply = call("POST", "/v1/accounts",
                         {"username": user, "password": password, "name": "Idle searcher"})
    if status != 201:
        sys.exit("idle_search: cannot create a buyer: %d %s" % (status, reply[:200]))
    status, reply = call("POST", "/v1/sessions", {"username": user, "password": password})
    if status != 201:
        sys.exit("idle_search: cannot log in: %d %s" % (status, reply[:200]))
    token = json.loads(reply)["token"]

    def drawn():
        chosen = []
        while len(chosen) < 5:
            rank = bisect.bisect_right(cumulative, rng.random())
            word = words[min(rank, len(words) - 1)]
            if word not in chosen:
                chosen.append(word)
        return chosen

    kinds = [
        ("1 word of the workload's %d" % workload_words,
         lambda: [words[rng.randrange(workload_words)]]),
        ("2 words of the workload's %d" % workload_words,
         lambda: rng.sample(words[:workload_words], 2)),
        ("5 words drawn from the Zipf vocabulary", drawn),
        ("the 5 most frequent words", lambda: words[:5]),
    ]
    chosen = {int(k) for k in args.kinds.split(",")}
    kinds = [kind for n, kind in enumerate(kinds, 1) if n in chosen]
    print("| search (%d each, limit %d) | mean ms | p50 ms | p99 ms | items found, mean |"
          % (args.count, args.limit))
    print("|---|---:|---:|---:|---:|")
    figures = []
    for name, keywords in kinds:
        times, found = [], []
        for n in range(args.count + 10):  # the first 10 warm up
            query = urllib.parse.urlencode({
                "category": rng.randint(1, categories), "keywords": ",".join(keywords()),
                "limit": args.limit})
            start = time.perf_counter()
            status, reply = call("GET", "/v1/items?" + query, token=token)
            elapsed = time.perf_counter() - start
            if status != 200:
                sys.exit("idle_search: search failed: %d %s" % (status, reply[:200]))
            if n >= 10:
                times.append(elapsed * 1000)
                found.append(len(json.loads(reply)["items"]))
        times.sort()
        figures.append({"search": name, "mean_ms": statistics.mean(times),
                        "p50_ms": times[len(times) // 2],
                        "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))],
                        "found": statistics.mean(found)})
        f = figures[-1]
        print("| %s | %.2f | %.2f | %.2f | %.1f |" % (
            name, f["mean_ms"], f["p50_ms"], f["p99_ms"], f["found"]))
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"count": args.count, "limit": args.limit, "searches": figures}, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
