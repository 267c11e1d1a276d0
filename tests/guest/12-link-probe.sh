#!/bin/bash
# Link probes: oam-send with a neighbor id sends a link request over that
# one adjacency, and the neighbor's module answers it with a link reply
# over the same adjacency, whatever the neighbors' states and the routes
# say. On the five-node mesh of tests/guest/mesh.sh: answers with the
# right neighbor id, reporter and a round trip, exact OAM and neighbor
# counters, no use of another neighbor when the route points elsewhere or
# is gone, neighbors marked down at either end, carrier loss, a peer with
# no neighbor for the prober (unknown_neigh) or with other node ids
# (node_mismatch), and hand-made link frames on the wire (never forwarded,
# only requests answered). Run it with
#   XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/12-link-probe.sh [inet|inet6]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"

UNDERLAY=${1:-inet}

# probe NODE NEIGH COUNT [ARGS...]: send COUNT link probes over neighbor
# NEIGH of NODE (tests/guest/linkprobe.py); prints its JSON result.
probe() {
	local node=$1 neigh=$2 count=$3
	shift 3
	n "$node" python3 "$here/linkprobe.py" --neigh "$neigh" \
		--count "$count" "$@" || true
}

# shellcheck disable=SC2317 # answered, unanswered, refused: through expect
# answered JSON COUNT NEIGH REPORTER: true when the probes of JSON were
# all accepted and each answered exactly once, with a link reply that
# names neighbor NEIGH, comes from node REPORTER (also the probe's dst),
# arrived with hop limit 1 and took some time.
answered() {
	jq -e --argjson n "$2" --argjson nb "$3" --argjson rep "$4" '
		(.errors | length) == 0 and (.replies | length) == $n and
		([.replies[].seq] | sort) == [range(1; $n + 1)] and
		all(.replies[]; .op == 6 and .neigh == $nb and
			.reporter == $rep and .dst == $rep and
			.["hop-limit"] == 1 and .["rtt-ns"] > 0)' <<<"$1" >/dev/null
}

# shellcheck disable=SC2317
# unanswered JSON: true when every probe was accepted and none answered.
unanswered() {
	jq -e '(.errors | length) == 0 and (.replies | length) == 0' \
		<<<"$1" >/dev/null
}

# shellcheck disable=SC2317
# refused JSON ERRNO: true when the kernel refused every probe with ERRNO.
refused() {
	jq -e --arg e "$2" '.sent == (.errors | length) and
		all(.errors[]; .error == $e) and (.replies | length) == 0' \
		<<<"$1" >/dev/null
}

# expect NAME CHECK JSON ARGS...: a TAP line for CHECK JSON ARGS..., with
# the JSON shown if it fails.
expect() {
	local name=$1 fn=$2 json=$3
	shift 3
	if "$fn" "$json" "$@"; then
		tap_ok "$name"
	else
		tap_fail "$name" "$json"
	fi
}

