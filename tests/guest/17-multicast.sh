#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Multicast replication in the kernel (Documentation/multicast.md), on the
# five-node mesh of mesh.sh with multicast routes installed by hand, as
# xmeshd would install the shortest-path tree rooted at node 1:
#
#   1 -> 2 (neigh 1); 2 -> 3 (neigh 2) and 5 (neigh 4); 3 -> 4 (neigh 3)
#   members (local): 3, 4, 5; node 2 is transit only
#
# Every member gets every datagram exactly once, node 2 none, with counters
# that match; the hop limit stops copies; the reverse-path check drops a
# copy from a neighbor other than the route's upstream (counted); a group
# without a route is dropped at the sender; IPv6 groups, with node 4 fed
# through node 5; a shared tree rooted at node 2 carries node 1's packets;
# a member in a denied zone gets nothing, each copy counted as
# zone_denied, while the others (one below it) get each datagram once.
# (Repair after a link failure, by the agents: 47-agent-multicast.sh.)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$(dirname "${BASH_SOURCE[0]}")/mesh.sh"

MIO=$(dirname "${BASH_SOURCE[0]}")/mcastio.py
G4=239.1.2.3
G6=ff05::123
N=100
OUT=$(mktemp -d /tmp/xmesh-mcast.XXXXXX)
at_exit "rm -rf '$OUT'"

modprobe xmesh
check "mesh of five nodes configured" mesh_up inet
for i in "${MESH_NODES[@]}"; do
	ip -n "xm-$i" link set xmesh0 multicast on
	ip -n "xm-$i" route add 239.0.0.0/8 dev xmesh0
	ip -n "xm-$i" -6 route add ff05::/16 dev xmesh0 table local 2>/dev/null ||
		true
done

# tree GROUP VIA4: the tree rooted at 1 for GROUP, node 4 fed by node VIA4
# (3 or 5); replaces what each node had.
# shellcheck disable=SC2317 # called through check
tree() {
	local g=$1 via=$2
	xm 1 mroute replace root 1 group "$g" neigh 1 &&
		xm 2 mroute replace root 1 group "$g" neigh 2 neigh 4 &&
		xm 4 mroute replace root 1 group "$g" local || return 1
	if [[ $via == 3 ]]; then
		xm 3 mroute replace root 1 group "$g" neigh 3 local &&
			xm 5 mroute replace root 1 group "$g" local
	else
		xm 3 mroute replace root 1 group "$g" local &&
			xm 5 mroute replace root 1 group "$g" neigh 5 local
	fi
}

# round NAME GROUP N [QUIET...]: receivers on nodes 2..5, node 1 sends N;
# each receiver's "total distinct" lands in $OUT/NAME-i. The QUIET nodes
# (node 2 if none given) are expected to get nothing, so the round does not
# wait for their END.
round() {
	local name=$1 g=$2 n=$3 i pids=() addr quiet=" ${*:4} "
	[[ $quiet == "  " ]] && quiet=" 2 "
	for i in 2 3 4 5; do
		addr=10.0.$i.1
		[[ $g == *:* ]] && addr=fd00:$i::1
		rm -f "$OUT/$name-$i" "$OUT/$name-$i.joined" "$OUT/stop"
		n "$i" python3 "$MIO" recv "$g" 5000 "$addr" "$OUT/$name-$i" \
			--deadline 60 --stop "$OUT/stop" &
		pids+=($!)
	done
	for i in 2 3 4 5; do
		wait_for 30 test -e "$OUT/$name-$i.joined" || true
	done
	addr=10.0.1.1
	[[ $g == *:* ]] && addr=fd00:1::1
	n 1 python3 "$MIO" send "$g" 5000 "$addr" "$n" >/dev/null
	# A quiet node never sees an END: it stops once the members have.
	for i in 2 3 4 5; do
		[[ $quiet == *" $i "* ]] || wait "${pids[i - 2]}" || true
	done
	touch "$OUT/stop"
	for i in 2 3 4 5; do
		[[ $quiet != *" $i "* ]] || wait "${pids[i - 2]}" || true
	done
}

# got NAME NODE: "total distinct" of NODE's receiver in round NAME (0 0 if
# it wrote nothing: killed before any END).
got() {
	cat "$OUT/$1-$2" 2>/dev/null || echo "0 0"
}

