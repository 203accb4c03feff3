#!/usr/bin/env python3
"""Helpers and the report of bench/probe-scale.sh.

    probe_scale_report.py cpu PID > SNAPSHOT.json      CPU ticks of the process and of each thread, by name
    probe_scale_report.py report --dump D --started T --window T0 T1 --cpu0 F --cpu1 F --idle-cpu0 F --idle-cpu1 F
                                 --idle-dnsperf F --busy-dnsperf F --urls N --interval S [--degraded K]
"""
import argparse
import json
import math
import os
import statistics
import sys
import time


def thread_ticks(pid):
    """{tid: (comm, utime + stime)} of every thread of pid, and the process total."""
    threads = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                comm = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        # After "pid (comm)": fields[0] is state (field 3), so utime (14) and stime (15) are fields[11], [12].
        threads[tid] = (comm, int(fields[11]), int(fields[12]))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return threads, int(fields[11]) + int(fields[12])


def cmd_cpu(args):
    threads, total = thread_ticks(args.pid)
    json.dump({"time": time.time(), "tck": os.sysconf("SC_CLK_TCK"), "process": total,
               "threads": {tid: {"comm": comm, "ticks": user + system, "user": user, "system": system}
                           for tid, (comm, user, system) in threads.items()}},
              sys.stdout)
    return 0


def cpu_delta(path0, path1):
    """Seconds between two snapshots, process CPU %, and [(tid, comm, CPU %, user %, system %)] by tid; % of one
    core."""
    a, b = json.load(open(path0)), json.load(open(path1))
    seconds = b["time"] - a["time"]
    tck = b["tck"]
    percent = lambda ticks: 100.0 * ticks / tck / seconds
    threads = []
    for tid, thread in sorted(b["threads"].items(), key=lambda item: int(item[0])):
        before = a["threads"].get(tid, {"ticks": 0, "user": 0, "system": 0})
        threads.append((int(tid), thread["comm"], percent(thread["ticks"] - before["ticks"]),
                        percent(thread["user"] - before["user"]), percent(thread["system"] - before["system"])))
    return seconds, percent(b["process"] - a["process"]), threads


def probe_thread(threads, settle=None):
    """The thread named "probes"; failing that, the busiest thread while only probes ran (`settle`, a thread list
    from a time without DNS traffic); failing that, the last one started (edgetm starts it after the listeners)."""
    named = [t for t in threads if t[1] == "probes"]
    if named:
        return named[0], None
    names = sorted({t[1] for t in threads})
    if settle:
        busiest = max(settle, key=lambda t: t[2])
        if busiest[2] > 0:
            match = [t for t in threads if t[0] == busiest[0]]
            if match:
                return match[0], (f"no thread is named 'probes' (thread names: {names}); taken: tid {busiest[0]},"
                                  f" the busiest while no DNS query was sent ({busiest[2]:.1f} % then)")
    last = max(threads, key=lambda t: t[0])
    return last, f"no thread is named 'probes' (thread names: {names}); taken: the last thread started, tid {last[0]}"


