#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end origin keys from the agents (Documentation/certificates.md,
# "End to end"): three certified members in a line, 1 --ul1-- 2 --ul2-- 3,
# each with `origin yes`, no key by hand:
# - each agent installs origin keys for the two other nodes and switches
#   its device's origin on; pings 1 -> 3 pass origin-sealed (the origin key
#   counters of `xmesh -j key show node N`);
# - node 2, a member with the site key, sends node 3 a frame that claims
#   node 1 and node 1's overlay address, sealed per hop with a key node 3
#   takes from it (udpsend.py, as 18-origin.sh): node 3 drops it as
#   origin_missing (no origin seal) or origin_auth_failed (a made-up one);
# - the agents restarted with a new generation every 15 s: a 1000 packets/s
#   stream 1 -> 3 across two rotations of the origin keys at node 1 loses
#   nothing, and no origin_* drop happens.
# Run it with
#   make -C agent && make -C kmod && XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/49-agent-origin.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"	# mesh_link, counter
# shellcheck source-path=SCRIPTDIR source=agentnet.sh
. "$here/agentnet.sh"	# an_*, x, an_certify, stream_*

an_require
an_line3_site
A=$AN_DIR
for i in 1 2 3; do
	check "node $i's certificate" an_certify "node$i" "$i" rack-a web
done

# start_all S: every agent (re)started with origin keys rotating every S
# seconds. The emulated guest stalls for hundreds of ms under load: lenient
# probes.
start_all() {
	local name
	for name in node1 node2 node3; do
		[[ -z ${AN_PID[$name]:-} ]] || an_stop "$name"
		an_config "$name" "hello-interval 1" "dead-interval 10" \
			"sync-hold 3" "probe-interval 0.1" "probe-miss 10" \
			"authority $A/authority.cert" "certificate $A/$name.cert" \
			"origin yes" "origin-rekey-interval $1"
		an_start "$name"
	done
}
# No rotation while single frames are counted per key (a loaded guest
# takes minutes for this part).
start_all 3600

if an_wait_routes 90 2 node1 node3; then
	tap_ok "the certified members route"
else
	tap_fail "the certified members route" "$(an_logs node1)" \
		"$(an_logs node3)"
fi
for name in node1 node2 node3; do
	if wait_for 20 jq_true '.origin.nodes == 2' x "$name" -j agent show; then
		tap_ok "$name: origin on, keys for the 2 other nodes"
	else
		tap_fail "$name: origin on, keys for the 2 other nodes" \
			"$(x "$name" -j agent show)" "$(an_logs "$name")"
	fi
done
check "node 1's device has origin on" says 'origin on' n node1 "$XM" dev show
check "xmesh agent show says origin on" says 'origin on' x node1 agent show

# okeys NAME PEER DIR: the packets of NAME's origin keys for PEER in DIR.
okeys() {
	n "$1" "$XM" -j key show node "${AN_ID[$2]}" dir "$3" |
		jq -er '[.[].packets // 0] | add // 0'
}

# ------------------------------------------------------- honest traffic
t1=$(okeys node1 node3 tx)
r3=$(okeys node3 node1 rx)
check "node 1 pings node 3 with origin seals" \
	n node1 ping -c 10 -i 0.1 -W 5 -I "$(an_addr node1)" "$(an_addr node3)"
expect_delta "node 1's origin key for node 3 sealed the requests" \
	"$t1" "$(okeys node1 node3 tx)" 10
expect_delta "node 3's origin key for node 1 opened them" \
	"$r3" "$(okeys node3 node1 rx)" 10

# ------------------------------------------- node 2 forging node 1's frames
# A per-hop receive key at node 3 for node 2, under an id the key exchange
# does not use: node 2 seals its forgeries with its bytes.
nb=$(neigh_of node3 node2)
used=$(n node3 "$XM" -j key show neigh "$nb" | jq -c '[.[].id]')
fid=200
while jq -e --argjson i "$fid" 'index($i)' <<<"$used" >/dev/null; do
	fid=$((fid + 1))
