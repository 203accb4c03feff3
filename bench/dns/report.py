#!/usr/bin/env python3
"""Turns dnsperf outputs into result rows and prints the table of bench/dns.sh.

    report.py row SERVER WORKLOAD KEY=VALUE...   -> one TSV line on stdout
    report.py table RESULTS.tsv                 -> the table, ratios and targets

KEY=VALUE: sat=FILE (repeated: dnsperf outputs of the saturated slices), lat=FILE (repeated: `dnsperf -v` outputs of
the fixed-rate slices, one "> RCODE ... LATENCY" line per response); and, summed over the saturated slices, in clock
ticks: server_ticks, client_ticks (dnsperf), other_ticks (every other process), steal_ticks, cpu0_ticks (all busy
time of CPU 0); clk_tck; srv_drops, cli_drops (UDP receive-buffer drops at the server's socket / elsewhere).
"""
import os
import re
import sys

WORKLOADS = {
    "1": "priority A",
    "2": "NXDOMAIN",
    "3": "geo>priority+ECS",
    "4": "mix 90/5/5",
}
EXPECTED_RCODES = {"1": {"NOERROR"}, "2": {"NXDOMAIN"}, "3": {"NOERROR"}, "4": {"NOERROR", "NXDOMAIN"}}
FIELDS = ["server", "workload", "us_per_q", "spread", "cpu0_us_per_q", "qps", "completed", "lost", "srv_pct", "cli_pct",
          "other_pct", "steal_pct", "srv_drops", "cli_drops", "rcodes", "p50", "p99", "p999", "lat_n", "lat_lost",
          "lat_rcodes", "p99_spread", "lat_other_pct", "listener_us_per_q"]


def stat(text, label):
    m = re.search(r"^\s*" + re.escape(label) + r":\s+([0-9.]+)", text, re.M)
    return float(m.group(1)) if m else None


def rcodes(text):
    m = re.search(r"^\s*Response codes:\s+(.*)$", text, re.M)
    if not m:
        return ""
    return ",".join(f"{code}:{count}" for code, count in re.findall(r"([A-Z]+) (\d+) \(", m.group(1)))


