# shellcheck shell=bash
# A five-node xmesh for guest tests, configured statically with the tool.
# Source it after lib.sh:
#
#         [1]--ul1--[2]--ul2--[3]--ul3--[4]
#                    |                   |
#                   ul4                 ul5
#                    |                   |
#                    +-------[5]---------+
#
# Node i lives in namespace xm-i, has xmesh0 with node id i, the overlay
# addresses 10.0.i.1 and fd00:i::1, owns the prefixes 10.0.i.0/24 and
# fd00:i::/64, and names each neighbor after the link it sits on (the
# neighbor on ul2 has id 2). Paths are asymmetric on purpose, so that one
# test sees both a three-hop path and a fast reroute:
#   1 -> 4: 1 2 3 4 (node 2 has the backup 2 5 4 at priority 1)
#   4 -> 1: 4 5 2 1
# which makes traffic between 1 and 4 cross three hops each way.

XMESH=${XMESH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/agent/xmesh}
MESH_NODES=(1 2 3 4 5)

# xm NODE ARGS...: run the xmesh tool in node NODE's namespace.
xm() {
	local node=$1
	shift
	n "$node" "$XMESH" "$@"
}

# mesh_link K A B: a veth link ulK between nodes A and B, addressed like
# topology_line's (10.99.K.1 on A, .2 on B; fd99:K::1 and ::2).
mesh_link() {
	local k=$1 a=$2 b=$3
	ip link add "ul$k" netns "xm-$a" type veth peer name "ul$k" netns "xm-$b"
	printf '%s\n' "addr add 10.99.$k.1/24 dev ul$k" \
		"addr add fd99:$k::1/64 dev ul$k nodad" "link set ul$k up" |
		ip -n "xm-$a" -batch -
	printf '%s\n' "addr add 10.99.$k.2/24 dev ul$k" \
		"addr add fd99:$k::2/64 dev ul$k nodad" "link set ul$k up" |
		ip -n "xm-$b" -batch -
}

# remote_addr FAMILY K NODE_END: the underlay address of end 1 or 2 of link
# K: 10.99.K.E, or for inet6 the link-local address of that end.
_ul_end_addr() {
	local family=$1 k=$2 end=$3 node=$4
	if [[ $family == inet ]]; then
		echo "10.99.$k.$end"
	else
		link_local "$node" "ul$k"
	fi
}

# mesh_neigh NODE FAMILY K PEER END: on NODE, neighbor K = PEER over ulK,
# where PEER is end END (1 or 2) of the link.
mesh_neigh() {
	local node=$1 family=$2 k=$3 peer=$4 end=$5 addr
	addr=$(_ul_end_addr "$family" "$k" "$end" "$peer")
	if [[ $family == inet6 ]]; then
		addr="$addr%ul$k"
	fi
	xm "$node" neigh add id "$k" node "$peer" link "ul$k" remote "$addr"
}

# kh NAME: 64 hex digits derived from NAME (a test key; never reused).
kh() {
	printf 'xmesh test key %s' "$1" | sha256sum | cut -c1-64
}

# link_keys K A B [ID]: keys of id ID (default 1) on link K between nodes
# A (end 1) and B (end 2), whose neighbors for each other are both K: A's
# tx and B's rx with one key, B's tx and A's rx with another.
# shellcheck disable=SC2317 # called through check
link_keys() {
	local k=$1 a=$2 b=$3 id=${4:-1}
	xm "$b" key add neigh "$k" id "$id" dir rx key "$(kh "$k-$a-$id")" &&
		xm "$a" key add neigh "$k" id "$id" dir tx key "$(kh "$k-$a-$id")" &&
		xm "$a" key add neigh "$k" id "$id" dir rx key "$(kh "$k-$b-$id")" &&
		xm "$b" key add neigh "$k" id "$id" dir tx key "$(kh "$k-$b-$id")"
}

# line_up FAMILY: three nodes in a line, 1 - 2 - 3 (topology_line: links
# ul1 and ul2, neighbor ids named after the links), over an IPv4 (inet) or
# IPv6 link-local (inet6) underlay, security none, with the keys of id 1
# installed; node i has 10.0.i.1 and fd00:i::1 and routes to the others.
# shellcheck disable=SC2317 # called through check
line_up() {
	local family=${1:-inet} i j
	topology_line 1 2 3
	for i in 1 2 3; do
		ip -n "xm-$i" link add xmesh0 type xmesh
		xm "$i" dev set node "$i" family "$family" security none
		ip -n "xm-$i" link set xmesh0 up
		ip -n "xm-$i" addr add "10.0.$i.1/32" dev xmesh0
		ip -n "xm-$i" addr add "fd00:$i::1/128" dev xmesh0 nodad
		for j in 1 2 3; do
			((i == j)) && continue
			xm "$i" prefix add "10.0.$j.0/24" node "$j"
			xm "$i" prefix add "fd00:$j::/64" node "$j"
		done
	done
	mesh_neigh 1 "$family" 1 2 2
	mesh_neigh 2 "$family" 1 1 1
	mesh_neigh 2 "$family" 2 3 2
	mesh_neigh 3 "$family" 2 2 1
	xm 1 -batch - <<-EOF
		route add node 2 nexthop neigh 1
		route add node 3 nexthop neigh 1
	EOF
	xm 2 -batch - <<-EOF
		route add node 1 nexthop neigh 1
		route add node 3 nexthop neigh 2
	EOF
	xm 3 -batch - <<-EOF
		route add node 1 nexthop neigh 2
		route add node 2 nexthop neigh 2
	EOF
	link_keys 1 1 2 1 && link_keys 2 2 3 1
}

