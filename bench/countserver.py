#!/usr/bin/env python3
"""An HTTP server on many loopback addresses and ports that answers every request 200 and records when each URL
was asked for (for bench/probe-scale.sh).

    countserver.py --addresses 127.0.10.1-100 --ports 20000-20019 --dump FILE [--status FILE] [--delay S]

Listens on every address x port (one socket each), answers `200 ok` with `Connection: close`. Prints `ready` when
every socket listens. Every second it rewrites --status with `EPOCH REQUESTS DISTINCT_URLS`. On SIGUSR1 and on
exit (SIGTERM/SIGINT) it writes --dump: JSON {"http://HOST:PORT/PATH": [EPOCH, ...], ...}. --delay holds each
answer S seconds (a slow, far-away endpoint: the connection stays open meanwhile).
"""
import argparse
import asyncio
import ipaddress
import json
import os
import resource
import signal
import sys
import time
from collections import defaultdict

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nok\n"


def parse_addresses(text):
    """`127.0.10.1-100` (last octet range) or a comma-separated list of addresses."""
    values = []
    for part in text.split(","):
        if "-" in part:
            first, last = part.split("-")
            prefix, start = first.rsplit(".", 1)
            values += [ipaddress.IPv4Address(f"{prefix}.{n}") for n in range(int(start), int(last) + 1)]
        else:
            values.append(ipaddress.IPv4Address(part))
    return values


def parse_ports(text):
    values = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        values += list(range(int(first), int(last or first) + 1))
    return values


class Counter:
    def __init__(self, delay=0.0):
        self.arrivals = defaultdict(list)
        self.requests = 0
        self.delay = delay

    async def handle(self, reader, writer):
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=30)
            now = time.time()
            request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
            parts = request_line.split(" ")
            path = parts[1] if len(parts) >= 2 else "?"
            host, port = writer.get_extra_info("sockname")[:2]
            self.arrivals[f"http://{host}:{port}{path}"].append(now)
            self.requests += 1
            if self.delay:
                await asyncio.sleep(self.delay)
            writer.write(RESPONSE)
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    def dump(self, path):
        temporary = path + ".tmp"
        with open(temporary, "w") as out:
            json.dump(self.arrivals, out)
        os.replace(temporary, path)


async def main(args):
    addresses = parse_addresses(args.addresses)
    ports = parse_ports(args.ports)
    for address in addresses:
        if not address.is_loopback:
            sys.exit(f"countserver: {address} is not a loopback address")
    # One socket per URL plus the connections in flight: more than the usual 1,024 descriptors.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = len(addresses) * len(ports) + 1024
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted,
                                                    hard))
    counter = Counter(args.delay)
    servers = []
    for address in addresses:
        for port in ports:
            servers.append(await asyncio.start_server(counter.handle, str(address), port, backlog=1024,
                                                      reuse_address=True))
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, lambda: counter.dump(args.dump))
    print("ready", flush=True)
    print(f"listening on {len(servers)} sockets", file=sys.stderr, flush=True)

    async def report():
        while True:
            if args.status:
                temporary = args.status + ".tmp"
                with open(temporary, "w") as out:
                    out.write(f"{time.time():.3f} {counter.requests} {len(counter.arrivals)}\n")
                os.replace(temporary, args.status)
            await asyncio.sleep(1)

    reporter = asyncio.create_task(report())
    await stop.wait()
    reporter.cancel()
    counter.dump(args.dump)
    for server in servers:
        server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--addresses", required=True, help="e.g. 127.0.10.1-100 or 127.0.10.1,127.0.10.2")
    parser.add_argument("--ports", required=True, help="e.g. 20000-20019")
    parser.add_argument("--dump", required=True)
    parser.add_argument("--status")
    parser.add_argument("--delay", type=float, default=0.0)
    asyncio.run(main(parser.parse_args()))
