#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The protocol simulator at scale: xmesh-sim on random geometric graphs of
# 100, 500 and 1000 nodes; after the initial convergence a link goes down,
# a node crashes and a link falls silent, one after the other. Prints one
# table row per size: virtual times until the kernel tables deliver again
# (repaired) and deliver at the least cost (converged), the messages and
# SPF runs it took, and the wall time and memory of the run. After a
# failure: repaired / converged / settled (the last forwarding change: a
# route, a prefix, a neighbor up or down), in ms.
#
#   scripts/bench-sim.sh
#
# Then, from xmesh-bench over the same kind of topology: the CPU time of
# one SPF and of the whole route computation with loop-free alternates at
# 1000 and 10000 nodes (the routes checked against the slow reference's:
# one more line), and the routing control traffic per node per second of
# a quiet 50-node mesh, link probes apart. Then multicast trees in the
# simulator (agent/tests/test_mcast_sim.c, unsanitized): 1000 nodes, one
# sender and 60 receivers; the tree's cost against the shortest paths
# summed and a Steiner heuristic, and the virtual time until every
# receiver is reached exactly once again after a tree link loses its
# carrier and after another falls silent. Last, the
# controller's telemetry load (controller/bench/bench_telemetry.c): 1000
# agents reporting every 5 s for 30 s, then a flood; reports taken per
# second, their latency, memory.
#
# A benchmark prints figures: it fails only when it could not run, the
# mesh did not converge or the routes differ from the reference's.
# Environment:
#   XMESH_SIM_SIZES   node counts (100 500 1000)
#   XMESH_SIM_TOPO    topology kind, a size appended (rgg:); "grid:" takes
#                     a square (grid:10x10 for 100)
#   XMESH_SIM_FAILS   failures in order (link,node,silent)
#   XMESH_SIM_SEED    seed (1)
#   XMESH_SIM_SPF_SIZES  node counts of the SPF timing (1000 10000)
#   XMESH_SIM_MCAST_NODES, XMESH_SIM_MCAST_RECEIVERS  the multicast tree
#                     run (1000, 60; 0 nodes skips it)
#   XMESH_CTL_AGENTS  the telemetry bench's agents (1000; 0 skips it)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

read -r -a sizes <<<"${XMESH_SIM_SIZES:-100 500 1000}"
topo=${XMESH_SIM_TOPO:-rgg:}
fails=${XMESH_SIM_FAILS:-link,node,silent}
seed=${XMESH_SIM_SEED:-1}
command -v jq >/dev/null || { echo "bench-sim.sh: needs jq (scripts/setup.sh)" >&2; exit 2; }
make -s -C agent xmesh-sim xmesh-bench

spec() {
	if [[ $topo == grid: ]]; then
		local side
		side=$(awk -v n="$1" 'BEGIN { s = int(sqrt(n) + 0.5); print s }')
		echo "grid:${side}x${side}"
	else
		echo "$topo$1"
	fi
}

printf '%-12s %6s  %-10s %-19s' topology links start msgs/node
IFS=, read -r -a kinds <<<"$fails"
for k in "${kinds[@]}"; do
	printf ' %-19s' "$k r/c/s ms"
done
printf ' %9s %8s %8s\n' SPF/node wall RSS

status=0
for n in "${sizes[@]}"; do
	t=$(spec "$n")
	out=$(agent/xmesh-sim --topo "$t" --fail "$fails" --seed "$seed" -j) || status=1
	jq -r --arg t "$t" '.[0] as $r |
		def ms: . * 1000 | round;
		def s: if .ok then "\(.repaired_s | ms)/\(.converged_s | ms)/\(.settled_s | ms)" else "FAILED" end;
		([$r.initial.spf_runs] + [$r.failures[].spf_runs] | add) as $spf |
		[$t, ($r.links | tostring),
		 (if $r.initial.ok then "\($r.initial.converged_s * 1000 | round) ms" else "FAILED" end),
		 "\($r.initial.msgs / $r.nodes | round) (\($r.initial.bytes / $r.nodes / 1000 | round) kB)",
		 ($r.failures[] | s),
		 "\($spf / $r.nodes * 10 | round / 10)",
		 "\($r.wall_s * 10 | round / 10) s", "\($r.max_rss_kb / 1024 | round) MB"] |
		@tsv' <<<"$out" |
		awk -F'\t' '{ printf "%-12s %6s  %-10s %-19s", $1, $2, $3, $4
			for (i = 5; i <= NF - 3; i++) printf " %-19s", $i
			printf " %9s %8s %8s\n", $(NF - 2), $(NF - 1), $NF }'
done
echo
for n in ${XMESH_SIM_SPF_SIZES:-1000 10000}; do
	agent/xmesh-bench spf --topo "rgg:$n" --seed "$seed" --roots 20 \
		--verify || status=1
done
agent/xmesh-bench control --topo rgg:50 --seed "$seed" --seconds 60 || status=1
mnodes=${XMESH_SIM_MCAST_NODES:-1000}
if ((mnodes)); then
	make -s -C agent build/tests/test_mcast_sim
	# Its TAP lines must all pass; its "# " lines are the figures.
	mout=$(XMESH_MCAST_SIM_NODES=$mnodes XMESH_MCAST_SIM_SEED=$seed \
		XMESH_MCAST_SIM_RECEIVERS=${XMESH_SIM_MCAST_RECEIVERS:-60} \
		agent/build/tests/test_mcast_sim) || status=1
	grep -q '^not ok' <<<"$mout" && status=1
	echo "multicast, rgg:$mnodes:"
	sed -n 's/^# /  /p; s/^not ok/  FAILED: not ok/p' <<<"$mout"
fi
if ((${XMESH_CTL_AGENTS:-1000})); then
	make -s -C controller build/bench_telemetry
	controller/build/bench_telemetry "${XMESH_CTL_AGENTS:-1000}" 30 ||
		status=1
fi
exit "$status"
