"""edgetm at scale: configuration load, start, memory, reload under load and status, for N profiles x 10 endpoints.

Shapes: `priority` (N Priority profiles of 10 unmonitored endpoints, as bench/dns/gen.py many) and `geo` (N/11
Geographic parents, each nesting 10 Priority children of 10 endpoints, mapped to Azure's groupings).
For each shape and N it measures, with the release binary:
  check       `edgetm check` wall time and peak RSS;
  first       start to the first correct answer (polled every 20 ms), and to the "ready" log line;
  rss         resident memory 3 s after ready;
  reload      SIGHUP to the zone status showing the next generation, median of --reloads; during every reload a
              client sends --qps queries a second over random profile names and checks every answer (lost, wrong);
  rss10       resident memory 2 s and 6 s after the last reload (edgetm gives freed memory back 1.5 s after a
              reload, once every listener has left the old snapshot; the 6 s figure is the steady state);
  status      CH TXT of the zone over TCP and of one profile over UDP: milliseconds, and whether the zone answer
              ends with the truncated= line.
"""
import argparse
import os
import random
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ZONE = "tm.example."
GROUPINGS = ["GEO-NA", "GEO-SA", "GEO-EU", "GEO-ME", "GEO-AF", "GEO-AS", "GEO-AP", "GEO-AN", "US", "WORLD"]


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def write_json(path, text):
    with open(path, "w") as f:
        f.write(text)


def server_json():
    return ('{"zone": {"name": "%s", "soa": {"mname": "ns1.%s", "rname": "hostmaster.%s"}, '
            '"nameservers": ["ns1.%s"], "addresses": {"ns1.%s": ["127.0.0.1"]}}}' % ((ZONE,) * 5))


def priority_profile(name, address_of):
    endpoints = ", ".join(
        '{"name": "e%d", "type": "externalEndpoints", "properties": {"target": "%s", "endpointStatus": "Enabled", '
        '"priority": %d, "alwaysServe": "Enabled"}}' % (e, address_of(e), e + 1) for e in range(10))
    return ('{"name": "%s", "properties": {"profileStatus": "Enabled", "trafficRoutingMethod": "Priority", '
            '"dnsConfig": {"relativeName": "%s", "ttl": 30}, "monitorConfig": {"protocol": "TCP", "port": 9}, '
            '"endpoints": [%s]}}' % (name, name, endpoints))


def geo_profile(name, children):
    endpoints = ", ".join(
        '{"name": "n%d", "type": "nestedEndpoints", "properties": {"target": "%s", "endpointStatus": "Enabled", '
        '"geoMapping": ["%s"], "minChildEndpoints": 1}}' % (i, child, GROUPINGS[i]) for i, child in enumerate(children))
    return ('{"name": "%s", "properties": {"profileStatus": "Enabled", "trafficRoutingMethod": "Geographic", '
            '"dnsConfig": {"relativeName": "%s", "ttl": 30}, "monitorConfig": {"protocol": "TCP", "port": 9}, '
            '"endpoints": [%s]}}' % (name, name, endpoints))


