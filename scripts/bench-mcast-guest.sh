#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the guest (scripts/bench.sh runs it): multicast fan-out against
# unicast copies (Documentation/multicast.md).
#
# tests/guest/mesh.sh's five nodes; node 1 sends 1200-byte UDP datagrams
# as fast as one sender (python) can for SECONDS to the four other nodes:
#   multicast: one datagram to 239.1.2.3, down the tree rooted at 1
#              (1 -> 2; 2 -> 3 and 5; 3 -> 4), replicated by the kernel;
#   unicast:   the same datagram sent four times, once to each node.
# Reported per mode and round: datagrams sent, each receiver's distinct
# datagrams and goodput (Mbit/s), and the ratio of the two modes' mean
# per-receiver goodput. Figures only: nothing is asserted.
#
# Environment: XMESH_BENCH_MCAST_ROUNDS (3), XMESH_BENCH_MCAST_SECONDS (5).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../tests/guest/lib.sh
. "$top/tests/guest/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/guest/mesh.sh
. "$top/tests/guest/mesh.sh"

ROUNDS=${XMESH_BENCH_MCAST_ROUNDS:-3}
SECS=${XMESH_BENCH_MCAST_SECONDS:-5}
SIZE=1200
G=239.1.2.3
MIO=$top/tests/guest/mcastio.py
RECV=(2 3 4 5)
WORK=/tmp/xmesh-bench-mcast
rm -rf "$WORK"
mkdir -p "$WORK"

log() { printf '# %s %s\n' "$(date +%T)" "$*"; }

modprobe xmesh
mesh_up inet
for i in "${MESH_NODES[@]}"; do
	ip -n "xm-$i" link set xmesh0 multicast on
	ip -n "xm-$i" route add 239.0.0.0/8 dev xmesh0
done
xm 1 mroute add root 1 group "$G" neigh 1
xm 2 mroute add root 1 group "$G" neigh 2 neigh 4 local
xm 3 mroute add root 1 group "$G" neigh 3 local
xm 4 mroute add root 1 group "$G" local
xm 5 mroute add root 1 group "$G" local

# run MODE ROUND: one measurement; "sent" then one "node distinct" line
# per receiver into $WORK/MODE.ROUND.
run() {
	local mode=$1 r=$2 i pids=() extra=() dsts=""
	rm -f "$WORK/stop"
	[[ $mode == unicast ]] && extra=(--unicast)
	for i in "${RECV[@]}"; do
		rm -f "$WORK/$mode.$r.$i" "$WORK/$mode.$r.$i.joined"
		n "$i" python3 "$MIO" recv "$G" 5000 "10.0.$i.1" \
			"$WORK/$mode.$r.$i" --deadline $((SECS + 60)) \
			--stop "$WORK/stop" "${extra[@]}" &
		pids+=($!)
		dsts+="${dsts:+,}10.0.$i.1"
	done
	for i in "${RECV[@]}"; do
		wait_for 30 test -e "$WORK/$mode.$r.$i.joined" || true
	done
	if [[ $mode == unicast ]]; then
		n 1 python3 "$MIO" send "$G" 5000 10.0.1.1 0 --size "$SIZE" \
			--duration "$SECS" --unicast "$dsts" >"$WORK/$mode.$r.sent"
	else
		n 1 python3 "$MIO" send "$G" 5000 10.0.1.1 0 --size "$SIZE" \
			--duration "$SECS" >"$WORK/$mode.$r.sent"
	fi
	sleep 1
	touch "$WORK/stop"
	wait "${pids[@]}" || true
}

# mbit DISTINCT: goodput of DISTINCT datagrams over SECS.
mbit() {
	awk -v d="$1" -v s="$SIZE" -v t="$SECS" \
		'BEGIN { printf "%.1f", d * s * 8 / t / 1e6 }'
}

declare -A sum=([multicast]=0 [unicast]=0)
for r in $(seq 1 "$ROUNDS"); do
	for mode in multicast unicast; do
		run "$mode" "$r"
		line="$mode round $r: sent $(cat "$WORK/$mode.$r.sent")"
		for i in "${RECV[@]}"; do
			read -r _ d <"$WORK/$mode.$r.$i" 2>/dev/null || d=0
			line+="; node $i $d ($(mbit "$d") Mbit/s)"
			sum[$mode]=$((sum[$mode] + d))
		done
		log "$line"
	done
done
m=${sum[multicast]}
u=${sum[unicast]}
echo "----- BEGIN XMESH MCAST REPORT -----"
echo "Multicast fan-out, $SIZE-byte datagrams from node 1 to ${#RECV[@]} receivers," \
	"$ROUNDS rounds of $SECS s, mean goodput per receiver:" \
	"multicast $(mbit $((m / ROUNDS / ${#RECV[@]}))) Mbit/s," \
	"unicast copies $(mbit $((u / ROUNDS / ${#RECV[@]}))) Mbit/s," \
	"ratio $(awk -v m="$m" -v u="$u" 'BEGIN { printf "%.2f", u ? m / u : 0 }')" \
	"(one python sender: the figures are the sender's, not the kernel's)."
echo "----- END XMESH MCAST REPORT -----"
