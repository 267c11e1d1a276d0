#!/bin/bash
# The data plane over an IPv4 underlay: five nodes configured statically
# with the tool (tests/guest/mesh.sh), traffic across three hops with exact
# counters, mesh ping and trace, hop-limit expiry, route deletion, fast
# reroute on a neighbor marked down and on carrier loss, PMTU, and IPv4 and
# IPv6 overlays.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$(dirname "${BASH_SOURCE[0]}")/mesh.sh"

UNDERLAY=${1:-inet}

modprobe xmesh
check "mesh of five nodes configured ($UNDERLAY underlay)" mesh_up "$UNDERLAY"
check "tables read back: node 2 has 3 neighbors" \
	test "$(xm 2 -j neigh show | jq length)" = 3
check "host route for a remote prefix" \
	grep_out '10.0.4.0/24' n 1 ip route show 10.0.4.0/24 dev xmesh0

# --- mesh-level OAM
check "xmesh ping 4 from 1" xm 1 ping 4 -c 3 -i 0.2
# shellcheck disable=SC2317 # called through check
trace_ok() {
	local out
	out=$(xm 1 trace 4)
	grep -q 'node 2' <<<"$out" && grep -q 'node 3' <<<"$out" &&
		grep -q 'node 4' <<<"$out"
}
check "xmesh trace 4 from 1 shows nodes 2 3 4" trace_ok
check "xmesh ping to an unrouted node fails" \
	fails_with 'no route to node 9' xm 1 ping 9 -c 1

# --- IPv4 overlay across three hops, with exact counters
declare -A before after
# snapshot ARRAY: the counters this part checks, into associative ARRAY.
# shellcheck disable=SC2034 # ARRAY is the caller's, by reference
snapshot() {
	local -n into=$1
	into["tx1"]=$(counter 1 tx_packets)
	into["rx1"]=$(counter 1 rx_packets)
	into["rx4"]=$(counter 4 rx_packets)
	into["tx4"]=$(counter 4 tx_packets)
	into["fwd2"]=$(counter 2 fwd_packets)
	into["fwd3"]=$(counter 3 fwd_packets)
	into["fwd5"]=$(counter 5 fwd_packets)
	into["n1tx"]=$(neigh_counter 1 1 tx_packets)
	into["link1tx"]=$(n 1 cat /sys/class/net/xmesh0/statistics/tx_packets)
	into["link2tx"]=$(n 2 cat /sys/class/net/xmesh0/statistics/tx_packets)
	into["link4rx"]=$(n 4 cat /sys/class/net/xmesh0/statistics/rx_packets)
}
snapshot before
check "ping 10.0.4.1 from 10.0.1.1 (3 hops each way)" \
	n 1 ping -c 10 -i 0.05 -W 5 -I 10.0.1.1 10.0.4.1
snapshot after
expect_delta "node 1 sent" "${before[tx1]}" "${after[tx1]}" 10
expect_delta "node 4 received" "${before[rx4]}" "${after[rx4]}" 10
expect_delta "node 4 sent" "${before[tx4]}" "${after[tx4]}" 10
expect_delta "node 1 received" "${before[rx1]}" "${after[rx1]}" 10
expect_delta "node 2 forwarded both ways" "${before[fwd2]}" "${after[fwd2]}" 20
expect_delta "node 3 forwarded 1->4" "${before[fwd3]}" "${after[fwd3]}" 10
expect_delta "node 5 forwarded 4->1" "${before[fwd5]}" "${after[fwd5]}" 10
expect_delta "node 1's neighbor 1 sent" "${before[n1tx]}" "${after[n1tx]}" 10
expect_delta "ip -s link: node 1 sent" "${before[link1tx]}" "${after[link1tx]}" 10
expect_delta "ip -s link: transit node 2 sent nothing of its own" \
	"${before[link2tx]}" "${after[link2tx]}" 0
expect_delta "ip -s link: node 4 received" "${before[link4rx]}" "${after[link4rx]}" 10

check "ping -6 fd00:4::1 from fd00:1::1" \
	n 1 ping -6 -c 5 -i 0.05 -W 5 -I fd00:1::1 fd00:4::1

# --- TCP (GSO segments stay whole through the mesh)
n 4 iperf3 -s -D -B 10.0.4.1 -1
wait_for 10 n 4 ss -ltn 'sport = :5201'
check "iperf3 TCP 1 -> 4 over IPv4" \
	n 1 iperf3 -c 10.0.4.1 -B 10.0.1.1 -t 2 -i 0
n 4 iperf3 -s -D -B fd00:4::1 -1
wait_for 10 n 4 ss -ltn 'sport = :5201'
check "iperf3 TCP 1 -> 4 over IPv6" \
	n 1 iperf3 -c fd00:4::1 -B fd00:1::1 -t 2 -i 0

