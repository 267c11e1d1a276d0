#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the guest (scripts/bench.sh runs it): multicast fan-out against
# unicast copies (Documentation/multicast.md).
#
# tests/guest/mesh.sh's five nodes; node 1 sends 1200-byte UDP datagrams
# at a fixed rate (PPS per stream) for SECONDS to the four other nodes,
# with the C sender of the failover tests (tests/guest/udpgap.c), so that
# the kernel's work is measured rather than a python sender's:
#   multicast: one stream to 239.1.2.3, down the tree rooted at 1
#              (1 -> 2; 2 -> 3 and 5; 3 -> 4), replicated by the kernel;
#   unicast:   four streams of the same rate, one to each node: the four
#              copies an application without multicast sends.
# Reported per mode and round: datagrams sent, the bytes node 1 put on its
# one underlay link (ul1, to node 2) per datagram a receiver got, and each
# receiver's delivered datagrams (xmesh0's rx_packets: the kernel's
# deliveries, no socket in the way) and goodput (Mbit/s); then the means
# and the ratios of the two modes. Then the tree's repair time, in
# scripts/bench-mcast-repair-guest.sh (agents, a cut link), whose summary
# goes into the same report. Figures only: nothing is asserted.
#
# Environment: XMESH_BENCH_MCAST_ROUNDS (3: of both parts),
# XMESH_BENCH_MCAST_SECONDS (5), XMESH_BENCH_MCAST_PPS (2000: per stream;
# 19.2 Mbit/s of payload).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../tests/guest/lib.sh
. "$top/tests/guest/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/guest/mesh.sh
. "$top/tests/guest/mesh.sh"

ROUNDS=${XMESH_BENCH_MCAST_ROUNDS:-3}
SECS=${XMESH_BENCH_MCAST_SECONDS:-5}
PPS=${XMESH_BENCH_MCAST_PPS:-2000}
SIZE=1200
G=239.1.2.3
RECV=(2 3 4 5)
WORK=/tmp/xmesh-bench-mcast
UDPGAP=$WORK/udpgap
rm -rf "$WORK"
mkdir -p "$WORK"
gcc -O2 -Wall -o "$UDPGAP" "$top/tests/guest/udpgap.c"

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

# ul1_tx: the bytes node 1 has sent on its underlay link.
ul1_tx() {
	ip -n xm-1 -s -j link show ul1 | jq -er '.[0].stats64.tx.bytes'
}

# run MODE ROUND: one measurement into $WORK/MODE.ROUND: "sent N",
# "ul1 BYTES", then "node I DELIVERED" per receiver.
run() {
	local mode=$1 r=$2 i b0 b1 sent=0 f
	local -A rx0
	for i in "${RECV[@]}"; do
		rx0[$i]=$(counter "$i" rx_packets)
	done
	b0=$(ul1_tx)
	if [[ $mode == unicast ]]; then
		for i in "${RECV[@]}"; do
			n 1 "$UDPGAP" send -B 10.0.1.1 -r "$PPS" -t "$SECS" \
				-l "$SIZE" "10.0.$i.1" 5000 >"$WORK/$mode.$r.sent.$i" &
		done
		wait
	else
		n 1 "$UDPGAP" send -B 10.0.1.1 -r "$PPS" -t "$SECS" -l "$SIZE" \
			"$G" 5000 >"$WORK/$mode.$r.sent.0"
	fi
	sleep 1
	b1=$(ul1_tx)
	for f in "$WORK/$mode.$r.sent."*; do
		sent=$((sent + $(jq -r .sent "$f")))
	done
	{
		echo "sent $sent"
		echo "ul1 $((b1 - b0))"
		for i in "${RECV[@]}"; do
			echo "node $i $(($(counter "$i" rx_packets) - rx0[$i]))"
		done
	} >"$WORK/$mode.$r"
}

# mbit DATAGRAMS: goodput of DATAGRAMS over SECS.
mbit() {
	awk -v d="$1" -v s="$SIZE" -v t="$SECS" \
		'BEGIN { printf "%.1f", d * s * 8 / t / 1e6 }'
}

declare -A got=([multicast]=0 [unicast]=0) wire=([multicast]=0 [unicast]=0)
for r in $(seq 1 "$ROUNDS"); do
	for mode in multicast unicast; do
		run "$mode" "$r"
		line="$mode round $r: sent $(sed -n 's/^sent //p' "$WORK/$mode.$r")"
		b=$(sed -n 's/^ul1 //p' "$WORK/$mode.$r")
		d_all=0
		while read -r _ i d; do
			line+="; node $i $d ($(mbit "$d") Mbit/s)"
			d_all=$((d_all + d))
		done <<<"$(grep '^node ' "$WORK/$mode.$r")"
		line+="; ul1 $b bytes ($(awk -v b="$b" -v d="$d_all" \
			'BEGIN { printf "%.0f", d ? b / d : 0 }') per delivery)"
		got[$mode]=$((got[$mode] + d_all))
		wire[$mode]=$((wire[$mode] + b))
		log "$line"
	done
done
log "tree repair (scripts/bench-mcast-repair-guest.sh)"
repair_rc=0
"$top/scripts/bench-mcast-repair-guest.sh" "$WORK/repair.md" || repair_rc=$?
m=${got[multicast]}
u=${got[unicast]}
per() { awk -v b="$1" -v d="$2" 'BEGIN { printf "%.0f", d ? b / d : 0 }'; }
echo "----- BEGIN XMESH MCAST REPORT -----"
echo "Multicast fan-out, $SIZE-byte datagrams from node 1 to ${#RECV[@]} receivers" \
	"at $PPS per second per stream (udpgap, C), $ROUNDS rounds of $SECS s." \
	"Mean goodput per receiver: multicast $(mbit $((m / ROUNDS / ${#RECV[@]}))) Mbit/s," \
	"unicast copies $(mbit $((u / ROUNDS / ${#RECV[@]}))) Mbit/s" \
	"(offered: $(mbit $((PPS * SECS))) Mbit/s)." \
	"Bytes on node 1's underlay link per datagram delivered:" \
	"multicast $(per "${wire[multicast]}" "$m"), unicast $(per "${wire[unicast]}" "$u")" \
	"(ratio $(awk -v a="${wire[unicast]}" -v b="$u" -v c="${wire[multicast]}" -v d="$m" \
		'BEGIN { printf "%.2f", (b && c && d) ? (a / b) / (c / d) : 0 }'))."
echo
echo "Tree repair, xmeshd on seven nodes (scripts/bench-mcast-repair-guest.sh):"
echo
if ((repair_rc == 0)); then
	cat "$WORK/repair.md"
else
	echo "Not measured: the repair part could not run (exit $repair_rc)."
fi
echo "----- END XMESH MCAST REPORT -----"
exit "$repair_rc"
