# shellcheck shell=bash
# Helpers shared by bench/dns.sh, bench/memory.sh and bench/valgrind.sh. Source it after setting ROOT (the repository)
# and WORK (a private temp dir). Every process started through `spawn` is recorded in DNS_PIDS and stopped, by pid,
# by `dns_cleanup` (run it from an EXIT trap).

DNS_PIDS=()

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# spawn LOG CMD...: starts CMD in the background, stdout+stderr to LOG; sets SPAWNED_PID and records it.
spawn() {
    local logfile=$1; shift
    "$@" >>"$logfile" 2>&1 &
    SPAWNED_PID=$!
    DNS_PIDS+=("$SPAWNED_PID")
}

# stop_pid PID: SIGTERM (SIGKILL after 10 s), reaped, forgotten.
stop_pid() {
    local pid=$1 deadline keep=() p
    if kill -0 "$pid" 2>/dev/null; then
        kill -CONT "$pid" 2>/dev/null || true
        kill -TERM "$pid" 2>/dev/null || true
        deadline=$((SECONDS + 10))
        while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
            # a reaped-but-not-waited child still answers kill -0; wait -n is not per pid, so poll its state
            [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == Z ]] && break
            sleep 0.05
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    for p in "${DNS_PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
    DNS_PIDS=("${keep[@]}")
}

# reap_pid PID: waits until a spawned process ends by itself, then forgets it.
reap_pid() {
    local pid=$1 keep=() p
    wait "$pid" 2>/dev/null || true
    for p in "${DNS_PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
    DNS_PIDS=("${keep[@]}")
}

dns_cleanup() {
    local pid
    for pid in "${DNS_PIDS[@]}"; do stop_pid "$pid"; done
}

# free_ports N: N distinct loopback ports, each free for UDP and TCP right now (held together while chosen).
free_ports() {
    python3 - "$1" <<'EOF'
import socket, sys
want, held, ports = int(sys.argv[1]), [], []
while len(ports) < want:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    port = udp.getsockname()[1]
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        tcp.bind(("127.0.0.1", port))
    except OSError:
        udp.close(); tcp.close(); continue
    held += [udp, tcp]
    ports.append(port)
print(" ".join(map(str, ports)))
EOF
}

# wait_dns PORT NAME [SECONDS] [PID]: waits until NAME A is answered NOERROR on 127.0.0.1:PORT (default 20 s);
# gives up early when PID has exited.
wait_dns() {
    local port=$1 name=$2 limit=${3:-20} pid=${4:-} deadline
    deadline=$((SECONDS + limit))
    while ((SECONDS < deadline)); do
        if dig @127.0.0.1 -p "$port" "$name" A +norec +tries=1 +time=1 2>/dev/null | grep -q 'status: NOERROR'; then
            return 0
        fi
        if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
        sleep 0.2
    done
    return 1
}

# cpu_ticks PID: utime+stime of the whole process (all threads), in clock ticks (/proc/PID/stat fields 14, 15).
cpu_ticks() {
    # the comm field (2) may hold spaces: cut after the last ')'
    local rest
    rest=$(sed 's/.*) //' "/proc/$1/stat")
    awk '{print $12 + $13}' <<<"$rest"
}

# rss_kib PID [FIELD]: VmRSS (or FIELD, e.g. VmHWM) in KiB.
rss_kib() { awk -v f="${2:-VmRSS}:" '$1 == f {print $2}' "/proc/$1/status"; }

# wait_quiet SECONDS: waits (polling) while a latency-sensitive bench (bench/failover.sh, bench/probe-scale.sh) runs.
# Returns 1 if one still runs after SECONDS.
wait_quiet() {
    local limit=$1 deadline announced=0
    deadline=$((SECONDS + limit))
    while pgrep -f 'bench/(failover|probe-scale)\.sh' >/dev/null; do
        if ((SECONDS >= deadline)); then return 1; fi
        if ((!announced)); then
            log "waiting (up to ${limit}s) for bench/failover.sh / bench/probe-scale.sh to finish before saturating runs"
            announced=1
        fi
        sleep 10
    done
    return 0
}

