#!/usr/bin/env bash
# A short tour (about 5 seconds) of edgetm's failover, entirely on loopback:
#   - starts two stand-in HTTP services: 127.0.0.11:8080 (the MEC site) and 127.0.0.12:8080 (the regional copy);
#   - serves a copy of the bundled Config/ whose `app` profile targets those two; in the copy, the app monitor
#     probes every 1 s (timeout 0.5 s, toleratedNumberOfFailures 0) instead of the bundled 10 s, to keep it quick;
#   - asks app.tm.example with dig, stops the MEC service, shows the answer move to the region, restarts it and
#     shows the answer come back; then stops everything it started.
#
#   scripts/demo.sh [--port DNS_PORT] [--mec ADDR --region ADDR]
#
# DNS_PORT defaults to 5353, or a free port if 5353 is taken. --mec/--region move the two services to other
# loopback addresses (the copied app profile is rewritten to match) when 127.0.0.11/12:8080 are in use.
#
# Uses .build/release/edgetm, building it first (swift build -c release) when it is missing (EDGETM_BIN=PATH picks
# another binary). Needs dig and python3.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EDGETM="${EDGETM_BIN:-$ROOT/.build/release/edgetm}"
MEC=127.0.0.11
REGION=127.0.0.12
HTTP_PORT=8080
DNS_PORT=
NAME=app.tm.example

while (($#)); do
    case $1 in
        --port) DNS_PORT=$2; shift 2 ;;
        --mec) MEC=$2; shift 2 ;;
        --region) REGION=$2; shift 2 ;;
        -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

