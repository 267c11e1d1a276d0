#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A node's zone and roles come from its certificate, end to end (issues 5
# and 6): three agents in a line, 1 --ul1-- 2 --ul2-- 3, with certificates
# of one site authority and one filter file (Documentation/filter.md):
#
#   node 1: zone iot, role sensor      (10, bit 0)
#   node 2: zone compute, role web     (20, bit 1)
#   node 3: zone billing, role db      (30, bit 2); its xmeshd.conf claims
#           zone compute and role web, which the agents must not believe.
#
# - Every module's node table holds each node's certificate zone and roles,
#   numbered by the file; node 3's claim is logged as ignored.
# - The module's zone pair iot -> billing (deny) drops node 1's pings to
#   node 3 in transit at node 2 (zone_denied).
# - The nftables rules, matching the mark the module sets from the
#   authenticated source (two of them one verdict map lookup): node 2
#   (compute) may ping node 3; node 3 may not ping node 2 (rule "from zone
#   billing", counted by its line), which it could if its configured zone
#   were believed; node 1 (role sensor) may not ping node 2 (a role rule);
#   return traffic of node 2's own flows comes back.
# - xmesh filter add and del on the file xmeshd reads go through node 2's
#   agent, which installs the rule and keeps it when it builds the table
#   again.
# - Node 3's certificate revoked: node 2, given the list on SIGHUP, cuts
#   it off, and it reaches no one.
#
# Run it with
#   make -C agent && make -C kmod && XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/61-filter-zones-cert.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"	# mesh_link, counter, expect_delta, fails
# shellcheck source-path=SCRIPTDIR source=agentnet.sh
. "$here/agentnet.sh"	# an_*, x, jq_true

an_require
an_line3_site
A=$AN_DIR

# certify NAME ID ZONE ROLE: NAME's key and a certificate for node ID in
# ZONE with ROLE.
# shellcheck disable=SC2317 # called through check
certify() {
	local name=$1 id=$2 zone=$3 role=$4
	mkdir -p "$A/state-$name"
	"$XM" cert key create "$A/state-$name/node.key" >/dev/null &&
		"$XM" cert key show "$A/state-$name/node.key" >"$A/$name.pub" &&
		"$XM" cert sign authority-key "$A/authority.key" \
			authority "$A/authority.cert" pubkey "$A/$name.pub" \
			node "$id" zone "$zone" role "$role" out "$A/$name.cert"
}
check "node 1's certificate: iot, sensor" certify node1 1 iot sensor
check "node 2's certificate: compute, web" certify node2 2 compute web
check "node 3's certificate: billing, db" certify node3 3 billing db

# The same file on every node. Lines 11, 12, 13 are the rules.
cat >"$A/filter.rules" <<-RULES
	zone iot 10
	zone compute 20
	zone billing 30
	role sensor 0
	role web 1
	role db 2
	zone-pair iot billing deny
	mark-mask 0xffffffff
	policy allow
	# in: who may ping this node (11-12: one verdict map on the zone)
	deny dir in from zone billing proto icmp
	allow dir in from zone compute proto icmp
	deny dir in from role sensor proto icmp
RULES
L_BILLING=11 L_COMPUTE=12 L_SENSOR=13

common=("hello-interval 1" "dead-interval 10" "sync-hold 3"
	"probe-interval 0.1" "probe-miss 10" "authority $A/authority.cert"
	"filter $A/filter.rules")
an_config node1 "${common[@]}" "certificate $A/node1.cert"
an_config node2 "${common[@]}" "certificate $A/node2.cert"
an_config node3 "${common[@]}" "certificate $A/node3.cert" "zone compute" \
	"role web"
for name in node1 node2 node3; do
	an_start "$name"
done

if an_wait_routes 90 2 node1 node3; then
	tap_ok "the members authenticate each other and route"
else
	tap_fail "the members authenticate each other and route" \
		"$(an_logs node1)" "$(an_logs node3)"
fi

# ------------------------------------------------------------ the node table
# The module's node table as "id:zone:roles ...", sorted.
node_table() {
	n "$1" "$XM" -j zone node show |
		jq -r 'sort_by(.node) | map("\(.node):\(.zone):\(.roles)") | join(" ")'
}
# shellcheck disable=SC2317 # called through wait_for
table_is() {
	[[ $(node_table "$1") == "$2" ]]
}
WANT_TABLE="1:10:1 2:20:2 3:30:4"
for name in node1 node2 node3; do
	wait_for 90 table_is "$name" "$WANT_TABLE" || true
	got=$(node_table "$name")
	if [[ $got == "$WANT_TABLE" ]]; then
		tap_ok "$name's module: the certificates' zones and roles ($got)"
	else
		tap_fail "$name's module: the certificates' zones and roles" \
			"want $WANT_TABLE, got ${got:-nothing}" "$(an_logs "$name")"
	fi
done
check_json "node 2's agent: node 3 is billing, db (its certificate)" \
	'.[] | select(.node == 3) | .zone == "billing" and .roles == ["db"]' \
	x node2 -j node show
