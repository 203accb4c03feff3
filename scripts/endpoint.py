#!/usr/bin/env python3
"""A stand-in service endpoint for tests, the demo and benchmarks: answers every GET with a fixed status and body.

    endpoint.py --bind 127.0.0.11 --port 8080 [--status 200 | --alternate 200,503] [--location URL]
                [--tls-cert C --tls-key K] [--header-log FILE] [--send-log FILE] [--delay SECONDS]
                [--body TEXT] [--body-offset BYTES] [--body-size BYTES] [--refuse-file PATH]

--alternate answers the listed statuses in turn, one per request, starting with the first (a flapping service).
The body is TEXT (default "ok" and a newline) after --body-offset filler bytes ('.'); --body-size pads it with
filler to that many bytes (or cuts it there), streamed in 64 KiB pieces, so that a 100 MB body costs no memory.
--header-log appends one JSON object per request ({"path": ..., "client": ADDRESS, "headers": {...}}), so tests can
see what a probe sent and where from; --send-log appends one per response ({"status": S, "length": L, "sent": N, "complete": ...}) once it is over,
with how many body bytes the socket took before the client hung up (with --body-size the send buffer is kept small,
so that this is close to what reached the client). Several --port values serve the same answer on several ports
(for probe-scale benchmarks).
--refuse-file makes the endpoint unreachable for some clients only (one vantage point of several losing it): before
answering a connection, PATH is read afresh (missing: empty); it lists client addresses, one a line, each optionally
followed by " hang" ("#" starts a comment). A connection from a listed address is closed at once without a response,
or, with "hang", held open without one until the client gives up.
"""
import argparse
import http.server
import itertools
import json
import signal
import socket
import ssl
import sys
import threading
import time


CHUNK = 64 * 1024
FILLER = b"."


def body_chunks(args):
    """The body in pieces of at most CHUNK bytes: filler, the text, then filler up to --body-size."""
    head = FILLER * args.body_offset + args.body.encode()
    length = len(head) if args.body_size is None else args.body_size
    position = 0
    while position < length:
        end = min(length, position + CHUNK)
        if position < len(head):
            piece = head[position:end]
            piece += FILLER * (end - position - len(piece))
        else:
            piece = FILLER * (end - position)
        yield piece
        position = end


def refusal(path, client):
    """None to answer `client`, else "close" or "hang", as --refuse-file lists it now."""
    try:
        with open(path) as file:
            lines = file.read().splitlines()
    except FileNotFoundError:
        return None
    # An IPv6 server sees IPv4 clients as ::ffff:a.b.c.d; either spelling may be listed.
    names = {client, client.removeprefix("::ffff:")}
    for line in lines:
        words = line.split("#", 1)[0].split()
        if words and words[0] in names:
            return "hang" if words[1:] == ["hang"] else "close"
    return None


def handler_class(args):
    statuses = itertools.cycle(args.alternate or [args.status])
    statuses_lock = threading.Lock()
    length = len(args.body.encode()) + args.body_offset if args.body_size is None else args.body_size

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def handle(self):
            action = refusal(args.refuse_file, self.client_address[0]) if args.refuse_file else None
            if action == "hang":
                # Read and drop whatever comes until the client closes (or resets): no response, ever.
                try:
                    while self.connection.recv(4096):
                        pass
                except OSError:
                    pass
            if action is None:
                super().handle()

        def do_GET(self):
            if args.header_log:
                with open(args.header_log, "a") as log:
                    log.write(json.dumps({"path": self.path, "client": self.client_address[0],
                                          "headers": dict(self.headers.items())}) + "\n")
            if args.delay:
                time.sleep(args.delay)
            with statuses_lock:
                status = next(statuses)
            self.send_response(status)
            if args.location:
                self.send_header("Location", args.location)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            if args.body_size is not None:
                # A small send buffer (the kernel's default grows to 4 MB) keeps --send-log's count close to what
                # the client really took.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, CHUNK)
            sent = 0
            complete = True
            try:
                for piece in body_chunks(args):
                    self.wfile.write(piece)
                    sent += len(piece)
            except (BrokenPipeError, ConnectionResetError):
                # The client stopped reading and closed: what the socket took until then is what was sent.
                complete = False
                self.close_connection = True
            if args.send_log:
                with open(args.send_log, "a") as log:
                    log.write(json.dumps({"status": status, "length": length, "sent": sent, "complete": complete}))
                    log.write("\n")

        def log_message(self, *_):
            pass

    return Handler


def statuses(text):
    return [int(part) for part in text.split(",")]


def main():
    # A parent may have spawned us with signals blocked (threads of test runners do): take them back.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, action="append", required=True)
    answer = parser.add_mutually_exclusive_group()
    answer.add_argument("--status", type=int, default=200)
    answer.add_argument("--alternate", type=statuses, help="statuses answered in turn, e.g. 200,503")
    parser.add_argument("--location")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--header-log")
    parser.add_argument("--delay", type=float, default=0)
    parser.add_argument("--send-log")
    parser.add_argument("--body", default="ok\n")
    parser.add_argument("--body-offset", type=int, default=0)
    parser.add_argument("--body-size", type=int)
    parser.add_argument("--refuse-file")
    args = parser.parse_args()

    family_server = http.server.ThreadingHTTPServer
    if ":" in args.bind:
        class V6Server(http.server.ThreadingHTTPServer):
            address_family = socket.AF_INET6
        family_server = V6Server
    family_server.daemon_threads = True
    family_server.request_queue_size = 1024
    servers = []
    for port in args.port:
        server = family_server((args.bind, port), handler_class(args))
        if args.tls_cert:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(args.tls_cert, args.tls_key)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        servers.append(server)
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print("ready", flush=True)
    try:
        servers[0].serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
