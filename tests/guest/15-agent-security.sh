#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# xmeshd with certificates (issue 5): three members in a line, 1 --ul1--
# 2 --ul2-- 3, each with a certificate of the site authority, and a rogue
# on a link of its own to node 1, 1 --ul3-- rogue, which has the site key.
#
# - The members authenticate each other (key exchange, certificates),
#   install their kernel keys, turn encryption on, and route; the frames
#   on the wire are sealed: a marker pinged across is nowhere in a capture.
# - Their zone and roles are their certificates', whatever their
#   configuration claims; a member configured as another node id does not
#   start.
# - The rogue without a certificate, then with one of another site, never
#   becomes node 1's neighbor: counted (no answer, wrong_site), no route;
#   nor with one of the site but security auth (security_mismatch); nor
#   with one that gives its own address when it advertises node 3's
#   (claim_mismatch): node 1 keeps node 3's address at node 3.
# - Keys rotate (on volume: rekey-packets) under a 1000 packets/s stream
#   from node 1 to node 3, and the stream loses nothing.
# - Node 3's certificate revoked: node 2, given the list on SIGHUP, cuts it
#   off (counted), and node 1 has no route to it any more.
#
# Run it with
#   make -C agent && make -C kmod && XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/15-agent-security.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"	# mesh_link, fails, fails_with
# shellcheck source-path=SCRIPTDIR source=agentnet.sh
. "$here/agentnet.sh"	# an_*, x, jq_true, stream_*

an_require
MARKER='XMESH-KX-SECRET!'
MARKER_HEX=$(printf '%s' "$MARKER" | od -An -tx1 | tr -d ' \n')

an_node node1 1
an_node node2 2
an_node node3 3
an_node rogue 9
mesh_link 1 node1 node2
mesh_link 2 node2 node3
mesh_link 3 node1 rogue

modprobe xmesh

# ------------------------------------------------------------ certificates
A=$AN_DIR
check "the site authority" "$XM" cert authority create name edge1 \
	key "$A/authority.key" cert "$A/authority.cert"
check "another site's authority" "$XM" cert authority create name edge2 \
	key "$A/other.key" cert "$A/other.cert"

# certify NAME ID ZONE AUTHORITY: NAME's key in its state directory and a
# certificate for it, node ID in ZONE, role "web", its overlay address
# (an_addr) the one prefix it may advertise, by AUTHORITY (authority or
# other).
# shellcheck disable=SC2317 # called through check
certify() {
	local name=$1 id=$2 zone=$3 auth=$4
	mkdir -p "$A/state-$name"
	rm -f "$A/state-$name/node.key" "$A/$name.cert"
	"$XM" cert key create "$A/state-$name/node.key" >/dev/null &&
		"$XM" cert key show "$A/state-$name/node.key" >"$A/$name.pub" &&
		"$XM" cert sign authority-key "$A/$auth.key" \
			authority "$A/$auth.cert" pubkey "$A/$name.pub" \
			node "$id" zone "$zone" role web \
			prefix "10.99.0.$id/32" out "$A/$name.cert"
}
check "node 1's certificate (zone rack-a)" certify node1 1 rack-a authority
check "node 2's certificate (zone rack-a)" certify node2 2 rack-a authority
check "node 3's certificate (zone rack-c)" certify node3 3 rack-c authority

# The emulated guest stalls for hundreds of ms under load: lenient probes.
# Keys rotate every 1000 frames sealed (the counters are read every 10 s).
common=("hello-interval 1" "dead-interval 10" "sync-hold 3"
	"probe-interval 0.1" "probe-miss 10" "rekey-packets 1000"
	"authority $A/authority.cert")
an_config node1 "${common[@]}" "certificate $A/node1.cert"
an_config node2 "${common[@]}" "certificate $A/node2.cert"
# Node 3 claims another zone and a role: its certificate's count.
an_config node3 "${common[@]}" "certificate $A/node3.cert" "zone rack-a" \
	"role admin"

cp "$A/node1.conf" "$A/wrongid.conf"
sed -i 's/^node-id 1$/node-id 2/' "$A/wrongid.conf"
check "a member configured as another node id does not start" \
	fails_with "the certificate $A/node1.cert is for node 1" \
	"$XMESHD" -f -c "$A/wrongid.conf"
