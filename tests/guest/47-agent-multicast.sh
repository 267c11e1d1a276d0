#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Multicast trees built by xmeshd (Documentation/multicast.md), on the seven
# nodes of agentnet.sh's an_two_paths:
#
#          +--ul1-- r1 [2] --ul2-- r2 [3] --ul3--+
#          |                        |            |
#        a [1]                     ul7         b [6]
#          |                        |            |
#          +--ul4-- r3 [4] --ul5-- r4 [5] --ul6--+     c [7] on ul7
#
# a sends to 239.1.2.3 ("group ... send" in its configuration); r1, r2, r4,
# b and c receive it ("group ..."); r3 has not joined. The agents advertise
# their groups, compute a's tree and install their parts: each receiver
# gets each datagram exactly once, r3 none, and the receivers' multicast
# routes count what they delivered; each route names its upstream (the
# reverse-path check) and a converged tree loses no copy to it. Link ul2
# (r1-r2) fails: the agents recompute, the tree goes around it, and every
# receiver gets every datagram again. Then four nodes join a second group
# as senders and three as receivers with `xmesh group join`: the agents
# put it on one shared tree, rooted at its lowest member (a), and each
# receiver gets each sender's datagrams exactly once.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"
# shellcheck source-path=SCRIPTDIR source=agentnet.sh
. "$here/agentnet.sh"

MIO=$here/mcastio.py
G=239.1.2.3
N=200
RECEIVERS=(r1 r2 r4 b c)
OUT=$(mktemp -d /tmp/xmesh-mcast.XXXXXX)
at_exit "rm -rf '$OUT'"

an_require
i=1
for name in "${AN_TWO_PATHS[@]}"; do
	an_node "$name" "$i"
	i=$((i + 1))
done
mesh_link 1 a r1
mesh_link 2 r1 r2
mesh_link 3 r2 b
mesh_link 4 a r3
mesh_link 5 r3 r4
mesh_link 6 r4 b
mesh_link 7 r2 c
an_delay 5 r3 r4 "$AN_SLOW_MS"
an_config a "group $G send"
an_config r3
for name in "${RECEIVERS[@]}"; do
	an_config "$name" "group $G"
done
for name in "${AN_TWO_PATHS[@]}"; do
	an_start "$name"
done

# host_ready NAME: NAME's xmesh0 exists, and takes and routes the group.
# shellcheck disable=SC2317 # called through wait_for
host_ready() {
	n "$1" ip link set xmesh0 multicast on &&
		{ n "$1" ip route replace 239.0.0.0/8 dev xmesh0; }
}