check "node 3 logged that its configured zone and roles are ignored" \
	grep -q "zone and roles are the certificate's" "$A/node3.log"
check_json "the zone pair and the mark mask are installed at node 2" \
	'.[0].zone_pairs == 1 and .[0].mark_mask == 4294967295' \
	n node2 "$XM" -j zone show
check_match "table inet xmesh at node 2" 0 'xmesh line 11' \
	n node2 nft list table inet xmesh

# ------------------------------------------------------------ flows
# pings FROM TO COUNT: how many of COUNT pings from FROM to TO (names)
# over the overlay were answered.
pings() {
	n "$1" ping -n -q -i 0.1 -W 2 -c "$3" -I "$(an_addr "$1")" \
		"$(an_addr "$2")" | sed -n 's/.* \([0-9]*\) received.*/\1/p'
}

# answered FROM TO COUNT WANT: a TAP line for WANT of COUNT answered.
answered() {
	local got
	got=$(pings "$1" "$2" "$3" || true)
	if [[ $got == "$4" ]]; then
		tap_ok "$1 -> $2: $4 of $3 answered"
	else
		tap_fail "$1 -> $2: $4 of $3 answered" "got ${got:-none}"
	fi
}

# rule_count NAME LINE: what the rule of LINE (0: the policy) counted on
# NAME.
rule_count() {
	n "$1" "$XM" -j filter show file "$A/filter.rules" |
		jq -er --argjson l "$2" '.[] | select((.line // 0) == $l) | .packets'
}

# The first of a ping's packets meets the rules; the rest belong to its
# flow (connection tracking).
check_match "lines 11-12 are one verdict map lookup" 0 \
	'meta mark & 0xffff0000 vmap @in_11' n node2 nft list table inet xmesh

before=$(rule_count node3 $L_COMPUTE)
answered node2 node3 4 4
expect_delta "compute -> billing allowed at node 3 by the zone rule" \
	"$before" "$(rule_count node3 $L_COMPUTE)" 1

before=$(rule_count node2 $L_BILLING)
answered node3 node2 4 0
expect_delta "node 3 -> node 2 dropped at node 2 as billing, its certificate's zone (not compute, its configuration's)" \
	"$before" "$(rule_count node2 $L_BILLING)" 4

before=$(rule_count node2 $L_SENSOR)
answered node1 node2 3 0
expect_delta "iot/sensor -> compute dropped at node 2 by the role rule" \
	"$before" "$(rule_count node2 $L_SENSOR)" 3
# Node 2's own flows out: their answers are return traffic.
answered node2 node1 3 3

before=$(counter node2 zone_denied)
answered node1 node3 3 0
expect_delta "iot -> billing denied by the zone pair in transit at node 2" \
	"$before" "$(counter node2 zone_denied)" 3

# ------------------------------------------------------------ the tool
# xmesh filter add on the file xmeshd reads goes through xmeshd
# (filter-reload): node 2's agent installs the new line 14 with the rest,
# and keeps it when it builds the table again (below, node 3 gone).
L_OUT=14
check "filter add on xmeshd's file, through node 2's agent" \
	x node2 filter add deny dir out to zone billing proto icmp \
	file "$A/filter.rules"
check "node 2's agent read the file again: 4 rules" \
	grep -q "reload: filter $A/filter.rules, 4 rules" "$A/node2.log"
check_match "line 14 is in node 2's table, the zone pair still there" 0 \
	'xmesh line 14' n node2 nft list table inet xmesh
check_json "the zone pair and the mark mask are still installed at node 2" \
	'.[0].zone_pairs == 1 and .[0].mark_mask == 4294967295' \
	n node2 "$XM" -j zone show
before=$(rule_count node2 $L_OUT)
answered node2 node3 3 0
expect_delta "node 2 -> billing dropped at node 2 by the added rule" \
	"$before" "$(rule_count node2 $L_OUT)" 3

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
if wait_for 60 jq_true '[.[] | select(.node == 3)] | length == 0' \
	n node1 "$XM" -j route show; then
	tap_ok "node 1 has no route to node 3 any more"
else
	tap_fail "node 1 has no route to node 3 any more" "$(an_logs node1)"
fi
check "node 3 reaches neither node 2" \
	fails n node3 ping -c 2 -i 0.2 -W 1 -I "$(an_addr node3)" "$(an_addr node2)"
check "nor node 1" \
	fails n node3 ping -c 2 -i 0.2 -W 1 -I "$(an_addr node3)" "$(an_addr node1)"
answered node2 node1 2 2
check_match "line 14 still in node 2's table once node 3 is cut off" 0 \
	'xmesh line 14' n node2 nft list table inet xmesh
check "filter del of line 14, through node 2's agent" \
	x node2 filter del "$L_OUT" file "$A/filter.rules"
check_no_match "line 14 is gone from node 2's table" 'xmesh line 14' \
	n node2 nft list table inet xmesh

for name in node1 node2 node3; do
	an_stop "$name"
done
tap_done
