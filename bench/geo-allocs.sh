#!/usr/bin/env bash
# Heap allocations of the Geographic lookup path, counted by valgrind: the query path must allocate nothing.
#
#   bench/geo-allocs.sh [--lookups "1200 120000"] [--database FILE] [--keep]
#
# Runs Tests/TMGeoIPTests/LookupAllocationTests (client lookups through a MaxMind database) under valgrind once per
# lookup count and prints valgrind's "total heap usage" for each. When lookups allocate nothing, the counts are the
# same (the harness itself varies by a few dozen); a single allocation per lookup would add one per lookup.
# The database is written by scripts/make-test-mmdb.pl (US-TX, DE-BY, GB-SCT, FR, an unknown country, CA-ON over
# IPv6); --database FILE (e.g. a GeoLite2 City file) is measured as well. Uses the debug test build.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOOKUPS="1200 120000" DATABASE="" KEEP=0
usage() { sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
    case $1 in
        --lookups) LOOKUPS=$2; shift 2 ;;
        --database) DATABASE=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h | --help) usage 0 ;;
        *) echo "unknown option $1" >&2; usage 2 ;;
    esac
done

WORK=$(mktemp -d /tmp/edgetm-geoallocs.XXXXXX)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
trap finish EXIT
command -v valgrind >/dev/null || die "valgrind is not installed (apt-get install -y valgrind)"

log "building the tests (swift build --build-tests)"
(cd "$ROOT" && swift build --build-tests) >"$WORK/build.log" 2>&1 || die "swift build --build-tests failed: $WORK/build.log"
# valgrind 3.19 cannot read the DWARF 5 debug info Swift writes.
objcopy --strip-debug "$ROOT/.build/debug/edgetmPackageTests.xctest" "$WORK/tests"
# Written beforehand: spawning perl from a process under valgrind fails.
perl "$ROOT/scripts/make-test-mmdb.pl" "$WORK/test.mmdb" '{"192.0.2.0/24": {"country": "US", "subdivision": "TX"},
  "198.51.100.0/24": {"country": "DE", "subdivision": "BY"},
  "198.51.100.128/25": {"country": "GB", "subdivision": "SCT"}, "203.0.113.0/25": {"country": "FR"},
  "203.0.113.192/26": {"country": "ZZ"}, "2001:db8:1::/48": {"country": "CA", "subdivision": "ON"}}' \
    || die "cannot write the test database"

databases=("$WORK/test.mmdb")
[[ -n $DATABASE ]] && databases+=("$DATABASE")
printf '%-24s %9s %14s %16s\n' database lookups allocs "bytes allocated"
for db in "${databases[@]}"; do
    for n in $LOOKUPS; do
        out=$(EDGETM_GEO_DATABASE=$db EDGETM_GEO_LOOKUPS=$n valgrind "$WORK/tests" --testing-library xctest \
            TMGeoIPTests.LookupAllocationTests 2>&1) || true
        grep -q "Executed 1 test, with 0 failures" <<<"$out" || { tail -30 <<<"$out" >&2; die "the lookup loop failed"; }
        usage_line=$(sed -n 's/.*total heap usage: //p' <<<"$out")
        allocs=$(awk '{print $1}' <<<"$usage_line")
        bytes=$(awk '{print $5}' <<<"$usage_line")
        printf '%-24s %9s %14s %16s\n' "$(basename "$db")" "$n" "$allocs" "$bytes"
    done
done
if ((KEEP)); then log "kept $WORK"; fi
