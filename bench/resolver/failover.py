#!/usr/bin/env python3
"""Client-side failover and failback through a caching resolver, for bench/resolver-failover.sh.

    failover.py run --resolver-port U --edgetm-port P --name NAME --witness NAME --mec ADDR --region ADDR
                    --endpoint-port E --endpoint-log FILE --runs N --label L --results FILE
                    [--timeline FILE] [--ttl 30 --interval 1 --tolerated 2]
    failover.py report FILE [--ttl 30 --interval 1 --timeout 0.5 --tolerated 2]

`run` owns the MEC endpoint (scripts/endpoint.py on ADDR:E): it starts it, and each run kills it (SIGKILL: probes
see connection refused) and starts it again. A client asks the resolver for NAME every 100 ms, all along, as a
real client behind it would; a witness asks edgetm itself for WITNESS (a profile with adaptiveTtl on the same two
endpoints, so probed by the same probes) to see when the first probe failed (its TTL drops) and when edgetm failed
over. Each run:
  1. waits until the resolver has just fetched the MEC answer (its TTL is the profile's whole TTL), which tells when
     that cache entry expires: Unbound keeps serving it through the second in which its TTL reaches 0;
  2. kills the MEC endpoint so that the expiry falls between its first failed probe and its Degraded verdict,
     whatever the probe phase: (interval + 0.9 x N x interval) / 2 before it (the first failure comes within one
     interval of the kill, the verdict N more intervals, shortened by up to 10 % of jitter, after it);
  3. failover = kill -> first region answer from the resolver; then, a random 0..interval later, starts the
     endpoint again; failback = "ready" (it listens) -> first MEC answer from the resolver.
Appends one TSV line per run to FILE: label run failover failback first_failure cache_expired edgetm_failover
(the last three from the kill, seconds; "-" when not seen). `report` prints one table of them with the targets.
Only loopback servers are used.
"""
import argparse
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import dnsprobe  # noqa: E402  (bench/dnsprobe.py: the one DNS poller of the benchmarks)

EVERY = 0.1
ENDPOINT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        "scripts", "endpoint.py")


class Endpoint:
    """The MEC service, started and killed by this process alone."""

    def __init__(self, address, port, log):
        self.address, self.port, self.log = address, port, log
        self.process = None

    def start(self):
        """Starts it; returns the wall-clock time it printed "ready" (it listens)."""
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                [sys.executable, ENDPOINT, "--bind", self.address, "--port", str(self.port)],
                stdout=subprocess.PIPE, stderr=log, text=True)
        line = self.process.stdout.readline()
        if line.strip() != "ready":
            self.kill()
            sys.exit(f"failover.py: the endpoint on {self.address}:{self.port} did not start; see {self.log}")
        return time.time()

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None


class Timeline:
    """The client's and the witness's answers, one pair per tick of EVERY seconds."""

    def __init__(self, args):
        self.client = dnsprobe.Resolver("127.0.0.1", args.resolver_port, args.name, 0.5, recursive=True)
        self.witness = dnsprobe.Resolver("127.0.0.1", args.edgetm_port, args.witness, 0.2)
        self.ticks = dnsprobe.paced(EVERY)
        self.last = None
        # Every tick and event, for reading a run again: TIME CLIENT TTL WITNESS TTL, and "# TIME event" lines.
        self.log = open(args.timeline, "a", buffering=1) if args.timeline else None

    def note(self, event):
        if self.log:
            self.log.write(f"# {time.time():.3f} {event}\n")

    def tick(self):
        """One client query and one witness query; returns (time, client answer, client TTL, witness answer,
        witness TTL, whether the client's answer was just fetched by the resolver: its TTL rose or it changed)."""
        next(self.ticks)
        answer, ttl, at = self.client.ask_with_ttl()
        seen, seen_ttl, _ = self.witness.ask_with_ttl()
        fetched = self.last is not None and (answer != self.last[0] or (ttl or 0) > (self.last[1] or 0))
        self.last = (answer, ttl)
        if self.log:
            self.log.write(f"{at:.3f}\t{answer}\t{ttl}\t{seen}\t{seen_ttl}\n")
        return at, answer, ttl, seen, seen_ttl, fetched


def measure(args, endpoint, timeline, run):
    full = args.ttl
    # 1. A fresh fetch of the MEC answer while edgetm answers it with its whole TTL (no failed probe).
    deadline = time.monotonic() + full + 30
    while True:
        at, answer, ttl, seen, seen_ttl, _ = timeline.tick()
        if answer == args.mec and ttl == full and seen == args.mec and seen_ttl == full:
            break
        if time.monotonic() > deadline:
            sys.exit(f"failover.py: the resolver never fetched {args.mec} afresh (last: {answer} TTL {ttl})")
    expires = math.floor(at) + full + 1
    lead = (args.interval + 0.9 * args.tolerated * args.interval) / 2
    kill_at = expires - lead
    while time.time() < kill_at:
        timeline.tick()
    # 2. The kill.
    killed = time.time()
    endpoint.kill()
    timeline.note(f"run {run}: killed the MEC endpoint; the cached answer expires at {expires}")
    first_failure = cache_expired = edgetm_failover = None
    deadline = time.monotonic() + full + 30
    while True:
        at, answer, ttl, seen, seen_ttl, fetched = timeline.tick()
        if first_failure is None and seen == args.mec and seen_ttl is not None and seen_ttl < full:
            first_failure = at - killed
        if edgetm_failover is None and seen == args.region:
            edgetm_failover = at - killed
        if cache_expired is None and fetched:
            cache_expired = at - killed
        if answer == args.region:
            failover = at - killed
            break
        if time.monotonic() > deadline:
            sys.exit(f"failover.py: no failover to {args.region} through the resolver in {full + 30} s (run {run})")
    # 3. Back after a random part of an interval.
    hold_until = time.time() + random.uniform(0, args.interval)
    while time.time() < hold_until:
        timeline.tick()
    listening = endpoint.start()
    timeline.note(f"run {run}: the MEC endpoint listens again")
    deadline = time.monotonic() + full + 30
    while True:
        at, answer, *_ = timeline.tick()
        if answer == args.mec:
            failback = at - listening
            break
        if time.monotonic() > deadline:
            sys.exit(f"failover.py: no failback to {args.mec} through the resolver in {full + 30} s (run {run})")
    return failover, failback, first_failure, cache_expired, edgetm_failover


