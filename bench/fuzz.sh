#!/usr/bin/env bash
# bench/fuzz.sh — runs the libFuzzer targets of fuzz/ (a package of its own, so that the root package builds
# without -sanitize=fuzzer) for MINUTES each, one after the other, on one core.
#
#   bench/fuzz.sh MINUTES [TARGET...]      TARGET: FuzzQueryParser, FuzzConfigLoader (default: both)
#
# FuzzQueryParser  a query through the in-place parser and through ldns: whatever the first accepts, both must
#                  answer with the same bytes (as Tests/TMWireTests/ParserEquivalenceTests.swift checks), and
#                  neither may crash. Seeds: fuzz/corpus/query (written by fuzz/make_corpus.py).
# FuzzConfigLoader JSONValue.parse, then the profile reader and the server-file reader on the document. Seeds:
#                  fuzz/corpus/config.
#
# Built with `swift build -c release -Xswiftc -sanitize=fuzzer,address` (ASan and libFuzzer together work with
# Swift 6.3 on Linux), plus -enable-testing (the parsers are internal: the targets use `@testable import`) and
# -use-ld=lld (gold stops with "internal error in format_file_lineno" on these objects).
# Each target grows its own corpus in fuzz/.build/corpus/TARGET (seeds are read, never written); a crash, a
# timeout (10 s for one input) or a sanitizer report is written to fuzz/.build/artifacts/ and ends that target's
# run. It runs under `nice -n 15`. The last lines are one table: per target, the minutes it ran (less than MINUTES
# when a finding ended it), libFuzzer's exit status (0: no finding) and its last status line.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
FUZZ="$ROOT/fuzz"

usage() { sed -n '2,/^set /p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
[[ $# -ge 1 && $1 =~ ^[0-9]+$ && $1 -gt 0 ]] || usage 2
MINUTES=$1; shift
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=(FuzzQueryParser FuzzConfigLoader)

declare -A SEEDS=([FuzzQueryParser]=query [FuzzConfigLoader]=config)
declare -A MAX_LEN=([FuzzQueryParser]=4096 [FuzzConfigLoader]=16384)
for target in "${TARGETS[@]}"; do
    [[ -n ${SEEDS[$target]:-} ]] || { echo "unknown target $target" >&2; usage 2; }
done

(cd "$FUZZ" && nice -n 15 swift build -c release --disable-build-manifest-caching \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing -Xswiftc -use-ld=lld)
BIN=$(cd "$FUZZ" && swift build -c release --show-bin-path)
mkdir -p "$FUZZ/.build/artifacts"

declare -A RESULT
for target in "${TARGETS[@]}"; do
    corpus="$FUZZ/.build/corpus/$target"
    logfile="$FUZZ/.build/$target.log"
    mkdir -p "$corpus"
    echo "[$(date +%T)] $target for $MINUTES min, log $logfile" >&2
    rc=0
    started=$SECONDS
    nice -n 15 "$BIN/$target" -max_total_time=$((MINUTES * 60)) -timeout=10 -rss_limit_mb=2048 \
        -max_len="${MAX_LEN[$target]}" -print_final_stats=1 -artifact_prefix="$FUZZ/.build/artifacts/$target-" \
        "$corpus" "$FUZZ/corpus/${SEEDS[$target]}" >"$logfile" 2>&1 || rc=$?
    # libFuzzer's last status line (`#RUNS DONE cov: ... ft: ... corp: ... exec/s: ...`), and its exit status: 0
    # when the time ran out without a finding.
    RESULT[$target]="$(((SECONDS - started + 30) / 60))  exit $rc  $(grep -E '^#[0-9]+' "$logfile" | tail -1)"
done

printf '%-18s %s\n' target "minutes  result"
for target in "${TARGETS[@]}"; do printf '%-18s %s\n' "$target" "${RESULT[$target]}"; done
