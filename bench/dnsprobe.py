#!/usr/bin/env python3
"""A fast DNS poller for the benchmarks: hand-built A queries over one UDP socket, no process per query.

    dnsprobe.py query --port P NAME                    one query; prints the answer (see below)
    dnsprobe.py watch --port P NAME --log FILE [--every 0.02]
        polls NAME every 20 ms until SIGTERM/SIGINT; appends "EPOCH ANSWER" to FILE each time the answer changes
        (EPOCH is the wall clock, as bash's $EPOCHREALTIME, taken when the response arrived)
    dnsprobe.py wait --port P NAME --expect ANSWER [--stable S] [--timeout T]
        polls every 20 ms until the answer has been ANSWER for S seconds; exit 0, or 1 after T seconds
    dnsprobe.py since --log FILE --after EPOCH --expect ANSWER [--timeout T]
        follows a watch log until a line later than EPOCH shows ANSWER; prints the delay in seconds (exit 0),
        or exits 1 after T seconds

ANSWER is the A records sorted and joined by ",", or "NXDOMAIN", "NODATA", "rcode=N", "timeout".
Only loopback servers are accepted.
"""
import argparse
import ipaddress
import os
import random
import signal
import socket
import struct
import sys
import time


def build_query(name, qid, recursive=False):
    labels = [label for label in name.rstrip(".").split(".") if label]
    qname = b"".join(bytes([len(label)]) + label.encode("ascii") for label in labels) + b"\x00"
    # ID, flags (RD clear for edgetm, which is authoritative; set for a resolver), QDCOUNT 1, no other sections;
    # QTYPE A, QCLASS IN.
    flags = 0x0100 if recursive else 0
    return struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 0) + qname + struct.pack("!HH", 1, 1)


def skip_name(packet, offset):
    while True:
        length = packet[offset]
        if length == 0:
            return offset + 1
        if length & 0xC0 == 0xC0:
            return offset + 2
        offset += 1 + length


def parse_answer(packet):
    """The A records of a response as the ANSWER string, or None for a packet that is not a usable response."""
    parsed = parse_response(packet)
    return parsed and parsed[0]


def parse_response(packet):
    """(ANSWER, TTL) of a response, TTL the lowest of its A records (None without any), or None for a packet that
    is not a usable response."""
    if len(packet) < 12:
        return None
    _, flags, qdcount, ancount, _, _ = struct.unpack("!HHHHHH", packet[:12])
    if not flags & 0x8000:
        return None
    rcode = flags & 0x000F
    if rcode == 3:
        return "NXDOMAIN", None
    if rcode != 0:
        return f"rcode={rcode}", None
    offset = 12
    for _ in range(qdcount):
        offset = skip_name(packet, offset) + 4
    addresses = []
    ttls = []
    for _ in range(ancount):
        offset = skip_name(packet, offset)
        rtype, _, ttl, rdlength = struct.unpack("!HHIH", packet[offset:offset + 10])
        offset += 10
        if rtype == 1 and rdlength == 4:
            addresses.append(socket.inet_ntoa(packet[offset:offset + 4]))
            ttls.append(ttl)
        offset += rdlength
    return (",".join(sorted(addresses)), min(ttls)) if addresses else ("NODATA", None)