def cmd_run(args):
    endpoint = Endpoint(args.mec, args.endpoint_port, args.endpoint_log)
    # SIGTERM from the bench's exit trap: end through `finally`, so that the endpoint is killed too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        endpoint.start()
        timeline = Timeline(args)
        for run in range(1, args.runs + 1):
            figures = measure(args, endpoint, timeline, run)
            fields = [args.label, str(run)] + ["-" if value is None else f"{value:.3f}" for value in figures]
            with open(args.results, "a") as results:
                results.write("\t".join(fields) + "\n")
            print(f"  adaptiveTtl {args.label} run {run}: failover {fields[2]} s, failback {fields[3]} s "
                  f"(after the kill: first failed probe {fields[4]} s, cache expired {fields[5]} s, "
                  f"edgetm failed over {fields[6]} s)", file=sys.stderr, flush=True)
    finally:
        endpoint.kill()
    return 0


def fmt(values):
    if not values:
        return "-"
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def cmd_report(args):
    groups = defaultdict(list)
    for line in open(args.file):
        if line.strip():
            label, _, *figures = line.rstrip("\n").split("\t")
            groups[label].append([None if value == "-" else float(value) for value in figures])
    if not groups:
        print("no results")
        return 1
    print()
    print("client-side failover through Unbound (cache on, stub zone): seconds, median (min-max) over n runs")
    print(f"profile TTL {args.ttl} s, interval {args.interval:g} s, timeout {args.timeout:g} s, "
          f"toleratedNumberOfFailures {args.tolerated}; the client asks Unbound every {EVERY * 1000:.0f} ms")
    header = (f"{'adaptiveTtl':<11} {'n':>2}  {'failover':<19} {'failback':<19} {'edgetm failover':<19} "
              f"{'case held':<9}")
    print(header)
    print("-" * len(header))
    held = {}
    for label in sorted(groups, key=lambda label: label != "off"):
        runs = groups[label]
        # The case this measures: the cached answer expired after the first failed probe, before Degraded.
        held[label] = sum(1 for r in runs if None not in (r[2], r[3], r[4]) and r[2] < r[3] < r[4])
        print(f"{label:<11} {len(runs):>2}  {fmt([r[0] for r in runs]):<19} {fmt([r[1] for r in runs]):<19} "
              f"{fmt([r[4] for r in runs if r[4] is not None]):<19} {held[label]}/{len(runs)}")
    print()
    print("failover: SIGKILL of the MEC endpoint -> first region answer from Unbound; failback: the endpoint")
    print("listening again -> first MEC answer from Unbound; edgetm failover: edgetm's own answer, asked directly.")
    print("case held: Unbound's cached MEC answer expired after the first failed probe and before Degraded.")
    if "on" in groups:
        runs = groups["on"]
        print()
        print("targets (adaptiveTtl on)")
        failover_limit = args.interval * (args.tolerated + 1) + args.timeout + 2
        failback_limit = args.interval + 2
        checks = [
            (f"worst failover {max(r[0] for r in runs):.2f} <= {failover_limit:g}",
             max(r[0] for r in runs) <= failover_limit),
            (f"worst failback {max(r[1] for r in runs):.2f} <= {failback_limit:g}",
             max(r[1] for r in runs) <= failback_limit),
            (f"case held in {held['on']}/{len(runs)} runs", held["on"] == len(runs)),
        ]
        for text, ok in checks:
            print(f"  {text:<40} {'PASS' if ok else 'MISS'}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def settings(p):
        p.add_argument("--ttl", type=int, default=30)
        p.add_argument("--interval", type=float, default=1)
        p.add_argument("--tolerated", type=int, default=2)

    p = sub.add_parser("run")
    settings(p)
    for option in ["--name", "--witness", "--mec", "--region", "--endpoint-log", "--label", "--results"]:
        p.add_argument(option, required=True)
    p.add_argument("--timeline", help="append every tick and event to this file")
    for option in ["--resolver-port", "--edgetm-port", "--endpoint-port", "--runs"]:
        p.add_argument(option, type=int, required=True)
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("report")
    settings(p)
    p.add_argument("file")
    p.add_argument("--timeout", type=float, default=0.5)
    p.set_defaults(func=cmd_report)
    args = parser.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
