#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the guest (scripts/bench.sh runs it): the QoS benchmark.
#
# tests/guest/mesh.sh's five nodes; tbf bottlenecks of 5 Mbit/s with 100 ms
# of queue on the underlay:
#   one hop:   ul1 at node 1; bulk 1 -> 2 (iperf3 UDP, 15 Mbit/s offered);
#              the realtime flow 1 -> 2
#   two hops:  ul1 at node 1 and ul2 at node 2 (transit); bulk 1 -> 3 and
#              2 -> 3 (15 Mbit/s each, so that both links queue); the
#              realtime flow 1 -> 3 through node 2
# The realtime flow: EF pings (ping -Q 0xb8) every 20 ms while bulk
# saturates. QoS off: the tbf's own FIFO. QoS on: `xmesh qos link LINK on`
# on the bottleneck links, the xmesh prio/fq_codel tree grafted below the
# tbf. Per round, each of the four cases; idle (no bulk) figures too.
# Reported per case, over all rounds: the median and 99th percentile RTT,
# the loss, and what bulk got through.
#
# Environment: XMESH_BENCH_QOS_ROUNDS (3), XMESH_BENCH_QOS_PINGS (250 per
# sample).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../tests/guest/lib.sh
. "$top/tests/guest/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/guest/mesh.sh
. "$top/tests/guest/mesh.sh"

ROUNDS=${XMESH_BENCH_QOS_ROUNDS:-3}
PINGS=${XMESH_BENCH_QOS_PINGS:-250}
RATE=5mbit
BULK=15M
WORK=/tmp/xmesh-bench-qos
rm -rf "$WORK"
mkdir -p "$WORK"

log() { printf '# %s %s\n' "$(date +%T)" "$*"; }

# servers: iperf3 on node 2 and on node 3 (two ports: one test each).
servers() {
	n 2 iperf3 -s -D -B 10.0.2.1 --pidfile "$WORK/s2.pid"
	n 3 iperf3 -s -D -B 10.0.3.1 --pidfile "$WORK/s3a.pid"
	n 3 iperf3 -s -D -B 10.0.3.1 -p 5202 --pidfile "$WORK/s3b.pid"
	at_exit "kill \$(cat '$WORK'/*.pid 2>/dev/null) 2>/dev/null || true"
}

# bulk FROM DST PORT SECONDS OUT: a UDP flood, its report in OUT.
bulk() {
	n "$1" iperf3 -c "$2" -B "10.0.$1.1" -p "$3" -u -l 1200 -b "$BULK" \
		-t "$4" -J >"$5" 2>&1 || true
}

# sample HOPS QOS ROUND: one measurement; RTTs appended to
# $WORK/HOPS.QOS.rtt, "sent received bulk_mbit" to $WORK/HOPS.QOS.sum.
sample() {
	local hops=$1 qos=$2 r=$3 dst secs out pids=()
	dst=$([[ $hops == 1 ]] && echo 10.0.2.1 || echo 10.0.3.1)
	secs=$((PINGS / 50 + 4))
	if [[ $qos != idle ]]; then
		if [[ $hops == 1 ]]; then
			bulk 1 10.0.2.1 5201 "$secs" "$WORK/b1.$r.json" &
			pids+=($!)
		else
			bulk 1 10.0.3.1 5201 "$secs" "$WORK/b1.$r.json" &
			pids+=($!)
			bulk 2 10.0.3.1 5202 "$secs" "$WORK/b2.$r.json" &
			pids+=($!)
		fi
		sleep 2
	fi
	out=$(n 1 ping -n -Q 0xb8 -i 0.02 -c "$PINGS" -W 2 -I 10.0.1.1 "$dst" 2>&1 || true)
	((${#pids[@]} == 0)) || wait "${pids[@]}"
	sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' <<<"$out" >>"$WORK/$hops.$qos.rtt"
	printf '%s %s %s\n' "$PINGS" "$(grep -c 'time=' <<<"$out" || true)" \
		"$(if [[ $qos == idle ]]; then echo 0; else
			jq -r '.end.sum | .bits_per_second * (1 - .lost_percent / 100) / 1e6' \
				"$WORK/b1.$r.json" 2>/dev/null || echo 0; fi)" \
		>>"$WORK/$hops.$qos.sum"
}

# qos_links on|off: the xmesh tree below both tbfs, or not.
qos_links() {
	xm 1 qos link ul1 "$1"
	xm 2 qos link ul2 "$1"
}

mesh_up inet
servers
wait_for 30 n 1 ping -c 1 -W 1 -I 10.0.1.1 10.0.3.1 >/dev/null
n 1 tc qdisc add dev ul1 root handle 1: tbf rate $RATE burst 10kb latency 100ms
n 2 tc qdisc add dev ul2 root handle 1: tbf rate $RATE burst 10kb latency 100ms

for ((r = 1; r <= ROUNDS; r++)); do
	for hops in 1 2; do
		for qos in idle off on; do
			log "round $r/$ROUNDS: $hops hop(s), qos $qos"
			if [[ $qos == on ]]; then qos_links on; else qos_links off; fi
			sample "$hops" "$qos" "$r"
		done
	done
done
qos_links off

# pct FILE P: the P-th percentile of the numbers in FILE.
pct() {
	sort -g "$1" | awk -v p="$2" '{ v[NR] = $1 } END {
		if (!NR) { print "-"; exit }
		i = int((NR * p + 99) / 100); if (i < 1) i = 1; printf "%.2f", v[i] }'
}

echo "----- BEGIN XMESH QOS REPORT -----"
echo "QoS: realtime latency under bulk saturation (scripts/bench-qos-guest.sh)."
echo "tbf bottlenecks of $RATE with 100 ms of queue; EF pings every 20 ms,"
echo "$PINGS per sample, $ROUNDS round(s); bulk: iperf3 UDP at $BULK per flow"
echo "(one hop: 1 -> 2; two hops: 1 -> 3 and 2 -> 3, node 2 transit)."
echo "QoS on: \`xmesh qos link LINK on\` below the tbfs. Bulk: what arrived of 1's flow."
echo
echo "| bottleneck hops | QoS | RT median ms | RT p99 ms | RT loss | bulk Mbit/s |"
echo "|---|---|---|---|---|---|"
for hops in 1 2; do
	for qos in idle off on; do
		f=$WORK/$hops.$qos
		[[ -f $f.sum ]] || continue
		read -r sent got mbit <<<"$(awk '{ s += $1; g += $2; m += $3 } END {
			printf "%d %d %.2f\n", s, g, NR ? m / NR : 0 }' "$f.sum")"
		loss=$(awk -v s="$sent" -v g="$got" 'BEGIN { printf "%.1f%%", s ? 100 * (s - g) / s : 0 }')
		[[ $qos == idle ]] && mbit="-"
		echo "| $hops | $qos | $(pct "$f.rtt" 50) | $(pct "$f.rtt" 99) | $loss | $mbit |"
	done
done
echo "----- END XMESH QOS REPORT -----"
