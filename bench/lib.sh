# shellcheck shell=bash
# The one helper library of the bench/ scripts. Source it after setting ROOT (the repository) and WORK (a private temp
# dir), then `trap finish EXIT`. Every process started through these helpers is recorded in PIDS, so that `finish`
# can stop it by pid whatever way the script ends (never by name: other benches may be running).

PIDS=()

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- processes

track_pid() { PIDS+=("$1"); }
forget_pid() {
    local keep=() pid
    for pid in "${PIDS[@]}"; do [[ $pid == "$1" ]] || keep+=("$pid"); done
    PIDS=("${keep[@]}")
}

# spawn LOG CMD...: starts CMD in the background, stdout and stderr appended to LOG; sets STARTED_PID.
spawn() {
    local logfile=$1; shift
    "$@" >>"$logfile" 2>&1 &
    STARTED_PID=$!
    track_pid "$STARTED_PID"
}

# start_ready LABEL CMD...: starts CMD, which prints "ready" on stdout once it listens, and waits for that line (30 s
# at most); stderr goes to $WORK/LABEL.log. Sets STARTED_PID and READY_AT ($EPOCHREALTIME when "ready" was read), so
# that a caller can time from the moment it listens. Returns 1 if it did not get ready.
start_ready() {
    local label=$1; shift
    local fifo="$WORK/ready.$label.$RANDOM" line=""
    mkfifo "$fifo"
    "$@" >"$fifo" 2>>"$WORK/$label.log" &
    STARTED_PID=$!
    track_pid "$STARTED_PID"
    if read -r -t 30 line <"$fifo" && [[ $line == ready ]]; then
        # shellcheck disable=SC2034 # read by the caller
        READY_AT=$EPOCHREALTIME
        rm -f "$fifo"
        return 0
    fi
    rm -f "$fifo"
    stop_pid "$STARTED_PID"
    log "$label did not get ready; its log ($WORK/$label.log):"
    tail -5 "$WORK/$label.log" >&2 || true
    return 1
}

# start_edgetm LABEL CONFIG LISTEN: `edgetm serve`, its output in $WORK/LABEL.log; sets STARTED_PID. With
# EDGETM_NOFILE set it runs under `ulimit -n $EDGETM_NOFILE` (bash execs it, so the pid is still edgetm's).
start_edgetm() {
    local label=$1 config=$2 listen=$3
    if [[ -n ${EDGETM_NOFILE:-} ]]; then
        # shellcheck disable=SC2016 # expanded by the inner bash
        spawn "$WORK/$label.log" bash -c 'ulimit -n "$0" && exec "$@"' "$EDGETM_NOFILE" \
            "$EDGETM" serve --config "$config" --listen "$listen"
    else
        spawn "$WORK/$label.log" "$EDGETM" serve --config "$config" --listen "$listen"
    fi
}

# client OUT CMD...: runs CMD to its end, output to OUT (truncated: a repeated run must not read the last one's
# figures); returns its status. It runs in the background because bash defers a trap until a foreground child ends,
# while `wait` lets Ctrl-C stop the bench at once.
client() {
    local out=$1 pid; shift
    "$@" >"$out" 2>&1 &
    pid=$!
    track_pid "$pid"
    reap_pid "$pid"
}

# reap_pid PID: waits until PID ends by itself and forgets it; returns its status (bash's "Killed" notice is muted: a
# caller that killed it knows, and the others report the status).
reap_pid() {
    local rc=0
    wait "$1" 2>/dev/null || rc=$?
    forget_pid "$1"
    return "$rc"
}

# wait_exit PID SECONDS: waits up to SECONDS for PID to end; returns 1 if it still runs. An ended child not yet waited
# for (a zombie) still answers kill -0, and `wait` has no timeout, so this reads its state instead.
wait_exit() {
    local deadline=$((SECONDS + $2)) state
    while kill -0 "$1" 2>/dev/null; do
        # the comm field may hold spaces: the state is the first field after the last ')'
        state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || true
        [[ ${state%% *} == Z ]] && return 0
        ((SECONDS < deadline)) || return 1
        sleep 0.05
    done
}