done
KF=$(kh forger-$fid)
check "a receive key of id $fid at node 3 for node 2" \
	n node3 "$XM" key add neigh "$nb" id "$fid" dir rx key "$KF"
hdr="src=1 dst=3 isrc=$(an_addr node1) idst=$(an_addr node3) key=$fid seal=$KF"
# forged NAME DROP FRAME: node 2 sends FRAME to node 3, which counts DROP;
# OKEY in FRAME: the id of node 1's origin key.
# (udpsend.py's own verdict is not one: the agents' probes and hellos move
# other receive counters meanwhile; its line says what moved.)
forged() {
	local name=$1 drop=$2 before after out okid
	before=$(counter node3 "$drop")
	okid=$(x node1 -j agent show | jq -er .origin.key_id)
	out=$(python3 "$here/udpsend.py" cases --from-ns xm-node2 \
		--src 10.99.2.1 --to 10.99.2.2 --ns xm-node3 2>&1 \
		<<<"$name | ${drop//_/-}=+1 | ${3//OKEY/$okid}") || true
	after=$(counter node3 "$drop")
	if ((after - before == 1)); then
		tap_ok "node 3 drops $name: $drop"
	else
		tap_fail "node 3 drops $name: $drop" "$before -> $after" "$out" \
			"$(n node3 "$XM" -j -s key show node 1)"
	fi
}
forged "node 1's address without an origin seal" origin_missing "$hdr ctr=1"
forged "node 1's address with a made-up origin seal" origin_auth_failed \
	"$hdr ctr=2 oseal=forged okey=OKEY octr=5"

# ------------------------------------------------ rotation under a stream
# Restarted with a rotation every 15 s: the previous run's origin keys are
# replaced (same remote generations) or deleted as stale.
start_all 15
for name in node1 node3; do
	if wait_for 90 jq_true '.origin.nodes == 2' x "$name" -j agent show &&
		an_wait_routes 60 2 node1 node3; then
		tap_ok "$name restarted: origin keys for the 2 other nodes again"
	else
		tap_fail "$name restarted: origin keys for the 2 other nodes again" \
			"$(an_logs "$name")"
	fi
done
udpgap_build
d0=()
for d in origin_missing origin_no_key origin_auth_failed origin_replayed \
	no_origin_key; do
	d0+=("$(($(counter node1 "$d") + $(counter node3 "$d")))")
done
rot0=$(x node1 -j agent show | jq -er .origin.rotations)
if stream_start node1 node3 "$(an_addr node3)" "$(an_addr node1)"; then
	sleep 35
	report=$(stream_stop)
	rot1=$(x node1 -j agent show | jq -er .origin.rotations)
	if ((rot1 - rot0 >= 2)); then
		tap_ok "origin keys rotate under the stream ($((rot1 - rot0)) at node 1)"
	else
		tap_fail "origin keys rotate under the stream" \
			"rotations $rot0 -> $rot1" "$(an_logs node1)"
	fi
	if jq -e '.received > 2000 and .lost == 0' <<<"$report" >/dev/null; then
		tap_ok "the stream loses nothing while origin keys rotate"
	else
		tap_fail "the stream loses nothing while origin keys rotate" \
			"$report"
	fi
else
	tap_fail "a stream from node 1 to node 3 starts"
fi
i=0
for d in origin_missing origin_no_key origin_auth_failed origin_replayed \
	no_origin_key; do
	check "no $d drop at node 1 or 3 while origin keys rotate" \
		test "$(($(counter node1 "$d") + $(counter node3 "$d")))" = "${d0[i]}"
	i=$((i + 1))
done
check "node 3 keeps two receive keys for node 1 at most" \
	test "$(n node3 "$XM" -j key show node 1 dir rx | jq length)" -le 2
check "node 1 pings node 3 after the rotations" \
	n node1 ping -c 3 -i 0.2 -W 5 -I "$(an_addr node1)" "$(an_addr node3)"

tap_done
