"""edgetm as a fleet: three instances (ns1..ns3, probing from 127.0.0.51..53) sharing a 3-member etcd.

    bench/fleet.sh [--binary PATH] [--rounds N] [--quiet SECONDS] [--port P] [--keep]

A Priority profile `app` has the MEC endpoint 127.0.0.11 (priority 1) and the region 127.0.0.12 (priority 2), both
scripts/endpoint.py on --port (default: a free one), probed over HTTP every 1 s, timeout 0.5 s,
toleratedNumberOfFailures 0, degradedWhen majority. Each of --rounds rounds (default 10):
  failover  waits until every instance has answered the MEC endpoint for 2 s, then a random 0..1 s (so that the
            death falls anywhere in the probe schedule), SIGKILLs the MEC endpoint and polls every instance every
            10 ms: the time from the kill to its first answer of the region, per instance, and the spread between
            the first and the last instance to switch;
  failback  restarts the endpoint after a random 0..1 s and times, from the moment it listens, every instance's
            first answer of it again;
  publish   changes the target of a profile `pub` (one unmonitored endpoint) and runs `edgetm publish`: the time
            from the start of the command until every instance answers the new target (polled every 10 ms).
Then etcd at steady state: its own /metrics on every member before and after --quiet seconds (default 30) with
nothing changing, per second.
Uses --binary (default .build/release/edgetm: `swift build -c release` first), copied so that a rebuild during the
run cannot swap it. Only loopback is used; every process started is stopped by pid on exit, Ctrl-C included.
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
import dnsprobe  # noqa: E402  (bench/dnsprobe.py: the shared DNS poller)
from ports import free_ports  # noqa: E402  (bench/ports.py)

MEC = "127.0.0.11"
REGION = "127.0.0.12"
NAMES = ["ns1", "ns2", "ns3"]
SOURCES = ["127.0.0.51", "127.0.0.52", "127.0.0.53"]
PREFIX = "/edgetm/"
APP = "app.tm.example"
PUB = "pub.tm.example"
INTERVAL = 1.0
POLL = 0.01
TARGETS = {"failover": 0.8, "spread": 0.2, "publish": 1.0}
METRICS = [
    ("etcd_mvcc_put_total", "puts"),
    ("etcd_mvcc_txn_total", "txns"),
    ("etcd_mvcc_delete_total", "deletes"),
    ("etcd_debugging_lease_renewed_total", "lease renewals"),
    ("etcd_server_proposals_committed_total", "raft proposals committed"),
]


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Failure(Exception):
    pass


class Processes:
    """Every child this bench starts, each in a session of its own (so that Ctrl-C reaches only the bench, which
    then stops them in order), stopped by its own pid."""

    def __init__(self, work):
        self.work = work
        self.children = []

    def start(self, label, argv, ready=None, timeout=30):
        """Starts argv, output to WORK/LABEL.log; with `ready`, waits until that text is in the log."""
        path = os.path.join(self.work, label + ".log")
        out = open(path, "ab")
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)
        out.close()
        child.label = label
        child.log_path = path
        self.children.append(child)
        if ready is not None:
            deadline = time.monotonic() + timeout
            while ready not in tail(path):
                if child.poll() is not None or time.monotonic() > deadline:
                    raise Failure(f"{label} did not get ready; its log ({path}):\n{tail(path)[-2000:]}")
                time.sleep(0.02)
        return child

    def stop(self, child, grace=10):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(grace)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if child in self.children:
            self.children.remove(child)

    def kill(self, child):
        if child.poll() is None:
            child.kill()
        child.wait()
        if child in self.children:
            self.children.remove(child)

    def stop_all(self):
        # Newest first (the instances before etcd, so that they can still revoke their leases), one after the
        # other: etcd members stopped together take 7 s, as the leader tries to hand over to one going away.
        for child in reversed(list(self.children)):
            self.stop(child)


def tail(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


# --- etcd

class Etcd:
    def __init__(self, processes, work, members=3):
        ports = free_ports(2 * members)
        self.processes = processes
        self.members = [
            {"name": f"e{i + 1}", "client": f"http://127.0.0.1:{ports[2 * i]}",
             "peer": f"http://127.0.0.1:{ports[2 * i + 1]}", "data": os.path.join(work, f"e{i + 1}.data")}
            for i in range(members)]
        cluster = ",".join(f"{m['name']}={m['peer']}" for m in self.members)
        for m in self.members:
            m["process"] = processes.start(m["name"], [
                "etcd", "--name", m["name"], "--data-dir", m["data"],
                "--listen-client-urls", m["client"], "--advertise-client-urls", m["client"],
                "--listen-peer-urls", m["peer"], "--initial-advertise-peer-urls", m["peer"],
                "--initial-cluster", cluster, "--initial-cluster-token", os.path.basename(work)])
        deadline = time.monotonic() + 30
        while not all(self.healthy(m) for m in self.members):
            if time.monotonic() > deadline:
                raise Failure("etcd did not get healthy within 30 s")
            time.sleep(0.2)

    @property
    def urls(self):
        return [m["client"] for m in self.members]

    @staticmethod
    def healthy(member):
        try:
            with urllib.request.urlopen(member["client"] + "/health", timeout=1) as response:
                return json.load(response).get("health") == "true"
        except OSError:
            return False

    def metrics(self):
        """{metric: value} per member, each metric summed over its labels."""
        result = []
        for m in self.members:
            values = {}
            with urllib.request.urlopen(m["client"] + "/metrics", timeout=5) as response:
                for line in response.read().decode().splitlines():
                    if line.startswith("#") or not line.strip():
                        continue
                    series, _, value = line.rpartition(" ")
                    name = series.split("{", 1)[0]
                    values[name] = values.get(name, 0.0) + float(value)
            result.append(values)
        return result


# --- configuration

def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def server_json(urls, instance, source=None):
    server = {
        "zone": {
            "name": "tm.example.",
            "soa": {"mname": "ns1.tm.example.", "rname": "hostmaster.tm.example."},
            "nameservers": ["ns1.tm.example."],
            "addresses": {"ns1.tm.example.": ["127.0.0.1"]},
        },
        "fleet": {"etcd": urls, "prefix": PREFIX, "instance": instance, "degradedWhen": "majority"},
    }
    if source:
        server["probeSourceAddress"] = [source]
    return json.dumps(server, indent=2)


def app_profile(port):
    endpoint = '{"name": "%s", "type": "externalEndpoints", "properties": {"target": "%s", "priority": %d}}'
    return ('{"name": "app", "properties": {"trafficRoutingMethod": "Priority", '
            '"dnsConfig": {"relativeName": "app", "ttl": 0}, '
            '"monitorConfig": {"protocol": "HTTP", "port": %d, "path": "/health", "intervalInSeconds": 1, '
            '"timeoutInSeconds": 0.5, "toleratedNumberOfFailures": 0}, "endpoints": [%s, %s]}}'
            % (port, endpoint % ("mec", MEC, 1), endpoint % ("region", REGION, 2)))


def pub_profile(target):
    return ('{"name": "pub", "properties": {"trafficRoutingMethod": "Priority", '
            '"dnsConfig": {"relativeName": "pub", "ttl": 0}, '
            '"monitorConfig": {"protocol": "HTTP", "port": 9, "path": "/"}, "endpoints": [{"name": "only", '
            '"type": "externalEndpoints", "properties": {"target": "%s", "priority": 1, "alwaysServe": "Enabled"}}]}}'
            % target)


# --- DNS

def answer(port, name):
    return dnsprobe.Resolver("127.0.0.1", port, name, 0.3).ask()[0]


def zone_status(port):
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "CH", "TXT", "tm.example", "+short", "+tries=1",
                          "+time=1"], capture_output=True, text=True).stdout
    return out.splitlines()[0].strip('"') if out else ""


def wait_all(ports, name, expect, stable=0.0, timeout=30):
    """Until every port has answered `expect` for `stable` seconds; Failure after `timeout`."""
    deadline = time.monotonic() + timeout
    since = None
    while time.monotonic() < deadline:
        if all(answer(port, name) == expect for port in ports):
            since = since or time.monotonic()
            if time.monotonic() - since >= stable:
                return
        else:
            since = None
        time.sleep(0.05)
    raise Failure(f"not every instance answers {name} {expect} (for {stable} s) within {timeout} s: "
                  + ", ".join(f"{p}={answer(p, name)}" for p in ports))


def switch_times(ports, name, expect, timeout=15):
    """Starts one poller thread per port (every 10 ms); returns a function that waits for them and gives, per
    port, the wall-clock time of the first answer `expect` (None: not within `timeout`)."""
    results = [None] * len(ports)

    def poll(index, port):
        resolver = dnsprobe.Resolver("127.0.0.1", port, name, 0.2)
        limit = time.monotonic() + timeout
        for _ in dnsprobe.paced(POLL):
            got, at = resolver.ask()
            if got == expect:
                results[index] = at
                return
            if time.monotonic() > limit:
                return

    threads = [threading.Thread(target=poll, args=(i, p), daemon=True) for i, p in enumerate(ports)]
    for thread in threads:
        thread.start()

    def collect():
        for thread in threads:
            thread.join()
        return results

    return collect


# --- the bench

def run(args, work, processes):
    binary = os.path.join(work, "edgetm")
    shutil.copy(args.binary, binary)
    etcd = Etcd(processes, work)
    log(f"etcd: {', '.join(etcd.urls)}")
    port = args.port or free_ports(1)[0]
    refuse = os.path.join(work, "refuse")
    write(refuse, "")

    def start_mec():
        return processes.start("mec", ["python3", os.path.join(ROOT, "scripts/endpoint.py"), "--bind", MEC,
                                       "--port", str(port), "--refuse-file", refuse], ready="ready")

    processes.start("region", ["python3", os.path.join(ROOT, "scripts/endpoint.py"), "--bind", REGION,
                               "--port", str(port)], ready="ready")
    mec = start_mec()

    published = os.path.join(work, "published")
    write(os.path.join(published, "edgetm.json"), server_json(etcd.urls, "publisher"))
    write(os.path.join(published, "profiles/app.json"), app_profile(port))
    write(os.path.join(published, "profiles/pub.json"), pub_profile("127.0.9.0"))

    def publish():
        done = subprocess.run([binary, "publish", "--config", published], capture_output=True, text=True)
        if done.returncode != 0:
            raise Failure(f"edgetm publish failed: {done.stdout}{done.stderr}")
        return done.stdout.strip()

    log(f"first publish: {publish()}")
    dns_ports = free_ports(len(NAMES))
    for name, source, dns_port in zip(NAMES, SOURCES, dns_ports):
        directory = os.path.join(work, name)
        write(os.path.join(directory, "edgetm.json"), server_json(etcd.urls, name, source))
        write(os.path.join(directory, "profiles/app.json"), app_profile(port))
        processes.start(name, [binary, "serve", "--config", directory, "--listen", f"127.0.0.1:{dns_port}"])
    wait_all(dns_ports, APP, MEC, stable=2 * INTERVAL, timeout=30)
    log("instances: " + ", ".join(f"{n} on 127.0.0.1:{p}" for n, p in zip(NAMES, dns_ports)))
    log("zone status of ns1: " + zone_status(dns_ports[0]))

    failover, failback, publish_times = [[] for _ in NAMES], [[] for _ in NAMES], []
    spreads = []
    for round_number in range(1, args.rounds + 1):
        wait_all(dns_ports, APP, MEC, stable=2 * INTERVAL)
        time.sleep(random.uniform(0, INTERVAL))
        collect = switch_times(dns_ports, APP, REGION)
        killed = time.time()
        processes.kill(mec)
        times = collect()
        if None in times:
            raise Failure(f"round {round_number}: not every instance failed over within 15 s: {times}")
        delays = [t - killed for t in times]
        for i, delay in enumerate(delays):
            failover[i].append(delay)
        spreads.append(max(delays) - min(delays))

        time.sleep(random.uniform(0, INTERVAL))
        collect = switch_times(dns_ports, APP, MEC)
        mec = start_mec()
        listening = time.time()
        times = collect()
        if None in times:
            raise Failure(f"round {round_number}: not every instance failed back within 15 s: {times}")
        for i, t in enumerate(times):
            failback[i].append(t - listening)

        target = f"127.0.9.{round_number}"
        write(os.path.join(published, "profiles/pub.json"), pub_profile(target))
        collect = switch_times(dns_ports, PUB, target)
        started = time.time()
        printed = publish()
        times = collect()
        if None in times:
            raise Failure(f"round {round_number}: not every instance served {target} within 15 s: {times}")
        publish_times.append(max(times) - started)
        log(f"round {round_number}: failover " + " ".join(f"{d:.3f}" for d in delays)
            + f" (spread {spreads[-1]:.3f}), failback " + " ".join(f"{failback[i][-1]:.3f}" for i in range(3))
            + f", publish->serving {publish_times[-1]:.3f} ({printed})")

    wait_all(dns_ports, APP, MEC, stable=2 * INTERVAL)
    log(f"steady state: {args.quiet} s with nothing changing")
    before = etcd.metrics()
    start = time.monotonic()
    time.sleep(args.quiet)
    after = etcd.metrics()
    elapsed = time.monotonic() - start
    rates = []
    for metric, label in METRICS:
        per_member = [(a[metric] - b[metric]) / elapsed for a, b in zip(after, before) if metric in a and metric in b]
        rates.append((label, metric, per_member))
    report(args, failover, failback, spreads, publish_times, rates, elapsed)


def fmt(values):
    return f"{statistics.median(values):7.3f} {max(values):7.3f}"


def verdict(value, limit):
    return "PASS" if value <= limit else "MISS"


def report(args, failover, failback, spreads, publish_times, rates, elapsed):
    print()
    print(f"edgetm fleet benchmark: 3 instances, 3-member etcd, HTTP probes every {INTERVAL:g} s (timeout 0.5 s, "
          f"toleratedNumberOfFailures 0), degradedWhen majority; {args.rounds} rounds, answers polled every 10 ms")
    header = f"{'seconds':<34} {'median':>7} {'max':>7}   target (median)"
    print(header)
    print("-" * len(header))
    for i, name in enumerate(NAMES):
        median = statistics.median(failover[i])
        print(f"{'failover ' + name + ' (MEC killed)':<34} {fmt(failover[i])}   <= {TARGETS['failover']:.1f}"
              f"  {verdict(median, TARGETS['failover'])}")
    print(f"{'spread first..last instance':<34} {fmt(spreads)}   <= {TARGETS['spread']:.1f}"
          f"  {verdict(statistics.median(spreads), TARGETS['spread'])}")
    for i, name in enumerate(NAMES):
        print(f"{'failback ' + name + ' (from listening)':<34} {fmt(failback[i])}")
    print(f"{'publish -> all three serving':<34} {fmt(publish_times)}   <= {TARGETS['publish']:.1f}"
          f"  {verdict(statistics.median(publish_times), TARGETS['publish'])}")
    print()
    print(f"etcd at steady state, per second over {elapsed:.0f} s (per member e1 e2 e3):")
    for label, metric, per_member in rates:
        figures = " ".join(f"{r:7.2f}" for r in per_member) if per_member else "    n/a"
        print(f"  {label:<26} {figures}   ({metric})")
    print()
    print("failover: from the SIGKILL of the MEC endpoint to the instance's first answer of the region; spread: the")
    print("last instance's failover minus the first's, per round; failback: from the restarted endpoint listening to")
    print("the first answer of it; publish: from the start of `edgetm publish` to the last instance answering the")
    print("new target. Each time includes up to 10 ms of polling delay.")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/edgetm"))
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--quiet", type=float, default=30)
    parser.add_argument("--port", type=int, help="the endpoints' HTTP port (default: a free one)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, data)")
    args = parser.parse_args()
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"no executable {args.binary}: run `swift build -c release` or pass --binary PATH")
    for tool in ("etcd", "dig"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found (etcd-server, bind9-dnsutils)")
    # Ctrl-C raises KeyboardInterrupt even when started in the background by a shell that ignores SIGINT for
    # background jobs; SIGTERM and SIGHUP end the bench likewise, through the finally below.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, lambda signum, _: sys.exit(128 + signum))
    work = tempfile.mkdtemp(prefix="edgetm-fleet.")
    processes = Processes(work)
    ok = False
    status = 1
    try:
        run(args, work, processes)
        ok = True
        status = 0
    except Failure as failure:
        log(f"error: {failure}")
    except KeyboardInterrupt:
        log("interrupted")
        status = 130
    finally:
        processes.stop_all()
        if args.keep or not ok:
            log(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
