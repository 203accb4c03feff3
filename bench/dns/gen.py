#!/usr/bin/env python3
"""Generates everything bench/dns.sh needs: server configurations and query files.

    gen.py bench OUT EDGETM_LISTEN GDNSD_PORT KNOT_PORT THREADS
        OUT/edgetm, OUT/gdnsd, OUT/knot: configurations serving the same names (gdnsd udp_threads and Knot
        udp-workers = THREADS); OUT/queries: the query files
    gen.py many OUT PROFILES ENDPOINTS
        an edgetm configuration of PROFILES Priority profiles x ENDPOINTS endpoints (bench/memory.sh)
    gen.py probed SRC OUT PROFILES ENDPOINTS INTERVAL TIMEOUT TOLERATED NET BASE_PORT [idle]
        OUT: the edgetm configuration SRC plus PROFILES Priority profiles p00, p01, ... of ENDPOINTS endpoints each,
        every one a distinct URL to probe: profile i monitors HTTP port BASE_PORT+i, path /p<i>/health, its
        endpoints target NET.1 ... NET.ENDPOINTS (bench/countserver.py answers them all). With `idle`, the same
        endpoints alwaysServe: nothing is probed. SRC "-" starts from a bare zone (bench/probe-scale.sh).

Zone tm.example. on every server:

    app, api, cdn          Priority, two IPv4 endpoints (127.0.0.11/12, .13/14, .15/16), TTL 30
    web6                   Priority, two IPv6 endpoints (2001:db8::11/12), TTL 30 (AAAA of workload 4)
    svc-east, svc-europe   Priority children (127.0.0.21/22, 127.0.0.31/32)
    svc                    Geographic: US-NY/NJ/PA/CT -> svc-east, GEO-EU -> svc-europe, WORLD -> 127.0.0.41
                           client locations from a subnet map of 2,000 IPv4 /24s (10.0.0.0-10.7.207.0) and
                           200 IPv6 /48s (2001:db8:1000::-2001:db8:10c7::), alternately east and europe codes

edgetm: every endpoint "alwaysServe": "Enabled" (Unmonitored: never probed, so no probe traffic at all).
gdnsd:  Priority = metafo resource (the N-way priority failover plugin; static "up" service type: no monitoring;
        simplefo would do for two endpoints only); udp_threads 1, default socket buffers; Geographic = geoip plugin with
        `nets` only (no GeoIP database), datacenters [world, east, europe] (unlisted clients -> world),
        east/europe = the metafo children, as edgetm's nested profiles.
Knot:   the same names as static records (the first-priority answer; svc = the WORLD answer): the
        plain-authoritative reference, it ignores ECS.

Query files are DNS wire format in dnsperf's -B framing (2-byte length, then the message; dnsperf rewrites the ID),
every query with EDNS(0) (UDP size 1232, as resolvers send) and RD clear:

    w1.bin  app.tm.example A
    w2.bin  20,000 distinct names under tm.example that do not exist (NXDOMAIN)
    w3.bin  20,000 x svc.tm.example A, each with an ECS option (RFC 7871), about 4,800 distinct client subnets:
            70 % IPv4 /24 inside the subnet map (east or europe), 10 % IPv6 /48 inside it, 20 % IPv4 /24 outside it
            (WORLD)
    w4.bin  20,000 queries: 90 % A of the Priority names (app, api, cdn, svc-east, svc-europe), 5 % AAAA web6,
            5 % NXDOMAIN, shuffled
"""
import ipaddress
import json
import os
import random
import shutil
import struct
import sys

ZONE = "tm.example."
SUBNETS_V4 = 2000
SUBNETS_V6 = 200
N_QUERIES = 20000

EAST_CODES = ["US-NY", "US-NJ", "US-PA", "US-CT"]
EU_CODES = ["DE", "FR", "GB", "NL", "SE", "PL", "IT", "ES"]

PRIORITY = {  # name -> targets in priority order
    "app": ["127.0.0.11", "127.0.0.12"],
    "api": ["127.0.0.13", "127.0.0.14"],
    "cdn": ["127.0.0.15", "127.0.0.16"],
    "web6": ["2001:db8::11", "2001:db8::12"],
    "svc-east": ["127.0.0.21", "127.0.0.22"],
    "svc-europe": ["127.0.0.31", "127.0.0.32"],
}
WORLD_TARGET = "127.0.0.41"
TTL = 30


