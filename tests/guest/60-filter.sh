#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Zones on mesh.sh's five nodes (Documentation/filter.md), the module's
# part: node 1 in zone 10 (iot, roles 0x1), node 3 in zone 30 (billing,
# roles 0x4), nodes 2, 4 and 5 in zone 20 (compute, roles 0x2); the path
# 1 -> 3 crosses node 2.
#   defaults: allow, no mark, nothing dropped;
#   unauthenticated frames (security none) are zone 0: a deny of 10 -> 30
#     does not apply to them;
#   authenticated (keys on every link, security auth): 10 -> 30 denied at
#     the destination drops node 1's pings at node 3 (zone_denied there),
#     denied at the transit node 2 drops them at node 2 and not at 3;
#   zones isolate: node 3 with default deny and only 20 -> 30 and 30 -> 20
#     allowed answers nodes 2 and 4 (zone 20) but not node 1;
#   the mark: node 3 tags delivered packets with (zone << 16) | roles
#     under its mask, and an nftables rule matching node 2's mark counts
#     exactly node 2's pings; a narrower mask leaves the other bits;
#   errors: the tool's and the kernel's messages for bad entries;
#   rules on nftables (xmesh filter, node 3 with policy deny): an allowed
#     flow passes, counted by its rule; a denied one is dropped at node 3,
#     counted by the policy; return traffic of node 3's own flow to node 1
#     is answered although node 1's flows to node 3 are denied; 20
#     replaces under traffic are atomic: an allowed ping loses no reply
#     and a denied one gets none; a bad rule is refused with its
#     line and changes nothing; add and del edit the file and the table.
# Run it with
#   XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko scripts/guest.sh run tests/guest/60-filter.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"

# The zone and roles of each node, as xmeshd would install them.
ZONE=([1]=10 [2]=20 [3]=30 [4]=20 [5]=20)
ROLES=([1]=0x1 [2]=0x2 [3]=0x4 [4]=0x2 [5]=0x2)

# security MODE: every node's.
# shellcheck disable=SC2317 # called through check
security() {
	local i
	for i in "${MESH_NODES[@]}"; do
		xm "$i" dev set security "$1" || return 1
	done
}

# nodes_up: every node's node table.
# shellcheck disable=SC2317 # called through check
nodes_up() {
	local i j
	for i in "${MESH_NODES[@]}"; do
		for j in "${MESH_NODES[@]}"; do
			echo "zone node add $j zone ${ZONE[$j]} roles ${ROLES[$j]}"
		done | xm "$i" -batch - || return 1
	done
}

# pings FROM DST COUNT: how many of COUNT pings from node FROM to node
# DST's address were answered.
pings() {
	n "$1" ping -n -q -i 0.05 -W 1 -c "$3" -I "10.0.$1.1" "10.0.$2.1" |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}

# answered FROM DST COUNT WANT: a TAP line for WANT of COUNT answered.
answered() {
	local got
	got=$(pings "$1" "$2" "$3" || true)
	if [[ $got == "$4" ]]; then
		tap_ok "$1 -> $2: $4 of $3 answered"
	else
		tap_fail "$1 -> $2: $4 of $3 answered" "got ${got:-none}"
	fi
}

tmp=$(mktemp -d)
at_exit "rm -rf '$tmp'"

mesh_up inet

# ---- defaults ------------------------------------------------------------

check_json "defaults: allow, no mark mask, empty tables" \
	'.[0].default == "allow" and .[0].mark_mask == 0 and .[0].nodes == 0 and .[0].zone_pairs == 0' \
	xm 3 -j zone show
check "node tables installed (batch)" nodes_up
check_json "zone node show lists the five nodes" \
	'length == 5 and (.[] | select(.node == 3) | .zone == 30 and .roles == 4)' \
	xm 3 -j zone node show
check_json "zone node show filters by zone" \
	'length == 3 and all(.[]; .zone == 20)' xm 3 -j zone node show zone 20
answered 1 3 5 5

# ---- unauthenticated: zone 0 ---------------------------------------------

check "deny 10 -> 30 at node 3" xm 3 zone pair add from 10 to 30 deny
check_json "zone pair show" \
	'length == 1 and .[0].from == 10 and .[0].to == 30 and .[0].action == "deny"' \
	xm 3 -j zone pair show
before=$(counter 3 zone_denied)
answered 1 3 5 5
expect_delta "security none: node 1 is zone 0, nothing denied" \
	"$before" "$(counter 3 zone_denied)" 0

# ---- authenticated --------------------------------------------------------

check "keys on every link" eval 'link_keys 1 1 2 && link_keys 2 2 3 &&
	link_keys 3 3 4 && link_keys 4 2 5 && link_keys 5 5 4'
