# shellcheck shell=bash
# Shared helpers for the bench/ scripts. Source it; it expects ROOT (the repository) and WORK (a temp dir) set.
# Every process started through these helpers is recorded in PIDS and stopped by `bench_cleanup` (by pid).

PIDS=()

bench_log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
bench_die() { bench_log "error: $*"; exit 1; }

# Records a pid for cleanup / forgets one that has been reaped.
track_pid() { PIDS+=("$1"); }
forget_pid() {
    local keep=() pid
    for pid in "${PIDS[@]}"; do [[ $pid == "$1" ]] || keep+=("$pid"); done
    PIDS=("${keep[@]}")
}

# Stops every recorded process: SIGCONT (a stopped process cannot act on SIGTERM), SIGTERM, then SIGKILL after 3 s.
bench_cleanup() {
    local pid deadline
    ((${#PIDS[@]})) || return 0
    for pid in "${PIDS[@]}"; do kill -CONT "$pid" 2>/dev/null || true; kill -TERM "$pid" 2>/dev/null || true; done
    deadline=$((SECONDS + 3))
    for pid in "${PIDS[@]}"; do
        while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}

# Sets EDGETM: $EDGETM_BIN when given (a binary built elsewhere), else the release binary, built when missing.
need_edgetm() {
    if [[ -n ${EDGETM_BIN:-} ]]; then
        EDGETM=$EDGETM_BIN
        [[ -x $EDGETM ]] || bench_die "EDGETM_BIN=$EDGETM is not an executable"
        return 0
    fi
    EDGETM="$ROOT/.build/release/edgetm"
    if [[ ! -x $EDGETM ]]; then
        bench_log "building the release binary (swift build -c release)"
        (cd "$ROOT" && swift build -c release) >&2 || bench_die "swift build -c release failed"
    fi
}

# A loopback port free for both UDP and TCP right now; prints it.
free_port() {
    python3 - "${1:-127.0.0.1}" <<'EOF'
import socket, sys
host = sys.argv[1]
for _ in range(100):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind((host, 0))
        port = udp.getsockname()[1]
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                tcp.bind((host, port))
        except OSError:
            continue
    print(port)
    break
else:
    sys.exit("no free port")
EOF
}

# Starts a command that prints "ready" on stdout once it listens, and waits for that line.
# Sets STARTED_PID and READY_AT ($EPOCHREALTIME when "ready" was read). Returns 1 if it did not get ready.
start_ready() {
    local label=$1; shift
    local fifo="$WORK/ready.$label.$RANDOM" line=""
    mkfifo "$fifo"
    "$@" >"$fifo" 2>>"$WORK/$label.log" &
    STARTED_PID=$!
    track_pid "$STARTED_PID"
    if read -r -t 15 line <"$fifo" && [[ $line == ready ]]; then
        # shellcheck disable=SC2034 # read by the caller
        READY_AT=$EPOCHREALTIME
        rm -f "$fifo"
        return 0
    fi
    rm -f "$fifo"
    kill -TERM "$STARTED_PID" 2>/dev/null || true
    wait "$STARTED_PID" 2>/dev/null || true
    forget_pid "$STARTED_PID"
    bench_log "$label did not get ready; its log ($WORK/$label.log):"
    tail -5 "$WORK/$label.log" >&2 || true
    return 1
}

# Starts edgetm; sets EDGETM_PID. Its log goes to $WORK/$1.log. With EDGETM_NOFILE set, it runs under
# `ulimit -n $EDGETM_NOFILE` (bash execs it, so the pid is edgetm's).
start_edgetm() {
    local label=$1 config=$2 listen=$3
    if [[ -n ${EDGETM_NOFILE:-} ]]; then
        bash -c 'ulimit -n "$0" && exec "$@"' "$EDGETM_NOFILE" \
            "$EDGETM" serve --config "$config" --listen "$listen" 2>>"$WORK/$label.log" &
    else
        "$EDGETM" serve --config "$config" --listen "$listen" 2>>"$WORK/$label.log" &
    fi
    EDGETM_PID=$!
    track_pid "$EDGETM_PID"
}

# Stops one tracked process by pid with SIGTERM and reaps it.
stop_pid() {
    kill -CONT "$1" 2>/dev/null || true
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    forget_pid "$1"
}

# A random fraction of $1 seconds (uniform), with millisecond resolution.
random_fraction() { awk -v s="$1" -v r="$RANDOM" 'BEGIN { printf "%.3f", s * r / 32767 }'; }
