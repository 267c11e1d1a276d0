#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The controller at scale, on the host (Documentation/benchmarks.md,
# "Controller scale"):
#   - policy propagation through the long poll (controller/bench/
#     bench_longpoll.c): at each size up to 2000 (the default
#     --connections holds 2048), that many signed long-polling agents, a
#     new version put, how long until each has it; XMESH_CTL_BENCH_RUNS
#     runs (3);
#   - /metrics at 1000 and 10000 nodes (controller/bench/bench_metrics.c):
#     its size, its series and a scrape's time, with the default
#     --metrics-nodes (1000: per-node series at 1000, aggregates at 10000);
#   - check-in capacity and API throughput (controller/bench/bench_checkin.c)
#     with 1000 and 10000 simulated agents, one controller, then two on
#     one PostgreSQL database, and the ratios (two vs one). PostgreSQL: a
#     scratch server of controller/tests/pg.sh, as make check starts one;
#     without PostgreSQL, one controller on SQLite only.
#
#   scripts/bench-controller.sh
#
# Prints figures and ratios; fails only when it could not run, never on a
# speed. Environment:
#   XMESH_CTL_BENCH_SIZES    agents (1000 10000)
#   XMESH_CTL_BENCH_SECONDS  seconds of check-in at every size (30)
#   XMESH_CTL_BENCH_RUNS     propagation runs at every size (3)
#   BENCH_POLLERS, BENCH_ROUTES  as bench_checkin.c reads them
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

read -r -a sizes <<<"${XMESH_CTL_BENCH_SIZES:-1000 10000}"
secs=${XMESH_CTL_BENCH_SECONDS:-30}
[[ $secs =~ ^[0-9]+$ ]] ||
	{ echo "bench-controller.sh: XMESH_CTL_BENCH_SECONDS must be a number" >&2; exit 2; }
runs=${XMESH_CTL_BENCH_RUNS:-3}
[[ $runs =~ ^[0-9]+$ ]] ||
	{ echo "bench-controller.sh: XMESH_CTL_BENCH_RUNS must be a number" >&2; exit 2; }
make -s -C controller build/bench_metrics build/bench_checkin build/bench_longpoll

scratch=$(mktemp -d "${TMPDIR:-/tmp}/xmesh-ctl-bench.XXXXXX")
pg=""
cleanup() {
	[[ -z $pg ]] || controller/tests/pg.sh stop "$scratch"
	rm -rf "$scratch"
}
trap cleanup EXIT
rc=0
pg=$(controller/tests/pg.sh start "$scratch") || rc=$?
if ((rc == 3)); then
	echo "(PostgreSQL is not installed: one controller on SQLite only)"
	pg=""
elif ((rc)); then
	echo "bench-controller.sh: PostgreSQL did not start" >&2
	exit 1
fi

echo "Propagation (bench_longpoll: signed long polls, one controller, SQLite):"
for n in "${sizes[@]}"; do
	((n <= 2000)) || continue
	for ((r = 1; r <= runs; r++)); do
		controller/build/bench_longpoll "$n" 2>/dev/null
	done
done
echo
echo "/metrics (bench_metrics: one report from each node, 4 links each):"
for n in "${sizes[@]}"; do
	controller/build/bench_metrics "$n" 2>/dev/null
done
for n in "${sizes[@]}"; do
	echo
	XMESH_TEST_PG=$pg controller/build/bench_checkin "$n" "$secs" 2>/dev/null
done
