#!/usr/bin/env bash
# Failover and failback times of edgetm, measured from outside over DNS, against real HTTP endpoints on loopback.
#
#   bench/failover.sh [--runs N] [--cases "1:0.5 0.25:0.2"] [--mec ADDR] [--region ADDR] [--port P] [--keep]
#                     [--extra-profiles N]
#
# A profile `app` has the MEC endpoint (priority 1, default 127.0.0.11) and the region (priority 2, default
# 127.0.0.12), both `scripts/endpoint.py` on --port (8080), monitored over HTTP with toleratedNumberOfFailures 0.
# For each case INTERVAL:TIMEOUT, edgetm is started on a free loopback port and a poller (bench/dnsprobe.py) asks
# for app.tm.example every 20 ms, logging each change of answer. Each run:
#   1. waits until the answer has been the MEC endpoint for 2 intervals, then a random 0..interval (so the death
#      falls at a random point of the probe schedule);
#   2. kills the MEC endpoint: `killed` = SIGKILL (probes see connection refused), `hung` = SIGSTOP (probes time
#      out); failover time = first answer of the region after the signal;
#   3. holds the outage a random 0..interval more, then restores it: `killed` restarts the endpoint and measures
#      from the moment it prints "ready" (it listens); `hung` sends SIGCONT and measures from there;
#      failback time = first answer of the MEC endpoint after that moment.
# Times are when the poller received the first changed answer (resolution: the 20 ms polling period).
# --extra-profiles N serves N more Priority profiles of 10 endpoints beside `app` (alwaysServe, so not probed; as
# bench/dns/gen.py many writes them): a health change of `app` should cost the same however many there are.
# Uses .build/release/edgetm (built when missing), or the binary named by the environment variable EDGETM_BIN.
# Only loopback is used; every process started is stopped by pid on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
RUNS=5
EXTRA=0
CASES="1:0.5 0.25:0.2"
MEC=127.0.0.11
REGION=127.0.0.12
PORT=8080
KEEP=0

usage() { sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
    case $1 in
        --runs) RUNS=$2; shift 2 ;;
        --cases) CASES=$2; shift 2 ;;
        --mec) MEC=$2; shift 2 ;;
        --region) REGION=$2; shift 2 ;;
        --port) PORT=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --extra-profiles) EXTRA=$2; shift 2 ;;
        -h|--help) usage 0 ;;
        *) echo "unknown option $1" >&2; usage 2 ;;
    esac
done

WORK=$(mktemp -d /tmp/edgetm-failover.XXXXXX)
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
trap finish EXIT
trap 'exit 130' INT TERM
for address in "$MEC" "$REGION"; do
    python3 -c 'import ipaddress, sys; sys.exit(not ipaddress.ip_address(sys.argv[1]).is_loopback)' "$address" \
        || die "$address is not a loopback address"
done

BINARY=${EDGETM_BIN:-} BUILD=missing   # read by provide_edgetm
EDGETM=$WORK/bin/edgetm
provide_edgetm release "$EDGETM"
PROBE=(python3 "$HERE/dnsprobe.py")
NAME=app.tm.example
RESULTS="$WORK/results.tsv"
: >"$RESULTS"

start_endpoint() {  # $1 address; sets STARTED_PID, READY_AT
    start_ready "endpoint-$1" python3 "$ROOT/scripts/endpoint.py" --bind "$1" --port "$PORT" \
        || die "cannot start an endpoint on $1:$PORT (address in use by another process? choose others with --mec/--region/--port)"
}

write_config() {  # $1 dir, $2 interval, $3 timeout
    mkdir -p "$1/profiles"
    cat >"$1/edgetm.json" <<EOF
{
  "zone": {
    "name": "tm.example.",
    "soa": { "mname": "ns1.tm.example.", "rname": "hostmaster.tm.example." },
    "nameservers": ["ns1.tm.example."],
    "addresses": { "ns1.tm.example.": ["127.0.0.1"] }
  }
}
EOF
    cat >"$1/profiles/app.json" <<EOF
{
  "name": "app",
  "properties": {
    "profileStatus": "Enabled",
    "trafficRoutingMethod": "Priority",
    "dnsConfig": { "relativeName": "app", "ttl": 0 },
    "monitorConfig": { "protocol": "HTTP", "port": $PORT, "path": "/health",
                       "intervalInSeconds": $2, "timeoutInSeconds": $3, "toleratedNumberOfFailures": 0 },
    "endpoints": [
      { "name": "mec", "type": "externalEndpoints",
        "properties": { "target": "$MEC", "endpointStatus": "Enabled", "priority": 1 } },
      { "name": "region", "type": "externalEndpoints",
        "properties": { "target": "$REGION", "endpointStatus": "Enabled", "priority": 2 } }
    ]
  }
}
EOF
    if ((EXTRA > 0)); then
        [[ -d $WORK/extra ]] || python3 "$HERE/dns/gen.py" many "$WORK/extra" "$EXTRA" 10
        cp -r "$WORK/extra/profiles/." "$1/profiles/"
    fi
    "$EDGETM" check --config "$1" >/dev/null || die "edgetm check refused $1"
}