def generate(directory, shape, count):
    """Writes the configuration; returns [(query name, expected first A answer)] to check answers with."""
    profiles = os.path.join(directory, "profiles")
    os.makedirs(profiles)
    write_json(os.path.join(directory, "edgetm.json"), server_json())
    expected = []
    if shape == "priority":
        for p in range(count):
            name = f"p{p}"
            write_json(os.path.join(profiles, name + ".json"),
                       priority_profile(name, lambda e, p=p: f"127.{1 + p // 250}.{p % 250}.{1 + e}"))
            expected.append((name + ".tm.example", f"127.{1 + p // 250}.{p % 250}.1"))
    else:
        parents = max(1, count // 11)
        for g in range(parents):
            children = [f"g{g}c{c}" for c in range(10)]
            for c, child in enumerate(children):
                write_json(os.path.join(profiles, child + ".json"),
                           priority_profile(child, lambda e, g=g, c=c: f"127.{1 + g // 250}.{g % 250}.{1 + c * 10 + e}"))
            write_json(os.path.join(profiles, f"g{g}.json"), geo_profile(f"g{g}", children))
            # Queried from 127.0.0.1 without ECS: no location, so WORLD answers (the tenth child).
            expected.append((f"g{g}.tm.example", f"127.{1 + g // 250}.{g % 250}.{1 + 9 * 10}"))
    return expected


def query_packet(name, qtype=1, qclass=1, qid=None):
    qid = random.randrange(65536) if qid is None else qid
    packet = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        packet += bytes([len(label)]) + label.encode()
    return packet + b"\0" + struct.pack(">HH", qtype, qclass)


def first_a(response):
    """The first A record's address of a response, or None."""
    if len(response) < 12:
        return None
    ancount = struct.unpack(">H", response[6:8])[0]
    offset = 12
    while response[offset] != 0:
        offset += 1 + response[offset]
    offset += 5
    for _ in range(ancount):
        if response[offset] & 0xC0 == 0xC0:
            offset += 2
        else:
            while response[offset] != 0:
                offset += 1 + response[offset]
            offset += 1
        rtype, _, _, length = struct.unpack(">HHIH", response[offset:offset + 10])
        offset += 10
        if rtype == 1 and length == 4:
            return socket.inet_ntoa(response[offset:offset + 4])
        offset += length
    return None


def ask(port, name, timeout=0.5):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(query_packet(name), ("127.0.0.1", port))
        try:
            return first_a(s.recv(65535))
        except (socket.timeout, ConnectionRefusedError, IndexError):
            return None


def tcp_status(port, name):
    """CH TXT over TCP: (milliseconds, the TXT strings)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        packet = query_packet(name, qtype=16, qclass=3)
        s.sendall(struct.pack(">H", len(packet)) + packet)
        length = struct.unpack(">H", recv_exactly(s, 2))[0]
        response = recv_exactly(s, length)
    elapsed = (time.monotonic() - started) * 1000
    return elapsed, txt_strings(response)


def recv_exactly(s, count):
    data = b""
    while len(data) < count:
        chunk = s.recv(count - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def txt_strings(response):
    ancount = struct.unpack(">H", response[6:8])[0]
    offset = 12
    while response[offset] != 0:
        offset += 1 + response[offset]
    offset += 5
    strings = []
    for _ in range(ancount):
        offset += 2 if response[offset] & 0xC0 == 0xC0 else 0
        _, _, _, length = struct.unpack(">HHIH", response[offset:offset + 10])
        offset += 10
        end = offset + length
        while offset < end:
            size = response[offset]
            strings.append(response[offset + 1:offset + 1 + size].decode(errors="replace"))
            offset += 1 + size
    return strings


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.bind(("127.0.0.1", 0))
        return u.getsockname()[1]


def generation(port, zone="tm.example"):
    _, lines = tcp_status(port, zone)
    for field in (lines[0] if lines else "").split():
        if field.startswith("generation="):
            return int(field.split("=")[1])
    return -1


def checked_load(port, expected, qps, until):
    """Sends qps queries a second until until() is true; returns (sent, lost, wrong)."""
    sent = lost = wrong = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.5)
        interval = 1.0 / qps
        next_send = time.monotonic()
        while not until():
            name, answer = random.choice(expected)
            qid = sent % 65536
            s.sendto(query_packet(name, qid=qid), ("127.0.0.1", port))
            sent += 1
            try:
                while True:
                    response = s.recv(65535)
                    if struct.unpack(">H", response[:2])[0] == qid:
                        break
                if first_a(response) != answer:
                    wrong += 1
            except socket.timeout:
                lost += 1
            next_send += interval
            delay = next_send - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    return sent, lost, wrong


def measure(binary, shape, count, reloads, qps, work):
    directory = os.path.join(work, f"{shape}-{count}")
    expected = generate(directory, shape, count)
    profiles = len(os.listdir(os.path.join(directory, "profiles")))
    row = {"shape": shape, "profiles": profiles, "endpoints": profiles * 10}
    started = time.monotonic()
    check = subprocess.run(["/usr/bin/time", "-f", "%M", binary, "check", "--config", directory],
                           capture_output=True, text=True)
    row["check_s"] = time.monotonic() - started
    if check.returncode != 0:
        raise SystemExit(f"edgetm check refused {directory}: {check.stderr[-500:]}")
    row["check_mib"] = int(check.stderr.strip().splitlines()[-1]) / 1024
    port = free_port()
    logfile = open(os.path.join(directory, "serve.log"), "w")
    started = time.monotonic()
    server = subprocess.Popen([binary, "serve", "--config", directory, "--listen", f"127.0.0.1:{port}"],
                              stdout=logfile, stderr=subprocess.STDOUT)
    try:
        name, answer = expected[0]
        while ask(port, name, timeout=0.05) != answer:
            if server.poll() is not None:
                raise SystemExit(f"edgetm exited; see {directory}/serve.log")
            time.sleep(0.02)
        row["first_s"] = time.monotonic() - started
        with open(os.path.join(directory, "serve.log")) as f:
            while "] ready" not in f.read():
                time.sleep(0.02)
                f.seek(0)
        row["ready_s"] = time.monotonic() - started
        time.sleep(3)
        row["rss_mib"] = rss_mib(server.pid)
        times, sent, lost, wrong = [], 0, 0, 0
        for _ in range(reloads):
            before = generation(port)
            t0 = time.monotonic()
            server.send_signal(signal.SIGHUP)
            state = {"done": None, "last": 0.0}

            def reloaded():
                now = time.monotonic()
                if now - state["last"] >= 0.05:
                    state["last"] = now
                    if generation(port) > before:
                        state["done"] = now
                return state["done"] is not None
            s, l, w = checked_load(port, expected, qps, reloaded)
            times.append(state["done"] - t0)
            sent, lost, wrong = sent + s, lost + l, wrong + w
            time.sleep(0.3)
        row["reload_s"] = statistics.median(times) if times else float("nan")
        row["reload_max_s"] = max(times) if times else float("nan")
        row["queries"], row["lost"], row["wrong"] = sent, lost, wrong
        time.sleep(2)
        row["rss10_early_mib"] = rss_mib(server.pid)
        time.sleep(4)
        row["rss10_mib"] = rss_mib(server.pid)
        row["zone_ms"], lines = tcp_status(port, "tm.example")
        row["truncated"] = bool(lines) and lines[-1].startswith("truncated=")
        row["profile_ms"], _ = tcp_status(port, expected[len(expected) // 2][0])
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        logfile.close()
        shutil.rmtree(directory, ignore_errors=True)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", default="1000,5000,20000", help="profile counts (default 1000,5000,20000)")
    parser.add_argument("--shapes", default="priority,geo", help="priority and/or geo (default both)")
    parser.add_argument("--reloads", type=int, default=10, help="reloads per configuration (default 10)")
    parser.add_argument("--qps", type=int, default=2000, help="checked queries a second during reloads")
    parser.add_argument("--binary", default=os.environ.get("EDGETM_BIN"),
                        help="edgetm binary (default: EDGETM_BIN, else .build/release/edgetm, built when missing)")
    args = parser.parse_args()
    binary = args.binary or os.path.join(ROOT, ".build/release/edgetm")
    if not os.access(binary, os.X_OK):
        log("building the release binary (swift build -c release)")
        subprocess.run(["swift", "build", "-c", "release"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    work = tempfile.mkdtemp(prefix="edgetm-scale.")
    rows = []
    try:
        for shape in args.shapes.split(","):
            for count in (int(c) for c in args.counts.split(",")):
                log(f"{shape} x {count}")
                rows.append(measure(binary, shape, count, args.reloads, args.qps, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nedgetm at scale ({binary}); {os.cpu_count()} CPUs; reloads under {args.qps} checked q/s\n")
    header = ("shape     profiles endpoints  check s  MiB  first s ready s  RSS MiB  reload s (max)   "
              "queries lost wrong  RSS MiB after reloads 2 s/6 s  zone ms trunc  profile ms")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['shape']:9} {r['profiles']:8} {r['endpoints']:9} {r['check_s']:8.2f} {r['check_mib']:4.0f} "
              f"{r['first_s']:8.2f} {r['ready_s']:7.2f} {r['rss_mib']:8.0f} {r['reload_s']:8.2f} ({r['reload_max_s']:.2f}) "
              f"{r['queries']:9} {r['lost']:4} {r['wrong']:5}  {r['rss10_early_mib']:21.0f}/{r['rss10_mib']:<5.0f} "
              f"{r['zone_ms']:8.1f} "
              f"{'yes' if r['truncated'] else 'no':>5} {r['profile_ms']:11.1f}")
    print("\ntargets at 20,000: check <= 2 s; first answer <= 3 s; reload <= 3 s with 0 lost and 0 wrong; "
          "RSS <= 250 MiB, no growth over the reloads (steady: the 6 s figure)")


if __name__ == "__main__":
    main()
