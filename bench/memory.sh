#!/usr/bin/env bash
# bench/memory.sh — edgetm's resident memory (VmRSS from /proc/PID/status), on loopback only.
#
# Usage: bench/memory.sh [--no-build | --binary PATH] [--queries N] [--warmup N] [--rate Q] [--wait S]
#        (also: bench/dns.sh --memory ...). --rate caps dnsperf at Q q/s (for debugging beside other benches).
#
#   1. idle with the bundled Config/ (copied to a temp dir, so its state file is not written into the repository;
#      its HTTP/TCP probes go to 127.0.0.x and ::1 only): VmRSS 5 s after it answers
#   2. idle with 1,000 generated Priority profiles x 10 endpoints ("alwaysServe": "Enabled", 127.x.y.z targets;
#      bench/dns/gen.py many): VmRSS 5 s after it answers, and the time from start to the first answer
#   3. the benchmark configuration of bench/dns.sh (7 profiles, Geographic with a 2,200-entry subnet map), server on
#      CPU 0 (--threads 1 when the option exists), dnsperf on CPU 1: VmRSS after a 200,000-query warm-up, then after
#      each further million of N (default 5,000,000) queries: dnsperf runs repeatedly through workload 3's 20,000
#      queries (ECS from ~4,800 client subnets) followed by workload 4's 20,000 (90 % A / 5 % AAAA / 5 % NXDOMAIN). Growth beyond noise
#      (a few hundred KiB of allocator slack) would point at a per-query leak.
# Saturating part: it first waits (up to --wait S, default 1800) while bench/failover.sh or bench/probe-scale.sh runs.
# Every process it starts is stopped by pid at the end. Takes about 1-2 minutes plus the build.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HERE=$ROOT/bench/dns
BUILD=1 BINARY="" QUERIES=5000000 WARMUP=200000 WAIT=1800 CAP=()
while (($#)); do
    case $1 in
        --no-build) BUILD=0 ;;
        --binary) BINARY=$2; BUILD=0; shift ;;
        --queries) QUERIES=$2; shift ;;
        --warmup) WARMUP=$2; shift ;;
        --rate) CAP=(-Q "$2"); shift ;;
        --wait) WAIT=$2; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (--help)" >&2; exit 2 ;;
    esac
    shift
done

WORK=$(mktemp -d /tmp/edgetm-memory.XXXXXX)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
trap finish EXIT
trap 'exit 130' INT TERM
command -v dnsperf >/dev/null || die "dnsperf is not installed (apt-get install dnsperf)"

EDGETM=$WORK/bin/edgetm
provide_edgetm release "$EDGETM"
THREADS=()
[[ $("$EDGETM" serve --help 2>&1) == *--threads* ]] && THREADS=(--threads 1)

commas() { sed ':a; s/\B[0-9]\{3\}\>/,&/; ta' <<<"$1"; }
mib() { echo "$(awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }') ($(commas "$1") KiB)"; }
RESULTS=()
report() { RESULTS+=("$(printf '%-58s %s' "$1" "$2")"); log "$1: $2"; }

# 1. bundled configuration
cp -r "$ROOT/Config" "$WORK/bundled"
rm -f "$WORK/bundled/.state.json"
read -r PORT PORT2 PORT3 <<<"$(free_ports 3)"
start_edgetm bundled "$WORK/bundled" "127.0.0.1:$PORT"
PID=$STARTED_PID
wait_dns "$PORT" app.tm.example 30 "$PID" || { tail "$WORK/bundled.log" >&2; die "edgetm (bundled Config) did not start"; }
sleep 5
report "idle, bundled Config ($(find "$WORK/bundled/profiles" -name '*.json' | wc -l) profiles)" \
    "VmRSS $(mib "$(rss_kib "$PID")"), VmHWM $(commas "$(rss_kib "$PID" VmHWM)") KiB"
stop_pid "$PID"

# 2. 1,000 profiles x 10 endpoints
python3 "$HERE/gen.py" many "$WORK/many" 1000 10
"$EDGETM" check --config "$WORK/many" >"$WORK/many-check.log" 2>&1 || { cat "$WORK/many-check.log" >&2; die "check failed"; }
t0=$EPOCHREALTIME
start_edgetm many "$WORK/many" "127.0.0.1:$PORT2"
PID=$STARTED_PID
wait_dns "$PORT2" p0999.tm.example 60 "$PID" || { tail "$WORK/many.log" >&2; die "edgetm (1,000 profiles) did not start"; }
t1=$EPOCHREALTIME
answer=$(dig @127.0.0.1 -p "$PORT2" p0999.tm.example A +short)
sleep 5
report "idle, 1,000 profiles x 10 endpoints" \
    "VmRSS $(mib "$(rss_kib "$PID")"), VmHWM $(commas "$(rss_kib "$PID" VmHWM)") KiB; first answer after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s ($answer)"
stop_pid "$PID"

# 3. before / after QUERIES queries
if ((WAIT > 0)) && ((${#CAP[@]} == 0)); then
    wait_quiet "$WAIT" || die "bench/failover.sh or bench/probe-scale.sh still running after ${WAIT}s: not saturating now"
fi
python3 "$HERE/gen.py" bench "$WORK/b" "127.0.0.1:$PORT3" 1 1 1
cat "$WORK/b/queries/w3.bin" "$WORK/b/queries/w4.bin" >"$WORK/mixed.bin"   # 40,000 queries
spawn "$WORK/load.log" taskset -c 0 "$EDGETM" serve --config "$WORK/b/edgetm" --listen "127.0.0.1:$PORT3" "${THREADS[@]}"
PID=$STARTED_PID
wait_dns "$PORT3" app.tm.example 30 "$PID" || { tail "$WORK/load.log" >&2; die "edgetm (bench config) did not start"; }
report "bench config, started" "VmRSS $(mib "$(rss_kib "$PID")")"
run_queries() {  # run_queries N: N queries (a multiple of 40,000) at full speed; prints "completed lost"
    taskset -c 1 dnsperf -B -d "$WORK/mixed.bin" -s 127.0.0.1 -p "$PORT3" -c 4 -q 200 -n $(($1 / 40000)) -t 2 "${CAP[@]}" \
        >"$WORK/dnsperf.txt" 2>&1 || die "dnsperf failed: $(tail -3 "$WORK/dnsperf.txt")"
    awk '/Queries completed:/ {c = $3} /Queries lost:/ {l = $3} END {print c, l}' "$WORK/dnsperf.txt"
}
read -r answered lost <<<"$(run_queries "$WARMUP")"
before=$(rss_kib "$PID")
report "after $(commas "$WARMUP")-query warm-up ($lost lost)" "VmRSS $(mib "$before")"
total=0 total_lost=0
while ((total < QUERIES)); do
    chunk=$((QUERIES - total < 1000000 ? QUERIES - total : 1000000))
    read -r answered lost <<<"$(run_queries "$chunk")"
    total=$((total + chunk)); total_lost=$((total_lost + lost))
    report "after $(commas "$total") queries ($(commas "$answered") answered in this step)" "VmRSS $(mib "$(rss_kib "$PID")")"
done
after=$(rss_kib "$PID")
report "growth over $(commas "$total") queries ($total_lost lost)" \
    "$(commas $((after - before))) KiB ($(awk -v a="$after" -v b="$before" 'BEGIN { printf "%+.2f%%", 100 * (a - b) / b }'))"
stop_pid "$PID"

echo
echo "edgetm memory — $(date -u +%FT%TZ), edgetm $("$EDGETM" --version 2>/dev/null || echo '?') built from $EDGETM_REV"
printf '%s\n' "${RESULTS[@]}"