class Resolver:
    """Asks one loopback server for one name; `recursive` sets RD, for asking a resolver rather than edgetm."""

    def __init__(self, server, port, name, timeout, recursive=False):
        if not ipaddress.ip_address(server).is_loopback:
            sys.exit(f"dnsprobe: {server} is not a loopback address")
        family = socket.AF_INET6 if ":" in server else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.connect((server, port))
        self.name = name
        self.timeout = timeout
        self.recursive = recursive
        self.sent = 0
        self.lost = 0

    def ask(self):
        """One query; returns (answer, wall-clock time the answer arrived)."""
        answer, _, at = self.ask_with_ttl()
        return answer, at

    def ask_with_ttl(self):
        """One query; returns (answer, TTL or None, wall-clock time the answer arrived)."""
        qid = random.getrandbits(16)
        self.sent += 1
        self.sock.send(build_query(self.name, qid, self.recursive))
        deadline = time.monotonic() + self.timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.lost += 1
                return "timeout", None, time.time()
            self.sock.settimeout(remaining)
            try:
                packet = self.sock.recv(4096)
            except socket.timeout:
                continue
            except ConnectionRefusedError:
                # Nothing listening (yet): ICMP port unreachable.
                self.lost += 1
                return "timeout", None, time.time()
            if len(packet) >= 2 and struct.unpack("!H", packet[:2])[0] == qid:
                parsed = parse_response(packet)
                if parsed is not None:
                    return parsed[0], parsed[1], time.time()


def paced(every):
    """Yields at a fixed cadence (start to start), skipping ticks that were missed."""
    next_tick = time.monotonic()
    while True:
        yield
        next_tick += every
        delay = next_tick - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            next_tick = time.monotonic()


def cmd_query(args):
    answer, _ = Resolver(args.server, args.port, args.name, args.query_timeout).ask()
    print(answer)
    return 0 if answer != "timeout" else 1


def cmd_watch(args):
    resolver = Resolver(args.server, args.port, args.name, args.query_timeout)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    last = None
    with open(args.log, "a", buffering=1) as log:
        for _ in paced(args.every):
            if stopping:
                break
            answer, at = resolver.ask()
            if answer != last:
                log.write(f"{at:.6f} {answer}\n")
                last = answer
        log.write(f"# queries={resolver.sent} lost={resolver.lost}\n")
    return 0


def cmd_wait(args):
    resolver = Resolver(args.server, args.port, args.name, args.query_timeout)
    start = time.monotonic()
    since = None
    answer = None
    for _ in paced(args.every):
        answer, _ = resolver.ask()
        now = time.monotonic()
        if answer == args.expect:
            since = now if since is None else since
            if now - since >= args.stable:
                return 0
        else:
            since = None
        if now - start > args.timeout:
            print(f"dnsprobe: {args.name} answered {answer}, not {args.expect}, after {args.timeout} s",
                  file=sys.stderr)
            return 1


def cmd_since(args):
    deadline = time.monotonic() + args.timeout
    offset = 0
    pending = b""
    while time.monotonic() < deadline:
        with open(args.log, "rb") as log:
            log.seek(offset)
            chunk = log.read()
        offset += len(chunk)
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if line.startswith(b"#") or not line.strip():
                continue
            stamp, answer = line.decode().split(" ", 1)
            if float(stamp) > args.after and answer == args.expect:
                print(f"{float(stamp) - args.after:.3f}")
                return 0
        time.sleep(0.01)
    print(f"dnsprobe: no {args.expect} in {args.log} within {args.timeout} s after {args.after}", file=sys.stderr)
    return 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def resolver_args(p):
        p.add_argument("name")
        p.add_argument("--server", default="127.0.0.1")
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--every", type=float, default=0.02, help="seconds between queries (start to start)")
        p.add_argument("--query-timeout", type=float, default=0.2)

    p = sub.add_parser("query")
    resolver_args(p)
    p.set_defaults(func=cmd_query)
    p = sub.add_parser("watch")
    resolver_args(p)
    p.add_argument("--log", required=True)
    p.set_defaults(func=cmd_watch)
    p = sub.add_parser("wait")
    resolver_args(p)
    p.add_argument("--expect", required=True)
    p.add_argument("--stable", type=float, default=0)
    p.add_argument("--timeout", type=float, default=30)
    p.set_defaults(func=cmd_wait)
    p = sub.add_parser("since")
    p.add_argument("--log", required=True)
    p.add_argument("--after", type=float, required=True)
    p.add_argument("--expect", required=True)
    p.add_argument("--timeout", type=float, default=30)
    p.set_defaults(func=cmd_since)
    args = parser.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
