#!/usr/bin/env bash
# Health probing at scale: thousands of endpoints, each a distinct URL on a local counting HTTP server.
#
#   bench/probe-scale.sh [--profiles 20] [--endpoints 100] [--interval 10] [--timeout 5] [--window 60]
#                        [--settle S] [--idle 20] [--qps 1000] [--net 127.0.10] [--base-port 20000] [--keep]
#                        [--tolerated 2] [--server-delay S] [--nofile N] [--server-nice 0]
#
# PROFILES profiles x ENDPOINTS endpoints: profile i monitors HTTP port BASE+i, path /p<i>/health; its endpoints
# target NET.1 ... NET.ENDPOINTS, so every endpoint is a distinct URL http://NET.j:BASE+i/p<i>/health.
# bench/countserver.py listens on all of them (one socket each) and records every request.
#   1. idle: edgetm on the same profiles with every endpoint alwaysServe (nothing probed); dnsperf -Q QPS for
#      IDLE seconds over the profile names; CPU of edgetm's threads over that time.
#   2. probing: edgetm on the probed profiles; once every URL has been probed once and SETTLE more seconds have
#      passed (default interval + 2 s, so the start-up burst is not in the per-URL intervals), a WINDOW-second
#      window: requests received by the server, per-URL probe intervals, CPU of the thread named "probes" (from
#      /proc/PID/task/*/stat; if no thread has that name, the busiest thread during the settle time, when no DNS
#      query is sent) and of the whole process, and dnsperf -Q QPS over the same window.
# The counting server shares the machine's cores with edgetm (--server-nice N lowers its priority; niceness 10
# changed the DNS p99 by under 5 % but slowed the server's answers, which raised the probe thread's CPU per probe).
# --server-delay makes every answer take S seconds (slow endpoints keep their connections open); --nofile runs
# edgetm under `ulimit -n N` (1024 is systemd's default soft limit); --tolerated sets toleratedNumberOfFailures.
# Uses .build/release/edgetm (built when missing), or the binary named by the environment variable EDGETM_BIN.
# Only loopback is used; every process started is stopped by pid on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
PROFILES=20
ENDPOINTS=100
INTERVAL=10
TIMEOUT=5
WINDOW=60
SETTLE=
IDLE=20
QPS=1000
NET=127.0.10
BASE_PORT=20000
KEEP=0
TOLERATED=2
SERVER_DELAY=0
NOFILE=
SERVER_NICE=0

usage() { sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
    case $1 in
        --profiles) PROFILES=$2; shift 2 ;;
        --endpoints) ENDPOINTS=$2; shift 2 ;;
        --interval) INTERVAL=$2; shift 2 ;;
        --timeout) TIMEOUT=$2; shift 2 ;;
        --window) WINDOW=$2; shift 2 ;;
        --settle) SETTLE=$2; shift 2 ;;
        --idle) IDLE=$2; shift 2 ;;
        --qps) QPS=$2; shift 2 ;;
        --net) NET=$2; shift 2 ;;
        --base-port) BASE_PORT=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --tolerated) TOLERATED=$2; shift 2 ;;
        --server-delay) SERVER_DELAY=$2; shift 2 ;;
        --nofile) NOFILE=$2; shift 2 ;;
        --server-nice) SERVER_NICE=$2; shift 2 ;;
        -h|--help) usage 0 ;;
        *) echo "unknown option $1" >&2; usage 2 ;;
    esac
done
[[ $NET =~ ^127\.[0-9]+\.[0-9]+$ ]] || { echo "--net must be a 127.x.y prefix (loopback)" >&2; exit 2; }
((ENDPOINTS >= 1 && ENDPOINTS <= 254)) || { echo "--endpoints must be 1..254" >&2; exit 2; }
((PROFILES >= 1 && BASE_PORT + PROFILES <= 65536)) || { echo "bad --profiles/--base-port" >&2; exit 2; }

WORK=$(mktemp -d /tmp/edgetm-probe-scale.XXXXXX)
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
trap finish EXIT
trap 'exit 130' INT TERM

command -v dnsperf >/dev/null || die "dnsperf is missing: apt-get install -y dnsperf"
BINARY=${EDGETM_BIN:-} BUILD=missing   # read by provide_edgetm
EDGETM=$WORK/bin/edgetm
provide_edgetm release "$EDGETM"
URLS=$((PROFILES * ENDPOINTS))
REPORT=(python3 "$HERE/probe_scale_report.py")

# Two configurations: probed, and idle (the same endpoints, alwaysServe, so nothing is probed).
python3 "$HERE/dns/gen.py" probed - "$WORK/probed" "$PROFILES" "$ENDPOINTS" "$INTERVAL" "$TIMEOUT" "$TOLERATED" \
    "$NET" "$BASE_PORT"
python3 "$HERE/dns/gen.py" probed - "$WORK/idle" "$PROFILES" "$ENDPOINTS" "$INTERVAL" "$TIMEOUT" "$TOLERATED" \
    "$NET" "$BASE_PORT" idle
for ((i = 0; i < PROFILES; i++)); do printf 'p%02d.tm.example A\n' "$i"; done >"$WORK/queries.txt"
"$EDGETM" check --config "$WORK/probed" >&2 || die "edgetm check refused the probed configuration"
"$EDGETM" check --config "$WORK/idle" >&2 || die "edgetm check refused the idle configuration"