def percentile(sorted_values, fraction):
    if not sorted_values:
        return math.nan
    index = min(len(sorted_values) - 1, max(0, math.ceil(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def dnsperf_latencies(path):
    """Latencies (ms) in the order `dnsperf -v` printed them (about the order sent); None for lost queries."""
    return [float(line.split()[-1]) * 1000 if line.split()[1] == "NOERROR" else None
            for line in open(path, errors="replace") if line.startswith("> ")]


def latency_summary(values):
    values = sorted(values)
    return {"n": len(values), "avg": statistics.fmean(values) if values else math.nan,
            "p99": percentile(values, 0.99), "max": values[-1] if values else math.nan}


def dnsperf_stats(path):
    """Latencies (ms) of every answered query in a `dnsperf -v` output, plus the summary counters."""
    latencies, sent, lost, qps = [], None, None, None
    for line in open(path, errors="replace"):
        if line.startswith("> "):
            parts = line.split()
            if parts[1] == "NOERROR":
                latencies.append(float(parts[-1]) * 1000)
        elif "Queries sent:" in line:
            sent = int(line.split()[-1])
        elif "Queries lost:" in line:
            lost = int(line.split()[2])
        elif "Queries per second:" in line:
            qps = float(line.split()[-1])
    latencies.sort()
    return {
        "n": len(latencies), "sent": sent, "lost": lost, "qps": qps,
        "avg": statistics.fmean(latencies) if latencies else math.nan,
        "p50": percentile(latencies, 0.50), "p99": percentile(latencies, 0.99),
        "p999": percentile(latencies, 0.999), "max": latencies[-1] if latencies else math.nan,
    }


def cmd_report(args):
    arrivals = json.load(open(args.dump))
    t0, t1 = args.window
    window = t1 - t0
    all_times = sorted(t for times in arrivals.values() for t in times)
    in_window = [t for t in all_times if t0 <= t < t1]
    per_second = [0] * max(1, int(window))
    for t in in_window:
        index = int(t - t0)
        if index < len(per_second):
            per_second[index] += 1

    # Gaps between consecutive probes of one URL whose later probe falls in the window.
    gaps = []
    first = []
    for times in arrivals.values():
        times = sorted(times)
        first.append(times[0] - args.started)
        gaps += [b - a for a, b in zip(times, times[1:]) if t0 <= b < t1]
    gaps.sort()
    mean_gap = statistics.fmean(gaps) if gaps else math.nan
    late = sum(1 for g in gaps if g > args.interval + 0.1)
    short = sum(1 for g in gaps if g < 0.9 * args.interval - 0.1)

    seconds, process_cpu, threads = cpu_delta(args.cpu0, args.cpu1)
    _, idle_process_cpu, idle_threads = cpu_delta(args.idle_cpu0, args.idle_cpu1)
    settle = cpu_delta(args.settle_cpu0, args.settle_cpu1)[2] if args.settle_cpu0 else None
    probes, probes_note = probe_thread(threads, settle)
    # The idle run probes nothing: its probe thread is the same position (the last started), near 0 % either way.
    idle_probes, _ = probe_thread(idle_threads)
    idle, busy = dnsperf_stats(args.idle_dnsperf), dnsperf_stats(args.busy_dnsperf)

    print()
    print(f"edgetm probe-scale benchmark: {args.urls} endpoints (distinct URLs), HTTP, interval {args.interval:g} s")
    print()
    print("probing")
    print(f"  distinct URLs probed              {len(arrivals)} of {args.urls}")
    print(f"  first round                       every URL probed within {max(first):.2f} s of edgetm's start"
          f" (median {statistics.median(first):.2f} s)")
    print(f"  window                            {window:.1f} s, from {t0 - args.started:.1f} s after start")
    print(f"  probes received in window         {len(in_window)}  ->  {len(in_window) / window:.1f} probes/s")
    print(f"  probes/s from per-URL intervals   {len(arrivals) / mean_gap:.1f}  (expected {args.urls / args.interval:.0f}"
          f"-{args.urls / (0.9 * args.interval):.0f} for interval {args.interval:g} s less up to 10 % jitter)")
    print(f"  per-URL interval                  mean {mean_gap:.3f} s, min {gaps[0]:.3f} s, max {gaps[-1]:.3f} s,"
          f" p99 {percentile(gaps, 0.99):.3f} s; {late} of {len(gaps)} later than interval + 0.1 s,"
          f" {short} shorter than 0.9 x interval - 0.1 s")
    bursty = max(per_second) > 2 * len(in_window) / window
    print(f"  probes per 1-s slot in window     min {min(per_second)}, median {statistics.median(per_second):.0f},"
          f" max {max(per_second)}" + (" (bursty: a round's probes start together, spread only by the jitter)"
                                       if bursty else ""))
    print(f"  transitions to Degraded           {args.degraded}")
    print()
    print("CPU (% of one core, utime+stime from /proc over the window)")
    if probes_note:
        print(f"  note: {probes_note}")
    per_probe = probes[2] / 100 * seconds / max(1, len(in_window)) * 1e6
    print(f"  probing: probe thread             {probes[2]:.2f} %  (user {probes[3]:.2f} %, system {probes[4]:.2f} %;"
          f" {per_probe:.0f} us of CPU per probe)")
    print(f"  probing: whole edgetm process     {process_cpu:.2f} %  (includes answering dnsperf)")
    print(f"  idle:    probe thread             {idle_probes[2]:.2f} %")
    print(f"  idle:    whole edgetm process     {idle_process_cpu:.2f} %  (includes answering dnsperf)")
    print("  per thread while probing:        " + ", ".join(f"{t[0]} {t[1]} {t[2]:.1f} %" for t in threads))
    print()
    print("DNS answer latency (dnsperf -v, UDP, milliseconds)")
    header = f"  {'':<26}{'queries':>8} {'lost':>5} {'qps':>7} {'avg':>7} {'p50':>7} {'p99':>7} {'p99.9':>7} {'max':>7}"
    print(header)
    for label, s in (("idle (no probes)", idle), ("while probing", busy)):
        print(f"  {label:<26}{s['n']:>8} {s['lost'] if s['lost'] is not None else '?':>5} {s['qps'] or 0:>7.0f}"
              f" {s['avg']:>7.3f} {s['p50']:>7.3f} {s['p99']:>7.3f} {s['p999']:>7.3f} {s['max']:>7.3f}")
    # dnsperf sends at a fixed rate from T0, so query i left at about T0 + i / QPS: split by the probe load of
    # that second.
    threshold = 2 * len(in_window) / window
    busy_seconds, calm_seconds = [], []
    for index, latency in enumerate(dnsperf_latencies(args.busy_dnsperf)):
        second = int(index / args.qps)
        if latency is None or second >= len(per_second):
            continue
        (busy_seconds if per_second[second] > threshold else calm_seconds).append(latency)
    for label, values in ((f"  - seconds >{threshold:.0f} probes", busy_seconds),
                          ("  - the other seconds", calm_seconds)):
        summary = latency_summary(values)
        if not values:
            continue
        print(f"  {label:<26}{summary['n']:>8} {'':>5} {'':>7} {summary['avg']:>7.3f} {'':>7} {summary['p99']:>7.3f}"
              f" {'':>7} {summary['max']:>7.3f}")
    print()
    print("  idle = the same profiles with every endpoint alwaysServe (nothing probed); the counting HTTP server runs")
    print("  in both. The two '-' rows split 'while probing' by the probes received in the second each query was sent")
    print("  (query i taken as sent i/QPS seconds into the window).")
    return 0


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("cpu")
    p.add_argument("pid", type=int)
    p.set_defaults(func=cmd_cpu)
    p = sub.add_parser("report")
    p.add_argument("--dump", required=True)
    p.add_argument("--started", type=float, required=True)
    p.add_argument("--window", type=float, nargs=2, required=True)
    for name in ("cpu0", "cpu1", "idle-cpu0", "idle-cpu1", "idle-dnsperf", "busy-dnsperf"):
        p.add_argument(f"--{name}", required=True)
    p.add_argument("--settle-cpu0")
    p.add_argument("--settle-cpu1")
    p.add_argument("--urls", type=int, required=True)
    p.add_argument("--interval", type=float, required=True)
    p.add_argument("--degraded", type=int, default=0)
    p.add_argument("--qps", type=float, default=1000)
    p.set_defaults(func=cmd_report)
    args = parser.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