check "security auth everywhere" security auth
answered 2 3 5 5
before=$(counter 3 zone_denied)
answered 1 3 5 0
expect_delta "10 -> 30 denied at the destination (zone_denied at 3)" \
	"$before" "$(counter 3 zone_denied)" 5

check "deny moved to the transit node 2" eval \
	'xm 3 zone pair del from 10 to 30 && xm 2 zone pair add from 10 to 30 deny'
before2=$(counter 2 zone_denied)
before3=$(counter 3 zone_denied)
answered 1 3 5 0
expect_delta "10 -> 30 denied in transit (zone_denied at 2)" \
	"$before2" "$(counter 2 zone_denied)" 5
expect_delta "nothing reached node 3" "$before3" "$(counter 3 zone_denied)" 0
answered 1 2 3 3
check "zone pair flush at node 2" xm 2 zone pair flush
answered 1 3 3 3

# ---- zones isolate ----------------------------------------------------------

check "node 3: default deny, 20 <-> 30 allowed" eval \
	'xm 3 zone set default deny &&
	 xm 3 zone pair add from 20 to 30 allow &&
	 xm 2 zone pair add from 30 to 20 allow'
check_json "zone show: default deny, one pair" \
	'.[0].default == "deny" and .[0].zone_pairs == 1' xm 3 -j zone show
answered 2 3 4 4
answered 4 3 4 4
before=$(counter 3 zone_denied)
answered 1 3 4 0
expect_delta "zone 10 isolated from 30 (zone_denied at 3)" \
	"$before" "$(counter 3 zone_denied)" 4
check "back to default allow" eval \
	'xm 3 zone set default allow && xm 3 zone pair flush && xm 2 zone pair flush'
answered 1 3 3 3

# ---- the mark ----------------------------------------------------------------

# nft_count NODE: packets counted by the rule of table inet xmt on NODE.
# shellcheck disable=SC2317 # called through check
nft_count() {
	n "$1" nft -j list table inet xmt |
		jq -er '[.nftables[] | .rule? // empty | .expr[] | .counter? // empty | .packets] | add'
}

check "nft on node 3 counts the mark of zone 20 roles 0x2" eval \
	"n 3 nft add table inet xmt &&
	 n 3 nft add chain inet xmt in '{ type filter hook input priority 0; }' &&
	 n 3 nft add rule inet xmt in iifname xmesh0 meta mark 0x00140002 counter"
answered 2 3 3 3
check_json "no mark while the mask is 0" '. == 0' nft_count 3
check "mark mask 0xffffffff" xm 3 zone set mark-mask 0xffffffff
answered 2 3 4 4
answered 1 3 2 2
check_json "node 2's pings carry zone 20, roles 0x2 (4 counted)" '. == 4' \
	nft_count 3
check "mark mask 0xffff0000: the zone alone" eval \
	"xm 3 zone set mark-mask 0xffff0000 &&
	 n 3 nft flush chain inet xmt in &&
	 n 3 nft add rule inet xmt in iifname xmesh0 meta mark 0x00140000 counter"
answered 4 3 3 3
check_json "node 4's pings carry zone 20 and no roles bits" '. == 3' \
	nft_count 3
n 3 nft delete table inet xmt

# ---- errors --------------------------------------------------------------------

check_match "pair add without an action" 2 'needs allow or deny' \
	xm 3 zone pair add from 1 to 2
check_match "a zone beyond 65535" 2 'invalid zone "70000"' \
	xm 3 zone pair add from 70000 to 2 deny
check_match "roles beyond 0xffff" 2 'invalid roles' \
	xm 3 zone node add 9 roles 0x10000
check_match "deleting a node not in the table: the kernel says" 1 \
	'no node 99' xm 3 zone node del 99
check_match "a pair twice" 1 'zone pair 1 to 2 exists' \
	eval 'xm 3 zone pair add from 1 to 2 deny && xm 3 zone pair add from 1 to 2 allow'
check "replace changes the action" xm 3 zone pair replace from 1 to 2 allow
check_json "replaced" '.[0].action == "allow"' xm 3 -j zone pair show from 1 to 2

# ---- rules on nftables ---------------------------------------------------------

# rule_count NODE FILE LINE: packets counted by the rule of line LINE
# (0: the policy) of FILE on NODE.
# shellcheck disable=SC2317 # called through check
rule_count() {
	xm "$1" -j filter show file "$2" |
		jq -er --argjson l "$3" '.[] | select((.line // 0) == $l) | .packets'
}

cat >"$tmp/a.rules" <<-RULES
	zone iot 10
	zone compute 20
	zone billing 30
	role web 1
	policy deny
	allow dir in from zone compute proto icmp
	allow dir out
