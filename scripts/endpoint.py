#!/usr/bin/env python3
"""A stand-in service endpoint for tests, the demo and benchmarks: answers every GET with a fixed status.

    endpoint.py --bind 127.0.0.11 --port 8080 [--status 200] [--location URL] [--tls-cert C --tls-key K]
                [--header-log FILE] [--delay SECONDS]

--header-log appends one JSON object per request ({"path": ..., "headers": {...}}), so tests can see what a probe
sent. Several --port values serve the same answer on several ports (for probe-scale benchmarks).
"""
import argparse
import http.server
import json
import signal
import ssl
import sys
import threading
import time


def handler_class(args):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            if args.header_log:
                with open(args.header_log, "a") as log:
                    log.write(json.dumps({"path": self.path, "headers": dict(self.headers.items())}) + "\n")
            if args.delay:
                time.sleep(args.delay)
            body = b"ok\n"
            self.send_response(args.status)
            if args.location:
                self.send_header("Location", args.location)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_):
            pass

    return Handler


def main():
    # A parent may have spawned us with signals blocked (threads of test runners do): take them back.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, action="append", required=True)
    parser.add_argument("--status", type=int, default=200)
    parser.add_argument("--location")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--header-log")
    parser.add_argument("--delay", type=float, default=0)
    args = parser.parse_args()

    family_server = http.server.ThreadingHTTPServer
    if ":" in args.bind:
        class V6Server(http.server.ThreadingHTTPServer):
            address_family = __import__("socket").AF_INET6
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
