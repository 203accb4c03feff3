#!/usr/bin/env bash
# Fleet: three edgetm instances sharing a 3-member etcd, against real HTTP endpoints on loopback. Measures, per
# instance, the failover time of a killed MEC endpoint (answers polled every 10 ms) and the spread between the first
# and the last instance to switch; `edgetm publish` until every instance answers the new target; and etcd's writes
# per second at steady state. `bench/fleet.sh --help` for the options; the work is done by bench/fleet/fleet.py.
# Loopback only; every process started is stopped by pid on exit, Ctrl-C included.
exec python3 "$(dirname "${BASH_SOURCE[0]}")/fleet/fleet.py" "$@"
