#!/usr/bin/env bash
# Failover and failback as a client behind a caching resolver sees them, with dnsConfig.adaptiveTtl off and on.
#
#   bench/resolver-failover.sh [--runs N] [--mec ADDR] [--region ADDR] [--port P] [--keep]
#
# edgetm serves two Priority profiles on the same two endpoints (the MEC, priority 1, default 127.0.0.41, and the
# region, 127.0.0.42, both scripts/endpoint.py on --port, default a free port): `fixed` (adaptiveTtl off) and
# `adaptive` (on), both TTL 30 s, probed over HTTP every 1 s (timeout 0.5 s, toleratedNumberOfFailures 2). A real
# Unbound (Debian `unbound`), started here on a free loopback port with its own configuration (cache on, a stub
# zone for tm.example. to edgetm, `do-not-query-localhost: no`, no daemon, no chroot, no remote control, pidfile
# in the temp dir), sits in front. bench/resolver/failover.py then asks Unbound every 100 ms, N runs (default 3)
# per profile: it kills the MEC endpoint at a moment where Unbound's cached MEC answer expires after the first
# failed probe and before the endpoint is declared Degraded (the case adaptiveTtl is for: a kill long before the
# cache expires is helped by nothing), and measures failover (kill -> first region answer from Unbound) and
# failback (the endpoint listening again -> first MEC answer from Unbound). It ends with one table, and the
# targets with adaptiveTtl on: failover within interval x (N+1) + timeout + 2 s, failback within interval + 2 s.
# About 8 minutes with 3 runs (a run with adaptiveTtl off waits out two 30 s TTLs).
# Uses .build/release/edgetm (built when missing), or the binary named by the environment variable EDGETM_BIN.
# Only loopback is used; every process started is stopped by pid on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
RUNS=3
MEC=127.0.0.41
REGION=127.0.0.42
PORT=
KEEP=0
UNBOUND=/usr/sbin/unbound
TTL=30
INTERVAL=1
TIMEOUT=0.5
TOLERATED=2

usage() { sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
    case $1 in
        --runs) RUNS=$2; shift 2 ;;
        --mec) MEC=$2; shift 2 ;;
        --region) REGION=$2; shift 2 ;;
        --port) PORT=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "unknown option $1" >&2; usage 2 ;;
    esac
done

WORK=$(mktemp -d /tmp/edgetm-resolver-failover.XXXXXX)
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
trap finish EXIT
trap 'exit 130' INT TERM
for address in "$MEC" "$REGION"; do
    python3 -c 'import ipaddress, sys; sys.exit(not ipaddress.ip_address(sys.argv[1]).is_loopback)' "$address" \
        || die "$address is not a loopback address"
done
[[ -x $UNBOUND ]] || die "$UNBOUND is missing: apt-get install unbound"

BINARY=${EDGETM_BIN:-} BUILD=missing   # read by provide_edgetm
EDGETM=$WORK/bin/edgetm
provide_edgetm release "$EDGETM"
read -r DNSPORT UNBOUNDPORT FREEPORT <<<"$(free_ports 3)"
PORT=${PORT:-$FREEPORT}
CONFIG=$WORK/config
RESULTS=$WORK/results.tsv
: >"$RESULTS"

profile() {  # $1 name, $2 adaptiveTtl
    cat <<EOF
{
  "name": "$1",
  "properties": {
    "trafficRoutingMethod": "Priority",
    "dnsConfig": { "relativeName": "$1", "ttl": $TTL, "adaptiveTtl": $2 },
    "monitorConfig": { "protocol": "HTTP", "port": $PORT, "path": "/health", "intervalInSeconds": $INTERVAL,
                       "timeoutInSeconds": $TIMEOUT, "toleratedNumberOfFailures": $TOLERATED },
    "endpoints": [
      { "name": "mec", "type": "externalEndpoints", "properties": { "target": "$MEC", "priority": 1 } },
      { "name": "region", "type": "externalEndpoints", "properties": { "target": "$REGION", "priority": 2 } }
    ]
  }
}
EOF
}