sed 's|^certificate .*|certificate /nonexistent.cert|' "$A/node1.conf" >"$A/nocert.conf"
check "nor one without its certificate file" \
	fails_with "certificate /nonexistent.cert" "$XMESHD" -f -c "$A/nocert.conf"

# ------------------------------------------------------------ members
for name in node1 node2 node3; do
	an_start "$name"
done
# The rogue: the site key, no certificate.
an_config rogue "hello-interval 1" "dead-interval 10" "sync-hold 3" \
	"probe-interval 0.1" "probe-miss 10"
an_start rogue

if an_wait_routes 90 2 node1 node3; then
	tap_ok "the members authenticate each other and route"
else
	tap_fail "the members authenticate each other and route" \
		"$(an_logs node1)" "$(an_logs node2)"
fi
check_json "node 2 counts two handshakes at least" \
	'.kx.handshakes >= 2 and .agent.key_changes >= 4 and .agent.key_errors == 0' \
	x node2 -j -s agent show
check_json "the device encrypts (security encrypt, the default with certificates)" \
	'.[0].security == "encrypt"' n node2 "$XM" -j dev show xmesh0
check_json "node 2 has a transmit and a receive key for each neighbor" \
	'([.[] | select(.dir == "tx")] | length) == 2 and ([.[] | select(.dir == "rx")] | length) >= 2' \
	n node2 "$XM" -j key show
check "node 1 pings node 3 over the overlay" \
	n node1 ping -c 3 -i 0.2 -W 5 -I "$(an_addr node1)" "$(an_addr node3)"

# ------------------------------------------------------------ claims
check_json "node 3's zone and roles are its certificate's at node 1" \
	'.[] | select(.node == 3) | .zone == "rack-c" and .roles == ["web"]' \
	x node1 -j node show
check "node 3 warned that its configured zone and roles are ignored" \
	grep -q "zone and roles are the certificate's" "$A/node3.log"

# ------------------------------------------------------------ the wire
# shellcheck disable=SC2317 # called through check
capture_marker() {
	capture xm-node2 ul1 "$A/wire.pcap" "udp port 7600" || return 1
	n node1 ping -c 5 -i 0.1 -W 5 -p "$MARKER_HEX" \
		-I "$(an_addr node1)" "$(an_addr node3)" >/dev/null
	capture_end
}
check "pings carrying a marker across node 2" capture_marker
# shellcheck disable=SC2317 # called through check
frames() {
	python3 "$here/xmframes.py" list "$A/wire.pcap" "$MARKER"
}
check_json "the capture holds sealed frames (key id not 0, encrypted)" \
	'[.[] | select(.key_id != 0 and .flags == 0)] | length >= 10' \
	eval 'frames | jq -s .'
check_json "no frame on the wire holds the marker" \
	'[.[] | select(.marker)] | length == 0' eval 'frames | jq -s .'

# ------------------------------------------------------------ the rogue
# shellcheck disable=SC2317 # called through wait_for
rogue_refused() {
	jq_true "$1" x node1 -j -s agent show
}
if wait_for 30 rogue_refused '.kx.timeouts >= 1'; then
	tap_ok "node 1 counts the rogue without a certificate (no answer to the key exchange)"
else
	tap_fail "node 1 counts the rogue without a certificate" "$(an_logs node1)"
fi
check_json "the rogue is not UP at node 1, nor authenticated" \
	'[.[] | select(.node == 9 and (.agent.state == "up" or .agent.authenticated))] | length == 0' \
	x node1 -j neigh show
check_json "node 2 is authenticated at node 1" \
	'[.[] | select(.node == 2 and .agent.authenticated)] | length == 1' \
	x node1 -j neigh show
check_json "node 1 has no route to the rogue" \
	'[.[] | select(.node == 9)] | length == 0' n node1 "$XM" -j route show
check_json "nor its advert" '[.[] | select(.node == 9)] | length == 0' \
	x node1 -j node show

an_stop rogue
check "the rogue gets a certificate of another site" \
	certify rogue 9 rack-a other
an_config rogue "hello-interval 1" "dead-interval 10" "sync-hold 3" \
	"probe-interval 0.1" "probe-miss 10" "certificate $A/rogue.cert" \
	"authority $A/other.cert"