# stop_pid PID...: SIGCONT (a stopped process cannot act on SIGTERM) and SIGTERM to all first, so that they wind down
# together; SIGKILL to any still running 10 s later. Reaps and forgets them.
stop_pid() {
    local pid deadline=$((SECONDS + 10))
    for pid; do
        kill -CONT "$pid" 2>/dev/null || true
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid; do
        wait_exit "$pid" $((deadline - SECONDS)) || kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        forget_pid "$pid"
    done
}

stop_all() { stop_pid "${PIDS[@]}"; }

# finish: the EXIT trap. Keeps WORK with --keep (KEEP=1) or when the script failed, so that the logs of what went
# wrong can be read, and says where.
finish() {
    local status=$?
    stop_all
    if ((${KEEP:-0} || status != 0)); then log "logs kept in $WORK"; else rm -rf "$WORK"; fi
    exit "$status"
}

# latency_bench_running: true while bench/failover.sh or bench/probe-scale.sh runs; they time answers to the
# millisecond, so saturating the machine beside them would spoil their figures.
latency_bench_running() { pgrep -f 'bench/(failover|probe-scale)\.sh' >/dev/null; }

# wait_quiet SECONDS: waits while latency_bench_running; returns 1 if one still runs after SECONDS.
wait_quiet() {
    local limit=$1 deadline announced=0
    deadline=$((SECONDS + limit))
    while latency_bench_running; do
        if ((SECONDS >= deadline)); then return 1; fi
        if ((!announced)); then
            log "waiting (up to ${limit}s) for bench/failover.sh / bench/probe-scale.sh to finish before saturating runs"
            announced=1
        fi
        sleep 10
    done
    return 0
}

# --- the binary

# build_edgetm MODE DEST: `swift build` (-c release unless MODE is debug) and copies the binary to DEST. Sets
# EDGETM_REV: the commit built, "+uncommitted" when Sources/ or Package.swift differ from it.
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

# provide_edgetm MODE DEST: copies to DEST the binary the options asked for: $BINARY when set (--binary PATH, or
# EDGETM_BIN), else .build/MODE/edgetm, built first when BUILD is 1 (the default; --no-build sets 0) or when BUILD is
# "missing" and there is none. A copy, so that a rebuild by someone else during the run cannot swap the binary under
# us. Sets EDGETM_REV ("(prebuilt)" unless built here).
provide_edgetm() {
    local mode=$1 dest=$2 built=$ROOT/.build/$1/edgetm build=${BUILD:-1}
    # shellcheck disable=SC2034 # read by the callers
    EDGETM_REV="(prebuilt)"
    mkdir -p "$(dirname "$dest")"
    if [[ -n ${BINARY:-} ]]; then
        [[ -x $BINARY ]] || die "$BINARY is not an executable"
        cp "$BINARY" "$dest"
    elif [[ $build == 1 || ($build == missing && ! -x $built) ]]; then
        build_edgetm "$mode" "$dest"
    else
        [[ -x $built ]] || die "no .build/$mode/edgetm (drop --no-build)"
        cp "$built" "$dest"
    fi
}

# --- network

# free_ports N: N distinct loopback ports, each free for both UDP and TCP right now (all held until the N are chosen,
# so that none is picked twice).
free_ports() { python3 "$(dirname "${BASH_SOURCE[0]}")/ports.py" "$1"; }

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

# --- CPU and memory

# cpu_ticks PID: utime+stime of the whole process (all threads), in clock ticks (/proc/PID/stat fields 14, 15).
cpu_ticks() {
    # the comm field (2) may hold spaces: cut after the last ')'
    local rest
    rest=$(sed 's/.*) //' "/proc/$1/stat")
    awk '{print $12 + $13}' <<<"$rest"
}

# rss_kib PID [FIELD]: VmRSS (or FIELD, e.g. VmHWM) in KiB.
rss_kib() { awk -v f="${2:-VmRSS}:" '$1 == f {print $2}' "/proc/$1/status"; }

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

# random_fraction S: uniform in 0..S seconds, with millisecond resolution.
random_fraction() { awk -v s="$1" -v r="$RANDOM" 'BEGIN { printf "%.3f", s * r / 32767 }'; }
