#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The crypto queues (kmod/queue.c: frames sealed and opened on every CPU,
# sent and delivered in order) on three nodes in a line with keys, as
# 13-crypto.sh's, with parallel_crypto on:
#   encrypt and auth: 200 pings at 10 ms lose none; a UDP flood of
#     64-byte datagrams arrives in order (iperf3's out-of-order count),
#     the datagrams lost all dropped by the receiving socket's full
#     buffer, none in the mesh, no replayed or auth_failed drop anywhere,
#     node 1's key counter moved by exactly the frames it sealed, each of
#     them sent, and node 3 delivered exactly the frames it opened; mesh
#     pings (OAM, never queued) are all answered while the flood runs;
#   neighbor and key deletion and re-addition under a flood through node
#     2: traffic passes again;
#   parallel_crypto switched off and on again at run time: pings lose
#     none either way;
#   node 2's device deleted, then the module unloaded, under the flood;
#   the module loads with parallel_crypto=0.
# Needs two CPUs or more (the queues are not used with one).
# Run it with
#   XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko scripts/guest.sh run tests/guest/16-crypto-queue.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"

if (($(nproc) < 2)); then
	echo "1..0 # SKIP the crypto queues need two CPUs"
	exit 0
fi

tmp=$(mktemp -d)
at_exit "rm -rf '$tmp'"
PARAM=/sys/module/xmesh/parameters/parallel_crypto

# security MODE: every node's.
# shellcheck disable=SC2317 # called through check
security() {
	local i
	for i in 1 2 3; do
		xm "$i" dev set security "$1" || return 1
	done
}

# key_counter NODE NEIGH DIR ID FIELD: a field of one key's statistics.
key_counter() {
	xm "$1" -j key show neigh "$2" dir "$3" |
		jq -er --argjson id "$4" --arg k "$5" '.[] | select(.id == $id) | .[$k]'
}

# drop_sum REASON: REASON's drops on the three nodes together.
drop_sum() {
	echo $(($(counter 1 "$1") + $(counter 2 "$1") + $(counter 3 "$1")))
}

# rcvbuf_errors NODE: datagrams NODE's UDP sockets had no room for.
rcvbuf_errors() {
	# shellcheck disable=SC2016 # awk's fields
	n "$1" awk '/^Udp:/ { if (seen) print $6; seen = 1 }' /proc/net/snmp
}

# snap ARRAY: the counters the flood checks compare, into ARRAY.
# shellcheck disable=SC2034 # ARRAY is the caller's, by reference
snap() {
	local -n into=$1
	into["k1tx"]=$(key_counter 1 1 tx 1 packets)
	into["k1ctr"]=$(key_counter 1 1 tx 1 counter)
	into["tx1"]=$(counter 1 tx_packets)
	into["oam1"]=$(counter 1 oam_tx)
	into["txerr1"]=$(counter 1 tx_error)
	into["k3rx"]=$(key_counter 3 2 rx 1 packets)
	into["rx3"]=$(counter 3 rx_packets)
	into["oam3"]=$(counter 3 oam_rx)
	into["replayed"]=$(drop_sum replayed)
	into["auth_failed"]=$(drop_sum auth_failed)
	into["queue_full"]=$(drop_sum queue_full)
	into["rcvbuf3"]=$(rcvbuf_errors 3)
}

# pings_all N: N mesh pings 1 -> 3, every one answered.
# shellcheck disable=SC2317 # called through check
pings_all() {
	xm 1 ping 3 -c "$1" -i 0.1 -W 5 | grep "^$1 probes sent, $1 replies" >/dev/null
}

# udp_flood SECONDS JSON: 64-byte datagrams 1 -> 3 as fast as they go.
udp_flood() {
	n 1 iperf3 -c 10.0.3.1 -B 10.0.1.1 -u -b 0 -l 64 -t "$1" -J >"$2"
}

check "modprobe xmesh parallel_crypto=1" modprobe xmesh parallel_crypto=1
check "parallel_crypto is on" grep -qx Y "$PARAM"
check "three nodes in a line with keys" line_up inet
n 3 iperf3 -s -D -B 10.0.3.1 >/dev/null 2>&1
check "iperf3 server on node 3" wait_for 10 n 3 ss -ltn 'sport = :5201'