an_start rogue
if wait_for 60 rogue_refused '.kx.refused_wrong_site >= 1'; then
	tap_ok "node 1 refuses it as wrong_site, counted"
else
	tap_fail "node 1 refuses it as wrong_site" "$(an_logs node1)" \
		"$(an_logs rogue)"
fi
check "and logs why" grep -q "refused.*wrong_site" "$A/node1.log"
check_json "it is still not UP at node 1" \
	'[.[] | select(.node == 9 and .agent.state == "up")] | length == 0' \
	x node1 -j neigh show
an_stop rogue

# A member of the site set to auth while the others encrypt: refused by
# its mode, stated in the key exchange, rather than its frames dropped.
check "node 9 gets a certificate of the site" certify rogue 9 rack-a authority
an_config rogue "hello-interval 1" "dead-interval 10" "sync-hold 3" \
	"probe-interval 0.1" "probe-miss 10" "certificate $A/rogue.cert" \
	"authority $A/authority.cert" "security auth"
an_start rogue
if wait_for 60 rogue_refused '.kx.refused_security_mismatch >= 1'; then
	tap_ok "node 1 refuses node 9 (auth) as security_mismatch, counted"
else
	tap_fail "node 1 refuses node 9 as security_mismatch" \
		"$(an_logs node1)" "$(an_logs rogue)"
fi
check "node 1 logs both modes" \
	grep -q "refused on neighbor [0-9]*: security_mismatch (it auth, here encrypt)" \
	"$A/node1.log"
check_json "node 9 is not UP at node 1" \
	'[.[] | select(.node == 9 and .agent.state == "up")] | length == 0' \
	x node1 -j neigh show
check_json "node 1 installed no key for node 9 (one transmit key: node 2's)" \
	'[.[] | select(.dir == "tx")] | length == 1' n node1 "$XM" -j key show
check_json "node 1 has no route to node 9" \
	'[.[] | select(.node == 9)] | length == 0' n node1 "$XM" -j route show
an_stop rogue

# A member of the site whose certificate gives 10.99.0.9/32 advertises
# node 3's address too, one hop from node 1 where node 3 is two: it would
# draw node 3's traffic. Refused by its certificate's prefixes.
an_config rogue "hello-interval 1" "dead-interval 10" "sync-hold 3" \
	"probe-interval 0.1" "probe-miss 10" "certificate $A/rogue.cert" \
	"authority $A/authority.cert" "prefix $(an_addr node3)/32"
an_start rogue
if wait_for 60 rogue_refused '.kx.refused_claim_mismatch >= 1'; then
	tap_ok "node 1 refuses node 9 advertising node 3's address, counted"
else
	tap_fail "node 1 refuses node 9 advertising node 3's address" \
		"$(an_logs node1)" "$(an_logs rogue)"
fi
check "node 1 logs the prefix and the certificate's" \
	grep -q "node 9 claims $(an_addr node3)/32; its certificate gives 10.99.0.9/32" \
	"$A/node1.log"
check "node 9 warned at its start that the prefix is not its certificate's" \
	grep -q "$(an_addr node3)/32 is not within the certificate's prefixes" \
	"$A/rogue.log"
check_json "node 9 is not UP at node 1" \
	'[.[] | select(.node == 9 and .agent.state == "up")] | length == 0' \
	x node1 -j neigh show
check_json "nor its advert in node 1's database" \
	'[.[] | select(.node == 9)] | length == 0' x node1 -j node show
check_json "node 1's kernel has node 3's address at node 3, nothing at node 9" \
	"([.[] | select(.prefix == \"$(an_addr node3)/32\")] | map(.node) == [3]) and ([.[] | select(.node == 9)] | length == 0)" \
	n node1 "$XM" -j prefix show
check "node 1 still reaches node 3" \
	n node1 ping -c 3 -i 0.2 -W 5 -I "$(an_addr node1)" "$(an_addr node3)"
an_stop rogue

# ------------------------------------------------------------ rotation
udpgap_build
# drops NAME: NAME (a drop reason) at node 2 and node 3, summed.
drops() {
	echo $(($(counter node2 "$1") + $(counter node3 "$1")))
}
d0=()
for d in auth_failed no_key replayed; do
	d0+=("$(drops "$d")")
