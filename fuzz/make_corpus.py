#!/usr/bin/env python3
"""Writes the query parser's seed corpus, corpus/query/NAME.bin: small valid queries and the tricky shapes the
parsers must agree on (EDNS options, compression, strict-EDNS violations, odd headers). Rerun after editing; the
output is committed so that bench/fuzz.sh needs nothing but the repository."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "query")


def name(text):
    wire = b""
    for label in filter(None, text.split(".")):
        wire += bytes([len(label)]) + label.encode()
    return wire + b"\0"


def header(qd=1, an=0, ns=0, ar=0, flags=0x0100, ident=0x1234):
    return struct.pack("!HHHHHH", ident, flags, qd, an, ns, ar)


def question(qname="v4.tm.example", qtype=1, qclass=1):
    return name(qname) + struct.pack("!HH", qtype, qclass)


def opt(options=b"", size=1232, version=0, do=False, owner=b"\0"):
    flags = 0x8000 if do else 0
    return owner + struct.pack("!HHBBHH", 41, size, 0, version, flags, len(options)) + options


def option(code, data):
    return struct.pack("!HH", code, len(data)) + data


def ecs(family, source, address, scope=0):
    return option(8, struct.pack("!HBB", family, source, scope) + bytes(address))


A_RECORD = struct.pack("!HHIH", 1, 1, 30, 4) + bytes([192, 0, 2, 1])
# A well-formed TSIG (hmac-sha256., empty MAC): ldns leaked all but the last of several (found by this fuzzer).
TSIG_DATA = name("hmac-sha256") + bytes([0, 0, 0x69, 0x2D, 0x2A, 0]) + struct.pack("!HHHHH", 300, 0, 0x1234, 0, 0)
TSIG = name("k") + struct.pack("!HHIH", 250, 255, 0, len(TSIG_DATA)) + TSIG_DATA

CASES = {
    "a": header() + question(),
    "a-mixed-case": header() + question("V4.Tm.EXAMPLE"),
    "aaaa": header() + question("v6.tm.example", 28),
    "cname": header() + question("cname.tm.example", 28),
    "nxdomain": header() + question("a.b.nope.tm.example", 16),
    "apex-soa": header() + question("tm.example", 6),
    "apex-ns": header() + question("tm.example", 2),
    "apex-any": header() + question("tm.example", 255),
    "root": header() + question("", 2),
    "outside-zone": header() + question("example.org"),
    "chaos-version": header() + question("version.bind", 16, 3),
    "status": header() + question("_status.tm.example", 16),
    "type-opt": header() + question("v4.tm.example", 41),
    "edns": header(ar=1) + question() + opt(),
    "edns-do": header(ar=1) + question() + opt(do=True, size=4096),
    "edns-size-0": header(ar=1) + question() + opt(size=0),
    "edns-version-1": header(ar=1) + question() + opt(version=1),
    "ecs-v4": header(ar=1) + question() + opt(ecs(1, 24, [198, 51, 100])),
    "ecs-v6": header(ar=1) + question() + opt(ecs(2, 48, [0x20, 0x01, 0x0d, 0xb8, 0, 5])),
    "ecs-v4-mapped": header(ar=1) + question() + opt(ecs(2, 128, [0] * 10 + [0xFF, 0xFF, 192, 0, 2, 1])),
    "ecs-zero": header(ar=1) + question() + opt(ecs(1, 0, [])),
    "ecs-bits-beyond-prefix": header(ar=1) + question() + opt(ecs(1, 23, [198, 51, 101])),
    "ecs-scope-set": header(ar=1) + question() + opt(ecs(1, 24, [198, 51, 100], scope=24)),
    "ecs-twice": header(ar=1) + question() + opt(ecs(1, 24, [198, 51, 100]) + ecs(1, 24, [198, 51, 100])),
    "option-truncated": header(ar=1) + question() + opt(b"\0\x08\0\x28\0"),
    "cookie-client": header(ar=1) + question() + opt(option(10, bytes(range(8)))),
    "cookie-and-ecs": header(ar=1) + question() + opt(option(10, bytes(range(8))) + ecs(1, 0, [])),
    "keepalive": header(ar=1) + question() + opt(option(11, b"")),
    "keepalive-with-value": header(ar=1) + question() + opt(option(11, b"\0\x64")),
    "padding": header(ar=1) + question() + opt(option(12, bytes(16))),
    "two-opt": header(ar=2) + question() + opt() + opt(do=True),
    "opt-owner-not-root": header(ar=1) + question() + opt(owner=name("x")),
    "opt-owner-pointer": header(ar=1) + question() + opt(owner=b"\xc0\x0c"),
    "opt-in-answer": header(an=1) + question() + opt(),
    "opt-in-authority": header(ns=1) + question() + opt(),
    "opt-and-a-additional": header(ar=2) + question() + opt() + b"\0" + A_RECORD,
    "pointer-back": header(ar=2) + question() + b"\xc0\x0c" + A_RECORD + opt(),
    "question-forward-pointer": header() + b"\xc0\x12" + struct.pack("!HH", 1, 1) + name("v4.tm.example"),
    "question-self-pointer": header() + b"\xc0\x0c" + struct.pack("!HH", 1, 1),
    "question-header-pointer": header() + b"\xc0\x04" + struct.pack("!HH", 1, 1),
    "tsig-last": header(ar=2) + question() + opt() + TSIG,
    "two-tsig": header(ar=2) + question() + TSIG + TSIG,
    "two-questions": header(qd=2) + question() + question("v6.tm.example", 28),
    "no-question": header(qd=0),
    "trailing-byte": header() + question() + b"\0",
    "truncated-question": (header() + question())[:-2],
    "truncated-header": header()[:7],
    "response-bit": header(flags=0x8100) + question(),
    "opcode-notify": header(flags=0x2000) + question(),
    "label-63": header() + question("a" * 63 + ".tm.example"),
    "label-64": header() + question("a" * 64 + ".tm.example"),
    "name-255": header() + question(".".join(["a" * 62] * 4)[:253]),
    "label-type-01": header() + b"\x41" + question()[1:],
    "rdlength-huge": header(ar=1) + question() + b"\0" + struct.pack("!HHIH", 1, 1, 0, 0xFFFF),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for label, packet in CASES.items():
        with open(os.path.join(OUT, label + ".bin"), "wb") as handle:
            handle.write(packet)
    print(f"{len(CASES)} queries in {OUT}")


if __name__ == "__main__":
    main()