declare -A a b
for mode in encrypt auth; do
	check "security $mode" security "$mode"
	check "$mode: 200 pings 1 -> 3 at 10 ms, none lost" \
		n 1 ping -q -c 200 -i 0.01 -W 5 -I 10.0.1.1 10.0.3.1
	# Mesh pings during the flood, then the counters once it is over
	# (its last frames delivered or dropped by then: the queues hold
	# 2048 at most, drained in well under the second waited).
	snap a
	udp_flood 4 "$tmp/udp-$mode.json" &
	flood=$!
	sleep 1
	check "$mode: 10 mesh pings answered during the flood (never queued)" \
		pings_all 10
	wait "$flood" || true
	sleep 1
	snap b
	echo "# $mode UDP-64 flood: $(jq -c '.end.streams[0].udp |
		{packets, lost_packets, out_of_order}' "$tmp/udp-$mode.json"); queue_full $((b[queue_full] - a[queue_full])), node 3's UDP receive buffer full $((b[rcvbuf3] - a[rcvbuf3]))"
	check "$mode: the flood ran" \
		jq -e '.end.sum.packets > 1000' "$tmp/udp-$mode.json"
	check "$mode: the flood arrived in order" \
		jq -e '.end.streams[0].udp.out_of_order == 0' "$tmp/udp-$mode.json"
	# Every datagram iperf3 missed was dropped by node 3's full socket
	# buffer, none by the mesh. At most: iperf3 counts only the gaps
	# before the last datagram it read, the buffer drops the tail too.
	check "$mode: the mesh lost none: iperf3's lost datagrams are among node 3's UDP receive buffer drops" \
		test "$(jq -r '.end.streams[0].udp.lost_packets' \
			"$tmp/udp-$mode.json")" -le "$((b[rcvbuf3] - a[rcvbuf3]))"
	expect_delta "$mode: no replayed drop" "${a[replayed]}" "${b[replayed]}" 0
	expect_delta "$mode: no auth_failed drop" "${a[auth_failed]}" \
		"${b[auth_failed]}" 0
	expect_delta "$mode: node 1's key counter moved by the frames sealed" \
		"$((a[k1ctr] - a[k1tx]))" "$((b[k1ctr] - b[k1tx]))" 0
	# (A frame the underlay refused counts as tx_error, not as sent.)
	expect_delta "$mode: node 1 sent every frame it sealed" \
		"$((a[k1tx] - a[tx1] - a[oam1] - a[txerr1]))" \
		"$((b[k1tx] - b[tx1] - b[oam1] - b[txerr1]))" 0
	expect_delta "$mode: node 3 delivered every frame it opened" \
		"$((a[k3rx] - a[rx3] - a[oam3]))" "$((b[k3rx] - b[rx3] - b[oam3]))" 0
done
check "security encrypt again" security encrypt
check "parallel_crypto switched off at run time" bash -c "echo 0 >$PARAM"
check "inline: 100 pings at 10 ms, none lost" \
	n 1 ping -q -c 100 -i 0.01 -W 5 -I 10.0.1.1 10.0.3.1
check "parallel_crypto switched on again" bash -c "echo 1 >$PARAM"
check "queued again: 100 pings at 10 ms, none lost" \
	n 1 ping -q -c 100 -i 0.01 -W 5 -I 10.0.1.1 10.0.3.1

# Churn under a flood through node 2, whose frames all go through its
# queues: node 2's receive key from node 1 deleted and put back (its
# replay window starts again; node 1's counters go on), node 2's neighbor
# to node 3 deleted and added back with a new transmit key of a new id.
udp_flood 100 /dev/null &
flood=$!
sleep 2
# shellcheck disable=SC2317 # called through check
churn() {
	local r id
	for r in 1 2; do
		id=$((r + 1))
		xm 2 key del neigh 1 id 1 dir rx &&
			xm 2 key add neigh 1 id 1 dir rx key "$(kh 1-1-1)" &&
			xm 2 neigh del id 2 &&
			mesh_neigh 2 inet 2 3 2 &&
			xm 3 key add neigh 2 id "$id" dir rx key "$(kh "2-2-$id")" &&
			xm 2 key add neigh 2 id "$id" dir tx key "$(kh "2-2-$id")" &&
			xm 2 key add neigh 2 id 1 dir rx key "$(kh 2-3-1)" &&
			xm 3 key del neigh 2 id "$r" dir rx &&
			{ xm 2 route replace node 3 nexthop neigh 2 ||
				xm 2 route add node 3 nexthop neigh 2; } || return 1
		sleep 1
	done
}
check "neighbor and keys deleted and added back twice under the flood" churn
check "pings 1 -> 3 pass again" \
	wait_for 30 n 1 ping -c 1 -W 2 -I 10.0.1.1 10.0.3.1
check "no auth_failed drop through the churn" test "$(drop_sum auth_failed)" = 0
check "delete node 2's device under the flood" ip -n xm-2 link del xmesh0
# shellcheck disable=SC2317 # called through check
unload() {
	local i
	for i in $(seq 20); do
		modprobe -r xmesh 2>/dev/null && return 0
		sleep 1
	done
	return 1
}
check "unload the module with devices and the flood running" unload
kill "$flood" 2>/dev/null || true
wait "$flood" 2>/dev/null || true
check "the module is gone" bash -c '! grep -q "^xmesh " /proc/modules'

check "the module loads with parallel_crypto=0" modprobe xmesh parallel_crypto=0
check "parallel_crypto is off" grep -qx N "$PARAM"
check "and unloads" modprobe -r xmesh
tap_done