# --- hop limit: sent with 2, the frame dies at node 3
xm 1 dev set hop-limit 2
b=$(counter 3 hop_limit)
check "ping with hop limit 2 does not reach node 4" \
	fails n 1 ping -c 3 -i 0.05 -W 1 10.0.4.1
expect_delta "node 3 counted hop-limit drops" "$b" "$(counter 3 hop_limit)" 3
xm 1 dev set hop-limit 16
check "xmesh trace with hop limit 2 ends at node 3" \
	says 'node 3' xm 1 trace 4 max-hops 2

# --- route deletion stops traffic and counts the drops
xm 2 route del node 4
b=$(counter 2 no_route)
check "no traffic once node 2's route to 4 is gone" \
	fails n 1 ping -c 3 -i 0.05 -W 1 10.0.4.1
expect_delta "node 2 counted no-route drops" "$b" "$(counter 2 no_route)" 3
xm 2 route add node 4 nexthop neigh 2 nexthop neigh 4 priority 1
check "traffic back with the route" n 1 ping -c 2 -W 5 10.0.4.1

# --- fast reroute: the primary neighbor marked down
b5=$(counter 5 fwd_packets)
b3=$(counter 3 fwd_packets)
br=$(counter 2 reroutes)
xm 2 neigh set id 2 state down
check "route 2->4 moved to the backup next hop" nexthop_active 2 4 4
check "ping 1 -> 4 with 2-3 marked down" n 1 ping -c 5 -i 0.05 -W 5 10.0.4.1
expect_delta "node 5 carried both directions" "$b5" "$(counter 5 fwd_packets)" 10
expect_delta "node 3 carried nothing" "$b3" "$(counter 3 fwd_packets)" 0
expect_delta "node 2 counted one reroute" "$br" "$(counter 2 reroutes)" 1
xm 2 neigh set id 2 state up
check "back on the primary when it is up again" nexthop_active 2 4 2

# --- fast reroute: carrier loss on the underlay, seen by the module itself
n 2 ip link set ul2 down
check "carrier loss marks neighbor 2 of node 2" neigh_is 2 2 carrier down
check "ping 1 -> 4 with link 2-3 down" n 1 ping -c 5 -i 0.05 -W 5 10.0.4.1
n 2 ip link set ul2 up
check "carrier back" wait_for 10 neigh_is 2 2 carrier up

# --- PMTU: xmesh0 allowed to send more than the underlay carries
check "xmesh0 MTU is the underlay's minus the overhead" \
	test "$(n 1 cat /sys/class/net/xmesh0/mtu)" = \
	"$((1500 - $([[ $UNDERLAY == inet ]] && echo 44 || echo 64)))"
mtu=$(n 1 cat /sys/class/net/xmesh0/mtu)
check "a packet of exactly the MTU passes (DF set)" \
	n 1 ping -c 1 -W 5 -M "do" -s $((mtu - 28)) 10.0.4.1
n 1 ip link set xmesh0 mtu 1500
b=$(counter 1 too_big)
n 1 ping -c 1 -W 2 -M "do" -s $((mtu - 27)) 10.0.4.1 >/dev/null 2>&1 || true
expect_delta "one byte more is answered with frag-needed" "$b" "$(counter 1 too_big)" 1
check "the sender learned the path MTU" \
	grep_out "mtu $mtu" n 1 ip route get 10.0.4.1
n 1 ip link set xmesh0 mtu "$mtu"

# --- GRO: segments sent one by one are merged again where they leave the
# mesh (veth never merges on its own, so this is xmesh's gro_cells at work)
n 1 ethtool -K xmesh0 tso off gso off >/dev/null
n 4 iperf3 -s -D -B 10.0.4.1 -1
wait_for 10 n 4 ss -ltn 'sport = :5201'
pcap=$(mktemp)
n 4 timeout 30 tcpdump -Z root -i xmesh0 -nn -c 400 -w "$pcap" \
	'tcp and src 10.0.1.1' >/dev/null 2>&1 &
dump=$!
# shellcheck disable=SC2317 # called through wait_for
capturing() { n 4 awk 'NR > 1 { up = 1 } END { exit !up }' /proc/net/packet; }
wait_for 10 capturing
n 1 iperf3 -c 10.0.4.1 -B 10.0.1.1 -t 2 -i 0 >/dev/null || true
wait "$dump" || true
# shellcheck disable=SC2317 # called through check
gro_merged() {
	tcpdump -r "$pcap" -nn 2>/dev/null | grep -oE 'length [0-9]+' |
		awk '$2 > 1500 { merged++ } END { exit !merged }'
}
check "GRO merges at the receiver with TSO and GSO off at the sender" gro_merged
n 1 ethtool -K xmesh0 tso on gso on >/dev/null

tap_done