declare -A c0 c1
# shellcheck disable=SC2034 # ARRAY is the caller's, by reference
# snap ARRAY SPEC...: counters into associative ARRAY; SPEC is NODE:NAME
# (device counter or drop reason) or NODE:nID:NAME (neighbor ID's).
snap() {
	local -n into=$1
	local spec node rest id
	shift
	for spec in "$@"; do
		node=${spec%%:*}
		rest=${spec#*:}
		if [[ $rest == n[0-9]*:* ]]; then
			id=${rest%%:*}
			into["$spec"]=$(neigh_counter "$node" "${id#n}" "${rest#*:}")
		else
			into["$spec"]=$(counter "$node" "$rest")
		fi
	done
}

# deltas WANT...: one TAP line per SPEC=N, comparing c1 with c0.
deltas() {
	local w spec label
	for w in "$@"; do
		spec=${w%=*}
		label="node ${spec/:/ }"
		[[ $spec != *:n[0-9]*:* ]] || label=${label/ n/ neighbor }
		expect_delta "${label/:/ }" "${c0[$spec]}" "${c1[$spec]}" "${w##*=}"
	done
}

modprobe xmesh
check "mesh of five nodes configured ($UNDERLAY underlay)" mesh_up "$UNDERLAY"

# --- probes answered, counted exactly, over the adjacency named
S=(2:oam_tx 2:oam_rx 1:oam_tx 1:oam_rx 2:n1:tx_packets 2:n1:rx_packets
	1:n1:tx_packets 1:n1:rx_packets 2:n2:tx_packets 2:n4:tx_packets
	1:fwd_packets 3:oam_rx 5:fwd_packets)
snap c0 "${S[@]}"
out=$(probe 2 1 5)
expect "node 2: 5 probes over neighbor 1 answered by node 1" answered "$out" 5 1 1
snap c1 "${S[@]}"
deltas 2:oam_tx=5 2:oam_rx=5 1:oam_rx=5 1:oam_tx=5 2:n1:tx_packets=5 \
	2:n1:rx_packets=5 1:n1:rx_packets=5 1:n1:tx_packets=5 \
	2:n2:tx_packets=0 2:n4:tx_packets=0 1:fwd_packets=0 3:oam_rx=0

out=$(probe 1 1 3)
expect "node 1: probes over its neighbor 1 answered by node 2" answered "$out" 3 1 2
out=$(probe 4 5 3)
expect "node 4: probes over its neighbor 5 answered by node 5" answered "$out" 3 5 5

# --- the route plays no part: to node 3 via neighbor 4 (node 5), or none
xm 2 route replace node 3 nexthop neigh 4
check "node 2's route to node 3 goes via neighbor 4" nexthop_active 2 3 4
snap c0 "${S[@]}"
out=$(probe 2 2 3)
expect "probes over neighbor 2 answered by node 3, the route to 3 via neighbor 4" \
	answered "$out" 3 2 3
snap c1 "${S[@]}"
deltas 2:n2:tx_packets=3 2:n4:tx_packets=0 5:fwd_packets=0 3:oam_rx=3
xm 2 route del node 3
out=$(probe 2 2 2)
expect "probes over neighbor 2 answered with no route to node 3" \
	answered "$out" 2 2 3
xm 2 route add node 3 nexthop neigh 2

# --- neighbors marked down, at the prober and at the answerer
xm 2 neigh set id 1 state down
check "node 2's neighbor 1 is down" neigh_is 2 1 state down
snap c0 "${S[@]}"
out=$(probe 2 1 3)
expect "probes over neighbor 1 marked down at the prober answered" \
	answered "$out" 3 1 1
snap c1 "${S[@]}"
deltas 2:n1:tx_packets=3 2:n1:rx_packets=3
check "an echo request to node 1 is not sent over it" \
	fails_with 'every next hop to node 1 is down' xm 2 ping 1 -c 1
xm 2 neigh set id 1 state up
xm 1 neigh set id 1 state down
out=$(probe 2 1 3)
expect "probes to a node whose neighbor for the prober is down answered" \
	answered "$out" 3 1 1
xm 1 neigh set id 1 state up

# --- carrier loss: the probe cannot leave, nothing is answered
n 2 ip link set ul4 down
check "carrier loss marks node 2's neighbor 4" neigh_is 2 4 carrier down
b=$(counter 2 tx_error)
out=$(probe 2 4 2 --wait 1)
expect "probes over a neighbor without carrier are refused (EIO)" \
	refused "$out" EIO
expect_delta "node 2 counted them as tx_error" "$b" "$(counter 2 tx_error)" 2
n 2 ip link set ul4 up
check "carrier back" wait_for 10 neigh_is 2 4 carrier up
# shellcheck disable=SC2317 # called through wait_for
probe_ok() { answered "$(probe 2 4 1 --wait 2)" 1 4 5; }
check "probes over neighbor 4 answered again" wait_for 20 probe_ok

# --- a second adjacency between nodes 2 and 1 over ul1, between addresses
# node 1 has no neighbor for yet
if [[ $UNDERLAY == inet ]]; then
	a1=10.99.1.79 a2=10.99.1.78 plen=24
else
	a1=fd99:1::79 a2=fd99:1::78 plen=64
fi
n 1 ip addr add "$a1/$plen" dev ul1 nodad 2>/dev/null ||
	n 1 ip addr add "$a1/$plen" dev ul1
n 2 ip addr add "$a2/$plen" dev ul1 nodad 2>/dev/null ||
	n 2 ip addr add "$a2/$plen" dev ul1
xm 2 neigh add id 9 node 1 link ul1 remote "$a1" local "$a2"
S9=(1:unknown_neigh 1:node_mismatch 1:oam_rx 1:oam_tx 2:n9:tx_packets
	2:n9:rx_packets 2:node_mismatch)
snap c0 "${S9[@]}"
out=$(probe 2 9 3 --wait 2)
expect "no answer from a node with no neighbor for the prober" unanswered "$out"
snap c1 "${S9[@]}"
deltas 1:unknown_neigh=3 1:oam_rx=0 1:oam_tx=0 2:n9:tx_packets=3 \
	2:n9:rx_packets=0

xm 1 neigh add id 9 node 5 link ul1 remote "$a2" local "$a1"
snap c0 "${S9[@]}"
out=$(probe 2 9 3 --wait 2)
expect "no answer when the peer takes the prober for another node" \
	unanswered "$out"
snap c1 "${S9[@]}"
deltas 1:node_mismatch=3 1:unknown_neigh=0 1:oam_rx=0 1:oam_tx=0

xm 1 neigh replace id 9 node 2 link ul1 remote "$a2" local "$a1"
snap c0 "${S9[@]}"
out=$(probe 2 9 4)
expect "answered over the second adjacency once both ends agree" \
	answered "$out" 4 9 1
snap c1 "${S9[@]}"
deltas 1:oam_rx=4 1:oam_tx=4 2:n9:tx_packets=4 2:n9:rx_packets=4 \
	1:node_mismatch=0 2:node_mismatch=0

xm 2 neigh replace id 9 node 7 link ul1 remote "$a1" local "$a2"
snap c0 "${S9[@]}"
out=$(probe 2 9 3 --wait 2)
expect "no answer when the prober takes the peer for another node" \
	unanswered "$out"
snap c1 "${S9[@]}"
deltas 1:node_mismatch=3 1:oam_tx=0
xm 2 neigh del id 9
xm 1 neigh del id 9

# --- hand-made link frames (IPv4 underlay: udpsend.py sends IPv4), from
# node 1's address on ul1 (neighbor 1 of node 2) or from one that is no
# neighbor; each must move exactly the counters named
if [[ $UNDERLAY == inet ]]; then
	n 1 ip addr add 10.99.1.77/24 dev ul1
	out=$(python3 "$here/udpsend.py" cases --from-ns xm-1 --src 10.99.1.1 \
		--to 10.99.1.2 --ns xm-2 --peer-ns xm-1 2>&1 <<'EOF'
a link request from an address that is no neighbor | unknown-neigh=+1 | from=10.99.1.77 oam=5 hl=1
a link request from no neighbor, for node 4 | unknown-neigh=+1 | from=10.99.1.77 oam=5 dst=4
a link request from neighbor 1 is answered once | oam-rx=+1 oam-tx=+1 @peer:oam-rx=+1 | oam=5 hl=1
a link request with hop limit 0 is answered all the same | oam-rx=+1 oam-tx=+1 @peer:oam-rx=+1 | oam=5 hl=0
a link request with hop limit 16 is answered all the same | oam-rx=+1 oam-tx=+1 @peer:oam-rx=+1 | oam=5 hl=16
a link request for node 4 is not forwarded | node-mismatch=+1 | oam=5 dst=4 hl=16
a link request for node 4 with hop limit 1 gets no time exceeded | node-mismatch=+1 | oam=5 dst=4 hl=1
a link request for a node without route gets no unreachable | node-mismatch=+1 | oam=5 dst=77
a link request from neighbor 1 claiming to be node 3 | node-mismatch=+1 | oam=5 src=3 hl=1
a link request claiming node 2 itself as source | loop=+1 | oam=5 src=2 hl=1
a link reply is handed to userspace, not answered | oam-rx=+1 @peer:oam-rx=+0 | oam=6 hl=1
a link reply for node 4 is not forwarded | node-mismatch=+1 | oam=6 dst=4
a link request one byte short | truncated=+1 | oam=5 len=39
!neigh-set ifname=xmesh0 neigh{ id=1 state=0 }
a link request from neighbor 1 marked down is answered | oam-rx=+1 oam-tx=+1 @peer:oam-rx=+1 | oam=5 hl=1
data from neighbor 1 marked down is still dropped | neigh-down=+1 |
!neigh-set ifname=xmesh0 neigh{ id=1 state=1 }
EOF
	) || true
	tap_lines udpsend.py <<<"$out"
fi

# --- the mesh still works
check "xmesh ping 4 from 1" xm 1 ping 4 -c 2 -i 0.2 -W 5
check "ping 10.0.4.1 from 10.0.1.1 across three hops" \
	n 1 ping -c 3 -i 0.1 -W 5 -I 10.0.1.1 10.0.4.1

tap_done