def write(path, text, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(text)


# ---------------------------------------------------------------------------------------------------------------
# edgetm


def edgetm_server(listen):
    return {
        "listen": [listen],
        "zone": {
            "name": ZONE,
            "soa": {"mname": "ns1." + ZONE, "rname": "hostmaster." + ZONE,
                    "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 30, "ttl": 3600},
            "nameservers": ["ns1." + ZONE],
            "addresses": {"ns1." + ZONE: ["127.0.0.1"]},
        },
        "profiles": "profiles",
    }


MONITOR = {"protocol": "TCP", "port": 9, "intervalInSeconds": 30, "timeoutInSeconds": 5,
           "toleratedNumberOfFailures": 2}


def priority_profile(name, targets):
    return {"name": name, "properties": {
        "profileStatus": "Enabled", "trafficRoutingMethod": "Priority",
        "dnsConfig": {"relativeName": name, "ttl": TTL}, "monitorConfig": MONITOR,
        "endpoints": [{"name": f"ep{i + 1}", "type": "externalEndpoints",
                       "properties": {"target": t, "endpointStatus": "Enabled", "priority": i + 1,
                                      "alwaysServe": "Enabled"}}
                      for i, t in enumerate(targets)]}}


def geo_profile():
    return {"name": "svc", "properties": {
        "profileStatus": "Enabled", "trafficRoutingMethod": "Geographic",
        "dnsConfig": {"relativeName": "svc", "ttl": TTL}, "monitorConfig": MONITOR,
        "endpoints": [
            {"name": "east", "type": "nestedEndpoints",
             "properties": {"target": "svc-east", "endpointStatus": "Enabled", "geoMapping": EAST_CODES,
                            "minChildEndpoints": 1}},
            {"name": "europe", "type": "nestedEndpoints",
             "properties": {"target": "svc-europe", "endpointStatus": "Enabled", "geoMapping": ["GEO-EU"],
                            "minChildEndpoints": 1}},
            {"name": "elsewhere", "type": "externalEndpoints",
             "properties": {"target": WORLD_TARGET, "endpointStatus": "Enabled", "geoMapping": ["WORLD"],
                            "alwaysServe": "Enabled"}},
        ]}}


def subnet_map():
    """[(network, location code, 'east'|'europe')], deterministic."""
    out = []
    for i in range(SUBNETS_V4):
        net = f"10.{i // 256}.{i % 256}.0/24"
        code = EAST_CODES[i % 4] if i % 2 == 0 else EU_CODES[(i // 2) % len(EU_CODES)]
        out.append((net, code, "east" if i % 2 == 0 else "europe"))
    for i in range(SUBNETS_V6):
        net = f"2001:db8:{0x1000 + i:x}::/48"
        code = EAST_CODES[i % 4] if i % 2 == 0 else EU_CODES[(i // 2) % len(EU_CODES)]
        out.append((net, code, "east" if i % 2 == 0 else "europe"))
    return out


def gen_edgetm(out, listen, rate_limit=None):
    d = os.path.join(out, "edgetm")
    server = edgetm_server(listen)
    server["geo"] = {"subnets": "geo-subnets.json"}
    if rate_limit:
        # Response rate limiting on, at a rate no benchmark reaches and with nothing exempt: every query pays for
        # the limiter's work (hash, bucket update) and none is limited.
        server["rateLimit"] = {"responsesPerSecond": rate_limit, "exempt": []}
    write(os.path.join(d, "edgetm.json"), json.dumps(server, indent=2) + "\n")
    for name, targets in PRIORITY.items():
        write(os.path.join(d, "profiles", name + ".json"), json.dumps(priority_profile(name, targets), indent=2))
    write(os.path.join(d, "profiles", "svc.json"), json.dumps(geo_profile(), indent=2))
    write(os.path.join(d, "geo-subnets.json"), json.dumps({n: c for n, c, _ in subnet_map()}, indent=1))


# ---------------------------------------------------------------------------------------------------------------
# gdnsd


def gen_gdnsd(out, port, udp_threads):
    d = os.path.join(out, "gdnsd")
    metafo = []
    for name, targets in PRIORITY.items():
        dcs = [f"p{i + 1}" for i in range(len(targets))]
        dcmap = "\n".join(f"          {dc} => {t}" for dc, t in zip(dcs, targets))
        metafo.append(f"      {name} => {{\n        datacenters => [ {', '.join(dcs)} ]\n        dcmap => {{\n"
                      f"{dcmap}\n        }}\n      }}")
    config = f"""# generated by bench/dns/gen.py
options => {{
  listen => [ "127.0.0.1:{port}" ]
  udp_threads => {udp_threads}
  tcp_threads => 1
  run_dir => "{os.path.join(d, 'run')}"
  state_dir => "{os.path.join(d, 'state')}"
  zones_default_ttl => 3600
}}
plugins => {{
  metafo => {{
    service_types => [ up ]
    resources => {{
{chr(10).join(metafo)}
    }}
  }}
  geoip => {{
    maps => {{
      svcmap => {{
        datacenters => [ world, east, europe ]
        nets => nets
      }}
    }}
    resources => {{
      svc => {{
        map => svcmap
        service_types => [ up ]
        dcmap => {{
          world => {WORLD_TARGET}
          east => %metafo!svc-east
          europe => %metafo!svc-europe
        }}
      }}
    }}
  }}
}}
"""
    write(os.path.join(d, "config"), config)
    nets = "\n".join(f"  {n} => [ {dc} ]" for n, _, dc in subnet_map())
    write(os.path.join(d, "geoip", "nets"), nets + "\n")
    zone = [f"$TTL 3600",
            f"@ SOA ns1 hostmaster 1 3600 600 86400 30",
            f"@ NS ns1",
            f"ns1 A 127.0.0.1"]
    for name in PRIORITY:
        zone.append(f"{name} {TTL} DYNA metafo!{name}")
    zone.append(f"svc {TTL} DYNA geoip!svc")
    write(os.path.join(d, "zones", "tm.example"), "\n".join(zone) + "\n")
    os.makedirs(os.path.join(d, "run"), exist_ok=True)
    os.makedirs(os.path.join(d, "state"), exist_ok=True)


# ---------------------------------------------------------------------------------------------------------------
# Knot


def gen_knot(out, port, udp_workers):
    d = os.path.join(out, "knot")
    os.makedirs(os.path.join(d, "run"), exist_ok=True)
    os.makedirs(os.path.join(d, "db"), exist_ok=True)
    conf = f"""# generated by bench/dns/gen.py
server:
    rundir: "{d}/run"
    listen: 127.0.0.1@{port}
    udp-workers: {udp_workers}
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: notice
database:
    storage: "{d}/db"
template:
  - id: default
    storage: "{d}"
    file: "%s.zone"
    journal-content: none
    zonefile-sync: -1
zone:
  - domain: {ZONE}
"""
    write(os.path.join(d, "knot.conf"), conf)
    zone = [f"$ORIGIN {ZONE}", "$TTL 3600",
            "@ SOA ns1 hostmaster 1 3600 600 86400 30",
            "@ NS ns1",
            "ns1 A 127.0.0.1"]
    for name, targets in PRIORITY.items():
        rtype = "AAAA" if ":" in targets[0] else "A"
        zone.append(f"{name} {TTL} {rtype} {targets[0]}")
    zone.append(f"svc {TTL} A {WORLD_TARGET}")
    write(os.path.join(d, ZONE + "zone"), "\n".join(zone) + "\n")


# ---------------------------------------------------------------------------------------------------------------
# Queries (wire format)


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


QTYPES = {"A": 1, "AAAA": 28}


def query(name, qtype="A", ecs=None):
    """One query: ID 0 (dnsperf sets it), RD clear, one question, an OPT record (1232) with an optional ECS."""
    header = struct.pack("!HHHHHH", 0, 0, 1, 0, 0, 1)
    question = encode_name(name) + struct.pack("!HH", QTYPES[qtype], 1)
    options = b""
    if ecs is not None:
        net = ipaddress.ip_network(ecs)
        family = 1 if net.version == 4 else 2
        prefix = net.prefixlen
        address = net.network_address.packed[:(prefix + 7) // 8]
        data = struct.pack("!HBB", family, prefix, 0) + address
        options = struct.pack("!HH", 8, len(data)) + data
    opt = b"\x00" + struct.pack("!HHIH", 41, 1232, 0, len(options)) + options
    return header + question + opt


def write_queries(path, messages):
    with open(path, "wb") as f:
        for m in messages:
            f.write(struct.pack("!H", len(m)) + m)


def gen_queries(out):
    rng = random.Random(7871)
    q = os.path.join(out, "queries")
    os.makedirs(q, exist_ok=True)
    write_queries(os.path.join(q, "w1.bin"), [query("app." + ZONE)])

    def nx():
        return "nx-%08x.%s" % (rng.getrandbits(32), ZONE)

    write_queries(os.path.join(q, "w2.bin"), [query(nx()) for _ in range(N_QUERIES)])

    nets = subnet_map()
    v4 = [n for n, _, _ in nets if ":" not in n]
    v6 = [n for n, _, _ in nets if ":" in n]
    w3 = []
    for _ in range(N_QUERIES):
        r = rng.random()
        if r < 0.70:
            ecs = rng.choice(v4)
        elif r < 0.80:
            ecs = rng.choice(v6)
        else:  # outside the map: 172.16.0.0/12 /24s -> WORLD
            ecs = "172.%d.%d.0/24" % (16 + rng.randrange(16), rng.randrange(256))
        w3.append(query("svc." + ZONE, "A", ecs))
    write_queries(os.path.join(q, "w3.bin"), w3)

    names = ["app", "api", "cdn", "svc-east", "svc-europe"]
    w4 = []
    for i in range(N_QUERIES):
        k = i % 20
        if k == 0:
            w4.append(query("web6." + ZONE, "AAAA"))
        elif k == 1:
            w4.append(query(nx()))
        else:
            w4.append(query(rng.choice(names) + "." + ZONE))
    rng.shuffle(w4)
    write_queries(os.path.join(q, "w4.bin"), w4)


# ---------------------------------------------------------------------------------------------------------------


def gen_many(out, profiles, endpoints):
    server = edgetm_server("127.0.0.1:5353")
    write(os.path.join(out, "edgetm.json"), json.dumps(server, indent=2) + "\n")
    for p in range(profiles):
        targets = [f"127.{1 + p // 250}.{p % 250}.{1 + e}" for e in range(endpoints)]
        write(os.path.join(out, "profiles", f"p{p:04d}.json"),
              json.dumps(priority_profile(f"p{p:04d}", targets)))


def probed_profile(i, endpoints, interval, timeout, tolerated, net, base_port, idle):
    return {"name": f"p{i:02d}", "properties": {
        "profileStatus": "Enabled", "trafficRoutingMethod": "Priority",
        "dnsConfig": {"relativeName": f"p{i:02d}", "ttl": TTL},
        "monitorConfig": {"protocol": "HTTP", "port": base_port + i, "path": f"/p{i:02d}/health",
                          "intervalInSeconds": interval, "timeoutInSeconds": timeout,
                          "toleratedNumberOfFailures": tolerated},
        "endpoints": [{"name": f"e{j:03d}", "type": "externalEndpoints", "properties": dict(
            {"target": f"{net}.{j}", "endpointStatus": "Enabled", "priority": j},
            **({"alwaysServe": "Enabled"} if idle else {}))} for j in range(1, endpoints + 1)]}}


def gen_probed(src, out, profiles, endpoints, interval, timeout, tolerated, net, base_port, idle):
    if src == "-":
        server = {"zone": edgetm_server("127.0.0.1:5353")["zone"]}
        write(os.path.join(out, "edgetm.json"), json.dumps(server, indent=2) + "\n")
    else:
        shutil.copytree(src, out)
    for i in range(profiles):
        write(os.path.join(out, "profiles", f"p{i:02d}.json"),
              json.dumps(probed_profile(i, endpoints, interval, timeout, tolerated, net, base_port, idle), indent=1))


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "bench" and len(sys.argv) in (7, 9) and sys.argv[7:8] in ([], ["--rate-limit"]):
        out, edgetm_listen, gdnsd_port, knot_port, threads = sys.argv[2:7]
        gen_edgetm(out, edgetm_listen, int(sys.argv[8]) if len(sys.argv) == 9 else None)
        gen_gdnsd(out, int(gdnsd_port), int(threads))
        gen_knot(out, int(knot_port), int(threads))
        gen_queries(out)
    elif len(sys.argv) == 5 and sys.argv[1] == "many":
        gen_many(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) in (11, 12) and sys.argv[1] == "probed" and sys.argv[11:] in ([], ["idle"]):
        src, out, profiles, endpoints, interval, timeout, tolerated, net, base_port = sys.argv[2:11]
        gen_probed(src, out, int(profiles), int(endpoints), float(interval), float(timeout), int(tolerated), net,
                   int(base_port), idle=len(sys.argv) == 12)
    else:
        sys.exit("usage: gen.py bench OUT EDGETM_LISTEN GDNSD_PORT KNOT_PORT THREADS [--rate-limit RPS] | gen.py many OUT PROFILES "
                 "ENDPOINTS | gen.py probed SRC OUT PROFILES ENDPOINTS INTERVAL TIMEOUT TOLERATED NET BASE_PORT [idle]")


if __name__ == "__main__":
    main()