# build_edgetm MODE DEST: `swift build` (-c release unless MODE is debug) and copy the binary to DEST, so that a
# rebuild by someone else during the run does not swap the binary under us.
# Sets EDGETM_REV: the commit built, "+uncommitted" when Sources/ or Package.swift differ from it.
build_edgetm() {
    local mode=$1 dest=$2 flags=()
    # shellcheck disable=SC2034 # read by the callers
    EDGETM_REV="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet HEAD -- Sources \
        Package.swift 2>/dev/null || echo '+uncommitted')"
    [[ $mode == debug ]] || flags=(-c release)
    log "building edgetm ($mode): swift build ${flags[*]}"
    (cd "$ROOT" && swift build "${flags[@]}") >"$WORK/build.log" 2>&1 || {
        tail -20 "$WORK/build.log" >&2
        die "swift build ${flags[*]} failed (log above)"
    }
    cp "$ROOT/.build/$mode/edgetm" "$dest"
}

# provide_edgetm MODE DEST: the binary the options asked for, copied to DEST: --binary PATH ($BINARY), else a
# fresh build (unless --no-build, $BUILD=0), else the existing .build/MODE/edgetm. Sets EDGETM_REV.
provide_edgetm() {
    local mode=$1 dest=$2
    # shellcheck disable=SC2034 # read by the callers
    EDGETM_REV="(prebuilt)"
    mkdir -p "$(dirname "$dest")"
    if [[ -n ${BINARY:-} ]]; then
        cp "$BINARY" "$dest"
    elif ((${BUILD:-1})); then
        build_edgetm "$mode" "$dest"
    else
        [[ -x $ROOT/.build/$mode/edgetm ]] || die "no .build/$mode/edgetm (drop --no-build)"
        cp "$ROOT/.build/$mode/edgetm" "$dest"
    fi
}

# udp_drops PORT: "SERVER TOTAL": receive-buffer drops of the UDP sockets bound to 127.0.0.1:PORT (/proc/net/udp
# drops column, summed over SO_REUSEPORT sockets) and the machine's UDP RcvbufErrors (/proc/net/snmp). The
# difference of deltas is (mostly) dropped at the load generator's sockets.
udp_drops() {
    local hex server total
    hex=$(printf '%04X' "$1")
    server=$(awk -v p="0100007F:$hex" '$2 == p {s += $NF} END {print s + 0}' /proc/net/udp)
    total=$(awk '/^Udp:/ {if (!h) {for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1} else print $c}' \
        /proc/net/snmp)
    echo "$server $total"
}

# client OUT CMD...: runs a load generator in the background (so that a trap can stop it at once), output to OUT;
# returns its status.
client() {
    local out=$1 pid rc=0 keep=() p; shift
    "$@" >"$out" 2>&1 &
    pid=$!
    DNS_PIDS+=("$pid")
    wait "$pid" || rc=$?
    for p in "${DNS_PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
    DNS_PIDS=("${keep[@]}")
    return "$rc"
}

# cpu_snapshot: "USERSYS STEAL CPU0" in clock ticks from /proc/stat: user+nice+system of all CPUs (process time,
# whoever ran), steal of all CPUs (time the hypervisor gave to others), and all busy time of CPU 0
# (user+nice+system+irq+softirq: the server's core, including the softirq packet delivery that is charged to no
# process).
cpu_snapshot() {
    awk '$1 == "cpu" {u = $2 + $3 + $4; st = $9} $1 == "cpu0" {c0 = $2 + $3 + $4 + $7 + $8} END {print u, st, c0}' \
        /proc/stat
}

# children_ticks: user+system CPU time of this shell's reaped children (bash `times`, run in this shell, not in a
# subshell: call it as `children_ticks; x=$CHILDREN_TICKS`), in clock ticks ($CLK_TCK).
children_ticks() {
    times >"$WORK/.times"
    # shellcheck disable=SC2034 # read by the caller
    CHILDREN_TICKS=$(awk -v hz="${CLK_TCK:-100}" 'NR == 2 {
        s = 0
        for (i = 1; i <= NF; i++) { split($i, ms, "m"); sub("s", "", ms[2]); s += ms[1] * 60 + ms[2] }
        printf "%.0f", s * hz }' "$WORK/.times")
}