# mesh_up FAMILY: build the mesh over an IPv4 (inet) or IPv6 link-local
# (inet6) underlay. Prints nothing; fails on the first error.
mesh_up() {
	local family=${1:-inet} i j
	ns_add "${MESH_NODES[@]}"
	mesh_link 1 1 2
	mesh_link 2 2 3
	mesh_link 3 3 4
	mesh_link 4 2 5
	mesh_link 5 5 4

	for i in "${MESH_NODES[@]}"; do
		ip -n "xm-$i" link add xmesh0 type xmesh
		# Keys by hand are 13-crypto's business: frames in clear.
		xm "$i" dev set node "$i" family "$family" security none
		ip -n "xm-$i" link set xmesh0 up
		ip -n "xm-$i" addr add "10.0.$i.1/32" dev xmesh0
		ip -n "xm-$i" addr add "fd00:$i::1/128" dev xmesh0 nodad
		for j in "${MESH_NODES[@]}"; do
			((i == j)) && continue
			xm "$i" prefix add "10.0.$j.0/24" node "$j"
			xm "$i" prefix add "fd00:$j::/64" node "$j"
		done
	done

	mesh_neigh 1 "$family" 1 2 2
	mesh_neigh 2 "$family" 1 1 1
	mesh_neigh 2 "$family" 2 3 2
	mesh_neigh 2 "$family" 4 5 2
	mesh_neigh 3 "$family" 2 2 1
	mesh_neigh 3 "$family" 3 4 2
	mesh_neigh 4 "$family" 3 3 1
	mesh_neigh 4 "$family" 5 5 1
	mesh_neigh 5 "$family" 4 2 1
	mesh_neigh 5 "$family" 5 4 2

	# Routes, one batch per node (the tool sends each as few requests).
	xm 1 -batch - <<-EOF
		route add node 2 nexthop neigh 1
		route add node 3 nexthop neigh 1
		route add node 4 nexthop neigh 1
		route add node 5 nexthop neigh 1
	EOF
	xm 2 -batch - <<-EOF
		route add node 1 nexthop neigh 1
		route add node 3 nexthop neigh 2
		route add node 4 nexthop neigh 2 nexthop neigh 4 priority 1
		route add node 5 nexthop neigh 4
	EOF
	xm 3 -batch - <<-EOF
		route add node 1 nexthop neigh 2
		route add node 2 nexthop neigh 2
		route add node 4 nexthop neigh 3
		route add node 5 nexthop neigh 3
	EOF
	xm 4 -batch - <<-EOF
		route add node 1 nexthop neigh 5
		route add node 2 nexthop neigh 5
		route add node 3 nexthop neigh 3
		route add node 5 nexthop neigh 5
	EOF
	xm 5 -batch - <<-EOF
		route add node 1 nexthop neigh 4
		route add node 2 nexthop neigh 4
		route add node 3 nexthop neigh 4
		route add node 4 nexthop neigh 5
	EOF
}

# counter NODE NAME: a device counter (e.g. tx_packets) or drop reason
# (e.g. no_route) of NODE's xmesh0, from `xmesh -j -s dev show`.
counter() {
	xm "$1" -j -s dev show xmesh0 |
		jq -er --arg k "$2" '.[0].stats | . + .drops | .[$k]'
}

# neigh_counter NODE ID NAME: a counter (e.g. tx_packets) of neighbor ID.
neigh_counter() {
	xm "$1" -j -s neigh show id "$2" |
		jq -er --arg k "$3" '.[0].stats[$k]'
}

# expect_delta NAME BEFORE AFTER WANT: a TAP line for AFTER - BEFORE == WANT.
expect_delta() {
	local name=$1 before=$2 after=$3 want=$4
	if (( after - before == want )); then
		tap_ok "$name ($want)"
	else
		tap_fail "$name" "expected +$want, got +$((after - before)) ($before -> $after)"
	fi
}

# neigh_is NODE ID FIELD VALUE: true when neighbor ID of NODE shows FIELD
# (as in `xmesh -j neigh show`, e.g. state or carrier) equal to VALUE.
neigh_is() {
	[[ $(xm "$1" -j neigh show id "$2" | jq -r --arg f "$3" '.[0][$f]') == "$4" ]]
}

# nexthop_active NODE DST NEIGH: true when NODE's route to DST carries
# traffic through neighbor NEIGH.
nexthop_active() {
	xm "$1" -j route show node "$2" |
		jq -e --argjson nb "$3" '.[0].nexthops[] | select(.neigh == $nb) | .active' >/dev/null
}

# fails CMD...: true when CMD fails (for `check NAME fails CMD...`).
fails() {
	! "$@"
}

# grep_out PATTERN CMD...: true when CMD succeeds and prints PATTERN.
grep_out() {
	local pattern=$1 out
	shift
	out=$("$@") && grep -q -- "$pattern" <<<"$out"
}

# fails_with PATTERN CMD...: true when CMD fails and says PATTERN (on
# stdout or stderr), so a test sees the failure it meant, not another one.
fails_with() {
	local pattern=$1 out
	shift
	! out=$("$@" 2>&1) && grep -q -- "$pattern" <<<"$out"
}

# says PATTERN CMD...: true when CMD prints PATTERN, whatever its status.
says() {
	local pattern=$1 out
	shift
	out=$("$@" 2>&1) || true
	grep -q -- "$pattern" <<<"$out"
}