log "starting the counting HTTP server on $NET.1-$ENDPOINTS x ports $BASE_PORT-$((BASE_PORT + PROFILES - 1))"
start_ready countserver nice -n "$SERVER_NICE" python3 "$HERE/countserver.py" --addresses "$NET.1-$ENDPOINTS" \
    --ports "$BASE_PORT-$((BASE_PORT + PROFILES - 1))" --dump "$WORK/arrivals.json" --status "$WORK/status" \
    --delay "$SERVER_DELAY" || die "the counting server did not start (ports in use? try --base-port or --net)"
COUNT_PID=$STARTED_PID

wait_answer() {  # $1 port
    python3 "$HERE/dnsprobe.py" wait --port "$1" --expect "$NET.1" --timeout 20 p00.tm.example \
        || die "edgetm did not answer on 127.0.0.1:$1"
}

run_dnsperf() {  # $1 port, $2 seconds, $3 output
    dnsperf -s 127.0.0.1 -p "$1" -d "$WORK/queries.txt" -Q "$QPS" -l "$2" -v >"$3" 2>&1 \
        || die "dnsperf failed: $(tail -3 "$3")"
}

EDGETM_NOFILE=$NOFILE   # read by start_edgetm
# 1. idle
DNSPORT=$(free_ports 1)
start_edgetm edgetm-idle "$WORK/idle" "127.0.0.1:$DNSPORT"
IDLE_PID=$STARTED_PID
wait_answer "$DNSPORT"
log "idle: edgetm pid $IDLE_PID, nothing probed; dnsperf -Q $QPS for $IDLE s"
"${REPORT[@]}" cpu "$IDLE_PID" >"$WORK/idle-cpu0.json"
run_dnsperf "$DNSPORT" "$IDLE" "$WORK/idle-dnsperf.txt"
"${REPORT[@]}" cpu "$IDLE_PID" >"$WORK/idle-cpu1.json"
stop_pid "$IDLE_PID"

# 2. probing
DNSPORT=$(free_ports 1)
STARTED=$EPOCHREALTIME
start_edgetm edgetm-probed "$WORK/probed" "127.0.0.1:$DNSPORT"
TM_PID=$STARTED_PID
wait_answer "$DNSPORT"
cat "/proc/$TM_PID/limits" >"$WORK/limits" 2>/dev/null || true
log "probing: edgetm pid $TM_PID, $URLS URLs every $INTERVAL s; waiting for the first round"
deadline=$((SECONDS + 120))
while :; do
    distinct=$(awk '{ print $3 }' "$WORK/status" 2>/dev/null || echo 0)
    ((distinct >= URLS)) && break
    ((SECONDS < deadline)) || die "only $distinct of $URLS URLs probed after 120 s"
    kill -0 "$TM_PID" 2>/dev/null || die "edgetm exited: $(tail -3 "$WORK/edgetm-probed.log")"
    sleep 0.2
done
SETTLE=${SETTLE:-$(awk -v i="$INTERVAL" 'BEGIN { print i + 2 }')}
log "first round done ($distinct URLs); settling $SETTLE s, then measuring for $WINDOW s with dnsperf -Q $QPS"
# CPU over the settle time (no DNS traffic) tells the probe thread apart if it has no name.
"${REPORT[@]}" cpu "$TM_PID" >"$WORK/settle-cpu0.json"
sleep "$SETTLE"
"${REPORT[@]}" cpu "$TM_PID" >"$WORK/settle-cpu1.json"
T0=$EPOCHREALTIME
"${REPORT[@]}" cpu "$TM_PID" >"$WORK/cpu0.json"
run_dnsperf "$DNSPORT" "$WINDOW" "$WORK/busy-dnsperf.txt"
"${REPORT[@]}" cpu "$TM_PID" >"$WORK/cpu1.json"
T1=$EPOCHREALTIME
kill -0 "$TM_PID" 2>/dev/null || die "edgetm exited during the window"
stop_pid "$TM_PID"
stop_pid "$COUNT_PID"   # writes arrivals.json on exit
[[ -s $WORK/arrivals.json ]] || die "the counting server wrote no arrivals"
degraded=$(grep -c 'to=Degraded' "$WORK/edgetm-probed.log" || true)
echo
echo "settings: $PROFILES profiles x $ENDPOINTS endpoints, interval $INTERVAL s, timeout $TIMEOUT s," \
    "toleratedNumberOfFailures $TOLERATED, server delay $SERVER_DELAY s (nice $SERVER_NICE), edgetm open-files limit" \
    "$(awk '/Max open files/ { print $4 }' "$WORK/limits" 2>/dev/null || echo '?')"
"${REPORT[@]}" report --dump "$WORK/arrivals.json" --started "$STARTED" --window "$T0" "$T1" \
    --cpu0 "$WORK/cpu0.json" --cpu1 "$WORK/cpu1.json" --settle-cpu0 "$WORK/settle-cpu0.json" \
    --settle-cpu1 "$WORK/settle-cpu1.json" --idle-cpu0 "$WORK/idle-cpu0.json" \
    --idle-cpu1 "$WORK/idle-cpu1.json" --idle-dnsperf "$WORK/idle-dnsperf.txt" \
    --busy-dnsperf "$WORK/busy-dnsperf.txt" --urls "$URLS" --interval "$INTERVAL" --degraded "${degraded:-0}" --qps "$QPS"
if ((degraded)); then
    echo
    echo "transitions to Degraded by probe failure (all endpoints were serving):"
    grep 'to=Degraded' "$WORK/edgetm-probed.log" | sed -n 's/.* reason=\(.*\) target=.*/\1/p' | sort | uniq -c \
        | sed 's/^/  /'
fi
