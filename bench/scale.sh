#!/usr/bin/env bash
# Scale: N profiles x 10 endpoints, Priority and Geographic-over-nested-Priority; one table for N = 1,000, 5,000
# and 20,000 (check time and memory, start to first answer, steady memory, reload time with answers checked at
# 2,000 q/s, memory over 10 reloads, status query times). `bench/scale.sh --help` for the options; the work is
# done by bench/scale/scale.py. Loopback only; every process started is stopped by pid.
exec python3 "$(dirname "${BASH_SOURCE[0]}")/scale/scale.py" "$@"