def percentile(sorted_values, p):
    """Nearest rank."""
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, int(-(-p * len(sorted_values) // 100)) - 1))
    return sorted_values[k]


def row(argv):
    server, workload = argv[:2]
    kv, sats, lats = {}, [], []
    for a in argv[2:]:
        k, v = a.split("=", 1)
        if k == "sat":
            sats.append(v)
        elif k == "lat":
            lats.append(v)
        else:
            kv[k] = v
    out = dict.fromkeys(FIELDS, "")
    out["server"], out["workload"] = server, workload
    if sats:
        completed = lost = run_time = 0.0
        codes, per_slice = {}, []
        slice_ticks = [float(t) for t in kv.get("slice_ticks", "").split(",") if t]
        for i, path in enumerate(sats):
            text = open(path, errors="replace").read()
            done = stat(text, "Queries completed") or 0
            if i < len(slice_ticks) and done:
                per_slice.append(slice_ticks[i] / float(kv.get("clk_tck", 100)) * 1e6 / done)
            completed += done
            lost += stat(text, "Queries lost") or 0
            run_time += stat(text, "Run time (s)") or 0
            for c in rcodes(text).split(","):
                if c:
                    code, n = c.split(":")
                    codes[code] = codes.get(code, 0) + int(n)
        hz = float(kv.get("clk_tck", 100))

        def seconds(key):
            return float(kv[key]) / hz

        out["completed"], out["lost"] = "%d" % completed, "%d" % lost
        if run_time:
            out["qps"] = "%.0f" % (completed / run_time)
        if completed:
            out["us_per_q"] = "%.3f" % (seconds("server_ticks") * 1e6 / completed)
            if len(per_slice) > 1:  # half the range of the slices' us/query, in % of the whole
                out["spread"] = "%.0f" % (50 * (max(per_slice) - min(per_slice)) / float(out["us_per_q"]))
            if float(kv.get("listener_ticks", 0)) > 0:
                out["listener_us_per_q"] = "%.3f" % (seconds("listener_ticks") * 1e6 / completed)
            if "cpu0_ticks" in kv:
                out["cpu0_us_per_q"] = "%.3f" % (seconds("cpu0_ticks") * 1e6 / completed)
        if run_time:
            for field, key in (("srv_pct", "server_ticks"), ("cli_pct", "client_ticks"),
                               ("other_pct", "other_ticks")):
                if key in kv:
                    out[field] = "%.0f" % max(0.0, 100 * seconds(key) / run_time)
            if "steal_ticks" in kv:  # of the two CPUs
                out["steal_pct"] = "%.1f" % (100 * seconds("steal_ticks") / run_time / 2)
        out["srv_drops"] = kv.get("srv_drops", "")
        out["cli_drops"] = str(max(0, int(kv["cli_drops"]))) if "cli_drops" in kv else ""
        out["rcodes"] = ",".join(f"{c}:{n}" for c, n in codes.items())
    if lats:
        latencies, lost, codes, slice_p99 = [], 0.0, {}, []
        for path in lats:
            text = open(path, errors="replace").read()
            these = sorted(float(m) * 1e6 for m in re.findall(r"^> [A-Z]+ .* ([0-9]+\.[0-9]+)$", text, re.M))
            if these:
                slice_p99.append(percentile(these, 99))
            latencies += these
            lost += stat(text, "Queries lost") or 0
            for c in rcodes(text).split(","):
                if c:
                    code, n = c.split(":")
                    codes[code] = codes.get(code, 0) + int(n)
        latencies.sort()
        out["p50"], out["p99"], out["p999"] = ("%.0f" % percentile(latencies, p) if latencies else ""
                                              for p in (50, 99, 99.9))
        out["lat_n"] = str(len(latencies))
        if kv.get("lat_seconds"):
            out["lat_other_pct"] = "%.0f" % max(0.0, 100 * float(kv.get("lat_other_ticks", 0))
                                                / float(kv.get("clk_tck", 100)) / float(kv["lat_seconds"]))
        if len(slice_p99) > 1 and out["p99"]:  # half the range of the slices' p99, in % of the whole
            out["p99_spread"] = "%.0f" % (50 * (max(slice_p99) - min(slice_p99)) / float(out["p99"]))
        out["lat_lost"] = "%d" % lost
        out["lat_rcodes"] = ",".join(f"{c}:{n}" for c, n in codes.items())
    print("\t".join(out[f] for f in FIELDS))


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def ratio(a, b):
    a, b = num(a), num(b)
    return a / b if a is not None and b else None


def fmt_ratio(r, target=None):
    if r is None:
        return "-"
    s = ("%.3fx" if target is not None else "%.2fx") % r
    if target is not None:
        s += " " + ("ok  " if r <= target + 1e-9 else "MISS") + " (target <= %.2f)" % target
    return s


def unexpected_rcodes(workload, codes):
    seen = {c.split(":")[0] for c in codes.split(",") if c}
    return sorted(seen - EXPECTED_RCODES.get(workload, set()))


def disturbed(r):
    return (num(r["other_pct"]) or 0) > 10 or (num(r["steal_pct"]) or 0) > 5


def lat_disturbed(r):
    return (num(r["lat_other_pct"]) or 0) > 10


def table(argv):
    rows = []
    with open(argv[0]) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == len(FIELDS):
                rows.append(dict(zip(FIELDS, parts)))
    servers = []
    for r in rows:
        if r["server"] not in servers:
            servers.append(r["server"])
    by = {(r["server"], r["workload"]): r for r in rows}
    workloads = [w for w in WORKLOADS if any((s, w) in by for s in servers)]

    head = ("workload", "server", "us/query", "+-%", "q/s", "lost", "drops s/c", "srv%", "dnsperf%",
            "other%", "p50 us", "p99 us", "+-%", "p99.9 us", "lost@1k", "edgetm/it us/q", "edgetm/it p99")
    widths = (18, 10, 8, 3, 7, 5, 9, 5, 8, 6, 6, 6, 3, 8, 7, 14, 13)

    def render(cells):
        return "  ".join(c.ljust(wd) if k < 2 else c.rjust(wd) for k, (c, wd) in enumerate(zip(cells, widths)))

    line = render(head)
    print(line)
    print("-" * len(line))
    notes = []
    for w in workloads:
        base = by.get(("edgetm", w))
        first = True
        for s in servers:
            r = by.get((s, w))
            if not r:
                continue
            cells = [f"{w} {WORKLOADS[w]}" if first else "", s,
                     (r["us_per_q"] + ("*" if disturbed(r) else "")) or "-", r["spread"] or "-",
                     r["qps"] or "-", r["lost"] or "-",
                     f'{r["srv_drops"]}/{r["cli_drops"]}' if r["srv_drops"] else "-",
                     r["srv_pct"] or "-", r["cli_pct"] or "-", r["other_pct"] or "-",
                     r["p50"] or "-", (r["p99"] + ("*" if lat_disturbed(r) else "")) or "-", r["p99_spread"] or "-", r["p999"] or "-", r["lat_lost"] or "-"]
            first = False
            if base and not s.startswith("edgetm"):
                # edgetm / this server: below 1 means edgetm is cheaper / faster
                cells += [fmt_ratio(ratio(base["us_per_q"], r["us_per_q"])),
                          fmt_ratio(ratio(base["p99"], r["p99"]))]
            else:
                cells += ["", ""]
            print(render(cells).rstrip())
            for kind, codes in (("saturated", r["rcodes"]), ("1k q/s", r["lat_rcodes"])):
                bad = unexpected_rcodes(w, codes)
                if bad:
                    notes.append(f"workload {w} {s} {kind}: unexpected response codes {codes}")
            if disturbed(r):
                notes.append(f"workload {w} {s}: disturbed saturated run (other processes {r['other_pct']} % of a CPU, "
                             f"steal {r['steal_pct']} %)")
            if lat_disturbed(r):
                notes.append(f"workload {w} {s}: disturbed fixed-rate run (other processes {r['lat_other_pct']} % of a "
                             "CPU)")
        print()
    print("""Saturated run (us/query .. other%):
  us/query   server utime+stime (/proc/PID/stat, all threads) / answered queries: the headline figure
  +-%        half the range of the slices' us/query, in % of it: how much the figure moved between slices
  drops s/c  UDP receive-buffer drops at the server's socket / elsewhere (the load generator's sockets)
  srv%, dnsperf%, other%  CPU time / run time of the server, of dnsperf, of every other process (* on us/query
             or p99: others above 10 % of a CPU, a disturbed run). srv% below 100 %: dnsperf, alone on CPU 1, was
             the limit, not the server; dnsperf% can pass 100 % as its CPU time includes start-up and the 1 s wait
             for lost queries.
p50/p99/p99.9, lost@1k: the fixed-rate run; its +-%: half the range of the slices' p99, in % of p99.
edgetm/it: edgetm's value / that server's (below 1: edgetm cheaper or faster).""")

    if "gdnsd" in servers and "edgetm" in servers:
        print()
        print("Targets (edgetm vs gdnsd):")
        for w in workloads:
            e, g = by.get(("edgetm", w)), by.get(("gdnsd", w))
            if not e or not g:
                continue
            target = 1.25 if w == "3" else 1.0
            lost_total = sum(int(num(x) or 0) for x in (e["lost"], e["lat_lost"]))
            print("  %-20s us/query %-28s p99 %-28s lost %s" % (
                f"{w} {WORKLOADS[w]}", fmt_ratio(ratio(e["us_per_q"], g["us_per_q"]), target),
                fmt_ratio(ratio(e["p99"], g["p99"]), 1.0),
                "0 ok" if lost_total == 0 else f"{lost_total} MISS (target 0)"))
    probing = [w for w in workloads if ("edgetm p0", w) in by and ("edgetm p2k", w) in by]
    if probing:
        print()
        probed = int(os.environ.get("PROBED_ENDPOINTS", "2000"))
        print(f"Target (edgetm probing {probed:,} endpoints vs the same edgetm probing none, alternating slices):")
        for w in probing:
            idle, busy = by[("edgetm p0", w)], by[("edgetm p2k", w)]
            print("  %-20s us/query %s -> %s: %s" % (
                f"{w} {WORKLOADS[w]}", idle["us_per_q"], busy["us_per_q"],
                fmt_ratio(ratio(busy["us_per_q"], idle["us_per_q"]), 1.10)))
            if idle.get("listener_us_per_q") and busy.get("listener_us_per_q"):
                print("  %-20s listener threads only: us/query %s -> %s: %s" % (
                    "", idle["listener_us_per_q"], busy["listener_us_per_q"],
                    fmt_ratio(ratio(busy["listener_us_per_q"], idle["listener_us_per_q"]), 1.10)))
    if notes:
        print()
        for n in notes:
            print("note:", n)


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "row":
        row(sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "table":
        table(sys.argv[2:])
    else:
        sys.exit(__doc__)