mkdir -p "$CONFIG/profiles"
cat >"$CONFIG/edgetm.json" <<EOF
{
  "zone": {
    "name": "tm.example.",
    "soa": { "mname": "ns1.tm.example.", "rname": "hostmaster.tm.example." },
    "nameservers": ["ns1.tm.example."],
    "addresses": { "ns1.tm.example.": ["127.0.0.1"] }
  }
}
EOF
profile fixed false >"$CONFIG/profiles/fixed.json"
profile adaptive true >"$CONFIG/profiles/adaptive.json"
"$EDGETM" check --config "$CONFIG" >/dev/null || die "edgetm check refused $CONFIG"

# Unbound caches as it does by default (msg and rrset caches on, no prefetch, no serve-expired).
cat >"$WORK/unbound.conf" <<EOF
server:
    interface: 127.0.0.1
    port: $UNBOUNDPORT
    do-not-query-localhost: no
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$WORK"
    pidfile: "$WORK/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 1
    num-threads: 1
    module-config: "iterator"
    do-ip6: no
    access-control: 127.0.0.0/8 allow
remote-control:
    control-enable: no
stub-zone:
    name: "tm.example."
    stub-addr: 127.0.0.1@$DNSPORT
EOF

log "edgetm: ${BINARY:-$ROOT/.build/release/edgetm} on 127.0.0.1:$DNSPORT; Unbound on 127.0.0.1:$UNBOUNDPORT;" \
    "MEC $MEC:$PORT, region $REGION:$PORT; $RUNS runs each with adaptiveTtl off and on"
start_ready "endpoint-$REGION" python3 "$ROOT/scripts/endpoint.py" --bind "$REGION" --port "$PORT" \
    || die "cannot start an endpoint on $REGION:$PORT (in use? choose others with --region/--port)"
start_edgetm edgetm "$CONFIG" "127.0.0.1:$DNSPORT"
TM_PID=$STARTED_PID
wait_dns "$DNSPORT" fixed.tm.example 20 "$TM_PID" || die "edgetm did not answer; see $WORK/edgetm.log"
spawn "$WORK/unbound.log" "$UNBOUND" -d -c "$WORK/unbound.conf"
UNBOUND_PID=$STARTED_PID
for ((try = 0; ; try++)); do
    dig @127.0.0.1 -p "$UNBOUNDPORT" CH TXT version.bind +tries=1 +time=1 2>/dev/null | grep -q 'status: NOERROR' \
        && break
    if ! kill -0 "$UNBOUND_PID" 2>/dev/null || ((try >= 100)); then die "Unbound did not start; see $WORK/unbound.log"; fi
    sleep 0.1
done

for mode in off on; do
    name=fixed
    [[ $mode == on ]] && name=adaptive
    log "adaptiveTtl $mode: $RUNS runs on $name.tm.example"
    client "$WORK/runs-$mode.log" python3 "$HERE/resolver/failover.py" run --label "$mode" --runs "$RUNS" \
        --resolver-port "$UNBOUNDPORT" --edgetm-port "$DNSPORT" --name "$name.tm.example" \
        --witness adaptive.tm.example --mec "$MEC" --region "$REGION" --endpoint-port "$PORT" \
        --endpoint-log "$WORK/endpoint-$MEC.log" --results "$RESULTS" --timeline "$WORK/timeline-$mode.log" \
        --ttl "$TTL" --interval "$INTERVAL" --tolerated "$TOLERATED" \
        || { cat "$WORK/runs-$mode.log" >&2; die "the runs with adaptiveTtl $mode failed"; }
    cat "$WORK/runs-$mode.log" >&2
done

python3 "$HERE/resolver/failover.py" report "$RESULTS" --ttl "$TTL" --interval "$INTERVAL" --timeout "$TIMEOUT" \
    --tolerated "$TOLERATED"