done
r0=$(an_stat node2 .kx.rekeys)
if stream_start node1 node3 "$(an_addr node3)" "$(an_addr node1)"; then
	sleep 35
	report=$(stream_stop)
	r1=$(an_stat node2 .kx.rekeys)
	if ((r1 - r0 >= 2)); then
		tap_ok "keys rotate under the stream ($((r1 - r0)) rotations at node 2)"
	else
		tap_fail "keys rotate under the stream" "rekeys $r0 -> $r1" \
			"$(an_logs node2)"
	fi
	# Not a rate: a loaded emulated guest sends far fewer than the 35000
	# asked; what counts is that nothing sent across the rotations is lost.
	if jq -e '.received > 2000 and .lost == 0' <<<"$report" >/dev/null; then
		tap_ok "the stream loses nothing while keys rotate"
	else
		tap_fail "the stream loses nothing while keys rotate" "$report"
	fi
else
	tap_fail "a stream from node 1 to node 3 starts"
fi
i=0
for d in auth_failed no_key replayed; do
	check "no $d drop at node 2 or 3 while keys rotate" \
		test "$(drops "$d")" = "${d0[i]}"
	i=$((i + 1))
done

# ------------------------------------------------------------ restart
# Node 2's agent killed and started again: the kernel forwards on with the
# old keys meanwhile; the new run's key exchange replaces them, and what
# it did not replace is deleted 30 s after its start.
an_stop node2 KILL
check "node 1 still reaches node 3 while node 2's agent is down" \
	n node1 ping -c 3 -i 0.2 -W 5 -I "$(an_addr node1)" "$(an_addr node3)"
h0=$(an_stat node1 .kx.handshakes)
an_start node2
if wait_for 60 jq_true ".kx.handshakes > $h0" x node1 -j -s agent show; then
	tap_ok "the restarted agent runs the key exchange again"
else
	tap_fail "the restarted agent runs the key exchange again" \
		"$(an_logs node2)"
fi
check "node 1 reaches node 3 after the restart" \
	n node1 ping -c 3 -i 0.2 -W 5 -I "$(an_addr node1)" "$(an_addr node3)"
# shellcheck disable=SC2317 # called through wait_for
few_keys() {
	jq_true '([.[] | select(.dir == "rx")] | length) == 2 and ([.[] | select(.dir == "tx")] | length) == 2' \
		n node2 "$XM" -j key show
}
if wait_for 60 few_keys; then
	tap_ok "the previous run's keys are gone from node 2"
else
	tap_fail "the previous run's keys are gone from node 2" \
		"$(n node2 "$XM" key show)" "$(an_logs node2)"
fi
check_json "no key refused by the kernel at node 2" '.agent.key_errors == 0' \
	x node2 -j -s agent show

# ------------------------------------------------------------ revocation
serial=$("$XM" -j cert show "$A/node3.cert" | jq -r .serial)
check "node 3's certificate revoked" "$XM" cert revoke \
	authority-key "$A/authority.key" authority "$A/authority.cert" \
	serial "$serial" crl "$A/site.crl"
echo "crl $A/site.crl" >>"$A/node2.conf"
kill -HUP "${AN_PID[node2]}"
if wait_for 30 jq_true '.kx.refused_revoked >= 1 and .kx.cut >= 1' \
	x node2 -j -s agent show; then
	tap_ok "node 2 takes the list and cuts node 3 off, counted"
else
	tap_fail "node 2 cuts node 3 off" "$(an_logs node2)"
fi
check_json "node 3 is no longer UP at node 2" \
	'[.[] | select(.node == 3 and .agent.state == "up")] | length == 0' \
	x node2 -j neigh show
if wait_for 60 jq_true '[.[] | select(.node == 3)] | length == 0' \
	n node1 "$XM" -j route show; then
	tap_ok "node 1 has no route to node 3 any more"
else
	tap_fail "node 1 has no route to node 3 any more" "$(an_logs node1)"
fi
check "node 1 cannot reach node 3" \
	fails n node1 ping -c 2 -i 0.2 -W 1 -I "$(an_addr node1)" "$(an_addr node3)"

for name in node1 node2 node3; do
	an_stop "$name"
done
tap_done