others=$((${#AN_TWO_PATHS[@]} - 1))
for name in "${AN_TWO_PATHS[@]}"; do
	if wait_for 90 an_routes_to "$name" "$others" &&
		wait_for 30 host_ready "$name"; then
		tap_ok "$name: routes to the $others others, group routed to xmesh0"
	else
		tap_fail "$name: routes and xmesh0" "$(an_logs "$name")"
	fi
done

# tree_ready: every receiver delivers, and a sends on a branch.
# shellcheck disable=SC2317 # called through wait_for
tree_ready() {
	local name
	jq_true '.[0].neighs | length >= 1' n a "$XM" -j mroute show root 1 group "$G" ||
		return 1
	for name in "${RECEIVERS[@]}"; do
		jq_true '.[0].local' n "$name" "$XM" -j mroute show root 1 group "$G" ||
			return 1
	done
}
if wait_for 60 tree_ready; then
	tap_ok "the tree of (a, $G) is installed: a branches, the 5 receivers deliver"
else
	tap_fail "the tree of (a, $G) is installed" \
		"$(for x in "${AN_TWO_PATHS[@]}"; do echo "$x:"; n "$x" "$XM" mroute show; done)" \
		"$(an_logs a)"
fi
check_json "xmesh group show: a sends, r1 r2 r4 b c receive, a's route" \
	'.[0].group == "239.1.2.3" and .[0].senders == [1] and
	 (.[0].receivers | sort) == [2, 3, 5, 6, 7] and
	 (.[0].routes | length) == 1 and .[0].routes[0].root == 1' \
	x a -j group show "$G"
check "r3 (not a member) delivers nothing" \
	fails jq_true '.[0].local' n r3 "$XM" -j mroute show root 1 group "$G"
check_json "a's own route checks no upstream" '.[0].upstream == null' \
	n a "$XM" -j mroute show root 1 group "$G"
check_json "r1's route takes the tree's frames from a only (upstream 1)" \
	'.[0].upstream == 1' n r1 "$XM" -j mroute show root 1 group "$G"

# rpf_drops: the mcast_rpf drops of every node but a, summed.
rpf_drops() {
	local r v sum=0
	for r in "${RECEIVERS[@]}" r3; do
		v=$(n "$r" "$XM" -j -s dev show xmesh0 |
			jq -er '.[0].stats.drops.mcast_rpf')
		sum=$((sum + v))
	done
	echo "$sum"
}

# round NAME COUNT: receivers on the 5 members and r3, a sends COUNT; each
# receiver's "total distinct" in $OUT/NAME-RECEIVER.
round() {
	local name=$1 count=$2 r pids=()
	rm -f "$OUT/stop"
	for r in "${RECEIVERS[@]}" r3; do
		rm -f "$OUT/$name-$r" "$OUT/$name-$r.joined"
		n "$r" python3 "$MIO" recv "$G" 5000 "$(an_addr "$r")" \
			"$OUT/$name-$r" --deadline 60 --stop "$OUT/stop" &
		pids+=($!)
	done
	for r in "${RECEIVERS[@]}" r3; do
		wait_for 30 test -e "$OUT/$name-$r.joined" || true
	done
	n a python3 "$MIO" send "$G" 5000 "$(an_addr a)" "$count" >/dev/null
	for i in 0 1 2 3 4; do
		wait "${pids[i]}" || true
	done
	touch "$OUT/stop"	# r3 never sees an END
	wait "${pids[5]}" || true
}

got() {
	cat "$OUT/$1-$2" 2>/dev/null || echo "0 0"
}

mstat() {	# mstat NAME FIELD: a counter of NAME's route of (a, G)
	n "$1" "$XM" -j -s mroute show root 1 group "$G" |
		jq -er --arg f "$2" '.[0].stats[$f]'
}

declare -A rx0
for r in "${RECEIVERS[@]}"; do
	rx0[$r]=$(mstat "$r" rx_packets || echo 0)
done
rpf0=$(rpf_drops)
round first "$N"
expect_delta "a converged tree: no copy fails the reverse-path check" \
	"$rpf0" "$(rpf_drops)" 0
for r in "${RECEIVERS[@]}"; do
	check "$r got each of $N datagrams exactly once" test "$(got first "$r")" = "$N $N"
	expect_delta "$r's multicast route delivered them (and 3 END)" \
		"${rx0[$r]}" "$(mstat "$r" rx_packets || echo 0)" $((N + 3))
done
check "r3 (not a member) got none" test "$(got first r3)" = "0 0"

# --- a link of the tree fails: the agents route the tree around it
ip -n xm-r1 link set ul2 down
# repaired: r1 is a leaf now (its one branch, to r2 over ul2, is gone) and
# everything beyond it is fed through r3, which a's tree now crosses.
# shellcheck disable=SC2317 # called through wait_for
repaired() {
	jq_true '.[0].neighs == []' \
		n r1 "$XM" -j mroute show root 1 group "$G" &&
		jq_true '.[0].neighs | length >= 1' \
			n r3 "$XM" -j mroute show root 1 group "$G" &&
		tree_ready && an_routes_to r2 "$others"
}
if wait_for 60 repaired; then
	tap_ok "link r1-r2 down: the tree is recomputed around it"
else
	tap_fail "link r1-r2 down: the tree is recomputed around it" \
		"$(for x in "${AN_TWO_PATHS[@]}"; do echo "$x:"; n "$x" "$XM" mroute show; done)"
fi
rpf0=$(rpf_drops)
round repair "$N"
expect_delta "the repaired tree: no copy fails the reverse-path check" \
	"$rpf0" "$(rpf_drops)" 0
for r in "${RECEIVERS[@]}"; do
	check "after the repair: $r got each of $N datagrams exactly once" \
		test "$(got repair "$r")" = "$N $N"
done
check "after the repair: r3 still got none" test "$(got repair r3)" = "0 0"

# --- four senders, joined at run time: one shared tree
# xmesh group join, through each agent's control socket: a, r3, b and c
# send to G2, r1, r2 and r4 receive it. Four senders put the group on a
# shared tree rooted at its lowest member, a (node 1).
G2=239.1.2.4
SENDERS2=(a r3 b c)
RECEIVERS2=(r1 r2 r4)
for r in "${SENDERS2[@]}"; do
	check "$r: xmesh group join $G2 send" x "$r" group join "$G2" send
done
for r in "${RECEIVERS2[@]}"; do
	check "$r: xmesh group join $G2" x "$r" group join "$G2"
done
# shared_ready: every receiver delivers G2 on the tree rooted at a, a
# shared one, and every sender has its route.
# shellcheck disable=SC2317 # called through wait_for
shared_ready() {
	local r
	for r in "${RECEIVERS2[@]}"; do
		jq_true '.[0].local and .[0].shared_root == 1' \
			n "$r" "$XM" -j mroute show root 1 group "$G2" || return 1
	done
	for r in "${SENDERS2[@]}"; do
		jq_true '.[0].shared_root == 1' \
			n "$r" "$XM" -j mroute show root 1 group "$G2" || return 1
	done
}
if wait_for 60 shared_ready; then
	tap_ok "the four senders' group is on one shared tree, rooted at a"
else
	tap_fail "the four senders' group is on one shared tree" \
		"$(for x in "${AN_TWO_PATHS[@]}"; do echo "$x:"; n "$x" "$XM" mroute show; done)"
fi
check_json "xmesh group show: four senders, three receivers" \
	'.[0].group == "239.1.2.4" and (.[0].senders | sort) == [1, 4, 6, 7] and
	 (.[0].receivers | sort) == [2, 3, 5]' x a -j group show "$G2"
pids=()
rm -f "$OUT/stop"
for r in "${RECEIVERS2[@]}"; do
	rm -f "$OUT/shared-$r" "$OUT/shared-$r.joined"
	n "$r" python3 "$MIO" recv "$G2" 5001 "$(an_addr "$r")" \
		"$OUT/shared-$r" --senders 4 --deadline 60 &
	pids+=($!)
done
for r in "${RECEIVERS2[@]}"; do
	wait_for 30 test -e "$OUT/shared-$r.joined" || true
done
rpf0=$(rpf_drops)
spids=()
for r in "${SENDERS2[@]}"; do
	n "$r" python3 "$MIO" send "$G2" 5001 "$(an_addr "$r")" 50 >/dev/null &
	spids+=($!)
done
wait "${spids[@]}" || true
wait "${pids[@]}" || true
for r in "${RECEIVERS2[@]}"; do
	check "$r got each of the four senders' 50 datagrams exactly once" \
		test "$(got shared "$r")" = "200 200"
done
expect_delta "the shared tree: no copy fails the reverse-path check" \
	"$rpf0" "$(rpf_drops)" 0
tap_done