mstat() {	# mstat NODE GROUP FIELD: a counter of the (1, GROUP) route
	xm "$1" -j -s mroute show root 1 group "$2" |
		jq -er --arg f "$3" '.[0].stats[$f]'
}

check "tree installed" tree "$G4" 3
check_json "node 2's route reads back" '.[0].neighs == [2, 4] and .[0].local == false' \
	xm 2 -j mroute show root 1 group "$G4"
check "a unicast group is refused" \
	fails_with 'not an overlay group' xm 1 mroute add root 1 group 10.0.0.1
check "an unknown neighbor is refused" \
	fails_with 'no neighbor 9' xm 1 mroute add root 1 group 239.9.9.9 neigh 9
check "an upstream on a shared tree is refused" \
	fails_with 'a shared tree has no upstream' \
	xm 1 mroute add root 2 group 239.9.9.8 upstream 2 shared-root 2
check "this node as its own upstream is refused" \
	fails_with 'the upstream is this node' \
	xm 4 mroute add root 1 group 239.9.9.8 upstream 4

drop_mr1=$(counter 1 no_mroute)
tx1=$(counter 1 tx_packets)
fwd2=$(counter 2 fwd_packets)
rx4=$(counter 4 rx_packets)
round v4 "$G4" "$N"
for i in 3 4 5; do
	check "node $i got each of $N datagrams once" test "$(got v4 "$i")" = "$N $N"
done
check "node 2 (transit, not a member) got none" test "$(got v4 2)" = "0 0"
expect_delta "node 1 sent one copy per datagram" "$tx1" "$(counter 1 tx_packets)" \
	$((N + 3))
expect_delta "node 2 forwarded two copies of each" "$fwd2" \
	"$(counter 2 fwd_packets)" $((2 * (N + 3)))
expect_delta "node 4 received each once" "$rx4" "$(counter 4 rx_packets)" $((N + 3))
check "node 2's route counted its copies" test "$(mstat 2 "$G4" tx_packets)" = $((2 * (N + 3)))
check "node 4's route counted its deliveries" test "$(mstat 4 "$G4" rx_packets)" = $((N + 3))
expect_delta "no no_mroute drops at the root" "$drop_mr1" "$(counter 1 no_mroute)" 0

# --- the hop limit: sent with 2, node 3 delivers but copies nothing to 4
xm 1 dev set hop-limit 2
hop3=$(counter 3 hop_limit)
round hl "$G4" 5
check "hop limit 2: node 3 still delivers" test "$(got hl 3)" = "5 5"
check "hop limit 2: node 5 still delivers" test "$(got hl 5)" = "5 5"
expect_delta "hop limit 2: node 3 dropped its copies to 4" "$hop3" \
	"$(counter 3 hop_limit)" 8
xm 1 dev set hop-limit 16

# --- the reverse-path check: node 5 copies to 4 as well (two trees that
# disagree, as while the agents converge); node 4 takes the tree's frames
# from its upstream, node 3, only
check "node 4's route names its upstream, node 3" \
	xm 4 mroute replace root 1 group "$G4" local upstream 3
check_json "node 4's upstream reads back" '.[0].upstream == 3' \
	xm 4 -j mroute show root 1 group "$G4"
check "node 5 copies to node 4 too" \
	xm 5 mroute replace root 1 group "$G4" neigh 5 local
rpf4=$(counter 4 mcast_rpf)
round rpf "$G4" 20
for i in 3 4 5; do
	check "rpf: node $i got each of 20 datagrams once" test "$(got rpf "$i")" = "20 20"
done
expect_delta "rpf: node 4 dropped node 5's copies as mcast_rpf" "$rpf4" \
	"$(counter 4 mcast_rpf)" 23

# --- a group of no route: dropped at the sender, counted
drop_mr1=$(counter 1 no_mroute)
n 1 python3 "$MIO" send 239.7.7.7 5000 10.0.1.1 4 --rate 0 >/dev/null
expect_delta "a group without a route: no_mroute at the root" "$drop_mr1" \
	"$(counter 1 no_mroute)" 7

# --- IPv6, node 4 fed through node 5 this time
check "IPv6 tree installed" tree "$G6" 5
round v6 "$G6" 50
for i in 3 4 5; do
	check "IPv6: node $i got each of 50 datagrams once" test "$(got v6 "$i")" = "50 50"