# Why a wait failed: edgetm gone (killed from outside?) or just slow.
explain() {
    if ! kill -0 "$TM_PID" 2>/dev/null; then
        echo "edgetm (pid $TM_PID) is gone; its last log lines: $(tail -2 "$WORK/edgetm-$label.log" | tr '\n' ' ')"
    else
        echo "edgetm is running; see $WORK"
    fi
}

# The reason of the last "to=Degraded" transition in an edgetm log.
last_degraded_reason() {
    grep 'to=Degraded' "$1" | tail -1 | sed -n 's/.* reason=\(.*\) target=.*/\1/p' | tr ' ' '_'
}

log "edgetm: ${BINARY:-$ROOT/.build/release/edgetm}; MEC $MEC:$PORT, region $REGION:$PORT; $RUNS runs per kind; cases: $CASES"
start_endpoint "$REGION"
start_endpoint "$MEC"
MEC_PID=$STARTED_PID

for case in $CASES; do
    INTERVAL=${case%%:*}
    TIMEOUT=${case#*:}
    label="i$INTERVAL"
    config="$WORK/config-$label"
    write_config "$config" "$INTERVAL" "$TIMEOUT"
    DNSPORT=$(free_ports 1)
    start_edgetm "edgetm-$label" "$config" "127.0.0.1:$DNSPORT"
    TM_PID=$STARTED_PID
    WATCH="$WORK/watch-$label.log"
    "${PROBE[@]}" watch --port "$DNSPORT" --log "$WATCH" "$NAME" &
    WATCH_PID=$!
    track_pid "$WATCH_PID"
    STABLE=$(awk -v i="$INTERVAL" 'BEGIN { s = 2 * i; if (s < 0.5) s = 0.5; print s }')
    log "case interval=$INTERVAL s timeout=$TIMEOUT s: edgetm pid $TM_PID on 127.0.0.1:$DNSPORT"
    "${PROBE[@]}" wait --port "$DNSPORT" --expect "$MEC" --stable "$STABLE" --timeout $((20 + EXTRA / 500)) "$NAME" \
        || { tail -5 "$WORK/edgetm-$label.log" >&2; die "edgetm never answered $MEC"; }

    for kind in killed hung; do
        for ((run = 1; run <= RUNS; run++)); do
            "${PROBE[@]}" wait --port "$DNSPORT" --expect "$MEC" --stable "$STABLE" --timeout 30 "$NAME" \
                || die "the answer did not settle on $MEC before run $run ($kind): $(explain)"
            sleep "$(random_fraction "$INTERVAL")"
            if [[ $kind == killed ]]; then
                T0=$EPOCHREALTIME
                kill -KILL "$MEC_PID"
                reap_pid "$MEC_PID" || true
            else
                T0=$EPOCHREALTIME
                kill -STOP "$MEC_PID"
            fi
            failover=$("${PROBE[@]}" since --log "$WATCH" --after "$T0" --expect "$REGION" --timeout 15) \
                || die "no failover to $REGION within 15 s ($kind, run $run): $(explain)"
            sleep "$(random_fraction "$INTERVAL")"
            if [[ $kind == killed ]]; then
                start_endpoint "$MEC"
                MEC_PID=$STARTED_PID
                T1=$READY_AT
            else
                T1=$EPOCHREALTIME
                kill -CONT "$MEC_PID"
            fi
            failback=$("${PROBE[@]}" since --log "$WATCH" --after "$T1" --expect "$MEC" --timeout 15) \
                || die "no failback to $MEC within 15 s ($kind, run $run): $(explain)"
            reason=$(last_degraded_reason "$WORK/edgetm-$label.log")
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$INTERVAL" "$TIMEOUT" "$kind" "$run" "$failover" \
                "$failback" "${reason:-?}" "$T0" "$T1" >>"$RESULTS"
            log "  $kind run $run: failover ${failover} s, failback ${failback} s (probe said: ${reason//_/ })"
        done
    done
    stop_pid "$WATCH_PID"
    stop_pid "$TM_PID"
    grep '^#' "$WATCH" | sed "s/^# /  poller: /" >&2 || true
    degraded=$(grep -c 'to=Degraded' "$WORK/edgetm-$label.log" || true)
    log "  edgetm logged $degraded transitions to Degraded (expected $((2 * RUNS)))"
done

python3 "$HERE/failover_report.py" "$RESULTS"
