#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the guest (scripts/bench.sh runs it): the cost of the filter
# rules (Documentation/filter.md).
#
# tests/guest/mesh.sh's five nodes; traffic 1 -> 3 through node 2, the
# rules on node 3 (xmesh filter replace), policy deny:
#   0 rules:     no table at all
#   2:           the table with only the two rules that allow the
#                benchmark: what connection tracking and the table cost
#   100, 1000:   N - 2 rules that do not match (deny from 10.200.x.y/32,
#                proto udp, dport 9), then "allow proto tcp" and
#                "allow proto udp dport 5201". Rules that differ only in
#                their prefix are one set lookup in nftables (a run, as a
#                block list is);
#   1000-each:   the same but for the dport, 9 and 19 in turn: no run,
#                every packet that is not return traffic compares every
#                rule before it is allowed (the worst case).
# Measured per round and rule count: TCP throughput (iperf3, one stream:
# after the handshake conntrack accepts it at the second rule) and the
# rate of 64-byte UDP packets that arrive from an iperf3 flood (UDP one
# way stays NEW to conntrack: the worst case, every rule per packet).
# Reported: the medians, each against no table and against the table
# alone (2): the rules' own cost is the second.
#
# Environment: XMESH_BENCH_FILTER_ROUNDS (3), XMESH_BENCH_SECONDS (3).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../tests/guest/lib.sh
. "$top/tests/guest/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/guest/mesh.sh
. "$top/tests/guest/mesh.sh"

ROUNDS=${XMESH_BENCH_FILTER_ROUNDS:-3}
SECS=${XMESH_BENCH_SECONDS:-3}
COUNTS=(0 2 100 1000 1000-each 1000-zones 1000-zones-each)
WORK=/tmp/xmesh-bench-filter
rm -rf "$WORK"
mkdir -p "$WORK"

log() { printf '# %s %s\n' "$(date +%T)" "$*"; }

# rules N[-each]: a rules file of N rules, the last two allowing the
# benchmark; -each: no two in a row differ only in their prefix.
rules() {
	local n=${1%-each} each=$1 i
	if [[ $1 == 1000-zones* ]]; then
		n=1000
		for ((i = 1; i <= n - 2; i++)); do
			echo "zone z$i $i"
		done
		echo "policy deny"
		for ((i = 1; i <= n - 2; i++)); do
			echo "deny dir in from zone z$i proto udp dport $(
				[[ $each == *-each ]] && ((i % 2)) && echo 19 || echo 9)"
		done
		echo "allow dir in proto tcp"
		echo "allow dir in proto udp dport 5201"
		return
	fi
	echo "policy deny"
	for ((i = 0; i < n - 2; i++)); do
		echo "deny dir in from 10.200.$((i / 250)).$((i % 250 + 1))/32 proto udp dport $(
			[[ $each == *-each ]] && ((i % 2)) && echo 19 || echo 9)"
	done
	echo "allow dir in proto tcp"
	echo "allow dir in proto udp dport 5201"
}

# install N: N rules on node 3 (0: no table).
install() {
	if [[ $1 == 0 ]]; then
		xm 3 filter flush
	else
		rules "$1" >"$WORK/$1.rules"
		xm 3 filter replace "$WORK/$1.rules"
	fi
}

# tcp_mbit: one iperf3 TCP run 1 -> 3, Mbit/s received.
tcp_mbit() {
	n 1 iperf3 -c 10.0.3.1 -B 10.0.1.1 -t "$SECS" -J 2>/dev/null |
		jq -r '.end.sum_received.bits_per_second / 1e6'
}

# udp_kpps: a 64-byte UDP flood 1 -> 3, thousands of packets per second
# that arrived.
udp_kpps() {
	n 1 iperf3 -c 10.0.3.1 -B 10.0.1.1 -u -l 64 -b 0 -t "$SECS" -J 2>/dev/null |
		jq -r '.end.sum | (.packets - .lost_packets) / .seconds / 1e3'
}

mesh_up inet
n 3 iperf3 -s -D -B 10.0.3.1 --pidfile "$WORK/s3.pid"
at_exit "kill \$(cat '$WORK/s3.pid' 2>/dev/null) 2>/dev/null || true; xm 3 filter flush 2>/dev/null || true"
wait_for 30 n 1 ping -c 1 -W 1 -I 10.0.1.1 10.0.3.1 >/dev/null

for ((r = 1; r <= ROUNDS; r++)); do
	for c in "${COUNTS[@]}"; do
		log "round $r/$ROUNDS: $c rules"
		install "$c"
		tcp_mbit >>"$WORK/$c.tcp"
		udp_kpps >>"$WORK/$c.udp"
	done
done
install 0

# median FILE: the median of the numbers in FILE.
median() {
	sort -g "$1" | awk '{ v[NR] = $1 } END {
		if (!NR) { print 0; exit }
		printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# vs BASE V: V against BASE, as a signed percentage.
vs() {
	awk -v b="$1" -v v="$2" 'BEGIN { if (b > 0) printf "%+.1f%%", 100 * (v - b) / b; else print "-" }'
}

tcp0=$(median "$WORK/0.tcp")
udp0=$(median "$WORK/0.udp")
tcp2=$(median "$WORK/2.tcp")
udp2=$(median "$WORK/2.udp")
echo "----- BEGIN XMESH FILTER REPORT -----"
echo "Filter rules: their cost on node 3's input (scripts/bench-filter-guest.sh)."
echo "1 -> 3 through node 2; N rules on node 3, the matching ones last; medians"
echo "of $ROUNDS round(s) of ${SECS} s. TCP: one iperf3 stream (conntrack accepts it"
echo "after the handshake). UDP: 64-byte iperf3 flood, packets that arrived"
echo "(one way, NEW to conntrack: every rule per packet). 0: no table; 2: the"
echo "table with only the two allowing rules (conntrack and the chain); 1000: a"
echo "run of rules that differ only in their prefix (one set lookup);"
echo "1000-each: no run, every rule compared."
echo
echo "| rules | TCP Mbit/s | vs 0 | vs 2 | UDP kpps | vs 0 | vs 2 |"
echo "|---|---|---|---|---|---|---|"
for c in "${COUNTS[@]}"; do
	t=$(median "$WORK/$c.tcp")
	u=$(median "$WORK/$c.udp")
	echo "| $c | $t | $(vs "$tcp0" "$t") | $(vs "$tcp2" "$t") | $u | $(vs "$udp0" "$u") | $(vs "$udp2" "$u") |"
done
echo "----- END XMESH FILTER REPORT -----"
