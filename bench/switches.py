#!/usr/bin/env python3
"""Context switches per call over every process of a benchmark run.

Runs marketplace-bench (with the flags given after --) against a running
system and counts the context switches of every thread of every mp-*
process on this machine (the servers, the DB services, payment) and of the
load generator itself, from before the run to after it, divided by the
calls the benchmark made, and their CPU time likewise. A context switch is a thread going to sleep
(voluntary: it waits for something) or being preempted; on a loaded
machine every hand-off between threads costs at least one, so this counts
the hand-offs of the request path.

Usage: bench/switches.py [--bench PATH] -- --seller S --buyer B --scenario 1 ...
The set-up's calls (accounts, items) are not in the count of calls, so use
enough calls that they do not matter; the floor is skipped (--floor-calls 0
is added) because it runs in the load generator's process.
"""
import json
import os
import resource
import subprocess
import sys
import tempfile


def switches_of(pid):
    """Voluntary and involuntary context switches of all threads of pid."""
    vol = invol = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches:"):
                        vol += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches:"):
                        invol += int(line.split()[1])
        except OSError:
            pass
    return vol, invol


def cpu_of(pid):
    """User + system CPU seconds of all threads of pid."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def mp_processes():
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        if comm.startswith("mp-"):
            out[int(pid)] = comm
    return out


def main(argv):
    bench = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "bin",
                         "marketplace-bench")
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    own = argv[:argv.index("--")]
    flags = argv[argv.index("--") + 1:]
    if own[:1] == ["--bench"]:
        bench = own[1]
    processes = mp_processes()
    if not processes:
        print("switches.py: no mp-* process runs; start the system first", file=sys.stderr)
        return 2
    before = {pid: switches_of(pid) for pid in processes}
    cpu_before = {pid: cpu_of(pid) for pid in processes}
    with tempfile.TemporaryDirectory() as out:
        code = subprocess.call([bench, *flags, "--floor-calls", "0", "--out", out],
                               stdout=subprocess.DEVNULL)
        if code != 0:
            print(f"switches.py: marketplace-bench exited with {code}", file=sys.stderr)
            return code
        after = {pid: switches_of(pid) for pid in processes}
        cpu_after = {pid: cpu_of(pid) for pid in processes}
        results = [f for f in os.listdir(out) if f.endswith(".json")]
        with open(os.path.join(out, results[0])) as f:
            result = json.load(f)
    calls = sum(run["overall"]["calls"] for run in result["runs"])
    overall = result["summary"]["overall"]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    rows = []
    by_name = {}
    for pid, name in processes.items():
        if before[pid] is None or after[pid] is None:
            continue
        v = after[pid][0] - before[pid][0]
        i = after[pid][1] - before[pid][1]
        total = by_name.setdefault(name, [0, 0, 0.0])
        total[0] += v
        total[1] += i
        total[2] += (cpu_after[pid] or 0) - (cpu_before[pid] or 0)
    for name, (v, i, cpu) in sorted(by_name.items()):
        rows.append((name, v, i, cpu))
    rows.append(("marketplace-bench", usage.ru_nvcsw, usage.ru_nivcsw,
                 usage.ru_utime + usage.ru_stime))
    print(f"{calls} calls ({result['config']['workload']}, "
          f"{result['config']['sellers']}+{result['config']['buyers']} clients): "
          f"mean {overall['mean_ms']['avg']:.3f} ms, {overall['throughput']['avg']:.0f} calls/s, "
          f"p50 {overall['p50_ms']['avg']:.2f} ms, p99 {overall['p99_ms']['avg']:.2f} ms, "
          f"{overall['errors']} errors")
    by_call = result["summary"]["calls"]
    print("p50 by call (ms): " + ", ".join(
        f"{name} {figures['p50_ms']['avg']:.2f}" for name, figures in sorted(by_call.items())))
    print(f"{'process':<18} {'voluntary/call':>15} {'involuntary/call':>17} {'CPU us/call':>12}")
    for name, v, i, cpu in rows:
        print(f"{name:<18} {v / calls:>15.2f} {i / calls:>17.2f} {cpu * 1e6 / calls:>12.1f}")
    tv = sum(r[1] for r in rows)
    ti = sum(r[2] for r in rows)
    tc = sum(r[3] for r in rows)
    print(f"{'all':<18} {tv / calls:>15.2f} {ti / calls:>17.2f} {tc * 1e6 / calls:>12.1f}"
          f"   switches {(tv + ti) / calls:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
