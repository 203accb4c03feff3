#!/usr/bin/env python3
"""Summarises bench/failover.sh results: one table of medians (min/max) and the targets, checked.

Input: TSV lines `interval timeout kind run failover_s failback_s reason [signal_epoch restore_epoch]`. Exit status 0 whatever the verdicts
(the benchmark reports; it does not gate).
Targets (toleratedNumberOfFailures N = 0):
  worst-case failover <= interval * (N + 1) + timeout + 0.1 s
  worst-case failback <= interval + 0.1 s
  median failover of a killed primary <= 0.6 s at interval 1 s, <= 0.2 s at interval 0.25 s
"""
import statistics
import sys
from collections import defaultdict

TOLERATED = 0
MEDIAN_KILLED_TARGET = {1.0: 0.6, 0.25: 0.2}


def ORDER(item):
    """Longest interval first; killed before hung."""
    (interval, _, kind), _ = item
    return (-interval, kind != "killed")


def fmt(values):
    return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def main(path):
    groups = defaultdict(list)
    for line in open(path):
        if not line.strip():
            continue
        interval, timeout, kind, run, failover, failback, reason = line.rstrip("\n").split("\t")[:7]
        groups[(float(interval), float(timeout), kind)].append((float(failover), float(failback), reason))
    if not groups:
        print("no results")
        return 1

    print()
    print("edgetm failover benchmark: seconds, median (min-max) over n runs; probe HTTP, toleratedNumberOfFailures 0")
    header = f"{'interval':>8} {'timeout':>7} {'death':<7} {'n':>2}  {'failover':<22} {'failback':<22} probe failure"
    print(header)
    print("-" * len(header))
    for (interval, timeout, kind), runs in sorted(groups.items(), key=ORDER):
        reasons = sorted({r[2].replace("_", " ") for r in runs})
        print(f"{interval:>8g} {timeout:>7g} {kind:<7} {len(runs):>2}  {fmt([r[0] for r in runs]):<22} "
              f"{fmt([r[1] for r in runs]):<22} {', '.join(reasons)}")

    print()
    print("failover: from the signal to the first answer of the region; failback: from the endpoint listening again")
    print("(killed: restarted, \"ready\") or SIGCONT (hung) to the first answer of the MEC endpoint; answers polled every")
    print("20 ms, so each time includes up to 20 ms of polling delay")
    print()
    print("targets")
    failures = 0
    for (interval, timeout, kind), runs in sorted(groups.items(), key=ORDER):
        checks = []
        worst_failover = max(r[0] for r in runs)
        limit = interval * (TOLERATED + 1) + timeout + 0.1
        checks.append((f"worst failover {worst_failover:.3f} <= {limit:.3f}", worst_failover <= limit))
        worst_failback = max(r[1] for r in runs)
        limit = interval + 0.1
        checks.append((f"worst failback {worst_failback:.3f} <= {limit:.3f}", worst_failback <= limit))
        if kind == "killed" and interval in MEDIAN_KILLED_TARGET:
            median = statistics.median(r[0] for r in runs)
            limit = MEDIAN_KILLED_TARGET[interval]
            checks.append((f"median failover {median:.3f} <= {limit:.3f}", median <= limit))
        for text, ok in checks:
            failures += not ok
            case = f"interval {interval:g} s, {kind}:"
            print(f"  {case:<24} {text:<36} {'PASS' if ok else 'MISS'}")
    print()
    print(f"{failures} target(s) missed" if failures else "all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
