#!/usr/bin/env python3
"""Free loopback ports for the benchmarks: `ports.py N` prints N of them, `free_ports(N)` returns them.

Each is free for both UDP and TCP right now; all are held until the N are chosen, so that none is picked twice.
"""
import socket
import sys


def free_ports(count):
    held, ports = [], []
    try:
        for _ in range(100 * count):
            if len(ports) == count:
                return ports
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                tcp.bind(("127.0.0.1", port))
            except OSError:
                udp.close()
                tcp.close()
                continue
            held += [udp, tcp]
            ports.append(port)
        if len(ports) == count:
            return ports
        raise OSError("no free loopback port for both UDP and TCP")
    finally:
        for s in held:
            s.close()


if __name__ == "__main__":
    try:
        print(" ".join(map(str, free_ports(int(sys.argv[1])))))
    except OSError as error:
        sys.exit(str(error))