bold() { if [[ -t 1 ]]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi; }
say() { printf '   %s\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

command -v dig >/dev/null || die "dig is missing (apt-get install dnsutils)"
command -v python3 >/dev/null || die "python3 is missing"

WORK=$(mktemp -d /tmp/edgetm-demo.XXXXXX)
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Is ADDR:PORT free for a TCP listener (UDP too when $3 is "udp")?
port_free() {
    python3 - "$1" "$2" "${3:-}" <<'EOF'
import socket, sys
host, port, udp = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "udp"
kinds = [socket.SOCK_STREAM] + ([socket.SOCK_DGRAM] if udp else [])
try:
    for kind in kinds:
        with socket.socket(socket.AF_INET, kind) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
except OSError:
    sys.exit(1)
EOF
}

if [[ -n ${EDGETM_BIN:-} ]]; then
    [[ -x $EDGETM ]] || die "EDGETM_BIN=$EDGETM is not an executable"
elif [[ ! -x $EDGETM ]]; then
    bold "Building the release binary (swift build -c release)"
    (cd "$ROOT" && swift build -c release)
fi

for address in "$MEC" "$REGION"; do
    python3 -c 'import ipaddress, sys; sys.exit(not ipaddress.ip_address(sys.argv[1]).is_loopback)' "$address" \
        || die "$address is not a loopback address"
    port_free "$address" "$HTTP_PORT" \
        || die "$address:$HTTP_PORT is already in use (another endpoint.py or demo running?); stop it, or choose other loopback addresses with --mec/--region"
done
if [[ -z $DNS_PORT ]]; then
    DNS_PORT=5353
    port_free 127.0.0.1 "$DNS_PORT" udp || DNS_PORT=$(python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi

# Starts scripts/endpoint.py on $1 and waits until it listens; sets STARTED_PID.
start_endpoint() {
    local fifo="$WORK/ready.$1.$RANDOM" line=""
    mkfifo "$fifo"
    python3 "$ROOT/scripts/endpoint.py" --bind "$1" --port "$HTTP_PORT" >"$fifo" 2>>"$WORK/endpoint-$1.log" &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
    if ! read -r -t 10 line <"$fifo" || [[ $line != ready ]]; then
        die "the endpoint on $1:$HTTP_PORT did not start: $(tail -1 "$WORK/endpoint-$1.log" 2>/dev/null)"
    fi
    rm -f "$fifo"
}

answer() { dig @127.0.0.1 -p "$DNS_PORT" "$NAME" A +norec +short +time=1 +tries=1 2>/dev/null | head -1; }

show_dig() {
    say "\$ dig @127.0.0.1 -p $DNS_PORT $NAME A +norec +noall +answer"
    dig @127.0.0.1 -p "$DNS_PORT" "$NAME" A +norec +noall +answer +time=1 +tries=1 | sed 's/^/   /'
}

LOG_SHOWN=0
# Prints edgetm's log lines about health and answers that appeared since the last call.
show_log() {
    local lines
    lines=$(wc -l <"$WORK/edgetm.log")
    sed -n "$((LOG_SHOWN + 1)),${lines}p" "$WORK/edgetm.log" \
        | grep -E 'status changed|profile answer|failing open' | grep 'profile=app' \
        | sed -E 's/^[^ ]+ (notice|warning) edgetm: /   edgetm log: /; s/ \[TM[A-Za-z]+\]//' || true
    LOG_SHOWN=$lines
}

# Polls every 0.25 s for up to $2 seconds until the answer is $1; prints how long it took.
wait_for() {
    local want=$1 limit=$2 start=$EPOCHREALTIME got=""
    while :; do
        got=$(answer)
        [[ $got == "$want" ]] && break
        if (($(awk -v s="$start" -v n="$EPOCHREALTIME" -v l="$limit" 'BEGIN { print (n - s > l) }'))); then
            die "the answer is still '${got:-none}' after $limit s, not $want (log: $WORK/edgetm.log)"
        fi
        sleep 0.25
    done
    say "the answer became $want after $(awk -v s="$start" -v n="$EPOCHREALTIME" 'BEGIN { printf "%.2f", n - s }') s"
}

bold "Configuration: a copy of Config/ with the app monitor at intervalInSeconds 1, timeoutInSeconds 0.5, toleratedNumberOfFailures 0"
mkdir -p "$WORK/config"
cp -r "$ROOT/Config/." "$WORK/config/"
python3 - "$WORK/config/profiles/app.json" "$MEC" "$REGION" <<'EOF'
import json, sys
path, mec, region = sys.argv[1:]
profile = json.load(open(path))
properties = profile.get("properties", profile)
properties["monitorConfig"].update(intervalInSeconds=1, timeoutInSeconds=0.5, toleratedNumberOfFailures=0)
# The bundled targets are 127.0.0.11 (priority 1) and 127.0.0.12 (priority 2); --mec/--region may move them.
for endpoint in properties["endpoints"]:
    fields = endpoint.get("properties", endpoint)
    fields["target"] = {"127.0.0.11": mec, "127.0.0.12": region}.get(fields["target"], fields["target"])
json.dump(profile, open(path, "w"), indent=2)
EOF
"$EDGETM" check --config "$WORK/config" | sed 's/^/   /'
say "app.tm.example: mec-atlanta $MEC (priority 1), region-eastus $REGION (priority 2), HTTP probe :$HTTP_PORT/health"

bold "Starting the MEC service ($MEC:$HTTP_PORT) and the regional one ($REGION:$HTTP_PORT)"
start_endpoint "$REGION"
start_endpoint "$MEC"
MEC_PID=$STARTED_PID
say "both answer GET /health with 200"

bold "Starting edgetm on 127.0.0.1:$DNS_PORT"
"$EDGETM" serve --config "$WORK/config" --listen "127.0.0.1:$DNS_PORT" 2>"$WORK/edgetm.log" &
PIDS+=("$!")
EDGETM_PID=$!
for _ in $(seq 50); do
    [[ $(answer) == "$MEC" ]] && break
    kill -0 "$EDGETM_PID" 2>/dev/null || { cat "$WORK/edgetm.log" >&2; die "edgetm exited"; }
    sleep 0.2
done
sleep 1.2   # one probe round, so both endpoints are Online
show_log
show_dig

bold "Stopping the MEC service: edgetm's next probe is refused, and the answer moves to the region"
kill -TERM "$MEC_PID"
wait "$MEC_PID" 2>/dev/null || true
wait_for "$REGION" 10
show_log
show_dig

bold "Restarting the MEC service: the next probe succeeds, and the answer comes back"
start_endpoint "$MEC"
wait_for "$MEC" 10
show_log
show_dig

bold "Done: stopping edgetm and both services"