RULES
# The same flows allowed, by role instead of zone.
sed 's/from zone compute/from role web/' "$tmp/a.rules" >"$tmp/b.rules"

check "node 3: the whole mark" xm 3 zone set mark-mask 0xffffffff
check "filter replace" xm 3 filter replace "$tmp/a.rules"
check_json "filter show: the rules of the file, installed" \
	'length == 3 and .[0].line == 6 and .[0].installed and .[2].line == null' \
	xm 3 -j filter show file "$tmp/a.rules"
check_match "nft has table inet xmesh" 0 'ct state established,related accept' \
	n 3 nft list table inet xmesh
before=$(rule_count 3 "$tmp/a.rules" 6)
answered 2 3 5 5
# The first packet of the ping's flow is NEW and meets the rule; the
# others belong to the established flow.
expect_delta "compute -> billing allowed, its flow counted by its rule" \
	"$before" "$(rule_count 3 "$tmp/a.rules" 6)" 1
before=$(rule_count 3 "$tmp/a.rules" 0)
answered 1 3 5 0
expect_delta "iot -> billing dropped at node 3 by the policy" \
	"$before" "$(rule_count 3 "$tmp/a.rules" 0)" 5
# Node 3's own flow out: its replies come back as return traffic.
answered 3 1 5 5

# A replace is atomic: while 20 replaces run, node 2's pings (allowed by
# both rule sets) lose no reply, and node 1's (denied by both) get none.
# Node 1's echoes are dropped before conntrack confirms them, so each one
# is NEW and meets the rules: a moment with no table, or with a table not
# yet filled, answers some of them (a delete and a create in two
# transactions does). Bursts of 25 pings each, one after the other, for as
# long as the replaces take (a loaded host makes them slow).
(
	replaced=0
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		xm 3 filter replace "$tmp/b.rules" && xm 3 filter replace "$tmp/a.rules" &&
			replaced=$((replaced + 2))
	done
	echo "$replaced" >"$tmp/replaced"
) &
replace_pid=$!
sent=0 got=0 dsent=0 dgot=0 bursts=0
while :; do
	n 2 ping -n -q -i 0.02 -c 25 -W 2 -I 10.0.2.1 10.0.3.1 >"$tmp/ping.out" 2>&1 &
	n 1 ping -n -q -i 0.02 -c 25 -W 2 -I 10.0.1.1 10.0.3.1 >"$tmp/deny.out" 2>&1 || true
	wait $! || true
	bursts=$((bursts + 1))
	read -r s r <<<"$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$tmp/ping.out")"
	sent=$((sent + ${s:-0})) got=$((got + ${r:-0}))
	read -r s r <<<"$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$tmp/deny.out")"
	dsent=$((dsent + ${s:-0})) dgot=$((dgot + ${r:-0}))
	kill -0 "$replace_pid" 2>/dev/null || break
done
wait "$replace_pid" || true
replaced=$(cat "$tmp/replaced" 2>/dev/null || echo 0)
name="20 replaces under traffic: every allowed ping answered, no denied one"
if [[ $replaced == 20 && $sent -ge 25 && $got == "$sent" && $dsent -ge 25 && $dgot == 0 ]]; then
	tap_ok "$name ($bursts bursts: $got of $sent; 0 of $dsent)"
else
	tap_fail "$name" "replaced $replaced in $bursts bursts of 25 pings" \
		"allowed (2 -> 3): $got of $sent answered; denied (1 -> 3): $dgot of $dsent answered"
fi

printf 'zone a 1\nallow from zone dmz\n' >"$tmp/bad.rules"
check_match "a bad rule: refused with its line" 2 \
	'line 2: zone "dmz" is not declared' xm 3 filter replace "$tmp/bad.rules"
check_match "the rules stay as they were" 0 'xmesh line 6' \
	n 3 nft list table inet xmesh
check "filter add" xm 3 filter add deny dir in from zone iot proto icmp log \
	file "$tmp/a.rules"
check_json "the added rule is line 8, installed" \
	'.[2].line == 8 and .[2].installed and (.[2].rule | test("^deny dir in"))' \
	xm 3 -j filter show file "$tmp/a.rules"
before=$(rule_count 3 "$tmp/a.rules" 8)
answered 1 3 3 0
expect_delta "iot -> billing now dropped by the new rule" \
	"$before" "$(rule_count 3 "$tmp/a.rules" 8)" 3
check "filter del 8" xm 3 filter del 8 file "$tmp/a.rules"
check_json "gone from the file" 'length == 3' \
	xm 3 -j filter show file "$tmp/a.rules"
check "filter flush" xm 3 filter flush
answered 1 3 3 3

check "security none again" security none
answered 1 3 3 3

tap_done
