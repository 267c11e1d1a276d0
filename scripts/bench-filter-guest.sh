#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the guest (scripts/bench.sh runs it): the cost of the filter
# rules (Documentation/filter.md).
#
# tests/guest/mesh.sh's five nodes; traffic 1 -> 3 through node 2, the
# rules on node 3 (xmesh filter replace), policy deny:
#   0 rules:     no table at all
#   3:           the table with only the three rules that allow the
#                benchmark (TCP in, UDP to port 5201 in, UDP from port
#                5201 out: the server's answer to the client's connect):
#                what the table and its chain cost
#   100, 1000:   N - 3 rules that do not match (deny from 10.200.x.y/32,
#                proto udp, dport 9), then the three allowing rules.
#                Rules that differ only in their prefix are one set
#                lookup in nftables (a run, as a block list is);
#   1000-each:   the same but for the dport, 9 and 19 in turn: no run,
#                every packet that is not return traffic compares every
#                rule before it is allowed (the worst case);
#   1000-zones:  997 zones declared and one rule each, deny dir in from
#                zone zN proto udp dport 9: a zone run, one verdict map
#                lookup on the mark;
#   1000-zones-each: the same with dport 9 and 19 in turn: no run, 997
#                mark comparisons.
# Measured per round and rule count: TCP throughput (iperf3, one stream:
# after the handshake conntrack accepts it at the table's second rule,
# ct state established: the reference that never reaches the rules) and
# the rate of 64-byte UDP packets that arrive from an iperf3 flood. The
# flood must walk the rules, and conntrack would stop it at the second
# rule too: the iperf3 server answers the client's connect on the same
# addresses and ports, so the flood is ESTABLISHED after its first
# packet. A table of the benchmark's own on node 3, inet xmbench, takes
# UDP to and from port 5201 out of connection tracking (notrack, in
# every configuration, 0 included): every packet of the flood is then
# untracked, passes `ct state established,related` and is compared with
# every rule up to the one that allows it.
# Reported: the medians, each against no table and against the table
# alone (3): the rules' own cost is the second.
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
COUNTS=(0 3 100 1000 1000-each 1000-zones 1000-zones-each)
WORK=/tmp/xmesh-bench-filter
rm -rf "$WORK"
mkdir -p "$WORK"

log() { printf '# %s %s\n' "$(date +%T)" "$*"; }

# allowing: the three rules that allow the benchmark.
allowing() {
	echo "allow dir in proto tcp"
	echo "allow dir in proto udp dport 5201"
	echo "allow dir out proto udp sport 5201"
}

# rules N[-each]: a rules file of N rules, the last three allowing the
# benchmark; -each: no two in a row differ only in their prefix (zone).
rules() {
	local n=${1%-each} each=$1 i
	if [[ $1 == 1000-zones* ]]; then
		n=1000
		for ((i = 1; i <= n - 3; i++)); do
			echo "zone z$i $i"
		done
		echo "policy deny"
		for ((i = 1; i <= n - 3; i++)); do
			echo "deny dir in from zone z$i proto udp dport $(
				[[ $each == *-each ]] && ((i % 2)) && echo 19 || echo 9)"
		done
		allowing
		return
	fi
	echo "policy deny"
	for ((i = 0; i < n - 3; i++)); do
		echo "deny dir in from 10.200.$((i / 250)).$((i % 250 + 1))/32 proto udp dport $(
			[[ $each == *-each ]] && ((i % 2)) && echo 19 || echo 9)"
	done
	allowing
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
	n 1 iperf3 -c 10.0.3.1 -B 10.0.1.1 -u -l 64 -b 0 -t "$SECS" -J \
		>"$WORK/udp.json" 2>/dev/null
	jq -r '.end.sum | (.packets - .lost_packets) / .seconds / 1e3' "$WORK/udp.json"
}

# walked C: "COUNTED ARRIVED" for the last flood under rule set C: the
# packets the rule allowing it counted (each one that walked the rules
# to it) and the packets that arrived.
walked() {
	local line counted=-
	if [[ $1 != 0 ]]; then
		line=$(grep -n '^allow dir in proto udp dport 5201$' "$WORK/$1.rules" | cut -d: -f1)
		counted=$(xm 3 -j filter show file "$WORK/$1.rules" |
			jq -r --argjson l "$line" '.[] | select(.line == $l) | .packets')
	fi
	echo "$counted $(jq -r '.end.sum | .packets - .lost_packets' "$WORK/udp.json")"
}

mesh_up inet
n 3 iperf3 -s -D -B 10.0.3.1 --pidfile "$WORK/s3.pid"
at_exit "kill \$(cat '$WORK/s3.pid' 2>/dev/null) 2>/dev/null || true; xm 3 filter flush 2>/dev/null || true"
wait_for 30 n 1 ping -c 1 -W 1 -I 10.0.1.1 10.0.3.1 >/dev/null
# The flood untracked (above): raw priority, before conntrack.
n 3 nft -f - <<'NFT'
table inet xmbench {
	chain pre {
		type filter hook prerouting priority raw;
		iifname "xmesh0" udp dport 5201 counter notrack
	}
	chain out {
		type filter hook output priority raw;
		oifname "xmesh0" udp sport 5201 counter notrack
	}
}
NFT

for ((r = 1; r <= ROUNDS; r++)); do
	for c in "${COUNTS[@]}"; do
		log "round $r/$ROUNDS: $c rules"
		install "$c"
		tcp_mbit >>"$WORK/$c.tcp"
		udp_kpps >>"$WORK/$c.udp"
		walked "$c" >"$WORK/$c.walked"
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
tcp3=$(median "$WORK/3.tcp")
udp3=$(median "$WORK/3.udp")
echo "----- BEGIN XMESH FILTER REPORT -----"
echo "Filter rules: their cost on node 3's input (scripts/bench-filter-guest.sh)."
echo "1 -> 3 through node 2; N rules on node 3, the matching ones last; medians"
echo "of $ROUNDS round(s) of ${SECS} s. TCP: one iperf3 stream (established after"
echo "the handshake: stops at the table's second rule, the reference). UDP:"
echo "64-byte iperf3 flood, packets that arrived; notrack on node 3 for it, so"
echo "every packet walks the rules up to the allowing one. 0: no table; 3: the"
echo "table with only the three allowing rules; 100, 1000: a run of rules that"
echo "differ only in their prefix (one set lookup); 1000-each: no run, every"
echo "rule compared; 1000-zones: a run of source zones (one verdict map);"
echo "1000-zones-each: no run, every zone compared."
echo
echo "| rules | TCP Mbit/s | vs 0 | vs 3 | UDP kpps | vs 0 | vs 3 |"
echo "|---|---|---|---|---|---|---|"
for c in "${COUNTS[@]}"; do
	t=$(median "$WORK/$c.tcp")
	u=$(median "$WORK/$c.udp")
	echo "| $c | $t | $(vs "$tcp0" "$t") | $(vs "$tcp3" "$t") | $u | $(vs "$udp0" "$u") | $(vs "$udp3" "$u") |"
done
echo
echo "The last round's floods: packets the allowing rule counted (each walked"
echo "the rules before it) / packets that arrived:"
for c in "${COUNTS[@]:1}"; do
	read -r counted arrived <"$WORK/$c.walked"
	printf '%s: %s/%s. ' "$c" "$counted" "$arrived"
done
echo
echo "----- END XMESH FILTER REPORT -----"