done

# --- a shared tree (a group of many senders): rooted at the core, node 2;
# each tree node installs (2, group) with every tree neighbor as a branch,
# and the sender, node 1, its own (1, group) route, whose frames name the
# core as their tree's root
GS=239.1.2.5
# shellcheck disable=SC2317 # called through check
shared_tree() {
	xm 1 mroute replace root 1 group "$GS" neigh 1 shared-root 2 &&
		xm 1 mroute replace root 2 group "$GS" neigh 1 shared-root 2 &&
		xm 2 mroute replace root 2 group "$GS" neigh 1 neigh 2 neigh 4 \
			shared-root 2 &&
		xm 3 mroute replace root 2 group "$GS" neigh 2 neigh 3 local \
			shared-root 2 &&
		xm 4 mroute replace root 2 group "$GS" neigh 3 local shared-root 2 &&
		xm 5 mroute replace root 2 group "$GS" neigh 4 local shared-root 2
}
check "shared tree installed" shared_tree
check_json "the core's route reads back" \
	'.[0].shared_root == 2 and .[0].neighs == [1, 2, 4]' \
	xm 2 -j mroute show root 2 group "$GS"
round shared "$GS" 20
for i in 3 4 5; do
	check "shared tree: node $i got each of 20 datagrams once" \
		test "$(got shared "$i")" = "20 20"
done
check "shared tree: the core, not a member, got none" \
	test "$(got shared 2)" = "0 0"

# --- node 3's neighbor 2 replaced onto another node id (as an agent
# reusing a neighbor id would): the shared tree's branch follows it, so the
# frames coming over it still pass the reverse-path check, which matches
# them by node
check "node 3's neighbor 2 replaced onto node 9" \
	xm 3 neigh replace id 2 node 9 link ul2 remote 10.99.2.1
round moved "$GS" 20
for i in 3 4; do
	check "neighbor moved: node $i got each of 20 datagrams once" \
		test "$(got moved "$i")" = "20 20"
done
check "node 3's neighbor 2 back on node 2" \
	xm 3 neigh replace id 2 node 2 link ul2 remote 10.99.2.1

# --- zones (Documentation/multicast.md, "Zones"): each member checks its
# deliveries as (source zone, its own zone), as for unicast; copies in
# transit are not checked. Node 3, a member and node 4's parent in the
# tree, is put in zone 30, and 0 -> 30 is denied there (the frames are not
# authenticated here: their source is zone 0): node 3 delivers nothing,
# each drop counted as zone_denied and in its route's drops, while node 4
# below it and node 5 still get every datagram once.
check "tree back as at first" tree "$G4" 3
check "node 3 in zone 30, 0 -> 30 denied there" eval \
	'xm 3 zone node add 3 zone 30 && xm 3 zone pair add from 0 to 30 deny'
zd3=$(counter 3 zone_denied)
zd4=$(counter 4 zone_denied)
zd5=$(counter 5 zone_denied)
drops3=$(mstat 3 "$G4" drops)
round zone "$G4" 20 2 3
check "zones: node 3 (denied) got none" test "$(got zone 3)" = "0 0"
for i in 4 5; do
	check "zones: node $i got each of 20 datagrams once" \
		test "$(got zone "$i")" = "20 20"
done
expect_delta "zones: node 3 counted each as zone_denied" "$zd3" \
	"$(counter 3 zone_denied)" 23
expect_delta "zones: node 3's route counted them as drops" "$drops3" \
	"$(mstat 3 "$G4" drops)" 23
expect_delta "zones: node 4 denied nothing" "$zd4" "$(counter 4 zone_denied)" 0
expect_delta "zones: node 5 denied nothing" "$zd5" "$(counter 5 zone_denied)" 0
check "zones: node 3's table flushed" eval \
	'xm 3 zone pair flush && xm 3 zone node flush'
round zone2 "$G4" 5
for i in 3 4 5; do
	check "zones gone: node $i got each of 5 datagrams once" \
		test "$(got zone2 "$i")" = "5 5"
done

check "flush" xm 2 mroute flush
check "flushed" test "$(xm 2 -j mroute show | jq length)" = 0
tap_done
